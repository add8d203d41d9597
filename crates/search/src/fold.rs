//! Text folding for matching: lowercase, and (in folded form) diacritics removed so that
//! "soder" finds "Söderström". The exact form keeps å/ä/ö so a query typed WITH diacritics
//! matches only them ("söder" does not find "Soderberg"). See docs/decisions/0202.

/// Word characters: letters, digits and combining marks (so NFD text stays one word).
pub(crate) fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || is_combining(c)
}

fn is_combining(c: char) -> bool {
    ('\u{300}'..='\u{36f}').contains(&c)
}

/// Composes the NFD sequences that matter for Nordic/Western names, so exact matching works on
/// decomposed text (as some address books deliver it).
fn compose(base: char, mark: char) -> Option<char> {
    Some(match (base, mark) {
        ('a', '\u{30a}') => 'å',
        ('a', '\u{308}') => 'ä',
        ('o', '\u{308}') => 'ö',
        ('u', '\u{308}') => 'ü',
        ('e', '\u{301}') => 'é',
        ('e', '\u{300}') => 'è',
        ('a', '\u{301}') => 'á',
        ('o', '\u{301}') => 'ó',
        ('n', '\u{303}') => 'ñ',
        ('c', '\u{327}') => 'ç',
        _ => return None,
    })
}

fn strip_diacritic(c: char) -> Option<&'static str> {
    Some(match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => "a",
        'æ' => "ae",
        'ç' | 'ć' | 'č' => "c",
        'ď' | 'đ' | 'ð' => "d",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ė' | 'ę' | 'ě' => "e",
        'ğ' => "g",
        'ì' | 'í' | 'î' | 'ï' | 'ī' | 'į' | 'ı' => "i",
        'ł' | 'ľ' | 'ĺ' => "l",
        'ñ' | 'ń' | 'ň' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' => "o",
        'œ' => "oe",
        'ř' => "r",
        'ś' | 'š' | 'ş' => "s",
        'ß' => "ss",
        'ť' => "t",
        'þ' => "th",
        'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' | 'ų' => "u",
        'ý' | 'ÿ' => "y",
        'ź' | 'ż' | 'ž' => "z",
        _ => return None,
    })
}

/// Appends the search form of `c` to `out`; `exact` keeps diacritics.
pub(crate) fn push_char(c: char, exact: bool, out: &mut String) {
    if is_combining(c) {
        if exact {
            if let Some(prev) = out.pop() {
                out.push(compose(prev, c).unwrap_or(prev));
            }
        }
        return;
    }
    for lc in c.to_lowercase() {
        match strip_diacritic(lc) {
            Some(plain) if !exact => out.push_str(plain),
            _ => out.push(lc),
        }
    }
}

pub(crate) fn fold(word: &str, exact: bool) -> String {
    let mut out = String::with_capacity(word.len());
    for c in word.chars() {
        push_char(c, exact, &mut out);
    }
    out
}

/// Whether folding loses information, i.e. the user typed diacritics on purpose.
pub(crate) fn has_diacritics(word: &str) -> bool {
    fold(word, true) != fold(word, false)
}

/// Splits `text` into words, yielding (char offset of the word, word).
pub(crate) fn words(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut chars = text.char_indices().enumerate().peekable();
    std::iter::from_fn(move || {
        while let Some(&(_, (_, c))) = chars.peek() {
            if is_word_char(c) {
                break;
            }
            chars.next();
        }
        let (start_char, (start_byte, _)) = chars.next()?;
        let mut end_byte = text.len();
        while let Some(&(_, (b, c))) = chars.peek() {
            if !is_word_char(c) {
                end_byte = b;
                break;
            }
            chars.next();
        }
        text.get(start_byte..end_byte).map(|w| (start_char, w))
    })
}

/// How many chars of `word` produce the first `out_len` chars of its search form (for spans).
pub(crate) fn source_chars_for(word: &str, exact: bool, out_len: usize) -> usize {
    let mut out = String::new();
    let mut consumed = 0;
    for c in word.chars() {
        if out.chars().count() >= out_len && !is_combining(c) {
            break;
        }
        push_char(c, exact, &mut out);
        consumed += 1;
    }
    consumed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_swedish_and_other_diacritics() {
        assert_eq!(fold("Söderström", false), "soderstrom");
        assert_eq!(fold("Söderström", true), "söderström");
        assert_eq!(fold("Ærø Straße", false), "aero strasse");
        assert_eq!(fold("ÅSA", true), "åsa");
    }

    #[test]
    fn nfd_input_composes_in_exact_form() {
        let nfd = "So\u{308}der";
        assert_eq!(fold(nfd, true), "söder");
        assert_eq!(fold(nfd, false), "soder");
    }

    #[test]
    fn words_give_char_offsets() {
        let w: Vec<_> = words("  Åsa-Britt  O'Hara, anna.s@x.se").collect();
        assert_eq!(
            w,
            [
                (2, "Åsa"),
                (6, "Britt"),
                (13, "O"),
                (15, "Hara"),
                (21, "anna"),
                (26, "s"),
                (28, "x"),
                (30, "se")
            ]
        );
        assert_eq!(words("").count(), 0);
        assert_eq!(words(" ,; ").count(), 0);
    }

    #[test]
    fn diacritics_detection() {
        assert!(has_diacritics("sö"));
        assert!(!has_diacritics("So"));
    }

    #[test]
    fn source_chars_handle_expansion_and_marks() {
        assert_eq!(source_chars_for("Straße", false, 6), 5); // "strass" needs "Straß"
        assert_eq!(source_chars_for("So\u{308}der", false, 2), 3); // mark belongs to the o
        assert_eq!(source_chars_for("Anna", false, 2), 2);
        assert_eq!(source_chars_for("Anna", false, 9), 4);
    }
}
