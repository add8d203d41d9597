//! Who is on a call: published per change so every client sees colleagues on the phone.

use super::queues::{alice_bob_carol, call_queue, hang_up, queue, reply, sent, world_with};
use super::*;
use crate::queue_config::{Overflow, Strategy};
use koppla_sip::rsip::Method;

/// The on-call changes the core published since the last call, in order.
fn on_call_events(w: &mut World) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    while let Some(e) = w.core.poll_event() {
        if let CoreEvent::OnCallChanged { username, on_call } = e {
            out.push((username, on_call));
        }
    }
    out
}

fn sorted(mut v: Vec<(String, bool)>) -> Vec<(String, bool)> {
    v.sort();
    v
}

fn pair(a: &str, b: &str, on: bool) -> Vec<(String, bool)> {
    sorted(vec![(a.to_string(), on), (b.to_string(), on)])
}

#[test]
fn a_call_between_two_users_puts_both_on_a_call_once_and_hanging_up_clears_it() {
    let mut w = world();
    let (mut a, mut b) = (phone("alice", 5071), phone("bob", 5081));
    assert_eq!(w.register(&mut a, PW), 200);
    assert_eq!(w.register(&mut b, PW), 200);
    assert!(on_call_events(&mut w).is_empty(), "nobody is on a call");

    let out = invite(&mut w, &mut a, "1002", "talk-1");
    let inv = sent(&out, b.addr, Method::Invite);
    assert_eq!(inv.len(), 1, "bob's phone rings: {out:?}");
    assert_eq!(
        sorted(on_call_events(&mut w)),
        pair("alice", "bob", true),
        "ringing counts as on a call, one event each"
    );
    assert!(w.core.on_call("alice") && w.core.on_call("bob"));
    assert!(!w.core.on_call("carol"));

    w.feed(&reply(&inv[0], 180, "bt", "", b.addr), b.addr);
    w.feed(&reply(&inv[0], 200, "bt", SDP_B, b.addr), b.addr);
    w.now += Duration::from_secs(30);
    w.core.tick(w.now);
    assert!(
        on_call_events(&mut w).is_empty(),
        "answering changes nothing: still on a call"
    );
    assert_eq!(w.core.users_on_call(), ["alice", "bob"]);

    let bye = b.request(
        "BYE",
        &format!("sip:alice@{}", a.addr),
        "<sip:alice@koppla>;tag=t-alice",
        "talk-1",
        "",
        "",
        "z9hG4bKbobbye1",
    );
    w.feed(&bye, b.addr);
    assert_eq!(sorted(on_call_events(&mut w)), pair("alice", "bob", false));
    assert!(!w.core.on_call("alice") && !w.core.on_call("bob"));
    w.now += Duration::from_secs(1);
    w.core.tick(w.now);
    assert!(on_call_events(&mut w).is_empty(), "nothing more to say");
}

#[test]
fn a_declined_call_stops_being_a_call_for_both() {
    let mut w = world();
    let (mut a, mut b) = (phone("alice", 5071), phone("bob", 5081));
    assert_eq!(w.register(&mut a, PW), 200);
    assert_eq!(w.register(&mut b, PW), 200);
    on_call_events(&mut w);
    let out = invite(&mut w, &mut a, "1002", "ring-1");
    let inv = sent(&out, b.addr, Method::Invite);
    w.feed(&reply(&inv[0], 180, "bt", "", b.addr), b.addr);
    assert_eq!(sorted(on_call_events(&mut w)), pair("alice", "bob", true));
    w.feed(&reply(&inv[0], 603, "bt", "", b.addr), b.addr);
    assert!(!w.core.on_call("bob"), "bob declined: no longer ringing");
    let events = on_call_events(&mut w);
    assert!(
        events.contains(&("bob".to_string(), false)),
        "bob is free again: {events:?}"
    );
    assert!(events.contains(&("alice".to_string(), false)), "{events:?}");
}

#[test]
fn a_queue_call_offered_to_an_agent_puts_the_agent_and_the_calling_user_on_a_call() {
    let mut w = world_with(queue(Strategy::RingAll, &["bob"], Overflow::Busy));
    let (mut a, mut b, _c) = alice_bob_carol();
    assert_eq!(w.register(&mut b, PW), 200);
    on_call_events(&mut w);
    let (to, out) = call_queue(&mut w, &mut a, "q-on-1");
    let inv = sent(&out, b.addr, Method::Invite);
    assert_eq!(inv.len(), 1, "bob is offered the call: {out:?}");
    assert_eq!(
        sorted(on_call_events(&mut w)),
        pair("alice", "bob", true),
        "the ringing agent and alice waiting in the queue"
    );
    assert!(w.core.on_call("bob"));

    // Bridged to bob: nothing changes.
    w.feed(&reply(&inv[0], 200, "b", SDP_B, b.addr), b.addr);
    assert!(on_call_events(&mut w).is_empty());
    assert!(w.core.on_call("alice") && w.core.on_call("bob"));

    // alice hangs up: the switch hangs up bob's leg too.
    let out = hang_up(&mut w, &mut a, "q-on-1", &to);
    assert_eq!(sent(&out, b.addr, Method::Bye).len(), 1);
    assert_eq!(sorted(on_call_events(&mut w)), pair("alice", "bob", false));
    assert!(w.core.users_on_call().is_empty());
}

#[test]
fn an_agent_stops_being_on_a_call_when_an_unanswered_offer_is_withdrawn() {
    let mut w = world_with(queue(Strategy::RingAll, &["bob"], Overflow::Busy));
    let (mut a, mut b, _c) = alice_bob_carol();
    assert_eq!(w.register(&mut b, PW), 200);
    let (to, out) = call_queue(&mut w, &mut a, "q-on-2");
    let inv = sent(&out, b.addr, Method::Invite);
    w.feed(&reply(&inv[0], 180, "b", "", b.addr), b.addr);
    assert_eq!(sorted(on_call_events(&mut w)), pair("alice", "bob", true));
    // alice gives up while bob's phone rings.
    let out = hang_up(&mut w, &mut a, "q-on-2", &to);
    assert_eq!(sent(&out, b.addr, Method::Cancel).len(), 1);
    assert_eq!(on_call_events(&mut w), [("alice".to_string(), false)]);
    // bob's phone confirms the CANCEL: his leg is gone.
    w.feed(&reply(&inv[0], 487, "b", "", b.addr), b.addr);
    assert_eq!(on_call_events(&mut w), [("bob".to_string(), false)]);
    assert!(!w.core.on_call("bob"));
}
