//! Entry points shared by the cargo-fuzz targets (`fuzz/`) and the stable test that runs them
//! over the seed corpus and random input. They must never panic.

use crate::auth::{Challenge, DigestResponse};
use crate::framing::StreamDecoder;
use crate::message;
use crate::transaction::{TransactionLayer, Transport};
use std::time::Instant;

/// Parse a datagram; if it parses, serialize/reparse it and feed it to a transaction layer.
pub fn fuzz_parse(data: &[u8]) {
    let Ok(msg) = message::parse(data) else {
        return;
    };
    let bytes = message::serialize(&msg);
    // Our own output must parse again with the same identity.
    if let Ok(again) = message::parse(&bytes) {
        assert_eq!(message::call_id(&again).ok(), message::call_id(&msg).ok());
    }
    for name in ["Via", "From", "To", "Contact", "Route", "Record-Route"] {
        for v in message::header_values(&msg, name) {
            let _ = message::split_list(&v);
            let _ = message::param(&v, "tag");
            let _ = message::addr_uri(&v);
        }
    }
    let mut tl = TransactionLayer::new();
    let src = std::net::SocketAddr::from(([127, 0, 0, 1], 5060));
    let _ = tl.handle_incoming(msg, src, Transport::Udp, Instant::now());
    while tl.poll_transmit().is_some() {}
    while tl.poll_event().is_some() {}
}

/// Feed bytes to the stream framer in two chunks and parse whatever comes out.
pub fn fuzz_stream(data: &[u8]) {
    let mut d = StreamDecoder::new();
    let mid = data.len() / 2;
    d.push(data.get(..mid).unwrap_or_default());
    let _ = d.next_message();
    d.push(data.get(mid..).unwrap_or_default());
    while let Ok(Some(m)) = d.next_message() {
        fuzz_parse(&m);
    }
}

/// Digest header parsers.
pub fn fuzz_auth(data: &[u8]) {
    let s = String::from_utf8_lossy(data);
    if let Ok(c) = Challenge::parse(&s) {
        let _ = c.respond("u", "p", "REGISTER", "sip:x", 1, "c");
    }
    let _ = DigestResponse::parse(&s);
}
