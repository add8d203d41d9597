//! Personal voicemail greetings: what a caller hears before the tone. Each mailbox may have a
//! default greeting and separate busy and no-answer greetings, stored as
//! `<voicemail_dir>/<mailbox>/greeting-<kind>.wav` (8 kHz mono 16-bit, the switch's own rate, so
//! playing one needs no conversion). Uploads in any common WAV format are converted on save.
//!
//! A caller hears the greeting for why the call went to voicemail (busy or no answer), else the
//! mailbox's default greeting, else the company-wide greeting file (`[voicemail] greeting`),
//! else the spoken default in the mailbox's language. A corrupt file is logged and skipped — a
//! caller always hears something and can always leave a message.

use crate::media::g711;
use crate::media::prompts::{self, Lang, Prompt};
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::time::Duration;

const RATE: u32 = 8000;
/// Longest greeting accepted; a longer one is almost certainly a mistake and keeps callers
/// waiting for the tone.
pub const MAX_GREETING: Duration = Duration::from_secs(120);

/// Which greeting.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum GreetingKind {
    /// Played when there is no greeting for the specific reason.
    Default,
    /// The user was busy (every phone declined with 486/600, or the user is on a call).
    Busy,
    /// Nobody answered in time.
    NoAnswer,
}

impl GreetingKind {
    pub const ALL: [GreetingKind; 3] = [
        GreetingKind::Default,
        GreetingKind::Busy,
        GreetingKind::NoAnswer,
    ];

    /// The name used in file names and API paths.
    pub fn as_str(self) -> &'static str {
        match self {
            GreetingKind::Default => "default",
            GreetingKind::Busy => "busy",
            GreetingKind::NoAnswer => "no_answer",
        }
    }

    /// Parses an API path segment ("default", "busy", "no_answer").
    pub fn parse(s: &str) -> Option<GreetingKind> {
        GreetingKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum GreetingError {
    #[error("greeting file: {0}")]
    Io(#[from] std::io::Error),
    #[error("not a readable WAV file: {0}")]
    BadWav(#[from] hound::Error),
    #[error("unsupported WAV format: {0}")]
    Format(String),
    #[error("the greeting contains no audio")]
    Empty,
    #[error("the greeting is {secs} s long; at most {max} s is allowed", max = MAX_GREETING.as_secs())]
    TooLong { secs: u64 },
    #[error("invalid mailbox name {0:?}")]
    BadMailbox(String),
}

/// The mailbox's directory. The name comes from the user directory and ends up in a path, so
/// anything that could leave `dir` is refused.
pub(crate) fn mailbox_dir(dir: &Path, mailbox: &str) -> Result<PathBuf, GreetingError> {
    let bad = mailbox.is_empty()
        || mailbox == "."
        || mailbox == ".."
        || mailbox.contains(['/', '\\', '\0']);
    if bad {
        return Err(GreetingError::BadMailbox(mailbox.to_string()));
    }
    Ok(dir.join(mailbox))
}

/// Where a mailbox's greeting of `kind` is stored.
pub fn path(dir: &Path, mailbox: &str, kind: GreetingKind) -> Result<PathBuf, GreetingError> {
    Ok(mailbox_dir(dir, mailbox)?.join(format!("greeting-{}.wav", kind.as_str())))
}

/// Decodes a WAV of any common layout (8/16/24/32-bit integer or float, any channel count and
/// rate) to 8 kHz mono, refusing more than [`MAX_GREETING`] before decoding it.
pub(crate) fn decode<R: std::io::Read>(r: hound::WavReader<R>) -> Result<Vec<i16>, GreetingError> {
    let spec = r.spec();
    if spec.channels == 0 || !(4000..=192_000).contains(&spec.sample_rate) {
        return Err(GreetingError::Format(format!(
            "{} channels at {} Hz",
            spec.channels, spec.sample_rate
        )));
    }
    let secs = u64::from(r.duration()) / u64::from(spec.sample_rate);
    if secs > MAX_GREETING.as_secs() {
        return Err(GreetingError::TooLong { secs });
    }
    let bits = spec.bits_per_sample;
    let samples: Vec<i32> = match (spec.sample_format, bits) {
        // hound gives integer samples in their own width; scale every width to 16 bits.
        (hound::SampleFormat::Int, 1..=16) => r
            .into_samples::<i16>()
            .map(|s| s.map(|v| i32::from(v) << (16 - bits)))
            .collect::<Result<_, _>>()?,
        (hound::SampleFormat::Int, 17..=32) => r
            .into_samples::<i32>()
            .map(|s| s.map(|v| v >> (bits - 16)))
            .collect::<Result<_, _>>()?,
        (hound::SampleFormat::Float, 32) => r
            .into_samples::<f32>()
            .map(|s| s.map(|v| (v.clamp(-1.0, 1.0) * 32767.0) as i32))
            .collect::<Result<_, _>>()?,
        (format, bits) => {
            return Err(GreetingError::Format(format!("{bits}-bit {format:?}")));
        }
    };
    // Mix the channels down rather than taking the first: a stereo recording may have the
    // voice on one side only.
    let channels = usize::from(spec.channels);
    let mono: Vec<i16> = samples
        .chunks(channels)
        .map(|c| {
            let sum: i64 = c.iter().map(|v| i64::from(*v)).sum();
            (sum / c.len() as i64).clamp(i64::from(i16::MIN), i64::from(i16::MAX)) as i16
        })
        .collect();
    if mono.is_empty() {
        return Err(GreetingError::Empty);
    }
    let pcm = to_8k(&mono, spec.sample_rate);
    if pcm.is_empty() {
        return Err(GreetingError::Format(format!(
            "cannot resample from {} Hz",
            spec.sample_rate
        )));
    }
    Ok(pcm)
}

/// Resamples any accepted rate (4–192 kHz) to 8 kHz in steps that shrink the rate at most
/// threefold each (→ 72 kHz → 24 kHz → 8 kHz, as far as needed). koppla-audio's `resample_all`
/// indexes before its history for larger down-ratios (44 100 → 8 000 and 96 000 → 8 000 panic
/// with an overflow) while upsampling and down-ratios up to 3 are safe — checked for every
/// integer rate in range — and a user's upload must never crash the switch.
pub(crate) fn to_8k(pcm: &[i16], rate: u32) -> Vec<i16> {
    let mut out = pcm.to_vec();
    let mut from = rate;
    for step in [72_000, 24_000, RATE] {
        if from > step || step == RATE {
            out = g711::resample(&out, from, step);
            from = step;
        }
    }
    out
}

/// The stored greeting as 8 kHz PCM, `None` when there is none.
pub fn load(
    dir: &Path,
    mailbox: &str,
    kind: GreetingKind,
) -> Result<Option<Vec<i16>>, GreetingError> {
    let p = path(dir, mailbox, kind)?;
    let file = match std::fs::File::open(&p) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let reader = hound::WavReader::new(std::io::BufReader::new(file))?;
    decode(reader).map(Some)
}

/// The stored greeting file as it is (for the API's download), `None` when there is none.
pub fn read_wav(
    dir: &Path,
    mailbox: &str,
    kind: GreetingKind,
) -> Result<Option<Vec<u8>>, GreetingError> {
    match std::fs::read(path(dir, mailbox, kind)?) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Stores 8 kHz mono PCM as the greeting. Atomic (temp file in the same directory, then
/// rename), so a caller never hears a half-written greeting and a failed write leaves the old
/// one in place.
pub fn save_pcm(
    dir: &Path,
    mailbox: &str,
    kind: GreetingKind,
    pcm: &[i16],
) -> Result<(), GreetingError> {
    if pcm.is_empty() {
        return Err(GreetingError::Empty);
    }
    let secs = pcm.len() as u64 / u64::from(RATE);
    if secs > MAX_GREETING.as_secs() {
        return Err(GreetingError::TooLong { secs });
    }
    let target = path(dir, mailbox, kind)?;
    let parent = mailbox_dir(dir, mailbox)?;
    write_wav_atomic(&parent, &target, pcm, ".tmp")
}

/// Writes 8 kHz mono PCM as a WAV to a temporary file (named `prefix…`) in `dir`, synced, and
/// renames it to `target` (in `dir`): a reader never sees a half-written greeting or message.
pub(crate) fn write_wav_atomic(
    dir: &Path,
    target: &Path,
    pcm: &[i16],
    prefix: &str,
) -> Result<(), GreetingError> {
    std::fs::create_dir_all(dir)?;
    let tmp = tempfile::Builder::new().prefix(prefix).tempfile_in(dir)?;
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: RATE,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::new(std::io::BufWriter::new(tmp.as_file()), spec)?;
    for s in pcm {
        w.write_sample(*s)?;
    }
    w.finalize()?;
    tmp.as_file().sync_all()?;
    tmp.persist(target)
        .map_err(|e| GreetingError::Io(e.error))?;
    Ok(())
}

/// Stores an uploaded WAV (any common rate, channel count and bit depth) as the greeting,
/// converted to 8 kHz mono. Refuses garbage, silence-free emptiness and more than two minutes.
/// Returns the stored greeting's length.
pub fn save_wav(
    dir: &Path,
    mailbox: &str,
    kind: GreetingKind,
    wav: &[u8],
) -> Result<Duration, GreetingError> {
    let pcm = decode(hound::WavReader::new(Cursor::new(wav))?)?;
    save_pcm(dir, mailbox, kind, &pcm)?;
    Ok(pcm_duration(pcm.len()))
}

fn pcm_duration(samples: usize) -> Duration {
    Duration::from_millis(samples as u64 * 1000 / u64::from(RATE))
}

/// Removes the greeting; `false` when there was none.
pub fn delete(dir: &Path, mailbox: &str, kind: GreetingKind) -> Result<bool, GreetingError> {
    match std::fs::remove_file(path(dir, mailbox, kind)?) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Which greetings the mailbox has, with their lengths (read from the WAV headers). A corrupt
/// file is listed without a length so the user can see it and replace or delete it.
pub fn list(
    dir: &Path,
    mailbox: &str,
) -> Result<Vec<(GreetingKind, Option<Duration>)>, GreetingError> {
    let mut out = Vec::new();
    for kind in GreetingKind::ALL {
        let p = path(dir, mailbox, kind)?;
        if !p.exists() {
            continue;
        }
        let len = hound::WavReader::open(&p).ok().and_then(|r| {
            let rate = r.spec().sample_rate;
            (rate > 0)
                .then(|| Duration::from_millis(u64::from(r.duration()) * 1000 / u64::from(rate)))
        });
        out.push((kind, len));
    }
    Ok(out)
}

/// The first greeting of `kinds` that loads; a broken one is logged and skipped.
fn first_greeting(dir: &Path, mailbox: &str, kinds: &[GreetingKind]) -> Option<Vec<i16>> {
    kinds.iter().find_map(|kind| match load(dir, mailbox, *kind) {
        Ok(Some(pcm)) => Some(pcm),
        Ok(None) => None,
        Err(e) => {
            tracing::warn!(mailbox, kind = kind.as_str(), error = %e, "greeting unusable; falling back");
            None
        }
    })
}

/// What a caller hears for `reason` (busy → busy, else no-answer), falling back to Default and
/// then to the spoken LeaveMessage/BusyLeaveMessage prompt; a corrupt file is logged and skipped.
pub fn for_caller(dir: &Path, mailbox: &str, busy: bool, lang: Lang) -> Vec<i16> {
    for_caller_or(dir, mailbox, busy, lang, &[])
}

/// [`for_caller`] with the company-wide greeting (`[voicemail] greeting`, empty when none) tried
/// after the mailbox's own greetings and before the spoken default.
pub fn for_caller_or(
    dir: &Path,
    mailbox: &str,
    busy: bool,
    lang: Lang,
    company: &[i16],
) -> Vec<i16> {
    let specific = if busy {
        GreetingKind::Busy
    } else {
        GreetingKind::NoAnswer
    };
    if let Some(pcm) = first_greeting(dir, mailbox, &[specific, GreetingKind::Default]) {
        return pcm;
    }
    if !company.is_empty() {
        return company.to_vec();
    }
    let spoken = if busy {
        Prompt::BusyLeaveMessage
    } else {
        Prompt::LeaveMessage
    };
    prompts::pcm(lang, spoken)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(rate: u32, secs: f64, hz: f64) -> Vec<f64> {
        (0..(f64::from(rate) * secs) as usize)
            .map(|i| (i as f64 * 2.0 * std::f64::consts::PI * hz / f64::from(rate)).sin() * 0.5)
            .collect()
    }

    fn wav_bytes(spec: hound::WavSpec, frames: &[f64]) -> Vec<u8> {
        let mut buf = Cursor::new(Vec::new());
        let mut w = hound::WavWriter::new(&mut buf, spec).unwrap();
        for v in frames {
            for _ in 0..spec.channels {
                match (spec.sample_format, spec.bits_per_sample) {
                    (hound::SampleFormat::Float, _) => w.write_sample(*v as f32).unwrap(),
                    (_, 8) => w.write_sample((v * 127.0) as i8).unwrap(),
                    (_, 16) => w.write_sample((v * 32767.0) as i16).unwrap(),
                    (_, bits) => w
                        .write_sample((v * ((1i64 << (bits - 1)) - 1) as f64) as i32)
                        .unwrap(),
                }
            }
        }
        w.finalize().unwrap();
        buf.into_inner()
    }

    fn spec(rate: u32, channels: u16, bits: u16, float: bool) -> hound::WavSpec {
        hound::WavSpec {
            channels,
            sample_rate: rate,
            bits_per_sample: bits,
            sample_format: if float {
                hound::SampleFormat::Float
            } else {
                hound::SampleFormat::Int
            },
        }
    }

    fn peak(x: &[i16]) -> u16 {
        x.iter().map(|s| s.unsigned_abs()).max().unwrap_or(0)
    }

    #[test]
    fn any_common_wav_becomes_8k_mono_at_the_same_level() {
        let dir = tempfile::tempdir().unwrap();
        for (rate, ch, bits, float) in [
            (8000, 1, 16, false),
            (44100, 2, 16, false),
            (48000, 1, 24, false),
            (16000, 2, 32, true),
            (22050, 1, 8, false),
            (11025, 1, 32, false),
        ] {
            let wav = wav_bytes(spec(rate, ch, bits, float), &tone(rate, 1.5, 400.0));
            let len = save_wav(dir.path(), "alice", GreetingKind::Busy, &wav).unwrap();
            assert!(
                (1490..=1510).contains(&len.as_millis()),
                "{rate}/{ch}/{bits}: {len:?}"
            );
            let pcm = load(dir.path(), "alice", GreetingKind::Busy)
                .unwrap()
                .unwrap();
            assert!(
                (11_900..=12_100).contains(&pcm.len()),
                "{rate}: {}",
                pcm.len()
            );
            // Half scale in, about half scale out (8-bit is coarse).
            let p = peak(&pcm);
            assert!(
                (15_000..=17_500).contains(&p),
                "{rate}/{ch}/{bits}: peak {p}"
            );
            let stored =
                hound::WavReader::open(path(dir.path(), "alice", GreetingKind::Busy).unwrap())
                    .unwrap()
                    .spec();
            assert_eq!(
                (stored.sample_rate, stored.channels, stored.bits_per_sample),
                (8000, 1, 16)
            );
        }
    }

    /// Odd and high rates (the direct 44.1 kHz → 8 kHz path panics in koppla-audio) all come out
    /// at 8 kHz with the right length and level.
    #[test]
    fn every_rate_resamples_without_panicking() {
        for rate in [
            4000, 7999, 8001, 11025, 12000, 22050, 24001, 32000, 44100, 47999, 56000, 64000, 72001,
            88200, 96000, 176400, 192000,
        ] {
            let x: Vec<i16> = tone(rate, 0.5, 300.0)
                .into_iter()
                .map(|v| (v * 32767.0) as i16)
                .collect();
            let y = to_8k(&x, rate);
            assert!((3990..=4010).contains(&y.len()), "{rate}: {}", y.len());
            let p = peak(&y[400..3600]);
            assert!((15_000..=17_500).contains(&p), "{rate}: peak {p}");
        }
    }

    #[test]
    fn garbage_long_and_empty_uploads_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let e = save_wav(
            dir.path(),
            "bob",
            GreetingKind::Default,
            b"this is not a wav",
        )
        .unwrap_err();
        assert!(matches!(e, GreetingError::BadWav(_)), "{e}");
        let e = save_wav(dir.path(), "bob", GreetingKind::Default, &[]).unwrap_err();
        assert!(matches!(e, GreetingError::BadWav(_)), "{e}");
        // A valid header with the data chunk cut off half way.
        let mut cut = wav_bytes(spec(8000, 1, 16, false), &tone(8000, 1.0, 300.0));
        cut.truncate(1000);
        assert!(save_wav(dir.path(), "bob", GreetingKind::Default, &cut).is_err());
        let long = wav_bytes(spec(8000, 1, 16, false), &tone(8000, 121.0, 300.0));
        let e = save_wav(dir.path(), "bob", GreetingKind::Default, &long).unwrap_err();
        assert!(matches!(e, GreetingError::TooLong { secs: 121 }), "{e}");
        assert!(e.to_string().contains("120"));
        let empty = wav_bytes(spec(8000, 1, 16, false), &[]);
        assert!(matches!(
            save_wav(dir.path(), "bob", GreetingKind::Default, &empty),
            Err(GreetingError::Empty)
        ));
        // Nothing was stored by any refusal.
        assert_eq!(
            load(dir.path(), "bob", GreetingKind::Default).unwrap(),
            None
        );
        assert!(list(dir.path(), "bob").unwrap().is_empty());
    }

    #[test]
    fn mailbox_names_cannot_leave_the_directory() {
        let dir = tempfile::tempdir().unwrap();
        for bad in ["", ".", "..", "../x", "a/b", "a\\b"] {
            assert!(matches!(
                save_pcm(dir.path(), bad, GreetingKind::Default, &[1; 800]),
                Err(GreetingError::BadMailbox(_))
            ));
            assert!(matches!(
                load(dir.path(), bad, GreetingKind::Default),
                Err(GreetingError::BadMailbox(_))
            ));
        }
    }

    #[test]
    fn save_list_load_delete() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            load(dir.path(), "carol", GreetingKind::Default).unwrap(),
            None
        );
        let pcm: Vec<i16> = (0..16_000).map(|i| ((i % 50) * 100) as i16).collect();
        save_pcm(dir.path(), "carol", GreetingKind::Default, &pcm).unwrap();
        assert_eq!(
            load(dir.path(), "carol", GreetingKind::Default)
                .unwrap()
                .as_deref(),
            Some(&pcm[..])
        );
        assert!(dir.path().join("carol/greeting-default.wav").exists());
        save_pcm(dir.path(), "carol", GreetingKind::NoAnswer, &pcm[..4000]).unwrap();
        assert_eq!(
            list(dir.path(), "carol").unwrap(),
            [
                (GreetingKind::Default, Some(Duration::from_secs(2))),
                (GreetingKind::NoAnswer, Some(Duration::from_millis(500)))
            ]
        );
        // No temp files left behind by the atomic write.
        assert_eq!(
            std::fs::read_dir(dir.path().join("carol")).unwrap().count(),
            2
        );
        assert!(read_wav(dir.path(), "carol", GreetingKind::Default)
            .unwrap()
            .unwrap()
            .starts_with(b"RIFF"));
        assert!(delete(dir.path(), "carol", GreetingKind::Default).unwrap());
        assert!(!delete(dir.path(), "carol", GreetingKind::Default).unwrap());
        assert_eq!(
            read_wav(dir.path(), "carol", GreetingKind::Default).unwrap(),
            None
        );
        assert_eq!(list(dir.path(), "carol").unwrap().len(), 1);
    }

    #[test]
    fn caller_hears_the_reasons_greeting_then_default_then_company_then_spoken() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let spoken_busy = prompts::pcm(Lang::Sv, Prompt::BusyLeaveMessage);
        let spoken_none = prompts::pcm(Lang::En, Prompt::LeaveMessage);
        assert_eq!(for_caller(d, "dan", true, Lang::Sv), spoken_busy);
        assert_eq!(for_caller(d, "dan", false, Lang::En), spoken_none);
        let company = vec![7i16; 800];
        assert_eq!(for_caller_or(d, "dan", true, Lang::Sv, &company), company);
        let default = vec![1i16; 800];
        let busy = vec![2i16; 800];
        let no_answer = vec![3i16; 800];
        save_pcm(d, "dan", GreetingKind::Default, &default).unwrap();
        assert_eq!(for_caller_or(d, "dan", true, Lang::Sv, &company), default);
        assert_eq!(for_caller(d, "dan", false, Lang::Sv), default);
        save_pcm(d, "dan", GreetingKind::Busy, &busy).unwrap();
        save_pcm(d, "dan", GreetingKind::NoAnswer, &no_answer).unwrap();
        assert_eq!(for_caller(d, "dan", true, Lang::Sv), busy);
        assert_eq!(for_caller(d, "dan", false, Lang::Sv), no_answer);
    }

    #[test]
    fn a_corrupt_greeting_falls_back() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let default = vec![1i16; 800];
        save_pcm(d, "eve", GreetingKind::Default, &default).unwrap();
        std::fs::write(
            path(d, "eve", GreetingKind::Busy).unwrap(),
            b"RIFF\0\0garbage",
        )
        .unwrap();
        assert!(load(d, "eve", GreetingKind::Busy).is_err());
        assert_eq!(for_caller(d, "eve", true, Lang::Sv), default);
        // Corrupt default too: the spoken busy greeting.
        std::fs::write(path(d, "eve", GreetingKind::Default).unwrap(), b"garbage").unwrap();
        assert_eq!(
            for_caller(d, "eve", true, Lang::En),
            prompts::pcm(Lang::En, Prompt::BusyLeaveMessage)
        );
        // Listed without a length so the user can replace it.
        assert_eq!(
            list(d, "eve").unwrap(),
            [(GreetingKind::Default, None), (GreetingKind::Busy, None)]
        );
    }

    #[test]
    fn kinds_round_trip() {
        for k in GreetingKind::ALL {
            assert_eq!(GreetingKind::parse(k.as_str()), Some(k));
            assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
        }
        assert_eq!(GreetingKind::parse("Busy"), None);
    }
}
