//! One microphone and one speaker shared by every call.
//!
//! Each call gets an endpoint pair: a [`BridgeSource`] its media session reads what to send
//! from, and a [`BridgeSink`] it writes what it received to. The microphone goes to every
//! connected (not held) call, the speaker plays the mix of the connected calls, and calls in
//! the conference also hear each other, never themselves.
//!
//! Media sessions run on their own 20 ms timers, so nothing here has a clock: a mixing step
//! runs when a call reads and its queue is empty. Every step gives every call one frame, so
//! the steps follow the fastest reader and the others find their frame already queued.
//! The devices are opened on the first step and closed when no endpoint is left.

mod mixer;
#[cfg(test)]
mod tests;

use std::sync::{Arc, Mutex, MutexGuard};

use crate::{AudioError, AudioSink, AudioSource, FRAME_SAMPLES};
use mixer::Mixer;
pub use mixer::DEFAULT_DEPTH;

/// Opens the shared microphone; called when the first call needs it.
pub type OpenInput = Box<dyn FnMut() -> Result<Box<dyn AudioSource>, AudioError> + Send>;
/// Opens the shared speaker; called when the first call needs it.
pub type OpenOutput = Box<dyn FnMut() -> Result<Box<dyn AudioSink>, AudioError> + Send>;

/// Voice processing on the shared devices. One stage for all calls, because the speaker mix
/// of every call is what echoes back into the one microphone.
pub trait DeviceProcessing: Send {
    /// What the speaker is about to play: the echo reference.
    fn render(&mut self, speaker: &[i16]);
    /// The microphone frame, processed in place before it goes to any call.
    fn capture(&mut self, mic: &mut [i16]);
}

/// Steps to wait (one second) before opening a device again after it failed, so a missing
/// device is not probed fifty times a second.
const REOPEN_AFTER_STEPS: u32 = 50;

struct Device<T: ?Sized> {
    open: Box<dyn FnMut() -> Result<Box<T>, AudioError> + Send>,
    opened: Option<Box<T>>,
    wait: u32,
}

impl<T: ?Sized> Device<T> {
    fn new(open: Box<dyn FnMut() -> Result<Box<T>, AudioError> + Send>) -> Self {
        Device {
            open,
            opened: None,
            wait: 0,
        }
    }

    /// The open device, opening it if it is time to try.
    fn get(&mut self, what: &'static str) -> Option<&mut Box<T>> {
        if self.opened.is_none() {
            if self.wait > 0 {
                self.wait -= 1;
                return None;
            }
            match (self.open)() {
                Ok(device) => self.opened = Some(device),
                Err(err) => {
                    tracing::warn!(%err, device = what, "call audio device unavailable");
                    self.wait = REOPEN_AFTER_STEPS;
                }
            }
        }
        self.opened.as_mut()
    }

    fn failed(&mut self, err: &AudioError, what: &'static str) {
        tracing::warn!(%err, device = what, "call audio device failed; reopening later");
        self.opened = None;
        self.wait = REOPEN_AFTER_STEPS;
    }

    fn close(&mut self) {
        self.opened = None;
        self.wait = 0;
    }
}

struct Shared<K> {
    mixer: Mixer<K>,
    input: Device<dyn AudioSource>,
    output: Device<dyn AudioSink>,
    processing: Option<Box<dyn DeviceProcessing>>,
}

impl<K: Ord + Copy> Shared<K> {
    fn step(&mut self) {
        let mut speaker = vec![0i16; FRAME_SAMPLES];
        let received = self.mixer.receive(&mut speaker);
        let mut mic = vec![0i16; FRAME_SAMPLES];
        if let Some(source) = self.input.get("microphone") {
            if let Err(err) = source.read_frame(&mut mic) {
                mic.fill(0);
                self.input.failed(&err, "microphone");
            }
        }
        if let Some(processing) = self.processing.as_mut() {
            processing.render(&speaker);
            processing.capture(&mut mic);
        }
        self.mixer.send(&received, &mic);
        if let Some(sink) = self.output.get("speaker") {
            if let Err(err) = sink.write_frame(&speaker) {
                self.output.failed(&err, "speaker");
            }
        }
    }

    fn endpoint_dropped(&mut self, call: K) {
        if let Some(leg) = self.mixer.legs.get_mut(&call) {
            leg.live_endpoints = leg.live_endpoints.saturating_sub(1);
        }
        if self.mixer.legs.values().all(|leg| leg.live_endpoints == 0) {
            self.input.close();
            self.output.close();
        }
    }
}

/// Shares one microphone and one speaker between calls. Cloning gives another handle to
/// the same bridge.
pub struct CallBridge<K> {
    shared: Arc<Mutex<Shared<K>>>,
}

impl<K> Clone for CallBridge<K> {
    fn clone(&self) -> Self {
        CallBridge {
            shared: Arc::clone(&self.shared),
        }
    }
}

fn lock<K>(shared: &Mutex<Shared<K>>) -> MutexGuard<'_, Shared<K>> {
    // A panic elsewhere must not silence every later call.
    shared
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl<K: Ord + Copy + Send + 'static> CallBridge<K> {
    /// A bridge whose call queues hold [`DEFAULT_DEPTH`] frames.
    pub fn new(open_input: OpenInput, open_output: OpenOutput) -> Self {
        Self::with_depth(open_input, open_output, DEFAULT_DEPTH)
    }

    pub fn with_depth(open_input: OpenInput, open_output: OpenOutput, depth: usize) -> Self {
        CallBridge {
            shared: Arc::new(Mutex::new(Shared {
                mixer: Mixer::new(depth),
                input: Device::new(open_input),
                output: Device::new(open_output),
                processing: None,
            })),
        }
    }

    /// Changes the devices; calls in progress move to them on their next frame.
    pub fn set_devices(&self, open_input: OpenInput, open_output: OpenOutput) {
        let mut shared = lock(&self.shared);
        shared.input.open = open_input;
        shared.output.open = open_output;
        shared.input.close();
        shared.output.close();
    }

    /// Opens the devices again on the next frame (with the same choice), for when the system
    /// default changed or a chosen headset was plugged in or out during a call. Without
    /// calls the devices are closed and nothing happens.
    pub fn reopen(&self) {
        let mut shared = lock(&self.shared);
        shared.input.close();
        shared.output.close();
    }

    /// Echo cancellation and the like for the shared microphone; `None` passes audio through.
    pub fn set_processing(&self, processing: Option<Box<dyn DeviceProcessing>>) {
        lock(&self.shared).processing = processing;
    }

    /// The pair a call's media session uses.
    pub fn endpoints(&self, call: K) -> (BridgeSource<K>, BridgeSink<K>) {
        (self.source(call), self.sink(call))
    }

    /// What `call` sends: the microphone when connected, plus its conference partners.
    pub fn source(&self, call: K) -> BridgeSource<K> {
        lock(&self.shared).mixer.leg(call).live_endpoints += 1;
        BridgeSource {
            call,
            shared: Arc::clone(&self.shared),
        }
    }

    /// Where `call` delivers what it received.
    pub fn sink(&self, call: K) -> BridgeSink<K> {
        lock(&self.shared).mixer.leg(call).live_endpoints += 1;
        BridgeSink {
            call,
            shared: Arc::clone(&self.shared),
        }
    }

    /// Connected calls send the microphone and are heard; others (held, ringing) are not.
    /// May come before the call's endpoints exist.
    pub fn set_connected(&self, call: K, connected: bool) {
        lock(&self.shared).mixer.leg(call).connected = connected;
    }

    /// Mutes the microphone toward `call` only: conference partners still hear each other
    /// through it, which muting the call's media session would silence too.
    pub fn set_mic_muted(&self, call: K, muted: bool) {
        lock(&self.shared).mixer.leg(call).mic_muted = muted;
    }

    /// Whether `call` is connected now.
    pub fn is_connected(&self, call: K) -> bool {
        lock(&self.shared)
            .mixer
            .legs
            .get(&call)
            .is_some_and(|leg| leg.connected)
    }

    /// Forgets every call and the conference, as when the call engine stops.
    pub fn clear(&self) {
        let mut shared = lock(&self.shared);
        shared.mixer.legs.clear();
        shared.mixer.conference.clear();
    }

    /// Makes `calls` the conference (they hear each other); an empty list ends it.
    pub fn set_conference(&self, calls: &[K]) {
        let mut shared = lock(&self.shared);
        shared.mixer.conference = calls.iter().copied().collect();
    }

    /// Takes `call` out of the conference; a conference of one is no conference.
    pub fn leave_conference(&self, call: K) {
        let mut shared = lock(&self.shared);
        shared.mixer.conference.remove(&call);
        if shared.mixer.conference.len() < 2 {
            shared.mixer.conference.clear();
        }
    }

    /// The calls in the conference.
    pub fn conference(&self) -> Vec<K> {
        lock(&self.shared)
            .mixer
            .conference
            .iter()
            .copied()
            .collect()
    }

    /// Forgets an ended call; its endpoints then send silence and drop what they get.
    pub fn remove(&self, call: K) {
        let mut shared = lock(&self.shared);
        shared.mixer.legs.remove(&call);
        shared.mixer.conference.remove(&call);
        if shared.mixer.conference.len() < 2 {
            shared.mixer.conference.clear();
        }
    }

    /// Frames waiting to be sent by `call`.
    pub fn queued(&self, call: K) -> usize {
        lock(&self.shared)
            .mixer
            .legs
            .get(&call)
            .map_or(0, |leg| leg.to_call.len())
    }

    /// Frames dropped because `call`'s queues overflowed (outgoing plus received).
    pub fn dropped(&self, call: K) -> u64 {
        lock(&self.shared)
            .mixer
            .legs
            .get(&call)
            .map_or(0, |leg| leg.to_call.dropped() + leg.from_call.dropped())
    }

    /// Whether the shared devices are open now.
    pub fn devices_open(&self) -> (bool, bool) {
        let shared = lock(&self.shared);
        (
            shared.input.opened.is_some(),
            shared.output.opened.is_some(),
        )
    }
}

/// What one call sends.
pub struct BridgeSource<K: Ord + Copy> {
    call: K,
    shared: Arc<Mutex<Shared<K>>>,
}

impl<K: Ord + Copy + Send> AudioSource for BridgeSource<K> {
    fn read_frame(&mut self, out: &mut [i16]) -> Result<bool, AudioError> {
        let mut shared = lock(&self.shared);
        let waiting = shared
            .mixer
            .legs
            .get(&self.call)
            .map(|leg| leg.to_call.len());
        if waiting == Some(0) {
            shared.step();
        }
        let frame = shared
            .mixer
            .legs
            .get_mut(&self.call)
            .and_then(|leg| leg.to_call.pop());
        out.fill(0);
        if let Some(frame) = frame {
            let n = frame.len().min(out.len());
            out[..n].copy_from_slice(&frame[..n]);
        }
        // A removed call keeps getting silence: ending its media is the call engine's job.
        Ok(true)
    }
}

impl<K: Ord + Copy> Drop for BridgeSource<K> {
    fn drop(&mut self) {
        lock(&self.shared).endpoint_dropped(self.call);
    }
}

/// What one call received.
pub struct BridgeSink<K: Ord + Copy> {
    call: K,
    shared: Arc<Mutex<Shared<K>>>,
}

impl<K: Ord + Copy + Send> AudioSink for BridgeSink<K> {
    fn write_frame(&mut self, frame: &[i16]) -> Result<(), AudioError> {
        let mut shared = lock(&self.shared);
        let depth = shared.mixer.depth;
        if let Some(leg) = shared.mixer.legs.get_mut(&self.call) {
            leg.from_call.push(frame.to_vec(), depth);
        }
        Ok(())
    }
}

impl<K: Ord + Copy> Drop for BridgeSink<K> {
    fn drop(&mut self) {
        lock(&self.shared).endpoint_dropped(self.call);
    }
}
