//! Character-level helpers shared by the link and free-text parsers:
//! length limits, control-character policy, Unicode folding, percent-decoding.

use crate::DialError;

/// Refuses input longer than `max` characters (never truncates).
pub(crate) fn check_len(input: &str, max: usize) -> Result<(), DialError> {
    // A byte length within the limit cannot hide too many chars; only count
    // chars when it might matter.
    if input.len() > max {
        let len = input.chars().count();
        if len > max {
            return Err(DialError::TooLong { len, max });
        }
    }
    Ok(())
}

/// Characters that reorder or hide text. A link or number containing them
/// could display differently from what would be dialled.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Invisible characters that web pages sprinkle into copied text; harmless
/// in a selection, but suspicious inside a link.
pub(crate) fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}' | '\u{061C}' | '\u{200B}'..='\u{200F}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}'
    )
}

fn is_line_break(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}' | '\u{0085}')
}

/// Link policy: no controls, no bidi overrides, no invisible characters.
pub(crate) fn check_link_chars(s: &str) -> Result<(), DialError> {
    match s
        .chars()
        .find(|&c| c.is_control() || is_bidi_control(c) || is_invisible(c) || is_line_break(c))
    {
        Some(c) => Err(DialError::ControlCharacter(c as u32)),
        None => Ok(()),
    }
}

/// Selection policy: tabs and line breaks are ordinary text; any other
/// control or a bidi override is refused.
pub(crate) fn check_selection_chars(s: &str) -> Result<(), DialError> {
    match s
        .chars()
        .find(|&c| (c.is_control() && c != '\t' && !is_line_break(c)) || is_bidi_control(c))
    {
        Some(c) => Err(DialError::ControlCharacter(c as u32)),
        None => Ok(()),
    }
}

/// Folds typographic variants to their ASCII meaning: full-width and
/// Arabic-Indic digits, Unicode dashes, no-break and thin spaces, full-width
/// punctuation. Anything else is returned unchanged.
pub(crate) fn fold(c: char) -> char {
    match c {
        '\u{FF10}'..='\u{FF19}' => shift_digit(c, '\u{FF10}'),
        '\u{0660}'..='\u{0669}' => shift_digit(c, '\u{0660}'),
        '\u{06F0}'..='\u{06F9}' => shift_digit(c, '\u{06F0}'),
        '\u{FF0B}' | '\u{FE62}' => '+',
        '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{FE58}' | '\u{FE63}' | '\u{FF0D}' => '-',
        '\t' | '\u{00A0}' | '\u{2000}'..='\u{200A}' | '\u{202F}' | '\u{205F}' | '\u{3000}' => ' ',
        '\u{FF08}' => '(',
        '\u{FF09}' => ')',
        '\u{FF0E}' => '.',
        '\u{FF0F}' => '/',
        '\u{FF1A}' => ':',
        _ => c,
    }
}

fn shift_digit(c: char, zero: char) -> char {
    let offset = (c as u32).saturating_sub(zero as u32);
    char::from_digit(offset, 10).unwrap_or(c)
}

/// Decodes `%XX` escapes. Malformed escapes and invalid UTF-8 are errors; so
/// is any decoded control, bidi or invisible character (`%00`, `%0A`,
/// `%E2%80%AE`...).
pub(crate) fn percent_decode(s: &str) -> Result<String, DialError> {
    if !s.contains('%') {
        check_link_chars(s)?;
        return Ok(s.to_owned());
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hi = bytes.get(i + 1).and_then(|h| hex_val(*h));
            let lo = bytes.get(i + 2).and_then(|l| hex_val(*l));
            match (hi, lo) {
                (Some(hi), Some(lo)) => out.push(hi << 4 | lo),
                _ => return Err(DialError::InvalidPercentEncoding),
            }
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    let decoded = String::from_utf8(out).map_err(|_| DialError::InvalidPercentEncoding)?;
    check_link_chars(&decoded)?;
    Ok(decoded)
}

fn hex_val(b: u8) -> Option<u8> {
    (b as char).to_digit(16).and_then(|d| u8::try_from(d).ok())
}

/// Maps a letter to its telephone keypad digit (ITU E.161).
pub(crate) fn keypad_digit(c: char) -> Option<char> {
    let d = match c.to_ascii_uppercase() {
        'A'..='C' => '2',
        'D'..='F' => '3',
        'G'..='I' => '4',
        'J'..='L' => '5',
        'M'..='O' => '6',
        'P'..='S' => '7',
        'T'..='V' => '8',
        'W'..='Z' => '9',
        _ => return None,
    };
    Some(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_limit_counts_characters() {
        assert!(check_len(&"å".repeat(256), 256).is_ok());
        assert_eq!(
            check_len(&"1".repeat(257), 256),
            Err(DialError::TooLong { len: 257, max: 256 })
        );
    }

    #[test]
    fn folds_unicode_variants() {
        let s: String = "０７０\u{2013}１２３\u{00A0}45\u{2212}67＋"
            .chars()
            .map(fold)
            .collect();
        assert_eq!(s, "070-123 45-67+");
        assert_eq!(fold('٣'), '3');
        assert_eq!(fold('۹'), '9');
        assert_eq!(fold('x'), 'x');
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("070%20123%2D45").unwrap(), "070 123-45");
        assert_eq!(percent_decode("caf%C3%A9").unwrap(), "café");
        assert_eq!(percent_decode("%2"), Err(DialError::InvalidPercentEncoding));
        assert_eq!(
            percent_decode("%zz"),
            Err(DialError::InvalidPercentEncoding)
        );
        assert_eq!(
            percent_decode("%FF"),
            Err(DialError::InvalidPercentEncoding)
        );
        assert_eq!(percent_decode("1%00"), Err(DialError::ControlCharacter(0)));
        assert_eq!(percent_decode("1%0a"), Err(DialError::ControlCharacter(10)));
        assert_eq!(
            percent_decode("%7F"),
            Err(DialError::ControlCharacter(0x7F))
        );
        assert_eq!(
            percent_decode("%E2%80%AE"),
            Err(DialError::ControlCharacter(0x202E))
        );
        assert_eq!(
            percent_decode("a\u{7}"),
            Err(DialError::ControlCharacter(7))
        );
    }

    #[test]
    fn selection_policy_allows_layout_but_not_controls() {
        assert!(check_selection_chars("Tel:\t08-12\r\n34").is_ok());
        assert_eq!(
            check_selection_chars("08\u{1b}[31m"),
            Err(DialError::ControlCharacter(0x1B))
        );
        assert_eq!(
            check_selection_chars("\u{2067}08"),
            Err(DialError::ControlCharacter(0x2067))
        );
        assert_eq!(
            check_link_chars("tel:08\u{200B}1"),
            Err(DialError::ControlCharacter(0x200B))
        );
    }

    #[test]
    fn keypad_letters() {
        let digits: String = "FLOWERS".chars().filter_map(keypad_digit).collect();
        assert_eq!(digits, "3569377");
        assert_eq!(keypad_digit('q'), Some('7'));
        assert_eq!(keypad_digit('1'), None);
    }
}
