//! koppla-audio
