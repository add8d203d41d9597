//! Decision 0303 on a fake clock: once registered, the agent takes out-of-dialog requests only
//! from its registrar. A stranger's INVITE gets 403 and never rings; the same INVITE from the
//! registrar rings; the peer's in-dialog BYE still works; `accept_direct_requests` (or never
//! registering) lets anyone ring.

use super::*;
use koppla_sip::Response;

const STRANGER: u16 = 6666;
/// The caller's own address (its Contact): in-dialog requests come straight from here.
const PEER: u16 = 5090;

/// Alice at 5070, registered at the digest registrar on 5060.
fn registered_alice() -> Net {
    let mut net = Net::new();
    net.add(REGISTRAR.parse().unwrap(), registrar(Algorithm::Md5, 600));
    net.add(
        addr(5070),
        Kind::Ua(Box::new(agent("alice", 5070, "secret"))),
    );
    let now = net.now;
    net.ua(5070).register(now).unwrap();
    net.pump();
    assert!(net.ua(5070).is_registered());
    net.events(5070);
    net
}

/// An INVITE for alice as it leaves `via` (the sender's own address: a proxy puts its own
/// Via on top, a stranger its own), with `extra` headers.
fn invite(via: u16, call_id: &str, extra: &str) -> SipMessage {
    let sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 7000 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n";
    let text = format!(
        "INVITE sip:alice@127.0.0.1:5070 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{via};branch=z9hG4bK-{call_id}\r\n\
Max-Forwards: 70\r\nFrom: \"Carol\" <sip:carol@127.0.0.1>;tag=c1\r\nTo: <sip:alice@127.0.0.1>\r\n\
Call-ID: {call_id}\r\nCSeq: 1 INVITE\r\nContact: <sip:carol@127.0.0.1:{PEER}>\r\n{extra}\
Content-Type: application/sdp\r\nContent-Length: {len}\r\n\r\n{sdp}",
        len = sdp.len()
    );
    message::parse(text.as_bytes()).expect("test INVITE parses")
}

fn request(text: &str) -> SipMessage {
    message::parse(text.as_bytes()).expect("test request parses")
}

/// What the agent sent since the last call, parsed.
fn sent(ua: &mut UserAgent) -> Vec<SipMessage> {
    std::iter::from_fn(|| ua.poll_transmit())
        .map(|t| message::parse(&t.bytes).expect("agents send parseable SIP"))
        .collect()
}

/// The final (>= 200) responses among `msgs`.
fn finals(msgs: &[SipMessage]) -> Vec<Response> {
    msgs.iter()
        .filter_map(|m| match m {
            SipMessage::Response(r) if message::status(r) >= 200 => Some(r.clone()),
            _ => None,
        })
        .collect()
}

fn incoming(evs: &[UaEvent]) -> Option<CallId> {
    evs.iter().find_map(|e| match e {
        UaEvent::Incoming { call, .. } => Some(*call),
        _ => None,
    })
}

/// Feeds `msg` to alice from `port` and returns (final statuses, whether she rang).
fn feed(net: &mut Net, msg: SipMessage, port: u16, transport: Transport) -> (Vec<u16>, bool) {
    let now = net.now;
    net.ua(5070)
        .handle_incoming(msg, addr(port), transport, now);
    let answers = finals(&sent(net.ua(5070)));
    let rang = incoming(&net.events(5070)).is_some();
    (answers.iter().map(message::status).collect(), rang)
}

#[test]
fn a_strangers_invite_gets_403_with_a_warning_and_never_rings() {
    let mut net = registered_alice();
    let now = net.now;
    net.ua(5070).handle_incoming(
        invite(STRANGER, "ghost", ""),
        addr(STRANGER),
        Transport::Udp,
        now,
    );
    let answers = finals(&sent(net.ua(5070)));
    assert_eq!(
        answers.iter().map(message::status).collect::<Vec<_>>(),
        [403]
    );
    let warning = message::header(&SipMessage::Response(answers[0].clone()), "Warning");
    assert_eq!(
        warning.as_deref(),
        Some("399 koppla \"not from the registrar\"")
    );
    let evs = net.events(5070);
    assert_eq!(incoming(&evs), None, "no incoming call: {evs:?}");
    assert!(net.ua(5070).calls().is_empty());

    // Other out-of-dialog requests alike, and a UDP packet from another port of the
    // registrar's host is not the registrar (it sends from the port it listens on).
    let options = "OPTIONS sip:alice@127.0.0.1:5070 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:6666;branch=z9hG4bKo\r\n\
Max-Forwards: 70\r\nFrom: <sip:scan@127.0.0.1>;tag=s\r\nTo: <sip:alice@127.0.0.1>\r\nCall-ID: scan\r\nCSeq: 1 OPTIONS\r\n\r\n";
    assert_eq!(
        feed(&mut net, request(options), STRANGER, Transport::Udp),
        (vec![403], false)
    );
    assert_eq!(
        feed(
            &mut net,
            invite(5061, "next-port", ""),
            5061,
            Transport::Udp
        ),
        (vec![403], false)
    );
    // Over TCP the registrar may open a new connection from any port of its host.
    let (answers, rang) = feed(&mut net, invite(5061, "new-conn", ""), 5061, Transport::Tcp);
    assert!(rang && answers.is_empty(), "{answers:?}");
    // Over TLS only the connection we opened (whose certificate we checked) counts.
    assert_eq!(
        feed(&mut net, invite(5061, "tls-conn", ""), 5061, Transport::Tls),
        (vec![403], false)
    );
}

#[test]
fn the_same_invite_from_the_registrar_rings_and_the_peer_hangs_up_in_dialog() {
    let mut net = registered_alice();
    let now = net.now;
    let registrar = addr(5060);
    net.ua(5070).handle_incoming(
        invite(5060, "via-switch", ""),
        registrar,
        Transport::Udp,
        now,
    );
    sent(net.ua(5070));
    let evs = net.events(5070);
    let call = incoming(&evs).expect("a call from the registrar rings");
    net.ua(5070).answer(call, addr(7070), now).unwrap();
    let ok = finals(&sent(net.ua(5070)));
    assert_eq!(ok.iter().map(message::status).collect::<Vec<_>>(), [200]);
    let ok = SipMessage::Response(ok[0].clone());
    let tag = message::to_tag(&ok).expect("our tag");
    let ack = format!(
        "ACK sip:alice@127.0.0.1:5070 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{PEER};branch=z9hG4bKack\r\n\
Max-Forwards: 70\r\nFrom: <sip:carol@127.0.0.1>;tag=c1\r\nTo: <sip:alice@127.0.0.1>;tag={tag}\r\n\
Call-ID: via-switch\r\nCSeq: 1 ACK\r\n\r\n"
    );
    net.ua(5070)
        .handle_incoming(request(&ack), addr(PEER), Transport::Udp, now);
    assert_eq!(net.ua(5070).call_state(call), Some(CallState::Established));
    net.events(5070);

    // An attended transfer's INVITE naming this call may come straight from another party.
    let replaces = format!("Replaces: via-switch;to-tag={tag};from-tag=c1\r\n");
    let (answers, rang) = feed(
        &mut net,
        invite(5095, "replacing", &replaces),
        5095,
        Transport::Udp,
    );
    assert!(rang && answers.is_empty(), "{answers:?}");
    let forged = "Replaces: via-switch;to-tag=guess;from-tag=c1\r\n";
    assert_eq!(
        feed(
            &mut net,
            invite(STRANGER, "forged", forged),
            STRANGER,
            Transport::Udp
        ),
        (vec![403], false)
    );

    // The caller hangs up from its own address, inside the dialog: that is no stranger.
    let bye = format!(
        "BYE sip:alice@127.0.0.1:5070 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:{PEER};branch=z9hG4bKbye\r\n\
Max-Forwards: 70\r\nFrom: <sip:carol@127.0.0.1>;tag=c1\r\nTo: <sip:alice@127.0.0.1>;tag={tag}\r\n\
Call-ID: via-switch\r\nCSeq: 2 BYE\r\n\r\n"
    );
    let (answers, _) = feed(&mut net, request(&bye), PEER, Transport::Udp);
    assert_eq!(answers, [200]);
    assert_eq!(net.ua(5070).call_state(call), None, "the call ended");
}

#[test]
fn every_located_address_of_the_registrar_is_trusted() {
    let mut net = registered_alice();
    net.ua(5070).set_server_targets(&[addr(5060), addr(5062)]);
    let (answers, rang) = feed(&mut net, invite(5062, "backup", ""), 5062, Transport::Udp);
    assert!(rang && answers.is_empty(), "{answers:?}");
}

#[test]
fn strangers_stay_refused_after_unregistering() {
    let mut net = registered_alice();
    let now = net.now;
    net.ua(5070).unregister(now).unwrap();
    net.pump();
    assert!(!net.ua(5070).is_registered());
    assert_eq!(
        feed(
            &mut net,
            invite(STRANGER, "later", ""),
            STRANGER,
            Transport::Udp
        ),
        (vec![403], false)
    );
}

#[test]
fn accept_direct_requests_lets_a_stranger_ring() {
    let mut net = registered_alice();
    net.ua(5070).set_accept_direct_requests(true);
    let (answers, rang) = feed(
        &mut net,
        invite(STRANGER, "direct", ""),
        STRANGER,
        Transport::Udp,
    );
    assert!(rang && answers.is_empty(), "{answers:?}");

    // The same from the configuration at start.
    let mut net = Net::new();
    net.add(REGISTRAR.parse().unwrap(), registrar(Algorithm::Md5, 600));
    let mut alice = agent("alice", 5070, "secret");
    alice.cfg.accept_direct_requests = true;
    net.add(addr(5070), Kind::Ua(Box::new(alice)));
    let now = net.now;
    net.ua(5070).register(now).unwrap();
    net.pump();
    net.events(5070);
    let (answers, rang) = feed(
        &mut net,
        invite(STRANGER, "direct2", ""),
        STRANGER,
        Transport::Udp,
    );
    assert!(rang && answers.is_empty(), "{answers:?}");
}

#[test]
fn an_agent_that_never_registers_takes_direct_calls() {
    let mut net = Net::new();
    net.add(
        addr(5070),
        Kind::Ua(Box::new(agent("alice", 5070, "secret"))),
    );
    let (answers, rang) = feed(
        &mut net,
        invite(STRANGER, "p2p", ""),
        STRANGER,
        Transport::Udp,
    );
    assert!(rang && answers.is_empty(), "{answers:?}");
}
