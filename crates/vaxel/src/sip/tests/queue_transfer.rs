//! An agent transfers a queue call with REFER in its leg: the switch rings the target, tells
//! the agent NOTIFY 200, keeps the caller when the agent hangs up, and takes the caller back
//! into the queue when the target does not answer.

use super::queues::*;
use super::*;
use crate::queue_config::{Overflow, Strategy};
use koppla_sip::rsip::{Method, Request};

/// A request from an agent's phone inside the leg the switch opened with `inv`.
fn in_leg(inv: &Request, agent: &Phone, method: &str, cseq: u32, extra: &str) -> Vec<u8> {
    format!(
        "{method} sip:vaxel@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP {a};branch=z9hG4bK{method}{cseq}\r\n\
From: {to};tag=b\r\nTo: {from}\r\nCall-ID: {leg}\r\nCSeq: {cseq} {method}\r\nContact: <sip:{u}@{a}>\r\n{extra}Content-Length: 0\r\n\r\n",
        a = agent.addr,
        u = agent.user,
        to = m::header_values_in(&inv.headers, "To")[0],
        from = m::header_values_in(&inv.headers, "From")[0],
        leg = m::header_values_in(&inv.headers, "Call-ID")[0],
    )
    .into_bytes()
}

fn final_to(out: &[(SocketAddr, SipMessage)], to: SocketAddr) -> Vec<u16> {
    out.iter()
        .filter_map(|(d, msg)| match msg {
            SipMessage::Response(r) if *d == to => Some(m::status(r)),
            _ => None,
        })
        .collect()
}

fn media_log(w: &World) -> Vec<String> {
    w.media.0.lock().unwrap().clone()
}

/// alice calls the queue, bob (its only member) answers; carol is registered too.
fn bob_answers(call_id: &str) -> (World, Phone, Phone, Phone, String, Request) {
    let mut w = world_with(queue(Strategy::RingAll, &["bob"], Overflow::Busy));
    let (mut a, mut b, mut c) = alice_bob_carol();
    assert_eq!(w.register(&mut b, PW), 200);
    assert_eq!(w.register(&mut c, PW), 200);
    let (to, out) = call_queue(&mut w, &mut a, call_id);
    let inv = sent(&out, b.addr, Method::Invite).remove(0);
    w.feed(&reply(&inv, 200, "b", SDP_B, b.addr), b.addr);
    assert_eq!(status(&w).answered_today, 1);
    (w, a, b, c, to, inv)
}

#[test]
fn agent_transfers_a_queue_call_to_a_colleague() {
    let (mut w, mut a, b, c, to, inv) = bob_answers("q-t1");
    let refer = in_leg(&inv, &b, "REFER", 1, "Refer-To: <sip:1003@koppla>\r\n");
    let out = w.feed(&refer, b.addr);
    assert_eq!(final_to(&out, b.addr), [202]);
    let notify = sent(&out, b.addr, Method::Notify);
    assert_eq!(notify.len(), 1, "the agent hears how the transfer went");
    let n = &notify[0];
    assert_eq!(m::header_values_in(&n.headers, "Event")[0], "refer");
    assert!(m::header_values_in(&n.headers, "Subscription-State")[0].starts_with("terminated"));
    assert_eq!(m::header_values_in(&n.headers, "CSeq")[0], "2 NOTIFY");
    assert!(String::from_utf8_lossy(&n.body).starts_with("SIP/2.0 200"));
    assert!(
        m::header_values_in(&n.headers, "To")[0].ends_with(";tag=b"),
        "NOTIFY is in bob's dialog"
    );
    assert!(
        media_log(&w).contains(&"queue_unbridge q-t1".to_string()),
        "the caller hears hold music while carol rings"
    );
    let to_carol = sent(&out, c.addr, Method::Invite);
    assert_eq!(to_carol.len(), 1, "carol rings: {out:?}");
    assert!(m::header_values_in(&to_carol[0].headers, "From")[0].contains("sip:alice@koppla"));
    assert!(String::from_utf8_lossy(&to_carol[0].body).contains("m=audio 44002 RTP/AVP 0"));

    // bob's phone hangs up after the NOTIFY: alice stays.
    let out = w.feed(&in_leg(&inv, &b, "BYE", 2, ""), b.addr);
    assert_eq!(final_to(&out, b.addr), [200]);
    assert!(
        sent(&out, a.addr, Method::Bye).is_empty(),
        "alice is not hung up"
    );

    let out = w.feed(&reply(&to_carol[0], 200, "c", SDP_B, c.addr), c.addr);
    assert_eq!(sent(&out, c.addr, Method::Ack).len(), 1);
    let bridges: Vec<_> = media_log(&w)
        .into_iter()
        .filter(|l| l.starts_with("queue_bridge q-t1"))
        .collect();
    assert_eq!(bridges.len(), 2, "bridged to bob, then to carol");
    let s = status(&w);
    assert_eq!(
        (s.waiting, s.answered_today),
        (0, 1),
        "a transfer is not a second answer"
    );
    let out = hang_up(&mut w, &mut a, "q-t1", &to);
    assert_eq!(sent(&out, c.addr, Method::Bye).len(), 1, "carol gets BYE");
}

#[test]
fn unanswered_transfer_puts_the_caller_back_in_the_queue() {
    let (mut w, a, b, c, _to, inv) = bob_answers("q-t2");
    let out = w.feed(
        &in_leg(&inv, &b, "REFER", 1, "Refer-To: <sip:carol@koppla>\r\n"),
        b.addr,
    );
    let to_carol = sent(&out, c.addr, Method::Invite).remove(0);
    w.feed(&in_leg(&inv, &b, "BYE", 2, ""), b.addr);
    // Long after the queue's max wait of 60 s counted from alice's arrival.
    w.now += Duration::from_secs(90);
    let out = w.feed(&reply(&to_carol, 486, "c", "", c.addr), c.addr);
    assert_eq!(sent(&out, c.addr, Method::Ack).len(), 1);
    let again = sent(&out, b.addr, Method::Invite);
    assert_eq!(again.len(), 1, "bob is offered alice again: {out:?}");
    w.now += Duration::from_secs(30);
    w.core.tick(w.now);
    let out = w.drain();
    assert!(
        sent(&out, a.addr, Method::Bye).is_empty(),
        "max wait counts again from the return"
    );
}

#[test]
fn agent_can_move_the_caller_to_another_queue() {
    let mut w = world();
    w.core.directory_mut().upsert(super::user("dave", "1004"));
    let mut sales = queue(Strategy::RingAll, &["carol"], Overflow::Busy);
    sales.id = "sales".into();
    sales.number = "7001".into();
    w.core.set_queues(
        vec![queue(Strategy::RingAll, &["bob"], Overflow::Busy), sales],
        w.now,
    );
    let (mut a, mut b, mut c) = alice_bob_carol();
    assert_eq!(w.register(&mut b, PW), 200);
    assert_eq!(w.register(&mut c, PW), 200);
    let (_, out) = call_queue(&mut w, &mut a, "q-t3");
    assert!(
        sent(&out, c.addr, Method::Invite).is_empty(),
        "carol is not in support"
    );
    let inv = sent(&out, b.addr, Method::Invite).remove(0);
    w.feed(&reply(&inv, 200, "b", SDP_B, b.addr), b.addr);
    let out = w.feed(
        &in_leg(&inv, &b, "REFER", 1, "Refer-To: <sip:7001@koppla>\r\n"),
        b.addr,
    );
    assert_eq!(final_to(&out, b.addr), [202]);
    assert_eq!(
        sent(&out, c.addr, Method::Invite).len(),
        1,
        "sales offers alice to carol"
    );
    let statuses = w.core.queue_statuses(w.now);
    let waiting: Vec<_> = statuses
        .iter()
        .map(|q| (q.id.as_str(), q.waiting))
        .collect();
    assert_eq!(
        waiting,
        [("support", 0), ("sales", 1)],
        "alice waits in sales now"
    );
}

#[test]
fn refused_transfers_keep_the_call() {
    let (mut w, a, b, _c, _to, inv) = bob_answers("q-t4");
    w.core.directory_mut().upsert(super::user("dave", "1004"));
    let cases = [
        ("Refer-To: <sip:4711@koppla>\r\n", 404, "nobody has 4711"),
        (
            "Refer-To: <sip:1004@koppla>\r\n",
            480,
            "dave has no registered phone",
        ),
        (
            "Refer-To: <sip:carol@koppla?Replaces=abc%3Bto-tag%3D1%3Bfrom-tag%3D2>\r\n",
            501,
            "attended transfer",
        ),
        ("", 400, "no Refer-To"),
    ];
    for (i, (header, code, why)) in cases.into_iter().enumerate() {
        let cseq = u32::try_from(i).unwrap() + 1;
        let out = w.feed(&in_leg(&inv, &b, "REFER", cseq, header), b.addr);
        assert_eq!(final_to(&out, b.addr), [code], "{why}");
        assert!(sent(&out, b.addr, Method::Notify).is_empty(), "{why}");
    }
    assert!(!media_log(&w)
        .iter()
        .any(|l| l.starts_with("queue_unbridge")));
    // bob still carries the call: his BYE ends alice's side.
    let out = w.feed(&in_leg(&inv, &b, "BYE", 9, ""), b.addr);
    assert_eq!(sent(&out, a.addr, Method::Bye).len(), 1);
}

#[test]
fn the_switch_hangs_up_an_agent_phone_that_stays_after_a_transfer() {
    let (mut w, _a, b, c, _to, inv) = bob_answers("q-t5");
    let out = w.feed(
        &in_leg(&inv, &b, "REFER", 1, "Refer-To: <sip:1003@koppla>\r\n"),
        b.addr,
    );
    assert_eq!(sent(&out, c.addr, Method::Invite).len(), 1);
    w.now += Duration::from_secs(3);
    w.core.tick(w.now);
    assert!(sent(&w.drain(), b.addr, Method::Bye).is_empty());
    w.now += Duration::from_secs(1);
    w.core.tick(w.now);
    let bye = sent(&w.drain(), b.addr, Method::Bye);
    assert_eq!(bye.len(), 1, "bob's leg ends after the grace time");
    assert_eq!(m::header_values_in(&bye[0].headers, "CSeq")[0], "3 BYE");
}

#[test]
fn an_agent_parks_or_camps_a_queue_call_on_a_busy_colleague_who_gets_it_after_her_call() {
    let (mut w, _a, b, mut c, _to, inv) = bob_answers("q-camp");
    // carol is on a call with dave (proxied, answered) when bob camps the caller on her.
    w.core.directory_mut().upsert(user("dave", "1004"));
    let mut d = phone("dave", 5095);
    let out = invite(&mut w, &mut d, "1003", "talk-c");
    let ring = sent(&out, c.addr, Method::Invite);
    w.feed(&reply(&ring[0], 200, "ct", SDP_B, c.addr), c.addr);
    w.drain();
    let refer = in_leg(&inv, &b, "REFER", 1, "Refer-To: <sip:*61003@koppla>\r\n");
    let out = w.feed(&refer, b.addr);
    assert_eq!(final_to(&out, b.addr), [202]);
    assert!(
        sent(&out, c.addr, Method::Invite).is_empty(),
        "carol is busy"
    );
    let held = w.core.parked_calls();
    assert_eq!(held.len(), 1);
    assert_eq!(
        (held[0].owner.as_str(), held[0].by.as_deref()),
        ("carol", Some("bob")),
        "camped on carol by bob"
    );
    // carol hangs up her call: the camped caller rings her at once.
    let bye = c.request(
        "BYE",
        &format!("sip:dave@{}", d.addr),
        "<sip:dave@koppla>;tag=t-dave",
        "talk-c",
        "",
        "",
        "z9hG4bKcarolbye",
    );
    let out = w.feed(&bye, c.addr);
    assert_eq!(
        sent(&out, c.addr, Method::Invite).len(),
        1,
        "the camped call rings carol as soon as she is free: {out:?}"
    );
}

#[test]
fn a_full_personal_queue_refuses_an_agents_park_with_486() {
    let (mut w, _a, b, _c, _to, inv) = bob_answers("q-full");
    w.core.cfg.calls.park.limit = 0;
    let refer = in_leg(&inv, &b, "REFER", 1, "Refer-To: <sip:*61003@koppla>\r\n");
    let out = w.feed(&refer, b.addr);
    assert_eq!(final_to(&out, b.addr), [486]);
    assert!(w.core.parked_calls().is_empty(), "the call stays with bob");
}

#[test]
fn an_agent_sends_a_queue_call_to_a_colleagues_voicemail() {
    let (mut w, _a, b, c, _to, inv) = bob_answers("q-vm");
    w.core.cfg.calls.voicemail = true;
    let refer = in_leg(&inv, &b, "REFER", 1, "Refer-To: <sip:*91003@koppla>\r\n");
    let out = w.feed(&refer, b.addr);
    assert_eq!(final_to(&out, b.addr), [202]);
    assert!(sent(&out, c.addr, Method::Invite).is_empty());
    assert!(
        media_log(&w).contains(&"queue_voicemail q-vm 0 carol alice".to_string()),
        "{:?}",
        media_log(&w)
    );
    // Voicemail off: refused, the caller stays with bob.
    let (mut w, _a, b, _c, _to, inv) = bob_answers("q-vm2");
    let refer = in_leg(&inv, &b, "REFER", 1, "Refer-To: <sip:*91003@koppla>\r\n");
    let out = w.feed(&refer, b.addr);
    assert_eq!(final_to(&out, b.addr), [480]);
}
