//! Legs the switch answers itself (a queue, a parked call) whose caller went silent are hung
//! up with the dead-media `Reason` and leave their feature (decision 0407), on a fake clock
//! with the caller's last-packet time set by hand.

use super::dead_media::{byes, tick_at, Heard};
use super::queues::{call_queue, queue, queue_events, reply, sent, status, world_with};
use super::*;
use crate::model::ParkedCall;
use crate::queue_config::{Overflow, Strategy};
use crate::sip::QueueDef;
use koppla_sip::rsip::{Method, Request};

const TIMEOUT: Duration = Duration::from_secs(30);

/// A queue of bob's whose maximum wait (an hour) never ends a call in these tests.
fn patient_queue() -> World {
    world_with(QueueDef {
        max_wait: Duration::from_secs(3600),
        ..queue(Strategy::RingAll, &["bob"], Overflow::Busy)
    })
}

type Clock = Arc<Mutex<Option<Instant>>>;

/// Puts the test media in, whose legs report `caller` as the caller's last packet.
fn watched(w: &mut World) -> Clock {
    watched_with_agent(w).0
}

/// Like `watched`; the second clock is the connected agent's last packet.
fn watched_with_agent(w: &mut World) -> (Clock, Clock) {
    let (caller, agent) = (Clock::default(), Clock::default());
    w.core.media = Box::new(Heard {
        inner: w.media.clone(),
        heard: Arc::default(),
        caller: caller.clone(),
        agent: agent.clone(),
    });
    w.core.set_media_timeout(TIMEOUT);
    (caller, agent)
}

/// alice waits in bob's queue, bob answers; returns the world, both phones, the clocks, the
/// offer to bob and the To of the switch's 200 to alice.
fn connected() -> (World, Phone, Phone, (Clock, Clock), Request, String) {
    let mut w = patient_queue();
    let clocks = watched_with_agent(&mut w);
    let (mut a, mut b) = (phone("alice", 5071), phone("bob", 5081));
    assert_eq!(w.register(&mut b, PW), 200);
    let (to, out) = call_queue(&mut w, &mut a, "q-conn");
    let inv = sent(&out, b.addr, Method::Invite).remove(0);
    let out = w.feed(&reply(&inv, 200, "b", SDP_B, b.addr), b.addr);
    assert_eq!(sent(&out, b.addr, Method::Ack).len(), 1);
    (w, a, b, clocks, inv, to)
}

fn h(r: &Request, name: &str) -> String {
    m::header_values_in(&r.headers, name)
        .first()
        .cloned()
        .unwrap_or_default()
}

fn assert_lost(bye: &Request) {
    assert_eq!(
        h(bye, "Reason"),
        super::super::dead_media::MEDIA_TIMEOUT_REASON,
        "{bye:?}"
    );
}

fn parked_events(w: &mut World) -> Vec<Vec<ParkedCall>> {
    std::iter::from_fn(|| w.core.poll_event())
        .filter_map(|e| match e {
            CoreEvent::ParkedChanged(list) => Some(list),
            _ => None,
        })
        .collect()
}

/// A re-INVITE from `p` into the switch's dialog `to` of `call_id` with `sdp`.
fn reinvite(
    w: &mut World,
    p: &mut Phone,
    to: &str,
    call_id: &str,
    sdp: &str,
    branch: &str,
) -> Vec<(SocketAddr, SipMessage)> {
    let req = p.request(
        "INVITE",
        "sip:vaxel@127.0.0.1:5060",
        to,
        call_id,
        "",
        sdp,
        branch,
    );
    w.feed(&req, p.addr)
}

#[test]
fn a_queued_caller_who_keeps_sending_stays_and_one_who_went_silent_is_hung_up_and_leaves() {
    // bob is not registered: the caller waits.
    let mut w = patient_queue();
    let caller = watched(&mut w);
    let mut a = phone("alice", 5071);
    let (_, _) = call_queue(&mut w, &mut a, "q-dead");
    let answered = w.now;
    let s = |n: u64| answered + Duration::from_secs(n);
    assert_eq!(status(&w).waiting, 1);
    // Nothing heard yet, but the timeout has not passed since the answer.
    assert!(byes(&tick_at(&mut w, s(29))).is_empty());
    // The caller's phone sends all along: kept for several timeouts.
    for t in (30..=120).step_by(5) {
        *caller.lock().unwrap() = Some(s(t) - Duration::from_millis(20));
        assert!(byes(&tick_at(&mut w, s(t))).is_empty(), "alive at {t} s");
    }
    queue_events(&mut w);
    // Its phone died just before 120 s: 30 s later the caller is gone.
    assert!(
        byes(&tick_at(&mut w, s(149))).is_empty(),
        "29.98 s of silence"
    );
    let out = tick_at(&mut w, s(150));
    let sent = byes(&out);
    assert_eq!(sent.len(), 1, "{out:?}");
    let (to, bye) = &sent[0];
    assert_eq!(*to, a.addr);
    assert_eq!(h(bye, "Call-ID"), "q-dead");
    assert_eq!(bye.uri.to_string(), "sip:alice@127.0.0.1:5071");
    assert_lost(bye);
    let log = w.media.0.lock().unwrap().clone();
    assert!(log.contains(&"release q-dead".to_string()), "{log:?}");
    let s_now = status(&w);
    assert_eq!((s_now.waiting, s_now.abandoned_today), (0, 1));
    let last = queue_events(&mut w);
    assert_eq!(
        last.last().map(|q| (q.waiting, q.abandoned_today)),
        Some((0, 1)),
        "the queue's subscribers see the caller leave"
    );
    assert!(byes(&tick_at(&mut w, s(300))).is_empty(), "hung up once");
}

#[test]
fn a_silent_caller_connected_to_an_agent_ends_both_legs_with_the_reason() {
    let (mut w, a, b, (caller, agent), inv, _) = connected();
    let answered = w.now;
    *caller.lock().unwrap() = Some(answered + Duration::from_secs(10));
    // bob's phone talks on; alice's died at 10 s.
    *agent.lock().unwrap() = Some(answered + Duration::from_secs(39));
    assert!(byes(&tick_at(&mut w, answered + Duration::from_secs(39))).is_empty());
    let out = tick_at(&mut w, answered + Duration::from_secs(40));
    let to_alice = sent(&out, a.addr, Method::Bye);
    let to_bob = sent(&out, b.addr, Method::Bye);
    assert_eq!((to_alice.len(), to_bob.len()), (1, 1), "{out:?}");
    assert_lost(&to_alice[0]);
    // The agent's phone learns why its call ended (a Koppla phone says "connection lost").
    assert_lost(&to_bob[0]);
    assert_eq!(h(&to_bob[0], "Call-ID"), h(&inv, "Call-ID"));
    let s = status(&w);
    assert_eq!((s.waiting, s.agents_free, s.answered_today), (0, 1, 1));
}

#[test]
fn a_parked_caller_on_hold_is_kept_and_watched_again_once_they_resume() {
    let (mut w, mut a, b, _c) = world_bob_carol();
    let caller = watched(&mut w);
    let out = invite(&mut w, &mut a, "*61002", "park-dead");
    let (_, code, ok) = response(&out, 1);
    assert_eq!(code, 200, "{out:?}");
    let to = m::header_values_in(&ok.headers, "To")[0].clone();
    let ack = a.request(
        "ACK",
        "sip:vaxel@127.0.0.1:5060",
        &to,
        "park-dead",
        "",
        "",
        "z9hG4bKackpd",
    );
    w.feed(&ack, a.addr);
    assert_eq!(w.core.parked_calls().len(), 1);
    parked_events(&mut w);
    let parked = w.now;
    let s = |n: u64| parked + Duration::from_secs(n);
    *caller.lock().unwrap() = Some(s(5));

    // The caller puts the call on hold: their phone sends nothing, and that is no fault.
    let held = SDP_A.replace("m=audio", "a=sendonly\r\nm=audio");
    w.now = s(6);
    let out = reinvite(&mut w, &mut a, &to, "park-dead", &held, "z9hG4bKpdhold");
    assert_eq!(response(&out, 0).1, 200);
    for t in [60, 300, 900] {
        let out = tick_at(&mut w, s(t));
        assert!(
            byes(&out).iter().all(|(to, _)| *to != a.addr),
            "held at {t} s"
        );
    }
    assert_eq!(w.core.parked_calls().len(), 1, "still parked while on hold");
    // bob was offered the call meanwhile (the recall); that ring is not the point here.
    let _ = sent(&w.drain(), b.addr, Method::Invite);
    parked_events(&mut w);

    // Resumed at 1000 s: a full timeout from then, whatever was heard before the hold.
    w.now = s(1000);
    let out = reinvite(&mut w, &mut a, &to, "park-dead", SDP_A, "z9hG4bKpdresume");
    assert_eq!(response(&out, 0).1, 200);
    let to_alice = |out: &[(SocketAddr, SipMessage)]| sent(out, a.addr, Method::Bye);
    assert!(to_alice(&tick_at(&mut w, s(1029))).is_empty());
    let out = tick_at(&mut w, s(1030));
    let bye = to_alice(&out);
    assert_eq!(bye.len(), 1, "{out:?}");
    assert_lost(&bye[0]);
    assert!(w.core.parked_calls().is_empty());
    let lists = parked_events(&mut w);
    assert_eq!(
        lists.last().map(Vec::len),
        Some(0),
        "clients see the parked call go: {lists:?}"
    );
}

#[test]
fn a_zero_timeout_or_a_backend_that_cannot_tell_never_hangs_up() {
    let mut w = patient_queue();
    let mut a = phone("alice", 5071);
    // The plain fake media cannot tell when the caller was heard.
    w.core.set_media_timeout(TIMEOUT);
    call_queue(&mut w, &mut a, "q-blind");
    let t0 = w.now;
    assert!(byes(&tick_at(&mut w, t0 + Duration::from_secs(600))).is_empty());
    // Watched, but the check is off.
    let mut w = patient_queue();
    watched(&mut w);
    w.core.set_media_timeout(Duration::ZERO);
    call_queue(&mut w, &mut a, "q-off");
    let t0 = w.now;
    assert!(byes(&tick_at(&mut w, t0 + Duration::from_secs(600))).is_empty());
    assert_eq!(status(&w).waiting, 1);
}

#[test]
fn a_silent_agent_ends_the_call_for_both_unless_the_agent_holds() {
    let (mut w, a, mut b, (caller, agent), inv, _) = connected();
    let answered = w.now;
    let s = |n: u64| answered + Duration::from_secs(n);
    *caller.lock().unwrap() = Some(s(1000));
    *agent.lock().unwrap() = Some(s(5));
    // bob holds at 6 s: his phone may send nothing, and that is no fault.
    let agent_to = m::header_values_in(&inv.headers, "From")[0].clone();
    let held = SDP_B.replace("m=audio", "a=inactive\r\nm=audio");
    let leg = h(&inv, "Call-ID");
    let hold = b.request(
        "INVITE",
        "sip:vaxel@127.0.0.1:5060",
        &agent_to,
        &leg,
        "",
        &held,
        "z9hG4bKagenthold",
    );
    w.now = s(6);
    assert_eq!(response(&w.feed(&hold, b.addr), 0).1, 200);
    assert!(byes(&tick_at(&mut w, s(600))).is_empty(), "held");
    // Resumed at 700 s; his phone dies at once.
    let resume = b.request(
        "INVITE",
        "sip:vaxel@127.0.0.1:5060",
        &agent_to,
        &leg,
        "",
        SDP_B,
        "z9hG4bKagentresume",
    );
    w.now = s(700);
    assert_eq!(response(&w.feed(&resume, b.addr), 0).1, 200);
    assert!(byes(&tick_at(&mut w, s(729))).is_empty());
    let out = tick_at(&mut w, s(730));
    let (to_alice, to_bob) = (
        sent(&out, a.addr, Method::Bye),
        sent(&out, b.addr, Method::Bye),
    );
    assert_eq!((to_alice.len(), to_bob.len()), (1, 1), "{out:?}");
    // alice's phone says "connection lost" instead of a normal hang-up.
    assert_lost(&to_alice[0]);
    assert_lost(&to_bob[0]);
    let log = w.media.0.lock().unwrap().clone();
    assert!(log.contains(&"release q-conn".to_string()), "{log:?}");
    assert!(byes(&tick_at(&mut w, s(800))).is_empty(), "once");
}
