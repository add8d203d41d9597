//! The last SIP messages the phone sent and received, for Help → Diagnostics.
//!
//! The user agent already reports every message it puts on the wire (`koppla_ua::runtime`,
//! "send:") and every one it takes off (`koppla_sip::transport`, "recv:") as TRACE events; a
//! tracing layer with its own filter copies those into a bounded ring, whatever `KOPPLA_LOG`
//! says, so the UA needs no second reporting path. (The built-in switch has its own transport
//! and is not traced here.) The ring holds raw text: secrets are removed when the diagnostics
//! file is written (`diagnostics_redact.rs`), so nothing redacted is lost for a later fix.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::sync::{LazyLock, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::{Context, Layer};

/// Messages kept; with REGISTER refreshes and OPTIONS pings this covers the last calls.
pub const CAPACITY: usize = 400;
/// A message longer than this (a huge SDP, a garbled stream) is cut, so the ring stays small.
const MAX_MESSAGE: usize = 16 * 1024;

const SEND_TARGET: &str = "koppla_ua::runtime";
const RECV_TARGET: &str = "koppla_sip::transport";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Sent,
    Received,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceEntry {
    /// Milliseconds since 1970 (UTC).
    pub at_ms: u64,
    pub direction: Direction,
    /// Where it went to or came from.
    pub peer: String,
    pub text: String,
}

/// A bounded ring of SIP messages, oldest first.
pub struct SipTrace {
    entries: Mutex<VecDeque<TraceEntry>>,
    capacity: usize,
}

impl SipTrace {
    pub fn new(capacity: usize) -> SipTrace {
        SipTrace {
            entries: Mutex::new(VecDeque::with_capacity(capacity)),
            capacity,
        }
    }

    pub fn push(&self, mut entry: TraceEntry) {
        if entry.text.len() > MAX_MESSAGE {
            let mut cut = MAX_MESSAGE;
            while !entry.text.is_char_boundary(cut) {
                cut -= 1;
            }
            entry.text.truncate(cut);
            entry.text.push_str("\n[… cut]");
        }
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() == self.capacity {
            entries.pop_front();
        }
        entries.push_back(entry);
    }

    pub fn snapshot(&self) -> Vec<TraceEntry> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.iter().cloned().collect()
    }
}

/// The trace as text: a header line per message ("===== 2026-12-07 23:04:05.123 UTC → 10.0.0.1:5060")
/// and the message as it was on the wire.
pub fn render(entries: &[TraceEntry]) -> String {
    let mut out = String::new();
    for entry in entries {
        let arrow = match entry.direction {
            Direction::Sent => "→",
            Direction::Received => "←",
        };
        let _ = writeln!(out, "===== {} {arrow} {}", utc(entry.at_ms), entry.peer);
        out.push_str(entry.text.trim_end_matches(['\r', '\n']));
        out.push_str("\n\n");
    }
    out
}

/// "YYYY-MM-DD hh:mm:ss.mmm UTC" without a date crate: days since 1970 to a civil date
/// (Howard Hinnant's algorithm).
pub fn utc(ms: u64) -> String {
    let secs = ms / 1000;
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}.{:03} UTC",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        ms % 1000
    )
}

pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// The app's trace, filled by [`layer`].
pub static TRACE: LazyLock<SipTrace> = LazyLock::new(|| SipTrace::new(CAPACITY));

/// Copies the UA's wire messages into a ring.
pub struct TraceLayer<'a> {
    ring: &'a SipTrace,
}

/// The layer for the app's subscriber, with its own filter (TRACE on the two targets only).
pub fn layer<S>() -> impl Layer<S>
where
    S: Subscriber + for<'s> tracing_subscriber::registry::LookupSpan<'s>,
{
    TraceLayer { ring: &TRACE }.with_filter(filter())
}

pub fn filter() -> Targets {
    Targets::new()
        .with_target(SEND_TARGET, Level::TRACE)
        .with_target(RECV_TARGET, Level::TRACE)
}

#[derive(Default)]
struct Fields {
    message: Option<String>,
    dest: Option<String>,
    source: Option<String>,
}

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let text = format!("{value:?}");
        match field.name() {
            "message" => self.message = Some(text),
            "dest" => self.dest = Some(text),
            "source" => self.source = Some(text),
            _ => {}
        }
    }
}

impl<S: Subscriber> Layer<S> for TraceLayer<'static> {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        record(self.ring, event);
    }
}

/// The one place that knows the UA's wire events: "send:\n<message>" with `dest`, and
/// "recv:\n<message>" with `source`. Anything else on those targets is not a message.
fn record(ring: &SipTrace, event: &Event<'_>) {
    let meta = event.metadata();
    if *meta.level() != Level::TRACE {
        return;
    }
    let mut fields = Fields::default();
    event.record(&mut fields);
    let Some(message) = fields.message else {
        return;
    };
    let (direction, peer, text) = match (meta.target(), fields.dest, fields.source) {
        (SEND_TARGET, Some(dest), _) => match message.strip_prefix("send:\n") {
            Some(text) => (Direction::Sent, dest, text),
            None => return,
        },
        (RECV_TARGET, _, Some(source)) => match message.strip_prefix("recv:\n") {
            Some(text) => (Direction::Received, source, text),
            None => return,
        },
        _ => return,
    };
    ring.push(TraceEntry {
        at_ms: now_ms(),
        direction,
        peer,
        text: text.to_string(),
    });
}

/// A layer over a ring of the caller's, for tests that drive a real transport.
#[cfg(test)]
pub struct TestLayer(pub std::sync::Arc<SipTrace>);

#[cfg(test)]
impl<S: Subscriber> Layer<S> for TestLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        record(&self.0, event);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use tracing_subscriber::layer::SubscriberExt;

    fn entry(n: usize) -> TraceEntry {
        TraceEntry {
            at_ms: 0,
            direction: Direction::Sent,
            peer: "127.0.0.1:5060".into(),
            text: format!("OPTIONS sip:{n}@x SIP/2.0"),
        }
    }

    #[test]
    fn the_ring_keeps_the_newest() {
        let ring = SipTrace::new(3);
        for n in 0..5 {
            ring.push(entry(n));
        }
        let kept: Vec<String> = ring.snapshot().into_iter().map(|e| e.text).collect();
        assert_eq!(
            kept,
            [
                "OPTIONS sip:2@x SIP/2.0",
                "OPTIONS sip:3@x SIP/2.0",
                "OPTIONS sip:4@x SIP/2.0"
            ]
        );
    }

    #[test]
    fn huge_messages_are_cut_on_a_character_boundary() {
        let ring = SipTrace::new(1);
        let mut big = entry(0);
        big.text = "å".repeat(MAX_MESSAGE);
        ring.push(big);
        let text = &ring.snapshot()[0].text;
        assert!(text.len() < MAX_MESSAGE + 20);
        assert!(text.ends_with("[… cut]"));
    }

    #[test]
    fn dates_are_utc() {
        assert_eq!(utc(0), "1970-01-01 00:00:00.000 UTC");
        assert_eq!(utc(1_796_684_645_123), "2026-12-07 23:04:05.123 UTC");
        assert_eq!(utc(951_782_400_000), "2000-02-29 00:00:00.000 UTC");
    }

    #[test]
    fn only_wire_events_are_recorded() {
        let ring = Arc::new(SipTrace::new(10));
        let subscriber =
            tracing_subscriber::registry().with(TestLayer(ring.clone()).with_filter(filter()));
        tracing::subscriber::with_default(subscriber, || {
            let dest = "10.0.0.1:5060";
            tracing::trace!(target: "koppla_ua::runtime", dest = %dest, "send:\n{}", "REGISTER sip:x SIP/2.0");
            tracing::trace!(target: "koppla_ua::runtime", "something else");
            tracing::info!(target: "koppla_ua::runtime", dest = %dest, "send:\nnot at trace level");
            tracing::trace!(target: "koppla_other", dest = %dest, "send:\nother target");
        });
        let entries = ring.snapshot();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].direction, Direction::Sent);
        assert_eq!(entries[0].peer, "10.0.0.1:5060");
        assert_eq!(entries[0].text, "REGISTER sip:x SIP/2.0");
        let text = render(&entries);
        assert!(text.contains("→ 10.0.0.1:5060\nREGISTER sip:x SIP/2.0\n"));
    }

    /// The contract with koppla-sip: a message a real transport receives lands in the ring.
    #[test]
    fn a_message_received_by_the_real_transport_is_recorded() {
        let ring = Arc::new(SipTrace::new(10));
        let subscriber =
            tracing_subscriber::registry().with(TestLayer(ring.clone()).with_filter(filter()));
        let _guard = tracing::subscriber::set_default(subscriber);
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let mut config = koppla_sip::TransportConfig::new("127.0.0.1:0".parse().unwrap());
            config.tcp = false;
            let mut transport = koppla_sip::SipTransport::bind(config).await.unwrap();
            let addr = transport.local_addr(koppla_sip::Transport::Udp).unwrap();
            let peer = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
            let options = "OPTIONS sip:anna@127.0.0.1 SIP/2.0\r\n\
                Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKtrace1\r\n\
                Max-Forwards: 70\r\nFrom: <sip:t@x>;tag=1\r\nTo: <sip:anna@127.0.0.1>\r\n\
                Call-ID: trace-test\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
            peer.send_to(options.as_bytes(), addr).await.unwrap();
            tokio::time::timeout(std::time::Duration::from_secs(5), transport.recv())
                .await
                .unwrap()
                .unwrap();
        });
        let entries = ring.snapshot();
        assert_eq!(entries.len(), 1, "{entries:?}");
        assert_eq!(entries[0].direction, Direction::Received);
        assert!(entries[0]
            .text
            .starts_with("OPTIONS sip:anna@127.0.0.1 SIP/2.0"));
    }
}
