//! Ring timeout to voicemail in the sans-IO core: the switch cancels the ringing phone, answers
//! the caller itself, records the missed call, and hangs up a phone that answers too late.

use super::*;
use koppla_sip::rsip::Method;

fn reply_to(r: &koppla_sip::rsip::Request, code: u16, tag: &str, body: &str) -> Vec<u8> {
    let mut s = format!("SIP/2.0 {code} X\r\n");
    for v in m::header_values_in(&r.headers, "Via") {
        s.push_str(&format!("Via: {v}\r\n"));
    }
    s.push_str(&format!(
        "From: {}\r\nTo: {};tag={tag}\r\nCall-ID: {}\r\nCSeq: {}\r\nContact: <sip:bob@127.0.0.1:5081>\r\n",
        m::header_values_in(&r.headers, "From")[0],
        m::header_values_in(&r.headers, "To")[0],
        m::header_values_in(&r.headers, "Call-ID")[0],
        m::header_values_in(&r.headers, "CSeq")[0]
    ));
    if !body.is_empty() {
        s.push_str("Content-Type: application/sdp\r\n");
    }
    s.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    s.into_bytes()
}

fn requests(out: &[(SocketAddr, SipMessage)]) -> Vec<(SocketAddr, koppla_sip::rsip::Request)> {
    out.iter()
        .filter_map(|(to, msg)| match msg {
            SipMessage::Request(r) => Some((*to, r.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn unanswered_call_goes_to_voicemail_and_a_late_answer_is_hung_up() {
    let mut w = world();
    w.core.cfg.calls.voicemail = true;
    w.core.cfg.calls.ring_timeout = Duration::from_secs(2);
    let mut a = phone("alice", 5071);
    let mut b = phone("bob", 5081);
    assert_eq!(w.register(&mut b, PW), 200);
    while w.core.poll_event().is_some() {}
    let out = invite(&mut w, &mut a, "1002", "call-vm");
    let (_, inv) = requests(&out).pop().expect("INVITE forwarded to bob");
    let out = w.feed(&reply_to(&inv, 180, "b1", ""), b.addr);
    assert_eq!(response(&out, 0).1, 180);

    // Still ringing just before the timeout.
    w.now += Duration::from_millis(1900);
    w.core.tick(w.now);
    assert!(w
        .drain()
        .iter()
        .all(|(_, m)| !matches!(m, SipMessage::Request(r) if r.method == Method::Cancel)));

    w.now += Duration::from_millis(200);
    w.core.tick(w.now);
    let out = w.drain();
    let cancel = requests(&out)
        .into_iter()
        .find(|(to, r)| *to == b.addr && r.method == Method::Cancel);
    assert!(cancel.is_some(), "bob's phone stops ringing: {out:?}");
    let ok = out
        .iter()
        .find_map(|(to, msg)| match msg {
            SipMessage::Response(r) if *to == a.addr && m::status(r) == 200 => Some(r.clone()),
            _ => None,
        })
        .expect("the switch answers alice");
    assert!(m::header_values_in(&ok.headers, "Contact")[0].contains("sip:vaxel@"));
    assert!(w
        .media
        .0
        .lock()
        .unwrap()
        .iter()
        .any(|l| l == "voicemail call-vm 0 bob alice"));
    assert_eq!(
        w.next_event(),
        Some(CoreEvent::MissedCall {
            username: "bob".into(),
            from: "alice".into()
        })
    );

    // bob picks up a moment too late: the switch ACKs and hangs up; alice hears nothing of it.
    let out = w.feed(&reply_to(&inv, 200, "b1", SDP_B), b.addr);
    let sent = requests(&out);
    assert_eq!(
        sent.iter()
            .map(|(to, r)| (*to, r.method))
            .collect::<Vec<_>>(),
        vec![(b.addr, Method::Ack), (b.addr, Method::Bye)],
        "{out:?}"
    );
    let bye = &sent[1].1;
    assert_eq!(bye.uri.to_string(), "sip:bob@127.0.0.1:5081");
    assert!(m::header_values_in(&bye.headers, "To")[0].contains("tag=b1"));
    assert!(out.iter().all(|(to, _)| *to != a.addr));
}

#[test]
fn without_voicemail_a_call_that_rings_out_is_480_and_missed() {
    let mut w = world();
    w.core.cfg.calls.ring_timeout = Duration::from_secs(2);
    let mut a = phone("alice", 5071);
    let mut b = phone("bob", 5081);
    assert_eq!(w.register(&mut b, PW), 200);
    while w.core.poll_event().is_some() {}
    let out = invite(&mut w, &mut a, "1002", "call-out");
    let (_, inv) = requests(&out).pop().expect("INVITE forwarded to bob");
    w.feed(&reply_to(&inv, 180, "b1", ""), b.addr);
    w.now += Duration::from_secs(3);
    w.core.tick(w.now);
    let out = w.drain();
    assert!(requests(&out)
        .iter()
        .any(|(to, r)| *to == b.addr && r.method == Method::Cancel));
    let out = w.feed(&reply_to(&inv, 487, "b1", ""), b.addr);
    let to_alice: Vec<u16> = out
        .iter()
        .filter_map(|(to, msg)| match msg {
            SipMessage::Response(r) if *to == a.addr => Some(m::status(r)),
            _ => None,
        })
        .collect();
    assert_eq!(to_alice, vec![480], "the caller did not cancel: {out:?}");
    assert_eq!(
        w.next_event(),
        Some(CoreEvent::MissedCall {
            username: "bob".into(),
            from: "alice".into()
        })
    );
    assert_eq!(w.next_event(), None, "recorded once");
}
