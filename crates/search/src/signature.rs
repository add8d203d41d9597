//! A 64-bit summary of what an entry can match, checked before its token list: one bit per
//! first character of its words (a-z, 0-9, other), one hashed bit per first two characters,
//! and the digits that occur in its numbers. A query word whose bits are not all present
//! cannot match, so most non-matching candidates are rejected with one load instead of a scan
//! of their tokens and digit strings (multi-word queries such as "offert k").

const OTHER: u32 = 36;
const PAIRS: u32 = 64 - (OTHER + 1);

fn char_index(c: char) -> u32 {
    match c {
        'a'..='z' => c as u32 - 'a' as u32,
        '0'..='9' => 26 + (c as u32 - '0' as u32),
        _ => OTHER,
    }
}

fn char_bit(c: char) -> u64 {
    1 << char_index(c)
}

fn pair_bit(a: char, b: char) -> u64 {
    // A small multiplicative hash spreads two-letter prefixes over the remaining bits.
    let h = (char_index(a) * 37 + char_index(b)).wrapping_mul(2_654_435_761) >> 16;
    1 << (OTHER + 1 + h % PAIRS)
}

/// Bits of one folded indexed word (or the bits a folded query prefix requires).
pub(crate) fn word_bits(folded: &str) -> u64 {
    let mut chars = folded.chars();
    let Some(first) = chars.next() else {
        return 0;
    };
    char_bit(first) | chars.next().map_or(0, |second| pair_bit(first, second))
}

/// Bits of digits that occur in a number.
pub(crate) fn digit_bits(digits: &[u8]) -> u64 {
    digits
        .iter()
        .filter(|b| b.is_ascii_digit())
        .fold(0, |acc, &b| acc | char_bit(char::from(b)))
}

/// The bits a query word requires: a text word needs its first one or two characters among the
/// entry's word starts; an all-digit word typed in text matches words starting with its first
/// digit or numbers containing it; a phone query needs every digit it has.
pub(crate) fn required_bits(folded: &str, digits: Option<&str>, text: bool) -> u64 {
    match (text, digits) {
        (true, None) => word_bits(folded),
        (true, Some(d)) => d.chars().next().map_or(0, char_bit),
        (false, Some(d)) => digit_bits(d.as_bytes()),
        (false, None) => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prefix_needs_no_more_than_its_word_has() {
        for (word, prefix) in [("svensson", "s"), ("svensson", "sv"), ("svensson", "svens")] {
            let need = required_bits(prefix, None, true);
            assert_eq!(word_bits(word) & need, need, "{prefix}");
        }
        assert_ne!(
            word_bits("karlsson") & required_bits("sv", None, true),
            required_bits("sv", None, true)
        );
    }

    #[test]
    fn digits_are_required_as_typed() {
        let entry = digit_bits(b"46701234567|0701234567");
        assert_eq!(
            entry & required_bits("4567", Some("4567"), false),
            required_bits("4567", Some("4567"), false)
        );
        assert_ne!(
            entry & required_bits("89", Some("89"), false),
            required_bits("89", Some("89"), false)
        );
        // "0" typed in a text query: a number containing 0 is enough.
        let need = required_bits("0", Some("0"), true);
        assert_eq!(entry & need, need);
    }

    #[test]
    fn bits_stay_in_their_halves() {
        assert!(word_bits("zz") >> 37 != 0);
        assert_eq!(digit_bits(b"0123456789") >> 37, 0);
        assert_eq!(word_bits("ω") & (1 << OTHER), 1 << OTHER);
    }
}
