//! koppla-media
