//! Call benchmark: koppla↔koppla vs baresip↔baresip through the same Kamailio, in one run.
//!
//! Measures CPU per active call and RSS per endpoint with N concurrent calls, and one-way added
//! latency with a burst-in/burst-out measurement (see koppla_interop::bench). Bounded: about two
//! minutes. Knobs: KOPPLA_BENCH_CALLS (default 3, max 8), KOPPLA_BENCH_CODEC (opus|pcma),
//! KOPPLA_BIN (else `cargo build --release -p koppla-cli` is run first).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use koppla_interop::audio::{burst_track, detect_burst, read_wav, signal::burst, sweep, write_wav};
use koppla_interop::bench::{offset_from_lengths, one_way_latency, table, BenchResult, Side};
use koppla_interop::koppla::{koppla_binary_for, Profile};
use koppla_interop::sysstat::{cpu_seconds, rss_kb};
use koppla_interop::{
    AgentOptions, Baresip, BaresipOptions, Codec, HarnessError, Kamailio, KopplaAgent, Result,
    TestDir,
};

const WAIT: Duration = Duration::from_secs(20);
const WARMUP: Duration = Duration::from_secs(1);
const WINDOW: Duration = Duration::from_secs(5);
/// Burst positions in the latency files of caller (A) and callee (B), seconds.
const BURST_A: f64 = 2.0;
const BURST_B: f64 = 3.0;
const LATENCY_TALK: Duration = Duration::from_millis(5500);
const MIN_BURST_NCC: f32 = 0.5;

struct Setup {
    dir: TestDir,
    kamailio: Kamailio,
    users: Vec<(String, String)>,
    codec: Codec,
    calls: usize,
}

impl Setup {
    fn aor(&self, user: &str) -> String {
        self.kamailio.aor(user)
    }

    fn password(&self, user: &str) -> String {
        self.users
            .iter()
            .find(|(u, _)| u == user)
            .map(|(_, p)| p.clone())
            .unwrap_or_default()
    }

    /// Long sweep for the CPU runs (baresip's aufile ends the call at end of file).
    fn sweep_file(&self, rate: u32, channels: u16) -> Result<PathBuf> {
        let path = self.dir.path().join(format!("sweep-{rate}-{channels}.wav"));
        if !path.exists() {
            write_wav(&path, rate, channels, &sweep(rate, 30.0, 0.5))?;
        }
        Ok(path)
    }

    fn burst_file(&self, at: f64, rate: u32, channels: u16) -> Result<PathBuf> {
        let path = self
            .dir
            .path()
            .join(format!("burst-{at}-{rate}-{channels}.wav"));
        write_wav(&path, rate, channels, &burst_track(rate, 12.0, &[at], 0.7))?;
        Ok(path)
    }
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn cpu_and_rss(pids: &[u32], calls: usize) -> Result<(f64, f64)> {
    std::thread::sleep(WARMUP);
    let before: f64 = pids.iter().map(|p| cpu_seconds(*p)).sum::<Result<f64>>()?;
    let t0 = Instant::now();
    std::thread::sleep(WINDOW);
    let after: f64 = pids.iter().map(|p| cpu_seconds(*p)).sum::<Result<f64>>()?;
    let elapsed = t0.elapsed().as_secs_f64();
    let rss: u64 = pids.iter().map(|p| rss_kb(*p)).sum::<Result<u64>>()?;
    let cpu_per_call = (after - before) / elapsed / calls.max(1) as f64 * 100.0;
    let rss_mib = rss as f64 / 1024.0 / pids.len().max(1) as f64;
    Ok((cpu_per_call, rss_mib))
}

// ---------------------------------------------------------------- baresip

fn baresip_peer(
    s: &Setup,
    user: &str,
    audio: PathBuf,
    record: Option<PathBuf>,
    answer: bool,
) -> Result<Baresip> {
    let mut o = BaresipOptions::new(user, &s.password(user), &s.kamailio.domain());
    o.codecs = vec![s.codec];
    o.audio_in = Some(audio);
    o.record_dir = record;
    o.auto_answer = answer;
    let mut b = Baresip::start(o, s.dir.path())?;
    b.wait_registered()?;
    Ok(b)
}

fn baresip_cpu(s: &Setup) -> Result<(f64, f64)> {
    let (rate, ch) = s.codec.baresip_pipeline_format();
    let audio = s.sweep_file(rate, ch)?;
    let mut callers = Vec::new();
    let mut callees = Vec::new();
    for i in 0..s.calls {
        callees.push(baresip_peer(
            s,
            &format!("r{i}"),
            audio.clone(),
            None,
            true,
        )?);
        callers.push(baresip_peer(
            s,
            &format!("c{i}"),
            audio.clone(),
            None,
            false,
        )?);
    }
    for (i, c) in callers.iter_mut().enumerate() {
        c.dial(&s.aor(&format!("r{i}")))?;
    }
    for c in callers.iter_mut().chain(callees.iter_mut()) {
        c.wait("CALL_ESTABLISHED", WAIT)?;
    }
    let pids: Vec<u32> = callers
        .iter()
        .chain(callees.iter())
        .filter_map(Baresip::pid)
        .collect();
    let result = cpu_and_rss(&pids, s.calls);
    for c in callers.iter_mut() {
        let _ = c.hangup();
    }
    result
}

fn baresip_latency(s: &Setup) -> Result<f64> {
    let (rate, ch) = s.codec.baresip_pipeline_format();
    let rec_a = s.dir.sub("lat-baresip-a")?;
    let rec_b = s.dir.sub("lat-baresip-b")?;
    let mut b = baresip_peer(s, "lb", s.burst_file(BURST_B, rate, ch)?, Some(rec_b), true)?;
    let mut a = baresip_peer(
        s,
        "la",
        s.burst_file(BURST_A, rate, ch)?,
        Some(rec_a),
        false,
    )?;
    a.dial(&s.aor("lb"))?;
    a.wait("CALL_ESTABLISHED", WAIT)?;
    std::thread::sleep(LATENCY_TALK);
    a.hangup()?;
    a.wait("CALL_CLOSED", WAIT)?;
    b.wait("CALL_CLOSED", WAIT)?;
    a.stop();
    b.stop();
    let side = |peer: &Baresip| -> Result<Side> {
        let r = peer.recordings()?;
        let sent = read_wav(&r.sent)?;
        let recv = read_wav(&r.received)?;
        let template = burst(48000, 0.7);
        let own = detect_burst(&template, 48000, &sent, MIN_BURST_NCC).ok_or_else(|| {
            HarnessError::Audio(format!("own burst not found in {}", r.sent.display()))
        })?;
        let heard = detect_burst(&template, 48000, &recv, MIN_BURST_NCC).ok_or_else(|| {
            HarnessError::Audio(format!("peer burst not found in {}", r.received.display()))
        })?;
        Ok(Side {
            burst_sent_at: own,
            burst_heard_at: heard,
            record_offset: offset_from_lengths(sent.duration_s(), recv.duration_s()),
        })
    };
    Ok(one_way_latency(side(&a)?, side(&b)?) * 1000.0)
}

// ---------------------------------------------------------------- koppla

fn koppla_peer(
    s: &Setup,
    bin: &Path,
    user: &str,
    play: PathBuf,
    record: Option<PathBuf>,
    answer: bool,
) -> Result<KopplaAgent> {
    let mut o = AgentOptions::new(&s.aor(user), &s.password(user));
    o.codecs = vec![s.codec];
    o.play = Some(play);
    o.record = record;
    o.auto_answer = answer;
    let mut a = KopplaAgent::start_with_binary(bin, user, &o, s.dir.path())?;
    a.register()?;
    Ok(a)
}

fn koppla_cpu(s: &Setup, bin: &Path) -> Result<(f64, f64)> {
    let audio = s.sweep_file(48000, 1)?;
    let mut callers = Vec::new();
    let mut callees = Vec::new();
    for i in 0..s.calls {
        callees.push(koppla_peer(
            s,
            bin,
            &format!("kr{i}"),
            audio.clone(),
            None,
            true,
        )?);
        callers.push(koppla_peer(
            s,
            bin,
            &format!("kc{i}"),
            audio.clone(),
            None,
            false,
        )?);
    }
    for (i, c) in callers.iter_mut().enumerate() {
        c.send(&format!("call {}", s.aor(&format!("kr{i}"))))?;
    }
    for c in callers.iter_mut().chain(callees.iter_mut()) {
        c.wait_state("established", WAIT)?;
    }
    let pids: Vec<u32> = callers
        .iter()
        .chain(callees.iter())
        .filter_map(KopplaAgent::pid)
        .collect();
    let result = cpu_and_rss(&pids, s.calls);
    for c in callers.iter_mut() {
        let _ = c.quit(Duration::from_secs(5));
    }
    result
}

fn koppla_latency(s: &Setup, bin: &Path) -> Result<f64> {
    let rec_a = s.dir.path().join("lat-koppla-a.wav");
    let rec_b = s.dir.path().join("lat-koppla-b.wav");
    let mut b = koppla_peer(
        s,
        bin,
        "klb",
        s.burst_file(BURST_B, 48000, 1)?,
        Some(rec_b.clone()),
        true,
    )?;
    let mut a = koppla_peer(
        s,
        bin,
        "kla",
        s.burst_file(BURST_A, 48000, 1)?,
        Some(rec_a.clone()),
        false,
    )?;
    a.send(&format!("call {}", s.aor("klb")))?;
    let call = a.wait_state("established", WAIT)?;
    std::thread::sleep(LATENCY_TALK);
    a.send(&format!("hangup {call}"))?;
    a.wait_call_state(call, "ended", WAIT)?;
    b.wait_state("ended", WAIT)?;
    a.quit(WAIT)?;
    b.quit(WAIT)?;
    let template = burst(48000, 0.7);
    let heard = |path: &Path| -> Result<f64> {
        detect_burst(&template, 48000, &read_wav(path)?, MIN_BURST_NCC).ok_or_else(|| {
            HarnessError::Audio(format!("peer burst not found in {}", path.display()))
        })
    };
    // The CLI's file source and recorder both start with the call's media session: offset 0.
    let a_side = Side {
        burst_sent_at: BURST_A,
        burst_heard_at: heard(&rec_a)?,
        record_offset: 0.0,
    };
    let b_side = Side {
        burst_sent_at: BURST_B,
        burst_heard_at: heard(&rec_b)?,
        record_offset: 0.0,
    };
    Ok(one_way_latency(a_side, b_side) * 1000.0)
}

// ---------------------------------------------------------------- main

fn measure(
    name: &str,
    calls: usize,
    cpu: impl FnOnce() -> Result<(f64, f64)>,
    latency: impl FnOnce() -> Result<f64>,
) -> BenchResult {
    let mut r = BenchResult {
        name: name.into(),
        calls,
        ..Default::default()
    };
    match cpu() {
        Ok((c, m)) => {
            r.cpu_percent_per_call = Some(c);
            r.rss_mib_per_endpoint = Some(m);
        }
        Err(e) => r.notes.push(format!("CPU/RSS not measured: {e}")),
    }
    match latency() {
        Ok(l) => r.latency_ms = Some(l),
        Err(e) => r.notes.push(format!("latency not measured: {e}")),
    }
    r
}

fn main() {
    let started = Instant::now();
    let calls = env_usize("KOPPLA_BENCH_CALLS", 3).clamp(1, 8);
    let codec = match std::env::var("KOPPLA_BENCH_CODEC").as_deref() {
        Ok("pcma") => Codec::Pcma,
        _ => Codec::Opus,
    };
    let mut users = Vec::new();
    for prefix in ["c", "r", "kc", "kr"] {
        for i in 0..calls {
            users.push((
                format!("{prefix}{i}"),
                format!("bench-{prefix}{i}-{}", rand::random::<u32>()),
            ));
        }
    }
    for u in ["la", "lb", "kla", "klb"] {
        users.push((
            u.to_string(),
            format!("bench-{u}-{}", rand::random::<u32>()),
        ));
    }
    let setup = (|| -> Result<Setup> {
        let dir = TestDir::new("bench")?;
        let refs: Vec<(&str, &str)> = users
            .iter()
            .map(|(u, p)| (u.as_str(), p.as_str()))
            .collect();
        let kamailio = Kamailio::start(&refs, dir.path())?;
        Ok(Setup {
            dir,
            kamailio,
            users: users.clone(),
            codec,
            calls,
        })
    })();
    let setup = match setup {
        Ok(s) => s,
        Err(e) => {
            eprintln!("bench: setup failed: {e}");
            std::process::exit(1);
        }
    };
    println!(
        "koppla-interop call benchmark: {calls} concurrent calls, codec {}, window {:?}",
        codec.baresip_name(),
        WINDOW
    );

    let baresip = measure(
        "baresip",
        calls,
        || baresip_cpu(&setup),
        || baresip_latency(&setup),
    );
    let koppla = match koppla_binary_for(Profile::Release) {
        Ok(bin) => measure(
            "koppla",
            calls,
            || koppla_cpu(&setup, &bin),
            || koppla_latency(&setup, &bin),
        ),
        Err(e) => BenchResult {
            name: "koppla".into(),
            calls,
            notes: vec![format!("not measured: {e}")],
            ..Default::default()
        },
    };
    println!();
    print!("{}", table(&koppla, &baresip));
    println!("(total bench time {:.1}s)", started.elapsed().as_secs_f64());
    let complete = |r: &BenchResult| r.cpu_percent_per_call.is_some() && r.latency_ms.is_some();
    if !complete(&koppla) || !complete(&baresip) {
        std::process::exit(1);
    }
}
