//! RFC 3261 8.2 request checks at the switch: a request it must refuse gets the precise status
//! (400, 420, 483, 501, 513) and a `Warning` saying why, instead of a challenge or a 200.

use super::*;

fn refused(w: &mut World, data: &[u8], from: SocketAddr) -> (u16, koppla_sip::rsip::Response) {
    let out = w.feed(data, from);
    assert_eq!(out.len(), 1, "one answer and nothing forwarded: {out:?}");
    let (to, code, resp) = response(&out, 0);
    assert_eq!(to, from);
    (code, resp.clone())
}

#[test]
fn unknown_require_in_a_register_is_420_with_unsupported() {
    let mut w = world();
    let mut a = phone("alice", 5071);
    let req = a.request(
        "REGISTER",
        "sip:koppla",
        "<sip:alice@koppla>",
        "reg-420",
        "Require: nothingelse\r\nExpires: 600\r\n",
        "",
        "z9hG4bKr420",
    );
    let (code, resp) = refused(&mut w, &req, a.addr);
    assert_eq!(code, 420);
    assert_eq!(
        m::header_values_in(&resp.headers, "Unsupported"),
        ["nothingelse"]
    );
    assert!(m::header_values_in(&resp.headers, "Warning")[0].contains("nothingelse"));
    assert_eq!(w.core.devices("alice", w.now), 0);
}

#[test]
fn duplicated_single_value_headers_are_400_not_a_challenge() {
    let mut w = world();
    let mut a = phone("alice", 5071);
    for (n, extra) in [
        "Call-ID: other\r\n",
        "CSeq: 99 INVITE\r\n",
        "From: <sip:mallory@koppla>;tag=m\r\n",
        "To: <sip:carol@koppla>\r\n",
        "Content-Length: 0\r\n",
    ]
    .into_iter()
    .enumerate()
    {
        let req = a.request(
            "INVITE",
            "sip:1002@koppla",
            "<sip:1002@koppla>",
            "dup",
            extra,
            SDP_A,
            &format!("z9hG4bKdup{n}"),
        );
        let (code, resp) = refused(&mut w, &req, a.addr);
        assert_eq!(code, 400, "{extra}");
        assert!(
            m::header_values_in(&resp.headers, "Warning")[0].contains("appears 2 times"),
            "{resp:?}"
        );
    }
}

#[test]
fn an_invite_out_of_hops_is_483() {
    let mut w = world();
    let mut a = phone("alice", 5071);
    let mut b = phone("bob", 5081);
    assert_eq!(w.register(&mut b, PW), 200);
    let req = a.request(
        "INVITE",
        "sip:1002@koppla",
        "<sip:1002@koppla>",
        "mf0",
        "",
        SDP_A,
        "z9hG4bKmf0",
    );
    let req = String::from_utf8(req)
        .unwrap()
        .replace("Max-Forwards: 70", "Max-Forwards: 0");
    let (code, _) = refused(&mut w, req.as_bytes(), a.addr);
    assert_eq!(code, 483);
    // OPTIONS to the switch itself is answered even with no hops left (RFC 3261 11).
    let opt = a.request(
        "OPTIONS",
        "sip:koppla",
        "<sip:koppla>",
        "mf0o",
        "",
        "",
        "z9hG4bKo0",
    );
    let opt = String::from_utf8(opt)
        .unwrap()
        .replace("Max-Forwards: 70", "Max-Forwards: 0");
    let (code, _) = refused(&mut w, opt.as_bytes(), a.addr);
    assert_eq!(code, 200);
}

#[test]
fn an_unknown_method_is_501_with_allow() {
    let mut w = world();
    let a = phone("alice", 5071);
    let req = format!(
        "NEWMETHOD sip:1002@koppla SIP/2.0\r\nVia: SIP/2.0/UDP {a};branch=z9hG4bKnm\r\nMax-Forwards: 70\r\n\
From: <sip:alice@koppla>;tag=t\r\nTo: <sip:1002@koppla>\r\nCall-ID: nm\r\nCSeq: 1 NEWMETHOD\r\nContent-Length: 0\r\n\r\n",
        a = a.addr
    );
    // Read raw: the switch's own parser has no variant for the method in the answer's CSeq.
    w.core.handle(req.as_bytes(), a.addr, w.now);
    let out = w.core.poll_transmit().expect("an answer");
    assert!(w.core.poll_transmit().is_none());
    assert_eq!(out.to.addr, a.addr);
    let text = String::from_utf8(out.data).unwrap();
    assert!(
        text.starts_with("SIP/2.0 501 Not Implemented\r\n"),
        "{text}"
    );
    assert!(text.contains("\r\nAllow: INVITE, "), "{text}");
    assert!(text.contains("\r\nCSeq: 1 NEWMETHOD\r\n"), "{text}");
    assert!(text.contains("branch=z9hG4bKnm"), "{text}");
}

#[test]
fn an_oversized_request_is_513() {
    let mut w = world();
    let mut a = phone("alice", 5071);
    let padding = format!("X-Padding: {}\r\n", "a".repeat(m::MAX_MESSAGE_SIZE));
    let req = a.request(
        "OPTIONS",
        "sip:koppla",
        "<sip:koppla>",
        "big",
        &padding,
        "",
        "z9hG4bKbig",
    );
    let (code, _) = refused(&mut w, &req, a.addr);
    assert_eq!(code, 513);
}

/// The switch is no open relay: an in-dialog request for a dialog it neither record-routed nor
/// knows (RFC 5118 4.5's BYE to a bare IPv6 address) is answered "not here", never forwarded.
#[test]
fn an_in_dialog_request_for_no_dialog_of_ours_is_404_not_relayed() {
    let mut w = world();
    let bye = "BYE sip:[2001:db8::10] SIP/2.0\r\nTo: sip:user@example.com;tag=bcd47c32\r\n\
        From: sip:user@example.com;tag=81x2\r\n\
        Via: SIP/2.0/UDP [2001:db8::9:1];received=[2001:db8::9:255];branch=z9hG4bKrx\r\n\
        Call-ID: rx-delim\r\nMax-Forwards: 70\r\nCSeq: 321 BYE\r\nContent-Length: 0\r\n\r\n";
    let a = phone("alice", 5071);
    let (code, _) = refused(&mut w, bye.as_bytes(), a.addr);
    assert_eq!(code, 404);
}
