//! Spoken announcements the switch plays itself: espeak-ng speech (or a tone fallback when it
//! is missing) sent as G.711 RTP, then a completion report so the core can hang up.

use super::g711;
use super::RtpOut;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

/// Speech as 8 kHz PCM: espeak-ng when installed, otherwise three short beeps.
async fn synthesize(text: &str) -> Vec<i16> {
    match espeak(text).await {
        Some(s) if !s.is_empty() => s,
        _ => {
            tracing::warn!("espeak-ng unavailable; announcing with a tone sequence");
            tone_sequence()
        }
    }
}

fn tone_sequence() -> Vec<i16> {
    let mut out = Vec::new();
    for _ in 0..3 {
        out.extend((0..2400).map(|i| {
            ((f64::from(i) * 2.0 * std::f64::consts::PI * 440.0 / 8000.0).sin() * 8000.0) as i16
        }));
        out.extend(std::iter::repeat_n(0i16, 1600));
    }
    out
}

async fn espeak(text: &str) -> Option<Vec<i16>> {
    let dir = tempfile::tempdir().ok()?;
    let path = dir.path().join("say.wav");
    let status = tokio::process::Command::new("espeak-ng")
        .args(["-v", "en", "-s", "150", "-w"])
        .arg(&path)
        .arg("--")
        .arg(text)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .await
        .ok()?;
    if !status.success() {
        return None;
    }
    tokio::task::spawn_blocking(move || {
        let mut r = hound::WavReader::open(&path).ok()?;
        let spec = r.spec();
        let samples: Vec<i16> = r
            .samples::<i16>()
            .filter_map(Result::ok)
            .step_by(usize::from(spec.channels.max(1)))
            .collect();
        Some(g711::resample(&samples, spec.sample_rate, 8000))
    })
    .await
    .ok()
    .flatten()
}

pub(super) async fn announce_loop(
    (sock, heard): (UdpSocket, super::Heard),
    mut dest: Option<SocketAddr>,
    text: String,
    pt: u8,
    call_id: String,
    done: mpsc::UnboundedSender<String>,
) {
    let mut pcm = synthesize(&text).await;
    // A short lead-in so the first words are not lost while the phone sets up audio.
    let mut with_lead = vec![0i16; 4000];
    with_lead.append(&mut pcm);
    let mut rtp = RtpOut::new(pt);
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    let mut buf = [0u8; 2048];
    for frame in with_lead.chunks(160) {
        tick.tick().await;
        // Latch onto the caller's real address once it sends anything (NAT).
        while let Ok((n, src)) = sock.try_recv_from(&mut buf) {
            heard.datagram(&buf[..n]);
            dest = Some(src);
        }
        let Some(to) = dest else { continue };
        let _ = sock.send_to(&rtp.packet(frame), to).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let _ = done.send(call_id);
}
