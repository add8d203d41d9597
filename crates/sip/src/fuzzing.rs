//! Entry points shared by the cargo-fuzz targets (`fuzz/`) and the stable test that runs them
//! over the seed corpus and random input. They must never panic.

use crate::auth::{Challenge, DigestResponse};
use crate::framing::StreamDecoder;
use crate::message;
use crate::transaction::{TransactionLayer, Transport};
use crate::SipMessage;
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

/// The RFC 3261 8.2 checks, as the switch (proxy) and the UA (UAS) run them on a datagram: every
/// refusal has its code, its `Warning`, `Unsupported` exactly with 420, and the answer built from
/// it is valid SIP; the size alone decides 513; a request we re-serialize gets the same verdict.
pub fn fuzz_request_check(data: &[u8]) {
    use crate::request_check::{check, Policy, Rejection};
    if let Err(message::ParseError::UnknownMethod(method)) = message::parse(data) {
        // It is echoed into the CSeq of the 501 answer: it must be a bare token.
        assert!(!method.is_empty() && method.bytes().all(|b| b.is_ascii_graphic()));
        assert!(
            message::parse_method(&method).is_none(),
            "{method} is known"
        );
    }
    let Ok(SipMessage::Request(req)) = message::parse(data) else {
        return;
    };
    let size = data.len();
    let policies = [
        Policy {
            supported: &["replaces", "timer", "outbound"],
            as_uas: true,
            as_proxy: false,
            max_size: 65_535,
        },
        Policy {
            supported: &[],
            as_uas: false,
            as_proxy: true,
            max_size: 65_535,
        },
        // Small enough that most inputs are too large.
        Policy {
            supported: &["path"],
            as_uas: true,
            as_proxy: true,
            max_size: size / 2,
        },
    ];
    let reserialized = match message::parse(&message::serialize(&SipMessage::Request(req.clone())))
    {
        Ok(SipMessage::Request(r)) => Some(r),
        _ => None,
    };
    for policy in &policies {
        let verdict = check(&req, size, policy);
        assert_eq!(
            matches!(verdict, Err(Rejection::TooLarge { .. })),
            size > policy.max_size,
            "513 decided by anything but the size"
        );
        // `serialize` writes one Content-Length of its own (the body's), so a duplicated one is
        // the one refusal our rendering is meant to lose.
        let content_length_twice = matches!(
            verdict,
            Err(Rejection::Duplicate {
                header: "Content-Length",
                ..
            })
        );
        if let Some(again) = reserialized.as_ref().filter(|_| !content_length_twice) {
            assert_eq!(
                check(again, size, policy).map_err(|r| r.code()),
                verdict.as_ref().map_err(|r| r.code()).copied(),
                "our own rendering of the request changes its verdict"
            );
        }
        let Err(rejection) = verdict else {
            continue;
        };
        let code = rejection.code();
        assert!(matches!(code, 400 | 416 | 420 | 483 | 513), "{code}");
        let headers = rejection.headers("koppla");
        assert!(headers.iter().any(|(n, _)| *n == "Warning"));
        assert_eq!(
            code == 420,
            headers.iter().any(|(n, _)| *n == "Unsupported")
        );
        let mut answer = message::response_for(&req, code, Some("fz"));
        for (name, value) in &headers {
            message::set_header(&mut answer.headers, name, value);
        }
        let bytes = message::serialize(&SipMessage::Response(answer));
        assert!(
            message::parse(&bytes).is_ok(),
            "the {code} answer is not valid SIP: {:?}",
            String::from_utf8_lossy(&bytes)
        );
    }
}

/// The answer to bytes that do not parse (`message::refusal`), as the switch and the UA send it.
/// It echoes the sender's own (possibly broken) From, To and Via so the sender can match it, so
/// it need not parse as a whole; but it must be one well-framed response with the error's
/// status, a CSeq and To tag the sender can match, and no line break smuggled in from the input
/// (which would let a request inject headers or a second message into our answer), nor any other
/// control character the sender put in its own headers.
/// Nothing is ever answered for a message that parses, an ACK or a response.
pub fn fuzz_refusal(data: &[u8]) {
    let Err(err) = message::parse(data) else {
        return;
    };
    for allow in [Some("INVITE, ACK, BYE"), None] {
        let Some(answer) = message::refusal::refusal(data, &err, "koppla", allow) else {
            continue;
        };
        assert_refusal(&answer, err.status());
        let start = String::from_utf8_lossy(data);
        let start = start.trim_start_matches(['\r', '\n']);
        assert!(!start.starts_with("ACK ") && !start.to_ascii_uppercase().starts_with("SIP/"));
    }
}

/// Asserts that `answer` is a refusal as [`fuzz_refusal`] describes it, with `status`.
pub fn assert_refusal(answer: &[u8], status: u16) {
    let text = String::from_utf8_lossy(answer);
    let head = text.strip_suffix("\r\n\r\n");
    let Some(head) = head.filter(|h| !h.contains("\r\n\r\n")) else {
        panic!("not one message ending in an empty line: {text:?}");
    };
    let mut lines = head.split("\r\n");
    let first = lines.next().unwrap_or_default();
    assert!(
        first.starts_with(&format!("SIP/2.0 {status} ")),
        "status line {first:?} for {status}"
    );
    // From, To and Call-ID are echoed when the request had them (RFC 4475 insuf has none).
    let (mut call_ids, mut cseqs, mut tos, mut tagged_to, mut empty_body) = (0, 0, 0, 0, false);
    for line in std::iter::once(first).chain(lines) {
        assert!(
            !line.chars().any(|c| c.is_control() && c != '\t'),
            "line break or control character echoed into {line:?}"
        );
        if line == first {
            continue;
        }
        let Some((name, value)) = line.split_once(':') else {
            panic!("header line without a colon: {line:?}");
        };
        match name {
            "Call-ID" => call_ids += 1,
            "CSeq" => {
                cseqs += 1;
                let mut words = value.split_whitespace();
                assert!(
                    words.next().is_some_and(|n| n.parse::<u32>().is_ok()),
                    "{line:?}"
                );
                assert!(words.next().is_some_and(|m| !m.is_empty()), "{line:?}");
            }
            "To" => {
                tos += 1;
                tagged_to += usize::from(message::param(value, "tag").is_some());
            }
            "Content-Length" => empty_body = value.trim() == "0",
            _ => {}
        }
    }
    assert!(
        call_ids <= 1 && cseqs == 1 && tos <= 1 && tagged_to == tos && empty_body,
        "{text:?}"
    );
}

/// Parses an answer we built. An answer to an extension method names that method in its CSeq,
/// which the parser rejects as unknown; with the method swapped for a known one, everything else
/// about the answer must still parse.
pub fn parse_answer(data: &[u8]) -> Option<SipMessage> {
    if let Ok(m) = message::parse(data) {
        return Some(m);
    }
    let text = std::str::from_utf8(data).ok()?;
    if !text.starts_with("SIP/2.0 ") {
        return None;
    }
    let swapped: Vec<String> = text
        .split("\r\n")
        .map(|line| match line.split_once(':') {
            Some((name, value)) if name.trim().eq_ignore_ascii_case("CSeq") => {
                let mut words = value.split_whitespace();
                let number = words.next().unwrap_or_default();
                // Only a method that is a token could be an extension method.
                match words.next() {
                    Some(m)
                        if m.bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b"-.!%*_+`'~".contains(&b)) =>
                    {
                        format!("CSeq: {number} OPTIONS")
                    }
                    _ => line.to_string(),
                }
            }
            _ => line.to_string(),
        })
        .collect();
    message::parse(swapped.join("\r\n").as_bytes()).ok()
}

/// The `Reason` header (RFC 3326): every value, alone or in a list, parses without panicking,
/// and what we read renders back to a value that reads the same.
pub fn fuzz_reason(data: &[u8]) {
    use crate::reason::{Reason, ReasonProtocol};
    let text = String::from_utf8_lossy(data);
    for value in message::split_list(&text) {
        let Some(reason) = Reason::parse(value) else {
            continue;
        };
        let protocol = match &reason.protocol {
            ReasonProtocol::Sip => "SIP",
            ReasonProtocol::Q850 => "Q.850",
            ReasonProtocol::Other(p) => {
                assert!(!p.is_empty() && !p.contains([';', '"', ' ']), "{p:?}");
                p
            }
        };
        let mut rendered = protocol.to_string();
        if let Some(cause) = reason.cause {
            rendered.push_str(&format!(";cause={cause}"));
        }
        if let Some(t) = &reason.text {
            let escaped = t.replace('\\', "\\\\").replace('"', "\\\"");
            rendered.push_str(&format!(";text=\"{escaped}\""));
        }
        assert_eq!(
            Reason::parse(&rendered).as_ref(),
            Some(&reason),
            "{rendered:?}"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn seeds() -> Vec<Vec<u8>> {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fuzz/seeds");
        let mut v: Vec<Vec<u8>> = std::fs::read_dir(dir)
            .map(|d| {
                d.filter_map(|e| std::fs::read(e.ok()?.path()).ok())
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    }

    fn run(data: &[u8]) {
        fuzz_request_check(data);
        fuzz_reason(data);
        fuzz_refusal(data);
    }

    #[test]
    fn seeds_and_their_truncations() {
        let seeds = seeds();
        assert!(seeds.len() >= 8, "seed corpus missing");
        for s in &seeds {
            for cut in 0..=s.len() {
                run(&s[..cut]);
            }
        }
    }

    #[test]
    fn the_seeds_reach_every_check() {
        let seeds = seeds();
        let policy = crate::request_check::Policy {
            supported: &[],
            as_uas: true,
            as_proxy: true,
            max_size: 65_535,
        };
        let codes: Vec<u16> = seeds
            .iter()
            .filter_map(|s| match message::parse(s) {
                Ok(SipMessage::Request(r)) => crate::request_check::check(&r, s.len(), &policy)
                    .err()
                    .map(|e| e.code()),
                _ => None,
            })
            .collect();
        assert!(codes.contains(&400), "{codes:?}");
        let refused = seeds
            .iter()
            .filter(|s| {
                message::parse(s)
                    .is_err_and(|e| message::refusal::refusal(s, &e, "koppla", None).is_some())
            })
            .count();
        assert!(refused >= 1, "no seed exercises the refusal");
    }

    #[test]
    fn reasons_read_back() {
        fuzz_reason(br#"SIP;cause=200;text="Call completed elsewhere""#);
        fuzz_reason(br#"Q.850 ; cause=+26 ; text=unquoted\"#);
        fuzz_reason(br#"x;text="open"#);
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]
        #[test]
        fn random_bytes_do_not_panic(data in proptest::collection::vec(any::<u8>(), 0..600)) {
            run(&data);
        }

        #[test]
        fn reason_shaped_values(v in r#"(SIP|Q\.850|[a-z]{1,5}|) ?(;(cause|text|x)=("[ -~]{0,8}"?|[0-9+ ]{0,7})){0,4}"#) {
            fuzz_reason(v.as_bytes());
        }

        #[test]
        fn sip_shaped_requests(
            method in "(INVITE|OPTIONS|BYE|FOO|ACK|REGISTER)",
            uri in "(sip:bob@h|tel:+4670|mailto:x@y|sips:[a-z]{1,3}|[a-z]{1,4}:[ -~]{0,6})",
            lines in proptest::collection::vec(
                "(Via|From|To|Call-ID|CSeq|Max-Forwards|Require|Proxy-Require|Content-Length|Expires|i|f|t): [ -~]{0,40}", 0..12),
        ) {
            let text = format!("{method} {uri} SIP/2.0\r\n{}\r\n\r\n", lines.join("\r\n"));
            run(text.as_bytes());
        }
    }
}
