//! RFC 3261 8.2 at the agent: a request it must refuse gets 400/416/420 and never rings.

use super::*;

fn invite_text(extra: &str) -> String {
    let sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 7000 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n";
    format!(
        "INVITE sip:bob@127.0.0.1:5080 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKc{n}\r\n\
Max-Forwards: 70\r\nFrom: <sip:alice@127.0.0.1>;tag=a1\r\nTo: <sip:bob@127.0.0.1>\r\nCall-ID: conf-{n}\r\n\
CSeq: 1 INVITE\r\nContact: <sip:alice@127.0.0.1:5070>\r\n{extra}Content-Type: application/sdp\r\n\
Content-Length: {len}\r\n\r\n{sdp}",
        n = extra.len(),
        len = sdp.len()
    )
}

/// Feeds `text` to bob and returns the status of his answer and whether he rang.
fn feed(text: &str) -> (u16, Vec<(String, String)>, bool) {
    let mut bob = agent("bob", 5080, "x");
    let now = Instant::now();
    let msg = message::parse(text.as_bytes()).expect("test INVITE parses");
    bob.handle_incoming(msg, addr(5070), Transport::Udp, now);
    let rang =
        std::iter::from_fn(|| bob.poll_event()).any(|e| matches!(e, UaEvent::Incoming { .. }));
    // The transaction layer's 100 Trying comes first; the final answer is what counts.
    let resp = std::iter::from_fn(|| bob.poll_transmit())
        .filter_map(|t| match message::parse(&t.bytes) {
            Ok(SipMessage::Response(r)) if message::status(&r) >= 200 => Some(r),
            _ => None,
        })
        .next();
    let Some(resp) = resp else {
        // Ringing: no final answer yet.
        return (180, Vec::new(), rang);
    };
    let headers = resp
        .headers
        .iter()
        .map(message::header_name_value)
        .collect();
    (message::status(&resp), headers, rang)
}

#[test]
fn an_invite_requiring_an_unknown_extension_is_420_and_never_rings() {
    let (code, headers, rang) = feed(&invite_text("Require: 100rel, foo\r\n"));
    assert_eq!(code, 420);
    assert!(!rang);
    assert!(
        headers.contains(&("Unsupported".into(), "100rel, foo".into())),
        "{headers:?}"
    );
    let (code, _, rang) = feed(&invite_text("Supported: foo\r\n"));
    assert!(rang && code < 300, "Supported is no requirement: {code}");
}

#[test]
fn an_invite_with_two_call_ids_is_400_and_never_rings() {
    let (code, headers, rang) = feed(&invite_text("Call-ID: second\r\n"));
    assert_eq!(code, 400);
    assert!(!rang);
    assert!(
        headers
            .iter()
            .any(|(n, v)| n == "Warning" && v.contains("Call-ID header appears 2 times")),
        "{headers:?}"
    );
}

/// Whether bob's Incoming event for `text` says it asks to be answered at once.
fn asks_auto_answer(text: &str) -> Option<bool> {
    let mut bob = agent("bob", 5080, "x");
    let msg = message::parse(text.as_bytes()).expect("test INVITE parses");
    bob.handle_incoming(msg, addr(5070), Transport::Udp, Instant::now());
    std::iter::from_fn(|| bob.poll_event()).find_map(|e| match e {
        UaEvent::Incoming { auto_answer, .. } => Some(auto_answer),
        _ => None,
    })
}

/// Whether bob's Incoming event for `text` says the call is a recall.
fn is_recall(text: &str) -> Option<bool> {
    let mut bob = agent("bob", 5080, "x");
    let msg = message::parse(text.as_bytes()).expect("test INVITE parses");
    bob.handle_incoming(msg, addr(5070), Transport::Udp, Instant::now());
    std::iter::from_fn(|| bob.poll_event()).find_map(|e| match e {
        UaEvent::Incoming { recall, .. } => Some(recall),
        _ => None,
    })
}

#[test]
fn rfc7462_recall_alert_urns_mark_the_incoming_call() {
    assert_eq!(is_recall(&invite_text("")), Some(false));
    assert_eq!(
        is_recall(&invite_text(
            "Alert-Info: <urn:alert:service:recall:transfer>\r\n"
        )),
        Some(true)
    );
    assert_eq!(
        is_recall(&invite_text(
            "Alert-Info: <http://example.com/ring.wav>, <urn:alert:service:recall:hold>\r\n"
        )),
        Some(true)
    );
    assert_eq!(
        is_recall(&invite_text(
            "Alert-Info: <urn:alert:service:call-waiting>\r\n"
        )),
        Some(false)
    );
}

#[test]
fn rfc5373_answer_mode_auto_is_reported_with_the_incoming_call() {
    assert_eq!(asks_auto_answer(&invite_text("")), Some(false));
    assert_eq!(
        asks_auto_answer(&invite_text("Answer-Mode: Auto\r\n")),
        Some(true)
    );
    assert_eq!(
        asks_auto_answer(&invite_text("Answer-Mode: auto;require\r\n")),
        Some(true)
    );
    assert_eq!(
        asks_auto_answer(&invite_text("Answer-Mode: Manual\r\n")),
        Some(false)
    );
}

#[test]
fn a_body_that_is_not_sdp_is_415_with_accept_and_never_rings() {
    let text = invite_text("").replace(
        "Content-Type: application/sdp",
        "Content-Type: application/unknownformat",
    );
    let (code, headers, rang) = feed(&text);
    assert_eq!(code, 415);
    assert!(!rang);
    assert!(
        headers.contains(&("Accept".into(), "application/sdp".into())),
        "{headers:?}"
    );
}

#[test]
fn an_accept_without_sdp_is_406_but_wildcards_ring() {
    let (code, headers, rang) = feed(&invite_text("Accept: text/nobodyknowsthis\r\n"));
    assert_eq!((code, rang), (406, false));
    assert!(headers.iter().any(|(n, _)| n == "Warning"), "{headers:?}");
    for accept in [
        "application/*",
        "*/*",
        "text/plain, application/SDP;level=1",
    ] {
        let (code, _, rang) = feed(&invite_text(&format!("Accept: {accept}\r\n")));
        assert!(rang && code < 300, "{accept}: {code}");
    }
}

#[test]
fn an_rfc2543_invite_without_contact_rings_but_a_modern_one_is_400() {
    let modern = invite_text("").replace("Contact: <sip:alice@127.0.0.1:5070>\r\n", "");
    let (code, _, rang) = feed(&modern);
    assert_eq!((code, rang), (400, false));
    // RFC 4475 inv2543: no branch, no From tag, no Contact, no Max-Forwards.
    let old = modern
        .replace(";branch=z9hG4bKc0", "")
        .replace(";tag=a1", "")
        .replace("Max-Forwards: 70\r\n", "");
    let (code, _, rang) = feed(&old);
    assert!(rang && code == 180, "{code}");
}
