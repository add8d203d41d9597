//! User names as people type them and as the switch keeps them.
//!
//! A user name becomes a SIP user part, a URL path segment and the digest user name, so the
//! switch stores a plain form: lowercase ASCII letters, digits, `.`, `_`, `-`, starting with a
//! letter. People type "Receptionen" or "Anna Öberg"; refusing that lost new users at the first
//! login, so every place a typed name enters the switch runs it through [`normalise_username`]
//! instead, and the display name keeps what was typed.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// Longest stored user name, in bytes (all ASCII, so also characters).
pub const MAX_USERNAME_LEN: usize = 64;

/// Why a typed user name has no stored form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsernameError {
    #[error("the user name is empty")]
    Empty,
    #[error("the user name is longer than {MAX_USERNAME_LEN} characters")]
    TooLong,
    #[error("a user name cannot contain {0:?}")]
    Character(char),
    #[error("a user name must start with a letter")]
    FirstCharacter,
}

/// The stored form of a typed user name: trimmed, lowercase, accents dropped (å, ä → a, ö → o,
/// é → e), letters without a decomposition spelled out (æ → ae, ø → o, ß → ss), runs of white
/// space turned into one `.`, apostrophes dropped ("O'Brien" → obrien). Characters with no
/// Latin spelling (`@`, `/`, Cyrillic…) are refused rather than dropped: guessing there would
/// make two different names collide.
pub fn normalise_username(typed: &str) -> Result<String, UsernameError> {
    let mut out = String::with_capacity(typed.len());
    let mut space = false;
    // NFKD splits "ö" into "o" + a combining diaeresis and full-width "Ａ" into "A".
    for c in typed.trim().nfkd() {
        if c.is_whitespace() {
            space = true;
            continue;
        }
        if is_combining_mark(c) || matches!(c, '\'' | '\u{2019}' | '`' | '\u{00b4}') {
            continue;
        }
        if space {
            out.push('.');
            space = false;
        }
        for lower in c.to_lowercase() {
            match lower {
                'a'..='z' | '0'..='9' | '.' | '_' | '-' => out.push(lower),
                'æ' => out.push_str("ae"),
                'œ' => out.push_str("oe"),
                'ø' => out.push('o'),
                'ß' => out.push_str("ss"),
                'ð' | 'đ' => out.push('d'),
                'þ' => out.push_str("th"),
                'ł' => out.push('l'),
                'ı' => out.push('i'),
                // Lowercasing "İ" yields "i" plus a combining dot, which is dropped like any accent.
                m if is_combining_mark(m) => {}
                _ => return Err(UsernameError::Character(c)),
            }
        }
    }
    if out.is_empty() {
        return Err(UsernameError::Empty);
    }
    if out.len() > MAX_USERNAME_LEN {
        return Err(UsernameError::TooLong);
    }
    if !out.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Err(UsernameError::FirstCharacter);
    }
    Ok(out)
}

/// Whether `s` is already a stored user name (what [`normalise_username`] produces).
pub fn valid_username(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_USERNAME_LEN
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))
        && s.starts_with(|c: char| c.is_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn n(s: &str) -> Result<String, UsernameError> {
        normalise_username(s)
    }

    #[test]
    fn stored_names_are_simple() {
        assert!(valid_username("alice"));
        assert!(valid_username("a.b-c_1"));
        assert!(!valid_username(""));
        assert!(!valid_username("Alice"));
        assert!(!valid_username("1abc"));
        assert!(!valid_username("a b"));
        assert!(!valid_username(&"a".repeat(65)));
    }

    #[test]
    fn capitals_and_swedish_letters_are_spelled_plainly() {
        assert_eq!(n("Receptionen").as_deref(), Ok("receptionen"));
        assert_eq!(n("anna.öberg").as_deref(), Ok("anna.oberg"));
        assert_eq!(n("  Åsa Ängström ").as_deref(), Ok("asa.angstrom"));
        assert_eq!(n("ANNA ÖBERG").as_deref(), Ok("anna.oberg"));
        assert_eq!(n("René").as_deref(), Ok("rene"));
    }

    #[test]
    fn other_diacritics_and_letters_are_spelled_out() {
        assert_eq!(
            n("Müller-Lüdenscheidt").as_deref(),
            Ok("muller-ludenscheidt")
        );
        assert_eq!(n("Nuñez").as_deref(), Ok("nunez"));
        assert_eq!(n("Søren Kierkegaard").as_deref(), Ok("soren.kierkegaard"));
        assert_eq!(n("Æsa").as_deref(), Ok("aesa"));
        assert_eq!(n("Strauß").as_deref(), Ok("strauss"));
        assert_eq!(n("Łukasz").as_deref(), Ok("lukasz"));
        assert_eq!(n("İlker").as_deref(), Ok("ilker"));
        assert_eq!(n("Ｒｅｃｅｐｔｉｏｎ").as_deref(), Ok("reception"));
        assert_eq!(n("O'Brien").as_deref(), Ok("obrien"));
    }

    #[test]
    fn white_space_runs_become_one_dot() {
        assert_eq!(n("anna \t öberg").as_deref(), Ok("anna.oberg"));
        assert_eq!(n("anna_b").as_deref(), Ok("anna_b"));
    }

    #[test]
    fn names_without_a_plain_spelling_are_refused_with_the_reason() {
        assert_eq!(n(""), Err(UsernameError::Empty));
        assert_eq!(n("   "), Err(UsernameError::Empty));
        assert_eq!(n("'"), Err(UsernameError::Empty));
        assert_eq!(n("anna@firma.se"), Err(UsernameError::Character('@')));
        assert_eq!(n("Иван"), Err(UsernameError::Character('И')));
        assert_eq!(n("a/b"), Err(UsernameError::Character('/')));
        assert_eq!(n("1001"), Err(UsernameError::FirstCharacter));
        assert_eq!(n(".anna"), Err(UsernameError::FirstCharacter));
        assert_eq!(n(&"å".repeat(65)), Err(UsernameError::TooLong));
        assert_eq!(n(&"å".repeat(64)).map(|s| s.len()), Ok(64));
    }

    #[test]
    fn stored_names_are_kept_as_they_are() {
        for name in ["alice", "a.b-c_1", "receptionen", "anna.oberg"] {
            assert_eq!(n(name).as_deref(), Ok(name));
        }
    }

    proptest! {
        /// Whatever is typed, the result is a stored name or a reason, never a panic; and
        /// normalising twice changes nothing.
        #[test]
        fn any_text_normalises_to_a_valid_name_or_a_reason(typed in "\\PC{0,80}") {
            if let Ok(name) = normalise_username(&typed) {
                prop_assert!(valid_username(&name), "{typed:?} gave {name:?}");
                prop_assert_eq!(normalise_username(&name), Ok(name.clone()));
            }
        }

        #[test]
        fn latin_names_with_accents_are_accepted(
            // Fifteen letters each: "æ" is spelled with two, so the result stays within 64.
            first in "[A-Za-zÅÄÖåäöÉéÜüØøÆæ]{1,15}",
            last in "[A-Za-zÅÄÖåäöÉéÜüØøÆæ]{1,15}",
        ) {
            let name = normalise_username(&format!("{first} {last}")).expect("accepted");
            prop_assert!(valid_username(&name));
            prop_assert_eq!(name.matches('.').count(), 1);
        }
    }
}
