//! Behaviour of the whole index: matching, ranking, spans, incremental equivalence.

use proptest::prelude::*;

use crate::entry::{EntryKind, LabeledNumber, SearchEntry, SourceKind};
use crate::index::{IndexOptions, MatchField, SearchIndex};
use crate::query::IncrementalSearch;

fn person(id: &str, name: &str) -> SearchEntry {
    SearchEntry {
        id: id.into(),
        name: name.into(),
        ..Default::default()
    }
}

fn sample() -> SearchIndex {
    let mut anna = person("c:anna", "Anna Svensson");
    anna.company = "Ångström Bygg AB".into();
    anna.title = "Säljchef".into();
    anna.emails = vec!["anna.svensson@angstrom.se".into()];
    anna.numbers = vec![LabeledNumber::new("mobile", "+46 70 123 45 67")];
    anna.keywords = vec!["offert".into()];
    let mut annika = person("c:annika", "Annika Berg");
    annika.numbers = vec![LabeledNumber::new("work", "08-555 000 11")];
    let mut sara = person("c:sara", "Sara Annasdotter");
    sara.kind = EntryKind::Favourite;
    let mut ann = person("c:ann", "Ann");
    ann.numbers = vec![LabeledNumber::new("", "1234")];
    let mut soder = person("c:soder", "Per Söderström");
    soder.department = "Support".into();
    let soderberg = person("c:soderberg", "Olle Soderberg");
    let mut blocked = person("c:spam", "Anna Telefonförsäljare");
    blocked.kind = EntryKind::Blocked;
    blocked.numbers = vec![LabeledNumber::new("", "0701234567")];
    let mut colleague = person("s:annelie", "Annelie Ek");
    colleague.source = SourceKind::Colleague;
    colleague.numbers = vec![LabeledNumber::new("extension", "201")];
    let mut sales = person("c:olof", "Olof Persson");
    sales.keywords = vec!["anna-kund".into()];
    SearchIndex::build(vec![
        anna, annika, sara, ann, soder, soderberg, blocked, colleague, sales,
    ])
}

fn ids(index: &SearchIndex, q: &str) -> Vec<String> {
    index
        .search(q, 20)
        .hits
        .into_iter()
        .map(|h| h.entry_id)
        .collect()
}

#[test]
fn ranking_follows_match_quality_then_boosts_and_blocked_last() {
    let index = sample();
    let got = ids(&index, "ann");
    // whole-word name start > colleague-boosted prefix > other name-starts > later name word >
    // keyword; the blocked contact comes last although its name starts with "Ann".
    assert_eq!(
        got,
        [
            "c:ann",
            "s:annelie",
            "c:anna",
            "c:annika",
            "c:sara",
            "c:olof",
            "c:spam"
        ],
        "{:#?}",
        index.search("ann", 20)
    );
    let res = index.search("ann", 20);
    assert!(res.hits.last().unwrap().blocked);
    assert_eq!(res.total, 7);
}

#[test]
fn exact_name_beats_everything() {
    let index = sample();
    let hits = index.search("anna svensson", 5).hits;
    assert_eq!(hits[0].entry_id, "c:anna");
    assert!(hits[0].score >= 10_000);
    assert_eq!(hits[0].spans, [(0, 4), (5, 13)]);
    assert_eq!(
        ids(&index, "sv anna"),
        ["c:anna"],
        "word order does not matter for matching"
    );
}

#[test]
fn every_word_must_match_some_field() {
    let index = sample();
    assert_eq!(ids(&index, "anna ång"), ["c:anna"]);
    assert_eq!(ids(&index, "anna säljchef"), ["c:anna"]);
    assert_eq!(ids(&index, "anna offert"), ["c:anna"]);
    assert_eq!(ids(&index, "angstrom.se"), ["c:anna"], "e-mail parts match");
    assert!(ids(&index, "anna zzz").is_empty());
    assert!(ids(&index, "").is_empty());
}

#[test]
fn folding_is_one_way_for_diacritics() {
    let index = sample();
    // both match the second name word: equal score, alphabetical by full name
    assert_eq!(ids(&index, "soder"), ["c:soderberg", "c:soder"]);
    assert_eq!(
        ids(&index, "SÖDER"),
        ["c:soder"],
        "typed ö must match ö only"
    );
    let hit = &index.search("angst", 5).hits[0];
    assert_eq!(hit.field, MatchField::Company);
    assert_eq!(hit.spans, [(0, 5)]);
}

#[test]
fn digits_match_anywhere_in_any_number_form() {
    let index = sample();
    let hits = index.search("4567", 10).hits;
    assert_eq!(
        hits.iter().map(|h| h.entry_id.as_str()).collect::<Vec<_>>(),
        ["c:anna", "c:spam"]
    );
    assert_eq!(hits[0].field, MatchField::Number(0));
    // "+46 70 123 45 67": digits 4,5 at chars 11,12 and 6,7 at 14,15
    assert_eq!(hits[0].spans, [(11, 16)]);
    assert_eq!(hits[0].number.as_deref(), Some("+46 70 123 45 67"));
    // national form of an E.164 number and the other way round
    assert_eq!(ids(&index, "070 123")[0], "c:anna");
    assert_eq!(
        index.search("0701", 5).hits[0].spans,
        [(4, 8)],
        "synthetic trunk 0 is not highlighted"
    );
    assert_eq!(ids(&index, "+4670123"), ["c:anna", "c:spam"]);
    assert_eq!(ids(&index, "201"), ["s:annelie"]);
    // "1234" starts with 12, which ranks above 12 inside a number
    assert_eq!(
        ids(&index, "12"),
        ["c:ann", "c:anna", "c:spam"],
        "short digit queries scan"
    );
}

#[test]
fn mixed_text_and_digits() {
    let index = sample();
    assert_eq!(ids(&index, "anna 4567"), ["c:anna", "c:spam"]);
    let hit = &index.search("annika 555", 5).hits[0];
    assert_eq!(hit.field, MatchField::Name);
    assert_eq!(hit.other, [(MatchField::Number(0), vec![(3, 6)])]);
    assert_eq!(hit.number.as_deref(), Some("08-555 000 11"));
}

#[test]
fn limit_keeps_best_and_counts_all() {
    let index = sample();
    let res = index.search("a", 2);
    assert_eq!(res.hits.len(), 2);
    assert!(res.total > 2);
    assert_eq!(res.hits[0].entry_id, ids(&index, "a")[0]);
    assert_eq!(index.search("a", 0).hits.len(), 0);
}

#[test]
fn nfd_names_highlight_in_original_chars() {
    let index = SearchIndex::build(vec![person("x", "Jo\u{308}rgen O\u{308}berg")]);
    let hit = &index.search("jör", 5).hits[0];
    assert_eq!(hit.spans, [(0, 4)], "J o ◌̈ r");
    assert_eq!(index.search("ober", 5).hits[0].spans, [(8, 13)]);
}

#[test]
fn incremental_typing_equals_fresh_search() {
    let index = sample();
    let mut inc = IncrementalSearch::new();
    for q in [
        "a", "an", "ann", "anna", "anna ", "anna s", "anna sv", "anna s", "", "4", "45", "456",
        "4567",
    ] {
        assert_eq!(
            inc.search(&index, q, 10),
            index.search(q, 10),
            "query {q:?}"
        );
    }
}

fn arb_entry() -> impl Strategy<Value = SearchEntry> {
    let word = prop::sample::select(vec![
        "anna", "ann", "anders", "åsa", "asa", "örn", "orn", "berg", "björk", "ek", "ab",
    ]);
    (
        prop::collection::vec(word.clone(), 1..4),
        prop::collection::vec(word, 0..2),
        prop::collection::vec("[+]?[0-9 -]{0,12}", 0..3),
        0u8..4,
    )
        .prop_map(|(name, kw, numbers, kind)| SearchEntry {
            id: name.join("-"),
            name: name.join(" "),
            keywords: kw.into_iter().map(String::from).collect(),
            numbers: numbers
                .into_iter()
                .map(|n| LabeledNumber::new("", n))
                .collect(),
            kind: [
                EntryKind::Normal,
                EntryKind::Favourite,
                EntryKind::Vip,
                EntryKind::Blocked,
            ][usize::from(kind)],
            ..Default::default()
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Typing char by char through the incremental cache gives exactly the fresh results.
    #[test]
    fn incremental_matches_fresh(entries in prop::collection::vec(arb_entry(), 0..40), typed in "[a-zåö0-9 ]{0,8}") {
        let index = SearchIndex::build(entries);
        let mut inc = IncrementalSearch::new();
        let chars: Vec<char> = typed.chars().collect();
        for n in 0..=chars.len() {
            let q: String = chars[..n].iter().collect();
            prop_assert_eq!(inc.search(&index, &q, 5), index.search(&q, 5));
        }
    }

    /// Every hit really contains each query word as a field-word prefix or digit substring.
    #[test]
    fn hits_satisfy_the_query(entries in prop::collection::vec(arb_entry(), 1..40), q in "[a-zåö0-9]{1,4}") {
        let index = SearchIndex::build(entries);
        for hit in index.search(&q, 50).hits {
            let e = &index.entries()[hit.entry];
            let digits_hit = q.chars().all(|c| c.is_ascii_digit());
            if !digits_hit {
                prop_assert!(!hit.spans.is_empty());
                prop_assert!(matches!(hit.field, MatchField::Name | MatchField::Keyword(_)), "{:?}", hit);
            }
            let chars = match hit.field {
                MatchField::Name => e.name.chars().count(),
                MatchField::Keyword(i) => e.keywords[i].chars().count(),
                MatchField::Number(i) => e.numbers[i].number.chars().count(),
                _ => 0,
            };
            prop_assert!(hit.spans.iter().all(|&(s, t)| s < t && t <= chars));
        }
    }
}

#[test]
fn precomputed_short_queries_equal_full_search() {
    let first = ["Anna", "Anders", "Bo", "Sara", "Åke"];
    let last = ["Ek", "Berg", "Svensson"];
    let entries: Vec<SearchEntry> = (0..4000)
        .map(|i| SearchEntry {
            id: i.to_string(),
            name: format!("{} {}", first[i % 5], last[i % 3]),
            numbers: vec![LabeledNumber::new("m", format!("+46 70 {i:04} {}", i % 7))],
            kind: [EntryKind::Normal, EntryKind::Favourite, EntryKind::Blocked][i % 3],
            ..Default::default()
        })
        .collect();
    let opts = IndexOptions {
        precompute_threshold: 500,
        ..Default::default()
    };
    let index = SearchIndex::build_with(entries, &opts);
    assert!(index.short.contains_key(&(false, "a".to_string())));
    assert!(index.short.contains_key(&(true, "070".to_string())));
    assert!(index.short.contains_key(&(false, "åk".to_string())));
    // Heavy prefixes of any length, and digit strings grown past three digits.
    assert!(index.short.contains_key(&(false, "anders".to_string())));
    assert!(index.short.contains_key(&(false, "svensson".to_string())));
    assert!(index.short.contains_key(&(true, "46700".to_string())));
    assert!(!index.short.contains_key(&(true, "467012".to_string())));
    let mut inc = IncrementalSearch::new();
    for q in [
        "a",
        "an",
        "and",
        "ande",
        "anders",
        "anders s",
        "s",
        "4",
        "46",
        "070",
        "0701",
        "e",
        "ak",
        "åke",
        "+46 70",
        "+46 70 0",
        "+46 70 01",
        "svensson",
        "svensson 0",
    ] {
        let short = index.search(q, 10);
        let full = index.search(q, crate::search::SHORT_TOP + 1);
        assert_eq!(short.total, full.total, "{q}");
        assert_eq!(short.hits[..], full.hits[..10], "{q}");
        assert_eq!(inc.search(&index, q, 10), short, "{q}");
    }
}
