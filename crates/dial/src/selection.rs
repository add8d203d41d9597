//! Free text the user selected, e.g. "Tel: 08-12 34 56 ext 12" or
//! "+46 (0)8 123 456", reduced to the first phone number in it.
//!
//! A run starts at a digit (or `+`/`(` before one) that is not glued to a
//! word, and continues over digits and visual separators. Runs that do not
//! normalise (dates, order numbers) are skipped; if none does, the first
//! run's error is reported.

use crate::chars::{check_len, check_selection_chars, fold, is_invisible};
use crate::number::{compact, from_compact};
use crate::{parse_link, DialError, DialPlan, DialTarget, MAX_SELECTION_LEN};

/// At most this many separators in a row inside one number (" - ").
const MAX_SEPARATOR_RUN: usize = 3;
const MAX_EXT_DIGITS: usize = 16;
/// A lone digit in prose ("floor 3", "alert(1)") is never taken as a number.
const MIN_DIGITS: usize = 2;
/// Longest first: "ankn." must win over "ankn", "ext." over "ext".
const EXT_KEYWORDS: &[&str] = &[
    "anknytning",
    "extension",
    "ankn.",
    "ankn",
    "ext.",
    "ext",
    "x",
];

/// Finds the phone number (or leading `sip:`/`sips:`/`callto:`/`tel:` link)
/// in selected text. Refuses text over [`MAX_SELECTION_LEN`] characters,
/// controls other than tabs/line breaks, and text without a number.
pub fn clean_selection(text: &str, plan: &DialPlan) -> Result<DialTarget, DialError> {
    check_len(text, MAX_SELECTION_LEN)?;
    check_selection_chars(text)?;
    let folded: String = text
        .chars()
        .filter(|c| !is_invisible(*c))
        .map(fold)
        .collect();
    let trimmed = folded.trim();
    if trimmed.is_empty() {
        return Err(DialError::Empty);
    }
    if let Some(link) = leading_link(trimmed) {
        return parse_link(link, plan);
    }
    // A service code typed or selected on its own (`*21#`, `#21#`): runs start at digits and
    // would drop its `*` and `#`, dialling a different number.
    if trimmed.contains(['*', '#']) {
        if let Ok(number) = crate::number::normalise_number(trimmed, plan) {
            return Ok(DialTarget::Phone(number));
        }
    }
    let chars: Vec<char> = trimmed.chars().collect();
    let mut first_error = None;
    let mut from = 0;
    while let Some(run) = find_run(&chars, from, plan) {
        from = run.next;
        let text: String = chars
            .get(run.start..run.end)
            .unwrap_or_default()
            .iter()
            .collect();
        let digits = text.chars().filter(char::is_ascii_digit).count();
        let result = if digits < MIN_DIGITS {
            Err(DialError::NotANumber)
        } else if run.glued_letters {
            Err(DialError::LettersNotAllowed)
        } else {
            compact(&text, plan).and_then(|c| from_compact(&c, plan))
        };
        match result {
            Ok(mut number) => {
                number.ext = run.ext;
                return Ok(DialTarget::Phone(number));
            }
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    Err(first_error.unwrap_or(DialError::NotANumber))
}

/// The selection's first word, if it is a link we handle.
fn leading_link(trimmed: &str) -> Option<&str> {
    let token = trimmed.split_whitespace().next()?;
    let lower = token.to_ascii_lowercase();
    let is_link = ["sip:", "sips:", "callto:"]
        .iter()
        .any(|s| lower.starts_with(s) && lower.len() > s.len());
    // "Tel: 08-12 34 56" is a label, "tel:+468123456" a pasted link.
    let is_tel_link = lower.starts_with("tel:") && lower.len() > 4 && token == trimmed;
    (is_link || is_tel_link).then_some(token)
}

struct Run {
    start: usize,
    /// Exclusive; just after the last digit (or vanity letter).
    end: usize,
    ext: Option<String>,
    /// Letters stuck to the number ("1-800-FLOWERS") while letters are off.
    glued_letters: bool,
    /// Where to continue searching.
    next: usize,
}

fn find_run(c: &[char], mut i: usize, plan: &DialPlan) -> Option<Run> {
    while let Some(&ch) = c.get(i) {
        let prev_alnum = i
            .checked_sub(1)
            .and_then(|p| c.get(p))
            .is_some_and(|p| p.is_alphanumeric());
        let next_digit = c.get(i + 1).is_some_and(char::is_ascii_digit);
        let starts = ch.is_ascii_digit() || (matches!(ch, '+' | '(') && next_digit);
        if starts && !prev_alnum {
            return Some(extend(c, i, plan));
        }
        if ch.is_alphanumeric() {
            // Digits inside a word ("A1234", "v2") are not a number.
            while c.get(i).is_some_and(|x| x.is_alphanumeric()) {
                i += 1;
            }
        } else {
            i += 1;
        }
    }
    None
}

fn extend(c: &[char], start: usize, plan: &DialPlan) -> Run {
    let mut j = start;
    let mut end = start;
    let mut separators = 0;
    while let Some(&ch) = c.get(j) {
        if ch.is_ascii_digit() {
            j += 1;
            end = j;
            separators = 0;
        } else if j == start && matches!(ch, '+' | '(') {
            j += 1;
        } else if matches!(ch, ' ' | '-' | '.' | '/' | '(' | ')') {
            separators += 1;
            if separators > MAX_SEPARATOR_RUN || is_list_separator(c, j, separators) {
                break;
            }
            j += 1;
        } else if let Some(word_end) = vanity_word(c, j).filter(|_| plan.allow_letters) {
            j = word_end;
            end = j;
            separators = 0;
        } else {
            break;
        }
    }
    let glued_letters = !plan.allow_letters && letters_glued_at(c, end);
    let (ext, next) = match extension_at(c, end) {
        Some((ext, after)) => (Some(ext), after),
        None => (None, end.max(start + 1)),
    };
    Run {
        start,
        end,
        ext,
        glued_letters,
        next,
    }
}

/// " / " between two numbers ("070-123 45 67 / 08-123 45 67") separates
/// them; a bare "/" ("08/123 45 67") is a visual separator.
fn is_list_separator(c: &[char], j: usize, separators: usize) -> bool {
    let gap_start = (j + 1).saturating_sub(separators);
    let gap = c.get(gap_start..=j).unwrap_or_default();
    gap.contains(&'/') && gap.contains(&' ')
}

/// End of the letter word starting at `j` if it continues a number directly
/// (no space before it) and is not an extension keyword.
fn vanity_word(c: &[char], j: usize) -> Option<usize> {
    let prev = c.get(j.checked_sub(1)?)?;
    if !(prev.is_ascii_digit() || matches!(prev, '-' | '.')) {
        return None;
    }
    let end = word_end(c, j);
    if end == j || is_ext_keyword(c, j, end) {
        return None;
    }
    Some(end)
}

fn word_end(c: &[char], mut j: usize) -> usize {
    while c.get(j).is_some_and(char::is_ascii_alphabetic) {
        j += 1;
    }
    j
}

fn is_ext_keyword(c: &[char], start: usize, end: usize) -> bool {
    let word: String = c.get(start..end).unwrap_or_default().iter().collect();
    let word = word.to_ascii_lowercase();
    EXT_KEYWORDS.iter().any(|k| k.trim_end_matches('.') == word)
}

/// True if a letter word starts right after the number (`800FLOWERS`,
/// `800-FLOWERS`) and is not an extension keyword.
fn letters_glued_at(c: &[char], end: usize) -> bool {
    let at = match c.get(end) {
        Some(ch) if ch.is_ascii_alphabetic() => end,
        Some('-') if c.get(end + 1).is_some_and(char::is_ascii_alphabetic) => end + 1,
        _ => return false,
    };
    !is_ext_keyword(c, at, word_end(c, at))
}

/// Parses ", ext. 12" / " anknytning 12" / "x12" after a number. Returns the
/// digits and the index after them.
fn extension_at(c: &[char], mut k: usize) -> Option<(String, usize)> {
    while c.get(k).is_some_and(|ch| matches!(ch, ' ' | ',')) {
        k += 1;
    }
    let keyword = EXT_KEYWORDS.iter().find(|kw| {
        let len = kw.chars().count();
        let candidate: String = c.get(k..k + len).unwrap_or_default().iter().collect();
        candidate.eq_ignore_ascii_case(kw) && !c.get(k + len).is_some_and(char::is_ascii_alphabetic)
    })?;
    k += keyword.chars().count();
    while c.get(k).is_some_and(|ch| matches!(ch, ' ' | ':' | '.')) {
        k += 1;
    }
    let mut digits = String::new();
    while let Some(ch) = c.get(k).filter(|ch| ch.is_ascii_digit()) {
        digits.push(*ch);
        k += 1;
    }
    (!digits.is_empty() && digits.len() <= MAX_EXT_DIGITS).then_some((digits, k))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{NumberKind, PhoneNumber};

    fn phone(text: &str) -> PhoneNumber {
        phone_with(text, &DialPlan::default())
    }

    #[test]
    fn a_service_code_on_its_own_keeps_its_star_and_hash() {
        let code = phone(" *21# ");
        assert_eq!(code.dial_string, "*21#");
        assert_eq!(phone("#31#").dial_string, "#31#");
        // Numbers without a code still go through the runs.
        assert_eq!(phone("070-123 45 67").dial_string, "+46701234567");
    }

    fn phone_with(text: &str, plan: &DialPlan) -> PhoneNumber {
        match clean_selection(text, plan) {
            Ok(DialTarget::Phone(p)) => p,
            other => panic!("{text:?}: {other:?}"),
        }
    }

    fn err(text: &str) -> DialError {
        clean_selection(text, &DialPlan::default()).unwrap_err()
    }

    #[test]
    fn brief_examples() {
        assert_eq!(phone("070-123 45 67").e164.as_deref(), Some("+46701234567"));
        let p = phone("+46 (0)8 123 456");
        assert_eq!(p.dial_string.trim_start_matches('+').len(), 9);
        assert!(p.dial_string.starts_with("+468123456"), "{p:?}");
        let p = phone("Tel: 08-12 34 56 ext 12");
        assert_eq!(p.ext.as_deref(), Some("12"));
        assert!(p.dial_string.starts_with("+46812"), "{p:?}");
    }

    #[test]
    fn labels_and_swedish_extension_words() {
        let p = phone("Mobil: 070\u{2011}123\u{00A0}45\u{00A0}67");
        assert_eq!(p.e164.as_deref(), Some("+46701234567"));
        assert_eq!(
            phone("Växel 08-123 456 78, ankn. 4411").ext.as_deref(),
            Some("4411")
        );
        assert_eq!(
            phone("08-123 456 78 anknytning: 12").ext.as_deref(),
            Some("12")
        );
        assert_eq!(phone("08-123 456 78 x12").ext.as_deref(), Some("12"));
        assert_eq!(phone("08-123 456 78 EXT.7").ext.as_deref(), Some("7"));
        assert_eq!(phone("08-123 456 78 extra 12").ext, None);
    }

    #[test]
    fn unicode_dashes_full_width_and_invisible_characters() {
        let a = phone("０７０—１２３　４５　６７");
        let b = phone("\u{FEFF}070\u{200B}-123 45 67\u{200E}");
        assert_eq!(a.e164.as_deref(), Some("+46701234567"));
        assert_eq!(a, b);
    }

    #[test]
    fn short_numbers_and_words_with_digits() {
        let p = phone("Ring Anna på 3267");
        assert_eq!(
            (p.kind, p.dial_string.as_str()),
            (NumberKind::Short, "3267")
        );
        // "A1234" and "v2" are identifiers, not numbers.
        assert_eq!(
            phone("Ärende A1234 v2: 070-123 45 67").e164.as_deref(),
            Some("+46701234567")
        );
    }

    #[test]
    fn skips_runs_that_are_not_numbers() {
        assert_eq!(
            phone("2024-05-01: ring 070-123 45 67").e164.as_deref(),
            Some("+46701234567")
        );
        assert_eq!(err("Möte 2024-05-01").code(), "invalid_number");
    }

    #[test]
    fn slash_with_spaces_separates_numbers() {
        let p = phone("070-123 45 67 / 08-123 456 78");
        assert_eq!(p.e164.as_deref(), Some("+46701234567"));
        let p = phone("08/123 456 78");
        assert_eq!(p.e164.as_deref(), Some("+46812345678"));
    }

    #[test]
    fn line_breaks_end_a_number() {
        let p = phone("08-123 456 78\n45 67");
        assert_eq!(p.e164.as_deref(), Some("+46812345678"));
    }

    #[test]
    fn vanity_numbers() {
        let us = DialPlan::for_country("US");
        assert_eq!(
            clean_selection("Call 1-800-FLOWERS now", &us),
            Err(DialError::LettersNotAllowed)
        );
        let letters = DialPlan {
            allow_letters: true,
            ..us
        };
        let p = phone_with("Call 1-800-FLOWERS now", &letters);
        assert_eq!(p.e164.as_deref(), Some("+18003569377"));
        let p = phone_with("1-800-356-9377 ext 5", &letters);
        assert_eq!(
            (p.e164.as_deref(), p.ext.as_deref()),
            (Some("+18003569377"), Some("5"))
        );
    }

    #[test]
    fn links_in_selections() {
        let plan = DialPlan::default();
        match clean_selection("  sip:alice@example.com  ", &plan) {
            Ok(DialTarget::Sip(a)) => assert_eq!(a.display, "alice@example.com"),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            phone("tel:+46701234567").e164.as_deref(),
            Some("+46701234567")
        );
        assert_eq!(
            phone("Tel:+46 70 123 45 67").e164.as_deref(),
            Some("+46701234567")
        );
    }

    #[test]
    fn refusals() {
        assert_eq!(err(""), DialError::Empty);
        assert_eq!(err(" \t\n\u{200B} "), DialError::Empty);
        assert_eq!(err("hello world"), DialError::NotANumber);
        assert_eq!(err("bob@example.com"), DialError::NotANumber);
        assert_eq!(err("javascript:alert(1)"), DialError::NotANumber);
        assert_eq!(err("Våning 3"), DialError::NotANumber);
        // Only the number is ever taken from a payload, never the script.
        let p = phone("javascript:alert(070-123 45 67)");
        assert_eq!(p.dial_string, "+46701234567");
        assert_eq!(err("070\u{7}1234567"), DialError::ControlCharacter(7));
        assert_eq!(
            err("\u{202E}76 54 321-070"),
            DialError::ControlCharacter(0x202E)
        );
        assert_eq!(
            err(&"1".repeat(1025)),
            DialError::TooLong {
                len: 1025,
                max: 1024
            }
        );
    }
}
