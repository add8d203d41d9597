//! Directed pickup in the sans-IO core: alice calls bob, bob's phone rings, carol takes the
//! call; her phone is forked in with `Answer-Mode: Auto`, and bob's stops with "call
//! completed elsewhere" when she answers.

use super::queues::{reply, sent};
use super::*;
use crate::sip::PickupError;
use koppla_sip::reason::COMPLETED_ELSEWHERE;
use koppla_sip::rsip::Method;

#[test]
fn carol_picks_up_the_call_ringing_bob() {
    let (mut w, mut a, b, c) = world_bob_carol();
    let out = invite(&mut w, &mut a, "1002", "ring-1");
    let ring = sent(&out, b.addr, Method::Invite);
    w.feed(&reply(&ring[0], 180, "b", "", b.addr), b.addr);
    w.drain();
    w.core
        .pick_up_ringing("1002", "carol", w.now)
        .expect("pick up");
    let out = w.drain();
    let inv = sent(&out, c.addr, Method::Invite);
    assert_eq!(inv.len(), 1, "carol's phone is forked in: {out:?}");
    assert_eq!(
        m::header_values_in(&inv[0].headers, "Answer-Mode"),
        ["Auto"]
    );
    assert_eq!(m::header_values_in(&inv[0].headers, "Call-ID"), ["ring-1"]);
    assert!(m::header_values_in(&inv[0].headers, "From")[0].contains("sip:alice@koppla"));
    assert!(
        sent(&out, b.addr, Method::Cancel).is_empty(),
        "bob rings on until she answers"
    );
    let out = w.feed(&reply(&inv[0], 200, "c", SDP_B, c.addr), c.addr);
    let answered = out.iter().any(|(to, msg)| {
        *to == a.addr && matches!(msg, SipMessage::Response(r) if m::status(r) == 200)
    });
    assert!(answered, "alice's call is answered by carol: {out:?}");
    let cancel = sent(&out, b.addr, Method::Cancel);
    assert_eq!(cancel.len(), 1);
    assert_eq!(
        m::header_values_in(&cancel[0].headers, "Reason"),
        [COMPLETED_ELSEWHERE],
        "bob's phone logs it as answered elsewhere, not missed"
    );
}

#[test]
fn pickup_is_refused_without_permission_a_ringing_call_or_a_phone() {
    let (mut w, mut a, b, c) = world_bob_carol();
    assert_eq!(
        w.core.pick_up_ringing("bob", "carol", w.now),
        Err(PickupError::NothingRinging("bob".into()))
    );
    assert_eq!(
        w.core.pick_up_ringing("nobody", "carol", w.now),
        Err(PickupError::NothingRinging("nobody".into()))
    );
    let out = invite(&mut w, &mut a, "1002", "ring-2");
    assert_eq!(sent(&out, b.addr, Method::Invite).len(), 1);
    w.core.cfg.calls.park.pickup.insert("carol".into(), false);
    assert_eq!(
        w.core.pick_up_ringing("bob", "carol", w.now),
        Err(PickupError::NotAllowed("carol".into()))
    );
    w.core.directory_mut().upsert(user("dave", "1004"));
    assert_eq!(
        w.core.pick_up_ringing("bob", "dave", w.now),
        Err(PickupError::NoDevice("dave".into()))
    );
    assert!(
        sent(&w.drain(), c.addr, Method::Invite).is_empty(),
        "nothing rang"
    );
}
