//! Voicemail media: check that the mailbox can take a message, play the greeting for why the
//! call came here (busy or no answer) and a tone, then record the caller's G.711 RTP into a WAV
//! file (8 kHz mono) until the call ends or the message reaches its maximum length.
//!
//! Everything that can go wrong on disk is checked when the call is answered, before the caller
//! says a word: a full mailbox hears `MailboxFull`, an unwritable or full disk `CannotRecord`,
//! and the switch hangs up. The message is kept in memory while recorded (two minutes is
//! 1.9 MB) and written at the end through a temporary file and a rename, so a half-written file
//! never shows up as a message; a write that still fails is logged and retried, and as a last
//! resort the audio is saved to the system's temp directory and its path logged.

use super::prompts::{self, Lang, Prompt};
use crate::greetings;
use crate::sip::VoicemailReason;
use koppla_media::codec::g711::{alaw_decode, ulaw_decode};
use koppla_media::rtp::RtpPacket;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};

const RATE: u32 = 8000;
const FRAME: usize = 160;
/// Bytes one second of message takes on disk (16-bit at 8 kHz).
const BYTES_PER_SEC: u64 = 2 * RATE as u64;
/// A mailbox with less room left than this is full: a message of a few seconds is useless.
const MIN_MESSAGE: Duration = Duration::from_secs(5);
/// Failed writes of a finished message are retried this often (the disk may get room).
const WRITE_RETRIES: u32 = 5;
const RETRY_PAUSE: Duration = Duration::from_secs(30);

/// A finished message, for the driver to store.
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded {
    pub mailbox: String,
    pub caller: String,
    pub path: PathBuf,
    pub duration_ms: u64,
}

/// How much one mailbox may hold (`[voicemail] max_messages` / `max_total_secs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    pub max_messages: u32,
    pub max_total: Duration,
}

impl Default for Quota {
    fn default() -> Self {
        Quota {
            max_messages: 100,
            max_total: Duration::from_secs(3600),
        }
    }
}

/// Where messages go and how they are taken.
#[derive(Debug, Clone)]
pub struct VoicemailSettings {
    pub dir: PathBuf,
    /// Longest message.
    pub max: Duration,
    /// The company-wide greeting (`[server] voicemail_greeting`) as 8 kHz PCM, empty when
    /// none: heard when a mailbox has no greeting of its own.
    pub greeting: Vec<i16>,
    pub recorded: mpsc::UnboundedSender<Recorded>,
    pub quota: Quota,
    /// Language of the spoken defaults (`[voicemail] language`) ...
    pub language: Lang,
    /// ... unless the mailbox's user has one of their own.
    pub languages: HashMap<String, Lang>,
}

impl VoicemailSettings {
    fn lang(&self, mailbox: &str) -> Lang {
        self.languages
            .get(mailbox)
            .copied()
            .unwrap_or(self.language)
    }
}

/// Reads a greeting WAV (any common format) into 8 kHz mono PCM.
pub fn load_greeting(path: &Path) -> Result<Vec<i16>, greetings::GreetingError> {
    let r = hound::WavReader::open(path)?;
    greetings::decode(r)
}

/// What the mailbox holds now: its message files and their total length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Usage {
    pub messages: u32,
    pub total: Duration,
}

/// A message file (greetings and temporary files live beside them).
fn is_message(name: &str) -> bool {
    name.ends_with(".wav") && !name.starts_with("greeting-") && !name.starts_with('.')
}

/// Counts the messages in a mailbox directory (none when it does not exist yet). A message
/// whose header cannot be read counts with no length: it still takes a place.
pub fn usage(mailbox_dir: &Path) -> std::io::Result<Usage> {
    let entries = match std::fs::read_dir(mailbox_dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Usage::default()),
        Err(e) => return Err(e),
    };
    let mut u = Usage::default();
    for entry in entries {
        let entry = entry?;
        if !entry.file_name().to_str().is_some_and(is_message) {
            continue;
        }
        u.messages = u.messages.saturating_add(1);
        if let Ok(r) = hound::WavReader::open(entry.path()) {
            let rate = u64::from(r.spec().sample_rate.max(1));
            u.total += Duration::from_millis(u64::from(r.duration()) * 1000 / rate);
        }
    }
    Ok(u)
}

/// Why a caller cannot leave a message.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    #[error("mailbox full ({messages} messages, {secs} s)")]
    Full { messages: u32, secs: u64 },
    #[error("cannot write to {dir}: {source}")]
    Unwritable {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("only {available} bytes free in {dir}; a message may need {needed}")]
    NoSpace {
        dir: PathBuf,
        available: u64,
        needed: u64,
    },
    #[error("invalid mailbox {0:?}")]
    BadMailbox(String),
}

impl Refusal {
    /// What the caller hears about it.
    pub fn prompt(&self) -> Prompt {
        match self {
            Refusal::Full { .. } => Prompt::MailboxFull,
            _ => Prompt::CannotRecord,
        }
    }
}

/// Free bytes for an unprivileged writer on the file system holding `dir`.
#[cfg(unix)]
fn available_bytes(dir: &Path) -> Option<u64> {
    let s = rustix::fs::statvfs(dir).ok()?;
    Some(s.f_bavail.saturating_mul(s.f_frsize))
}

#[cfg(not(unix))]
fn available_bytes(_dir: &Path) -> Option<u64> {
    // No portable free-space query; the write probe below still catches a read-only disk.
    None
}

/// Checks, when the call is answered, that `mailbox` can take a message: under its quota, its
/// directory writable (a probe file is created, written, synced and removed) and the disk has
/// room for the longest message. Returns how long this message may be (the maximum, or less
/// when the mailbox's total time is nearly used up).
pub fn preflight(
    dir: &Path,
    mailbox: &str,
    quota: Quota,
    max: Duration,
) -> Result<Duration, Refusal> {
    let mdir =
        greetings::mailbox_dir(dir, mailbox).map_err(|_| Refusal::BadMailbox(mailbox.into()))?;
    let unwritable = |source| Refusal::Unwritable {
        dir: mdir.clone(),
        source,
    };
    let used = usage(&mdir).map_err(unwritable)?;
    let left = quota.max_total.saturating_sub(used.total);
    if used.messages >= quota.max_messages || left < MIN_MESSAGE {
        return Err(Refusal::Full {
            messages: used.messages,
            secs: used.total.as_secs(),
        });
    }
    let allowed = max.min(left);
    std::fs::create_dir_all(&mdir).map_err(unwritable)?;
    let probe = (|| {
        use std::io::Write;
        let mut f = tempfile::Builder::new()
            .prefix(".probe")
            .tempfile_in(&mdir)?;
        f.write_all(&[0u8; 4096])?;
        f.as_file().sync_all()
    })();
    probe.map_err(unwritable)?;
    let needed = allowed.as_secs().saturating_add(1) * BYTES_PER_SEC + 4096;
    if let Some(available) = available_bytes(&mdir) {
        if available < needed {
            return Err(Refusal::NoSpace {
                dir: mdir,
                available,
                needed,
            });
        }
    }
    Ok(allowed)
}

fn tone(hz: f64, ms: u32, amplitude: f64) -> impl Iterator<Item = i16> {
    (0..ms * RATE / 1000).map(move |i| {
        ((f64::from(i) * 2.0 * std::f64::consts::PI * hz / f64::from(RATE)).sin() * amplitude)
            as i16
    })
}

/// What the caller hears before recording starts: lead-in silence, the greeting, the tone.
pub fn prompt(greeting: &[i16]) -> Vec<i16> {
    let mut out = vec![0i16; 2400];
    if greeting.is_empty() {
        // No greeting at all: two short pips say "this is a machine".
        for _ in 0..2 {
            out.extend(tone(440.0, 200, 6000.0));
            out.extend(std::iter::repeat_n(0i16, 1200));
        }
    } else {
        out.extend_from_slice(greeting);
        out.extend(std::iter::repeat_n(0i16, 2400));
    }
    out.extend(prompts::pcm(Lang::Sv, Prompt::Beep));
    out
}

/// Decodes the audio of one RTP packet when it carries PCMU or PCMA.
/// CSRCs, a header extension and padding are skipped; anything that is not valid RTP gives none.
pub fn rtp_pcm(pkt: &[u8]) -> Option<Vec<i16>> {
    let pkt = RtpPacket::parse(pkt).ok()?;
    let payload = pkt.payload.iter();
    match pkt.header.payload_type {
        0 => Some(payload.map(|b| ulaw_decode(*b)).collect()),
        8 => Some(payload.map(|b| alaw_decode(*b)).collect()),
        _ => None,
    }
}

pub(super) struct Job {
    /// Shared with a queue's relay when a queued caller overflows to voicemail.
    pub sock: std::sync::Arc<UdpSocket>,
    pub dest: Option<SocketAddr>,
    pub pt: u8,
    pub call_id: String,
    pub mailbox: String,
    pub caller: String,
    pub reason: VoicemailReason,
    /// Marked for each packet from the caller: the switch hangs up when they go silent, and
    /// what they said until then is kept as the message.
    pub heard: super::Heard,
}

/// Sends `pcm` as 20 ms RTP frames; false when the call ended meanwhile.
async fn play(
    job: &mut Job,
    pcm: &[i16],
    rtp: &mut super::RtpOut,
    stop: &mut oneshot::Receiver<()>,
) -> bool {
    let mut buf = [0u8; 2048];
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    for chunk in pcm.chunks(FRAME) {
        // Every packet a whole 20 ms: the last one is padded with silence (phones and tests
        // expect constant frames).
        let mut frame = [0i16; FRAME];
        frame[..chunk.len()].copy_from_slice(chunk);
        tokio::select! {
            _ = tick.tick() => {}
            _ = &mut *stop => return false,
        }
        // Latch onto where the caller's audio really comes from (NAT).
        while let Ok((n, src)) = job.sock.try_recv_from(&mut buf) {
            job.heard.datagram(&buf[..n]);
            job.dest = Some(src);
        }
        if let Some(to) = job.dest {
            let _ = job.sock.send_to(&rtp.packet(&frame), to).await;
        }
    }
    true
}

/// Checks the mailbox, plays the greeting, records, stores the file and reports it. Reports
/// `call_id` on `done` when the switch should hang up: the maximum length was reached, or the
/// caller was told the message cannot be taken.
pub(super) async fn run(
    mut job: Job,
    settings: VoicemailSettings,
    mut stop: oneshot::Receiver<()>,
    done: mpsc::UnboundedSender<String>,
) {
    let lang = settings.lang(&job.mailbox);
    let busy = job.reason == VoicemailReason::Busy;
    let (dir, mailbox, quota, max) = (
        settings.dir.clone(),
        job.mailbox.clone(),
        settings.quota,
        settings.max,
    );
    let company = settings.greeting.clone();
    // File system work off the async threads: directory scan, probe write, greeting decode.
    let checked = tokio::task::spawn_blocking(move || {
        preflight(&dir, &mailbox, quota, max)
            .map(|allowed| {
                let g = greetings::for_caller_or(&dir, &mailbox, busy, lang, &company);
                (allowed, g)
            })
            .map_err(|refusal| (refusal.prompt(), refusal))
    })
    .await;
    let mut rtp = super::RtpOut::new(job.pt);
    let (allowed, greeting) = match checked {
        Ok(Ok(ok)) => ok,
        Ok(Err((say, refusal))) => {
            match &refusal {
                Refusal::Full { .. } => {
                    tracing::info!(mailbox = %job.mailbox, caller = %job.caller, %refusal, "voicemail refused")
                }
                _ => {
                    tracing::error!(mailbox = %job.mailbox, caller = %job.caller, %refusal, "voicemail cannot record")
                }
            }
            let mut audio = vec![0i16; 2400];
            audio.extend(prompts::pcm(lang, say));
            audio.extend(std::iter::repeat_n(0i16, 4000));
            if play(&mut job, &audio, &mut rtp, &mut stop).await {
                let _ = done.send(job.call_id.clone());
            }
            return;
        }
        Err(e) => {
            tracing::error!(error = %e, "voicemail check failed");
            let _ = done.send(job.call_id.clone());
            return;
        }
    };
    if !play(&mut job, &prompt(&greeting), &mut rtp, &mut stop).await {
        return;
    }
    let mut buf = [0u8; 2048];
    let mut pcm: Vec<i16> = Vec::new();
    let deadline = tokio::time::sleep(allowed);
    tokio::pin!(deadline);
    let timed_out = loop {
        tokio::select! {
            r = job.sock.recv_from(&mut buf) => {
                if let Ok((n, _)) = r {
                    job.heard.datagram(buf.get(..n).unwrap_or_default());
                    if let Some(s) = buf.get(..n).and_then(rtp_pcm) {
                        pcm.extend_from_slice(&s);
                    }
                }
            }
            _ = &mut deadline => break true,
            _ = &mut stop => break false,
        }
    };
    if timed_out {
        let _ = done.send(job.call_id.clone());
    }
    if pcm.is_empty() {
        tracing::info!(mailbox = %job.mailbox, "caller left no message");
        return;
    }
    store(job, settings, pcm, RETRY_PAUSE).await;
}

/// Writes a finished message and reports it; never drops the audio silently. Failed writes are
/// retried `retry_pause` apart.
async fn store(job: Job, settings: VoicemailSettings, pcm: Vec<i16>, retry_pause: Duration) {
    let dir = settings.dir.join(&job.mailbox);
    let name = format!(
        "{}-{:08x}.wav",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0),
        rand::random::<u32>()
    );
    let path = dir.join(&name);
    let duration_ms = pcm.len() as u64 * 1000 / u64::from(RATE);
    let pcm = std::sync::Arc::new(pcm);
    for attempt in 1..=WRITE_RETRIES {
        let (d, p, a) = (dir.clone(), path.clone(), pcm.clone());
        match tokio::task::spawn_blocking(move || write_wav(&d, &p, &a)).await {
            Ok(Ok(())) => {
                let _ = settings.recorded.send(Recorded {
                    mailbox: job.mailbox,
                    caller: job.caller,
                    path,
                    duration_ms,
                });
                return;
            }
            Ok(Err(e)) => tracing::error!(
                path = %path.display(), error = %e, attempt, mailbox = %job.mailbox,
                caller = %job.caller, duration_ms, "cannot write voicemail; retrying"
            ),
            Err(e) => tracing::error!(error = %e, "voicemail writer failed"),
        }
        if attempt < WRITE_RETRIES {
            tokio::time::sleep(retry_pause).await;
        }
    }
    // The mailbox's disk stays unwritable: keep the audio where an administrator finds it.
    let rescue = std::env::temp_dir().join(format!("koppla-voicemail-{}-{name}", job.mailbox));
    let (d, p) = (std::env::temp_dir(), rescue.clone());
    match tokio::task::spawn_blocking(move || write_wav(&d, &p, &pcm)).await {
        Ok(Ok(())) => tracing::error!(
            mailbox = %job.mailbox, caller = %job.caller, duration_ms, saved = %rescue.display(),
            "voicemail could not be filed in the mailbox; audio saved outside it"
        ),
        _ => tracing::error!(
            mailbox = %job.mailbox, caller = %job.caller, duration_ms,
            "voicemail lost: no writable place for it"
        ),
    }
}

/// Files a message: never a truncated WAV in the mailbox (see `greetings::write_wav_atomic`).
fn write_wav(dir: &Path, path: &Path, pcm: &[i16]) -> Result<(), greetings::GreetingError> {
    greetings::write_wav_atomic(dir, path, pcm, ".rec")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn decodes_g711_rtp_and_skips_other_payloads() {
        let mut rtp = crate::media::RtpOut::new(8);
        let frame: Vec<i16> = (0..160).map(|i| (i * 100) as i16).collect();
        let pkt = rtp.packet(&frame);
        let back = rtp_pcm(&pkt).unwrap();
        assert_eq!(back.len(), 160);
        // A-law is lossy but close.
        assert!(back
            .iter()
            .zip(&frame)
            .all(|(a, b)| (i32::from(*a) - i32::from(*b)).abs() < 600));
        let mut dtmf = RtpPacket::parse(&pkt).unwrap();
        dtmf.header.payload_type = 101;
        assert_eq!(rtp_pcm(&dtmf.to_bytes()), None);
        assert_eq!(rtp_pcm(&[0x80, 0]), None);
        // RtpPacket::to_bytes never pads, so the padded variant is made by hand: P bit set and
        // three padding bytes, the last one counting them.
        let mut padded = pkt.clone();
        padded[0] |= 0x20;
        padded.extend_from_slice(&[0, 0, 3]);
        assert_eq!(rtp_pcm(&padded).map(|p| p.len()), Some(160));
    }

    #[test]
    fn prompt_ends_with_the_tone() {
        let p = prompt(&[]);
        let tail = &p[p.len() - 3000..];
        assert!(tail.iter().any(|s| s.unsigned_abs() > 7000));
        let g = prompt(&[1234; 800]);
        assert!(g.len() > p.len() - 4000);
    }

    fn message(dir: &Path, name: &str, secs: u32) {
        write_wav(dir, &dir.join(name), &vec![100i16; (secs * RATE) as usize]).unwrap();
    }

    #[test]
    fn usage_counts_messages_not_greetings() {
        let d = tempfile::tempdir().unwrap();
        assert_eq!(usage(&d.path().join("none")).unwrap(), Usage::default());
        let m = d.path().join("bob");
        message(&m, "1-a.wav", 3);
        message(&m, "2-b.wav", 4);
        greetings::save_pcm(d.path(), "bob", greetings::GreetingKind::Busy, &[1; 8000]).unwrap();
        std::fs::write(m.join("3-c.wav"), b"broken").unwrap();
        std::fs::write(m.join(".rec12345"), b"temp").unwrap();
        assert_eq!(
            usage(&m).unwrap(),
            Usage {
                messages: 3,
                total: Duration::from_secs(7)
            }
        );
    }

    #[test]
    fn quota_refuses_a_full_mailbox_and_shortens_the_last_message() {
        let d = tempfile::tempdir().unwrap();
        let m = d.path().join("bob");
        let max = Duration::from_secs(120);
        let quota = Quota {
            max_messages: 2,
            max_total: Duration::from_secs(60),
        };
        assert_eq!(
            preflight(d.path(), "bob", quota, max).unwrap(),
            Duration::from_secs(60)
        );
        message(&m, "1-a.wav", 50);
        // 10 s left of the total: this message may be 10 s long.
        assert_eq!(
            preflight(d.path(), "bob", quota, max).unwrap(),
            Duration::from_secs(10)
        );
        message(&m, "2-b.wav", 1);
        let e = preflight(d.path(), "bob", quota, max).unwrap_err();
        assert!(
            matches!(
                e,
                Refusal::Full {
                    messages: 2,
                    secs: 51
                }
            ),
            "{e}"
        );
        assert_eq!(e.prompt(), Prompt::MailboxFull);
        // Fewer than 5 s left counts as full too.
        let quota = Quota {
            max_messages: 100,
            max_total: Duration::from_secs(54),
        };
        assert!(matches!(
            preflight(d.path(), "bob", quota, max),
            Err(Refusal::Full { .. })
        ));
    }

    /// Runs as root in CI, where permission bits do not stop writes: a file where the
    /// mailbox's directory should be makes it unwritable for anyone.
    #[test]
    fn unwritable_mailbox_is_refused_before_recording() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("carol"), b"not a directory").unwrap();
        let e =
            preflight(d.path(), "carol", Quota::default(), Duration::from_secs(60)).unwrap_err();
        assert!(matches!(e, Refusal::Unwritable { .. }), "{e}");
        assert_eq!(e.prompt(), Prompt::CannotRecord);
        assert!(matches!(
            preflight(d.path(), "../x", Quota::default(), Duration::from_secs(60)),
            Err(Refusal::BadMailbox(_))
        ));
        // The probe leaves nothing behind in a writable mailbox.
        preflight(d.path(), "dave", Quota::default(), Duration::from_secs(60)).unwrap();
        assert_eq!(std::fs::read_dir(d.path().join("dave")).unwrap().count(), 0);
    }

    #[cfg(unix)]
    #[test]
    fn no_space_is_refused() {
        let d = tempfile::tempdir().unwrap();
        let free = available_bytes(d.path()).unwrap();
        assert!(free > 0);
        // A "message" longer than the disk is big cannot fit.
        let max = Duration::from_secs(free / BYTES_PER_SEC + 10);
        let quota = Quota {
            max_messages: 1,
            max_total: max * 2,
        };
        let e = preflight(d.path(), "erin", quota, max).unwrap_err();
        assert!(matches!(e, Refusal::NoSpace { .. }), "{e}");
        assert_eq!(e.prompt(), Prompt::CannotRecord);
    }

    struct Harness {
        dir: tempfile::TempDir,
        phone: UdpSocket,
        switch: SocketAddr,
        stop: Option<oneshot::Sender<()>>,
        done: mpsc::UnboundedReceiver<String>,
        recorded: mpsc::UnboundedReceiver<Recorded>,
        task: tokio::task::JoinHandle<()>,
        heard: super::super::Heard,
    }

    async fn start(dir: tempfile::TempDir, quota: Quota, reason: VoicemailReason) -> Harness {
        let phone = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let switch = sock.local_addr().unwrap();
        let (rec_tx, recorded) = mpsc::unbounded_channel();
        let (done_tx, done) = mpsc::unbounded_channel();
        let (stop_tx, stop_rx) = oneshot::channel();
        let settings = VoicemailSettings {
            dir: dir.path().to_path_buf(),
            max: Duration::from_secs(60),
            greeting: Vec::new(),
            recorded: rec_tx,
            quota,
            language: Lang::En,
            languages: HashMap::new(),
        };
        let job = Job {
            sock: Arc::new(sock),
            dest: Some(phone.local_addr().unwrap()),
            pt: 0,
            call_id: "c1".into(),
            mailbox: "bob".into(),
            caller: "alice".into(),
            reason,
            heard: Default::default(),
        };
        let heard = job.heard.clone();
        let task = tokio::spawn(run(job, settings, stop_rx, done_tx));
        Harness {
            dir,
            phone,
            switch,
            stop: Some(stop_tx),
            done,
            recorded,
            task,
            heard,
        }
    }

    /// `n` samples as sent: whole 20 ms frames.
    fn framed(n: usize) -> usize {
        n.div_ceil(FRAME) * FRAME
    }

    /// Everything the phone receives until `quiet` passes without a packet, decoded (the first
    /// packet may take a while: the mailbox check runs first, on a busy machine).
    async fn hear(phone: &UdpSocket, quiet: Duration) -> Vec<i16> {
        let mut out = Vec::new();
        let mut buf = [0u8; 2048];
        let mut wait = Duration::from_secs(10);
        while let Ok(Ok((n, _))) = tokio::time::timeout(wait, phone.recv_from(&mut buf)).await {
            out.extend(rtp_pcm(&buf[..n]).unwrap());
            wait = quiet;
        }
        out
    }

    /// The caller hangs up half way through: what was said is stored as a finished WAV.
    #[tokio::test]
    async fn hanging_up_mid_recording_keeps_a_finished_message() {
        let mut h = start(
            tempfile::tempdir().unwrap(),
            Quota::default(),
            VoicemailReason::NoAnswer,
        )
        .await;
        // The spoken English no-answer default, then the tone.
        let heard = hear(&h.phone, Duration::from_millis(1000)).await;
        let expected = prompts::pcm(Lang::En, Prompt::LeaveMessage).len() + 2400 + 2400 + 3200;
        assert_eq!(heard.len(), framed(expected));
        // 1.5 s of speech-level audio, then BYE.
        let mut rtp = crate::media::RtpOut::new(0);
        let frame: Vec<i16> = (0..160).map(|i| ((i % 40) * 300 - 6000) as i16).collect();
        for _ in 0..75 {
            h.phone
                .send_to(&rtp.packet(&frame), h.switch)
                .await
                .unwrap();
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // Let the last packets arrive before the BYE ends the recording.
        tokio::time::sleep(Duration::from_millis(300)).await;
        // The caller's packets tell the switch they are still there (decision 0407).
        let last = h.heard.last().expect("the caller's RTP was heard");
        assert!(
            last.elapsed() < Duration::from_secs(2),
            "{:?}",
            last.elapsed()
        );
        h.stop.take().unwrap().send(()).unwrap();
        let r = tokio::time::timeout(Duration::from_secs(5), h.recorded.recv())
            .await
            .unwrap()
            .unwrap();
        assert_eq!((r.mailbox.as_str(), r.caller.as_str()), ("bob", "alice"));
        assert_eq!(r.duration_ms, 1500);
        let mut wav = hound::WavReader::open(&r.path).unwrap();
        assert_eq!(wav.duration(), 12_000);
        let first: Vec<i16> = wav.samples::<i16>().take(160).map(Result::unwrap).collect();
        let back = rtp_pcm(&rtp.packet(&frame)).unwrap();
        assert_eq!(first, back);
        // Hung up by the caller: the switch has nothing to hang up.
        h.task.await.unwrap();
        assert!(h.done.try_recv().is_err());
        // Only the message in the mailbox: no temp or probe files left.
        assert_eq!(
            std::fs::read_dir(h.dir.path().join("bob")).unwrap().count(),
            1
        );
    }

    #[tokio::test]
    async fn a_full_mailbox_says_so_and_hangs_up_without_recording() {
        let dir = tempfile::tempdir().unwrap();
        message(&dir.path().join("bob"), "1-a.wav", 2);
        let quota = Quota {
            max_messages: 1,
            max_total: Duration::from_secs(3600),
        };
        let mut h = start(dir, quota, VoicemailReason::Busy).await;
        let heard = hear(&h.phone, Duration::from_millis(1000)).await;
        let full = prompts::pcm(Lang::En, Prompt::MailboxFull);
        assert_eq!(heard.len(), framed(2400 + full.len() + 4000));
        // G.711 round trip of the prompt: close to the clip itself.
        let err: f64 = heard[2400..2400 + full.len()]
            .iter()
            .zip(&full)
            .map(|(a, b)| (f64::from(*a) - f64::from(*b)).abs())
            .sum::<f64>()
            / full.len() as f64;
        assert!(err < 200.0, "mean error {err}");
        assert_eq!(h.done.recv().await.as_deref(), Some("c1"));
        h.task.await.unwrap();
        assert!(h.recorded.try_recv().is_err());
        assert_eq!(usage(&h.dir.path().join("bob")).unwrap().messages, 1);
    }

    #[tokio::test]
    async fn an_unwritable_mailbox_says_it_cannot_record() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("bob"), b"in the way").unwrap();
        let mut h = start(dir, Quota::default(), VoicemailReason::NoAnswer).await;
        let heard = hear(&h.phone, Duration::from_millis(1000)).await;
        let cannot = prompts::pcm(Lang::En, Prompt::CannotRecord);
        assert_eq!(heard.len(), framed(2400 + cannot.len() + 4000));
        assert_eq!(h.done.recv().await.as_deref(), Some("c1"));
        h.task.await.unwrap();
        assert!(h.recorded.try_recv().is_err());
    }

    /// The busy greeting the user uploaded is what a caller to a busy user hears.
    #[tokio::test]
    async fn busy_callers_hear_the_busy_greeting() {
        let dir = tempfile::tempdir().unwrap();
        let busy: Vec<i16> = (0..4000).map(|i| ((i % 20) * 500 - 5000) as i16).collect();
        greetings::save_pcm(dir.path(), "bob", greetings::GreetingKind::Busy, &busy).unwrap();
        let h = start(dir, Quota::default(), VoicemailReason::Busy).await;
        let heard = hear(&h.phone, Duration::from_millis(1000)).await;
        assert_eq!(heard.len(), framed(2400 + busy.len() + 2400 + 3200));
        let got = &heard[2400..2400 + busy.len()];
        let err = got
            .iter()
            .zip(&busy)
            .map(|(a, b)| (i32::from(*a) - i32::from(*b)).abs())
            .max()
            .unwrap();
        assert!(err < 300, "max error {err}");
    }

    /// The mailbox became unwritable during the call: the write is retried, then the audio is
    /// saved outside the mailbox (and logged) rather than lost.
    #[tokio::test]
    async fn a_message_that_cannot_be_filed_is_rescued() {
        let d = tempfile::tempdir().unwrap();
        let mailbox = format!("rescue{:08x}", rand::random::<u32>());
        std::fs::write(d.path().join(&mailbox), b"in the way").unwrap();
        let (rec_tx, mut recorded) = mpsc::unbounded_channel();
        let settings = VoicemailSettings {
            dir: d.path().to_path_buf(),
            max: Duration::from_secs(60),
            greeting: Vec::new(),
            recorded: rec_tx,
            quota: Quota::default(),
            language: Lang::Sv,
            languages: HashMap::new(),
        };
        let job = Job {
            sock: Arc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap()),
            dest: None,
            pt: 0,
            call_id: "c".into(),
            mailbox: mailbox.clone(),
            caller: "alice".into(),
            reason: VoicemailReason::NoAnswer,
            heard: Default::default(),
        };
        let pcm: Vec<i16> = (0..8000).map(|i| (i % 300) as i16).collect();
        store(job, settings, pcm.clone(), Duration::from_millis(1)).await;
        assert!(recorded.try_recv().is_err(), "not filed as a message");
        let prefix = format!("koppla-voicemail-{mailbox}-");
        let rescued: Vec<PathBuf> = std::fs::read_dir(std::env::temp_dir())
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(&prefix))
            })
            .collect();
        assert_eq!(rescued.len(), 1, "{rescued:?}");
        let back: Vec<i16> = hound::WavReader::open(&rescued[0])
            .unwrap()
            .into_samples::<i16>()
            .map(Result::unwrap)
            .collect();
        std::fs::remove_file(&rescued[0]).unwrap();
        assert_eq!(back, pcm);
    }

    #[test]
    fn a_failed_write_leaves_no_half_message() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("in-the-way"), b"x").unwrap();
        let target = d.path().join("in-the-way").join("1-a.wav");
        assert!(write_wav(&d.path().join("in-the-way"), &target, &[1, 2, 3]).is_err());
        assert!(!target.exists());
    }
}
