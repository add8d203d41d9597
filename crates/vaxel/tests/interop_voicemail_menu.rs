//! Dialling in to voicemail with real peers (decision 0509): the `vaxel` binary and `koppla`
//! CLIs sending RFC 4733 keys. Alice leaves bob a message of known sweeps; bob calls the
//! voicemail number from his own phone and walks the menu (2 → the message plays → 7 deletes it
//! → * ends); alice opens bob's mailbox from her phone with `*`, mailbox number and PIN and
//! types garbage; then three wrong PINs over two calls lock the mailbox even against the right
//! PIN. What each caller heard is checked by normalised cross-correlation against the switch's
//! own prompt audio (`prompts::pcm`) and the stored message; run with `--nocapture` for the
//! figures.

use koppla_interop::audio::analysis::Correlator;
use koppla_interop::audio::{read_wav, resample_linear, sweep, write_wav, Wav};
use koppla_interop::ports::free_port;
use koppla_interop::process::{ProcessGuard, Stdout, TestDir};
use koppla_interop::{AgentOptions, KopplaAgent};
use koppla_vaxel::media::prompts::{self, Lang, Prompt};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(15);
const PASSWORD: &str = "menu-secret";
const PIN: &str = "4711";
/// Alice's phone plays sweeps of this length back to back.
const SWEEP_SECS: f64 = 2.0;
const BOB_SWEEP_SECS: f64 = 1.5;
/// A heard prompt correlates at least this well; one not heard stays below `ABSENT`.
const HEARD: f32 = 0.6;
const ABSENT: f32 = 0.45;
/// Samples (8 kHz) of each prompt compared.
const NEEDLE: usize = 9600;

struct Switch {
    _process: ProcessGuard,
    sip: String,
    api: String,
    voicemail_dir: PathBuf,
    rt: tokio::runtime::Runtime,
    http: reqwest::Client,
}

fn start_switch(dir: &TestDir) -> Switch {
    let (sip_port, api_port) = (
        free_port().expect("free port"),
        free_port().expect("free port"),
    );
    let voicemail_dir = dir.path().join("voicemail");
    let toml = format!(
        "[server]\nsip_bind = \"127.0.0.1:{sip_port}\"\napi_bind = \"127.0.0.1:{api_port}\"\n\
         public_ip = \"127.0.0.1\"\nvoicemail_dir = \"{}\"\nvoicemail_max_secs = 30\n\
         [voicemail]\nnumber = \"8000\"\nlanguage = \"sv\"\n\
         [[users]]\nusername = \"alice\"\nname = \"Alice\"\nshort_number = \"1001\"\npassword_env = \"MENU_PW\"\n\
         [[users]]\nusername = \"bob\"\nname = \"Bob\"\nshort_number = \"1002\"\npassword_env = \"MENU_PW\"\n",
        voicemail_dir.display()
    );
    let config = dir.path().join("vaxel.toml");
    std::fs::write(&config, toml).expect("write vaxel.toml");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vaxel"));
    cmd.arg("--config")
        .arg(&config)
        .env("MENU_PW", PASSWORD)
        .env("RUST_LOG", "info,koppla_vaxel::media::voicemail_menu=debug");
    let process = ProcessGuard::spawn("vaxel", cmd, &dir.path().join("vaxel"), Stdout::ToFile)
        .expect("start vaxel");
    let s = Switch {
        _process: process,
        sip: format!("127.0.0.1:{sip_port}"),
        api: format!("http://127.0.0.1:{api_port}/api/v1"),
        voicemail_dir,
        rt: tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime"),
        http: reqwest::Client::new(),
    };
    // Ready when the API answers (the SIP socket is bound before it).
    let until = Instant::now() + WAIT;
    while s
        .rt
        .block_on(s.http.get(format!("{}/openapi.json", s.api)).send())
        .is_err()
    {
        assert!(Instant::now() < until, "vaxel never started");
        std::thread::sleep(Duration::from_millis(100));
    }
    s
}

impl Switch {
    fn login(&self, user: &str) -> String {
        let v: Value = self.rt.block_on(async {
            self.http
                .post(format!("{}/login", self.api))
                .json(&serde_json::json!({"username": user, "password": PASSWORD}))
                .send()
                .await
                .expect("login")
                .json()
                .await
                .expect("login json")
        });
        v["token"].as_str().expect("token").to_string()
    }

    fn get(&self, token: &str, path: &str) -> Value {
        self.rt.block_on(async {
            self.http
                .get(format!("{}{path}", self.api))
                .bearer_auth(token)
                .send()
                .await
                .expect("GET")
                .json()
                .await
                .expect("json")
        })
    }

    fn bytes(&self, token: &str, path: &str) -> Vec<u8> {
        self.rt.block_on(async {
            self.http
                .get(format!("{}{path}", self.api))
                .bearer_auth(token)
                .send()
                .await
                .expect("GET")
                .bytes()
                .await
                .expect("body")
                .to_vec()
        })
    }

    fn put_pin(&self, token: &str, pin: &str) -> u16 {
        self.rt.block_on(async {
            self.http
                .put(format!("{}/me/voicemail/pin", self.api))
                .bearer_auth(token)
                .json(&serde_json::json!({ "pin": pin }))
                .send()
                .await
                .expect("PUT pin")
                .status()
                .as_u16()
        })
    }
}

fn agent(dir: &TestDir, sw: &Switch, user: &str, play: Option<PathBuf>) -> KopplaAgent {
    let mut opts = AgentOptions::new(&format!("sip:{user}@{}", sw.sip), PASSWORD);
    opts.play = play;
    opts.record = Some(dir.path().join(format!("{user}.wav")));
    let mut a = KopplaAgent::start(user, &opts, dir.path()).expect("start koppla");
    a.register().expect("register");
    a
}

/// Dials `number` and returns the call id once the switch answered.
fn dial(a: &mut KopplaAgent, sw: &Switch, number: &str) -> u64 {
    a.send(&format!("call sip:{number}@{}", sw.sip))
        .expect("call");
    a.wait_state("established", WAIT).expect("answered")
}

fn keys(a: &mut KopplaAgent, digits: &str, then_wait: f64) {
    a.send(&format!("dtmf {digits}")).expect("dtmf");
    std::thread::sleep(Duration::from_secs_f64(then_wait));
}

/// The recording the agent made of its `n`th call (1-based; the CLI names later ones
/// `<stem>-<call id>.wav`).
fn recording(dir: &TestDir, user: &str, call: u64, first: bool) -> Wav {
    let path = if first {
        dir.path().join(format!("{user}.wav"))
    } else {
        dir.path().join(format!("{user}-{call}.wav"))
    };
    read_wav(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Where in a recording each expected sound is, by normalised cross-correlation.
struct Heard {
    what: String,
    /// The recording at 8 kHz, the rate everything in it went through (G.711).
    samples: Vec<f32>,
}

impl Heard {
    fn new(what: &str, rec: &Wav) -> Heard {
        Heard {
            what: what.into(),
            samples: resample_linear(&rec.samples, rec.rate, 8000),
        }
    }

    /// Best (ncc, seconds) of 8 kHz PCM `pcm` (its first [`NEEDLE`] samples, short enough
    /// that the receiver's jitter buffer rarely stretches them) from `from` seconds on.
    fn find(&self, pcm: &[i16], from: f64) -> (f32, f64) {
        let start = ((from * 8000.0) as usize).min(self.samples.len());
        let needle: Vec<f32> = pcm[..pcm.len().min(NEEDLE)]
            .iter()
            .map(|s| f32::from(*s) / 32768.0)
            .collect();
        match Correlator::new(&self.samples[start..], needle.len()).best(&needle) {
            Some(m) => (m.ncc, (start + m.lag) as f64 / 8000.0),
            None => (0.0, from),
        }
    }

    /// The first place after `from` seconds where `pcm` is heard (ncc ≥ [`HEARD`]), looking
    /// through the recording in 5 s steps; else the best place after `from`.
    fn find_first(&self, pcm: &[i16], from: f64) -> (f32, f64) {
        const STEP: usize = 40_000;
        let mut start = ((from * 8000.0) as usize).min(self.samples.len());
        while start + NEEDLE < self.samples.len() {
            let end = (start + STEP + NEEDLE).min(self.samples.len());
            let window = Heard {
                what: String::new(),
                samples: self.samples[start..end].to_vec(),
            };
            let (ncc, at) = window.find(pcm, 0.0);
            if ncc >= HEARD {
                return (ncc, start as f64 / 8000.0 + at);
            }
            start += STEP;
        }
        self.find(pcm, from)
    }

    /// Asserts `pcm` was heard after `after` seconds (so prompts said more than once are
    /// checked in the order they were said); returns where.
    fn heard(&self, name: &str, pcm: &[i16], after: f64) -> f64 {
        let (ncc, at) = self.find_first(pcm, after);
        eprintln!("{}: {name} ncc {ncc:.3} at {at:.2} s", self.what);
        assert!(
            ncc >= HEARD,
            "{}: {name} not heard after {after:.2} s (ncc {ncc:.3})",
            self.what
        );
        at
    }

    fn not_heard(&self, name: &str, pcm: &[i16]) {
        let (ncc, at) = self.find(pcm, 0.0);
        eprintln!(
            "{}: {name} (must be absent) ncc {ncc:.3} at {at:.2} s",
            self.what
        );
        assert!(
            ncc < ABSENT,
            "{}: {name} heard (ncc {ncc:.3}) but should not be",
            self.what
        );
    }

    fn prompt(&self, p: Prompt, after: f64) -> f64 {
        self.heard(&format!("{p:?}"), &prompts::pcm(Lang::Sv, p), after)
    }

    fn no_prompt(&self, p: Prompt) {
        self.not_heard(&format!("{p:?}"), &prompts::pcm(Lang::Sv, p));
    }
}

/// Writes sweeps of `secs` back to back for a phone to play; returns one sweep.
fn sweeps_wav(path: &Path, secs: f64) -> Vec<i16> {
    let one = sweep(8000, secs, 0.5);
    // A minute: longer than any call of the test, so the phone never falls silent.
    let n = (60.0 / secs) as usize;
    let track: Vec<f32> = one.iter().copied().cycle().take(one.len() * n).collect();
    write_wav(path, 8000, 1, &track).expect("write sweeps");
    one.iter().map(|s| (s * 32767.0) as i16).collect()
}

#[test]
fn owner_and_pin_login_walk_the_menu_and_wrong_pins_lock_the_mailbox() {
    let dir = TestDir::new("vaxel-voicemail-menu").expect("test dir");
    let sw = start_switch(&dir);
    let one_sweep = sweeps_wav(&dir.path().join("sweeps.wav"), SWEEP_SECS);
    // Bob's phone plays shorter sweeps: his recorded greeting must not be mistaken for
    // alice's message.
    let bob_sweep = sweeps_wav(&dir.path().join("bob-sweeps.wav"), BOB_SWEEP_SECS);
    let mut alice = agent(&dir, &sw, "alice", Some(dir.path().join("sweeps.wav")));

    // The PIN endpoint refuses what is not 4-10 digits.
    let bob_token = sw.login("bob");
    for bad in ["12", "12345678901", "12a4", ""] {
        assert_eq!(sw.put_pin(&bob_token, bad), 400, "PIN {bad:?}");
    }
    assert_eq!(sw.get(&bob_token, "/me/voicemail/pin")["set"], false);
    assert_eq!(sw.put_pin(&bob_token, PIN), 204);
    assert_eq!(sw.get(&bob_token, "/me/voicemail/pin")["set"], true);
    let services = sw.get(&bob_token, "/services");
    assert_eq!(services[0]["id"], "voicemail");
    assert_eq!(services[0]["number"], "8000");

    // 1. Bob has no phone registered yet: alice's call goes to his voicemail; her sweeps are
    // the message.
    let first = dial(&mut alice, &sw, "1002");
    std::thread::sleep(Duration::from_secs(16));
    alice.send("hangup").expect("hangup");
    alice
        .wait_call_state(first, "ended", WAIT)
        .expect("call ends");
    let until = Instant::now() + WAIT;
    let list = loop {
        let list = sw.get(&bob_token, "/voicemails");
        if list.as_array().is_some_and(|l| !l.is_empty()) {
            break list;
        }
        assert!(Instant::now() < until, "no message stored");
        std::thread::sleep(Duration::from_millis(200));
    };
    let id = list[0]["id"].as_i64().expect("id");
    assert!(
        list[0]["duration_ms"].as_i64().unwrap_or(0) >= 4000,
        "{list}"
    );
    let stored = std::env::temp_dir().join(format!("vaxel-menu-msg-{}.wav", std::process::id()));
    std::fs::write(
        &stored,
        sw.bytes(&bob_token, &format!("/voicemails/{id}/audio")),
    )
    .expect("save message");
    let message = read_wav(&stored).expect("stored message");
    let _ = std::fs::remove_file(&stored);
    let message_pcm: Vec<i16> = message
        .samples
        .iter()
        .map(|s| (s * 32767.0) as i16)
        .collect();
    let in_message = Heard::new("stored message", &message);
    in_message.heard("a sweep", &one_sweep, 0.0);

    // 2. Bob's own phone: straight in; 2 plays the message, 7 deletes it, * ends.
    // Then 5 records a greeting of his sweeps until #, 4 plays it, 6 deletes it.
    let mut bob = agent(&dir, &sw, "bob", Some(dir.path().join("bob-sweeps.wav")));
    let call = dial(&mut bob, &sw, "8000");
    std::thread::sleep(Duration::from_secs(11));
    keys(&mut bob, "2", 9.0);
    keys(&mut bob, "7", 4.0);
    keys(&mut bob, "5", 10.0);
    keys(&mut bob, "#", 3.0);
    let greeting = sw.voicemail_dir.join("bob").join("greeting-default.wav");
    let saved = read_wav(&greeting).expect("the greeting is stored");
    eprintln!("greeting recorded by phone: {:.2} s", saved.duration_s());
    keys(&mut bob, "4", 6.0);
    keys(&mut bob, "6", 2.5);
    assert!(!greeting.exists(), "6 deleted the greeting");
    keys(&mut bob, "*", 0.0);
    bob.wait_call_state(call, "ended", WAIT)
        .expect("the switch hangs up after goodbye");
    std::thread::sleep(Duration::from_millis(500));
    let heard = Heard::new("bob's own login", &recording(&dir, "bob", call, true));
    let t = heard.prompt(Prompt::Welcome, 0.0);
    let summary = prompts::sequence(
        Lang::Sv,
        &prompts::count(1, Prompt::NewMessage, Prompt::NewMessages),
    );
    let t = heard.heard("'du har ett nytt meddelande'", &summary, t);
    let t = heard.prompt(Prompt::MainMenu, t);
    let t = heard.heard("the sweep of the message", &one_sweep, t);
    // A stretch of the stored message itself: its second and third second.
    let stretch = message_pcm.get(8000..24_000).unwrap_or_default();
    heard.heard("the stored message", stretch, 0.0);
    let t = heard.prompt(Prompt::MessageDeleted, t);
    let t = heard.prompt(Prompt::RecordGreeting, t);
    let t = heard.prompt(Prompt::GreetingSaved, t);
    let t = heard.heard("bob's greeting (his own sweep)", &bob_sweep, t);
    let t = heard.prompt(Prompt::GreetingDeleted, t);
    heard.prompt(Prompt::Goodbye, t);
    Heard::new("the stored greeting", &saved).heard("bob's sweep", &bob_sweep, 0.0);
    heard.no_prompt(Prompt::EnterPin);
    let list = sw.get(&bob_token, "/voicemails");
    assert_eq!(list.as_array().map(Vec::len), Some(0), "deleted: {list}");
    let bob_dir = sw.voicemail_dir.join("bob");
    let wavs = std::fs::read_dir(&bob_dir)
        .map(|d| {
            d.filter_map(Result::ok)
                .filter(|e| !e.file_name().to_string_lossy().starts_with("greeting"))
                .count()
        })
        .unwrap_or(0);
    assert_eq!(
        wavs,
        0,
        "the message's WAV is gone from {}",
        bob_dir.display()
    );

    // 3. Alice opens bob's mailbox from her phone: * during the welcome, mailbox, PIN; then
    // garbage keys.
    let call = dial(&mut alice, &sw, "8000");
    keys(&mut alice, "*", 5.0);
    keys(&mut alice, "1002#", 3.0);
    keys(&mut alice, &format!("{PIN}#"), 4.0);
    keys(&mut alice, "9", 2.5);
    keys(&mut alice, "#9", 1.0);
    keys(&mut alice, "*", 0.0);
    alice
        .wait_call_state(call, "ended", WAIT)
        .expect("goodbye after the garbage");
    std::thread::sleep(Duration::from_millis(500));
    let heard = Heard::new(
        "alice into bob's mailbox",
        &recording(&dir, "alice", call, false),
    );
    let t = heard.prompt(Prompt::EnterMailbox, 0.0);
    let t = heard.prompt(Prompt::EnterPin, t);
    let t = heard.prompt(Prompt::NoMessages, t);
    let t = heard.prompt(Prompt::Invalid, t);
    heard.prompt(Prompt::Goodbye, t);
    heard.no_prompt(Prompt::WrongPin);

    // 4. Two wrong PINs, hang up; one more in a new call locks; then even the right PIN is
    // refused.
    let call = dial(&mut alice, &sw, "8000");
    keys(&mut alice, "*", 4.5);
    keys(&mut alice, "1002#", 2.0);
    keys(&mut alice, "1111#", 4.5);
    keys(&mut alice, "1002#", 2.0);
    keys(&mut alice, "2222#", 4.5);
    alice.send("hangup").expect("hangup");
    alice.wait_call_state(call, "ended", WAIT).expect("ends");
    let wrong = Heard::new("two wrong PINs", &recording(&dir, "alice", call, false));
    let t = wrong.prompt(Prompt::EnterMailbox, 0.0);
    let t = wrong.prompt(Prompt::WrongPin, t);
    let t = wrong.prompt(Prompt::EnterMailbox, t);
    wrong.prompt(Prompt::WrongPin, t);
    wrong.no_prompt(Prompt::Locked);

    let call = dial(&mut alice, &sw, "8000");
    keys(&mut alice, "*", 4.5);
    keys(&mut alice, "1002#", 2.0);
    keys(&mut alice, "3333#", 0.0);
    alice
        .wait_call_state(call, "ended", WAIT)
        .expect("the switch hangs up on a locked mailbox");
    let locking = Heard::new("third wrong PIN", &recording(&dir, "alice", call, false));
    locking.prompt(Prompt::Locked, 0.0);

    let call = dial(&mut alice, &sw, "8000");
    keys(&mut alice, "*", 4.5);
    keys(&mut alice, "1002#", 2.0);
    keys(&mut alice, &format!("{PIN}#"), 0.0);
    alice
        .wait_call_state(call, "ended", WAIT)
        .expect("locked even with the right PIN");
    let locked = Heard::new(
        "right PIN while locked",
        &recording(&dir, "alice", call, false),
    );
    locked.prompt(Prompt::Locked, 0.0);
    locked.no_prompt(Prompt::NoMessages);
    locked.no_prompt(Prompt::MainMenu);

    // A new PIN lifts the lock.
    assert_eq!(sw.put_pin(&bob_token, "909090"), 204);
}
