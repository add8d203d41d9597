//! `MediaSession`: the tokio driver around [`engine::MediaEngine`]. It owns the UDP
//! socket (RTP and RTCP multiplexed on it), a 20 ms ticker, the audio source/sink and an
//! optional recorder.

pub mod engine;
mod recorder;
mod types;

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use koppla_audio::{AudioSink, AudioSource, FRAME_SAMPLES};
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

pub use engine::{MediaEngine, Outgoing};
pub use recorder::Recorder;
pub use types::{MediaEvent, MediaStats};

use crate::codec::CodecError;
use crate::processing::{PassThrough, VoiceProcessor};
use crate::rtp::RtpError;
use crate::sdp::Negotiated;

#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    #[error("codec: {0}")]
    Codec(#[from] CodecError),
    #[error("RTP: {0}")]
    Rtp(#[from] RtpError),
    #[error("socket: {0}")]
    Io(#[from] std::io::Error),
    #[error("the peer did not negotiate telephone-event, cannot send DTMF")]
    NoTelephoneEvent,
    #[error("{0:?} is not a DTMF digit (0-9 * # A-D)")]
    BadDigit(char),
    #[error("recorder: {0}")]
    Recorder(#[from] hound::Error),
    #[error("media session has stopped")]
    Closed,
}

enum Command {
    Update(Box<Negotiated>, oneshot::Sender<Result<(), MediaError>>),
    Dtmf(char, oneshot::Sender<Result<(), MediaError>>),
    Mute(bool),
    Record(Recorder),
    StopRecording(oneshot::Sender<Result<(), MediaError>>),
    Source(Box<dyn AudioSource>),
    Sink(Box<dyn AudioSink>),
    Stop,
}

pub struct MediaSession {
    cmd: mpsc::UnboundedSender<Command>,
    events: Option<mpsc::UnboundedReceiver<MediaEvent>>,
    task: Option<JoinHandle<()>>,
    local_addr: SocketAddr,
}

impl MediaSession {
    /// Starts sending and receiving. Must be called inside a tokio runtime.
    pub fn start(
        socket: UdpSocket,
        negotiated: Negotiated,
        source: Box<dyn AudioSource>,
        sink: Box<dyn AudioSink>,
    ) -> Result<Self, MediaError> {
        Self::start_with_processor(socket, negotiated, source, sink, Box::new(PassThrough))
    }

    pub fn start_with_processor(
        socket: UdpSocket,
        negotiated: Negotiated,
        source: Box<dyn AudioSource>,
        sink: Box<dyn AudioSink>,
        processor: Box<dyn VoiceProcessor>,
    ) -> Result<Self, MediaError> {
        let local_addr = socket.local_addr()?;
        let engine = MediaEngine::new(negotiated, std::time::Instant::now())?;
        let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
        let (ev_tx, ev_rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(run(
            Driver {
                socket,
                engine,
                source,
                sink,
                processor,
                recorder: None,
                events: ev_tx,
            },
            cmd_rx,
        ));
        Ok(Self {
            cmd: cmd_tx,
            events: Some(ev_rx),
            task: Some(task),
            local_addr,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The event stream; `Some` on the first call only.
    pub fn events(&mut self) -> Option<mpsc::UnboundedReceiver<MediaEvent>> {
        self.events.take()
    }

    async fn request(
        &self,
        make: impl FnOnce(oneshot::Sender<Result<(), MediaError>>) -> Command,
    ) -> Result<(), MediaError> {
        let (tx, rx) = oneshot::channel();
        self.cmd.send(make(tx)).map_err(|_| MediaError::Closed)?;
        rx.await.map_err(|_| MediaError::Closed)?
    }

    /// New negotiation after a re-INVITE (hold/resume, codec or key change).
    pub async fn update(&self, negotiated: Negotiated) -> Result<(), MediaError> {
        self.request(|tx| Command::Update(Box::new(negotiated), tx))
            .await
    }

    /// Queues one DTMF digit (sent as RFC 4733 events, 100 ms each).
    pub async fn send_dtmf(&self, digit: char) -> Result<(), MediaError> {
        self.request(|tx| Command::Dtmf(digit, tx)).await
    }

    /// Muted sessions keep sending RTP, with silence.
    pub fn set_mute(&self, muted: bool) -> Result<(), MediaError> {
        self.cmd
            .send(Command::Mute(muted))
            .map_err(|_| MediaError::Closed)
    }

    /// Starts recording to a stereo WAV (left = local, right = remote), replacing any
    /// running recording.
    pub fn start_recording(&self, path: &Path) -> Result<(), MediaError> {
        let r = Recorder::create(path)?;
        self.cmd
            .send(Command::Record(r))
            .map_err(|_| MediaError::Closed)
    }

    /// Stops recording; returns once the WAV file is finalised (so it can be read at once).
    pub async fn stop_recording(&self) -> Result<(), MediaError> {
        self.request(Command::StopRecording).await
    }

    /// Swaps the microphone mid-call (device hot-plug, user picked another device).
    pub fn set_source(&self, source: Box<dyn AudioSource>) -> Result<(), MediaError> {
        self.cmd
            .send(Command::Source(source))
            .map_err(|_| MediaError::Closed)
    }

    /// Swaps the speaker mid-call.
    pub fn set_sink(&self, sink: Box<dyn AudioSink>) -> Result<(), MediaError> {
        self.cmd
            .send(Command::Sink(sink))
            .map_err(|_| MediaError::Closed)
    }

    /// Sends RTCP BYE, finalises the recording and ends the task.
    pub async fn stop(mut self) {
        let _ = self.cmd.send(Command::Stop);
        if let Some(t) = self.task.take() {
            if tokio::time::timeout(Duration::from_secs(2), t)
                .await
                .is_err()
            {
                tracing::warn!("media task did not stop in time");
            }
        }
    }
}

impl Drop for MediaSession {
    fn drop(&mut self) {
        // The task ends on its own once the command channel closes.
        let _ = self.cmd.send(Command::Stop);
    }
}

struct Driver {
    socket: UdpSocket,
    engine: MediaEngine,
    source: Box<dyn AudioSource>,
    sink: Box<dyn AudioSink>,
    processor: Box<dyn VoiceProcessor>,
    recorder: Option<Recorder>,
    events: mpsc::UnboundedSender<MediaEvent>,
}

impl Driver {
    fn finish_recording(&mut self) {
        if let Some(r) = self.recorder.take() {
            if let Err(e) = r.finish() {
                let _ = self.events.send(MediaEvent::RecordingFailed(e.to_string()));
            }
        }
    }
}

async fn run(mut d: Driver, mut cmds: mpsc::UnboundedReceiver<Command>) {
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut buf = vec![0u8; 2048];
    let mut capture = vec![0i16; FRAME_SAMPLES];
    let mut play = vec![0i16; FRAME_SAMPLES];
    let mut out = Vec::new();
    let mut events = Vec::new();
    let (mut source_ended, mut source_failed, mut sink_failed, mut send_failed) =
        (false, false, false, false);
    loop {
        tokio::select! {
            _ = tick.tick() => {
                let now = std::time::Instant::now();
                match d.source.read_frame(&mut capture) {
                    Ok(true) => {}
                    Ok(false) => {
                        capture.fill(0);
                        if !source_ended {
                            source_ended = true;
                            events.push(MediaEvent::SourceEnded);
                        }
                    }
                    Err(e) => {
                        capture.fill(0);
                        if !source_failed {
                            source_failed = true;
                            events.push(MediaEvent::Warning(format!("audio source: {e}")));
                        }
                    }
                }
                d.processor.process_capture(&mut capture);
                if d.engine.is_muted() {
                    capture.fill(0);
                }
                if let Err(e) = d.engine.on_tick(&capture, now, &mut out, &mut events) {
                    events.push(MediaEvent::Warning(format!("send: {e}")));
                }
                for o in out.drain(..) {
                    if let Err(e) = d.socket.send_to(&o.data, o.to).await {
                        if !send_failed {
                            send_failed = true;
                            tracing::warn!(error = %e, to = %o.to, "RTP send failed");
                        }
                    }
                }
                d.engine.playout(now, &mut play);
                d.processor.process_render(&play);
                if let Err(e) = d.sink.write_frame(&play) {
                    if !sink_failed {
                        sink_failed = true;
                        events.push(MediaEvent::Warning(format!("audio sink: {e}")));
                    }
                }
                if let Some(r) = d.recorder.as_mut() {
                    if let Err(e) = r.write(&capture, &play) {
                        events.push(MediaEvent::RecordingFailed(e.to_string()));
                        d.recorder = None;
                    }
                }
            }
            r = d.socket.recv_from(&mut buf) => {
                match r {
                    Ok((n, from)) => d.engine.on_datagram(&buf[..n], from, std::time::Instant::now(), &mut events),
                    // ICMP errors from earlier sends surface here on Linux; they are not fatal.
                    Err(e) => tracing::trace!(error = %e, "recv error"),
                }
            }
            cmd = cmds.recv() => {
                match cmd {
                    Some(Command::Update(neg, reply)) => {
                        let _ = reply.send(d.engine.update(*neg, std::time::Instant::now()));
                    }
                    Some(Command::Dtmf(c, reply)) => {
                        let _ = reply.send(d.engine.queue_dtmf(c));
                    }
                    Some(Command::Mute(m)) => d.engine.set_muted(m),
                    Some(Command::Record(r)) => {
                        d.finish_recording();
                        d.recorder = Some(r);
                    }
                    Some(Command::StopRecording(reply)) => {
                        let done = match d.recorder.take() {
                            Some(r) => r.finish().map_err(MediaError::from),
                            None => Ok(()),
                        };
                        let _ = reply.send(done);
                    }
                    Some(Command::Source(src)) => {
                        d.source = src;
                        (source_ended, source_failed) = (false, false);
                    }
                    Some(Command::Sink(sink)) => {
                        d.sink = sink;
                        sink_failed = false;
                    }
                    Some(Command::Stop) | None => {
                        if let Some(o) = d.engine.bye(std::time::Instant::now()) {
                            let _ = d.socket.send_to(&o.data, o.to).await;
                        }
                        d.finish_recording();
                        break;
                    }
                }
            }
        }
        for e in events.drain(..) {
            let _ = d.events.send(e);
        }
    }
}
