//! Two real runtimes call each other over UDP on 127.0.0.1 (no registrar): the call's
//! voice processor sees the real capture and render frames, and a recording holds both
//! sides' audio.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use koppla_audio::{AudioSink, AudioSource, NullSink, ToneSource};
use koppla_media::processing::VoiceProcessor;
use koppla_sip::{Transport, TransportConfig};
use koppla_ua::runtime::{self, AudioFactory, Command, RuntimeConfig};
use koppla_ua::{Account, CallId, CallState, UaConfig, UaEvent};
use tokio::sync::mpsc;

const ALICE_HZ: f64 = 440.0;
const BOB_HZ: f64 = 1250.0;

/// What the processor of a call saw.
#[derive(Default)]
struct Seen {
    capture_frames: AtomicUsize,
    render: Mutex<Vec<i16>>,
}

struct Observing(Arc<Seen>);

impl VoiceProcessor for Observing {
    fn process_render(&mut self, render: &[i16]) {
        self.0
            .render
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(render);
    }
    fn process_capture(&mut self, _capture: &mut [i16]) {
        self.0.capture_frames.fetch_add(1, Ordering::Relaxed);
    }
}

struct Tone {
    hz: f64,
    seen: Arc<Seen>,
}

impl AudioFactory for Tone {
    fn source(&mut self, _call: CallId) -> Box<dyn AudioSource> {
        Box::new(ToneSource::new(self.hz, 0.3))
    }
    fn sink(&mut self, _call: CallId) -> Box<dyn AudioSink> {
        Box::new(NullSink::default())
    }
    fn processor(&mut self, _call: CallId) -> Box<dyn VoiceProcessor> {
        Box::new(Observing(self.seen.clone()))
    }
}

/// Share of `x`'s power at `hz` (Goertzel), 0..1.
fn tone_share(x: &[i16], hz: f64) -> f64 {
    let w = 2.0 * std::f64::consts::PI * hz / 48_000.0;
    let (mut s1, mut s2) = (0.0f64, 0.0f64);
    for &v in x {
        let s = f64::from(v) + 2.0 * w.cos() * s1 - s2;
        s2 = s1;
        s1 = s;
    }
    let power = s1 * s1 + s2 * s2 - 2.0 * w.cos() * s1 * s2;
    let total: f64 = x.iter().map(|&v| f64::from(v).powi(2)).sum();
    if total == 0.0 {
        return 0.0;
    }
    // A pure tone of N samples gives power = total * N / 2.
    power / (total * x.len() as f64 / 2.0)
}

fn free_port() -> u16 {
    let s = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    s.local_addr().unwrap().port()
}

struct Agent {
    commands: mpsc::Sender<Command>,
    events: mpsc::Receiver<UaEvent>,
    task: tokio::task::JoinHandle<()>,
}

/// The runtime's future is not `Send` (its audio factory is used across awaits), so it
/// runs on its own current-thread runtime, the way the app runs it.
fn run_engine(
    cfg: RuntimeConfig,
    commands: mpsc::Receiver<Command>,
    events: mpsc::Sender<UaEvent>,
) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(runtime::run(cfg, commands, events)).unwrap();
}

fn start(user: &str, port: u16, audio: Tone, auto_answer: bool) -> Agent {
    let aor = format!("sip:{user}@127.0.0.1:{port}");
    let account = Account::new(&aor, None, None, Transport::Udp).unwrap();
    let bind = format!("127.0.0.1:{port}").parse().unwrap();
    let cfg = RuntimeConfig {
        ua: UaConfig::new(account, bind),
        transport: TransportConfig::new(bind),
        auto_answer,
        audio: Box::new(audio),
        dns: None,
    };
    let (commands, cmd_rx) = mpsc::channel(16);
    let (ev_tx, events) = mpsc::channel(64);
    let task = tokio::task::spawn_blocking(move || run_engine(cfg, cmd_rx, ev_tx));
    Agent {
        commands,
        events,
        task,
    }
}

impl Agent {
    async fn send(&self, c: Command) {
        self.commands.send(c).await.unwrap();
    }

    /// Next event matching `want`, failing after 5 s.
    async fn expect(&mut self, what: &str, want: impl Fn(&UaEvent) -> bool) -> UaEvent {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        loop {
            match tokio::time::timeout_at(deadline, self.events.recv()).await {
                Ok(Some(ev)) if want(&ev) => return ev,
                Ok(Some(_)) => {}
                Ok(None) => panic!("runtime ended while waiting for {what}"),
                Err(_) => panic!("timed out waiting for {what}"),
            }
        }
    }

    async fn expect_state(&mut self, state: CallState) {
        self.expect(
            state.as_str(),
            |e| matches!(e, UaEvent::CallState { state: s, .. } if *s == state),
        )
        .await;
    }

    async fn quit(self) {
        self.send(Command::Quit).await;
        tokio::time::timeout(Duration::from_secs(5), self.task)
            .await
            .unwrap()
            .unwrap();
    }
}

/// Alice calls Bob at `host` (who answers at once); both send their own tone.
async fn call_at(host: &str) -> (Agent, Agent, Arc<Seen>, Arc<Seen>) {
    let (alice_seen, bob_seen) = (Arc::new(Seen::default()), Arc::new(Seen::default()));
    let bob_port = free_port();
    let bob_audio = Tone {
        hz: BOB_HZ,
        seen: bob_seen.clone(),
    };
    let bob = start("bob", bob_port, bob_audio, true);
    let alice_audio = Tone {
        hz: ALICE_HZ,
        seen: alice_seen.clone(),
    };
    let mut alice = start("alice", free_port(), alice_audio, false);
    alice
        .send(Command::Call(format!("sip:bob@{host}:{bob_port}")))
        .await;
    alice.expect_state(CallState::Established).await;
    (alice, bob, alice_seen, bob_seen)
}

async fn call() -> (Agent, Agent, Arc<Seen>, Arc<Seen>) {
    call_at("127.0.0.1").await
}

fn read_stereo(path: &std::path::Path) -> (Vec<i16>, Vec<i16>) {
    let mut r = hound::WavReader::open(path).unwrap();
    assert_eq!(r.spec().channels, 2);
    let s: Vec<i16> = r.samples::<i16>().map(Result::unwrap).collect();
    (
        s.chunks(2).map(|c| c[0]).collect(),
        s.chunks(2).map(|c| c[1]).collect(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn call_runs_the_processor_and_records_both_sides() {
    let (mut alice, mut bob, alice_seen, bob_seen) = call().await;
    // Let media settle (jitter buffer fill, first decoded frames) before recording.
    tokio::time::sleep(Duration::from_millis(400)).await;

    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("call.wav");
    alice
        .send(Command::StartRecording(first.clone(), None))
        .await;
    let started = alice
        .expect("recording started", |e| {
            matches!(e, UaEvent::RecordingStarted { .. })
        })
        .await;
    assert!(matches!(started, UaEvent::RecordingStarted { call: 1, ref path } if *path == first));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    alice.send(Command::StopRecording(None)).await;
    alice
        .expect(
            "recording stopped",
            |e| matches!(e, UaEvent::RecordingStopped { path, .. } if *path == first),
        )
        .await;

    let (local, remote) = read_stereo(&first);
    assert!(local.len() > 48_000, "recorded {} samples", local.len());
    let (l_own, l_peer) = (tone_share(&local, ALICE_HZ), tone_share(&local, BOB_HZ));
    let (r_own, r_peer) = (tone_share(&remote, ALICE_HZ), tone_share(&remote, BOB_HZ));
    eprintln!("left: alice {l_own:.2} bob {l_peer:.2}; right: alice {r_own:.2} bob {r_peer:.2}");
    assert!(l_own > 0.8 && l_peer < 0.05, "left channel is our side");
    assert!(r_peer > 0.6 && r_own < 0.05, "right channel is the peer");

    // The processor sat in the real call path on both ends: every tick gave it a capture
    // frame, and its render reference is what the speaker played, i.e. the peer's tone.
    for (who, seen, peer_hz) in [("alice", &alice_seen, BOB_HZ), ("bob", &bob_seen, ALICE_HZ)] {
        let frames = seen.capture_frames.load(Ordering::Relaxed);
        assert!(frames >= 75, "{who}: processor saw {frames} capture frames");
        let render = seen.render.lock().unwrap().clone();
        let tail = &render[render.len().saturating_sub(48_000)..];
        let share = tone_share(tail, peer_hz);
        assert!(
            share > 0.6,
            "{who}: render reference holds the peer ({share:.2})"
        );
    }

    // A recording running when the call ends is finalised and reported.
    let second = dir.path().join("to-the-end.wav");
    alice
        .send(Command::StartRecording(second.clone(), Some(1)))
        .await;
    alice
        .expect("second recording", |e| {
            matches!(e, UaEvent::RecordingStarted { .. })
        })
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    alice.send(Command::Hangup(None)).await;
    alice
        .expect(
            "stopped by hangup",
            |e| matches!(e, UaEvent::RecordingStopped { path, .. } if *path == second),
        )
        .await;
    let (local, _) = read_stereo(&second);
    assert!(local.len() >= 48_000 / 5, "{} samples", local.len());
    bob.expect_state(CallState::Ended).await;
    alice.quit().await;
    bob.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recording_errors_are_reported() {
    let (mut alice, bob, _, _) = call().await;
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("no-such-dir").join("x.wav");
    alice.send(Command::StartRecording(bad, None)).await;
    let ev = alice
        .expect("recording failed", |e| {
            matches!(e, UaEvent::RecordingFailed { .. })
        })
        .await;
    assert!(
        matches!(ev, UaEvent::RecordingFailed { call: 1, ref reason } if reason.contains("no-such-dir")),
        "{ev:?}"
    );
    alice.send(Command::StopRecording(None)).await;
    alice
        .expect(
            "nothing to stop",
            |e| matches!(e, UaEvent::Error { message } if message.contains("no recording")),
        )
        .await;
    alice
        .send(Command::StartRecording(dir.path().join("x.wav"), Some(7)))
        .await;
    alice
        .expect("no such call", |e| {
            matches!(e, UaEvent::RecordingFailed { call: 7, .. })
        })
        .await;
    alice.quit().await;
    bob.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_name_is_resolved_by_the_runtime() {
    let (mut alice, bob, _, _) = call_at("localhost").await;
    alice.send(Command::Hangup(None)).await;
    alice.expect_state(CallState::Ended).await;
    alice.quit().await;
    bob.quit().await;
}

/// Two calls placed back to back, the first refused before it has an id: each placer gets
/// its own answer, and the second call's events carry the id it was given.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn place_answers_each_caller_with_its_own_call_id() {
    let bob_port = free_port();
    let bob_audio = Tone {
        hz: BOB_HZ,
        seen: Arc::default(),
    };
    let bob = start("bob", bob_port, bob_audio, true);
    let alice_audio = Tone {
        hz: ALICE_HZ,
        seen: Arc::default(),
    };
    let mut alice = start("alice", free_port(), alice_audio, false);
    let (first, first_rx) = runtime::CallReply::new();
    let (second, second_rx) = runtime::CallReply::new();
    alice
        .send(Command::Place {
            target: "sip:bob@127.0.0.1:99999".into(),
            reply: first,
        })
        .await;
    alice
        .send(Command::Place {
            target: format!("sip:bob@127.0.0.1:{bob_port}"),
            reply: second,
        })
        .await;
    let refused = first_rx.await.expect("the runtime answers the first place");
    assert!(
        matches!(refused, Err(runtime::PlaceError::Refused(_))),
        "{refused:?}"
    );
    let id = second_rx
        .await
        .expect("the runtime answers the second place")
        .expect("the second call is placed");
    let first_state = alice
        .expect("the new call's first state", |e| {
            matches!(e, UaEvent::CallState { .. })
        })
        .await;
    assert!(
        matches!(first_state, UaEvent::CallState { call, state: CallState::Calling, .. } if call == id),
        "{first_state:?}"
    );
    alice.expect_state(CallState::Established).await;
    alice.send(Command::Hangup(Some(id))).await;
    alice.expect_state(CallState::Ended).await;
    alice.quit().await;
    bob.quit().await;
}

/// What the app does with an extension (`tel:...;ext=12`): once the call it placed is
/// answered it keys the digits on that call, and they reach the far end as DTMF.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_extension_keyed_after_answer_reaches_the_peer() {
    let bob_port = free_port();
    let bob_audio = Tone {
        hz: BOB_HZ,
        seen: Arc::default(),
    };
    let mut bob = start("bob", bob_port, bob_audio, true);
    let alice_audio = Tone {
        hz: ALICE_HZ,
        seen: Arc::default(),
    };
    let mut alice = start("alice", free_port(), alice_audio, false);
    let (reply, rx) = runtime::CallReply::new();
    alice
        .send(Command::Place {
            target: format!("sip:bob@127.0.0.1:{bob_port}"),
            reply,
        })
        .await;
    let id = rx.await.unwrap().unwrap();
    alice.expect_state(CallState::Established).await;
    alice.send(Command::Dtmf("12".into(), Some(id))).await;
    let mut heard = String::new();
    for _ in 0..2 {
        if let UaEvent::Dtmf { digit, .. } = bob
            .expect("a DTMF digit at Bob", |e| matches!(e, UaEvent::Dtmf { .. }))
            .await
        {
            heard.push(digit);
        }
    }
    assert_eq!(heard, "12");
    alice.send(Command::Hangup(Some(id))).await;
    alice.expect_state(CallState::Ended).await;
    alice.quit().await;
    bob.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn voicemail_without_a_known_number_is_refused_clearly() {
    let audio = Tone {
        hz: ALICE_HZ,
        seen: Arc::default(),
    };
    let mut alice = start("alice", free_port(), audio, false);
    let (reply, rx) = runtime::CallReply::new();
    alice.send(Command::Voicemail(Some(reply))).await;
    let answer = rx.await.expect("the runtime answers");
    assert_eq!(
        answer,
        Err(runtime::PlaceError::Refused(runtime::NO_VOICEMAIL.into()))
    );
    alice
        .expect(
            "the error event",
            |e| matches!(e, UaEvent::Error { message } if message == runtime::NO_VOICEMAIL),
        )
        .await;
    alice.quit().await;
}
