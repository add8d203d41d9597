//! koppla-cli
