//! Precomputed answers for one-word queries whose candidate sets are huge (the expensive
//! keystrokes: the first letters of a name, a common surname or title, a shared number prefix
//! such as "+46 70").

use std::collections::HashMap;

use crate::index::SearchIndex;
use crate::query::{Query, QueryWord};
use crate::search::SHORT_TOP;

/// Digit queries longer than this are always selective enough to search directly.
const MAX_PRECOMPUTED_DIGITS: usize = 8;

impl SearchIndex {
    /// Fills the table of one-word queries whose fresh search would touch at least `threshold`
    /// entries: every such prefix of indexed words (folded, and with diacritics as typed) and
    /// every such digit string. Served for `limit <= SHORT_TOP`.
    ///
    /// Both walks only descend from heavy keys, because a longer prefix never matches more than
    /// its own prefix. The table is therefore bounded by about (indexed words / threshold) keys
    /// per prefix length, and building it costs at most one search per key.
    pub(crate) fn precompute_short(&mut self, threshold: usize) {
        let starts = &self.postings_start;
        let mut keys = heavy_prefixes(&self.folded_vocab, |_, lo, hi| {
            (starts[hi] - starts[lo]) as usize >= threshold
        });
        // Prefixes typed with diacritics ("sö", "ångs"): exact words have no posting lists of
        // their own, their candidates are those of the folded prefix.
        keys.extend(heavy_prefixes(&self.exact_vocab, |prefix, _, _| {
            self.cost(&self.plan(&QueryWord::typed(prefix))) >= threshold
        }));
        keys.extend(self.heavy_digit_strings(threshold));
        keys.sort_unstable();
        keys.dedup();
        let mut table = HashMap::new();
        for key in keys {
            let query = Query::parse(&key);
            let [word] = query.words.as_slice() else {
                continue;
            };
            if word.exact.as_ref().unwrap_or(&word.folded) != &key {
                continue;
            }
            if self.cost(&self.plan(word)) < threshold {
                continue;
            }
            let (results, matched) = self.search_within(&query, None, SHORT_TOP);
            let total = matched.map_or(results.total, |m| m.len());
            let top = results.hits.iter().map(|h| h.entry as u32).collect();
            table.insert((query.phone, key), (top, total));
        }
        self.short = table;
    }

    /// Digit strings (of 1 to `MAX_PRECOMPUTED_DIGITS` digits) whose trigram candidates reach
    /// `threshold`, grown one digit at a time as they are typed.
    fn heavy_digit_strings(&self, threshold: usize) -> Vec<String> {
        // Shorter than a trigram: every entry is a candidate, so all of them are heavy when the
        // index is.
        let mut out: Vec<String> = Vec::new();
        if self.len() >= threshold {
            for n in 0..110 {
                out.push(match n {
                    0..=9 => format!("{n}"),
                    _ => format!("{:02}", n - 10),
                });
            }
        }
        let mut frontier: Vec<String> = (0..1000)
            .map(|n| format!("{n:03}"))
            .filter(|key| self.trigram_intersection(key.as_bytes()).len() >= threshold)
            .collect();
        while let Some(key) = frontier.pop() {
            if key.len() < MAX_PRECOMPUTED_DIGITS {
                for d in '0'..='9' {
                    let next = format!("{key}{d}");
                    if self.trigram_intersection(next.as_bytes()).len() >= threshold {
                        frontier.push(next);
                    }
                }
            }
            out.push(key);
        }
        out
    }
}

/// Prefixes of words in a sorted vocabulary that `heavy(prefix, vocabulary range)` accepts,
/// found by descending only from accepted prefixes.
fn heavy_prefixes(vocab: &[Box<str>], heavy: impl Fn(&str, usize, usize) -> bool) -> Vec<String> {
    let mut out = Vec::new();
    // (prefix, vocabulary range of the words starting with it)
    let mut stack: Vec<(String, usize, usize)> = vec![(String::new(), 0, vocab.len())];
    while let Some((prefix, lo, hi)) = stack.pop() {
        let depth = prefix.len();
        let mut i = lo;
        while i < hi {
            let Some(c) = vocab[i].get(depth..).and_then(|rest| rest.chars().next()) else {
                // The prefix itself is a word: nothing follows it.
                i += 1;
                continue;
            };
            let mut child = prefix.clone();
            child.push(c);
            let end = i + vocab[i..hi].partition_point(|w| w.starts_with(child.as_str()));
            if heavy(&child, i, end) {
                out.push(child.clone());
                stack.push((child, i, end));
            }
            i = end;
        }
    }
    out
}
