//! Timeouts, the trunk, in-dialog requests, relay cleanup, loops, and From checks.

use super::*;

#[test]
fn invite_without_answer_times_out_with_408() {
    let mut w = world();
    let mut a = phone("alice", 5071);
    let mut b = phone("bob", 5081);
    assert_eq!(w.register(&mut b, PW), 200);
    let out = invite(&mut w, &mut a, "bob", "to-1");
    assert_eq!(out.len(), 2);
    // retransmissions follow timer A
    w.now += Duration::from_millis(600);
    w.core.tick(w.now);
    let out = w.drain();
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].0, b.addr);
    for _ in 0..40 {
        w.now += Duration::from_secs(1);
        w.core.tick(w.now);
    }
    let out = w.drain();
    let last = out
        .iter()
        .rev()
        .find(|(to, _)| *to == a.addr)
        .expect("final response to alice");
    let SipMessage::Response(r) = &last.1 else {
        panic!()
    };
    assert_eq!(m::status(r), 408);
}

fn world_with_trunk() -> World {
    let mut w = world();
    let media = w.media.clone();
    let cfg = CoreConfig {
        local: SWITCH.parse().unwrap(),
        local_tcp: None,
        local_tls: None,
        realm: "koppla".into(),
        algorithms: vec![Algorithm::Sha256, Algorithm::Md5],
        numbering: Numbering {
            echo: "9999".into(),
            whoami: "9998".into(),
            has_trunk: true,
        },
        max_expires: 3600,
        trunk: Some((
            "sip:trunk.example.net:5090".into(),
            "127.0.0.1:5090".parse().unwrap(),
        )),
        calls: Default::default(),
    };
    let dir = Directory::new(vec![user("alice", "1001"), user("bob", "1002")]);
    w.core = SipCore::new(
        cfg,
        dir,
        Activities::new(default_activities()),
        Box::new(media),
        w.now,
        1_800_000_000,
    );
    w
}

#[test]
fn unknown_numbers_go_out_through_the_trunk_and_trunk_calls_come_in() {
    let mut w = world_with_trunk();
    let mut a = phone("alice", 5071);
    let out = invite(&mut w, &mut a, "0046701234567", "trunk-1");
    let fwd = out
        .iter()
        .find_map(|(to, msg)| match msg {
            SipMessage::Request(r) => Some((*to, r.clone())),
            _ => None,
        })
        .expect("forwarded");
    assert_eq!(fwd.0, "127.0.0.1:5090".parse::<SocketAddr>().unwrap());
    assert_eq!(
        fwd.1.uri.to_string(),
        "sip:+46701234567@trunk.example.net:5090"
    );

    // A call from the trunk's address to bob's short number needs no credentials.
    let mut b = phone("bob", 5081);
    assert_eq!(w.register(&mut b, PW), 200);
    let trunk_addr: SocketAddr = "127.0.0.1:5090".parse().unwrap();
    let inbound = format!(
        "INVITE sip:1002@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP {trunk_addr};branch=z9hG4bKtr1\r\nMax-Forwards: 70\r\n\
From: <sip:+4631000000@trunk.example.net>;tag=tr\r\nTo: <sip:1002@127.0.0.1>\r\nCall-ID: in-1\r\nCSeq: 1 INVITE\r\n\
Contact: <sip:+4631000000@{trunk_addr}>\r\nContent-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{SDP_A}",
        SDP_A.len()
    );
    let out = w.feed(inbound.as_bytes(), trunk_addr);
    assert_eq!(response(&out, 0).1, 100);
    assert!(
        out.iter()
            .any(|(to, msg)| *to == b.addr && matches!(msg, SipMessage::Request(_))),
        "bob's phone rings"
    );
}

#[test]
fn in_dialog_reinvite_is_relayed_with_rewritten_sdp() {
    let mut w = world();
    let mut b = phone("bob", 5081);
    assert_eq!(w.register(&mut b, PW), 200);
    let mut a = phone("alice", 5071);
    let _ = invite(&mut w, &mut a, "bob", "hold-1");
    w.media.0.lock().unwrap().clear();
    // bob puts alice on hold: a re-INVITE from the callee side, routed via the switch.
    let hold_sdp = SDP_B.replace(
        "m=audio 5000 RTP/AVP 0\r\n",
        "m=audio 5000 RTP/AVP 0\r\na=sendonly\r\n",
    );
    let reinvite = format!(
        "INVITE sip:alice@{a} SIP/2.0\r\nVia: SIP/2.0/UDP {b};branch=z9hG4bKre1\r\nRoute: <sip:127.0.0.1:5060;lr>\r\nMax-Forwards: 70\r\n\
From: <sip:bob@koppla>;tag=bt\r\nTo: <sip:alice@koppla>;tag=t-alice\r\nCall-ID: hold-1\r\nCSeq: 5 INVITE\r\n\
Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{hold_sdp}",
        hold_sdp.len(),
        a = a.addr,
        b = b.addr
    );
    let out = w.feed(reinvite.as_bytes(), b.addr);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].0, a.addr, "routed to alice's device");
    let SipMessage::Request(r) = &out[0].1 else {
        panic!()
    };
    let body = String::from_utf8_lossy(&r.body).to_string();
    assert!(
        body.contains("a=sendonly") && body.contains("m=audio 40000 "),
        "{body}"
    );
    let log = w.media.0.lock().unwrap().clone();
    assert_eq!(
        log,
        vec!["relay hold-1 false Some(192.168.1.20:5000)".to_string()],
        "callee leg updated"
    );
}

#[test]
fn abandoned_calls_release_their_relay() {
    let mut w = world();
    let mut b = phone("bob", 5081);
    assert_eq!(w.register(&mut b, PW), 200);
    let mut a = phone("alice", 5071);
    let out = invite(&mut w, &mut a, "bob", "lost-1");
    let fwd = out
        .iter()
        .find_map(|(_, msg)| match msg {
            SipMessage::Request(r) => Some(r.clone()),
            _ => None,
        })
        .expect("forwarded INVITE");
    let mut ok = "SIP/2.0 200 OK\r\n".to_string();
    for v in m::header_values_in(&fwd.headers, "Via") {
        ok.push_str(&format!("Via: {v}\r\n"));
    }
    ok.push_str(&format!(
        "From: <sip:alice@koppla>;tag=t-alice\r\nTo: <sip:bob@koppla>;tag=bb\r\nCall-ID: lost-1\r\nCSeq: {}\r\n\
Contact: <sip:bob@{}>\r\nContent-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{SDP_B}",
        m::header_values_in(&fwd.headers, "CSeq")[0],
        b.addr,
        SDP_B.len()
    ));
    let out = w.feed(ok.as_bytes(), b.addr);
    assert!(
        out.iter().any(|(to, _)| *to == a.addr),
        "200 relayed to alice"
    );
    w.now += Duration::from_secs(11 * 3600);
    w.core.tick(w.now);
    assert!(
        !w.media
            .0
            .lock()
            .unwrap()
            .iter()
            .any(|l| l == "release lost-1"),
        "answered call keeps its relay"
    );
    w.now += Duration::from_secs(3600);
    w.core.tick(w.now);
    assert!(w
        .media
        .0
        .lock()
        .unwrap()
        .iter()
        .any(|l| l == "release lost-1"));
}

#[test]
fn ack_for_a_stateless_challenge_is_not_looped_back_to_the_switch() {
    let mut w = world();
    let mut alice = phone("alice", 6001);
    assert_eq!(w.register(&mut alice, PW), 200);
    // The ACK for a 407 carries the dialled number at the switch's own address.
    let ack = alice.request(
        "ACK",
        &format!("sip:1002@{SWITCH}"),
        "<sip:1002@koppla>;tag=challenge",
        "loop-1",
        "",
        "",
        "z9hG4bKloop1",
    );
    assert!(
        w.feed(&ack, alice.addr).is_empty(),
        "absorbed, not forwarded"
    );
    // An in-dialog request aimed at the switch itself, for no dialog it knows, is answered
    // (404, "not here") instead of looping or being relayed.
    let bye = alice.request(
        "BYE",
        &format!("sip:bob@{SWITCH}"),
        "<sip:bob@koppla>;tag=x",
        "loop-2",
        "",
        "",
        "z9hG4bKloop2",
    );
    let out = w.feed(&bye, alice.addr);
    assert_eq!(out.len(), 1);
    assert_eq!(response(&out, 0).1, 404);
    // A request arriving from the switch's own address never rebinds a contact to it.
    let from_self = alice.request(
        "OPTIONS",
        "sip:koppla",
        "<sip:koppla>",
        "self-1",
        "",
        "",
        "z9hG4bKself",
    );
    w.feed(&from_self, SWITCH.parse().unwrap());
    assert_eq!(
        w.core.resolve_dest(&format!("sip:alice@{}", alice.addr)),
        Some(crate::sip::flow::Flow::udp(alice.addr))
    );
}

#[test]
fn a_caller_may_send_its_own_numbers_as_from_but_not_someone_elses() {
    let mut w = world();
    let mut b = phone("bob", 5081);
    assert_eq!(w.register(&mut b, PW), 200);
    let mut a = phone("alice", 5071);
    for (from, expected) in [("1001", 100), ("alice", 100), ("1003", 403), ("carol", 403)] {
        let call_id = format!("own-number-{from}");
        let uri = "sip:1002@koppla";
        let to = format!("<{uri}>");
        let from_header = format!("From: <sip:{from}@koppla>");
        let swap = |req: Vec<u8>| {
            String::from_utf8(req)
                .expect("utf-8")
                .replace("From: <sip:alice@koppla>", &from_header)
                .into_bytes()
        };
        let first = swap(a.request(
            "INVITE",
            uri,
            &to,
            &call_id,
            "",
            SDP_A,
            &format!("z9hG4bKo1{from}"),
        ));
        let out = w.feed(&first, a.addr);
        let (_, code, r) = response(&out, 0);
        assert_eq!(code, 407);
        let challenge = m::header_values_in(&r.headers, "Proxy-Authenticate")
            .into_iter()
            .find(|c| c.contains("MD5"))
            .expect("MD5 challenge");
        let auth = a.auth_header("Proxy-Authorization", "INVITE", uri, &challenge, PW);
        let second = swap(a.request(
            "INVITE",
            uri,
            &to,
            &call_id,
            &auth,
            SDP_A,
            &format!("z9hG4bKo2{from}"),
        ));
        let out = w.feed(&second, a.addr);
        assert_eq!(response(&out, 0).1, expected, "From {from}");
    }
}
