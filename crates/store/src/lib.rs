//! koppla-store
