//! SDP (RFC 4566) model, parser and serializer, plus offer/answer (RFC 3264) negotiation.
//!
//! Hand-written rather than `webrtc-sdp`/`sdp-types`: see docs/decisions/0402-sdp.md.
//! The model keeps every attribute it does not interpret, so re-serialising a parsed
//! description loses nothing a softphone cares about.

mod crypto;
mod negotiate;
mod parse;

pub use crypto::{CryptoAttribute, CryptoSuite, SrtpKeyMaterial};
pub use negotiate::{
    accept_answer_for, answer, answer_with_direction, CodecPrefs, Direction, MediaOffer,
    Negotiated, SrtpKeys, SrtpPolicy,
};
pub use parse::parse_fuzz_entry;

use std::fmt::{self, Write as _};
use std::net::IpAddr;

/// Errors for bad SDP and failed negotiation. Each maps to a SIP answer (mostly 488).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SdpError {
    #[error("SDP too large ({0} bytes)")]
    TooLarge(usize),
    #[error("SDP line {line}: {reason}")]
    Syntax { line: usize, reason: String },
    #[error("SDP is missing the {0} line")]
    Missing(&'static str),
    #[error("SDP has no usable audio stream")]
    NoAudio,
    #[error("no codec in common (offered: {offered})")]
    NoCommonCodec { offered: String },
    #[error("no connection address for the audio stream")]
    NoConnection,
    #[error("peer requires SRTP but SRTP is turned off")]
    SrtpRefused,
    #[error("SRTP is required but the peer offered no usable crypto")]
    SrtpRequired,
    #[error("bad crypto attribute: {0}")]
    BadCrypto(String),
    #[error("answer does not match the offer: {0}")]
    AnswerMismatch(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub username: String,
    pub session_id: u64,
    pub session_version: u64,
    pub address: IpAddr,
}

/// One `a=` line: `a=name` or `a=name:value`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    pub name: String,
    pub value: Option<String>,
}

impl Attribute {
    pub fn flag(name: &str) -> Self {
        Self {
            name: name.into(),
            value: None,
        }
    }
    pub fn value(name: &str, value: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            value: Some(value.into()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaDescription {
    pub media: String,
    pub port: u16,
    pub protocol: String,
    pub formats: Vec<String>,
    pub connection: Option<IpAddr>,
    /// Raw `b=` values (e.g. `AS:64`).
    pub bandwidth: Vec<String>,
    pub attributes: Vec<Attribute>,
}

/// `a=rtpmap` content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtpMap {
    pub payload_type: u8,
    pub encoding: String,
    pub clock_rate: u32,
    pub channels: Option<u8>,
}

impl MediaDescription {
    pub fn attr(&self, name: &str) -> Option<&Attribute> {
        self.attributes
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(name))
    }

    pub fn attrs<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Attribute> + 'a {
        self.attributes
            .iter()
            .filter(move |a| a.name.eq_ignore_ascii_case(name))
    }

    pub fn rtpmaps(&self) -> Vec<RtpMap> {
        self.attrs("rtpmap")
            .filter_map(|a| parse::rtpmap(a.value.as_deref()?))
            .collect()
    }

    /// `a=fmtp` parameters for `pt`, unparsed.
    pub fn fmtp(&self, pt: u8) -> Option<&str> {
        self.attrs("fmtp")
            .filter_map(|a| a.value.as_deref())
            .find_map(|v| {
                let (p, rest) = v.split_once(' ')?;
                (p.trim().parse::<u8>().ok()? == pt).then_some(rest.trim())
            })
    }

    pub fn is_secure_profile(&self) -> bool {
        self.protocol.eq_ignore_ascii_case("RTP/SAVP")
            || self.protocol.eq_ignore_ascii_case("RTP/SAVPF")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionDescription {
    pub origin: Origin,
    pub session_name: String,
    pub connection: Option<IpAddr>,
    pub bandwidth: Vec<String>,
    pub timing: (u64, u64),
    pub attributes: Vec<Attribute>,
    pub media: Vec<MediaDescription>,
}

impl SessionDescription {
    pub fn parse(text: &str) -> Result<Self, SdpError> {
        parse::parse(text)
    }

    pub fn attr(&self, name: &str) -> Option<&Attribute> {
        self.attributes
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(name))
    }
}

fn write_addr(f: &mut String, addr: IpAddr) {
    let fam = if addr.is_ipv4() { "IP4" } else { "IP6" };
    let _ = write!(f, "IN {fam} {addr}");
}

fn write_attrs(f: &mut String, attrs: &[Attribute]) {
    for a in attrs {
        match &a.value {
            Some(v) => {
                let _ = write!(f, "a={}:{}\r\n", a.name, v);
            }
            None => {
                let _ = write!(f, "a={}\r\n", a.name);
            }
        }
    }
}

impl fmt::Display for SessionDescription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::with_capacity(512);
        s.push_str("v=0\r\n");
        let o = &self.origin;
        let _ = write!(
            s,
            "o={} {} {} ",
            o.username, o.session_id, o.session_version
        );
        write_addr(&mut s, o.address);
        s.push_str("\r\n");
        let _ = write!(
            s,
            "s={}\r\n",
            if self.session_name.is_empty() {
                "-"
            } else {
                &self.session_name
            }
        );
        if let Some(c) = self.connection {
            s.push_str("c=");
            write_addr(&mut s, c);
            s.push_str("\r\n");
        }
        for b in &self.bandwidth {
            let _ = write!(s, "b={b}\r\n");
        }
        let _ = write!(s, "t={} {}\r\n", self.timing.0, self.timing.1);
        write_attrs(&mut s, &self.attributes);
        for m in &self.media {
            let _ = write!(
                s,
                "m={} {} {} {}\r\n",
                m.media,
                m.port,
                m.protocol,
                m.formats.join(" ")
            );
            if let Some(c) = m.connection {
                s.push_str("c=");
                write_addr(&mut s, c);
                s.push_str("\r\n");
            }
            for b in &m.bandwidth {
                let _ = write!(s, "b={b}\r\n");
            }
            write_attrs(&mut s, &m.attributes);
        }
        f.write_str(&s)
    }
}
