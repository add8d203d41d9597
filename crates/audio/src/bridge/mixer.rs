//! The bridge's routing core: per-call FIFOs and one mixing step. No devices and no clock;
//! the shell in `bridge.rs` decides when a step happens and does the device I/O.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// Frames a call's FIFO holds at most (100 ms): enough to absorb scheduling jitter between
/// media threads, small enough that a stalled call adds little delay once it resumes.
pub const DEFAULT_DEPTH: usize = 5;

/// A bounded queue of frames that drops its oldest frame when full.
#[derive(Debug, Default)]
pub struct Fifo {
    frames: VecDeque<Vec<i16>>,
    dropped: u64,
}

impl Fifo {
    pub fn push(&mut self, frame: Vec<i16>, depth: usize) {
        // Keeping the newest audio keeps latency bounded when a reader falls behind.
        while self.frames.len() >= depth.max(1) {
            self.frames.pop_front();
            self.dropped += 1;
        }
        self.frames.push_back(frame);
    }

    pub fn pop(&mut self) -> Option<Vec<i16>> {
        self.frames.pop_front()
    }

    pub fn len(&self) -> usize {
        self.frames.len()
    }

    pub fn dropped(&self) -> u64 {
        self.dropped
    }
}

/// One call's place in the bridge.
#[derive(Debug, Default)]
pub struct Leg {
    /// Talking with this call now (not held, not ringing).
    pub connected: bool,
    /// Muted: the microphone is left out of what this call gets; conference partners are not.
    pub mic_muted: bool,
    /// What the call will send: microphone plus conference partners.
    pub to_call: Fifo,
    /// What the call received and the next step will play or forward.
    pub from_call: Fifo,
    /// Endpoints handed out and not yet dropped.
    pub live_endpoints: usize,
}

/// Every call's leg and the conference membership.
#[derive(Debug)]
pub struct Mixer<K> {
    pub legs: BTreeMap<K, Leg>,
    pub conference: BTreeSet<K>,
    pub depth: usize,
}

impl<K: Ord + Copy> Mixer<K> {
    pub fn new(depth: usize) -> Self {
        Mixer {
            legs: BTreeMap::new(),
            conference: BTreeSet::new(),
            depth: depth.max(1),
        }
    }

    pub fn leg(&mut self, call: K) -> &mut Leg {
        self.legs.entry(call).or_default()
    }

    /// One 20 ms step without voice processing: [`Mixer::receive`], then [`Mixer::send`].
    #[cfg(test)]
    pub fn step(&mut self, mic: &[i16], speaker: &mut [i16]) {
        let received = self.receive(speaker);
        self.send(&received, mic);
    }

    /// First half of a step: takes one received frame from every call and writes the mix of
    /// the connected calls to `speaker`.
    pub fn receive(&mut self, speaker: &mut [i16]) -> Received<K> {
        let frames: Vec<(K, Option<Vec<i16>>)> = self
            .legs
            .iter_mut()
            .map(|(call, leg)| {
                let frame = leg.from_call.pop();
                // A held call's audio is discarded, not kept for later.
                (*call, frame.filter(|_| leg.connected))
            })
            .collect();
        let mut mix = vec![0i32; speaker.len()];
        for (_, frame) in &frames {
            if let Some(frame) = frame {
                add(&mut mix, frame);
            }
        }
        for (out, sum) in speaker.iter_mut().zip(&mix) {
            *out = saturate(*sum);
        }
        Received { frames }
    }

    /// Second half: queues one outgoing frame for every call, `mic` plus conference partners
    /// for the connected ones. Held calls get silence so that every leg advances by exactly
    /// one frame per step, which is what lets any call's read drive the steps.
    pub fn send(&mut self, received: &Received<K>, mic: &[i16]) {
        let depth = self.depth;
        let conference = &self.conference;
        for (call, leg) in self.legs.iter_mut() {
            let mut sum = vec![0i32; mic.len()];
            if leg.connected {
                if !leg.mic_muted {
                    add(&mut sum, mic);
                }
                for (other, frame) in &received.frames {
                    let partners =
                        other != call && conference.contains(call) && conference.contains(other);
                    if let (true, Some(frame)) = (partners, frame) {
                        add(&mut sum, frame);
                    }
                }
            }
            leg.to_call
                .push(sum.into_iter().map(saturate).collect(), depth);
        }
    }
}

/// The frames one step took from the calls; `None` for a call that had none or is held.
pub struct Received<K> {
    frames: Vec<(K, Option<Vec<i16>>)>,
}

fn add(acc: &mut [i32], frame: &[i16]) {
    for (a, s) in acc.iter_mut().zip(frame) {
        *a += i32::from(*s);
    }
}

/// Clips instead of wrapping, so loud parties distort rather than turn into noise.
fn saturate(sum: i32) -> i16 {
    sum.clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_fifo_drops_its_oldest_frame() {
        let mut fifo = Fifo::default();
        for n in 0..8 {
            fifo.push(vec![n], 3);
        }
        assert_eq!(fifo.len(), 3);
        assert_eq!(fifo.dropped(), 5);
        assert_eq!(fifo.pop(), Some(vec![5]));
        assert_eq!(fifo.pop(), Some(vec![6]));
        assert_eq!(fifo.pop(), Some(vec![7]));
        assert_eq!(fifo.pop(), None);
    }

    #[test]
    fn mixing_saturates_instead_of_wrapping() {
        let mut mixer = Mixer::new(4);
        for call in [1u32, 2] {
            mixer.leg(call).connected = true;
            mixer.leg(call).from_call.push(vec![30_000, -30_000], 4);
        }
        let mut speaker = [0i16; 2];
        mixer.step(&[0, 0], &mut speaker);
        assert_eq!(speaker, [i16::MAX, i16::MIN]);
    }

    #[test]
    fn a_held_call_gets_silence_and_is_not_played() {
        let mut mixer = Mixer::new(4);
        mixer.leg(1u32).connected = false;
        mixer.leg(1).from_call.push(vec![1000; 4], 4);
        let mut speaker = [7i16; 4];
        mixer.step(&[500; 4], &mut speaker);
        assert_eq!(speaker, [0; 4]);
        assert_eq!(mixer.leg(1).to_call.pop(), Some(vec![0; 4]));
        assert_eq!(mixer.leg(1).from_call.len(), 0, "stale audio is discarded");
    }
}
