//! A call queue with real peers: a baresip caller dials the queue number, the switch answers
//! and plays hold music, offers the call to a baresip agent, and bridges them; audio is
//! checked both ways through the switch's relay, and the queue counters move on the event bus.
//! An agent's blind transfer (REFER) hands the caller to a colleague, audio checked again.

mod peers;

use koppla_interop::TestDir;
use koppla_vaxel::events::Event;
use koppla_vaxel::queue_config::{Overflow, QueueConfig, Strategy};
use koppla_vaxel::VaxelHandle;
use peers::{assert_received, baresip, loudest_before, WAIT};
use std::time::Duration;

fn seconds(party: usize) -> f64 {
    8.0 + 1.5 * party as f64
}

/// A runtime with a switch of alice, bob and carol and a support queue (7000) of bob.
fn start() -> (tokio::runtime::Runtime, VaxelHandle) {
    peers::start(|cfg| {
        cfg.queues.push(QueueConfig {
            id: "support".into(),
            number: "7000".into(),
            name: "Support".into(),
            members: vec!["bob".into()],
            strategy: Strategy::RingAll,
            agent_ring_secs: 20,
            max_wait_secs: 120,
            overflow: Overflow::Busy,
            announcement: None,
            hold_music: None,
        })
    })
}

/// The queue's counters from `queue_changed` events seen so far: (max waiting, answered).
fn counters(events: &mut tokio::sync::broadcast::Receiver<Event>, seen: &mut (u32, u32)) {
    while let Ok(ev) = events.try_recv() {
        if let Event::QueueChanged { queue } = ev {
            seen.0 = seen.0.max(queue.waiting);
            seen.1 = queue.answered_today;
        }
    }
}

#[test]
fn baresip_caller_reaches_a_baresip_agent_through_the_queue_with_audio_both_ways() {
    let (rt, handle) = start();
    let domain = handle.sip_addr.to_string();
    let mut events = handle.state.events.subscribe();
    let dir = TestDir::new("vaxel-queue").expect("temp dir");
    let mut caller = baresip(&dir, &domain, "alice", seconds(0));
    let mut agent = baresip(&dir, &domain, "bob", seconds(1));
    caller.wait_registered().expect("alice registers");
    agent.wait_registered().expect("bob registers");

    caller.dial(&format!("sip:7000@{domain}")).expect("dial");
    // The switch answers at once: the caller is in a call (hearing hold music) before any agent.
    caller
        .wait("CALL_ESTABLISHED", WAIT)
        .unwrap_or_else(|e| panic!("queue answers: {e}\n{}", caller.log_tail(40)));
    agent
        .wait("CALL_INCOMING", WAIT)
        .unwrap_or_else(|e| panic!("agent rings: {e}\n{}", agent.log_tail(40)));
    let mut seen = (0, 0);
    counters(&mut events, &mut seen);
    assert_eq!(seen.0, 1, "one caller waited");
    // Let the caller hold for a while before the agent picks up.
    std::thread::sleep(Duration::from_secs(2));
    agent.accept().expect("accept");
    agent
        .wait("CALL_ESTABLISHED", WAIT)
        .expect("agent established");
    std::thread::sleep(Duration::from_secs(5));
    // The agent hangs up; the switch ends the caller's side too.
    agent.hangup().expect("hangup");
    agent.wait("CALL_CLOSED", WAIT).expect("agent closed");
    caller
        .wait("CALL_CLOSED", WAIT)
        .unwrap_or_else(|e| panic!("caller closed: {e}\n{}", caller.log_tail(40)));
    std::thread::sleep(Duration::from_millis(300));
    counters(&mut events, &mut seen);
    assert_eq!(seen.1, 1, "answered_today counted");
    caller.stop();
    agent.stop();
    let rc = caller.recordings().expect("caller recordings");
    let ra = agent.recordings().expect("agent recordings");
    assert_received(
        &ra.received,
        seconds(0),
        "caller -> agent via the queue relay",
    );
    let (rec, agent_from) = assert_received(
        &rc.received,
        seconds(1),
        "agent -> caller via the queue relay",
    );
    // Before the agent's audio the caller heard the generated hold music, not silence.
    let loudest = loudest_before(&rec, agent_from);
    eprintln!("hold music before {agent_from:.2} s: loudest 200 ms rms {loudest:.3}");
    assert!(
        loudest > 0.02,
        "no hold music before the agent answered (rms {loudest})"
    );
    rt.block_on(handle.shutdown());
}

#[test]
fn a_baresip_agent_transfers_the_queue_call_to_a_colleague() {
    let (rt, handle) = start();
    let domain = handle.sip_addr.to_string();
    let dir = TestDir::new("vaxel-queue-transfer").expect("temp dir");
    // The caller's sweep lasts the whole call, through hold, bob and the transfer to carol.
    let (caller_secs, carol_secs) = (30.0, 7.0);
    let mut caller = baresip(&dir, &domain, "alice", caller_secs);
    let mut agent = baresip(&dir, &domain, "bob", seconds(1));
    let mut carol = baresip(&dir, &domain, "carol", carol_secs);
    for p in [&mut caller, &mut agent, &mut carol] {
        p.wait_registered().expect("registers");
    }
    caller.dial(&format!("sip:7000@{domain}")).expect("dial");
    caller
        .wait("CALL_ESTABLISHED", WAIT)
        .expect("queue answers");
    agent.wait("CALL_INCOMING", WAIT).expect("agent rings");
    agent.accept().expect("accept");
    agent
        .wait("CALL_ESTABLISHED", WAIT)
        .expect("agent established");
    std::thread::sleep(Duration::from_secs(2));

    agent
        .transfer(&format!("sip:1003@{domain}"))
        .expect("transfer");
    carol
        .wait("CALL_INCOMING", WAIT)
        .unwrap_or_else(|e| panic!("carol rings: {e}\n{}", agent.log_tail(40)));
    agent.wait("CALL_CLOSED", WAIT).unwrap_or_else(|e| {
        panic!(
            "bob's call ends after the transfer: {e}\n{}",
            agent.log_tail(40)
        )
    });
    carol.accept().expect("carol accepts");
    carol
        .wait("CALL_ESTABLISHED", WAIT)
        .expect("carol established");
    std::thread::sleep(Duration::from_secs(8));
    carol.hangup().expect("carol hangs up");
    caller
        .wait("CALL_CLOSED", WAIT)
        .unwrap_or_else(|e| panic!("caller closed: {e}\n{}", caller.log_tail(40)));
    for p in [&mut caller, &mut agent, &mut carol] {
        p.stop();
    }
    let rc = caller.recordings().expect("caller recordings");
    let rk = carol.recordings().expect("carol recordings");
    assert_received(
        &rk.received,
        caller_secs,
        "caller -> carol after the transfer",
    );
    assert_received(
        &rc.received,
        carol_secs,
        "carol -> caller after the transfer",
    );
    rt.block_on(handle.shutdown());
}
