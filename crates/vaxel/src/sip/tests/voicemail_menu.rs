//! The voicemail number in the sans-IO core (decision 0509): who logs in how, the SDP answer
//! offering telephone-event, and the switch hanging up when the menu is done.

use super::*;
use koppla_sip::rsip::Method;

fn answer_of(out: &[(SocketAddr, SipMessage)], to: SocketAddr) -> koppla_sip::rsip::Response {
    out.iter()
        .find_map(|(dest, msg)| match msg {
            SipMessage::Response(r) if *dest == to && m::status(r) == 200 => Some(r.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no 200 OK: {out:?}"))
}

fn media_log(w: &World) -> Vec<String> {
    w.media.0.lock().unwrap().clone()
}

/// A switch that keeps voicemail, with a trunk at 127.0.0.1:5090.
fn world_with_voicemail_and_trunk() -> World {
    let mut w = world();
    let cfg = CoreConfig {
        local: SWITCH.parse().unwrap(),
        local_tcp: None,
        local_tls: None,
        realm: "koppla".into(),
        algorithms: vec![Algorithm::Md5],
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
        calls: crate::sip::CallPolicy {
            voicemail: true,
            ..Default::default()
        },
    };
    w.core = SipCore::new(
        cfg,
        Directory::new(vec![user("alice", "1001"), user("bob", "1002")]),
        Activities::new(default_activities()),
        Box::new(w.media.clone()),
        w.now,
        1_800_000_000,
    );
    w
}

#[test]
fn own_phone_opens_its_mailbox_and_the_answer_offers_telephone_event() {
    let mut w = world_with_voicemail_and_trunk();
    let mut a = phone("alice", 5071);
    let out = invite(&mut w, &mut a, "8000", "vm-in");
    let ok = answer_of(&out, a.addr);
    let sdp = String::from_utf8(ok.body.clone()).unwrap();
    assert!(sdp.contains("m=audio 45000 RTP/AVP 0 101\r\n"), "{sdp}");
    assert!(
        sdp.contains("a=rtpmap:101 telephone-event/8000\r\n"),
        "{sdp}"
    );
    assert!(sdp.contains("a=fmtp:101 0-15\r\n"), "{sdp}");
    assert!(
        koppla_media::sdp::SessionDescription::parse(&sdp).is_ok(),
        "the answer is valid SDP for the UA's own parser"
    );
    assert!(
        media_log(&w).contains(&"voicemail_menu vm-in 0 Some(101) Owner(\"alice\")".to_string()),
        "{:?}",
        media_log(&w)
    );
    // The menu says goodbye: the switch hangs up with a BYE to alice's phone.
    w.core.announcement_done("vm-in", w.now);
    let out = w.drain();
    assert!(
        out.iter().any(|(to, msg)| *to == a.addr
            && matches!(msg, SipMessage::Request(r) if r.method == Method::Bye)),
        "{out:?}"
    );
    assert!(media_log(&w).contains(&"release vm-in".to_string()));
}

#[test]
fn a_trunk_caller_claiming_to_be_a_user_must_give_mailbox_and_pin() {
    let mut w = world_with_voicemail_and_trunk();
    let trunk: SocketAddr = "127.0.0.1:5090".parse().unwrap();
    // From says alice, but nothing authenticated it: no way into her mailbox without a PIN.
    let sdp = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 8 96\r\na=rtpmap:96 telephone-event/8000\r\n";
    let inbound = format!(
        "INVITE sip:8000@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP {trunk};branch=z9hG4bKvmt\r\nMax-Forwards: 70\r\n\
From: <sip:alice@trunk.example.net>;tag=tr\r\nTo: <sip:8000@127.0.0.1>\r\nCall-ID: vm-trunk\r\nCSeq: 1 INVITE\r\n\
Contact: <sip:alice@{trunk}>\r\nContent-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{sdp}",
        sdp.len()
    );
    let out = w.feed(inbound.as_bytes(), trunk);
    let ok = answer_of(&out, trunk);
    let answer = String::from_utf8(ok.body.clone()).unwrap();
    assert!(
        answer.contains("m=audio 45000 RTP/AVP 8 96\r\n"),
        "{answer}"
    );
    assert!(media_log(&w).contains(&"voicemail_menu vm-trunk 8 Some(96) Ask".to_string()));
}

#[test]
fn without_telephone_event_in_the_offer_the_answer_has_none() {
    let mut w = world_with_voicemail_and_trunk();
    let mut a = phone("alice", 5071);
    let sdp = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n";
    let out = invite_on(&mut w, &mut a, "8000", "vm-plain", "", sdp, "");
    let answer = String::from_utf8(answer_of(&out, a.addr).body).unwrap();
    assert!(answer.contains("m=audio 45000 RTP/AVP 0\r\n"), "{answer}");
    assert!(!answer.contains("telephone-event"));
    assert!(media_log(&w).contains(&"voicemail_menu vm-plain 0 None Owner(\"alice\")".to_string()));
}

#[test]
fn the_number_is_only_special_where_voicemail_is_kept() {
    let mut w = world();
    let mut a = phone("alice", 5071);
    let out = invite(&mut w, &mut a, "8000", "vm-none");
    assert!(out.iter().any(|(_, msg)| matches!(msg,
        SipMessage::Response(r) if m::status(r) == 404)));
    assert!(!media_log(&w)
        .iter()
        .any(|l| l.starts_with("voicemail_menu")));
    // A configured number of another shape is matched as a number ("80 00" is "8000").
    let mut w = world_with_voicemail_and_trunk();
    w.core.cfg.calls.voicemail_number = "80 00".into();
    let out = invite(&mut w, &mut a, "8000", "vm-spaced");
    answer_of(&out, a.addr);
}
