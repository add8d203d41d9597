//! koppla-vaxel
