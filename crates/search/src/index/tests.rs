use super::*;

#[test]
fn number_variants_cover_national_and_e164() {
    let o = IndexOptions::default();
    let v = |n: &str| {
        number_variants(n, &o)
            .1
            .into_iter()
            .map(|(s, _, _)| s)
            .collect::<Vec<_>>()
    };
    assert_eq!(v("+46 70 123 45 67"), ["46701234567", "0701234567"]);
    assert_eq!(v("070-123 45 67"), ["0701234567", "46701234567"]);
    assert_eq!(
        v("0046 8 555 12 34"),
        ["004685551234", "085551234", "4685551234"]
    );
    assert_eq!(v("1234"), ["1234"]);
    assert_eq!(v("+1 555 0100"), ["15550100"]);
    assert_eq!(v("sip:anna@x"), [""]);
}

#[test]
fn build_creates_sorted_vocab_and_deduplicated_postings() {
    let e = |name: &str, kw: &[&str]| SearchEntry {
        name: name.into(),
        keywords: kw.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    };
    let idx = SearchIndex::build(vec![e("Anna Anna", &["anna"]), e("Bo Ek", &[])]);
    assert!(idx.folded_vocab.windows(2).all(|w| w[0] < w[1]));
    let anna = idx
        .folded_vocab
        .iter()
        .position(|w| &**w == "anna")
        .unwrap();
    let list =
        &idx.postings[idx.postings_start[anna] as usize..idx.postings_start[anna + 1] as usize];
    assert_eq!(list, [0]);
    assert_eq!(idx.entry_tokens(0).len(), 3);
    assert_eq!(idx.meta[1].name_words, 2);
    assert_eq!(idx.meta[0].alpha_rank, 0);
}
