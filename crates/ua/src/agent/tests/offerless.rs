//! INVITEs without SDP (RFC 3261 13.2.1, RFC 3264): we offer in the 200, the answer comes in
//! the ACK. The peer here is hand-driven so the test controls exactly what it sends.

use super::*;
use koppla_media::sdp::{answer, SrtpPolicy};
use koppla_sip::{Dialog, Method, Response};

/// Everything `at` sent since the last drain, parsed.
fn drain(net: &mut Net, at: u16) -> Vec<SipMessage> {
    std::iter::from_fn(|| net.ua(at).poll_transmit())
        .map(|t| message::parse(&t.bytes).unwrap())
        .collect()
}

fn final_ok(msgs: &[SipMessage]) -> Response {
    msgs.iter()
        .find_map(|m| match m {
            SipMessage::Response(r) if message::status(r) == 200 => Some(r.clone()),
            _ => None,
        })
        .expect("a 200 OK")
}

fn media_remote(evs: &[UaEvent]) -> Option<SocketAddr> {
    evs.iter().find_map(|e| match e {
        UaEvent::Media { negotiated, .. } => Some(negotiated.remote_rtp),
        _ => None,
    })
}

fn prefs() -> CodecPrefs {
    CodecPrefs::from_list("pcma").unwrap()
}

#[test]
fn offerless_reinvite_is_answered_with_an_offer_and_the_ack_answer_applies() {
    let mut net = two_party();
    let (a, b) = establish(&mut net, 5070, 5080, "bob");
    net.events(5080);
    let now = net.now;
    // Alice's side of the dialog, used by hand: a re-INVITE with no body.
    let (via, contact) = (net.ua(5070).via(), net.ua(5070).contact());
    let reinvite = {
        let d = net
            .ua(5070)
            .calls
            .get_mut(&a)
            .unwrap()
            .dialog
            .as_mut()
            .unwrap();
        d.request(Method::Invite, &via, &[("Contact", contact)], Vec::new())
            .unwrap()
    };
    let cseq = message::cseq(&SipMessage::Request(reinvite.clone()))
        .unwrap()
        .0;
    net.ua(5080).handle_incoming(
        SipMessage::Request(reinvite),
        addr(5070),
        Transport::Udp,
        now,
    );
    let ok = final_ok(&drain(&mut net, 5080));
    let offer = String::from_utf8_lossy(&ok.body).into_owned();
    assert!(
        offer.contains("m=audio 6080 "),
        "bob offers in the 200:\n{offer}"
    );
    assert!(offer.contains("a=sendrecv"));
    assert!(
        media_remote(&net.events(5080)).is_none(),
        "no media change before the answer"
    );

    // The answer moves Alice's media to a new port; Bob must follow.
    let (ans, _) = answer(&offer, &prefs(), addr(6170), SrtpPolicy::Off).unwrap();
    let ack = {
        let d = net.ua(5070).calls[&a].dialog.clone().unwrap();
        d.ack(cseq, &via, ans.into_bytes()).unwrap()
    };
    net.ua(5080)
        .handle_incoming(SipMessage::Request(ack), addr(5070), Transport::Udp, now);
    let bev = net.events(5080);
    assert_eq!(media_remote(&bev), Some(addr(6170)));
    assert_eq!(net.ua(5080).call_state(b), Some(CallState::Established));
}

/// Hand-made INVITE from a UAC at 5070 with no body.
fn offerless_invite(net: &mut Net) -> Request {
    let via = net.ua(5070).via();
    let headers = vec![
        ("Via", via),
        ("Max-Forwards", "70".to_string()),
        ("From", "<sip:alice@127.0.0.1>;tag=uac1".to_string()),
        ("To", "<sip:bob@127.0.0.1:5080>".to_string()),
        ("Call-ID", "offerless-1".to_string()),
        ("CSeq", "1 INVITE".to_string()),
        ("Contact", "<sip:alice@127.0.0.1:5070>".to_string()),
    ];
    message::new_request(
        Method::Invite,
        "sip:bob@127.0.0.1:5080",
        &headers,
        Vec::new(),
    )
    .unwrap()
}

/// Bob gets an INVITE without SDP and answers; returns the INVITE, Bob's call and the 200.
fn answer_offerless(net: &mut Net) -> (Request, CallId, Response) {
    let now = net.now;
    let invite = offerless_invite(net);
    net.ua(5080).handle_incoming(
        SipMessage::Request(invite.clone()),
        addr(5070),
        Transport::Udp,
        now,
    );
    let b = net
        .events(5080)
        .iter()
        .find_map(|e| match e {
            UaEvent::Incoming { call, .. } => Some(*call),
            _ => None,
        })
        .expect("incoming");
    drain(net, 5080);
    net.ua(5080).answer(b, addr(6080), now).unwrap();
    let ok = final_ok(&drain(net, 5080));
    (invite, b, ok)
}

#[test]
fn offerless_invite_gets_our_offer_and_media_starts_on_the_ack() {
    let mut net = two_party();
    let now = net.now;
    let (invite, b, ok) = answer_offerless(&mut net);
    let offer = String::from_utf8_lossy(&ok.body).into_owned();
    assert!(
        offer.contains("m=audio 6080 "),
        "offer in the 200:\n{offer}"
    );
    let bev = net.events(5080);
    assert!(media_remote(&bev).is_none(), "media waits for the answer");
    assert_eq!(last_state(&bev), Some((CallState::Established, None)));

    let (ans, _) = answer(&offer, &prefs(), addr(6070), SrtpPolicy::Off).unwrap();
    let via = net.ua(5070).via();
    let ack = Dialog::from_uac(&invite, &ok)
        .unwrap()
        .ack(1, &via, ans.into_bytes())
        .unwrap();
    net.ua(5080)
        .handle_incoming(SipMessage::Request(ack), addr(5070), Transport::Udp, now);
    assert_eq!(media_remote(&net.events(5080)), Some(addr(6070)));
    assert_eq!(net.ua(5080).call_state(b), Some(CallState::Established));
}

#[test]
fn ack_without_the_answer_ends_an_offerless_call() {
    let mut net = two_party();
    let now = net.now;
    let (invite, b, ok) = answer_offerless(&mut net);
    net.events(5080);
    let via = net.ua(5070).via();
    let ack = Dialog::from_uac(&invite, &ok)
        .unwrap()
        .ack(1, &via, Vec::new())
        .unwrap();
    net.ua(5080)
        .handle_incoming(SipMessage::Request(ack), addr(5070), Transport::Udp, now);
    let bev = net.events(5080);
    assert!(bev
        .iter()
        .any(|e| matches!(e, UaEvent::Error { message } if message.contains("no answer"))));
    assert_eq!(
        last_state(&bev),
        Some((CallState::Ended, Some("incompatible_media".into())))
    );
    assert!(net.ua(5080).call_state(b).is_none());
    let sent = drain(&mut net, 5080);
    assert!(sent
        .iter()
        .any(|m| matches!(m, SipMessage::Request(r) if r.method == Method::Bye)));
}
