//! The ringtone for incoming calls, played on the device chosen for it (Settings → Sound), so a
//! headset user hears calls on the loudspeaker. While another call is live the UI's short
//! call-waiting tone is used instead, so the ringtone never plays over a conversation.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use koppla_audio::hotplug::DeviceChoice;
use koppla_audio::{AudioError, AudioSink, AudioSource, ToneSource, FRAME_SAMPLES, SAMPLE_RATE};

use crate::ipc_types::{CallDirection, CallPhase, CallView};

/// Two short bursts, then a pause: 0.4 s on, 0.2 s off, 0.4 s on, 2 s off.
const CADENCE_MS: [(bool, u64); 4] = [(true, 400), (false, 200), (true, 400), (false, 2000)];
const TONE_HZ: f64 = 880.0;
const AMPLITUDE: f64 = 0.25;
const FRAME: Duration = Duration::from_millis(20);

/// Whether the ringtone should sound for these calls.
pub fn should_ring(calls: &[CallView]) -> bool {
    let ringing = calls
        .iter()
        .any(|c| c.direction == CallDirection::Incoming && c.phase == CallPhase::Ringing);
    let talking = calls.iter().any(|c| {
        matches!(
            c.phase,
            CallPhase::Established | CallPhase::Held | CallPhase::RemoteHeld
        )
    });
    ringing && !talking
}

/// The ring signal: a tone switched on and off by the cadence, sample-exact.
pub struct RingSource {
    tone: ToneSource,
    position: u64,
}

impl Default for RingSource {
    fn default() -> Self {
        RingSource {
            tone: ToneSource::new(TONE_HZ, AMPLITUDE),
            position: 0,
        }
    }
}

fn cadence_period() -> u64 {
    CADENCE_MS.iter().map(|(_, ms)| ms).sum::<u64>() * u64::from(SAMPLE_RATE) / 1000
}

fn sounding_at(sample: u64) -> bool {
    let mut offset = sample % cadence_period();
    for (on, ms) in CADENCE_MS {
        let length = ms * u64::from(SAMPLE_RATE) / 1000;
        if offset < length {
            return on;
        }
        offset -= length;
    }
    false
}

impl AudioSource for RingSource {
    fn read_frame(&mut self, out: &mut [i16]) -> Result<bool, AudioError> {
        self.tone.read_frame(out)?;
        for sample in out.iter_mut() {
            if !sounding_at(self.position) {
                *sample = 0;
            }
            self.position += 1;
        }
        Ok(true)
    }
}

/// A ringtone playing on its own thread until dropped.
struct Playing {
    stop: Arc<AtomicBool>,
}

impl Drop for Playing {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn play(device: DeviceChoice) -> Playing {
    let stop = Arc::new(AtomicBool::new(false));
    let stopped = Arc::clone(&stop);
    let spawned = std::thread::Builder::new()
        .name("koppla-ringtone".into())
        .spawn(move || {
            let mut sink = match koppla_audio::devices::open_output(&device)
                .or_else(|_| koppla_audio::devices::open_output(&DeviceChoice::SystemDefault))
            {
                Ok(sink) => sink,
                Err(err) => {
                    tracing::info!(%err, "no device for the ringtone; ringing silently");
                    return;
                }
            };
            let mut source = RingSource::default();
            let mut frame = vec![0i16; FRAME_SAMPLES];
            let mut next = Instant::now();
            while !stopped.load(Ordering::Relaxed) {
                // The device queue drops what it cannot hold, so frames are paced in real time.
                let written = source
                    .read_frame(&mut frame)
                    .and_then(|_| sink.write_frame(&frame));
                if let Err(err) = written {
                    tracing::info!(%err, "ringtone device failed");
                    return;
                }
                next += FRAME;
                std::thread::sleep(next.saturating_duration_since(Instant::now()));
            }
        });
    if let Err(err) = spawned {
        tracing::warn!(%err, "could not start the ringtone");
    }
    Playing { stop }
}

/// Starts and stops the ringtone as the call list changes.
#[derive(Default)]
pub struct Ringer {
    playing: Mutex<Option<Playing>>,
}

impl Ringer {
    /// `device` is the ringtone device from the settings (none: the system default).
    pub fn update(&self, calls: &[CallView], device: Option<&str>) {
        let mut playing = self.playing.lock().unwrap_or_else(|p| p.into_inner());
        match (should_ring(calls), playing.is_some()) {
            (true, false) => {
                let choice = match device {
                    Some(name) if !name.trim().is_empty() => DeviceChoice::Named(name.to_string()),
                    _ => DeviceChoice::SystemDefault,
                };
                *playing = Some(play(choice));
            }
            (false, true) => *playing = None,
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(id: u32, direction: CallDirection, phase: CallPhase) -> CallView {
        CallView {
            id,
            direction,
            remote: "1001".into(),
            remote_name: None,
            phase,
            end_reason: None,
            started_at: 0,
            answered_at: None,
            muted: false,
            recording: false,
        }
    }

    #[test]
    fn rings_for_an_incoming_call_but_not_over_a_conversation() {
        use CallDirection::*;
        use CallPhase::*;
        assert!(should_ring(&[call(1, Incoming, Ringing)]));
        assert!(!should_ring(&[call(1, Incoming, Established)]));
        assert!(!should_ring(&[call(1, Outgoing, Ringing)]));
        assert!(!should_ring(&[
            call(1, Outgoing, Established),
            call(2, Incoming, Ringing)
        ]));
        assert!(!should_ring(&[
            call(1, Incoming, Held),
            call(2, Incoming, Ringing)
        ]));
        assert!(should_ring(&[
            call(1, Outgoing, Ended),
            call(2, Incoming, Ringing)
        ]));
        assert!(!should_ring(&[]));
    }

    fn frame_is_silent(frame: &[i16]) -> bool {
        frame.iter().all(|&s| s == 0)
    }

    #[test]
    fn the_signal_follows_the_cadence() {
        let mut source = RingSource::default();
        let mut frames = Vec::new();
        // 3 s = one full cadence period (0.4 + 0.2 + 0.4 + 2.0 s) of 20 ms frames.
        for _ in 0..150 {
            let mut frame = vec![0i16; FRAME_SAMPLES];
            assert!(source.read_frame(&mut frame).expect("frame"));
            frames.push(frame);
        }
        let sounding: Vec<bool> = frames.iter().map(|f| !frame_is_silent(f)).collect();
        assert!(sounding[..20].iter().all(|&on| on), "first burst 0-400 ms");
        assert!(sounding[20..30].iter().all(|&on| !on), "gap 400-600 ms");
        assert!(
            sounding[30..50].iter().all(|&on| on),
            "second burst 600-1000 ms"
        );
        assert!(sounding[50..].iter().all(|&on| !on), "pause 1-3 s");
        let peak = frames[0]
            .iter()
            .map(|s| s.unsigned_abs())
            .max()
            .unwrap_or(0);
        assert!(peak > 7000 && peak < 9000, "quarter scale, got {peak}");
        let mut next = vec![0i16; FRAME_SAMPLES];
        source.read_frame(&mut next).expect("frame");
        assert!(!frame_is_silent(&next), "the cadence repeats");
    }
}
