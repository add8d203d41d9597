//! Real baresip phones on a switch of alice (1001), bob (1002) and carol (1003), each playing
//! a known sweep, and the check that a sweep arrived at the far end (cross-correlation).
// Each test file uses a different subset of these helpers.
#![allow(dead_code)]

use koppla_interop::audio::{read_wav, sweep, verify_transmission, write_wav, Wav};
use koppla_interop::{Baresip, BaresipOptions, Codec, TestDir};
use koppla_vaxel::config::{Config, UserConfig};
use koppla_vaxel::{Vaxel, VaxelHandle};
use serde_json::Value;
use std::time::{Duration, Instant};

pub const PW_VAR: &str = "VAXEL_QUEUE_INTEROP_PASSWORD";
pub const PW: &str = "queue-pw-3";
pub const WAIT: Duration = Duration::from_secs(15);

/// A baresip phone for `user` that plays a sweep of `secs` seconds into its calls.
pub fn baresip(dir: &TestDir, domain: &str, user: &str, secs: f64) -> Baresip {
    let (rate, channels) = Codec::Pcmu.baresip_pipeline_format();
    let input = dir.path().join(format!("in-{user}.wav"));
    write_wav(&input, rate, channels, &sweep(rate, secs, 0.5)).expect("write wav");
    let mut o = BaresipOptions::new(user, PW, domain);
    o.codecs = vec![Codec::Pcmu];
    o.audio_in = Some(input);
    o.record_dir = Some(dir.sub(&format!("rec-{user}")).expect("rec dir"));
    Baresip::start(o, dir.path()).unwrap_or_else(|e| panic!("baresip {user}: {e}"))
}

/// Checks the sweep of `secs` seconds is in the recording; returns the recording and where
/// the sweep starts.
pub fn assert_received(path: &std::path::Path, secs: f64, what: &str) -> (Wav, f64) {
    let reference = Wav {
        rate: 8000,
        samples: sweep(8000, secs, 0.5),
    };
    let rec = read_wav(path).unwrap_or_else(|e| panic!("{what}: cannot read recording: {e}"));
    let report = verify_transmission(&reference, &rec);
    assert!(
        report.passes(0.6, 3),
        "{what}: sweep of {secs} s not found in {}: {report}",
        path.display()
    );
    eprintln!("{what}: ok, best ncc {:.3}", report.best_ncc());
    let delay = report.delay_s(0.6).unwrap_or(0.0);
    (rec, delay)
}

/// The loudest 200 ms (RMS) of `rec` before `until` seconds: hold audio, not silence.
pub fn loudest_before(rec: &Wav, until: f64) -> f32 {
    let before = rec
        .samples
        .get(..(until * f64::from(rec.rate)) as usize)
        .unwrap_or_default();
    before
        .chunks(rec.rate as usize / 5)
        .map(|c| (c.iter().map(|s| s * s).sum::<f32>() / c.len().max(1) as f32).sqrt())
        .fold(0.0f32, f32::max)
}

/// A runtime with a switch of alice, bob and carol; `adjust` adds queues or settings.
pub fn start(adjust: impl FnOnce(&mut Config)) -> (tokio::runtime::Runtime, VaxelHandle) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    std::env::set_var(PW_VAR, PW);
    let mut cfg = Config::ephemeral();
    for (u, n) in [("alice", "1001"), ("bob", "1002"), ("carol", "1003")] {
        cfg.users.push(UserConfig {
            username: u.into(),
            name: u.into(),
            short_number: Some(n.into()),
            password_env: Some(PW_VAR.into()),
            ..Default::default()
        });
    }
    adjust(&mut cfg);
    let handle = rt.block_on(Vaxel::start(cfg)).expect("vaxel starts");
    (rt, handle)
}

pub fn api_login(rt: &tokio::runtime::Runtime, api: &str, user: &str) -> String {
    let v: Value = rt.block_on(async {
        reqwest::Client::new()
            .post(format!("{api}/login"))
            .json(&serde_json::json!({"username": user, "password": PW}))
            .send()
            .await
            .expect("login")
            .json()
            .await
            .expect("login json")
    });
    v["token"].as_str().expect("token").to_string()
}

pub fn parked(rt: &tokio::runtime::Runtime, api: &str, token: &str) -> Value {
    rt.block_on(async {
        reqwest::Client::new()
            .get(format!("{api}/parked"))
            .bearer_auth(token)
            .send()
            .await
            .expect("parked")
            .json()
            .await
            .expect("parked json")
    })
}

/// Polls the parked list until `done` holds for it (or fails after `WAIT`).
pub fn wait_parked(
    rt: &tokio::runtime::Runtime,
    api: &str,
    token: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let until = Instant::now() + WAIT;
    loop {
        let list = parked(rt, api, token);
        if done(&list) {
            return list;
        }
        assert!(Instant::now() < until, "parked list never settled: {list}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A running switch with alice, bob and carol each on a registered baresip phone.
pub struct Office {
    pub rt: tokio::runtime::Runtime,
    pub handle: VaxelHandle,
    /// The switch's SIP address (`host:port`).
    pub domain: String,
    /// The client API's base (`http://…/api/v1`).
    pub api: String,
    pub dir: TestDir,
    pub alice: Baresip,
    pub bob: Baresip,
    pub carol: Baresip,
}

impl Office {
    /// `secs`: how long alice's, bob's and carol's sweeps last; `adjust` changes the config.
    pub fn open(name: &str, secs: [f64; 3], adjust: impl FnOnce(&mut Config)) -> Office {
        let (rt, handle) = start(adjust);
        let domain = handle.sip_addr.to_string();
        let api = format!("http://{}/api/v1", handle.api_addr);
        let dir = TestDir::new(name).expect("temp dir");
        let mut alice = baresip(&dir, &domain, "alice", secs[0]);
        let mut bob = baresip(&dir, &domain, "bob", secs[1]);
        let mut carol = baresip(&dir, &domain, "carol", secs[2]);
        for p in [&mut alice, &mut bob, &mut carol] {
            p.wait_registered().expect("registers");
        }
        Office {
            rt,
            handle,
            domain,
            api,
            dir,
            alice,
            bob,
            carol,
        }
    }

    /// POSTs to `path` below the API as `token`; returns the HTTP status.
    pub fn post(&self, path: &str, token: &str) -> u16 {
        self.rt.block_on(async {
            reqwest::Client::new()
                .post(format!("{}/{path}", self.api))
                .bearer_auth(token)
                .send()
                .await
                .expect("POST")
                .status()
                .as_u16()
        })
    }

    pub fn login(&self, user: &str) -> String {
        api_login(&self.rt, &self.api, user)
    }

    pub fn wait_parked(&self, token: &str, done: impl Fn(&Value) -> bool) -> Value {
        wait_parked(&self.rt, &self.api, token, done)
    }

    /// Stops the phones still running and the switch.
    pub fn close(mut self) {
        for p in [&mut self.alice, &mut self.bob, &mut self.carol] {
            p.stop();
        }
        self.rt.block_on(self.handle.shutdown());
    }
}
