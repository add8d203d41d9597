//! koppla-dial
