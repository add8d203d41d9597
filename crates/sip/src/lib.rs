//! koppla-sip
