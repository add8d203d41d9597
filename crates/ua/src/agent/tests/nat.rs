//! Behind a NAT: the registrar's Via received/rport reveal our public address; we register
//! it as Contact (dropping the private one) and use it in calls.

use super::*;
use crate::registration::observed_addr;

fn natted_net(public: SocketAddr) -> Net {
    let mut net = Net::new();
    let mut reg = registrar(Algorithm::Md5, 3600);
    if let Kind::Reg(r) = &mut reg {
        r.observed = Some(public);
    }
    net.add(REGISTRAR.parse().unwrap(), reg);
    net.add(
        addr(5070),
        Kind::Ua(Box::new(agent("alice", 5070, "secret"))),
    );
    net
}

fn contacts(net: &mut Net) -> Vec<String> {
    match net.nodes.iter().find_map(|(_, n)| match n {
        Kind::Reg(r) => Some(r.contacts.clone()),
        _ => None,
    }) {
        Some(c) => c,
        None => panic!("no registrar"),
    }
}

#[test]
fn registers_the_public_address_once_the_registrar_reveals_it() {
    let public: SocketAddr = "203.0.113.5:40000".parse().unwrap();
    let mut net = natted_net(public);
    let now = net.now;
    net.ua(5070).register(now).unwrap();
    net.pump();
    // Challenged and authenticated REGISTER with the private Contact, then the same pair for
    // the public Contact, which also removes the private one. Nothing after: the address
    // is now stable.
    let c = contacts(&mut net);
    assert_eq!(c.len(), 4, "{c:#?}");
    assert!(c[1].starts_with("<sip:alice@127.0.0.1:5070>"), "{}", c[1]);
    for rebind in &c[2..] {
        assert!(
            rebind.starts_with("<sip:alice@203.0.113.5:40000>"),
            "{rebind}"
        );
        assert!(
            rebind.contains("<sip:alice@127.0.0.1:5070>;expires=0"),
            "stale binding removed: {rebind}"
        );
    }
    assert!(net.ua(5070).is_registered());
    assert_eq!(net.ua(5070).config().public_addr, Some(public));
    // The refresh keeps the public Contact and no longer mentions the old one.
    net.advance(Duration::from_secs(3600));
    let c = contacts(&mut net);
    let last = c.last().unwrap();
    assert!(last.starts_with("<sip:alice@203.0.113.5:40000>") && !last.contains("5070"));
    // Calls advertise it too.
    let now = net.now;
    net.ua(5070)
        .call("sip:bob@127.0.0.1:5080", addr(6070), now)
        .unwrap();
    let t = net.ua(5070).poll_transmit().unwrap();
    let invite = String::from_utf8_lossy(&t.bytes).into_owned();
    assert!(
        invite.contains("Contact: <sip:alice@203.0.113.5:40000>"),
        "{invite}"
    );
}

#[test]
fn no_nat_means_no_second_registration() {
    let mut net = Net::new();
    net.add(REGISTRAR.parse().unwrap(), registrar(Algorithm::Md5, 3600));
    net.add(
        addr(5070),
        Kind::Ua(Box::new(agent("alice", 5070, "secret"))),
    );
    let now = net.now;
    net.ua(5070).register(now).unwrap();
    net.pump();
    assert_eq!(contacts(&mut net).len(), 2);
    assert_eq!(net.ua(5070).config().public_addr, None);
}

fn response_with_via(via: &str) -> koppla_sip::Response {
    let text = format!(
        "SIP/2.0 200 OK\r\nVia: {via}\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:a@h>;tag=2\r\n\
         Call-ID: x\r\nCSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n"
    );
    match message::parse(text.as_bytes()).unwrap() {
        SipMessage::Response(r) => r,
        SipMessage::Request(_) => panic!("not a response"),
    }
}

#[test]
fn observed_address_rules_per_transport() {
    let local: SocketAddr = "192.168.1.10:5060".parse().unwrap();
    let r = response_with_via(
        "SIP/2.0/UDP 192.168.1.10:5060;branch=z9hG4bK1;rport=61000;received=198.51.100.2",
    );
    assert_eq!(
        observed_addr(&r, Transport::Udp, local),
        Some("198.51.100.2:61000".parse().unwrap())
    );
    // Port-only change: a NAT for UDP, just the connection's own port for TCP.
    let r = response_with_via("SIP/2.0/UDP 192.168.1.10:5060;branch=z9hG4bK1;rport=61000");
    assert_eq!(
        observed_addr(&r, Transport::Udp, local),
        Some("192.168.1.10:61000".parse().unwrap())
    );
    assert_eq!(observed_addr(&r, Transport::Tcp, local), None);
    // Nothing learned from a Via the server left alone or filled with garbage.
    for via in [
        "SIP/2.0/UDP 192.168.1.10:5060;branch=z9hG4bK1;rport",
        "SIP/2.0/UDP 192.168.1.10:5060;branch=z9hG4bK1;rport=5060",
        "SIP/2.0/UDP 192.168.1.10:5060;branch=z9hG4bK1;received=not-an-ip;rport=x",
    ] {
        assert_eq!(
            observed_addr(&response_with_via(via), Transport::Udp, local),
            None,
            "{via}"
        );
    }
}

#[test]
fn a_new_local_address_moves_the_registration_at_once() {
    let mut net = Net::new();
    net.add(REGISTRAR.parse().unwrap(), registrar(Algorithm::Md5, 3600));
    net.add(
        addr(5070),
        Kind::Ua(Box::new(agent("alice", 5070, "secret"))),
    );
    let now = net.now;
    net.ua(5070).register(now).unwrap();
    net.pump();
    net.events(5070);
    // Same address: nothing to do.
    net.ua(5070).set_local_addr(addr(5070), now).unwrap();
    assert!(net.ua(5070).poll_transmit().is_none());
    // The connection was re-opened from port 5071 (the agent still listens on 5070 in
    // this simulated network, which routes by the Via-independent node address).
    net.ua(5070).set_local_addr(addr(5071), now).unwrap();
    net.pump();
    let c = contacts(&mut net);
    let last = c.last().unwrap();
    assert!(last.starts_with("<sip:alice@127.0.0.1:5071>"), "{last}");
    assert!(
        last.contains("<sip:alice@127.0.0.1:5070>;expires=0"),
        "{last}"
    );
    assert!(net.ua(5070).is_registered());
}

#[test]
fn an_address_change_during_registration_is_registered_too() {
    let mut net = Net::new();
    net.add(REGISTRAR.parse().unwrap(), registrar(Algorithm::Md5, 3600));
    net.add(
        addr(5070),
        Kind::Ua(Box::new(agent("alice", 5070, "secret"))),
    );
    let now = net.now;
    net.ua(5070).register(now).unwrap();
    // The connection came up on another port before the registrar answered.
    net.ua(5070).set_local_addr(addr(5071), now).unwrap();
    net.pump();
    assert!(net.ua(5070).is_registered());
    let c = contacts(&mut net);
    let last = c.last().unwrap();
    assert!(last.starts_with("<sip:alice@127.0.0.1:5071>"), "{c:#?}");
}
