//! Playing a recording (a voicemail message) with pause, seek and a position the UI can show.
//! [`Playback`] is the position model, fed frame requests and nothing else, so it is tested
//! without a clock or a device; [`Player`] drives it on its own thread, paced in real time like
//! the ringtone, into whatever sink the caller opens there (the chosen output device).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::{AudioError, AudioSink, FRAME_SAMPLES, SAMPLE_RATE};

const SAMPLES_PER_MS: u64 = SAMPLE_RATE as u64 / 1000;
/// How often a playing recording reports its position: smooth enough for a progress bar
/// without flooding the UI.
const REPORT_EVERY_FRAMES: u32 = 10;
const FRAME: Duration = Duration::from_millis(crate::FRAME_MS as u64);

/// Where playback stands, as the UI shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlaybackState {
    pub position_ms: u64,
    pub duration_ms: u64,
    pub playing: bool,
    /// Played to the end (and stopped there).
    pub finished: bool,
}

/// A recording at 48 kHz mono and where in it playback is.
#[derive(Debug, Clone)]
pub struct Playback {
    samples: Vec<i16>,
    pos: usize,
    playing: bool,
    finished: bool,
}

impl Playback {
    /// Ready to play from the start (`playing` true).
    pub fn new(samples: Vec<i16>) -> Playback {
        Playback {
            samples,
            pos: 0,
            playing: true,
            finished: false,
        }
    }

    pub fn state(&self) -> PlaybackState {
        PlaybackState {
            position_ms: self.pos as u64 / SAMPLES_PER_MS,
            duration_ms: self.samples.len() as u64 / SAMPLES_PER_MS,
            playing: self.playing,
            finished: self.finished,
        }
    }

    pub fn pause(&mut self) {
        self.playing = false;
    }

    /// Plays on; a recording that was played to the end starts over, as a player's play
    /// button does.
    pub fn resume(&mut self) {
        if self.pos >= self.samples.len() {
            self.pos = 0;
        }
        self.finished = false;
        self.playing = true;
    }

    /// Moves to `ms` (clamped to the recording); playing or paused stays as it was.
    pub fn seek_ms(&mut self, ms: u64) {
        let at = usize::try_from(ms.saturating_mul(SAMPLES_PER_MS)).unwrap_or(usize::MAX);
        self.pos = at.min(self.samples.len());
        if self.pos < self.samples.len() {
            self.finished = false;
        }
    }

    /// The next frame of audio: the recording while playing, silence when paused or done.
    /// Returns whether it carried any of the recording.
    pub fn next_frame(&mut self, out: &mut [i16]) -> bool {
        if !self.playing || self.pos >= self.samples.len() {
            out.fill(0);
            self.stop_at_end();
            return false;
        }
        let n = (self.samples.len() - self.pos).min(out.len());
        out[..n].copy_from_slice(&self.samples[self.pos..self.pos + n]);
        out[n..].fill(0);
        self.pos += n;
        self.stop_at_end();
        true
    }

    fn stop_at_end(&mut self) {
        if self.pos >= self.samples.len() && self.playing {
            self.playing = false;
            self.finished = true;
        }
    }
}

/// A recording playing on its own thread until dropped.
pub struct Player {
    playback: Arc<Mutex<Playback>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

fn lock(playback: &Mutex<Playback>) -> MutexGuard<'_, Playback> {
    playback.lock().unwrap_or_else(|p| p.into_inner())
}

impl Player {
    /// Starts playing `samples` (48 kHz mono). `open_sink` runs on the player's thread, since
    /// sound devices are opened where they are written; when it or the sink fails, playback
    /// goes on into nothing (the position still moves, and `report` was told by the error
    /// log). `report` gets the state every 200 ms while playing and at every change.
    pub fn start(
        samples: Vec<i16>,
        open_sink: impl FnOnce() -> Result<Box<dyn AudioSink>, AudioError> + Send + 'static,
        mut report: impl FnMut(PlaybackState) + Send + 'static,
    ) -> Result<Player, AudioError> {
        let playback = Arc::new(Mutex::new(Playback::new(samples)));
        let stop = Arc::new(AtomicBool::new(false));
        let shared = Arc::clone(&playback);
        let stopped = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("koppla-player".into())
            .spawn(move || {
                let mut sink = match open_sink() {
                    Ok(sink) => Some(sink),
                    Err(err) => {
                        tracing::info!(%err, "no sound device for playback; playing silently");
                        None
                    }
                };
                let mut frame = vec![0i16; FRAME_SAMPLES];
                let mut last = None;
                let mut frames = 0u32;
                let mut next = Instant::now();
                while !stopped.load(Ordering::Relaxed) {
                    let (sounding, state) = {
                        let mut p = lock(&shared);
                        let sounding = p.next_frame(&mut frame);
                        (sounding, p.state())
                    };
                    if sounding {
                        if let Some(s) = sink.as_mut() {
                            if let Err(err) = s.write_frame(&frame) {
                                tracing::info!(%err, "playback device failed; playing silently");
                                sink = None;
                            }
                        }
                    }
                    frames = frames.wrapping_add(1);
                    let changed = last.is_none_or(|l: PlaybackState| {
                        l.playing != state.playing
                            || l.finished != state.finished
                            || l.position_ms != state.position_ms && !state.playing
                    });
                    if changed || (state.playing && frames.is_multiple_of(REPORT_EVERY_FRAMES)) {
                        report(state);
                        last = Some(state);
                    }
                    // The device queue drops what it cannot hold, so frames are paced in real
                    // time; a late thread catches up instead of drifting.
                    next += FRAME;
                    let now = Instant::now();
                    if next + FRAME * 5 < now {
                        next = now;
                    }
                    std::thread::sleep(next.saturating_duration_since(now));
                }
            })
            .map_err(|err| AudioError::Device(format!("cannot start playback: {err}")))?;
        Ok(Player {
            playback,
            stop,
            thread: Some(thread),
        })
    }

    pub fn state(&self) -> PlaybackState {
        lock(&self.playback).state()
    }

    pub fn pause(&self) {
        lock(&self.playback).pause();
    }

    pub fn resume(&self) {
        lock(&self.playback).resume();
    }

    pub fn seek_ms(&self, ms: u64) {
        lock(&self.playback).seek_ms(ms);
    }
}

impl Drop for Player {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            // The loop sleeps at most one frame, so this returns at once.
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::CaptureSink;

    fn ramp(ms: usize) -> Vec<i16> {
        (0..ms * 48).map(|i| (i % 1000) as i16 + 1).collect()
    }

    #[test]
    fn plays_to_the_end_then_stops_and_play_starts_over() {
        let mut p = Playback::new(ramp(50));
        let mut out = vec![0i16; FRAME_SAMPLES];
        assert!(p.next_frame(&mut out));
        assert_eq!(out[0], 1);
        assert_eq!(p.state().position_ms, 20);
        assert!(p.next_frame(&mut out));
        assert!(p.next_frame(&mut out), "the last, partial frame");
        assert_eq!(out[479], 400, "half a frame of audio: sample 2399");
        assert!(out[480..].iter().all(|&s| s == 0), "then silence");
        let done = p.state();
        assert!(done.finished && !done.playing);
        assert_eq!((done.position_ms, done.duration_ms), (50, 50));
        assert!(!p.next_frame(&mut out));
        p.resume();
        assert_eq!(p.state().position_ms, 0);
        assert!(p.next_frame(&mut out));
        assert_eq!(out[0], 1);
    }

    #[test]
    fn pause_gives_silence_and_keeps_the_place() {
        let mut p = Playback::new(ramp(100));
        let mut out = vec![0i16; FRAME_SAMPLES];
        p.next_frame(&mut out);
        p.pause();
        assert!(!p.next_frame(&mut out));
        assert!(out.iter().all(|&s| s == 0));
        assert_eq!(p.state().position_ms, 20);
        assert!(!p.state().finished);
        p.resume();
        assert!(p.next_frame(&mut out));
        assert_eq!(out[0], 961, "on from sample 960");
    }

    #[test]
    fn seeking_is_clamped_and_leaves_play_or_pause_alone() {
        let mut p = Playback::new(ramp(100));
        p.seek_ms(60);
        assert_eq!(p.state().position_ms, 60);
        assert!(p.state().playing);
        p.pause();
        p.seek_ms(u64::MAX);
        let s = p.state();
        assert_eq!((s.position_ms, s.playing), (100, false));
        p.seek_ms(10);
        let mut out = vec![0i16; FRAME_SAMPLES];
        p.resume();
        assert!(p.next_frame(&mut out));
        assert_eq!(out[0], 480 + 1);
    }

    #[test]
    fn an_empty_recording_finishes_at_once() {
        let mut p = Playback::new(Vec::new());
        let mut out = vec![1i16; FRAME_SAMPLES];
        assert!(!p.next_frame(&mut out));
        assert!(p.state().finished);
        assert!(out.iter().all(|&s| s == 0));
    }

    #[test]
    fn the_player_writes_the_recording_in_real_time_and_reports_the_end() {
        let (sink, captured) = CaptureSink::new();
        let (tx, rx) = std::sync::mpsc::channel();
        let started = Instant::now();
        let player = Player::start(
            ramp(200),
            move || Ok(Box::new(sink) as Box<dyn AudioSink>),
            move |s| {
                let _ = tx.send(s);
            },
        )
        .unwrap();
        let end = loop {
            let s = rx.recv_timeout(Duration::from_secs(5)).unwrap();
            if s.finished {
                break s;
            }
        };
        assert!(
            started.elapsed() >= Duration::from_millis(180),
            "paced, not dumped"
        );
        assert_eq!(end.position_ms, 200);
        assert_eq!(captured.samples()[..9600], ramp(200)[..]);
        assert!(player.state().finished);
    }

    #[test]
    fn a_failing_device_does_not_stop_the_position() {
        let (tx, rx) = std::sync::mpsc::channel();
        let _player = Player::start(
            ramp(100),
            || Err(AudioError::DeviceNotFound("headset".into())),
            move |s| {
                let _ = tx.send(s);
            },
        )
        .unwrap();
        let end = loop {
            let s = rx.recv_timeout(Duration::from_secs(5)).unwrap();
            if s.finished {
                break s;
            }
        };
        assert_eq!(end.position_ms, 100);
    }
}
