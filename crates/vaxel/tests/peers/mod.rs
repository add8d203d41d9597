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
