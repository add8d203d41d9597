use std::collections::VecDeque;
use std::sync::mpsc;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;

use cpal::traits::{DeviceTrait, StreamTrait};
use cpal::SizedSample;

use super::find_device;
use crate::hotplug::{DeviceChoice, Direction};
use crate::{AudioError, AudioSink, AudioSource, Resampler, SAMPLE_RATE};

/// Queue bound: 200 ms at the device rate. Beyond that we drop the oldest audio, since
/// stale audio in a call is worse than a glitch.
const QUEUE_MS: usize = 200;

#[derive(Default)]
struct Shared {
    queue: Mutex<VecDeque<i16>>,
    failed: Mutex<Option<String>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

struct StreamThread {
    stop: Option<mpsc::Sender<()>>,
    handle: Option<JoinHandle<()>>,
    shared: Arc<Shared>,
    rate: u32,
    name: String,
}

impl StreamThread {
    fn spawn(choice: &DeviceChoice, direction: Direction) -> Result<Self, AudioError> {
        let shared = Arc::new(Shared::default());
        let (ready_tx, ready_rx) = mpsc::channel::<Result<(u32, String), AudioError>>();
        let (stop_tx, stop_rx) = mpsc::channel::<()>();
        let sh = shared.clone();
        let choice = choice.clone();
        let handle = std::thread::Builder::new()
            .name(format!("koppla-audio-{direction:?}"))
            .spawn(move || {
                let started = start_stream(&choice, direction, sh);
                match started {
                    Ok((stream, rate, name)) => {
                        let _ = ready_tx.send(Ok((rate, name)));
                        // Keep the stream alive until the owner drops the stop sender.
                        let _ = stop_rx.recv();
                        drop(stream);
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                    }
                }
            })
            .map_err(|e| AudioError::Device(format!("cannot spawn audio thread: {e}")))?;
        let (rate, name) = ready_rx
            .recv()
            .map_err(|_| AudioError::Device("audio thread died while opening".into()))??;
        Ok(Self {
            stop: Some(stop_tx),
            handle: Some(handle),
            shared,
            rate,
            name,
        })
    }

    fn check(&self) -> Result<(), AudioError> {
        match lock(&self.shared.failed).as_ref() {
            Some(e) => Err(AudioError::StreamClosed(format!("{}: {e}", self.name))),
            None => Ok(()),
        }
    }
}

impl Drop for StreamThread {
    fn drop(&mut self) {
        self.stop.take();
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

fn start_stream(
    choice: &DeviceChoice,
    direction: Direction,
    shared: Arc<Shared>,
) -> Result<(cpal::Stream, u32, String), AudioError> {
    let dev = find_device(choice, direction)?;
    let name = dev.name().unwrap_or_else(|_| "unknown".into());
    let supported = match direction {
        Direction::Input => dev.default_input_config(),
        Direction::Output => dev.default_output_config(),
    }
    .map_err(|e| AudioError::Device(format!("{name}: {e}")))?;
    let format = supported.sample_format();
    let config: cpal::StreamConfig = supported.into();
    let rate = config.sample_rate.0;
    use cpal::SampleFormat as F;
    let stream = match (direction, format) {
        (Direction::Input, F::F32) => build_input::<f32>(&dev, &config, shared),
        (Direction::Input, F::I16) => build_input::<i16>(&dev, &config, shared),
        (Direction::Input, F::I32) => build_input::<i32>(&dev, &config, shared),
        (Direction::Input, F::U16) => build_input::<u16>(&dev, &config, shared),
        (Direction::Output, F::F32) => build_output::<f32>(&dev, &config, shared),
        (Direction::Output, F::I16) => build_output::<i16>(&dev, &config, shared),
        (Direction::Output, F::I32) => build_output::<i32>(&dev, &config, shared),
        (Direction::Output, F::U16) => build_output::<u16>(&dev, &config, shared),
        (_, other) => {
            return Err(AudioError::Device(format!(
                "{name}: unsupported sample format {other}"
            )))
        }
    }
    .map_err(|e| AudioError::Device(format!("{name}: {e}")))?;
    stream
        .play()
        .map_err(|e| AudioError::Device(format!("{name}: {e}")))?;
    Ok((stream, rate, name))
}

fn on_error(shared: Arc<Shared>) -> impl FnMut(cpal::StreamError) + Send + 'static {
    move |e| {
        tracing::warn!(error = %e, "audio stream error");
        *lock(&shared.failed) = Some(e.to_string());
    }
}

fn build_input<T>(
    dev: &cpal::Device,
    cfg: &cpal::StreamConfig,
    shared: Arc<Shared>,
) -> Result<cpal::Stream, cpal::BuildStreamError>
where
    T: SizedSample,
    i16: cpal::FromSample<T>,
{
    let ch = usize::from(cfg.channels.max(1));
    let cap = cfg.sample_rate.0 as usize * QUEUE_MS / 1000;
    let sh = shared.clone();
    dev.build_input_stream(
        cfg,
        move |data: &[T], _: &cpal::InputCallbackInfo| {
            let mut q = lock(&sh.queue);
            for frame in data.chunks(ch) {
                let sum: i32 = frame.iter().map(|s| i32::from(s.to_sample::<i16>())).sum();
                q.push_back((sum / ch as i32) as i16);
            }
            let excess = q.len().saturating_sub(cap);
            q.drain(..excess);
        },
        on_error(shared),
        None,
    )
}

fn build_output<T>(
    dev: &cpal::Device,
    cfg: &cpal::StreamConfig,
    shared: Arc<Shared>,
) -> Result<cpal::Stream, cpal::BuildStreamError>
where
    T: SizedSample + cpal::FromSample<i16>,
{
    let ch = usize::from(cfg.channels.max(1));
    let sh = shared.clone();
    dev.build_output_stream(
        cfg,
        move |data: &mut [T], _: &cpal::OutputCallbackInfo| {
            let mut q = lock(&sh.queue);
            for frame in data.chunks_mut(ch) {
                let v = T::from_sample(q.pop_front().unwrap_or(0));
                frame.fill(v);
            }
        },
        on_error(shared),
        None,
    )
}

/// Microphone as an [`AudioSource`]. `read_frame` never blocks: on underrun the frame is
/// padded with silence. A failed stream (device unplugged) returns `StreamClosed`, which
/// the caller answers by reopening (see [`crate::hotplug`]).
pub struct DeviceSource {
    thread: StreamThread,
    resampler: Resampler,
    fifo: VecDeque<i16>,
    scratch: Vec<i16>,
}

impl DeviceSource {
    pub fn open(choice: &DeviceChoice) -> Result<Self, AudioError> {
        let thread = StreamThread::spawn(choice, Direction::Input)?;
        let resampler = Resampler::new(thread.rate, SAMPLE_RATE)?;
        Ok(Self {
            thread,
            resampler,
            fifo: VecDeque::new(),
            scratch: Vec::new(),
        })
    }

    pub fn device_name(&self) -> &str {
        &self.thread.name
    }
}

impl AudioSource for DeviceSource {
    fn read_frame(&mut self, out: &mut [i16]) -> Result<bool, AudioError> {
        self.thread.check()?;
        let raw: Vec<i16> = lock(&self.thread.shared.queue).drain(..).collect();
        self.scratch.clear();
        self.resampler.process(&raw, &mut self.scratch);
        self.fifo.extend(self.scratch.iter());
        let cap = SAMPLE_RATE as usize * QUEUE_MS / 1000;
        let excess = self.fifo.len().saturating_sub(cap);
        self.fifo.drain(..excess);
        for s in out.iter_mut() {
            *s = self.fifo.pop_front().unwrap_or(0);
        }
        Ok(true)
    }
}

/// Speaker (or ringtone device) as an [`AudioSink`].
pub struct DeviceSink {
    thread: StreamThread,
    resampler: Resampler,
    scratch: Vec<i16>,
}

impl DeviceSink {
    pub fn open(choice: &DeviceChoice) -> Result<Self, AudioError> {
        let thread = StreamThread::spawn(choice, Direction::Output)?;
        let resampler = Resampler::new(SAMPLE_RATE, thread.rate)?;
        Ok(Self {
            thread,
            resampler,
            scratch: Vec::new(),
        })
    }

    pub fn device_name(&self) -> &str {
        &self.thread.name
    }
}

impl AudioSink for DeviceSink {
    fn write_frame(&mut self, frame: &[i16]) -> Result<(), AudioError> {
        self.thread.check()?;
        self.scratch.clear();
        self.resampler.process(frame, &mut self.scratch);
        let cap = self.thread.rate as usize * QUEUE_MS / 1000;
        let mut q = lock(&self.thread.shared.queue);
        q.extend(self.scratch.iter());
        let excess = q.len().saturating_sub(cap);
        q.drain(..excess);
        Ok(())
    }
}
