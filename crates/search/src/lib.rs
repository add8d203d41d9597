//! koppla-search
