//! Parking in the sans-IO core: a call transferred to `*6<number>` waits in that user's
//! personal queue with hold audio, is listed, rings its owner when the owner's next call ends
//! or the recall time passes, and colleagues with the pickup permission take it.

use super::queues::{reply, sent};
use super::*;
use crate::model::ParkedCall;
use crate::sip::ParkError;
use koppla_sip::rsip::Method;

fn parked_events(w: &mut World) -> Vec<Vec<ParkedCall>> {
    let mut out = Vec::new();
    while let Some(e) = w.core.poll_event() {
        if let CoreEvent::ParkedChanged(list) = e {
            out.push(list);
        }
    }
    out
}

/// alice's phone, as the far end of a REFER from bob, calls bob's park code; returns the To
/// of the switch's 200 (for alice's BYE).
fn park_at(w: &mut World, a: &mut Phone, code: &str, call_id: &str) -> String {
    let out = invite(w, a, code, call_id);
    let (to, status, ok) = response(&out, 1);
    assert_eq!((to, status), (a.addr, 200), "the switch answers: {out:?}");
    assert!(String::from_utf8_lossy(&ok.body).contains("m=audio 44000 RTP/AVP 0"));
    let log = w.media.0.lock().unwrap().clone();
    assert!(
        log.iter()
            .any(|l| l.starts_with(&format!("queue_hold {call_id} "))),
        "the caller hears hold audio: {log:?}"
    );
    let to = m::header_values_in(&ok.headers, "To")[0].clone();
    let ack = a.request(
        "ACK",
        "sip:vaxel@127.0.0.1:5060",
        &to,
        call_id,
        "",
        "",
        &format!("z9hG4bKack{call_id}"),
    );
    assert!(w.feed(&ack, a.addr).is_empty());
    to
}

#[test]
fn a_parked_call_is_listed_and_a_colleague_picks_it_up_with_audio_bridged() {
    let (mut w, mut a, b, c) = world_bob_carol();
    parked_events(&mut w);
    let _to = park_at(&mut w, &mut a, "*61002", "park-1");
    // Parking alone does not ring bob: he just parked it.
    assert!(sent(&w.drain(), b.addr, Method::Invite).is_empty());
    let lists = parked_events(&mut w);
    let list = lists.last().expect("parked_changed on arrival");
    assert_eq!(list.len(), 1);
    let p = &list[0];
    assert_eq!((p.owner.as_str(), p.owner_name.as_str()), ("bob", "bob N"));
    assert_eq!(p.caller, "alice");
    assert_eq!(
        p.caller_name.as_deref(),
        Some("alice N"),
        "a colleague's name"
    );
    assert_eq!(p.since, 1_800_000_000);
    assert_eq!(w.core.parked_calls(), *list);

    let view = w.core.park_pick_up(&p.id, "carol", w.now).expect("pick up");
    assert_eq!(view.id, p.id);
    let out = w.drain();
    let inv = sent(&out, c.addr, Method::Invite);
    assert_eq!(inv.len(), 1, "carol's phone rings: {out:?}");
    assert_eq!(
        m::header_values_in(&inv[0].headers, "Answer-Mode"),
        ["Auto"],
        "carol asked for the call: her phone answers by itself (RFC 5373)"
    );
    assert_eq!(
        m::header_values_in(&inv[0].headers, "Diversion"),
        ["\"bob N\" <sip:bob@koppla>;reason=deflection"]
    );
    assert!(m::header_values_in(&inv[0].headers, "From")[0].contains("sip:alice@koppla"));
    // Still parked until someone answers.
    assert_eq!(w.core.parked_calls().len(), 1);
    w.feed(&reply(&inv[0], 200, "c", SDP_B, c.addr), c.addr);
    let log = w.media.0.lock().unwrap().clone();
    assert!(
        log.contains(&"queue_bridge park-1 Some(192.168.1.20:5000)".to_string()),
        "{log:?}"
    );
    assert!(w.core.parked_calls().is_empty());
    assert_eq!(parked_events(&mut w).last(), Some(&Vec::new()));
    // Taken means gone: a second pickup finds nothing.
    assert_eq!(
        w.core.park_pick_up(&p.id, "bob", w.now),
        Err(ParkError::NotFound(p.id.clone()))
    );
}

#[test]
fn pickup_needs_the_permission_but_the_owner_may_always_take_their_own() {
    let (mut w, mut a, b, mut c) = world_bob_carol();
    w.core.cfg.calls.park.pickup.insert("carol".into(), false);
    park_at(&mut w, &mut a, "*61002", "park-2");
    let id = w.core.parked_calls()[0].id.clone();
    assert_eq!(
        w.core.park_pick_up(&id, "carol", w.now),
        Err(ParkError::NotAllowed("carol".into()))
    );
    assert!(sent(&w.drain(), c.addr, Method::Invite).is_empty());
    assert_eq!(w.core.parked_calls().len(), 1, "nothing lost");
    // dave has no registered device.
    w.core.directory_mut().upsert(user("dave", "1004"));
    assert_eq!(
        w.core.park_pick_up(&id, "dave", w.now),
        Err(ParkError::NoDevice("dave".into()))
    );
    assert_eq!(
        w.core.park_pick_up("p999", "bob", w.now),
        Err(ParkError::NotFound("p999".into()))
    );
    w.core.park_pick_up(&id, "bob", w.now).expect("own call");
    assert_eq!(sent(&w.drain(), b.addr, Method::Invite).len(), 1);
    let _ = &mut c;
}

#[test]
fn a_full_personal_queue_refuses_the_next_park_with_486() {
    let (mut w, mut a, _b, _c) = world_bob_carol();
    w.core.cfg.calls.park.limit = 1;
    park_at(&mut w, &mut a, "*6bob", "park-3");
    let mut d = phone("carol", 5092);
    let out = invite(&mut w, &mut d, "*61002", "park-4");
    let (_, code, r) = response(&out, 1);
    assert_eq!(code, 486);
    assert!(m::header_values_in(&r.headers, "Warning")[0].contains("personal queue is full"));
    assert_eq!(w.core.parked_calls().len(), 1);
}

#[test]
fn a_parked_call_rings_its_owner_after_the_recall_time_without_auto_answer() {
    let (mut w, mut a, b, _c) = world_bob_carol();
    park_at(&mut w, &mut a, "*61002", "park-5");
    w.now += Duration::from_secs(59);
    w.core.tick(w.now);
    assert!(sent(&w.drain(), b.addr, Method::Invite).is_empty());
    w.now += Duration::from_secs(2);
    w.core.tick(w.now);
    let inv = sent(&w.drain(), b.addr, Method::Invite);
    assert_eq!(inv.len(), 1, "bob is reminded of the parked call");
    assert!(m::header_values_in(&inv[0].headers, "Answer-Mode").is_empty());
    // Unanswered, it stays parked and comes back after ring time + recall, not at once.
    w.feed(&reply(&inv[0], 486, "b", "", b.addr), b.addr);
    w.now += Duration::from_secs(5);
    w.core.tick(w.now);
    assert!(sent(&w.drain(), b.addr, Method::Invite).is_empty());
    assert_eq!(w.core.parked_calls().len(), 1);
}

#[test]
fn when_the_owners_next_call_ends_the_parked_call_rings_them() {
    let (mut w, mut a, mut b, _c) = world_bob_carol();
    park_at(&mut w, &mut a, "*61002", "park-6");
    w.now += Duration::from_secs(1);
    // carol calls bob (a proxied call); bob answers; while it lasts the parked call waits.
    let mut c2 = phone("carol", 5093);
    let out = invite(&mut w, &mut c2, "1002", "talk-1");
    let inv = sent(&out, b.addr, Method::Invite);
    assert_eq!(inv.len(), 1);
    w.feed(&reply(&inv[0], 200, "bt", SDP_B, b.addr), b.addr);
    w.core.tick(w.now);
    assert!(sent(&w.drain(), b.addr, Method::Invite).is_empty());
    // bob hangs up: now the parked call rings him.
    let bye = b.request(
        "BYE",
        &format!("sip:carol@{}", c2.addr),
        "<sip:carol@koppla>;tag=t-carol",
        "talk-1",
        "",
        "",
        "z9hG4bKbobbye",
    );
    let out = w.feed(&bye, b.addr);
    let rings = sent(&out, b.addr, Method::Invite);
    assert_eq!(
        rings.len(),
        1,
        "the next call in bob's queue rings: {out:?}"
    );
}

#[test]
fn a_parked_caller_who_hangs_up_leaves_the_list_and_frees_the_media() {
    let (mut w, mut a, _b, _c) = world_bob_carol();
    let to = park_at(&mut w, &mut a, "*61002", "park-7");
    parked_events(&mut w);
    super::queues::hang_up(&mut w, &mut a, "park-7", &to);
    assert!(w.core.parked_calls().is_empty());
    assert_eq!(parked_events(&mut w).last(), Some(&Vec::new()));
    assert!(w
        .media
        .0
        .lock()
        .unwrap()
        .contains(&"release park-7".to_string()));
}
