//! The text of a "new voicemail" e-mail, in Swedish (default) or English, and the name of the
//! attached recording.

use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

/// The language of mail a user receives.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Sv,
    En,
}

impl Lang {
    pub fn as_str(self) -> &'static str {
        match self {
            Lang::Sv => "sv",
            Lang::En => "en",
        }
    }

    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "sv" => Some(Lang::Sv),
            "en" => Some(Lang::En),
            _ => None,
        }
    }
}

/// What the notice says about one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoicemailNotice {
    /// The mailbox owner's display name, for the greeting.
    pub owner_name: String,
    /// The caller as the switch saw them (user name or number).
    pub caller: String,
    /// The caller's name from the directory or a shared contact, when known.
    pub caller_name: Option<String>,
    /// The caller's number when the directory knows one and `caller` is a user name.
    pub caller_number: Option<String>,
    /// Unix time the message was left.
    pub at: i64,
    pub duration_ms: u64,
    /// Whether the recording is attached.
    pub attached: bool,
}

/// Subject and plain-text body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub body: String,
}

/// The time in the switch's zone, e.g. `2026-12-07 17:20 CET` (the same in Swedish and
/// English).
fn local_time(at: i64, tz: &TimeZone, format: &str) -> String {
    match jiff::Timestamp::from_second(at) {
        Ok(t) => t.to_zoned(tz.clone()).strftime(format).to_string(),
        // Outside jiff's range (year ±9999): not a time a message was left at, but say something.
        Err(_) => crate::activity::format_unix(at),
    }
}

/// `m:ss`, rounded to the nearest second (a 0.6 s message is "0:01", not "0:00").
fn duration_text(ms: u64) -> String {
    let s = ms.saturating_add(500) / 1000;
    format!("{}:{:02}", s / 60, s % 60)
}

/// Header-safe: a caller name from a directory or contact must not break the Subject line.
fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_string()
}

impl VoicemailNotice {
    /// "Name (number)", "Name" or just what the switch saw.
    fn caller_text(&self) -> String {
        let caller = one_line(&self.caller);
        match (
            self.caller_name.as_deref().map(one_line),
            self.caller_number.as_deref().map(one_line),
        ) {
            (Some(name), Some(number)) if !name.is_empty() => format!("{name} ({number})"),
            (Some(name), None) if !name.is_empty() && name != caller => {
                format!("{name} ({caller})")
            }
            (Some(name), None) if !name.is_empty() => name,
            (_, Some(number)) => number,
            _ => caller,
        }
    }

    /// The attachment's file name, e.g. `rostmeddelande-2026-12-07-1720.wav`: ASCII so every
    /// mail client shows it, with the local time so several messages sort and differ.
    pub fn file_name(&self, lang: Lang, tz: &TimeZone) -> String {
        let stamp = local_time(self.at, tz, "%Y-%m-%d-%H%M");
        let base = match lang {
            Lang::Sv => "rostmeddelande",
            Lang::En => "voicemail",
        };
        format!("{base}-{stamp}.wav")
    }

    pub fn render(&self, lang: Lang, tz: &TimeZone) -> Rendered {
        let who = self.caller_text();
        let when = local_time(self.at, tz, "%Y-%m-%d %H:%M %Z");
        let length = duration_text(self.duration_ms);
        let owner = one_line(&self.owner_name);
        match lang {
            Lang::Sv => Rendered {
                subject: format!("Nytt röstmeddelande från {who}"),
                body: format!(
                    "Hej {owner}!\n\n\
                     Du har fått ett nytt röstmeddelande.\n\n\
                     Från:  {who}\n\
                     Tid:   {when}\n\
                     Längd: {length}\n\n\
                     {}\n\n\
                     Hälsningar\nKoppla Växel\n",
                    if self.attached {
                        "Meddelandet finns som ljudfil (WAV) i det här brevet. Du kan också lyssna på det i Koppla."
                    } else {
                        "Lyssna på meddelandet i Koppla."
                    }
                ),
            },
            Lang::En => Rendered {
                subject: format!("New voicemail from {who}"),
                body: format!(
                    "Hello {owner},\n\n\
                     You have a new voicemail message.\n\n\
                     From:     {who}\n\
                     Time:     {when}\n\
                     Duration: {length}\n\n\
                     {}\n\n\
                     Regards\nKoppla Växel\n",
                    if self.attached {
                        "The message is attached as a sound file (WAV). You can also listen to it in Koppla."
                    } else {
                        "Listen to the message in Koppla."
                    }
                ),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stockholm() -> TimeZone {
        TimeZone::get("Europe/Stockholm").expect("tzdata has Europe/Stockholm")
    }

    fn notice() -> VoicemailNotice {
        VoicemailNotice {
            owner_name: "Bob Berg".into(),
            caller: "alice".into(),
            caller_name: Some("Alice Andersson".into()),
            caller_number: Some("1001".into()),
            // 2026-12-07 16:20:00 UTC.
            at: 1_796_660_400,
            duration_ms: 83_400,
            attached: true,
        }
    }

    #[test]
    fn swedish_notice() {
        let r = notice().render(Lang::Sv, &stockholm());
        assert_eq!(r.subject, "Nytt röstmeddelande från Alice Andersson (1001)");
        assert_eq!(
            r.body,
            "Hej Bob Berg!\n\nDu har fått ett nytt röstmeddelande.\n\n\
             Från:  Alice Andersson (1001)\nTid:   2026-12-07 17:20 CET\nLängd: 1:23\n\n\
             Meddelandet finns som ljudfil (WAV) i det här brevet. Du kan också lyssna på det i Koppla.\n\n\
             Hälsningar\nKoppla Växel\n"
        );
        assert_eq!(
            notice().file_name(Lang::Sv, &stockholm()),
            "rostmeddelande-2026-12-07-1720.wav"
        );
        // Summer time: 2026-07-01 10:00 UTC.
        let mut summer = notice();
        summer.at = 1_782_900_000;
        let r = summer.render(Lang::Sv, &stockholm());
        assert!(
            r.body.contains("Tid:   2026-07-01 12:00 CEST\n"),
            "{}",
            r.body
        );
    }

    #[test]
    fn english_notice_without_attachment() {
        let mut n = notice();
        n.attached = false;
        let r = n.render(Lang::En, &TimeZone::UTC);
        assert_eq!(r.subject, "New voicemail from Alice Andersson (1001)");
        assert!(r.body.starts_with("Hello Bob Berg,\n"), "{}", r.body);
        assert!(
            r.body.contains("From:     Alice Andersson (1001)\n"),
            "{}",
            r.body
        );
        assert!(
            r.body.contains("Time:     2026-12-07 16:20 UTC\n"),
            "{}",
            r.body
        );
        assert!(r.body.contains("Duration: 1:23\n"), "{}", r.body);
        assert!(
            r.body.contains("Listen to the message in Koppla."),
            "{}",
            r.body
        );
        assert!(!r.body.contains("attached"), "{}", r.body);
        assert_eq!(
            n.file_name(Lang::En, &TimeZone::UTC),
            "voicemail-2026-12-07-1620.wav"
        );
    }

    #[test]
    fn unknown_callers_and_hostile_names() {
        let mut n = notice();
        n.caller = "+46701234567".into();
        n.caller_name = None;
        n.caller_number = None;
        assert_eq!(
            n.render(Lang::Sv, &TimeZone::UTC).subject,
            "Nytt röstmeddelande från +46701234567"
        );
        // A shared contact's name for an outside number.
        n.caller_name = Some("Leverantören AB".into());
        assert_eq!(
            n.render(Lang::En, &TimeZone::UTC).subject,
            "New voicemail from Leverantören AB (+46701234567)"
        );
        // Line breaks in a name cannot add headers.
        n.caller_name = Some("Eve\r\nBcc: x@example.se".into());
        let r = n.render(Lang::En, &TimeZone::UTC);
        assert!(
            !r.subject.contains('\n') && !r.subject.contains('\r'),
            "{:?}",
            r.subject
        );
        assert_eq!(duration_text(600), "0:01");
        assert_eq!(duration_text(0), "0:00");
        assert_eq!(duration_text(3_600_000), "60:00");
    }

    #[test]
    fn languages_parse() {
        assert_eq!(Lang::parse("sv"), Some(Lang::Sv));
        assert_eq!(Lang::parse("en"), Some(Lang::En));
        assert_eq!(Lang::parse("de"), None);
        assert_eq!(Lang::default().as_str(), "sv");
    }
}
