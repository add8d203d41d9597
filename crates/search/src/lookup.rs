//! Who is on a call: the entry a caller's or callee's address belongs to, so calls, history and
//! notifications show "Bertil Berg" rather than "202" or "bertil".

use crate::entry::{SearchEntry, SourceKind};
use crate::index::SearchIndex;
use crate::query::Query;

/// Numbers shorter than this are only matched whole against extensions (no trigram index).
const TRIGRAM: usize = 3;

/// Digits with the usual separators ("070-123 45 67", "+46 70 …"), not a user name.
fn is_phone_like(remote: &str) -> bool {
    remote
        .chars()
        .all(|c| c.is_ascii_digit() || "+-() ./".contains(c))
        && remote.chars().any(|c| c.is_ascii_digit())
}

impl SearchIndex {
    /// The entry whose number equals `remote` (national and international forms alike: "070-123
    /// 45 67", "+46701234567" and "0046701234567" are one number) or, for a user name such as
    /// "bertil", the colleague with that user name. Colleagues win over saved contacts, then
    /// favourites and VIPs; None when nobody matches or `remote` is neither.
    pub fn lookup_caller(&self, remote: &str) -> Option<&SearchEntry> {
        let remote = remote.trim();
        if remote.is_empty() || remote.len() > 128 {
            return None;
        }
        let best = if is_phone_like(remote) {
            self.lookup_number(remote)
        } else {
            self.lookup_username(remote)
        };
        best.map(|e| &self.entries[e])
    }

    /// True when `remote` is a number the user saved as Blocked — whatever else matches it: a
    /// blocked contact must not ring even when a colleague or a favourite shares the number.
    pub fn is_blocked_caller(&self, remote: &str) -> bool {
        let remote = remote.trim();
        if remote.is_empty() || remote.len() > 128 || !is_phone_like(remote) {
            return false;
        }
        self.number_matches(remote)
            .into_iter()
            .any(|e| self.entries[e].kind == crate::entry::EntryKind::Blocked)
    }

    fn lookup_number(&self, remote: &str) -> Option<usize> {
        let matches = self.number_matches(remote);
        self.preferred(matches.into_iter())
    }

    /// Every entry with a number equal to `remote` in any of its written forms.
    fn number_matches(&self, remote: &str) -> Vec<usize> {
        let raw: String = remote.chars().filter(char::is_ascii_digit).collect();
        let mut forms = vec![raw.clone()];
        if let Some(rest) = raw.strip_prefix("00").filter(|_| !remote.starts_with('+')) {
            forms.push(rest.to_string());
        }
        // Every entry with a "00…" number also has its form without "00" indexed, so the
        // shortest form finds all candidates.
        let shortest = forms.last().map_or(raw.as_str(), String::as_str);
        let candidates: Vec<u32> = if shortest.len() >= TRIGRAM {
            self.trigram_intersection(shortest.as_bytes())
        } else {
            (0..self.len() as u32).collect()
        };
        candidates
            .into_iter()
            .map(|e| e as usize)
            .filter(|&e| {
                self.entry_variants(e).iter().any(|v| {
                    let digits = self.variant_digits(v);
                    forms.iter().any(|f| f.as_bytes() == digits)
                })
            })
            .collect()
    }

    fn lookup_username(&self, remote: &str) -> Option<usize> {
        let query = Query::parse(remote);
        if query.words.len() != 1 {
            return None;
        }
        let results = self.search_query(&query, 20);
        let matches = results.hits.iter().map(|h| h.entry).filter(|&e| {
            let entry = &self.entries[e];
            entry.source == SourceKind::Colleague
                && entry
                    .keywords
                    .iter()
                    .any(|k| k.eq_ignore_ascii_case(remote))
        });
        self.preferred(matches)
    }

    fn preferred(&self, matches: impl Iterator<Item = usize>) -> Option<usize> {
        matches.max_by_key(|&e| {
            let colleague = self.entries[e].source == SourceKind::Colleague;
            // Lower alpha rank first among equals, so the answer does not depend on order.
            (
                colleague,
                self.meta[e].boost,
                u32::MAX - self.meta[e].alpha_rank,
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::{EntryKind, LabeledNumber, SearchEntry, SearchIndex, SourceKind};

    fn entry(
        id: &str,
        name: &str,
        source: SourceKind,
        numbers: &[&str],
        keywords: &[&str],
    ) -> SearchEntry {
        SearchEntry {
            id: id.into(),
            name: name.into(),
            source,
            numbers: numbers
                .iter()
                .map(|n| LabeledNumber::new("work", *n))
                .collect(),
            keywords: keywords.iter().map(|k| k.to_string()).collect(),
            kind: EntryKind::Normal,
            ..Default::default()
        }
    }

    fn index() -> SearchIndex {
        SearchIndex::build(vec![
            entry(
                "c1",
                "Anna Kund",
                SourceKind::Contact,
                &["+46 70 123 45 67"],
                &[],
            ),
            entry(
                "s1",
                "Bertil Berg",
                SourceKind::Colleague,
                &["202", "+46 8 555 202 02"],
                &["bertil"],
            ),
            entry(
                "c2",
                "Bertil (privat)",
                SourceKind::Contact,
                &["08-555 202 02"],
                &[],
            ),
            entry("c3", "Reception", SourceKind::Contact, &["12"], &["bertil"]),
        ])
    }

    fn name(index: &SearchIndex, remote: &str) -> Option<String> {
        index.lookup_caller(remote).map(|e| e.name.clone())
    }

    #[test]
    fn national_and_international_forms_are_one_number() {
        let index = index();
        for remote in [
            "+46701234567",
            "0701234567",
            "070-123 45 67",
            "0046701234567",
        ] {
            assert_eq!(
                name(&index, remote).as_deref(),
                Some("Anna Kund"),
                "{remote}"
            );
        }
        assert_eq!(
            name(&index, "701234567"),
            None,
            "a number is matched whole, not as a part"
        );
        assert_eq!(name(&index, "0701234568"), None);
    }

    #[test]
    fn a_blocked_number_is_blocked_in_any_form_even_when_a_colleague_shares_it() {
        let mut entries = vec![
            entry(
                "s1",
                "Bertil Berg",
                SourceKind::Colleague,
                &["+46 8 555 202 02"],
                &["bertil"],
            ),
            entry(
                "c1",
                "Säljaren",
                SourceKind::Contact,
                &["08-555 202 02", "+46 70 999 88 77"],
                &[],
            ),
            entry(
                "c2",
                "Anna Kund",
                SourceKind::Contact,
                &["+46 70 123 45 67"],
                &[],
            ),
        ];
        entries[1].kind = EntryKind::Blocked;
        let index = SearchIndex::build(entries);
        for remote in [
            "0709998877",
            "+46709998877",
            "0046 70 999 88 77",
            "085552020 2",
        ] {
            assert!(index.is_blocked_caller(remote), "{remote}");
        }
        assert!(!index.is_blocked_caller("0701234567"));
        assert!(
            !index.is_blocked_caller("709998877"),
            "matched whole, not as a part"
        );
        assert!(
            !index.is_blocked_caller("bertil"),
            "user names are not numbers"
        );
        assert!(!index.is_blocked_caller(""));
    }

    #[test]
    fn colleagues_win_and_short_numbers_and_user_names_work() {
        let index = index();
        assert_eq!(name(&index, "202").as_deref(), Some("Bertil Berg"));
        assert_eq!(name(&index, "085552020 2").as_deref(), Some("Bertil Berg"));
        assert_eq!(name(&index, "12").as_deref(), Some("Reception"));
        assert_eq!(name(&index, "bertil").as_deref(), Some("Bertil Berg"));
        assert_eq!(name(&index, "BERTIL").as_deref(), Some("Bertil Berg"));
        assert_eq!(name(&index, "berti"), None, "user names are matched whole");
    }

    #[test]
    fn hostile_or_empty_addresses_find_nobody() {
        let index = index();
        for remote in [
            "",
            "   ",
            "anna kund",
            "javascript:alert(1)",
            &"9".repeat(500),
            "+",
        ] {
            assert_eq!(name(&index, remote), None, "{remote:?}");
        }
    }
}
