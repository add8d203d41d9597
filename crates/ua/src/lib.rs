//! koppla-ua
