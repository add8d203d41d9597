//! Who hears whom: every party plays its own tone and the tests look for each tone in what
//! every call sends and in what the speaker plays.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use super::*;
use crate::memory::{CaptureHandle, CaptureSink};
use crate::{ToneSource, SAMPLE_RATE};

const MIC_HZ: f64 = 500.0;
const TONE_AMPLITUDE: f64 = 0.2;

/// Amplitude of `freq` in `samples` as a fraction of full scale (Goertzel).
fn tone_level(samples: &[i16], freq: f64) -> f64 {
    let n = samples.len() as f64;
    let w = 2.0 * std::f64::consts::PI * freq / f64::from(SAMPLE_RATE);
    let coeff = 2.0 * w.cos();
    let (mut s1, mut s2) = (0.0f64, 0.0f64);
    for &x in samples {
        let s0 = f64::from(x) / 32768.0 + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    let power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
    2.0 * power.max(0.0).sqrt() / n
}

fn hears(samples: &[i16], freq: f64) -> bool {
    let level = tone_level(samples, freq);
    assert!(
        !(0.01..0.1).contains(&level),
        "tone {freq} Hz at {level}: neither clearly there nor clearly absent"
    );
    level >= 0.1
}

/// The far end of one call: plays a tone into the bridge and records what the call sends.
struct Party {
    hz: f64,
    remote: ToneSource,
    source: BridgeSource<u32>,
    sink: BridgeSink<u32>,
    sent: Vec<i16>,
}

struct Rig {
    bridge: CallBridge<u32>,
    speaker: CaptureHandle,
    opened: Arc<AtomicUsize>,
    parties: Vec<Party>,
}

impl Rig {
    fn new(calls: &[(u32, f64)]) -> Rig {
        let (capture, speaker) = CaptureSink::new();
        let opened = Arc::new(AtomicUsize::new(0));
        let count = Arc::clone(&opened);
        let bridge = CallBridge::new(
            Box::new(move || {
                count.fetch_add(1, Ordering::SeqCst);
                Ok(Box::new(ToneSource::new(MIC_HZ, TONE_AMPLITUDE)) as Box<dyn AudioSource>)
            }),
            Box::new(move || Ok(Box::new(capture.clone()) as Box<dyn AudioSink>)),
        );
        let parties = calls
            .iter()
            .map(|&(call, hz)| {
                bridge.set_connected(call, true);
                let (source, sink) = bridge.endpoints(call);
                Party {
                    hz,
                    remote: ToneSource::new(hz, TONE_AMPLITUDE),
                    source,
                    sink,
                    sent: Vec::new(),
                }
            })
            .collect();
        Rig {
            bridge,
            speaker,
            opened,
            parties,
        }
    }

    /// Runs `frames` 20 ms periods in which every media session delivers one received frame
    /// and takes one frame to send, then forgets everything before the last ten periods
    /// (the queues need a few periods to fill).
    fn run(&mut self, frames: usize) -> Vec<i16> {
        let before = self.speaker.samples().len();
        let mut frame = vec![0i16; FRAME_SAMPLES];
        for p in &mut self.parties {
            p.sent.clear();
        }
        for _ in 0..frames {
            for p in &mut self.parties {
                p.remote.read_frame(&mut frame).expect("tone");
                p.sink.write_frame(&frame).expect("write");
                p.source.read_frame(&mut frame).expect("read");
                p.sent.extend_from_slice(&frame);
            }
        }
        let keep = 10 * FRAME_SAMPLES;
        for p in &mut self.parties {
            p.sent.drain(..p.sent.len().saturating_sub(keep));
        }
        let played = self.speaker.samples()[before..].to_vec();
        played[played.len().saturating_sub(keep)..].to_vec()
    }

    fn sent(&self, i: usize) -> &[i16] {
        &self.parties[i].sent
    }

    fn hz(&self, i: usize) -> f64 {
        self.parties[i].hz
    }
}

#[test]
fn separate_calls_get_the_microphone_and_the_speaker_plays_both() {
    let mut rig = Rig::new(&[(1, 800.0), (2, 1100.0)]);
    let speaker = rig.run(30);
    for i in 0..2 {
        let other = 1 - i;
        assert!(hears(rig.sent(i), MIC_HZ), "call {i} sends the microphone");
        assert!(
            !hears(rig.sent(i), rig.hz(i)),
            "call {i} gets no echo of itself"
        );
        assert!(
            !hears(rig.sent(i), rig.hz(other)),
            "call {i} does not hear call {other}"
        );
        assert!(hears(&speaker, rig.hz(i)), "the speaker plays call {i}");
    }
    assert!(
        !hears(&speaker, MIC_HZ),
        "the user does not hear the own microphone"
    );
}

#[test]
fn conference_members_hear_each_other_but_never_themselves() {
    let mut rig = Rig::new(&[(1, 800.0), (2, 1100.0), (3, 1400.0)]);
    rig.bridge.set_conference(&[1, 2, 3]);
    let speaker = rig.run(30);
    for i in 0..3 {
        assert!(hears(rig.sent(i), MIC_HZ), "member {i} hears the user");
        assert!(
            !hears(rig.sent(i), rig.hz(i)),
            "member {i} gets no echo of itself"
        );
        for j in (0..3).filter(|&j| j != i) {
            assert!(hears(rig.sent(i), rig.hz(j)), "member {i} hears member {j}");
        }
        assert!(hears(&speaker, rig.hz(i)), "the speaker plays member {i}");
    }
    assert!(!hears(&speaker, MIC_HZ));
}

#[test]
fn a_call_outside_the_conference_hears_only_the_user() {
    let mut rig = Rig::new(&[(1, 800.0), (2, 1100.0), (3, 1400.0)]);
    rig.bridge.set_conference(&[1, 2]);
    rig.run(30);
    assert!(hears(rig.sent(0), rig.hz(1)));
    assert!(hears(rig.sent(1), rig.hz(0)));
    assert!(hears(rig.sent(2), MIC_HZ));
    assert!(!hears(rig.sent(2), rig.hz(0)) && !hears(rig.sent(2), rig.hz(1)));
    assert!(!hears(rig.sent(0), rig.hz(2)) && !hears(rig.sent(1), rig.hz(2)));
}

#[test]
fn a_held_call_is_neither_heard_nor_sent_anything_until_resumed() {
    let mut rig = Rig::new(&[(1, 800.0), (2, 1100.0)]);
    rig.bridge.set_conference(&[1, 2]);
    rig.bridge.set_connected(2, false);
    let speaker = rig.run(30);
    assert!(
        rig.sent(1).iter().all(|&s| s == 0),
        "the held call gets silence"
    );
    assert!(!hears(&speaker, rig.hz(1)), "the held call is not played");
    assert!(
        !hears(rig.sent(0), rig.hz(1)),
        "nor forwarded to the conference"
    );
    assert!(hears(rig.sent(0), MIC_HZ) && hears(&speaker, rig.hz(0)));

    rig.bridge.set_connected(2, true);
    let speaker = rig.run(30);
    assert!(hears(rig.sent(1), MIC_HZ) && hears(rig.sent(1), rig.hz(0)));
    assert!(hears(&speaker, rig.hz(1)));
}

#[test]
fn leaving_the_conference_splits_it() {
    let mut rig = Rig::new(&[(1, 800.0), (2, 1100.0)]);
    rig.bridge.set_conference(&[1, 2]);
    rig.bridge.leave_conference(2);
    assert!(
        rig.bridge.conference().is_empty(),
        "one member is no conference"
    );
    rig.run(30);
    assert!(!hears(rig.sent(0), rig.hz(1)) && !hears(rig.sent(1), rig.hz(0)));
}

#[test]
fn queues_stay_bounded_when_a_call_stops_reading_or_writing() {
    let mut rig = Rig::new(&[(1, 800.0), (2, 1100.0)]);
    let mut frame = vec![0i16; FRAME_SAMPLES];
    // Only call 1's media runs: every read steps the bridge, filling call 2's queue.
    for _ in 0..50 {
        rig.parties[0].source.read_frame(&mut frame).expect("read");
    }
    assert_eq!(rig.bridge.queued(2), DEFAULT_DEPTH);
    assert!(rig.bridge.dropped(2) >= 40, "oldest frames were dropped");
    // A call that delivers faster than the bridge steps loses its oldest frames.
    for _ in 0..50 {
        rig.parties[1].sink.write_frame(&frame).expect("write");
    }
    assert!(rig.bridge.dropped(2) >= 85);
    // Call 2 then drains its queue; reading past it steps the bridge again.
    for _ in 0..DEFAULT_DEPTH + 3 {
        rig.parties[1].source.read_frame(&mut frame).expect("read");
    }
    assert_eq!(rig.bridge.queued(2), 0);
}

#[test]
fn a_reader_that_finds_nothing_queued_gets_silence_not_stale_audio() {
    let bridge: CallBridge<u32> = CallBridge::new(
        Box::new(|| Err(AudioError::Device("no microphone".into()))),
        Box::new(|| Err(AudioError::Device("no speaker".into()))),
    );
    bridge.set_connected(7, true);
    let (mut source, _sink) = bridge.endpoints(7);
    let mut frame = vec![1i16; FRAME_SAMPLES];
    assert!(source.read_frame(&mut frame).expect("read"));
    assert!(frame.iter().all(|&s| s == 0), "no devices means silence");
    assert_eq!(bridge.devices_open(), (false, false));
}

#[test]
fn devices_open_with_the_first_call_and_close_with_the_last() {
    let mut rig = Rig::new(&[(1, 800.0), (2, 1100.0)]);
    assert_eq!(rig.opened.load(Ordering::SeqCst), 0, "opened lazily");
    rig.run(12);
    assert_eq!(
        rig.opened.load(Ordering::SeqCst),
        1,
        "one microphone for both calls"
    );
    assert_eq!(rig.bridge.devices_open(), (true, true));
    let first = rig.parties.remove(0);
    rig.bridge.remove(1);
    drop(first);
    assert_eq!(
        rig.bridge.devices_open(),
        (true, true),
        "call 2 still talks"
    );
    rig.parties.clear();
    rig.bridge.remove(2);
    assert_eq!(rig.bridge.devices_open(), (false, false));
    let (mut source, _sink) = rig.bridge.endpoints(3);
    let mut frame = vec![0i16; FRAME_SAMPLES];
    source.read_frame(&mut frame).expect("read");
    assert_eq!(
        rig.opened.load(Ordering::SeqCst),
        2,
        "reopened for the next call"
    );
}

#[test]
fn a_removed_call_sends_silence_and_its_audio_goes_nowhere() {
    let mut rig = Rig::new(&[(1, 800.0), (2, 1100.0)]);
    rig.bridge.set_conference(&[1, 2]);
    rig.bridge.remove(2);
    let speaker = rig.run(30);
    assert!(rig.sent(1).iter().all(|&s| s == 0));
    assert!(!hears(&speaker, rig.hz(1)) && !hears(rig.sent(0), rig.hz(1)));
    assert!(rig.bridge.conference().is_empty());
}

/// Records the echo reference and turns the microphone down, as an echo canceller would.
struct Recorder(Arc<std::sync::Mutex<Vec<i16>>>);

impl DeviceProcessing for Recorder {
    fn render(&mut self, speaker: &[i16]) {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(speaker);
    }
    fn capture(&mut self, mic: &mut [i16]) {
        for s in mic.iter_mut() {
            *s /= 4;
        }
    }
}

#[test]
fn processing_sees_the_speaker_mix_and_shapes_the_microphone_for_every_call() {
    let mut rig = Rig::new(&[(1, 800.0), (2, 1100.0)]);
    let reference = Arc::new(std::sync::Mutex::new(Vec::new()));
    rig.bridge
        .set_processing(Some(Box::new(Recorder(Arc::clone(&reference)))));
    let speaker = rig.run(30);
    let reference = reference.lock().unwrap_or_else(|p| p.into_inner()).clone();
    assert_eq!(
        &reference[reference.len() - speaker.len()..],
        &speaker[..],
        "the echo reference is exactly what the speaker played"
    );
    for i in 0..2 {
        let level = tone_level(rig.sent(i), MIC_HZ);
        assert!(
            (level - TONE_AMPLITUDE / 4.0).abs() < 0.01,
            "call {i} gets the processed microphone, level {level}"
        );
    }
}

#[test]
fn readers_in_any_order_never_starve_and_never_overflow() {
    let mut rig = Rig::new(&[(1, 800.0), (2, 1100.0), (3, 1400.0)]);
    let mut frame = vec![0i16; FRAME_SAMPLES];
    let received = vec![0i16; FRAME_SAMPLES];
    // A fixed pseudo-random order per 20 ms period stands in for media threads whose timers
    // fire in any order relative to each other.
    let mut seed = 0x2545_f491_u32;
    for period in 0..500 {
        let mut order = [0usize, 1, 2];
        for i in (1..order.len()).rev() {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            order.swap(i, (seed >> 16) as usize % (i + 1));
        }
        for &i in &order {
            let party = &mut rig.parties[i];
            party.sink.write_frame(&received).expect("write");
            party.source.read_frame(&mut frame).expect("read");
            let level = tone_level(&frame, MIC_HZ);
            assert!(
                level > 0.15,
                "period {period}: call {i} got a gap ({level})"
            );
        }
    }
    for call in [1, 2, 3] {
        assert!(rig.bridge.queued(call) <= 2, "call {call} lags behind");
        assert_eq!(rig.bridge.dropped(call), 0, "call {call} lost audio");
    }
}

#[test]
fn new_devices_take_over_a_call_in_progress() {
    let mut rig = Rig::new(&[(1, 800.0)]);
    rig.run(10);
    assert_eq!(rig.opened.load(Ordering::SeqCst), 1);
    let (headset, headset_speaker) = CaptureSink::new();
    let headset_mic = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&headset_mic);
    rig.bridge.set_devices(
        Box::new(move || {
            count.fetch_add(1, Ordering::SeqCst);
            Ok(Box::new(ToneSource::new(700.0, TONE_AMPLITUDE)) as Box<dyn AudioSource>)
        }),
        Box::new(move || Ok(Box::new(headset.clone()) as Box<dyn AudioSink>)),
    );
    let before = rig.speaker.samples().len();
    rig.parties[0].sent.clear();
    rig.run(20);
    assert_eq!(
        headset_mic.load(Ordering::SeqCst),
        1,
        "the headset opened mid-call"
    );
    assert_eq!(
        rig.speaker.samples().len(),
        before,
        "the old speaker gets nothing more"
    );
    let heard = headset_speaker.samples();
    assert!(
        hears(&heard[heard.len() - 10 * FRAME_SAMPLES..], 800.0),
        "the call plays on the headset"
    );
    assert!(hears(rig.sent(0), 700.0), "the headset microphone is sent");
    assert!(!hears(rig.sent(0), MIC_HZ), "the old microphone is not");

    rig.bridge.reopen();
    rig.run(2);
    assert_eq!(
        headset_mic.load(Ordering::SeqCst),
        2,
        "reopen opens the chosen device again"
    );
}

#[test]
fn reopening_without_calls_opens_nothing() {
    let rig = Rig::new(&[]);
    rig.bridge.reopen();
    assert_eq!(rig.bridge.devices_open(), (false, false));
    assert_eq!(rig.opened.load(Ordering::SeqCst), 0);
}

#[test]
fn muting_a_conference_call_keeps_its_partners_talking() {
    let mut rig = Rig::new(&[(1, 800.0), (2, 1100.0), (3, 1400.0)]);
    rig.bridge.set_conference(&[1, 2]);
    rig.bridge.set_mic_muted(1, true);
    let speaker = rig.run(30);
    assert!(
        !hears(rig.sent(0), MIC_HZ),
        "the muted call gets no microphone"
    );
    assert!(hears(rig.sent(0), rig.hz(1)), "but still hears its partner");
    assert!(
        hears(rig.sent(1), MIC_HZ),
        "the partner still gets the microphone"
    );
    assert!(hears(rig.sent(1), rig.hz(0)), "and the muted call's party");
    assert!(hears(rig.sent(2), MIC_HZ), "other calls are not muted");
    assert!(hears(&speaker, rig.hz(0)), "I still hear the muted call");
    rig.bridge.set_mic_muted(1, false);
    rig.run(30);
    assert!(hears(rig.sent(0), MIC_HZ), "unmuted");
}
