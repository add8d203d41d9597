//! Dead calls end on the legs the switch answers itself (issue 18 item 2, decision 0407), with
//! real `koppla` CLIs killed with `kill -9` on a switch whose media timeout is 3 s:
//!
//! - alice waits in the support queue (its only agent, bob, is not registered),
//! - carol is parked for bob (she dials bob's park code),
//! - dave leaves bob a voicemail, playing a known sweep.
//!
//! All three are first kept for longer than the timeout: they stay only because their phones
//! send audio. Then the three CLIs are killed at once, and through the client API: the queue
//! empties (the caller counted as abandoned), the parked list empties, and dave's message is
//! stored up to where his audio stopped, with his sweep in it (cross-correlation). Each within
//! the timeout plus a little; run with `--nocapture` to see the figures.

mod peers;

use koppla_interop::audio::{read_wav, sweep, verify_transmission, write_wav};
use koppla_interop::{AgentOptions, KopplaAgent, TestDir};
use koppla_vaxel::config::UserConfig;
use koppla_vaxel::queue_config::{Overflow, QueueConfig, Strategy};
use peers::{api_login, parked, PW, PW_VAR, WAIT};
use serde_json::Value;
use std::process::Command;
use std::time::{Duration, Instant};

const MEDIA_TIMEOUT: Duration = Duration::from_secs(3);
/// The switch's 100 ms tick, the API poll, writing the message, and a loaded machine.
const SLACK: Duration = Duration::from_secs(2);
/// Past dave's greeting and tone, then several seconds of message.
const TALK: Duration = Duration::from_secs(12);
/// dave's sweep outlasts the call: he is still talking when killed.
const SWEEP_SECS: f64 = 40.0;

fn kill_9(pid: u32) {
    let killed = Command::new("kill")
        .args(["-9", &pid.to_string()])
        .status()
        .expect("run kill");
    assert!(killed.success(), "kill -9 {pid}");
}

fn get(rt: &tokio::runtime::Runtime, url: &str, token: &str) -> reqwest::Response {
    rt.block_on(async {
        reqwest::Client::new()
            .get(url)
            .bearer_auth(token)
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {url}: {e}"))
    })
}

fn json(rt: &tokio::runtime::Runtime, url: &str, token: &str) -> Value {
    let resp = get(rt, url, token);
    rt.block_on(resp.json()).expect("json")
}

/// (waiting, abandoned today) of the support queue.
fn queue_counts(rt: &tokio::runtime::Runtime, api: &str, token: &str) -> (u64, u64) {
    let list = json(rt, &format!("{api}/queues"), token);
    let q = &list[0];
    (
        q["waiting"].as_u64().expect("waiting"),
        q["abandoned_today"].as_u64().expect("abandoned_today"),
    )
}

/// The calls in the parked list, as the client API shows them.
fn parked_calls(rt: &tokio::runtime::Runtime, api: &str, token: &str) -> Vec<Value> {
    let list = parked(rt, api, token);
    list["calls"]
        .as_array()
        .cloned()
        .unwrap_or_else(|| panic!("a parked list: {list}"))
}

/// Calls `target` and waits until the call is established; returns its call id.
fn call(who: &mut KopplaAgent, target: &str) -> u64 {
    who.send(&format!("call {target}")).expect("call");
    who.wait_state("established", WAIT)
        .unwrap_or_else(|e| panic!("{}: {e}\n{}", who.name(), who.log_tail(40)))
}

#[test]
fn killed_callers_leave_the_queue_the_parked_list_and_a_partial_voicemail() {
    let dir = TestDir::new("vaxel-dead-local").expect("test dir");
    let voicemail_dir = dir.path().join("voicemail");
    let (rt, h) = peers::start(|cfg| {
        cfg.server.media_timeout_secs = u32::try_from(MEDIA_TIMEOUT.as_secs()).unwrap_or(3);
        cfg.server.voicemail_dir = Some(voicemail_dir.clone());
        cfg.users.push(UserConfig {
            username: "dave".into(),
            name: "dave".into(),
            short_number: Some("1004".into()),
            password_env: Some(PW_VAR.into()),
            ..Default::default()
        });
        cfg.queues.push(QueueConfig {
            id: "support".into(),
            number: "7000".into(),
            name: "Support".into(),
            members: vec!["bob".into()],
            strategy: Strategy::RingAll,
            agent_ring_secs: 20,
            // Far beyond the test: only the silence can end the wait.
            max_wait_secs: 600,
            overflow: Overflow::Busy,
            announcement: None,
            hold_music: None,
        });
    });
    let sip = h.sip_addr;
    let api = format!("http://{}/api/v1", h.api_addr);
    let token = api_login(&rt, &api, "bob");

    let reference = dir.path().join("dave-sweep.wav");
    write_wav(&reference, 8000, 1, &sweep(8000, SWEEP_SECS, 0.5)).expect("write sweep");
    let agent = |user: &str, play: bool| {
        let mut o = AgentOptions::new(&format!("sip:{user}@{sip}"), PW);
        // The CLIs' own media checks stay off: only the switch ends these calls.
        o.extra_args = vec!["--media-timeout".into(), "0".into()];
        if play {
            o.play = Some(reference.clone());
        }
        let mut a = KopplaAgent::start(user, &o, dir.path()).expect("start koppla");
        a.register().expect("register");
        a
    };
    let mut alice = agent("alice", false);
    let mut carol = agent("carol", false);
    let mut dave = agent("dave", true);
    let (a, c) = (
        call(&mut alice, &format!("sip:7000@{sip}")),
        call(&mut carol, &format!("sip:*61002@{sip}")),
    );
    let d = call(&mut dave, &format!("sip:1002@{sip}"));
    let established = Instant::now();
    assert_eq!(queue_counts(&rt, &api, &token), (1, 0), "alice waits");
    let list = parked_calls(&rt, &api, &token);
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0]["caller"], "carol");

    // Longer than the timeout, several times over: audio flows, so nobody is dropped.
    assert!(TALK > MEDIA_TIMEOUT + SLACK);
    for (who, id) in [(&mut alice, a), (&mut carol, c), (&mut dave, d)] {
        let left = TALK.saturating_sub(established.elapsed());
        let ended = who.wait_for("no end while audio flows", left, |e| {
            e.is_state("ended") && e.call_id() == Some(id)
        });
        if ended.is_ok() {
            let name = who.name().to_string();
            panic!("{name}'s live call was ended: {:?}", who.events());
        }
    }
    assert_eq!(queue_counts(&rt, &api, &token), (1, 0), "alice still waits");
    assert_eq!(
        parked_calls(&rt, &api, &token).len(),
        1,
        "carol still parked"
    );

    for who in [&alice, &carol, &dave] {
        kill_9(who.pid().expect("pid"));
    }
    let killed = Instant::now();
    let talked = killed - established;
    let (mut queue_gone, mut park_gone, mut message) = (None, None, None);
    while queue_gone.is_none() || park_gone.is_none() || message.is_none() {
        assert!(
            killed.elapsed() < WAIT,
            "not released: queue {queue_gone:?}, parked {park_gone:?}, voicemail {message:?}"
        );
        if queue_gone.is_none() && queue_counts(&rt, &api, &token).0 == 0 {
            queue_gone = Some(killed.elapsed());
        }
        if park_gone.is_none() && parked_calls(&rt, &api, &token).is_empty() {
            park_gone = Some(killed.elapsed());
        }
        if message.is_none() {
            let list = json(&rt, &format!("{api}/voicemails"), &token);
            if let Some(m) = list.as_array().and_then(|l| l.first()) {
                message = Some((killed.elapsed(), m.clone()));
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let (queue_gone, park_gone) = (
        queue_gone.unwrap_or_default(),
        park_gone.unwrap_or_default(),
    );
    let (stored, msg) = message.unwrap_or_default();
    let duration_ms = msg["duration_ms"].as_u64().expect("duration_ms");
    eprintln!(
        "callers killed (media timeout {} s): queue empty after {:.2} s, parked list empty \
         after {:.2} s, voicemail stored after {:.2} s ({:.2} s of message from a {:.2} s call)",
        MEDIA_TIMEOUT.as_secs(),
        queue_gone.as_secs_f64(),
        park_gone.as_secs_f64(),
        stored.as_secs_f64(),
        duration_ms as f64 / 1000.0,
        talked.as_secs_f64()
    );
    for (what, took) in [
        ("queue", queue_gone),
        ("parked call", park_gone),
        ("voicemail", stored),
    ] {
        assert!(took <= MEDIA_TIMEOUT + SLACK, "{what} released too late");
        // The switch waits the full timeout (less the 100 ms poll and the last packets).
        assert!(
            took + Duration::from_millis(500) >= MEDIA_TIMEOUT,
            "{what} released before the timeout: {took:?}"
        );
    }
    assert_eq!(
        queue_counts(&rt, &api, &token),
        (0, 1),
        "the lost caller counts as abandoned"
    );

    // The message: what dave said after the greeting and tone, up to the kill, no more.
    assert_eq!(msg["caller"], "dave");
    assert!(
        duration_ms >= 2000 && u128::from(duration_ms) <= talked.as_millis(),
        "{duration_ms} ms of message from a {talked:?} call"
    );
    let id = msg["id"].as_i64().expect("id");
    let resp = get(&rt, &format!("{api}/voicemails/{id}/audio"), &token);
    assert_eq!(resp.status(), 200);
    let bytes = rt.block_on(resp.bytes()).expect("audio");
    let recording = dir.path().join("dave-message.wav");
    std::fs::write(&recording, &bytes).expect("save message");
    let report = verify_transmission(
        &read_wav(&reference).expect("read sweep"),
        &read_wav(&recording).expect("read message"),
    );
    eprintln!(
        "voicemail: best ncc {:.3}, {} consistent windows",
        report.best_ncc(),
        report.consistent_matches(0.6).len()
    );
    assert!(
        report.passes(0.6, 3),
        "dave's sweep is in the message: {report}"
    );
}
