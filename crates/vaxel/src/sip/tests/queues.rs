//! Call queues in the sans-IO core: the switch answers the caller, offers the call to free
//! agents by strategy and bridges the answering agent. Shared helpers for `queue_waiting.rs`.

use super::*;
use crate::model::QueueStatus;
use crate::queue_config::{Overflow, Strategy};
use crate::sip::QueueDef;
use koppla_sip::rsip::{Method, Request};

pub(super) fn queue(strategy: Strategy, members: &[&str], overflow: Overflow) -> QueueDef {
    QueueDef {
        id: "support".into(),
        number: "7000".into(),
        name: "Support".into(),
        members: members.iter().map(|m| m.to_string()).collect(),
        strategy,
        agent_ring: Duration::from_secs(10),
        max_wait: Duration::from_secs(60),
        overflow,
    }
}

/// The caller and two agents' phones, on ports of their own.
pub(super) fn alice_bob_carol() -> (Phone, Phone, Phone) {
    (
        phone("alice", 5071),
        phone("bob", 5081),
        phone("carol", 5091),
    )
}

pub(super) fn world_with(q: QueueDef) -> World {
    let mut w = world();
    w.core.directory_mut().upsert(super::user("dave", "1004"));
    w.core.set_queues(vec![q], w.now);
    w
}

pub(super) fn reply(r: &Request, code: u16, tag: &str, body: &str, contact: SocketAddr) -> Vec<u8> {
    let mut s = format!("SIP/2.0 {code} X\r\n");
    for v in m::header_values_in(&r.headers, "Via") {
        s.push_str(&format!("Via: {v}\r\n"));
    }
    s.push_str(&format!(
        "From: {}\r\nTo: {};tag={tag}\r\nCall-ID: {}\r\nCSeq: {}\r\nContact: <sip:agent@{contact}>\r\n",
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

/// Requests of `method` the switch sent to `to`.
pub(super) fn sent(
    out: &[(SocketAddr, SipMessage)],
    to: SocketAddr,
    method: Method,
) -> Vec<Request> {
    out.iter()
        .filter_map(|(d, msg)| match msg {
            SipMessage::Request(r) if *d == to && r.method == method => Some(r.clone()),
            _ => None,
        })
        .collect()
}

pub(super) fn status(w: &World) -> QueueStatus {
    w.core.queue_statuses(w.now).remove(0)
}

pub(super) fn queue_events(w: &mut World) -> Vec<QueueStatus> {
    let mut out = Vec::new();
    while let Some(e) = w.core.poll_event() {
        if let CoreEvent::QueueChanged(s) = e {
            out.push(s);
        }
    }
    out
}

/// Calls the queue; checks the switch answers with its own media. Returns the To header of
/// its 200 (for the caller's BYE) and everything else it sent.
pub(super) fn call_queue(
    w: &mut World,
    p: &mut Phone,
    call_id: &str,
) -> (String, Vec<(SocketAddr, SipMessage)>) {
    let out = invite_queue(w, p, call_id);
    assert_eq!(response(&out, 0).1, 100);
    let (to, code, ok) = response(&out, 1);
    assert_eq!(
        (to, code),
        (p.addr, 200),
        "the switch answers the queue call"
    );
    assert!(String::from_utf8_lossy(&ok.body).contains("m=audio 44000 RTP/AVP 0"));
    let log = w.media.0.lock().unwrap().clone();
    assert!(log
        .iter()
        .any(|l| l.starts_with(&format!("queue_hold {call_id} ")) && l.ends_with(" 0 support")));
    let to = m::header_values_in(&ok.headers, "To")[0].clone();
    let rest = out[2..].to_vec();
    let ack = p.request(
        "ACK",
        "sip:vaxel@127.0.0.1:5060",
        &to,
        call_id,
        "",
        "",
        &format!("z9hG4bKack{call_id}"),
    );
    assert!(w.feed(&ack, p.addr).is_empty());
    (to, rest)
}

/// Like `invite` with branches of its own per call (several calls may be open at once).
pub(super) fn invite_queue(
    w: &mut World,
    p: &mut Phone,
    call_id: &str,
) -> Vec<(SocketAddr, SipMessage)> {
    let uri = "sip:7000@koppla";
    let to = format!("<{uri}>");
    let first = p.request(
        "INVITE",
        uri,
        &to,
        call_id,
        "",
        SDP_A,
        &format!("z9hG4bKq1{call_id}"),
    );
    let out = w.feed(&first, p.addr);
    let (_, code, r) = response(&out, 0);
    assert_eq!(code, 407);
    let ch = m::header_values_in(&r.headers, "Proxy-Authenticate")
        .into_iter()
        .find(|c| c.contains("MD5"))
        .unwrap();
    let auth = p.auth_header("Proxy-Authorization", "INVITE", uri, &ch, PW);
    let second = p.request(
        "INVITE",
        uri,
        &to,
        call_id,
        &auth,
        SDP_A,
        &format!("z9hG4bKq2{call_id}"),
    );
    w.feed(&second, p.addr)
}

pub(super) fn hang_up(
    w: &mut World,
    p: &mut Phone,
    call_id: &str,
    to: &str,
) -> Vec<(SocketAddr, SipMessage)> {
    let bye = p.request(
        "BYE",
        "sip:vaxel@127.0.0.1:5060",
        to,
        call_id,
        "",
        "",
        &format!("z9hG4bKbye{call_id}"),
    );
    let out = w.feed(&bye, p.addr);
    assert!(out
        .iter()
        .any(|(d, msg)| *d == p.addr
            && matches!(msg, SipMessage::Response(r) if m::status(r) == 200)));
    out
}

#[test]
fn ring_all_offers_every_free_agent_and_bridges_the_first_answer() {
    let mut w = world_with(queue(Strategy::RingAll, &["bob", "carol"], Overflow::Busy));
    let (mut a, mut b, mut c) = alice_bob_carol();
    assert_eq!(w.register(&mut b, PW), 200);
    assert_eq!(w.register(&mut c, PW), 200);
    queue_events(&mut w);
    let (to, out) = call_queue(&mut w, &mut a, "q-1");
    let to_bob = sent(&out, b.addr, Method::Invite);
    let to_carol = sent(&out, c.addr, Method::Invite);
    assert_eq!(
        (to_bob.len(), to_carol.len()),
        (1, 1),
        "both agents ring: {out:?}"
    );
    let inv = &to_carol[0];
    let body = String::from_utf8_lossy(&inv.body).to_string();
    assert!(
        body.contains("m=audio 44002 RTP/AVP 0"),
        "offer names the agent side of the relay: {body}"
    );
    assert!(m::header_values_in(&inv.headers, "From")[0].contains("sip:alice@koppla"));
    assert_eq!(
        m::header_values_in(&inv.headers, "Diversion"),
        ["\"Support\" <sip:7000@koppla>;reason=unconditional"],
        "the agent's phone can show the queue"
    );
    assert_ne!(
        m::header_values_in(&inv.headers, "Call-ID")[0],
        "q-1",
        "a B2BUA leg of its own"
    );
    let ev = queue_events(&mut w);
    let last = ev.last().expect("queue_changed on arrival");
    assert_eq!(
        (last.waiting, last.agents_free, last.agents_logged_in),
        (1, 0, 2)
    );

    assert!(w
        .feed(&reply(&to_bob[0], 180, "b", "", b.addr), b.addr)
        .is_empty());
    let out = w.feed(&reply(inv, 200, "c", SDP_B, c.addr), c.addr);
    assert_eq!(sent(&out, c.addr, Method::Ack).len(), 1, "2xx is ACKed");
    let cancel = sent(&out, b.addr, Method::Cancel);
    assert_eq!(cancel.len(), 1, "bob stops ringing");
    assert!(
        koppla_sip::reason::completed_elsewhere(&cancel[0].headers),
        "bob's phone must not log a missed call: {:?}",
        cancel[0].headers
    );
    let log = w.media.0.lock().unwrap().clone();
    assert!(
        log.contains(&"queue_bridge q-1 Some(192.168.1.20:5000)".to_string()),
        "{log:?}"
    );
    let s = status(&w);
    assert_eq!((s.waiting, s.answered_today, s.abandoned_today), (0, 1, 0));
    // bob's phone confirms the CANCEL with 487, which the switch ACKs.
    let out = w.feed(&reply(&to_bob[0], 487, "b", "", b.addr), b.addr);
    assert_eq!(sent(&out, b.addr, Method::Ack).len(), 1);
    // A retransmitted 2xx gets the ACK again.
    let out = w.feed(&reply(inv, 200, "c", SDP_B, c.addr), c.addr);
    assert_eq!(sent(&out, c.addr, Method::Ack).len(), 1);

    // The caller hangs up: the agent gets BYE.
    let out = hang_up(&mut w, &mut a, "q-1", &to);
    let bye = sent(&out, c.addr, Method::Bye);
    assert_eq!(bye.len(), 1);
    assert_eq!(
        m::header_values_in(&bye[0].headers, "To")[0],
        format!("{};tag=c", m::header_values_in(&inv.headers, "To")[0])
    );
    assert_eq!(status(&w).agents_free, 2, "both agents free again");
}

#[test]
fn agent_hangs_up_and_caller_gets_bye() {
    let mut w = world_with(queue(Strategy::RingAll, &["bob"], Overflow::Busy));
    let (mut a, mut b) = (phone("alice", 5071), phone("bob", 5081));
    assert_eq!(w.register(&mut b, PW), 200);
    let (_, out) = call_queue(&mut w, &mut a, "q-2");
    let inv = sent(&out, b.addr, Method::Invite).remove(0);
    w.feed(&reply(&inv, 200, "b", SDP_B, b.addr), b.addr);
    let leg = m::header_values_in(&inv.headers, "Call-ID")[0].clone();
    let bye = format!(
        "BYE sip:vaxel@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP {a};branch=z9hG4bKagentbye\r\nFrom: {to};tag=b\r\nTo: {from}\r\nCall-ID: {leg}\r\nCSeq: 1 BYE\r\nContent-Length: 0\r\n\r\n",
        a = b.addr,
        to = m::header_values_in(&inv.headers, "To")[0],
        from = m::header_values_in(&inv.headers, "From")[0],
    );
    let out = w.feed(bye.as_bytes(), b.addr);
    assert!(out
        .iter()
        .any(|(d, msg)| *d == b.addr
            && matches!(msg, SipMessage::Response(r) if m::status(r) == 200)));
    assert_eq!(
        sent(&out, a.addr, Method::Bye).len(),
        1,
        "the caller is hung up"
    );
    assert!(w
        .media
        .0
        .lock()
        .unwrap()
        .contains(&"release q-2".to_string()));
}

#[test]
fn round_robin_takes_turns() {
    let mut w = world_with(queue(
        Strategy::RoundRobin,
        &["bob", "carol"],
        Overflow::Busy,
    ));
    let (mut a, mut b, mut c) = alice_bob_carol();
    assert_eq!(w.register(&mut b, PW), 200);
    assert_eq!(w.register(&mut c, PW), 200);
    let mut answered_by = Vec::new();
    for i in 0..3 {
        let call_id = format!("rr-{i}");
        let (to, out) = call_queue(&mut w, &mut a, &call_id);
        let offers: Vec<_> = [(b.addr, "bob"), (c.addr, "carol")]
            .into_iter()
            .flat_map(|(addr, who)| {
                sent(&out, addr, Method::Invite)
                    .into_iter()
                    .map(move |r| (addr, who, r))
            })
            .collect();
        assert_eq!(offers.len(), 1, "one agent at a time");
        let (addr, who, inv) = &offers[0];
        w.feed(&reply(inv, 200, "x", SDP_B, *addr), *addr);
        answered_by.push(*who);
        hang_up(&mut w, &mut a, &call_id, &to);
    }
    assert_eq!(answered_by, ["bob", "carol", "bob"]);
    assert_eq!(status(&w).answered_today, 3);
}

#[test]
fn round_robin_moves_on_when_an_agent_declines_or_rings_out() {
    let mut w = world_with(queue(
        Strategy::RoundRobin,
        &["bob", "carol"],
        Overflow::Busy,
    ));
    let (mut a, mut b, mut c) = alice_bob_carol();
    assert_eq!(w.register(&mut b, PW), 200);
    assert_eq!(w.register(&mut c, PW), 200);
    let (_, out) = call_queue(&mut w, &mut a, "rr-x");
    let inv = sent(&out, b.addr, Method::Invite).remove(0);
    let out = w.feed(&reply(&inv, 486, "b", "", b.addr), b.addr);
    assert_eq!(sent(&out, b.addr, Method::Ack).len(), 1);
    let inv = sent(&out, c.addr, Method::Invite);
    assert_eq!(inv.len(), 1, "declined by bob: carol is next");
    w.feed(&reply(&inv[0], 180, "c", "", c.addr), c.addr);
    // carol lets it ring past the agent ring time: CANCEL, then bob again.
    w.now += Duration::from_secs(11);
    w.core.tick(w.now);
    let out = w.drain();
    let cancel = sent(&out, c.addr, Method::Cancel);
    assert_eq!(cancel.len(), 1);
    assert!(
        !koppla_sip::reason::completed_elsewhere(&cancel[0].headers),
        "nobody answered: carol did miss this offer"
    );
    let out = w.feed(&reply(&inv[0], 487, "c", "", c.addr), c.addr);
    assert_eq!(sent(&out, b.addr, Method::Invite).len(), 1);
}

#[test]
fn busy_unreachable_unregistered_and_logged_out_agents_are_skipped() {
    let mut w = world_with(queue(
        Strategy::RingAll,
        &["bob", "carol", "dave"],
        Overflow::Busy,
    ));
    let (mut a, mut b, mut c, mut d) = (
        phone("alice", 5071),
        phone("bob", 5081),
        phone("carol", 5091),
        phone("dave", 5095),
    );
    for p in [&mut a, &mut b, &mut c] {
        assert_eq!(w.register(p, PW), 200);
    }
    // bob is at lunch (not reachable); carol is on a call with alice.
    w.core.directory_mut().set_activity(
        "bob",
        ActivityChoice {
            activity_id: "lunch".into(),
            until: None,
            note: None,
        },
    );
    let out = invite(&mut w, &mut c, "1001", "busy-1");
    assert!(!sent(&out, a.addr, Method::Invite).is_empty());
    assert_eq!(status(&w).agents_free, 0);
    let mut x = phone("alice", 5072);
    let (_, out) = call_queue(&mut w, &mut x, "q-skip");
    for addr in [b.addr, c.addr, d.addr] {
        assert!(
            sent(&out, addr, Method::Invite).is_empty(),
            "nobody free: {out:?}"
        );
    }
    assert_eq!(status(&w).waiting, 1);
    // dave logs out, registers: still not offered; logs in: offered.
    w.core.queue_login("support", "dave", false, w.now).unwrap();
    assert_eq!(w.register(&mut d, PW), 200);
    assert!(sent(&w.drain(), d.addr, Method::Invite).is_empty());
    let s = w.core.queue_login("support", "dave", true, w.now).unwrap();
    assert_eq!(s.logged_in, ["bob", "carol", "dave"]);
    assert_eq!(sent(&w.drain(), d.addr, Method::Invite).len(), 1);
    assert_eq!(
        w.core.queue_login("support", "alice", true, w.now),
        Err(crate::sip::QueueError::NotMember {
            queue: "support".into(),
            user: "alice".into()
        })
    );
    assert!(matches!(
        w.core.queue_login("sales", "dave", true, w.now),
        Err(crate::sip::QueueError::UnknownQueue(_))
    ));
}

#[test]
fn a_restart_keeps_logins_and_todays_counters() {
    use crate::store::{QueueCounters, StoredQueue};
    let mut w = world_with(queue(Strategy::RingAll, &["bob", "carol"], Overflow::Busy));
    let today = i64::try_from(1_800_000_000u64 / 86_400).unwrap();
    let stored = StoredQueue {
        logins: vec![
            ("bob".into(), false),
            ("mallory".into(), true),
            ("carol".into(), true),
        ],
        counters: Some(QueueCounters {
            day: today,
            answered: 12,
            abandoned: 3,
        }),
    };
    w.core.restore_queue("support", &stored, w.now);
    let s = status(&w);
    assert_eq!(
        s.logged_in,
        ["carol"],
        "bob stays logged out, mallory is no member"
    );
    assert_eq!((s.answered_today, s.abandoned_today), (12, 3));

    // Yesterday's counters start a new day at zero; a member with no stored choice is in.
    let mut w = world_with(queue(Strategy::RingAll, &["bob", "carol"], Overflow::Busy));
    let yesterday = StoredQueue {
        logins: vec![("bob".into(), false)],
        counters: Some(QueueCounters {
            day: today - 1,
            answered: 40,
            abandoned: 9,
        }),
    };
    w.core.restore_queue("support", &yesterday, w.now);
    let s = status(&w);
    assert_eq!(s.logged_in, ["carol"]);
    assert_eq!((s.answered_today, s.abandoned_today), (0, 0));
    w.core.restore_queue("nosuch", &yesterday, w.now);
}
