//! The tokio driver of the dial-in voicemail menu (decision 0509): one task per call that sends
//! the menu's audio as G.711 RTP in 20 ms frames, decodes the caller's RFC 4733 digits (and,
//! while a greeting is recorded, their G.711 audio), and carries out what the sans-IO
//! [`Menu`] asks: PIN checks, opening the mailbox, marking heard, deleting (message and WAV,
//! then fresh MWI), saving and deleting the greeting. It reports the call id on `done` when
//! the menu hangs up, like an announcement that ended.

mod dtmf;

use self::dtmf::DtmfDecoder;
use super::prompts::{self, Lang, Prompt};
use super::RtpOut;
use crate::greetings::{self, GreetingKind};
use crate::model::normalize_number;
use crate::sip::voicemail_menu::{Action, Audio, Input, Login, Mailbox, Menu};
use crate::state::AppState;
use crate::store::{PinCheck, PinPolicy, StoreError};
use koppla_media::rtp::RtpPacket;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

const FRAME: usize = 160;
const RATE: u32 = 8000;
/// Silence before the first words, so they are not lost while the phone sets up its audio.
const LEAD_IN: usize = 4000;
/// A breath between a prompt and a message, or between two messages' parts.
const GAP: usize = 2400;
/// A greeting shorter than this is a slip of the finger, not a greeting.
const MIN_GREETING_SAMPLES: usize = 4000;
/// Silence after the goodbye before the BYE: the phone's jitter buffer still holds the last
/// words when the switch has sent them, and a phone ends playout at the BYE.
const HANGUP_TAIL: Duration = Duration::from_millis(600);
/// The menu starts speaking when the caller's first RTP shows its phone is listening (the
/// switch answers before the phone has even seen the 200 OK), or after this at the latest.
const WAIT_FOR_CALLER: Duration = Duration::from_secs(3);

/// What the menu needs from the rest of the switch.
#[derive(Clone)]
pub struct MenuSettings {
    pub state: AppState,
    /// The voicemail directory (greetings live under it).
    pub dir: PathBuf,
    pub lang: Lang,
    /// Message times are said in this zone.
    pub tz: jiff::tz::TimeZone,
    pub pin: PinPolicy,
}

/// One menu call's sockets and SDP facts.
pub(super) struct Job {
    pub sock: UdpSocket,
    pub dest: Option<SocketAddr>,
    pub pt: u8,
    /// The caller's telephone-event payload type; without it no digit can arrive (the menu
    /// still speaks, times out and says goodbye).
    pub events: Option<u8>,
    pub call_id: String,
    pub login: Login,
    /// Marked for each packet from the caller (the switch hangs up when they go silent).
    pub heard: super::Heard,
}

/// The mailbox the call has opened.
struct Opened {
    user_id: i64,
    username: String,
}

/// Why a storage step failed (logged; the caller hears the menu's fallback).
#[derive(Debug, thiserror::Error)]
enum StepError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Greeting(#[from] greetings::GreetingError),
    #[error("no mailbox is open")]
    NotOpen,
    #[error("background task failed: {0}")]
    Join(#[from] tokio::task::JoinError),
}

struct Call {
    job: Job,
    settings: MenuSettings,
    menu: Menu,
    rtp: RtpOut,
    dtmf: Option<DtmfDecoder>,
    playback: VecDeque<i16>,
    playing: bool,
    first_play: bool,
    recording: Option<Vec<i16>>,
    opened: Option<Opened>,
    inputs: VecDeque<Input>,
    /// Whether the caller's RTP arrived yet, and since when the menu waits for it.
    caller_heard: bool,
    answered: Instant,
}

pub(super) async fn run(job: Job, settings: MenuSettings, done: mpsc::UnboundedSender<String>) {
    let menu = Menu::new(job.login.clone(), settings.lang, settings.tz.clone());
    let mut call = Call {
        rtp: RtpOut::new(job.pt),
        dtmf: job.events.map(DtmfDecoder::new),
        job,
        settings,
        menu,
        playback: VecDeque::new(),
        playing: false,
        first_play: true,
        recording: None,
        opened: None,
        inputs: VecDeque::new(),
        caller_heard: false,
        answered: Instant::now(),
    };
    // Missed ticks (a busy machine, a slow storage step) are caught up in a burst: the phone's
    // jitter buffer takes a burst, whereas skipped frames would stretch what it plays.
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    let mut buf = [0u8; 2048];
    let mut hang_up_at: Option<tokio::time::Instant> = None;
    loop {
        if hang_up_at.is_none() && call.step().await {
            hang_up_at = Some(tokio::time::Instant::now() + HANGUP_TAIL);
        }
        if hang_up_at.is_some_and(|at| tokio::time::Instant::now() >= at) {
            let _ = done.send(call.job.call_id.clone());
            return;
        }
        let timer = call.menu.poll_timeout().map(tokio::time::Instant::from_std);
        tokio::select! {
            _ = tick.tick() => call.send_frame().await,
            r = call.job.sock.recv_from(&mut buf) => {
                if let Ok((n, src)) = r {
                    // Symmetric RTP: answer where the caller really sends from (NAT).
                    call.job.dest = Some(src);
                    call.caller_heard = true;
                    call.job.heard.datagram(buf.get(..n).unwrap_or_default());
                    call.received(buf.get(..n).unwrap_or_default());
                }
            }
            _ = sleep_until(timer) => call.menu.handle_timeout(Instant::now()),
        }
    }
}

async fn sleep_until(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

impl Call {
    /// Feeds pending inputs and carries out the menu's actions until both run dry. True when
    /// the menu hung up.
    async fn step(&mut self) -> bool {
        loop {
            while let Some(input) = self.inputs.pop_front() {
                self.menu.handle(input, Instant::now());
            }
            let Some(action) = self.menu.poll_action() else {
                return false;
            };
            // Keys are not logged, nor the PIN they spell.
            match &action {
                Action::CheckPin { mailbox, .. } => {
                    tracing::debug!(call_id = %self.job.call_id, %mailbox, "voicemail menu PIN check")
                }
                a => tracing::debug!(call_id = %self.job.call_id, action = ?a, "voicemail menu"),
            }
            if action == Action::Hangup {
                return true;
            }
            self.act(action).await;
        }
    }

    async fn act(&mut self, action: Action) {
        match action {
            Action::Play(audio) => {
                let pcm = self.render(&audio).await;
                self.playback = pcm.into();
                self.playing = true;
            }
            Action::Stop => {
                self.playback.clear();
                self.playing = false;
            }
            Action::CheckPin { mailbox, pin } => {
                let check = self.check_pin(&mailbox, &pin).await.unwrap_or_else(|e| {
                    // Never open on an error.
                    tracing::warn!(error = %e, "voicemail PIN check failed");
                    PinCheck::Wrong
                });
                self.inputs.push_back(Input::Pin(check));
            }
            Action::Open(mailbox) => {
                let opened = match self.open(&mailbox).await {
                    Ok(m) => m,
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot open mailbox");
                        None
                    }
                };
                self.inputs.push_back(Input::Opened(opened));
            }
            Action::Record => self.recording = Some(Vec::new()),
            Action::SaveGreeting => {
                let pcm = self.recording.take().unwrap_or_default();
                let saved = match self.save_greeting(pcm).await {
                    Ok(saved) => saved,
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot save greeting");
                        false
                    }
                };
                self.inputs.push_back(Input::RecordingDone { saved });
            }
            Action::MarkHeard(id) => {
                if let Err(e) = self.mark_heard(id).await {
                    tracing::warn!(error = %e, id, "cannot mark voicemail heard");
                }
            }
            Action::Delete(id) => {
                if let Err(e) = self.delete(id).await {
                    tracing::warn!(error = %e, id, "cannot delete voicemail");
                }
            }
            Action::DeleteGreeting => {
                if let Err(e) = self.delete_greeting().await {
                    tracing::warn!(error = %e, "cannot delete greeting");
                }
            }
            Action::Hangup => {}
        }
    }

    /// Sends the next 20 ms: playback, or silence so the stream (and NAT bindings) stay alive.
    async fn send_frame(&mut self) {
        let mut frame = [0i16; FRAME];
        let listening = self.caller_heard || self.answered.elapsed() >= WAIT_FOR_CALLER;
        if listening {
            for s in frame.iter_mut() {
                match self.playback.pop_front() {
                    Some(v) => *s = v,
                    None => break,
                }
            }
        }
        if let Some(to) = self.job.dest {
            let _ = self.job.sock.send_to(&self.rtp.packet(&frame), to).await;
        }
        if self.playing && self.playback.is_empty() {
            self.playing = false;
            self.inputs.push_back(Input::PromptDone);
        }
    }

    fn received(&mut self, data: &[u8]) {
        let Ok(pkt) = RtpPacket::parse(data) else {
            return;
        };
        if let Some(dtmf) = self.dtmf.as_mut() {
            if dtmf.is_event(&pkt) {
                if let Some(d) = dtmf.packet(&pkt) {
                    self.inputs.push_back(Input::Digit(d));
                }
                return;
            }
        }
        if let Some(rec) = self.recording.as_mut() {
            if let Some(pcm) = super::voicemail::rtp_pcm(data) {
                rec.extend_from_slice(&pcm);
            }
        }
    }

    /// The PCM of what the menu wants played: runs of prompts as one spoken sequence, messages
    /// and the greeting from their files (a missing or unreadable one is skipped, logged).
    async fn render(&mut self, audio: &[Audio]) -> Vec<i16> {
        let lang = self.settings.lang;
        let mut out = vec![0i16; if self.first_play { LEAD_IN } else { GAP / 2 }];
        self.first_play = false;
        let mut run: Vec<Prompt> = Vec::new();
        for a in audio {
            if let Audio::Prompt(p) = a {
                run.push(*p);
                continue;
            }
            if !run.is_empty() {
                out.extend(prompts::sequence(lang, &run));
                out.extend(std::iter::repeat_n(0i16, GAP));
                run.clear();
            }
            let pcm = match a {
                Audio::Message(id) => self.message_pcm(*id).await,
                Audio::Greeting => self.greeting_pcm().await,
                Audio::Pause(d) => {
                    let n = d.as_millis() * u128::from(RATE) / 1000;
                    out.extend(std::iter::repeat_n(0i16, usize::try_from(n).unwrap_or(0)));
                    continue;
                }
                Audio::Prompt(_) => None,
            };
            if let Some(pcm) = pcm {
                out.extend(pcm);
                out.extend(std::iter::repeat_n(0i16, GAP));
            }
        }
        out.extend(prompts::sequence(lang, &run));
        out
    }

    async fn message_pcm(&self, id: i64) -> Option<Vec<i16>> {
        let o = self.opened.as_ref()?;
        let file = match self
            .settings
            .state
            .store
            .voicemail_file(o.user_id, id)
            .await
        {
            Ok(f) => f?,
            Err(e) => {
                tracing::warn!(error = %e, id, "cannot find voicemail");
                return None;
            }
        };
        let path = PathBuf::from(&file);
        match tokio::task::spawn_blocking(move || super::voicemail::load_greeting(&path)).await {
            Ok(Ok(pcm)) => Some(pcm),
            Ok(Err(e)) => {
                tracing::warn!(%file, error = %e, "unreadable voicemail file");
                None
            }
            Err(e) => {
                tracing::warn!(error = %e, "voicemail reader failed");
                None
            }
        }
    }

    async fn greeting_pcm(&self) -> Option<Vec<i16>> {
        let o = self.opened.as_ref()?;
        let (dir, name) = (self.settings.dir.clone(), o.username.clone());
        let loaded = tokio::task::spawn_blocking(move || {
            greetings::load(&dir, &name, GreetingKind::Default)
        })
        .await;
        match loaded {
            Ok(Ok(pcm)) => pcm,
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "unreadable greeting");
                None
            }
            Err(e) => {
                tracing::warn!(error = %e, "greeting reader failed");
                None
            }
        }
    }

    /// The user a typed mailbox (or an owner's user name) means: user name, short number or
    /// direct number.
    async fn find_user(&self, mailbox: &str) -> Result<Option<(i64, String)>, StoreError> {
        let store = &self.settings.state.store;
        if let Some((u, _, _)) = store.user_by_username(mailbox).await? {
            return Ok(Some((u.id, u.username)));
        }
        let wanted = normalize_number(mailbox);
        if wanted.is_empty() {
            return Ok(None);
        }
        Ok(store.users().await?.into_iter().find_map(|(u, _, _)| {
            let ours = [&u.short_number, &u.direct]
                .into_iter()
                .flatten()
                .any(|n| normalize_number(n) == wanted);
            ours.then_some((u.id, u.username))
        }))
    }

    async fn check_pin(&self, mailbox: &str, pin: &str) -> Result<PinCheck, StoreError> {
        // An unknown mailbox is as wrong as a wrong PIN: the caller learns nothing about which
        // mailboxes exist.
        let Some((id, _)) = self.find_user(mailbox).await? else {
            return Ok(PinCheck::Wrong);
        };
        let now = self.settings.state.clock.now();
        self.settings
            .state
            .store
            .check_voicemail_pin(id, pin, now, self.settings.pin)
            .await
    }

    async fn open(&mut self, mailbox: &str) -> Result<Option<Mailbox>, StepError> {
        let Some((user_id, username)) = self.find_user(mailbox).await? else {
            return Ok(None);
        };
        let messages = self.settings.state.store.mailbox_messages(user_id).await?;
        let (dir, name) = (self.settings.dir.clone(), username.clone());
        let greeting_file = greetings::path(&dir, &name, GreetingKind::Default)?;
        let has_greeting = tokio::fs::try_exists(&greeting_file).await.unwrap_or(false);
        tracing::info!(mailbox = %username, messages = messages.len(), "voicemail dial-in opened");
        self.opened = Some(Opened { user_id, username });
        Ok(Some(Mailbox {
            messages,
            has_greeting,
        }))
    }

    fn opened(&self) -> Result<&Opened, StepError> {
        self.opened.as_ref().ok_or(StepError::NotOpen)
    }

    async fn mark_heard(&self, id: i64) -> Result<(), StepError> {
        let o = self.opened()?;
        let state = &self.settings.state;
        if state.store.mark_voicemail_heard(o.user_id, id).await? {
            state.publish_mwi(o.user_id, &o.username).await?;
        }
        Ok(())
    }

    /// Deletes the row, then its WAV (as the API's delete does), then says the new counts.
    async fn delete(&self, id: i64) -> Result<(), StepError> {
        let o = self.opened()?;
        let state = &self.settings.state;
        if let Some(file) = state.store.delete_voicemail(o.user_id, id).await? {
            if let Err(e) = tokio::fs::remove_file(&file).await {
                if e.kind() != std::io::ErrorKind::NotFound {
                    tracing::warn!(%file, error = %e, "cannot remove voicemail file");
                }
            }
            state.publish_mwi(o.user_id, &o.username).await?;
        }
        Ok(())
    }

    async fn save_greeting(&self, pcm: Vec<i16>) -> Result<bool, StepError> {
        let o = self.opened()?;
        if pcm.len() < MIN_GREETING_SAMPLES {
            return Ok(false);
        }
        let (dir, name) = (self.settings.dir.clone(), o.username.clone());
        tokio::task::spawn_blocking(move || {
            greetings::save_pcm(&dir, &name, GreetingKind::Default, &pcm)
        })
        .await??;
        tracing::info!(mailbox = %o.username, "greeting recorded by phone");
        Ok(true)
    }

    async fn delete_greeting(&self) -> Result<(), StepError> {
        let o = self.opened()?;
        let (dir, name) = (self.settings.dir.clone(), o.username.clone());
        tokio::task::spawn_blocking(move || greetings::delete(&dir, &name, GreetingKind::Default))
            .await??;
        Ok(())
    }
}
