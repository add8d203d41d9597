//! Interop through the switch with real baresip agents (harness from tests/interop): two
//! agents register to `vaxel`, call each other by short number with audio checked both ways;
//! wrong passwords are rejected; the echo number returns the caller's own audio.

use koppla_interop::audio::{read_wav, sweep, verify_transmission, write_wav, Wav};
use koppla_interop::{Baresip, BaresipOptions, Codec, TestDir};
use koppla_vaxel::config::{Config, UserConfig};
use koppla_vaxel::{Vaxel, VaxelHandle};
use std::path::PathBuf;
use std::time::Duration;

const PW_VAR: &str = "VAXEL_INTEROP_PASSWORD";
const PW: &str = "interop-pw-7";
const WAIT: Duration = Duration::from_secs(15);
const TALK: Duration = Duration::from_secs(4);

struct Env {
    rt: tokio::runtime::Runtime,
    handle: Option<VaxelHandle>,
    dir: TestDir,
}

impl Env {
    fn new(label: &str) -> Env {
        std::env::set_var(PW_VAR, PW);
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let mut cfg = Config::ephemeral();
        for (u, n) in [("alice", "1001"), ("bob", "1002")] {
            cfg.users.push(UserConfig {
                username: u.into(),
                name: u.into(),
                short_number: Some(n.into()),
                password_env: Some(PW_VAR.into()),
                ..Default::default()
            });
        }
        let handle = rt.block_on(Vaxel::start(cfg)).expect("vaxel starts");
        Env {
            rt,
            handle: Some(handle),
            dir: TestDir::new(label).expect("temp dir"),
        }
    }

    fn domain(&self) -> String {
        self.handle
            .as_ref()
            .map(|h| h.sip_addr.to_string())
            .unwrap_or_default()
    }

    fn input(&self, party: usize, codec: Codec) -> PathBuf {
        let (rate, channels) = codec.baresip_pipeline_format();
        let path = self.dir.path().join(format!("in-{party}.wav"));
        write_wav(&path, rate, channels, &sweep(rate, seconds(party), 0.5)).expect("write wav");
        path
    }

    fn baresip(&self, user: &str, password: &str, party: usize) -> Baresip {
        let mut o = BaresipOptions::new(user, password, &self.domain());
        o.codecs = vec![Codec::Pcma];
        o.audio_in = Some(self.input(party, Codec::Pcma));
        o.record_dir = Some(self.dir.sub(&format!("rec-{user}")).expect("rec dir"));
        Baresip::start(o, self.dir.path()).unwrap_or_else(|e| panic!("baresip {user}: {e}"))
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        if let Some(h) = self.handle.take() {
            self.rt.block_on(h.shutdown());
        }
    }
}

fn seconds(party: usize) -> f64 {
    8.0 + 1.5 * party as f64
}

fn assert_received(path: &std::path::Path, party: usize, what: &str) {
    let reference = Wav {
        rate: 8000,
        samples: sweep(8000, seconds(party), 0.5),
    };
    let rec = read_wav(path).unwrap_or_else(|e| panic!("{what}: cannot read recording: {e}"));
    let report = verify_transmission(&reference, &rec);
    assert!(
        report.passes(0.6, 3),
        "{what}: signal of party {party} not found in {}: {report}",
        path.display()
    );
    eprintln!("{what}: ok, best ncc {:.3}", report.best_ncc());
}

#[test]
fn two_baresip_agents_call_through_vaxel_with_audio_both_ways() {
    let env = Env::new("vaxel-baresip-call");
    let mut a = env.baresip("alice", PW, 0);
    let mut b = env.baresip("bob", PW, 1);
    a.wait_registered().expect("alice registers");
    b.wait_registered().expect("bob registers");
    a.dial(&format!("sip:1002@{}", env.domain())).expect("dial");
    b.wait("CALL_INCOMING", WAIT)
        .unwrap_or_else(|e| panic!("bob rings: {e}\n{}", a.log_tail(40)));
    b.accept().expect("accept");
    a.wait("CALL_ESTABLISHED", WAIT).expect("alice established");
    b.wait("CALL_ESTABLISHED", WAIT).expect("bob established");
    std::thread::sleep(TALK);
    a.hangup().expect("hangup");
    a.wait("CALL_CLOSED", WAIT).expect("alice closed");
    b.wait("CALL_CLOSED", WAIT)
        .unwrap_or_else(|e| panic!("bob closed: {e}\n{}", b.log_tail(40)));
    a.stop();
    b.stop();
    let ra = a.recordings().expect("alice recordings");
    let rb = b.recordings().expect("bob recordings");
    assert_received(&rb.received, 0, "alice -> bob via relay");
    assert_received(&ra.received, 1, "bob -> alice via relay");
}

#[test]
fn baresip_with_wrong_password_is_rejected() {
    let env = Env::new("vaxel-baresip-wrong-pw");
    let mut events = env
        .handle
        .as_ref()
        .map(|h| h.state.events.subscribe())
        .expect("running");
    let mut a = env.baresip("alice", "not-the-password", 0);
    let outcome = a.registration(WAIT).expect("registration outcome");
    // The harness reports the 403 status when it sees the event, else baresip's "ERR" state.
    let reason = outcome.expect_err("registration must fail");
    assert!(reason.contains("403") || reason.contains("ERR"), "{reason}");
    // The switch never bound a device for alice.
    while let Ok(ev) = events.try_recv() {
        assert!(
            !matches!(ev, koppla_vaxel::events::Event::Registration { .. }),
            "unexpected registration {ev:?}"
        );
    }
}

#[test]
fn echo_number_returns_callers_audio() {
    let env = Env::new("vaxel-baresip-echo");
    let mut a = env.baresip("alice", PW, 0);
    a.wait_registered().expect("alice registers");
    a.dial(&format!("sip:9999@{}", env.domain())).expect("dial");
    a.wait("CALL_ESTABLISHED", WAIT)
        .unwrap_or_else(|e| panic!("echo answers: {e}\n{}", a.log_tail(40)));
    std::thread::sleep(TALK);
    a.hangup().expect("hangup");
    a.wait("CALL_CLOSED", WAIT).expect("closed");
    a.stop();
    let ra = a.recordings().expect("recordings");
    assert_received(&ra.received, 0, "alice hears herself");
}

#[test]
fn whoami_number_speaks_and_hangs_up() {
    let env = Env::new("vaxel-baresip-whoami");
    let mut a = env.baresip("alice", PW, 0);
    a.wait_registered().expect("alice registers");
    a.dial(&format!("sip:9998@{}", env.domain())).expect("dial");
    a.wait("CALL_ESTABLISHED", WAIT)
        .unwrap_or_else(|e| panic!("whoami answers: {e}\n{}", a.log_tail(40)));
    // The switch ends the call itself once the announcement has played.
    a.wait("CALL_CLOSED", Duration::from_secs(30))
        .unwrap_or_else(|e| panic!("switch hangs up: {e}\n{}", a.log_tail(40)));
    a.stop();
    let rec = read_wav(&a.recordings().expect("recordings").received).expect("read recording");
    let rms = (rec
        .samples
        .iter()
        .map(|s| f64::from(*s) * f64::from(*s))
        .sum::<f64>()
        / rec.samples.len().max(1) as f64)
        .sqrt();
    eprintln!(
        "whoami: {:.1} s received, rms {rms:.4}",
        rec.samples.len() as f64 / f64::from(rec.rate)
    );
    assert!(rms > 0.01, "announcement audio is audible (rms {rms})");
}
