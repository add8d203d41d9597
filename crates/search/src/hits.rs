//! Turning a matched entry into a [`SearchHit`]: primary field, highlight spans, number to dial.

use crate::fold::{fold, source_chars_for, words};
use crate::index::{MatchField, SearchHit, SearchIndex};
use crate::search::WordPlan;

impl SearchIndex {
    pub(crate) fn hit(&self, e: usize, plans: &[WordPlan]) -> Option<SearchHit> {
        let mut fields = Vec::with_capacity(plans.len());
        let score = self.eval(e, plans, Some(&mut fields))?;
        let entry = &self.entries[e];
        let primary = fields
            .iter()
            .max_by_key(|(s, _)| *s)
            .map(|(_, f)| *f)
            .unwrap_or(MatchField::Name);
        let mut distinct: Vec<MatchField> = fields.iter().map(|(_, f)| *f).collect();
        distinct.sort();
        distinct.dedup();
        let mut other = Vec::new();
        let mut spans = Vec::new();
        for f in distinct {
            let s = self.spans(e, f, plans);
            if f == primary {
                spans = s;
            } else {
                other.push((f, s));
            }
        }
        let number = match fields.iter().find_map(|(_, f)| match f {
            MatchField::Number(n) => Some(*n),
            _ => None,
        }) {
            Some(n) => entry.numbers.get(n),
            None => entry.numbers.first(),
        };
        Some(SearchHit {
            entry: e,
            entry_id: entry.id.clone(),
            score,
            field: primary,
            spans,
            other,
            number: number.map(|n| n.number.clone()),
            blocked: self.meta[e].blocked,
        })
    }

    /// Highlight spans (char offsets) of all query words inside one displayed field.
    fn spans(&self, e: usize, field: MatchField, plans: &[WordPlan]) -> Vec<(usize, usize)> {
        let entry = &self.entries[e];
        let mut spans = Vec::new();
        if let MatchField::Number(n) = field {
            let Some(shown) = entry.numbers.get(n) else {
                return spans;
            };
            // char offset of every digit in the displayed number
            let digit_at: Vec<usize> = shown
                .number
                .chars()
                .enumerate()
                .filter(|(_, c)| c.is_ascii_digit())
                .map(|(i, _)| i)
                .collect();
            for p in plans {
                let Some(finder) = &p.finder else { continue };
                for v in self
                    .entry_variants(e)
                    .iter()
                    .filter(|v| usize::from(v.number) == n)
                {
                    let Some(at) = finder.find(self.variant_digits(v)) else {
                        continue;
                    };
                    let end = at + finder.needle().len();
                    let to_raw = |i: usize| {
                        (i >= usize::from(v.synth))
                            .then(|| i - usize::from(v.synth) + usize::from(v.skip))
                    };
                    let first = (at..end).find_map(to_raw);
                    let last = end.checked_sub(1).and_then(to_raw);
                    if let (Some(a), Some(b)) = (first, last) {
                        if let (Some(&s), Some(&t)) = (digit_at.get(a), digit_at.get(b)) {
                            spans.push((s, t + 1));
                        }
                    }
                    break;
                }
            }
        } else {
            let text = match field {
                MatchField::Name => Some(entry.name.as_str()),
                MatchField::Company => Some(entry.company.as_str()),
                MatchField::Title => Some(entry.title.as_str()),
                MatchField::Department => Some(entry.department.as_str()),
                MatchField::Keyword(i) => entry.keywords.get(i).map(String::as_str),
                MatchField::Email(i) => entry.emails.get(i).map(String::as_str),
                MatchField::Number(_) => None,
            };
            let Some(text) = text else { return spans };
            for p in plans.iter().filter(|p| p.word.text) {
                let (needle, exact) = match &p.word.exact {
                    Some(x) => (x.as_str(), true),
                    None => (p.word.folded.as_str(), false),
                };
                let needle_len = needle.chars().count();
                if needle_len == 0 {
                    // A query word that folds to nothing (only combining marks, say) matches
                    // the start of every word; it has nothing to highlight (found by the
                    // index_and_query fuzz target as empty spans).
                    continue;
                }
                for (start, w) in words(text) {
                    if fold(w, exact).starts_with(needle) {
                        spans.push((start, start + source_chars_for(w, exact, needle_len)));
                    }
                }
            }
        }
        spans.sort_unstable();
        let mut merged: Vec<(usize, usize)> = Vec::with_capacity(spans.len());
        for (s, t) in spans {
            match merged.last_mut() {
                Some(last) if s <= last.1 => last.1 = last.1.max(t),
                _ => merged.push((s, t)),
            }
        }
        merged
    }
}
