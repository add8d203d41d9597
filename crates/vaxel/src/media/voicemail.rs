//! Voicemail media: play the greeting and a tone, then record the caller's G.711 RTP into a
//! WAV file (8 kHz mono) until the call ends or the message reaches its maximum length.

use super::g711;
use koppla_media::codec::g711::{alaw_decode, ulaw_decode};
use koppla_media::rtp::RtpPacket;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};

const RATE: u32 = 8000;
const FRAME: usize = 160;

/// A finished message, for the driver to store.
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded {
    pub mailbox: String,
    pub caller: String,
    pub path: PathBuf,
    pub duration_ms: u64,
}

/// Where messages go and how they are taken.
#[derive(Debug, Clone)]
pub struct VoicemailSettings {
    pub dir: PathBuf,
    pub max: Duration,
    /// Greeting as 8 kHz PCM (empty: tones only).
    pub greeting: Vec<i16>,
    pub recorded: mpsc::UnboundedSender<Recorded>,
}

/// Reads a greeting WAV into 8 kHz mono PCM.
pub fn load_greeting(path: &Path) -> Result<Vec<i16>, hound::Error> {
    let mut r = hound::WavReader::open(path)?;
    let spec = r.spec();
    let samples: Vec<i16> = match spec.sample_format {
        hound::SampleFormat::Int if spec.bits_per_sample == 16 => {
            r.samples::<i16>().collect::<Result<_, _>>()?
        }
        hound::SampleFormat::Int => {
            let shift = u32::from(spec.bits_per_sample.saturating_sub(16));
            r.samples::<i32>()
                .map(|s| s.map(|v| (v >> shift) as i16))
                .collect::<Result<_, _>>()?
        }
        hound::SampleFormat::Float => r
            .samples::<f32>()
            .map(|s| s.map(|v| (v.clamp(-1.0, 1.0) * 32767.0) as i16))
            .collect::<Result<_, _>>()?,
    };
    let mono: Vec<i16> = samples
        .chunks(usize::from(spec.channels.max(1)))
        .filter_map(|c| c.first().copied())
        .collect();
    Ok(g711::resample(&mono, spec.sample_rate, RATE))
}

fn tone(hz: f64, ms: u32, amplitude: f64) -> impl Iterator<Item = i16> {
    (0..ms * RATE / 1000).map(move |i| {
        ((f64::from(i) * 2.0 * std::f64::consts::PI * hz / f64::from(RATE)).sin() * amplitude)
            as i16
    })
}

/// What the caller hears before recording starts: lead-in silence, the greeting, the tone.
pub fn prompt(greeting: &[i16]) -> Vec<i16> {
    let mut out = vec![0i16; 2400];
    if greeting.is_empty() {
        // No greeting file: two short pips say "this is a machine".
        for _ in 0..2 {
            out.extend(tone(440.0, 200, 6000.0));
            out.extend(std::iter::repeat_n(0i16, 1200));
        }
    } else {
        out.extend_from_slice(greeting);
        out.extend(std::iter::repeat_n(0i16, 2400));
    }
    out.extend(tone(1000.0, 500, 8000.0));
    out
}

/// Decodes the audio of one RTP packet when it carries PCMU or PCMA.
/// CSRCs, a header extension and padding are skipped; anything that is not valid RTP gives none.
pub fn rtp_pcm(pkt: &[u8]) -> Option<Vec<i16>> {
    let pkt = RtpPacket::parse(pkt).ok()?;
    let payload = pkt.payload.iter();
    match pkt.header.payload_type {
        0 => Some(payload.map(|b| ulaw_decode(*b)).collect()),
        8 => Some(payload.map(|b| alaw_decode(*b)).collect()),
        _ => None,
    }
}

pub(super) struct Job {
    /// Shared with a queue's relay when a queued caller overflows to voicemail.
    pub sock: std::sync::Arc<UdpSocket>,
    pub dest: Option<SocketAddr>,
    pub pt: u8,
    pub call_id: String,
    pub mailbox: String,
    pub caller: String,
}

/// Plays the prompt, records, stores the file and reports it. Reports `call_id` on `done`
/// when the maximum length ends the message (so the switch hangs up).
pub(super) async fn run(
    mut job: Job,
    settings: VoicemailSettings,
    mut stop: oneshot::Receiver<()>,
    done: mpsc::UnboundedSender<String>,
) {
    let mut buf = [0u8; 2048];
    let mut rtp = super::RtpOut::new(job.pt);
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    for frame in prompt(&settings.greeting).chunks(FRAME) {
        tokio::select! {
            _ = tick.tick() => {}
            _ = &mut stop => return,
        }
        while let Ok((_, src)) = job.sock.try_recv_from(&mut buf) {
            job.dest = Some(src);
        }
        if let Some(to) = job.dest {
            let _ = job.sock.send_to(&rtp.packet(frame), to).await;
        }
    }
    let mut pcm: Vec<i16> = Vec::new();
    let deadline = tokio::time::sleep(settings.max);
    tokio::pin!(deadline);
    let timed_out = loop {
        tokio::select! {
            r = job.sock.recv_from(&mut buf) => {
                if let Ok((n, _)) = r {
                    if let Some(s) = buf.get(..n).and_then(rtp_pcm) {
                        pcm.extend_from_slice(&s);
                    }
                }
            }
            _ = &mut deadline => break true,
            _ = &mut stop => break false,
        }
    };
    if timed_out {
        let _ = done.send(job.call_id.clone());
    }
    if pcm.is_empty() {
        tracing::info!(mailbox = %job.mailbox, "caller left no message");
        return;
    }
    let dir = settings.dir.join(&job.mailbox);
    let name = format!(
        "{}-{:08x}.wav",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0),
        rand::random::<u32>()
    );
    let path = dir.join(name);
    let duration_ms = pcm.len() as u64 * 1000 / u64::from(RATE);
    let write_path = path.clone();
    let written = tokio::task::spawn_blocking(move || write_wav(&dir, &write_path, &pcm)).await;
    match written {
        Ok(Ok(())) => {
            let _ = settings.recorded.send(Recorded {
                mailbox: job.mailbox,
                caller: job.caller,
                path,
                duration_ms,
            });
        }
        Ok(Err(e)) => tracing::error!(path = %path.display(), error = %e, "cannot write voicemail"),
        Err(e) => tracing::error!(error = %e, "voicemail writer failed"),
    }
}

fn write_wav(dir: &Path, path: &Path, pcm: &[i16]) -> Result<(), hound::Error> {
    std::fs::create_dir_all(dir)?;
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: RATE,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec)?;
    for s in pcm {
        w.write_sample(*s)?;
    }
    w.finalize()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_g711_rtp_and_skips_other_payloads() {
        let mut rtp = crate::media::RtpOut::new(8);
        let frame: Vec<i16> = (0..160).map(|i| (i * 100) as i16).collect();
        let pkt = rtp.packet(&frame);
        let back = rtp_pcm(&pkt).unwrap();
        assert_eq!(back.len(), 160);
        // A-law is lossy but close.
        assert!(back
            .iter()
            .zip(&frame)
            .all(|(a, b)| (i32::from(*a) - i32::from(*b)).abs() < 600));
        let mut dtmf = RtpPacket::parse(&pkt).unwrap();
        dtmf.header.payload_type = 101;
        assert_eq!(rtp_pcm(&dtmf.to_bytes()), None);
        assert_eq!(rtp_pcm(&[0x80, 0]), None);
        // RtpPacket::to_bytes never pads, so the padded variant is made by hand: P bit set and
        // three padding bytes, the last one counting them.
        let mut padded = pkt.clone();
        padded[0] |= 0x20;
        padded.extend_from_slice(&[0, 0, 3]);
        assert_eq!(rtp_pcm(&padded).map(|p| p.len()), Some(160));
    }

    #[test]
    fn prompt_ends_with_the_tone() {
        let p = prompt(&[]);
        let tail = &p[p.len() - 4000..];
        assert!(tail.iter().any(|s| s.unsigned_abs() > 7000));
        let g = prompt(&[1234; 800]);
        assert!(g.len() > p.len() - 4000);
    }
}
