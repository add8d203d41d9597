//! Helpers of the SIP conformance runner (tests/sip_conformance.rs): raw SIP over real sockets
//! and the two elements under test as processes.

pub mod elements;
pub mod wire;
