//! What pressing Enter in the search box does.

use crate::index::SearchHit;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnterAction {
    /// Call this number of the hit's entry.
    DialHit {
        entry_id: String,
        number: String,
    },
    /// Call what the user typed (a number or SIP address).
    DialTyped(String),
    Nothing,
}

/// Text a user would type as a phone number: digits with the usual punctuation, an optional
/// leading '+', and '*'/'#' for feature codes. Deliberately simple; koppla-dial normalises.
pub fn looks_like_number(text: &str) -> bool {
    let t = text.trim();
    let body = t.strip_prefix('+').unwrap_or(t);
    body.chars().any(|c| c.is_ascii_digit())
        && body.chars().all(|c| {
            c.is_ascii_digit() || matches!(c, ' ' | '-' | '(' | ')' | '.' | '/' | '*' | '#')
        })
}

fn looks_like_address(text: &str) -> bool {
    let t = text.trim();
    let lower = t.to_ascii_lowercase();
    !t.contains(char::is_whitespace)
        && (lower.starts_with("sip:")
            || lower.starts_with("sips:")
            || lower.starts_with("tel:")
            || t.contains('@'))
}

fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

/// Typed numbers are dialled as typed (short digit strings are extensions at a switch), unless
/// the top hit has exactly that number, which keeps the contact's name on the call. Otherwise
/// the best non-blocked hit with a number is dialled.
pub fn enter_action(query: &str, hits: &[SearchHit]) -> EnterAction {
    let typed = query.trim();
    if typed.is_empty() {
        return EnterAction::Nothing;
    }
    let dial_hit = |h: &SearchHit| {
        h.number.as_ref().map(|n| EnterAction::DialHit {
            entry_id: h.entry_id.clone(),
            number: n.clone(),
        })
    };
    if looks_like_number(typed) {
        let wanted = digits(typed);
        return hits
            .iter()
            .filter(|h| !h.blocked)
            .find(|h| h.number.as_deref().is_some_and(|n| digits(n) == wanted))
            .and_then(dial_hit)
            .unwrap_or_else(|| EnterAction::DialTyped(typed.to_string()));
    }
    if looks_like_address(typed) {
        return EnterAction::DialTyped(typed.to_string());
    }
    hits.iter()
        .filter(|h| !h.blocked)
        .find_map(dial_hit)
        .unwrap_or(EnterAction::Nothing)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::MatchField;

    fn hit(id: &str, number: Option<&str>, blocked: bool) -> SearchHit {
        SearchHit {
            entry: 0,
            entry_id: id.into(),
            score: 1,
            field: MatchField::Name,
            spans: vec![],
            other: vec![],
            number: number.map(String::from),
            blocked,
        }
    }

    #[test]
    fn number_detection() {
        assert!(looks_like_number("+46 (70) 123-45.67"));
        assert!(looks_like_number("*21#"));
        assert!(!looks_like_number("anna"));
        assert!(!looks_like_number("+"));
        assert!(!looks_like_number("4+5"));
        assert!(!looks_like_number(""));
    }

    #[test]
    fn text_dials_top_non_blocked_hit() {
        let hits = [
            hit("c:1", Some("123"), true),
            hit("c:2", None, false),
            hit("c:3", Some("070"), false),
        ];
        assert_eq!(
            enter_action("ann", &hits),
            EnterAction::DialHit {
                entry_id: "c:3".into(),
                number: "070".into()
            }
        );
        assert_eq!(enter_action("ann", &hits[..2]), EnterAction::Nothing);
        assert_eq!(enter_action("  ", &hits), EnterAction::Nothing);
    }

    #[test]
    fn typed_number_is_dialled_unless_a_hit_has_exactly_it() {
        let hits = [hit("c:1", Some("+46 70 123 45 67"), false)];
        assert_eq!(
            enter_action("4567", &hits),
            EnterAction::DialTyped("4567".into())
        );
        assert_eq!(
            enter_action("+46701234567", &hits),
            EnterAction::DialHit {
                entry_id: "c:1".into(),
                number: "+46 70 123 45 67".into()
            }
        );
        assert_eq!(
            enter_action("sip:bob@example.se", &[]),
            EnterAction::DialTyped("sip:bob@example.se".into())
        );
    }
}
