//! Calls through the proxy: forking, relay, CANCEL, 480 and missed calls, auth, local services, diversion.

use super::*;

#[test]
fn call_forks_to_all_devices_relays_media_and_cancels_the_rest() {
    let mut w = world();
    let mut a = phone("alice", 5071);
    let mut b1 = phone("bob", 5081);
    let mut b2 = phone("bob", 5082);
    assert_eq!(w.register(&mut b1, PW), 200);
    assert_eq!(w.register(&mut b2, PW), 200);
    let out = invite(&mut w, &mut a, "1002", "call-1");
    assert_eq!(response(&out, 0).1, 100);
    let forks: Vec<_> = out[1..]
        .iter()
        .filter_map(|(to, msg)| match msg {
            SipMessage::Request(r) => Some((*to, r.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(forks.len(), 2, "INVITE forked to both of bob's devices");
    let dests: Vec<SocketAddr> = forks.iter().map(|(d, _)| *d).collect();
    assert!(dests.contains(&b1.addr) && dests.contains(&b2.addr));
    let (_, inv) = &forks[0];
    let body = String::from_utf8(inv.body.clone()).unwrap();
    assert!(
        body.contains("c=IN IP4 127.0.0.1") && body.contains("m=audio 40002 "),
        "offer points at the relay: {body}"
    );
    assert!(m::header_values_in(&inv.headers, "Record-Route")[0].contains("127.0.0.1:5060;lr"));
    assert_eq!(m::header_values_in(&inv.headers, "Via").len(), 2);
    assert!(m::header_values_in(&inv.headers, "Proxy-Authorization").is_empty());

    // Device 1 rings, device 2 answers.
    let resp_text = |r: &koppla_sip::rsip::Request,
                     code: u16,
                     reason: &str,
                     tag: &str,
                     body: &str,
                     contact_port: u16| {
        let mut s = format!("SIP/2.0 {code} {reason}\r\n");
        for v in m::header_values_in(&r.headers, "Via") {
            s.push_str(&format!("Via: {v}\r\n"));
        }
        for rr in m::header_values_in(&r.headers, "Record-Route") {
            s.push_str(&format!("Record-Route: {rr}\r\n"));
        }
        s.push_str(&format!(
            "From: {}\r\nTo: {};tag={tag}\r\nCall-ID: call-1\r\nCSeq: {}\r\nContact: <sip:bob@127.0.0.1:{contact_port}>\r\n",
            m::header_values_in(&r.headers, "From")[0],
            m::header_values_in(&r.headers, "To")[0],
            m::header_values_in(&r.headers, "CSeq")[0]
        ));
        if !body.is_empty() {
            s.push_str("Content-Type: application/sdp\r\n");
        }
        s.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
        s.into_bytes()
    };
    let (d1, inv1) = forks.iter().find(|(d, _)| *d == b1.addr).unwrap().clone();
    let (d2, inv2) = forks.iter().find(|(d, _)| *d == b2.addr).unwrap().clone();
    let out = w.feed(&resp_text(&inv1, 180, "Ringing", "b1", "", 5081), d1);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].0, a.addr);
    assert_eq!(response(&out, 0).1, 180);
    assert_eq!(
        m::header_values_in(&response(&out, 0).2.headers, "Via").len(),
        1,
        "our Via removed"
    );

    let out = w.feed(&resp_text(&inv2, 200, "OK", "b2", SDP_B, 5082), d2);
    let ok = out
        .iter()
        .find(|(to, _)| *to == a.addr)
        .expect("200 goes to alice");
    let SipMessage::Response(okr) = &ok.1 else {
        panic!()
    };
    assert_eq!(m::status(okr), 200);
    let body = String::from_utf8(okr.body.clone()).unwrap();
    assert!(
        body.contains("m=audio 40000 ") && !body.contains("192.168"),
        "answer points at the relay: {body}"
    );
    let cancel = out.iter().find(|(to, msg)| {
        *to == b1.addr && matches!(msg, SipMessage::Request(r) if r.method.to_string() == "CANCEL")
    });
    let Some((_, SipMessage::Request(cancel))) = cancel else {
        panic!("ringing device gets CANCEL: {out:?}")
    };
    assert_eq!(
        m::header_values_in(&cancel.headers, "Reason"),
        [koppla_sip::reason::COMPLETED_ELSEWHERE],
        "the other device logs the ring as answered elsewhere (RFC 3326)"
    );
    let log = w.media.0.lock().unwrap().clone();
    assert!(
        log.iter()
            .any(|l| l.starts_with("relay call-1 true Some(192.168.1.10:4000)")),
        "{log:?}"
    );
    assert!(
        log.iter()
            .any(|l| l.starts_with("relay call-1 false Some(192.168.1.20:5000)")),
        "{log:?}"
    );

    // BYE from alice is routed to bob's second device via the Record-Route.
    let bye = format!(
        "BYE sip:bob@127.0.0.1:5082 SIP/2.0\r\nVia: SIP/2.0/UDP {a};branch=z9hG4bKbye\r\nRoute: <sip:127.0.0.1:5060;lr>\r\nMax-Forwards: 70\r\n\
From: <sip:alice@koppla>;tag=t-alice\r\nTo: <sip:1002@koppla>;tag=b2\r\nCall-ID: call-1\r\nCSeq: 9 BYE\r\nContent-Length: 0\r\n\r\n",
        a = a.addr
    );
    let out = w.feed(bye.as_bytes(), a.addr);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].0, b2.addr);
    let SipMessage::Request(fwd) = &out[0].1 else {
        panic!()
    };
    assert!(
        m::header_values_in(&fwd.headers, "Route").is_empty(),
        "our Route entry is consumed"
    );
    // bob answers the BYE; the 200 returns to alice.
    let mut ok = "SIP/2.0 200 OK\r\n".to_string();
    for v in m::header_values_in(&fwd.headers, "Via") {
        ok.push_str(&format!("Via: {v}\r\n"));
    }
    ok.push_str("From: <sip:alice@koppla>;tag=t-alice\r\nTo: <sip:1002@koppla>;tag=b2\r\nCall-ID: call-1\r\nCSeq: 9 BYE\r\nContent-Length: 0\r\n\r\n");
    let out = w.feed(ok.as_bytes(), b2.addr);
    assert_eq!(out[0].0, a.addr);
    assert!(w
        .media
        .0
        .lock()
        .unwrap()
        .iter()
        .any(|l| l == "release call-1"));
}

#[test]
fn unregistered_user_gives_480_and_missed_call() {
    let mut w = world();
    let mut a = phone("alice", 5071);
    let out = invite(&mut w, &mut a, "carol", "c2");
    let codes: Vec<u16> = (0..out.len()).map(|i| response(&out, i).1).collect();
    assert_eq!(codes, vec![100, 480]);
    assert!(
        matches!(w.core.poll_event(), Some(CoreEvent::MissedCall { ref username, .. }) if username == "carol")
    );
    let out = invite(&mut w, &mut a, "nobody", "c3");
    assert_eq!(response(&out, 1).1, 404);
}

#[test]
fn wrong_password_on_invite_is_forbidden() {
    let mut w = world();
    let mut a = phone("alice", 5071);
    let uri = "sip:bob@koppla";
    let first = a.request(
        "INVITE",
        uri,
        "<sip:bob@koppla>",
        "c9",
        "",
        SDP_A,
        "z9hG4bKw1",
    );
    let out = w.feed(&first, a.addr);
    let ch = m::header_values_in(&response(&out, 0).2.headers, "Proxy-Authenticate")
        .into_iter()
        .find(|c| c.contains("MD5"))
        .unwrap();
    let auth = a.auth_header("Proxy-Authorization", "INVITE", uri, &ch, "bad");
    let second = a.request(
        "INVITE",
        uri,
        "<sip:bob@koppla>",
        "c9",
        &auth,
        SDP_A,
        "z9hG4bKw2",
    );
    let out = w.feed(&second, a.addr);
    assert_eq!(response(&out, 0).1, 403);
}

#[test]
fn echo_and_whoami_are_answered_locally() {
    let mut w = world();
    let mut a = phone("alice", 5071);
    let out = invite(&mut w, &mut a, "9999", "echo-1");
    let (_, code, r) = response(&out, 1);
    assert_eq!(code, 200);
    assert!(String::from_utf8_lossy(&r.body).contains("m=audio 41000 RTP/AVP 0"));
    let out = invite(&mut w, &mut a, "9998", "who-1");
    assert_eq!(response(&out, 1).1, 200);
    let log = w.media.0.lock().unwrap().clone();
    assert!(
        log.iter().any(|l| l
            .starts_with("announce who-1 0 You are user alice, alice N. Your number is 1 0 0 1.")),
        "{log:?}"
    );
    // the announcement ends: the switch hangs up with BYE to alice
    w.core.announcement_done("who-1", w.now);
    let out = w.drain();
    let SipMessage::Request(bye) = &out[0].1 else {
        panic!()
    };
    assert_eq!(bye.method.to_string(), "BYE");
    assert_eq!(out[0].0, a.addr);
}

#[test]
fn unreachable_activity_diverts_or_announces() {
    let mut w = world();
    let mut a = phone("alice", 5071);
    w.core.activity_changed(
        "bob",
        ActivityChoice {
            activity_id: "lunch".into(),
            until: None,
            note: Some("Back at one".into()),
        },
        w.now,
    );
    let out = invite(&mut w, &mut a, "bob", "un-1");
    assert_eq!(response(&out, 1).1, 200, "announcement answers");
    assert!(w
        .media
        .0
        .lock()
        .unwrap()
        .iter()
        .any(|l| l.contains("bob N is not available: Lunch. Back at one")));
}

/// A CANCEL from the caller travels on with the caller's own `Reason`, so the callee's phone can
/// tell "answered elsewhere" from "the caller gave up"; without one, none is made up.
#[test]
fn caller_cancel_carries_its_reason_to_the_callee() {
    for reason in [Some(koppla_sip::reason::COMPLETED_ELSEWHERE), None] {
        let mut w = world();
        let mut a = phone("alice", 5071);
        let mut b = phone("bob", 5081);
        assert_eq!(w.register(&mut b, PW), 200);
        let out = invite(&mut w, &mut a, "1002", "call-c");
        assert!(
            out.iter().any(|(to, _)| *to == b.addr),
            "bob rings: {out:?}"
        );
        let cancel = format!(
            "CANCEL sip:1002@koppla SIP/2.0\r\nVia: SIP/2.0/UDP {a};branch=z9hG4bKinv2;rport\r\nMax-Forwards: 70\r\n\
From: <sip:alice@koppla>;tag=t-alice\r\nTo: <sip:1002@koppla>\r\nCall-ID: call-c\r\nCSeq: {c} CANCEL\r\n{r}Content-Length: 0\r\n\r\n",
            a = a.addr,
            c = a.cseq,
            r = reason.map(|r| format!("Reason: {r}\r\n")).unwrap_or_default()
        );
        let out = w.feed(cancel.as_bytes(), a.addr);
        assert_eq!(response(&out, 0).1, 200, "the CANCEL is confirmed: {out:?}");
        let fwd = out
            .iter()
            .find_map(|(to, msg)| match msg {
                SipMessage::Request(r) if *to == b.addr && r.method.to_string() == "CANCEL" => {
                    Some(r.clone())
                }
                _ => None,
            })
            .expect("bob's phone gets the CANCEL");
        assert_eq!(
            m::header_values_in(&fwd.headers, "Reason"),
            reason.map(str::to_string).into_iter().collect::<Vec<_>>()
        );
    }
}
