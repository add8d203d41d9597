//! The switch's own spoken prompts (voicemail menus, default greetings, counts and dates) in
//! Swedish and English, as 8 kHz mono PCM ready for G.711.
//!
//! The clips are generated once by `scripts/make-prompts.sh` (espeak-ng + sox), committed under
//! `crates/vaxel/assets/prompts/{sv,en}/` and compiled into the binary, so the switch needs no
//! files and no espeak-ng at run time. Numbers, ordinals and dates are composed from small clips
//! (21 = "tjugo" + "ett", 23rd = "twenty" + "third") in each language's own word order.

use std::io::Cursor;

/// The language a caller hears.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    #[default]
    Sv,
    En,
}

impl Lang {
    /// "en", "en-GB", "EN_us" → English; anything else (including "sv" and nonsense) Swedish,
    /// the switch's default.
    pub fn parse(code: &str) -> Lang {
        if code.trim().to_ascii_lowercase().starts_with("en") {
            Lang::En
        } else {
            Lang::Sv
        }
    }

    /// The language code, as in the config and the asset directory.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Sv => "sv",
            Lang::En => "en",
        }
    }
}

/// One thing the switch can say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Prompt {
    /// "Röstbrevlåda." / "Voicemail."
    Welcome,
    EnterMailbox,
    EnterPin,
    WrongPin,
    Locked,
    /// "Du har" / "You have" (followed by a number and a noun, see [`count`]).
    YouHave,
    NewMessage,
    NewMessages,
    SavedMessage,
    SavedMessages,
    NoMessages,
    MainMenu,
    MessageMenu,
    /// "Mottaget" / "Received" (start of [`received_at`]).
    Received,
    /// "klockan" / "at".
    At,
    MessageDeleted,
    NoMoreMessages,
    NoGreeting,
    RecordGreeting,
    GreetingSaved,
    GreetingDeleted,
    Goodbye,
    Invalid,
    /// The spoken default no-answer greeting.
    LeaveMessage,
    /// The spoken default busy greeting.
    BusyLeaveMessage,
    MailboxFull,
    CannotRecord,
    /// A cardinal number. 0..=59 is what times need; larger numbers (message counts) are
    /// composed with hundreds and thousands; from a million on the digits are read one by one.
    Number(u32),
    /// Day of the month as said in a date ("sjunde", "seventh"); outside 1..=31 the cardinal.
    Ordinal(u32),
    /// Month name, 1 = January; outside 1..=12 the cardinal.
    Month(u32),
    /// "på förmiddagen" / "a m" — English times are said on the 12-hour clock.
    Am,
    /// "på eftermiddagen" / "p m".
    Pm,
    /// "prick" / "o'clock" — a full hour.
    OClock,
    /// "noll" / "oh" — the leading zero of minutes 1..=9 ("sexton noll åtta", "four oh eight").
    Oh,
    /// The record tone (generated, not speech).
    Beep,
}

const RATE: u32 = 8000;
/// Between the clips of one composed word ("tjugo"+"ett"): just enough not to click.
const JOIN_GAP: usize = 160;
/// Between prompts in a phrase ("Du har" · "tre" · "nya meddelanden").
const WORD_GAP: usize = 960;
/// After a whole sentence ("Fel PIN-kod." · "Ange din PIN-kod …").
const SENTENCE_GAP: usize = 3200;

/// Declares the compiled-in clips; each name must exist as `<lang>/<name>.wav`.
macro_rules! clips {
    ($($name:literal),* $(,)?) => {
        const SV: &[(&str, &[u8])] = &[
            $(($name, include_bytes!(concat!("../../assets/prompts/sv/", $name, ".wav")))),*
        ];
        const EN: &[(&str, &[u8])] = &[
            $(($name, include_bytes!(concat!("../../assets/prompts/en/", $name, ".wav")))),*
        ];
    };
}

clips!(
    "welcome",
    "enter_mailbox",
    "enter_pin",
    "wrong_pin",
    "locked",
    "you_have",
    "new_message",
    "new_messages",
    "saved_message",
    "saved_messages",
    "no_messages",
    "main_menu",
    "message_menu",
    "received",
    "at",
    "message_deleted",
    "no_more_messages",
    "no_greeting",
    "record_greeting",
    "greeting_saved",
    "greeting_deleted",
    "goodbye",
    "invalid",
    "leave_message",
    "busy_leave_message",
    "mailbox_full",
    "cannot_record",
    "am",
    "pm",
    "oclock",
    "oh",
    "hundred",
    "thousand",
    "n00",
    "n01",
    "n02",
    "n03",
    "n04",
    "n05",
    "n06",
    "n07",
    "n08",
    "n09",
    "n10",
    "n11",
    "n12",
    "n13",
    "n14",
    "n15",
    "n16",
    "n17",
    "n18",
    "n19",
    "n20",
    "n30",
    "n40",
    "n50",
    "n60",
    "n70",
    "n80",
    "n90",
    "o01",
    "o02",
    "o03",
    "o04",
    "o05",
    "o06",
    "o07",
    "o08",
    "o09",
    "o10",
    "o11",
    "o12",
    "o13",
    "o14",
    "o15",
    "o16",
    "o17",
    "o18",
    "o19",
    "o20",
    "o30",
    "m01",
    "m02",
    "m03",
    "m04",
    "m05",
    "m06",
    "m07",
    "m08",
    "m09",
    "m10",
    "m11",
    "m12",
);

const UNITS: [&str; 20] = [
    "n00", "n01", "n02", "n03", "n04", "n05", "n06", "n07", "n08", "n09", "n10", "n11", "n12",
    "n13", "n14", "n15", "n16", "n17", "n18", "n19",
];
const TENS: [&str; 10] = [
    "", "", "n20", "n30", "n40", "n50", "n60", "n70", "n80", "n90",
];
const ORDINALS: [&str; 21] = [
    "", "o01", "o02", "o03", "o04", "o05", "o06", "o07", "o08", "o09", "o10", "o11", "o12", "o13",
    "o14", "o15", "o16", "o17", "o18", "o19", "o20",
];
const MONTHS: [&str; 13] = [
    "", "m01", "m02", "m03", "m04", "m05", "m06", "m07", "m08", "m09", "m10", "m11", "m12",
];

/// Decoded clip, or empty when it is missing or unreadable (a unit test proves every clip
/// decodes, so in a built switch this never happens; silence beats a crash regardless).
fn clip(lang: Lang, name: &str) -> Vec<i16> {
    let table = match lang {
        Lang::Sv => SV,
        Lang::En => EN,
    };
    let Some((_, bytes)) = table.iter().find(|(n, _)| *n == name) else {
        tracing::error!(name, lang = lang.code(), "prompt clip missing");
        return Vec::new();
    };
    match hound::WavReader::new(Cursor::new(*bytes)) {
        Ok(r) => r.into_samples::<i16>().filter_map(Result::ok).collect(),
        Err(e) => {
            tracing::error!(name, lang = lang.code(), error = %e, "prompt clip unreadable");
            Vec::new()
        }
    }
}

/// Clip names for a cardinal number, e.g. 123 → ["n01", "hundred", "n20", "n03"]. Both
/// languages build numbers the same way from these parts ("ett hundra tjugo tre", "one hundred
/// twenty three"); only the clips differ.
fn number_clips(n: u32, out: &mut Vec<&'static str>) {
    match n {
        0..=19 => out.push(UNITS[n as usize]),
        20..=99 => {
            out.push(TENS[(n / 10) as usize]);
            if !n.is_multiple_of(10) {
                out.push(UNITS[(n % 10) as usize]);
            }
        }
        100..=999 => {
            number_clips(n / 100, out);
            out.push("hundred");
            if !n.is_multiple_of(100) {
                number_clips(n % 100, out);
            }
        }
        1000..=999_999 => {
            number_clips(n / 1000, out);
            out.push("thousand");
            if !n.is_multiple_of(1000) {
                number_clips(n % 1000, out);
            }
        }
        _ => {
            // Nothing the switch counts gets this large; read the digits rather than fail.
            for d in n.to_string().bytes() {
                out.push(UNITS[usize::from(d - b'0')]);
            }
        }
    }
}

/// Clip names for a day of the month: 1..=20 and 30 have their own clip, the rest are the tens
/// plus the unit ordinal ("tjugo"+"första", "twenty"+"first").
fn ordinal_clips(d: u32, out: &mut Vec<&'static str>) {
    match d {
        1..=20 => out.push(ORDINALS[d as usize]),
        30 => out.push("o30"),
        21..=29 | 31 => {
            out.push(TENS[(d / 10) as usize]);
            out.push(ORDINALS[(d % 10) as usize]);
        }
        _ => number_clips(d, out),
    }
}

/// The clips one prompt is made of (empty for the generated tone).
fn clip_names(p: Prompt) -> Vec<&'static str> {
    let one = |n: &'static str| vec![n];
    match p {
        Prompt::Welcome => one("welcome"),
        Prompt::EnterMailbox => one("enter_mailbox"),
        Prompt::EnterPin => one("enter_pin"),
        Prompt::WrongPin => one("wrong_pin"),
        Prompt::Locked => one("locked"),
        Prompt::YouHave => one("you_have"),
        Prompt::NewMessage => one("new_message"),
        Prompt::NewMessages => one("new_messages"),
        Prompt::SavedMessage => one("saved_message"),
        Prompt::SavedMessages => one("saved_messages"),
        Prompt::NoMessages => one("no_messages"),
        Prompt::MainMenu => one("main_menu"),
        Prompt::MessageMenu => one("message_menu"),
        Prompt::Received => one("received"),
        Prompt::At => one("at"),
        Prompt::MessageDeleted => one("message_deleted"),
        Prompt::NoMoreMessages => one("no_more_messages"),
        Prompt::NoGreeting => one("no_greeting"),
        Prompt::RecordGreeting => one("record_greeting"),
        Prompt::GreetingSaved => one("greeting_saved"),
        Prompt::GreetingDeleted => one("greeting_deleted"),
        Prompt::Goodbye => one("goodbye"),
        Prompt::Invalid => one("invalid"),
        Prompt::LeaveMessage => one("leave_message"),
        Prompt::BusyLeaveMessage => one("busy_leave_message"),
        Prompt::MailboxFull => one("mailbox_full"),
        Prompt::CannotRecord => one("cannot_record"),
        Prompt::Am => one("am"),
        Prompt::Pm => one("pm"),
        Prompt::OClock => one("oclock"),
        Prompt::Oh => one("oh"),
        Prompt::Number(n) => {
            let mut v = Vec::new();
            number_clips(n, &mut v);
            v
        }
        Prompt::Ordinal(d) => {
            let mut v = Vec::new();
            ordinal_clips(d, &mut v);
            v
        }
        Prompt::Month(m) => match MONTHS.get(m as usize) {
            Some(name) if !name.is_empty() => one(name),
            _ => {
                let mut v = Vec::new();
                number_clips(m, &mut v);
                v
            }
        },
        Prompt::Beep => Vec::new(),
    }
}

/// The record tone: 1 kHz for 400 ms with 10 ms ramps so it does not click.
fn beep() -> Vec<i16> {
    let len = RATE as usize * 400 / 1000;
    let ramp = RATE as usize / 100;
    (0..len)
        .map(|i| {
            let t = i as f64 / f64::from(RATE);
            let edge = i.min(len - 1 - i);
            let gain = if edge < ramp {
                edge as f64 / ramp as f64
            } else {
                1.0
            };
            ((2.0 * std::f64::consts::PI * 1000.0 * t).sin() * 8000.0 * gain) as i16
        })
        .collect()
}

/// 8 kHz mono PCM of one prompt (composed prompts concatenated), from the compiled-in clips.
pub fn pcm(lang: Lang, p: Prompt) -> Vec<i16> {
    if p == Prompt::Beep {
        return beep();
    }
    let mut out = Vec::new();
    for (i, name) in clip_names(p).into_iter().enumerate() {
        if i > 0 {
            out.extend(std::iter::repeat_n(0i16, JOIN_GAP));
        }
        out.extend(clip(lang, name));
    }
    out
}

/// Whether a prompt is a whole sentence (a longer pause follows it in a sequence).
fn is_sentence(p: Prompt) -> bool {
    !matches!(
        p,
        Prompt::YouHave
            | Prompt::NewMessage
            | Prompt::NewMessages
            | Prompt::SavedMessage
            | Prompt::SavedMessages
            | Prompt::Received
            | Prompt::At
            | Prompt::Number(_)
            | Prompt::Ordinal(_)
            | Prompt::Month(_)
            | Prompt::Am
            | Prompt::Pm
            | Prompt::OClock
            | Prompt::Oh
    )
}

/// Many prompts with a short natural gap between them: a word's pause inside a phrase, a
/// sentence's pause after a full sentence or the tone.
pub fn sequence(lang: Lang, ps: &[Prompt]) -> Vec<i16> {
    let mut out = Vec::new();
    for (i, p) in ps.iter().enumerate() {
        if i > 0 {
            let gap = if is_sentence(ps[i - 1]) {
                SENTENCE_GAP
            } else {
                WORD_GAP
            };
            out.extend(std::iter::repeat_n(0i16, gap));
        }
        out.extend(pcm(lang, *p));
    }
    out
}

/// "You have 3 new messages" / "You have 1 new message" / NoMessages for 0. Swedish "ett nytt
/// meddelande" works because the number clip for 1 is the neuter "ett", as "meddelande" needs.
pub fn count(n: u32, singular: Prompt, plural: Prompt) -> Vec<Prompt> {
    match n {
        0 => vec![Prompt::NoMessages],
        1 => vec![Prompt::YouHave, Prompt::Number(1), singular],
        _ => vec![Prompt::YouHave, Prompt::Number(n), plural],
    }
}

/// The minutes of a time after the hour: none for a full hour in Swedish ("klockan sexton"),
/// "noll åtta" / "oh eight" for 1..=9, the number otherwise.
fn minutes(m: u32, out: &mut Vec<Prompt>) {
    match m {
        0 => {}
        1..=9 => {
            out.push(Prompt::Oh);
            out.push(Prompt::Number(m));
        }
        _ => out.push(Prompt::Number(m)),
    }
}

/// When a message came, as the language says it, in `when`'s own time zone (callers pass the
/// switch's zone, e.g. Europe/Stockholm, so summer and winter time are both right):
/// Swedish "mottaget sjunde december klockan sexton noll åtta" (24-hour clock, as Swedes say
/// times), English "received December seventh at four oh eight p m" (12-hour clock; a full hour
/// is "four o'clock p m").
pub fn received_at(lang: Lang, when: &jiff::Zoned) -> Vec<Prompt> {
    let day = u32::try_from(when.day()).unwrap_or(0);
    let month = u32::try_from(when.month()).unwrap_or(0);
    let hour = u32::try_from(when.hour()).unwrap_or(0);
    let minute = u32::try_from(when.minute()).unwrap_or(0);
    let mut out = vec![Prompt::Received];
    match lang {
        Lang::Sv => {
            out.extend([
                Prompt::Ordinal(day),
                Prompt::Month(month),
                Prompt::At,
                Prompt::Number(hour),
            ]);
            minutes(minute, &mut out);
        }
        Lang::En => {
            let h12 = match hour % 12 {
                0 => 12,
                h => h,
            };
            out.extend([
                Prompt::Month(month),
                Prompt::Ordinal(day),
                Prompt::At,
                Prompt::Number(h12),
            ]);
            if minute == 0 {
                out.push(Prompt::OClock);
            }
            minutes(minute, &mut out);
            out.push(if hour < 12 { Prompt::Am } else { Prompt::Pm });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_fixed_prompt() -> Vec<Prompt> {
        use Prompt::*;
        vec![
            Welcome,
            EnterMailbox,
            EnterPin,
            WrongPin,
            Locked,
            YouHave,
            NewMessage,
            NewMessages,
            SavedMessage,
            SavedMessages,
            NoMessages,
            MainMenu,
            MessageMenu,
            Received,
            At,
            MessageDeleted,
            NoMoreMessages,
            NoGreeting,
            RecordGreeting,
            GreetingSaved,
            GreetingDeleted,
            Goodbye,
            Invalid,
            LeaveMessage,
            BusyLeaveMessage,
            MailboxFull,
            CannotRecord,
            Am,
            Pm,
            OClock,
            Oh,
            Beep,
        ]
    }

    fn rms(x: &[i16]) -> f64 {
        (x.iter().map(|s| f64::from(*s).powi(2)).sum::<f64>() / x.len().max(1) as f64).sqrt()
    }

    #[test]
    fn lang_codes() {
        assert_eq!(Lang::parse("en"), Lang::En);
        assert_eq!(Lang::parse("EN-gb"), Lang::En);
        assert_eq!(Lang::parse("sv"), Lang::Sv);
        assert_eq!(Lang::parse("sv-SE"), Lang::Sv);
        assert_eq!(Lang::parse(""), Lang::Sv);
        assert_eq!(Lang::parse("de"), Lang::Sv);
        assert_eq!(Lang::default(), Lang::Sv);
    }

    /// Every compiled-in clip is an 8 kHz mono 16-bit WAV with audible speech, in both
    /// languages (so the script and the table agree).
    #[test]
    fn every_clip_is_8k_mono_speech() {
        for (lang, table) in [(Lang::Sv, SV), (Lang::En, EN)] {
            for (name, bytes) in table {
                let r = hound::WavReader::new(Cursor::new(*bytes)).unwrap();
                let spec = r.spec();
                assert_eq!(
                    (spec.sample_rate, spec.channels, spec.bits_per_sample),
                    (8000, 1, 16),
                    "{name}"
                );
                let pcm = clip(lang, name);
                assert!(pcm.len() > 800, "{lang:?} {name}: {} samples", pcm.len());
                // Normalised by the script (-3 dBFS; sox measures before its last rounding, so
                // allow a few dB): no clip is much quieter than another.
                let peak = pcm.iter().map(|s| s.unsigned_abs()).max().unwrap();
                assert!(peak > 16_000, "{lang:?} {name}: peak {peak}");
            }
        }
    }

    #[test]
    fn every_prompt_has_audio_in_both_languages() {
        let mut prompts = every_fixed_prompt();
        prompts.extend((0..=59).map(Prompt::Number));
        prompts.extend((1..=31).map(Prompt::Ordinal));
        prompts.extend((1..=12).map(Prompt::Month));
        for lang in [Lang::Sv, Lang::En] {
            for p in &prompts {
                let a = pcm(lang, *p);
                assert!(a.len() > 800 && rms(&a) > 1000.0, "{lang:?} {p:?}");
            }
        }
        // The two languages are different recordings.
        assert_ne!(
            pcm(Lang::Sv, Prompt::MainMenu),
            pcm(Lang::En, Prompt::MainMenu)
        );
    }

    #[test]
    fn numbers_compose_from_tens_and_units() {
        let names = |n| clip_names(Prompt::Number(n));
        assert_eq!(names(0), ["n00"]);
        assert_eq!(names(7), ["n07"]);
        assert_eq!(names(19), ["n19"]);
        assert_eq!(names(20), ["n20"]);
        assert_eq!(names(21), ["n20", "n01"]);
        assert_eq!(names(59), ["n50", "n09"]);
        assert_eq!(names(100), ["n01", "hundred"]);
        assert_eq!(names(123), ["n01", "hundred", "n20", "n03"]);
        // "nio tusen nio hundra nittio nio"
        assert_eq!(
            names(9999),
            ["n09", "thousand", "n09", "hundred", "n90", "n09"]
        );
        assert_eq!(names(2005), ["n02", "thousand", "n05"]);
        assert_eq!(names(1_000_000).len(), 7);
        // A composed number is its clips with a short join between them.
        let sv21 = pcm(Lang::Sv, Prompt::Number(21));
        let parts = clip(Lang::Sv, "n20").len() + clip(Lang::Sv, "n01").len();
        assert_eq!(sv21.len(), parts + JOIN_GAP);
    }

    #[test]
    fn ordinals_and_months() {
        let names = |d| clip_names(Prompt::Ordinal(d));
        assert_eq!(names(1), ["o01"]);
        assert_eq!(names(7), ["o07"]);
        assert_eq!(names(20), ["o20"]);
        assert_eq!(names(21), ["n20", "o01"]);
        assert_eq!(names(29), ["n20", "o09"]);
        assert_eq!(names(30), ["o30"]);
        assert_eq!(names(31), ["n30", "o01"]);
        // Out of range: the cardinal, never a panic.
        assert_eq!(names(0), ["n00"]);
        assert_eq!(names(45), ["n40", "n05"]);
        assert_eq!(clip_names(Prompt::Month(12)), ["m12"]);
        assert_eq!(clip_names(Prompt::Month(13)), ["n13"]);
        assert_eq!(clip_names(Prompt::Month(0)), ["n00"]);
    }

    #[test]
    fn counts() {
        use Prompt::*;
        assert_eq!(count(0, NewMessage, NewMessages), [NoMessages]);
        assert_eq!(
            count(1, NewMessage, NewMessages),
            [YouHave, Number(1), NewMessage]
        );
        assert_eq!(
            count(3, SavedMessage, SavedMessages),
            [YouHave, Number(3), SavedMessages]
        );
        assert_eq!(
            count(9999, NewMessage, NewMessages),
            [YouHave, Number(9999), NewMessages]
        );
    }

    fn stockholm(utc: &str) -> jiff::Zoned {
        utc.parse::<jiff::Timestamp>()
            .unwrap()
            .in_tz("Europe/Stockholm")
            .unwrap()
    }

    /// Winter: CET is UTC+1, so 15:08 UTC is 16:08 in Stockholm.
    #[test]
    fn received_in_winter() {
        use Prompt::*;
        let t = stockholm("2026-12-07T15:08:00Z");
        assert_eq!(
            received_at(Lang::Sv, &t),
            [
                Received,
                Ordinal(7),
                Month(12),
                At,
                Number(16),
                Oh,
                Number(8)
            ]
        );
        assert_eq!(
            received_at(Lang::En, &t),
            [
                Received,
                Month(12),
                Ordinal(7),
                At,
                Number(4),
                Oh,
                Number(8),
                Pm
            ]
        );
    }

    /// Summer: CEST is UTC+2, so 22:30 UTC on 30 June is 00:30 on 1 July in Stockholm — the
    /// date moves too.
    #[test]
    fn received_in_summer_crossing_midnight() {
        use Prompt::*;
        let t = stockholm("2026-06-30T22:30:00Z");
        assert_eq!(
            received_at(Lang::Sv, &t),
            [Received, Ordinal(1), Month(7), At, Number(0), Number(30)]
        );
        assert_eq!(
            received_at(Lang::En, &t),
            [
                Received,
                Month(7),
                Ordinal(1),
                At,
                Number(12),
                Number(30),
                Am
            ]
        );
        // A full hour at noon: "klockan tolv" / "twelve o'clock p m".
        let noon = stockholm("2026-07-21T10:00:00Z");
        assert_eq!(
            received_at(Lang::Sv, &noon),
            [Received, Ordinal(21), Month(7), At, Number(12)]
        );
        assert_eq!(
            received_at(Lang::En, &noon),
            [Received, Month(7), Ordinal(21), At, Number(12), OClock, Pm]
        );
    }

    #[test]
    fn sequence_pauses_longer_after_sentences() {
        use Prompt::*;
        let wrong = pcm(Lang::Sv, WrongPin).len();
        let enter = pcm(Lang::Sv, EnterPin).len();
        assert_eq!(
            sequence(Lang::Sv, &[WrongPin, EnterPin]).len(),
            wrong + SENTENCE_GAP + enter
        );
        let phrase = count(2, NewMessage, NewMessages);
        let parts: usize = phrase.iter().map(|p| pcm(Lang::En, *p).len()).sum();
        assert_eq!(sequence(Lang::En, &phrase).len(), parts + 2 * WORD_GAP);
        assert!(sequence(Lang::En, &[]).is_empty());
    }

    #[test]
    fn beep_is_a_clean_tone() {
        let b = pcm(Lang::Sv, Prompt::Beep);
        assert_eq!(b.len(), 3200);
        assert_eq!(b, pcm(Lang::En, Prompt::Beep));
        assert!(b[0].unsigned_abs() < 100 && b[b.len() - 1].unsigned_abs() < 100);
        assert!(rms(&b) > 5000.0);
    }
}
