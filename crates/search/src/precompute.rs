//! Precomputed answers for short one-word queries (the expensive first keystrokes).

use std::collections::HashMap;

use crate::index::SearchIndex;
use crate::query::Query;
use crate::search::SHORT_TOP;

impl SearchIndex {
    /// Fills the table of short one-word queries whose fresh search would touch many entries:
    /// 1-3 character prefixes of indexed words and 1-3 digit strings, when their candidate set
    /// is at least `threshold`. Served for `limit <= SHORT_TOP`.
    pub(crate) fn precompute_short(&mut self, threshold: usize) {
        let mut keys: Vec<String> = Vec::new();
        for w in self.folded_vocab.iter().chain(&self.exact_vocab) {
            let mut prefix = String::new();
            for c in w.chars().take(3) {
                prefix.push(c);
                keys.push(prefix.clone());
            }
        }
        for n in 0..1110 {
            // "0".."9", "00".."99", "000".."999"
            let key = match n {
                0..=9 => format!("{n}"),
                10..=109 => format!("{:02}", n - 10),
                _ => format!("{:03}", n - 110),
            };
            keys.push(key);
        }
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
}
