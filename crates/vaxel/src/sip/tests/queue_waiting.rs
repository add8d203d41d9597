//! Queued callers who are not answered: abandoning while waiting, max-wait overflow, and the
//! longest-idle strategy's choice between agents.

use super::queues::*;
use super::*;
use crate::queue_config::{Overflow, Strategy};
use koppla_sip::rsip::Method;

#[test]
fn caller_abandoning_while_waiting_counts_and_updates_counters() {
    let mut w = world_with(queue(Strategy::RingAll, &["bob"], Overflow::Busy));
    let (mut a, mut b) = (phone("alice", 5071), phone("bob", 5081));
    assert_eq!(w.register(&mut b, PW), 200);
    let (to, out) = call_queue(&mut w, &mut a, "q-ab");
    let inv = sent(&out, b.addr, Method::Invite).remove(0);
    w.feed(&reply(&inv, 180, "b", "", b.addr), b.addr);
    w.now += Duration::from_secs(5);
    w.core.tick(w.now);
    assert_eq!(status(&w).longest_wait_secs, 5);
    queue_events(&mut w);
    let out = hang_up(&mut w, &mut a, "q-ab", &to);
    assert_eq!(
        sent(&out, b.addr, Method::Cancel).len(),
        1,
        "the agent stops ringing"
    );
    let ev = queue_events(&mut w);
    let last = ev.last().expect("queue_changed after abandon");
    assert_eq!(
        (last.waiting, last.abandoned_today, last.answered_today),
        (0, 1, 0)
    );
    // bob answers just too late: ACK and BYE, and it is not counted as answered.
    let out = w.feed(&reply(&inv, 200, "b", SDP_B, b.addr), b.addr);
    assert_eq!(sent(&out, b.addr, Method::Ack).len(), 1);
    assert_eq!(sent(&out, b.addr, Method::Bye).len(), 1);
    assert_eq!(status(&w).answered_today, 0);
    assert_eq!(status(&w).agents_free, 1);
}

#[test]
fn max_wait_overflows_to_busy_voicemail_or_another_user() {
    // Busy: the switch hangs up on the caller.
    let mut w = world_with(queue(Strategy::RingAll, &["bob"], Overflow::Busy));
    let mut a = phone("alice", 5071);
    let (_, out) = call_queue(&mut w, &mut a, "q-ov1");
    assert!(out.is_empty(), "no agent registered");
    w.now += Duration::from_secs(59);
    w.core.tick(w.now);
    assert!(sent(&w.drain(), a.addr, Method::Bye).is_empty());
    w.now += Duration::from_secs(1);
    w.core.tick(w.now);
    assert_eq!(sent(&w.drain(), a.addr, Method::Bye).len(), 1);
    let s = status(&w);
    assert_eq!(
        (s.waiting, s.abandoned_today),
        (0, 0),
        "overflow is not abandonment"
    );

    // Voicemail: the caller's media switches to recording into carol's mailbox.
    let mut w = world_with(queue(
        Strategy::RingAll,
        &["bob"],
        Overflow::Voicemail("carol".into()),
    ));
    w.core.cfg.calls.voicemail = true;
    let mut a = phone("alice", 5071);
    call_queue(&mut w, &mut a, "q-ov2");
    w.now += Duration::from_secs(60);
    w.core.tick(w.now);
    assert!(w
        .media
        .0
        .lock()
        .unwrap()
        .contains(&"queue_voicemail q-ov2 0 carol alice".to_string()));
    let events: Vec<CoreEvent> = std::iter::from_fn(|| w.core.poll_event()).collect();
    assert!(
        events
            .iter()
            .any(|e| matches!(e, CoreEvent::MissedCall { username, .. } if username == "carol")),
        "{events:?}"
    );

    // Forward: carol's phone rings with the caller, and her answer is bridged.
    let mut w = world_with(queue(
        Strategy::RingAll,
        &["bob"],
        Overflow::Forward("1003".into()),
    ));
    let (mut a, mut c) = (phone("alice", 5071), phone("carol", 5091));
    assert_eq!(w.register(&mut c, PW), 200);
    call_queue(&mut w, &mut a, "q-ov3");
    w.now += Duration::from_secs(60);
    w.core.tick(w.now);
    let inv = sent(&w.drain(), c.addr, Method::Invite);
    assert_eq!(inv.len(), 1);
    w.feed(&reply(&inv[0], 200, "c", SDP_B, c.addr), c.addr);
    assert!(w
        .media
        .0
        .lock()
        .unwrap()
        .iter()
        .any(|l| l.starts_with("queue_bridge q-ov3")));
}

#[test]
fn longest_idle_prefers_the_agent_idle_longest() {
    let mut w = world_with(queue(
        Strategy::LongestIdle,
        &["bob", "carol"],
        Overflow::Busy,
    ));
    let (mut a, mut b, mut c) = (
        phone("alice", 5071),
        phone("bob", 5081),
        phone("carol", 5091),
    );
    assert_eq!(w.register(&mut b, PW), 200);
    assert_eq!(w.register(&mut c, PW), 200);
    // bob takes a call; then carol has never had one, so she is next, then bob again.
    let mut order = Vec::new();
    for i in 0..3 {
        let call_id = format!("li-{i}");
        let (to, out) = call_queue(&mut w, &mut a, &call_id);
        let (addr, who) = if sent(&out, b.addr, Method::Invite).is_empty() {
            (c.addr, "carol")
        } else {
            (b.addr, "bob")
        };
        let inv = sent(&out, addr, Method::Invite).remove(0);
        w.feed(&reply(&inv, 200, "x", SDP_B, addr), addr);
        w.now += Duration::from_secs(1);
        hang_up(&mut w, &mut a, &call_id, &to);
        order.push(who);
    }
    assert_eq!(order, ["bob", "carol", "bob"]);
}
