//! Koppla Växel: a small standards-based SIP switch with a JSON client API.
//!
//! Embed it with [`Vaxel::start`] or run the `vaxel` binary with a TOML config.

pub mod activity;
pub mod api;
pub mod config;
pub mod credentials;
pub mod events;
pub mod fuzzing;
pub mod greetings;
pub mod mail;
pub mod media;
pub mod model;
pub mod queue_config;
mod server;
pub mod sip;
pub mod sms;
pub mod state;
pub mod store;
mod username;

pub use config::Config;
pub use server::{StartError, Vaxel, VaxelHandle};
