//! The SIP conformance suite's data: the RFC 4475 / RFC 5118 torture messages in `messages/`
//! and their expected outcomes in `expected.toml` (see README.md). Shared, through `#[path]`, by
//! the parser check (crates/sip/tests/conformance_messages.rs) and the runner against the real
//! switch and UA (crates/vaxel/tests/sip_conformance.rs), so both read the data the same way.
// Each of the two test files uses a different part of this.
#![allow(dead_code)]

use std::fmt;
use std::path::{Path, PathBuf};

/// Replaced in every message by a tag unique to one sending, so that sending the same message
/// to the same element over UDP and then TCP is two transactions, not a retransmission, and an
/// answer can be told from a late answer to an earlier message.
pub const RUN_MARK: &[u8] = b"{RUN}";

/// Answers that mean "refused for its syntax or for what the element cannot do at all"; any
/// other answer means the element processed the request (outcome `accept`).
pub const SYNTAX_REFUSALS: [u16; 6] = [400, 416, 420, 501, 505, 513];

/// What an element must do with a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Exactly this final (or, for a UA's INVITE, provisional 180) status.
    Status(u16),
    /// Processed: any answer other than 100 Trying and the syntax refusals.
    Accept,
    /// No answer at all (a stray or broken response), and the element keeps working.
    Silent,
}

impl Outcome {
    /// Whether `got` (the first answer other than 100 Trying, or None for no answer) fits.
    pub fn fits(self, got: Option<u16>) -> bool {
        match (self, got) {
            (Outcome::Status(want), Some(code)) => want == code,
            (Outcome::Accept, Some(code)) => code > 100 && !SYNTAX_REFUSALS.contains(&code),
            (Outcome::Silent, None) => true,
            _ => false,
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Status(c) => write!(f, "{c}"),
            Outcome::Accept => f.write_str("accept"),
            Outcome::Silent => f.write_str("silent"),
        }
    }
}

/// One torture message and what is expected of it.
#[derive(Debug, Clone)]
pub struct Case {
    pub name: String,
    pub rfc: String,
    pub tortures: String,
    /// Whether the RFC 3261 grammar accepts the bytes (`parse = "ok"`).
    pub parses: bool,
    pub switch: Outcome,
    pub ua: Outcome,
    pub why: String,
    /// Only sent over UDP (`transports = ["udp"]`).
    pub udp_only: bool,
    /// The CSeq method the answer must carry, when not the obvious one.
    pub cseq_method: Option<String>,
    /// Header names the switch's / the UA's answer must carry.
    pub switch_has: Vec<String>,
    pub ua_has: Vec<String>,
    /// The file's bytes, with [`RUN_MARK`] still in them.
    raw: Vec<u8>,
}

impl Case {
    /// The message as sent, with every [`RUN_MARK`] replaced by `run`.
    pub fn bytes(&self, run: &str) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.raw.len() + 16);
        let mut rest = self.raw.as_slice();
        while let Some(at) = rest.windows(RUN_MARK.len()).position(|w| w == RUN_MARK) {
            out.extend_from_slice(&rest[..at]);
            out.extend_from_slice(run.as_bytes());
            rest = &rest[at + RUN_MARK.len()..];
        }
        out.extend_from_slice(rest);
        out
    }
}

/// `tests/conformance` seen from a crate directory two levels below the workspace root.
pub fn dir(crate_dir: &str) -> PathBuf {
    Path::new(crate_dir).join("../../tests/conformance")
}

/// Every case, in file-name order. Panics (a broken suite, not a failed element) when the data
/// is inconsistent: a message without an expectation or the other way round, an unknown field
/// value, a message without a run mark.
pub fn load(dir: &Path) -> Vec<Case> {
    let toml_path = dir.join("expected.toml");
    let text = std::fs::read_to_string(&toml_path)
        .unwrap_or_else(|e| panic!("{}: {e}", toml_path.display()));
    let table: toml::Table = text
        .parse()
        .unwrap_or_else(|e| panic!("{}: {e}", toml_path.display()));
    let messages = dir.join("messages");
    let mut files: Vec<String> = std::fs::read_dir(&messages)
        .unwrap_or_else(|e| panic!("{}: {e}", messages.display()))
        .filter_map(|e| {
            let name = e.ok()?.file_name().into_string().ok()?;
            name.strip_suffix(".sip").map(str::to_string)
        })
        .collect();
    files.sort();
    for name in table.keys() {
        assert!(
            files.contains(name),
            "expected.toml names {name}, but messages/{name}.sip does not exist"
        );
    }
    files
        .into_iter()
        .map(|name| {
            let entry = table
                .get(&name)
                .and_then(toml::Value::as_table)
                .unwrap_or_else(|| panic!("messages/{name}.sip has no [{name}] in expected.toml"));
            let raw = std::fs::read(messages.join(format!("{name}.sip")))
                .unwrap_or_else(|e| panic!("messages/{name}.sip: {e}"));
            assert!(
                raw.windows(RUN_MARK.len()).any(|w| w == RUN_MARK),
                "messages/{name}.sip has no {{RUN}} mark in its Call-ID or branch"
            );
            case(&name, entry, raw)
        })
        .collect()
}

fn case(name: &str, entry: &toml::Table, raw: Vec<u8>) -> Case {
    let text = |key: &str| -> String {
        entry
            .get(key)
            .and_then(toml::Value::as_str)
            .unwrap_or_else(|| panic!("[{name}] needs a text field {key}"))
            .to_string()
    };
    let outcome = |key: &str| -> Outcome {
        match entry.get(key) {
            Some(toml::Value::Integer(code)) => Outcome::Status(
                u16::try_from(*code)
                    .ok()
                    .filter(|c| (100..700).contains(c))
                    .unwrap_or_else(|| panic!("[{name}] {key} = {code} is no SIP status")),
            ),
            Some(toml::Value::String(s)) if s == "accept" => Outcome::Accept,
            Some(toml::Value::String(s)) if s == "silent" => Outcome::Silent,
            other => panic!("[{name}] {key} must be a status, \"accept\" or \"silent\": {other:?}"),
        }
    };
    let names = |key: &str| -> Vec<String> {
        match entry.get(key) {
            None => Vec::new(),
            Some(toml::Value::Array(a)) => a
                .iter()
                .map(|v| {
                    v.as_str()
                        .unwrap_or_else(|| panic!("[{name}] {key} holds text only"))
                        .to_string()
                })
                .collect(),
            Some(other) => panic!("[{name}] {key} must be a list: {other:?}"),
        }
    };
    let parses = match text("parse").as_str() {
        "ok" => true,
        "error" => false,
        other => panic!("[{name}] parse must be \"ok\" or \"error\", not {other:?}"),
    };
    let transports = names("transports");
    let udp_only = match transports.as_slice() {
        [] => false,
        [t] if t == "udp" => true,
        other => panic!("[{name}] transports: only [\"udp\"] is meaningful, not {other:?}"),
    };
    Case {
        name: name.to_string(),
        rfc: text("rfc"),
        tortures: text("tortures"),
        parses,
        switch: outcome("switch"),
        ua: outcome("ua"),
        why: text("why"),
        udp_only,
        cseq_method: entry
            .get("cseq_method")
            .and_then(toml::Value::as_str)
            .map(str::to_string),
        switch_has: names("switch_has"),
        ua_has: names("ua_has"),
        raw,
    }
}
