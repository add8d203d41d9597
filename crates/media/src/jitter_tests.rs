use super::*;

/// Simulated network: (arrival ms, frame index). Payload = frame index as bytes;
/// timestamp = start_ts + index * 160 (8 kHz clock).
fn run(trace: &[(u64, u32)], start_ts: u32, ticks: u64) -> (Vec<Playout>, JitterStats) {
    let t0 = Instant::now();
    let mut jb = JitterBuffer::new(8000, JitterConfig::default());
    let mut trace = trace.to_vec();
    trace.sort_by_key(|&(t, _)| t);
    let mut it = trace.into_iter().peekable();
    let mut out = Vec::new();
    for tick in 0..ticks {
        let now_ms = tick * 20;
        while let Some(&(at, idx)) = it.peek() {
            if at > now_ms {
                break;
            }
            jb.push(
                start_ts.wrapping_add(idx * 160),
                idx.to_be_bytes().to_vec(),
                t0 + Duration::from_millis(at),
            );
            it.next();
        }
        out.push(jb.pop_frame(t0 + Duration::from_millis(now_ms)));
    }
    (out, jb.stats())
}

fn played(out: &[Playout]) -> Vec<u32> {
    out.iter()
        .filter_map(|p| match p {
            Playout::Frame { payload, .. } => {
                Some(u32::from_be_bytes(payload[..4].try_into().unwrap()))
            }
            _ => None,
        })
        .collect()
}

/// Concealed slots before the last played frame (end-of-stream concealment excluded).
fn lost_mid_stream(out: &[Playout]) -> usize {
    let last = out
        .iter()
        .rposition(|p| matches!(p, Playout::Frame { .. }))
        .unwrap_or(0);
    out[..last]
        .iter()
        .filter(|p| matches!(p, Playout::Lost { .. }))
        .count()
}

fn steady(n: u32) -> Vec<(u64, u32)> {
    (0..n).map(|i| (u64::from(i) * 20 + 5, i)).collect()
}

#[test]
fn steady_stream_plays_everything_in_order() {
    let (out, st) = run(&steady(100), 1000, 110);
    assert_eq!(played(&out), (0..100).collect::<Vec<_>>());
    assert_eq!(lost_mid_stream(&out), 0, "{st:?}");
    let leading_silence = out.iter().take_while(|p| **p == Playout::Silence).count();
    assert!((2..=4).contains(&leading_silence), "{leading_silence}");
    assert!(matches!(
        &out[leading_silence],
        Playout::Frame {
            timestamp: 1000,
            ..
        }
    ));
}

#[test]
fn reordering_and_duplicates() {
    let mut tr = steady(100);
    for pair in tr.chunks_mut(2) {
        if let [a, b] = pair {
            std::mem::swap(&mut a.1, &mut b.1);
        }
    }
    tr.push((205, 10));
    tr.push((900, 44));
    let (out, st) = run(&tr, 0, 110);
    assert_eq!(played(&out), (0..100).collect::<Vec<_>>());
    assert_eq!(lost_mid_stream(&out), 0);
    assert_eq!(st.duplicates + st.late, 2);
}

#[test]
fn loss_is_concealed_with_fec_hint() {
    let tr: Vec<_> = steady(60).into_iter().filter(|&(_, i)| i != 30).collect();
    let (out, st) = run(&tr, 0, 70);
    let p = played(&out);
    assert_eq!(p.len(), 59);
    assert!(!p.contains(&30));
    let lost = out
        .iter()
        .find(|o| matches!(o, Playout::Lost { .. }))
        .unwrap();
    assert_eq!(
        lost,
        &Playout::Lost {
            next: Some(31u32.to_be_bytes().to_vec())
        }
    );
    assert_eq!(lost_mid_stream(&out), 1, "{st:?}");
}

#[test]
fn adapts_to_jitter() {
    // Deterministic pseudo-random delay 0..80 ms.
    let mut x = 12345u64;
    let tr: Vec<_> = (0..500u32)
        .map(|i| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (u64::from(i) * 20 + (x >> 33) % 80, i)
        })
        .collect();
    let (out, st) = run(&tr, 0, 520);
    assert!(st.target_ms >= 80, "target {}", st.target_ms);
    let second_half = &out[260..];
    let concealed = second_half
        .iter()
        .filter(|p| matches!(p, Playout::Lost { .. }))
        .count();
    assert!(
        concealed <= 5,
        "concealed {concealed} in steady state, stats {st:?}"
    );
    let p = played(&out);
    assert!(p.windows(2).all(|w| w[0] < w[1]), "monotonic");
    assert!(p.len() >= 480, "played {}", p.len());
}

#[test]
fn timestamp_wrap_is_seamless() {
    let (out, st) = run(&steady(100), u32::MAX - 160 * 50, 110);
    assert_eq!(played(&out), (0..100).collect::<Vec<_>>());
    assert_eq!(st.resets, 0);
}

#[test]
fn timestamp_jump_resets_and_resumes() {
    let mut tr = steady(50);
    // Peer restarts its stream with a far-away timestamp base at 1 s.
    tr.extend((0..50u32).map(|i| (1000 + u64::from(i) * 20 + 5, 10_000_000 + i)));
    let (out, st) = run(&tr, 0, 110);
    let p = played(&out);
    assert_eq!(st.resets, 1);
    // Frames still buffered at the jump are discarded with the old stream.
    assert!(p.starts_with(&(0..45).collect::<Vec<_>>()), "{p:?}");
    assert!(
        p.iter().filter(|&&i| i >= 10_000_000).count() >= 45,
        "{p:?}"
    );
}

#[test]
fn pause_goes_silent_then_resumes() {
    let mut tr = steady(30);
    tr.extend((30..60u32).map(|i| (u64::from(i) * 20 + 2000, i)));
    let (out, _) = run(&tr, 0, 200);
    let p = played(&out);
    assert_eq!(p, (0..60).collect::<Vec<_>>());
    let lost = lost_mid_stream(&out);
    assert!(
        lost <= MAX_EMPTY_SLOTS as usize,
        "bounded concealment, got {lost}"
    );
}

#[test]
fn burst_is_trimmed_to_target() {
    let mut tr = steady(20);
    // 40 packets arrive at once after a 1 s stall (network buffer flush).
    tr.extend((20..60u32).map(|i| (1400, i)));
    tr.extend((60..100u32).map(|i| (u64::from(i) * 20 + 205, i)));
    let (_, st) = run(&tr, 0, 130);
    assert!(st.dropped_for_latency > 0, "{st:?}");
    assert!(st.depth_ms <= st.target_ms + 60, "{st:?}");
}

#[test]
fn capacity_bounds_memory() {
    let t0 = Instant::now();
    let mut jb = JitterBuffer::new(
        8000,
        JitterConfig {
            capacity: 10,
            ..Default::default()
        },
    );
    for i in 0..1000u32 {
        jb.push(i * 160, vec![0; 10], t0);
    }
    assert!(jb.packets.len() <= 10);
}
