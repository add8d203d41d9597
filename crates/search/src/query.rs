//! Query parsing and the incremental (per-keystroke) search wrapper.

use crate::fold::{fold, has_diacritics, words};
use crate::index::{SearchIndex, SearchResults};

/// Longest query text considered; the rest is ignored (a search box, not a document).
const MAX_QUERY_CHARS: usize = 200;
const MAX_WORDS: usize = 12;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct QueryWord {
    /// Lowercase, diacritics folded.
    pub folded: String,
    /// Lowercase with diacritics, present only when the user typed some: then they must match.
    pub exact: Option<String>,
    /// The word as ASCII digits, when it is all digits (also matched inside numbers).
    pub digits: Option<String>,
    /// Whether the word is matched against text fields.
    pub text: bool,
}

impl QueryWord {
    /// One word of a text query as typed.
    pub(crate) fn typed(w: &str) -> QueryWord {
        QueryWord {
            folded: fold(w, false),
            exact: has_diacritics(w).then(|| fold(w, true)),
            digits: w.chars().all(|c| c.is_ascii_digit()).then(|| w.to_string()),
            text: true,
        }
    }
}

/// A parsed query. Text looking like a phone number ("+46 70-123") becomes one digit word
/// matched anywhere in numbers; otherwise every word must prefix-match some field word.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Query {
    pub(crate) words: Vec<QueryWord>,
    pub(crate) phone: bool,
}

fn is_phone_punct(c: char) -> bool {
    matches!(c, '+' | '-' | '(' | ')' | '.' | '/' | ' ')
}

impl Query {
    pub fn parse(text: &str) -> Query {
        let text: String = text.chars().take(MAX_QUERY_CHARS).collect();
        let trimmed = text.trim();
        if trimmed.chars().any(|c| c.is_ascii_digit())
            && trimmed
                .chars()
                .all(|c| c.is_ascii_digit() || is_phone_punct(c))
        {
            let digits: String = trimmed.chars().filter(char::is_ascii_digit).collect();
            let word = QueryWord {
                folded: digits.clone(),
                exact: None,
                digits: Some(digits),
                text: false,
            };
            return Query {
                words: vec![word],
                phone: true,
            };
        }
        let words = words(&text)
            .take(MAX_WORDS)
            .map(|(_, w)| QueryWord::typed(w))
            .collect();
        Query {
            words,
            phone: false,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// True when every entry matching `self` also matches `older`, so an incremental search can
    /// filter the older result set instead of searching everything.
    pub(crate) fn refines(&self, older: &Query) -> bool {
        if older.is_empty() || self.phone != older.phone || self.words.len() < older.words.len() {
            return false;
        }
        if self.phone {
            return match (&self.words[0].digits, &older.words[0].digits) {
                (Some(new), Some(old)) => new.contains(old.as_str()),
                _ => false,
            };
        }
        self.words.iter().zip(&older.words).all(|(new, old)| {
            new.folded.starts_with(&old.folded)
                && match (&new.exact, &old.exact) {
                    (_, None) => true,
                    (Some(n), Some(o)) => n.starts_with(o.as_str()),
                    (None, Some(_)) => false,
                }
        })
    }
}

/// Keeps the previous keystroke's full match set so that typing one more character only
/// re-checks those entries. Tied to one index build (its generation).
#[derive(Debug, Default)]
pub struct IncrementalSearch {
    last: Option<(u64, Query, Vec<u32>)>,
}

impl IncrementalSearch {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn search(&mut self, index: &SearchIndex, text: &str, limit: usize) -> SearchResults {
        let query = Query::parse(text);
        let previous = match &self.last {
            Some((generation, old, matched))
                if *generation == index.generation() && query.refines(old) =>
            {
                Some(matched.as_slice())
            }
            _ => None,
        };
        let (results, matched) = index.search_within(&query, previous, limit);
        // Precomputed short queries don't know their full match set: the next keystroke then
        // searches afresh (cheaply, since longer prefixes are selective).
        self.last = match matched {
            Some(m) if !query.is_empty() => Some((index.generation(), query, m)),
            _ => None,
        };
        results
    }

    pub fn reset(&mut self) {
        self.last = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_like_text_is_one_digit_word() {
        let q = Query::parse(" +46 (70) 123-45 ");
        assert!(q.phone);
        assert_eq!(q.words.len(), 1);
        assert_eq!(q.words[0].digits.as_deref(), Some("467012345"));
    }

    #[test]
    fn text_words_fold_and_keep_typed_diacritics() {
        let q = Query::parse("Anna SÖD 070");
        assert!(!q.phone);
        assert_eq!(q.words.len(), 3);
        assert_eq!(q.words[0].exact, None);
        assert_eq!(q.words[1].folded, "sod");
        assert_eq!(q.words[1].exact.as_deref(), Some("söd"));
        assert_eq!(q.words[2].digits.as_deref(), Some("070"));
        assert!(Query::parse("  ,. ").is_empty());
    }

    #[test]
    fn refinement_rules() {
        let p = Query::parse;
        assert!(p("an").refines(&p("a")));
        assert!(p("anna s").refines(&p("anna")));
        assert!(p("söd").refines(&p("so")));
        assert!(!p("sod").refines(&p("sö")));
        assert!(!p("a").refines(&p("an")));
        assert!(!p("b").refines(&p("a")));
        assert!(p("4567").refines(&p("456")));
        assert!(p("04567").refines(&p("456")));
        assert!(!p("anna 4").refines(&p("4")));
        assert!(!p("x").refines(&p("")));
    }

    #[test]
    fn huge_query_is_truncated_not_rejected() {
        let q = Query::parse(&"ab ".repeat(10_000));
        assert_eq!(q.words.len(), MAX_WORDS);
    }
}
