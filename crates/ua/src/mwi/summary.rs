//! The `application/simple-message-summary` body (RFC 3842 section 5): whether messages are
//! waiting, for which account, and how many voice messages are new and old.
//!
//! The body comes from the network, so parsing is bounded and forgiving: only the first
//! [`MAX_LINES`] lines are read, a malformed or other-class line is skipped rather than
//! failing the whole summary, counts that do not fit a `u32` are not guessed at, and nothing
//! here can panic.

/// The body type of message-summary NOTIFYs (what our SUBSCRIBE `Accept`s).
pub const CONTENT_TYPE: &str = "application/simple-message-summary";

/// A real summary has a handful of lines; the optional per-message headers that may follow
/// are not needed, so a long body costs no more than this.
pub const MAX_LINES: usize = 64;

/// A longer Message-Account is not a dialable address anyone configured; dropping it keeps a
/// hostile server from handing the UI (and the voicemail key) kilobytes of text.
pub const MAX_ACCOUNT_LEN: usize = 256;

/// Network text quoted in an error is cut to this many characters.
const QUOTE_LEN: usize = 32;

/// Counts of one message class (`new/old (urgent_new/urgent_old)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    pub new: u32,
    pub old: u32,
    pub urgent_new: u32,
    pub urgent_old: u32,
}

/// What a message-summary body says. Only voice messages are kept: fax, pager, multimedia
/// and text classes are not something a softphone can play.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageSummary {
    /// `Messages-Waiting: yes` (derived from the voice count when a server leaves it out).
    pub waiting: bool,
    /// `Message-Account`: the mailbox URI, often the address that dials into it.
    pub account: Option<String>,
    /// `Voice-Message` counts, when the body has them.
    pub voice: Option<Counts>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SummaryError {
    #[error("the message summary is empty")]
    Empty,
    #[error("Messages-Waiting is {0:?}, not yes or no")]
    BadStatus(String),
    #[error("the message summary has neither Messages-Waiting nor Voice-Message")]
    NoStatus,
}

/// Parse a message-summary body.
pub fn parse(body: &[u8]) -> Result<MessageSummary, SummaryError> {
    let text = String::from_utf8_lossy(body);
    let mut waiting = None;
    let mut account = None;
    let mut voice = None;
    let mut seen_content = false;
    for line in text.lines().take(MAX_LINES) {
        let line = line.trim();
        if line.is_empty() {
            if seen_content {
                // The summary ends here; per-message headers may follow (RFC 3842 5.2).
                break;
            }
            continue;
        }
        seen_content = true;
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let (name, value) = (name.trim(), value.trim());
        if name.eq_ignore_ascii_case("Messages-Waiting") {
            if waiting.is_none() {
                waiting = Some(status(value)?);
            }
        } else if name.eq_ignore_ascii_case("Message-Account") {
            if account.is_none() {
                account = account_uri(value);
            }
        } else if name.eq_ignore_ascii_case("Voice-Message") && voice.is_none() {
            voice = counts(value);
        }
    }
    if !seen_content {
        return Err(SummaryError::Empty);
    }
    let waiting = match (waiting, voice) {
        (Some(w), _) => w,
        // RFC 3842 makes the status line mandatory, but the voice count says it as well.
        (None, Some(c)) => c.new > 0,
        (None, None) => return Err(SummaryError::NoStatus),
    };
    Ok(MessageSummary {
        waiting,
        account,
        voice,
    })
}

fn status(value: &str) -> Result<bool, SummaryError> {
    if value.eq_ignore_ascii_case("yes") {
        Ok(true)
    } else if value.eq_ignore_ascii_case("no") {
        Ok(false)
    } else {
        Err(SummaryError::BadStatus(
            value.chars().take(QUOTE_LEN).collect(),
        ))
    }
}

/// The account URI without angle brackets, when it is one plausible line of printable text.
fn account_uri(value: &str) -> Option<String> {
    let uri = value
        .strip_prefix('<')
        .and_then(|v| v.strip_suffix('>'))
        .unwrap_or(value)
        .trim();
    let printable = uri.chars().all(|c| !c.is_control() && !c.is_whitespace());
    (!uri.is_empty() && uri.len() <= MAX_ACCOUNT_LEN && printable).then(|| uri.to_string())
}

/// `new/old` with an optional `(urgent_new/urgent_old)`; `None` when malformed.
fn counts(value: &str) -> Option<Counts> {
    let (main, urgent) = match value.split_once('(') {
        Some((main, rest)) => (main, Some(rest.strip_suffix(')')?)),
        None => (value, None),
    };
    let (new, old) = pair(main)?;
    let (urgent_new, urgent_old) = match urgent {
        Some(u) => pair(u)?,
        None => (0, 0),
    };
    Some(Counts {
        new,
        old,
        urgent_new,
        urgent_old,
    })
}

fn pair(text: &str) -> Option<(u32, u32)> {
    let (a, b) = text.split_once('/')?;
    Some((number(a)?, number(b)?))
}

/// A count of digits only (`u32::from_str` would also take a leading `+`).
fn number(text: &str) -> Option<u32> {
    let t = text.trim();
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    t.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn voice(new: u32, old: u32) -> Option<Counts> {
        Some(Counts {
            new,
            old,
            ..Counts::default()
        })
    }

    #[test]
    fn reads_the_rfc_3842_example() {
        let body = "Messages-Waiting: yes\r\nMessage-Account: sip:alice@vmail.example.com\r\n\
                    Voice-Message: 4/8 (1/2)\r\n\r\nTo: <alice@atlanta.example.com>\r\n\
                    From: <bob@biloxi.example.com>\r\nSubject: carpool tomorrow?\r\n";
        let s = parse(body.as_bytes()).unwrap();
        assert!(s.waiting);
        assert_eq!(s.account.as_deref(), Some("sip:alice@vmail.example.com"));
        assert_eq!(
            s.voice,
            Some(Counts {
                new: 4,
                old: 8,
                urgent_new: 1,
                urgent_old: 2
            })
        );
    }

    #[test]
    fn asterisk_and_vaxel_bodies() {
        // Asterisk: no account, urgent counts in parentheses.
        let s = parse(b"Messages-Waiting: no\r\nVoice-Message: 0/3 (0/0)\r\n").unwrap();
        assert_eq!((s.waiting, s.account, s.voice), (false, None, voice(0, 3)));
        // Koppla Vaxel (crates/vaxel/src/sip/voicemail.rs).
        let s = parse(
            b"Messages-Waiting: yes\r\nMessage-Account: sip:bob@koppla\r\nVoice-Message: 2/1\r\n",
        )
        .unwrap();
        assert_eq!(
            (s.waiting, s.account.as_deref(), s.voice),
            (true, Some("sip:bob@koppla"), voice(2, 1))
        );
    }

    #[test]
    fn names_are_case_insensitive_and_other_classes_ignored() {
        let body = "messages-waiting:YES\nmessage-account: <sip:*97@pbx>\nFax-Message: 9/9\n\
                    Text-Message: 1/1\nVOICE-MESSAGE:1/0\n";
        let s = parse(body.as_bytes()).unwrap();
        assert!(s.waiting);
        assert_eq!(s.account.as_deref(), Some("sip:*97@pbx"));
        assert_eq!(s.voice, voice(1, 0));
        // Only fax waiting: the status says yes, there is no voice count.
        let s = parse(b"Messages-Waiting: yes\r\nFax-Message: 2/0\r\n").unwrap();
        assert_eq!((s.waiting, s.voice), (true, None));
    }

    #[test]
    fn a_missing_status_line_is_taken_from_the_voice_count() {
        assert!(parse(b"Voice-Message: 1/0\r\n").unwrap().waiting);
        assert!(!parse(b"Voice-Message: 0/5\r\n").unwrap().waiting);
        assert_eq!(
            parse(b"Message-Account: sip:a@b\r\n"),
            Err(SummaryError::NoStatus)
        );
    }

    #[test]
    fn bad_bodies_are_refused_or_their_bad_lines_skipped() {
        assert_eq!(parse(b""), Err(SummaryError::Empty));
        assert_eq!(parse(b"\r\n \r\n"), Err(SummaryError::Empty));
        assert_eq!(
            parse(b"Messages-Waiting: maybe\r\n"),
            Err(SummaryError::BadStatus("maybe".into()))
        );
        let long = format!("Messages-Waiting: {}\r\n", "x".repeat(10_000));
        match parse(long.as_bytes()) {
            Err(SummaryError::BadStatus(q)) => assert_eq!(q.len(), QUOTE_LEN),
            other => panic!("{other:?}"),
        }
        for bad in [
            "1",
            "1/",
            "/2",
            "a/b",
            "-1/0",
            "+1/0",
            "1/2 (3)",
            "1/2 (3/4",
            "4294967296/0",
            "1/2/3",
        ] {
            let body = format!("Messages-Waiting: yes\r\nVoice-Message: {bad}\r\n");
            assert_eq!(parse(body.as_bytes()).unwrap().voice, None, "{bad}");
        }
        // The largest count is kept, not wrapped.
        let s = parse(b"Messages-Waiting: yes\r\nVoice-Message: 4294967295/0\r\n").unwrap();
        assert_eq!(s.voice, voice(u32::MAX, 0));
        // Not UTF-8, control characters in the account, an oversized account.
        let s =
            parse(b"Messages-Waiting: yes\r\nMessage-Account: sip:\x01@x\r\n\xff\xfe\r\n").unwrap();
        assert_eq!(s.account, None);
        let big = format!(
            "Messages-Waiting: no\r\nMessage-Account: sip:{}@x\r\n",
            "a".repeat(300)
        );
        assert_eq!(parse(big.as_bytes()).unwrap().account, None);
    }

    #[test]
    fn only_the_first_lines_are_read() {
        let mut body = "X-Filler: 1\r\n".repeat(MAX_LINES);
        body.push_str("Messages-Waiting: yes\r\n");
        assert_eq!(parse(body.as_bytes()), Err(SummaryError::NoStatus));
        // Per-message headers after the blank line are not the summary.
        let s = parse(b"Messages-Waiting: no\r\n\r\nVoice-Message: 5/5\r\n").unwrap();
        assert_eq!(s.voice, None);
    }

    proptest! {
        #[test]
        fn never_panics_on_any_bytes(body in proptest::collection::vec(any::<u8>(), 0..2048)) {
            let _ = parse(&body);
        }

        #[test]
        fn counts_round_trip(new: u32, old: u32, un: u32, uo: u32, yes: bool) {
            let body = format!(
                "Messages-Waiting: {}\r\nVoice-Message: {new}/{old} ({un}/{uo})\r\n",
                if yes { "yes" } else { "no" }
            );
            let s = parse(body.as_bytes()).unwrap();
            prop_assert_eq!(s.waiting, yes);
            prop_assert_eq!(s.voice, Some(Counts { new, old, urgent_new: un, urgent_old: uo }));
        }

        #[test]
        fn summary_like_lines_never_panic(
            lines in proptest::collection::vec(
                "(Messages-Waiting|Voice-Message|Message-Account|x)?:?[ -~]{0,40}", 0..80)
        ) {
            let _ = parse(lines.join("\r\n").as_bytes());
        }
    }
}
