//! The sounds of incoming calls. The ringtone plays on the device chosen for it (Settings →
//! Sound), so a headset user hears calls on the loudspeaker. A call arriving while another is live
//! gets the call-waiting tone instead, in the call's own output, so it never drowns a conversation
//! and only the person on the call hears it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use koppla_audio::hotplug::DeviceChoice;
use koppla_audio::{AudioError, AudioSink, AudioSource, ToneSource, FRAME_SAMPLES, SAMPLE_RATE};

use crate::ipc_types::{AppSettings, CallDirection, CallPhase, CallView};

/// On/off steps in milliseconds, repeated while the sound plays.
type Cadence = &'static [(bool, u64)];

/// Two short bursts, then a pause: 0.4 s on, 0.2 s off, 0.4 s on, 2 s off.
const RING_CADENCE: Cadence = &[(true, 400), (false, 200), (true, 400), (false, 2000)];
const RING_HZ: f64 = 880.0;
const RING_AMPLITUDE: f64 = 0.25;
/// A call coming back (a transfer nobody answered): three short bursts, then a pause.
const RECALL_CADENCE: Cadence = &[
    (true, 150),
    (false, 100),
    (true, 150),
    (false, 100),
    (true, 150),
    (false, 2000),
];
/// Two short beeps every four seconds at the European 425 Hz, quiet beside the caller's voice.
const WAITING_CADENCE: Cadence = &[(true, 200), (false, 200), (true, 200), (false, 3400)];
const WAITING_HZ: f64 = 425.0;
const WAITING_AMPLITUDE: f64 = 0.1;
const FRAME: Duration = Duration::from_millis(20);

/// What the calls should sound like right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sound {
    Silent,
    /// An incoming call and nothing else going on.
    Ring,
    /// A call of mine coming back (unanswered transfer) and nothing else going on.
    Recall,
    /// An incoming call while another call is being talked on or held.
    Waiting,
}

pub fn sound_for(calls: &[CallView]) -> Sound {
    let is_ringing =
        |c: &&CallView| c.direction == CallDirection::Incoming && c.phase == CallPhase::Ringing;
    let ringing = calls.iter().any(|c| is_ringing(&c));
    let recall = calls
        .iter()
        .filter(is_ringing)
        .all(|c| c.recall == Some(true));
    let talking = calls.iter().any(|c| {
        matches!(
            c.phase,
            CallPhase::Established | CallPhase::Held | CallPhase::RemoteHeld
        )
    });
    match (ringing, talking) {
        (false, _) => Sound::Silent,
        (true, false) if recall => Sound::Recall,
        (true, false) => Sound::Ring,
        (true, true) => Sound::Waiting,
    }
}

/// A tone switched on and off by a cadence, sample-exact.
pub struct CadencedTone {
    tone: ToneSource,
    cadence: Cadence,
    position: u64,
}

impl CadencedTone {
    pub fn ring() -> CadencedTone {
        CadencedTone::new(RING_HZ, RING_AMPLITUDE, RING_CADENCE)
    }

    pub fn recall() -> CadencedTone {
        CadencedTone::new(RING_HZ, RING_AMPLITUDE, RECALL_CADENCE)
    }

    pub fn waiting() -> CadencedTone {
        CadencedTone::new(WAITING_HZ, WAITING_AMPLITUDE, WAITING_CADENCE)
    }

    fn new(hz: f64, amplitude: f64, cadence: Cadence) -> CadencedTone {
        CadencedTone {
            tone: ToneSource::new(hz, amplitude),
            cadence,
            position: 0,
        }
    }

    fn samples(ms: u64) -> u64 {
        ms * u64::from(SAMPLE_RATE) / 1000
    }

    fn sounding_at(&self, sample: u64) -> bool {
        let period: u64 = self.cadence.iter().map(|(_, ms)| Self::samples(*ms)).sum();
        let mut offset = sample % period.max(1);
        for (on, ms) in self.cadence {
            let length = Self::samples(*ms);
            if offset < length {
                return *on;
            }
            offset -= length;
        }
        false
    }
}

impl AudioSource for CadencedTone {
    fn read_frame(&mut self, out: &mut [i16]) -> Result<bool, AudioError> {
        self.tone.read_frame(out)?;
        for sample in out.iter_mut() {
            if !self.sounding_at(self.position) {
                *sample = 0;
            }
            self.position += 1;
        }
        Ok(true)
    }
}

/// A sound playing on its own thread until dropped.
struct Playing {
    stop: Arc<AtomicBool>,
}

impl Drop for Playing {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn play(device: DeviceChoice, mut source: CadencedTone) -> Playing {
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

fn choice(device: Option<&str>) -> DeviceChoice {
    match device {
        Some(name) if !name.trim().is_empty() => DeviceChoice::Named(name.to_string()),
        _ => DeviceChoice::SystemDefault,
    }
}

/// Starts, switches and stops the call sounds as the call list changes.
#[derive(Default)]
pub struct Ringer {
    playing: Mutex<Option<(Sound, Playing)>>,
}

impl Ringer {
    /// Devices come from the settings: the ringtone device for ringing, the call output for
    /// the waiting tone (none: the system default).
    pub fn update(&self, calls: &[CallView], settings: &AppSettings) {
        let mut playing = self.playing.lock().unwrap_or_else(|p| p.into_inner());
        let wanted = sound_for(calls);
        if playing.as_ref().map(|(sound, _)| *sound) == Some(wanted) {
            return;
        }
        // Dropping the old sound stops it before the next one starts.
        *playing = None;
        *playing = match wanted {
            Sound::Silent => None,
            Sound::Ring => Some((
                wanted,
                play(
                    choice(settings.audio_ringtone.as_deref()),
                    CadencedTone::ring(),
                ),
            )),
            Sound::Recall => Some((
                wanted,
                play(
                    choice(settings.audio_ringtone.as_deref()),
                    CadencedTone::recall(),
                ),
            )),
            Sound::Waiting => Some((
                wanted,
                play(
                    choice(settings.audio_output.as_deref()),
                    CadencedTone::waiting(),
                ),
            )),
        };
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
            via: None,
            phase,
            end_reason: None,
            started_at: 0,
            answered_at: None,
            muted: false,
            recording: false,
            conference: None,
            recall: None,
        }
    }

    #[test]
    fn rings_alone_and_waits_beside_a_conversation() {
        use CallDirection::*;
        use CallPhase::*;
        assert_eq!(sound_for(&[call(1, Incoming, Ringing)]), Sound::Ring);
        assert_eq!(sound_for(&[call(1, Incoming, Established)]), Sound::Silent);
        assert_eq!(sound_for(&[call(1, Outgoing, Ringing)]), Sound::Silent);
        assert_eq!(
            sound_for(&[call(1, Outgoing, Established), call(2, Incoming, Ringing)]),
            Sound::Waiting
        );
        assert_eq!(
            sound_for(&[call(1, Incoming, Held), call(2, Incoming, Ringing)]),
            Sound::Waiting
        );
        assert_eq!(
            sound_for(&[call(1, Incoming, RemoteHeld), call(2, Incoming, Ringing)]),
            Sound::Waiting
        );
        // Ringback of my own outgoing call is no conversation yet: the ringtone is right.
        assert_eq!(
            sound_for(&[call(1, Outgoing, Calling), call(2, Incoming, Ringing)]),
            Sound::Ring
        );
        assert_eq!(
            sound_for(&[call(1, Outgoing, Ended), call(2, Incoming, Ringing)]),
            Sound::Ring
        );
        assert_eq!(sound_for(&[]), Sound::Silent);
    }

    #[test]
    fn a_call_coming_back_rings_with_three_short_bursts_unless_a_normal_call_rings_too() {
        use CallDirection::*;
        use CallPhase::*;
        let recall = CallView {
            recall: Some(true),
            ..call(1, Incoming, Ringing)
        };
        assert_eq!(sound_for(std::slice::from_ref(&recall)), Sound::Recall);
        assert_eq!(
            sound_for(&[recall.clone(), call(2, Incoming, Ringing)]),
            Sound::Ring
        );
        assert_eq!(
            sound_for(&[call(2, Outgoing, Established), recall]),
            Sound::Waiting
        );
        // Three bursts of 150 ms in the first 700 ms, then quiet until the cadence repeats.
        let mut tone = CadencedTone::recall();
        let mut frames = vec![0i16; FRAME_SAMPLES];
        let mut sounding = Vec::new();
        for _ in 0..(2_650 / 20) {
            tone.read_frame(&mut frames).expect("tone");
            sounding.push(!frame_is_silent(&frames));
        }
        let bursts =
            sounding.windows(2).filter(|w| !w[0] && w[1]).count() + usize::from(sounding[0]);
        assert_eq!(bursts, 3, "{sounding:?}");
    }

    #[test]
    fn the_waiting_tone_stops_when_the_second_call_is_answered_or_ends() {
        use CallDirection::*;
        use CallPhase::*;
        let talking = call(1, Outgoing, Established);
        let waiting = [talking.clone(), call(2, Incoming, Ringing)];
        assert_eq!(sound_for(&waiting), Sound::Waiting);
        // Answering puts the first call on hold and the second one live.
        assert_eq!(
            sound_for(&[call(1, Outgoing, Held), call(2, Incoming, Established)]),
            Sound::Silent
        );
        assert_eq!(
            sound_for(&[talking.clone(), call(2, Incoming, Ended)]),
            Sound::Silent
        );
        // The conversation ends while the second call still rings: it rings normally now.
        assert_eq!(
            sound_for(&[call(1, Outgoing, Ended), call(2, Incoming, Ringing)]),
            Sound::Ring
        );
    }

    fn frame_is_silent(frame: &[i16]) -> bool {
        frame.iter().all(|&s| s == 0)
    }

    /// Which of `count` 20 ms frames of `source` carry sound, and the loudest sample.
    fn render(source: &mut CadencedTone, count: usize) -> (Vec<bool>, u16) {
        let mut sounding = Vec::new();
        let mut peak = 0;
        for _ in 0..count {
            let mut frame = vec![0i16; FRAME_SAMPLES];
            assert!(source.read_frame(&mut frame).expect("frame"));
            sounding.push(!frame_is_silent(&frame));
            peak = frame
                .iter()
                .map(|s| s.unsigned_abs())
                .max()
                .unwrap_or(0)
                .max(peak);
        }
        (sounding, peak)
    }

    #[test]
    fn the_ringtone_follows_its_cadence() {
        // 3 s = one full cadence period (0.4 + 0.2 + 0.4 + 2.0 s) of 20 ms frames.
        let mut source = CadencedTone::ring();
        let (sounding, peak) = render(&mut source, 150);
        assert!(sounding[..20].iter().all(|&on| on), "first burst 0-400 ms");
        assert!(sounding[20..30].iter().all(|&on| !on), "gap 400-600 ms");
        assert!(
            sounding[30..50].iter().all(|&on| on),
            "second burst 600-1000 ms"
        );
        assert!(sounding[50..].iter().all(|&on| !on), "pause 1-3 s");
        assert!(peak > 7000 && peak < 9000, "quarter scale, got {peak}");
        let (next, _) = render(&mut source, 1);
        assert!(next[0], "the cadence repeats");
    }

    #[test]
    fn the_waiting_tone_is_two_short_quiet_beeps_every_four_seconds() {
        let mut source = CadencedTone::waiting();
        let (sounding, peak) = render(&mut source, 200);
        assert!(sounding[..10].iter().all(|&on| on), "beep 0-200 ms");
        assert!(sounding[10..20].iter().all(|&on| !on), "gap 200-400 ms");
        assert!(sounding[20..30].iter().all(|&on| on), "beep 400-600 ms");
        assert!(sounding[30..].iter().all(|&on| !on), "pause 0.6-4 s");
        assert!(
            peak > 2500 && peak < 3500,
            "a tenth of full scale, got {peak}"
        );
        let (next, _) = render(&mut source, 1);
        assert!(next[0], "the beeps repeat");
    }
}
