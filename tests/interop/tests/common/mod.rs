//! Shared setup for the interop tests: a temp dir, Kamailio with test users, test signals.
#![allow(dead_code)] // each test binary uses a different subset

pub mod koppla;

use std::path::PathBuf;
use std::time::Duration;

use koppla_interop::audio::{read_wav, sweep, verify_transmission, write_wav, Wav};
use koppla_interop::{Codec, Kamailio, KamailioOptions, TestDir};

/// Generous: the CI box is shared by several builds.
pub const WAIT: Duration = Duration::from_secs(15);
/// How long audio flows before hangup in the audio tests.
pub const TALK: Duration = Duration::from_secs(4);
/// Minimum normalised cross-correlation for "this signal came through".
pub const MIN_NCC: f32 = 0.6;
/// Number of 0.5 s windows that must match at one consistent delay (= 1.5 s of good audio).
pub const MIN_WINDOWS: usize = 3;

/// Test-only credentials (throwaway, generated per test into the temp dir).
pub const USERS: &[(&str, &str)] = &[
    ("alice", "alice-pw-1"),
    ("bob", "bob-pw-2"),
    ("carol", "carol-pw-3"),
    ("dave", "dave-pw-4"),
];

pub fn password(user: &str) -> &'static str {
    USERS
        .iter()
        .find(|(u, _)| *u == user)
        .map(|(_, p)| *p)
        .unwrap_or("no-such-user")
}

pub struct Env {
    pub dir: TestDir,
    pub kamailio: Kamailio,
}

pub fn env(label: &str) -> Env {
    env_with(label, KamailioOptions::default())
}

pub fn env_with(label: &str, opts: KamailioOptions) -> Env {
    let dir = TestDir::new(label).expect("temp dir");
    let kamailio = Kamailio::start_with(USERS, dir.path(), opts)
        .unwrap_or_else(|e| panic!("kamailio did not start: {e}"));
    Env { dir, kamailio }
}

/// A distinct sweep per party so one direction can never be mistaken for the other (or an echo).
pub fn sweep_seconds(party: usize) -> f64 {
    8.0 + 1.5 * party as f64
}

/// The reference signal of `party` at 8 kHz (analysis resamples as needed).
pub fn reference(party: usize) -> Wav {
    Wav {
        rate: 8000,
        samples: sweep(8000, sweep_seconds(party), 0.5),
    }
}

/// Write party's sweep as WAV in the format baresip's aufile needs for `codec`.
pub fn baresip_input(env: &Env, party: usize, codec: Codec) -> PathBuf {
    let (rate, channels) = codec.baresip_pipeline_format();
    let path = env
        .dir
        .path()
        .join(format!("in-{party}-{rate}-{channels}.wav"));
    write_wav(
        &path,
        rate,
        channels,
        &sweep(rate, sweep_seconds(party), 0.5),
    )
    .expect("write wav");
    path
}

/// Party's sweep as 48 kHz mono (koppla's internal format) for `koppla agent --play`.
pub fn koppla_input(env: &Env, party: usize) -> PathBuf {
    let path = env.dir.path().join(format!("in-{party}-koppla.wav"));
    write_wav(&path, 48000, 1, &sweep(48000, sweep_seconds(party), 0.5)).expect("write wav");
    path
}

/// Assert that `party`'s signal is in the recording at `path`.
pub fn assert_received(path: &std::path::Path, party: usize, what: &str) {
    let rec = read_wav(path).unwrap_or_else(|e| panic!("{what}: cannot read recording: {e}"));
    let report = verify_transmission(&reference(party), &rec);
    assert!(
        report.passes(MIN_NCC, MIN_WINDOWS),
        "{what}: signal of party {party} not found in {} (need {MIN_WINDOWS} windows with ncc >= {MIN_NCC} at a consistent delay): {report}",
        path.display()
    );
    eprintln!(
        "{what}: ok, best ncc {:.3}, delay {:.3}s",
        report.best_ncc(),
        report.delay_s(MIN_NCC).unwrap_or(f64::NAN)
    );
}
