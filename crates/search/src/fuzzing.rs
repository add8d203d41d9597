//! Entry points shared by the cargo-fuzz targets (`fuzz/`) and the stable-toolchain tests in
//! `tests/fuzz_entry.rs`. Each must never panic on any input; they assert invariants instead.

use crate::entry::{EntryKind, LabeledNumber, SearchEntry};
use crate::index::{MatchField, SearchIndex};
use crate::query::IncrementalSearch;
use crate::sources::parse_directory;

/// Parses arbitrary bytes as a switch directory response.
pub fn directory(data: &[u8]) {
    if let Ok(entries) = parse_directory(data) {
        for e in &entries {
            assert!(e.id.starts_with("switch:"));
            assert!(!e.name.trim().is_empty());
        }
    }
}

fn field_chars(e: &SearchEntry, f: MatchField) -> Option<usize> {
    let text = match f {
        MatchField::Name => &e.name,
        MatchField::Company => &e.company,
        MatchField::Title => &e.title,
        MatchField::Department => &e.department,
        MatchField::Keyword(i) => e.keywords.get(i)?,
        MatchField::Email(i) => e.emails.get(i)?,
        MatchField::Number(i) => &e.numbers.get(i)?.number,
    };
    Some(text.chars().count())
}

/// Input: lines. Every line but the last is an entry `name|company|number|number|keyword`;
/// the last line is the query, which is also typed char by char through the incremental search.
pub fn index_and_query(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut lines: Vec<&str> = text.split('\n').collect();
    let query = lines.pop().unwrap_or_default();
    let entries: Vec<SearchEntry> = lines
        .iter()
        .take(200)
        .enumerate()
        .map(|(i, line)| {
            let mut parts = line.split('|');
            let mut next = || parts.next().unwrap_or_default().to_string();
            let name = next();
            let company = next();
            let numbers = vec![
                LabeledNumber::new("a", next()),
                LabeledNumber::new("b", next()),
            ];
            let keywords = vec![next()];
            let kind = [
                EntryKind::Normal,
                EntryKind::Favourite,
                EntryKind::Vip,
                EntryKind::Blocked,
            ][i % 4];
            SearchEntry {
                id: i.to_string(),
                name,
                company,
                numbers,
                keywords,
                kind,
                ..Default::default()
            }
        })
        .collect();
    let index = SearchIndex::build(entries);
    let fresh = index.search(query, 10);
    assert!(fresh.hits.len() <= 10 && fresh.hits.len() <= fresh.total);
    for hit in &fresh.hits {
        let e = &index.entries()[hit.entry];
        for (field, spans) in
            std::iter::once((hit.field, &hit.spans)).chain(hit.other.iter().map(|(f, s)| (*f, s)))
        {
            let len = field_chars(e, field);
            assert!(len.is_some(), "hit points at a missing field");
            let len = len.unwrap_or(0);
            assert!(
                spans.iter().all(|&(s, t)| s < t && t <= len),
                "span outside field: {hit:?}"
            );
        }
    }
    let mut inc = IncrementalSearch::new();
    let chars: Vec<char> = query.chars().take(40).collect();
    for n in 0..=chars.len() {
        let q: String = chars[..n].iter().collect();
        assert_eq!(
            inc.search(&index, &q, 10),
            index.search(&q, 10),
            "incremental differs for {q:?}"
        );
    }
}

/// Parses arbitrary bytes as a CardDAV multistatus body, then every address-data as vCards.
pub fn carddav(data: &[u8]) {
    if let Ok(items) = crate::sources::parse_multistatus(data) {
        for item in items {
            let _ = crate::sources::parse_vcards(&item.address_data);
        }
    }
    for card in crate::sources::parse_vcards(&String::from_utf8_lossy(data)) {
        assert!(!card.name.is_empty() || !card.numbers.is_empty());
    }
}
