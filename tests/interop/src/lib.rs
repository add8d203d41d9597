//! koppla-interop: a harness that starts real third-party SIP peers on 127.0.0.1 — Kamailio
//! (registrar/proxy with digest auth), baresip (driven over ctrl_tcp) and sipp — and drives the
//! `koppla agent` CLI against them. Also holds the audio analysis that proves audio went through a
//! call, and the process statistics the benchmark reports.

pub mod audio;
pub mod baresip;
pub mod bench;
pub mod ctrl_tcp;
pub mod error;
pub mod fuzz_entry;
pub mod kamailio;
pub mod kamailio_cfg;
pub mod koppla;
pub mod koppla_event;
pub mod netstring;
pub mod ports;
pub mod process;
pub mod sip_probe;
pub mod sipp;
pub mod sysstat;

pub use baresip::{Baresip, BaresipOptions, Codec, Recordings};
pub use error::{HarnessError, Result};
pub use kamailio::{Kamailio, KamailioOptions};
pub use koppla::{AgentOptions, KopplaAgent};
pub use koppla_event::AgentEvent;
pub use process::TestDir;
pub use sipp::{Scenario, Sipp, SippOptions};
