//! End-to-end echo cancellation: two MediaSessions on 127.0.0.1, the near end's speaker
//! feeds its own microphone through a simulated acoustic path (delay + attenuation). What
//! the far end hears back is its own echo; with the WebRTC processor on the near end that
//! echo must be clearly weaker than without it.
#![cfg(feature = "aec")]

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use koppla_audio::{AudioError, AudioSink, AudioSource, BufferSource, CaptureSink};
use koppla_media::processing::{PassThrough, ProcessingSettings, VoiceProcessor, WebrtcProcessor};
use koppla_media::sdp::{answer, CodecPrefs, MediaOffer, SrtpPolicy};
use koppla_media::MediaSession;
use tokio::net::UdpSocket;

const RATE: usize = 48_000;
const SECONDS: usize = 10;

/// Air between loudspeaker and microphone: what the speaker plays reaches the microphone
/// `delay` samples later at `gain`.
#[derive(Clone)]
struct Room(Arc<Mutex<VecDeque<i16>>>);

impl Room {
    fn new(delay: usize) -> Self {
        Self(Arc::new(Mutex::new(
            std::iter::repeat_n(0, delay).collect(),
        )))
    }
}

struct Speaker(Room, f32);
struct Microphone(Room);

impl AudioSink for Speaker {
    fn write_frame(&mut self, frame: &[i16]) -> Result<(), AudioError> {
        let mut q = self.0 .0.lock().unwrap_or_else(|p| p.into_inner());
        q.extend(frame.iter().map(|&s| (f32::from(s) * self.1) as i16));
        Ok(())
    }
}

impl AudioSource for Microphone {
    fn read_frame(&mut self, out: &mut [i16]) -> Result<bool, AudioError> {
        let mut q = self.0 .0.lock().unwrap_or_else(|p| p.into_inner());
        for s in out.iter_mut() {
            *s = q.pop_front().unwrap_or(0);
        }
        Ok(true)
    }
}

/// Far-end talk stand-in: white noise at a speech-like level, reproducible.
fn noise(samples: usize) -> Vec<i16> {
    let mut x = 0x9e37_79b9u32;
    (0..samples)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x as i32 >> 19) as i16
        })
        .collect()
}

fn energy(x: &[i16]) -> f64 {
    x.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / x.len().max(1) as f64
}

/// Runs one call and returns the mean energy of what the far end heard back over the last
/// four seconds (the first seconds let the canceller converge).
async fn echo_heard_by_far_end(near_processor: Box<dyn VoiceProcessor>) -> f64 {
    let far_sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let near_sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let prefs = CodecPrefs::from_list("pcma").unwrap();
    let offer = MediaOffer::new(far_sock.local_addr().unwrap(), &prefs, SrtpPolicy::Off);
    let (ans, near_neg) = answer(
        &offer.to_sdp(),
        &prefs,
        near_sock.local_addr().unwrap(),
        SrtpPolicy::Off,
    )
    .unwrap();
    let far_neg = offer.accept_answer(&ans).unwrap();

    let (heard, heard_handle) = CaptureSink::new();
    let far = MediaSession::start(
        far_sock,
        far_neg,
        Box::new(BufferSource::new(noise(RATE * SECONDS))),
        Box::new(heard),
    )
    .unwrap();
    // 40 ms acoustic delay, -6 dB: a laptop speaker close to its microphone.
    let room = Room::new(RATE / 25);
    let near = MediaSession::start_with_processor(
        near_sock,
        near_neg,
        Box::new(Microphone(room.clone())),
        Box::new(Speaker(room, 0.5)),
        near_processor,
    )
    .unwrap();
    tokio::time::sleep(Duration::from_secs(SECONDS as u64)).await;
    far.stop().await;
    near.stop().await;

    let heard = heard_handle.samples();
    let end = heard.len().min(RATE * SECONDS);
    let start = end.saturating_sub(RATE * 4);
    assert!(
        end - start >= RATE * 3,
        "far end heard {} samples",
        heard.len()
    );
    energy(&heard[start..end])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn near_end_processor_cancels_the_echo_the_far_end_would_hear() {
    let aec_only = ProcessingSettings {
        echo_cancellation: true,
        gain_control: false,
        noise_suppression: false,
    };
    let processor = WebrtcProcessor::new(aec_only).unwrap();
    // Both calls at once: the comparison then sees the same machine load.
    let (without, with) = tokio::join!(
        echo_heard_by_far_end(Box::new(PassThrough)),
        echo_heard_by_far_end(Box::new(processor)),
    );
    let attenuation_db = 10.0 * (without / with.max(1e-9)).log10();
    eprintln!("echo energy without {without:.0}, with {with:.0}: {attenuation_db:.1} dB");
    // Without processing the echo must really be there, or the comparison proves nothing.
    assert!(without > 1e4, "simulated echo too weak: {without:.0}");
    assert!(
        attenuation_db > 10.0,
        "echo attenuated only {attenuation_db:.1} dB"
    );
}
