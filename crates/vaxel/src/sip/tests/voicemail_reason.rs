//! Why a call went to voicemail reaches the media job (it picks the busy or the no-answer
//! greeting): every phone declining busy, or the callee already being on another call, is
//! "busy"; ringing out is "no answer" (ring_timeout.rs checks the plain case).

use super::queues::{reply, sent};
use super::*;
use koppla_sip::rsip::Method;

fn voicemail_log(w: &World) -> Vec<String> {
    w.media
        .0
        .lock()
        .unwrap()
        .iter()
        .filter(|l| l.starts_with("voicemail "))
        .cloned()
        .collect()
}

#[test]
fn a_phone_that_says_busy_sends_the_caller_to_the_busy_greeting() {
    let mut w = world();
    w.core.cfg.calls.voicemail = true;
    let mut a = phone("alice", 5071);
    let mut b = phone("bob", 5081);
    assert_eq!(w.register(&mut b, PW), 200);
    let out = invite(&mut w, &mut a, "1002", "vm-busy");
    let inv = sent(&out, b.addr, Method::Invite)
        .pop()
        .expect("INVITE to bob");
    let out = w.feed(&reply(&inv, 486, "b1", "", b.addr), b.addr);
    // The switch answers alice itself and bob gets a missed call.
    assert!(out
        .iter()
        .any(|(to, msg)| *to == a.addr
            && matches!(msg, SipMessage::Response(r) if m::status(r) == 200)));
    assert_eq!(voicemail_log(&w), ["voicemail vm-busy 0 bob alice busy"]);
    assert!(std::iter::from_fn(|| w.core.poll_event()).any(|e| e
        == CoreEvent::MissedCall {
            username: "bob".into(),
            from: "alice".into()
        }));
}

#[test]
fn a_callee_on_another_call_who_does_not_answer_is_busy() {
    let mut w = world();
    w.core.cfg.calls.voicemail = true;
    w.core.cfg.calls.ring_timeout = Duration::from_secs(2);
    let mut a = phone("alice", 5071);
    let mut b = phone("bob", 5081);
    let mut c = phone("carol", 5091);
    assert_eq!(w.register(&mut b, PW), 200);
    // carol and bob are talking.
    let out = invite_with(&mut w, &mut c, "1002", "talk", "", SDP_A);
    let inv = sent(&out, b.addr, Method::Invite)
        .pop()
        .expect("INVITE to bob");
    w.feed(&reply(&inv, 200, "b1", SDP_B, b.addr), b.addr);
    // alice's call rings bob's phone (call waiting) until it times out.
    let out = invite_with(&mut w, &mut a, "1002", "vm-waiting", "", SDP_A);
    let inv = sent(&out, b.addr, Method::Invite)
        .pop()
        .expect("second INVITE to bob");
    w.feed(&reply(&inv, 180, "b2", "", b.addr), b.addr);
    w.now += Duration::from_secs(3);
    w.core.tick(w.now);
    assert_eq!(voicemail_log(&w), ["voicemail vm-waiting 0 bob alice busy"]);
}

#[test]
fn one_busy_phone_and_one_that_rings_out_is_no_answer() {
    let mut w = world();
    w.core.cfg.calls.voicemail = true;
    let mut a = phone("alice", 5071);
    let mut b1 = phone("bob", 5081);
    let mut b2 = phone("bob", 5082);
    assert_eq!(w.register(&mut b1, PW), 200);
    assert_eq!(w.register(&mut b2, PW), 200);
    let out = invite(&mut w, &mut a, "1002", "vm-mixed");
    let i1 = sent(&out, b1.addr, Method::Invite)
        .pop()
        .expect("INVITE to desk");
    let i2 = sent(&out, b2.addr, Method::Invite)
        .pop()
        .expect("INVITE to mobile");
    w.feed(&reply(&i1, 486, "d1", "", b1.addr), b1.addr);
    assert!(voicemail_log(&w).is_empty(), "the other phone still rings");
    w.feed(&reply(&i2, 480, "m1", "", b2.addr), b2.addr);
    assert_eq!(voicemail_log(&w), ["voicemail vm-mixed 0 bob alice"]);
}
