//! The in-memory index: sorted word vocabularies with posting lists for word-prefix queries,
//! and per-entry digit strings with a trigram index for "digits anywhere in a number".
//! Querying lives in `search.rs`; the layout is explained in docs/decisions/0202.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

use crate::entry::{EntryKind, SearchEntry, SourceKind};
use crate::fold::{fold, words};
use crate::signature;

/// Which displayed field a match is in; indices point into the entry's lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(tag = "field", content = "index", rename_all = "snake_case")]
pub enum MatchField {
    Name,
    Company,
    Title,
    Department,
    Keyword(usize),
    Email(usize),
    Number(usize),
}

/// One ranked result. `spans` are `(start, end)` CHAR offsets into the displayed `field` text;
/// `other` lists further fields the query matched, with their spans.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SearchHit {
    /// Position of the entry in [`SearchIndex::entries`].
    pub entry: usize,
    pub entry_id: String,
    pub score: u32,
    pub field: MatchField,
    pub spans: Vec<(usize, usize)>,
    pub other: Vec<(MatchField, Vec<(usize, usize)>)>,
    /// The number Enter would dial for this hit: the matched number, else the first one.
    pub number: Option<String>,
    pub blocked: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SearchResults {
    pub hits: Vec<SearchHit>,
    /// How many entries matched in total (hits are the best `limit` of them).
    pub total: usize,
}

/// How national numbers relate to E.164, so "0701" finds "+46 70 1…" and vice versa.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexOptions {
    /// Own country calling code, digits only (Sweden: "46").
    pub country_code: String,
    /// National trunk prefix (Sweden: "0").
    pub trunk_prefix: String,
    /// One-word queries of up to 3 characters whose candidate set is at least this big get
    /// their top hits precomputed at build time (the first keystrokes are the expensive ones).
    pub precompute_threshold: usize,
}

impl Default for IndexOptions {
    fn default() -> Self {
        IndexOptions {
            country_code: "46".into(),
            trunk_prefix: "0".into(),
            precompute_threshold: 3000,
        }
    }
}

pub(crate) const F_NAME: u8 = 0;
pub(crate) const F_COMPANY: u8 = 1;
pub(crate) const F_TITLE: u8 = 2;
pub(crate) const F_DEPARTMENT: u8 = 3;
pub(crate) const F_KEYWORD: u8 = 4;
pub(crate) const F_EMAIL: u8 = 5;

/// Lists longer than this (emails, keywords, numbers) are indexed only up to it.
const MAX_LIST: usize = 64;

#[derive(Debug, Clone, Copy)]
pub(crate) struct EntryToken {
    pub folded: u32,
    pub exact: u32,
    pub field: u8,
    pub sub: u8,
    pub pos: u8,
}

/// A digit string for one number: `synth` leading digits that are not in the displayed number
/// (a trunk "0" or country code added), then the number's own digits from `skip` on.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DigitVariant {
    pub start: u32,
    pub len: u16,
    pub number: u8,
    pub synth: u8,
    pub skip: u8,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct EntryMeta {
    pub name_words: u8,
    pub boost: u32,
    pub blocked: bool,
    pub alpha_rank: u32,
}

static GENERATION: AtomicU64 = AtomicU64::new(1);

/// Immutable search index over all entries. Rebuild it when a source changes.
#[derive(Debug)]
pub struct SearchIndex {
    pub(crate) entries: Vec<SearchEntry>,
    pub(crate) meta: Vec<EntryMeta>,
    /// Per entry: which word starts and digits it has (see signature.rs).
    pub(crate) sig: Vec<u64>,
    pub(crate) folded_vocab: Vec<Box<str>>,
    pub(crate) exact_vocab: Vec<Box<str>>,
    /// postings[postings_start[t]..postings_start[t+1]] = entries containing folded token t.
    pub(crate) postings_start: Vec<u32>,
    pub(crate) postings: Vec<u32>,
    pub(crate) tokens_start: Vec<u32>,
    pub(crate) tokens: Vec<EntryToken>,
    pub(crate) digits: Vec<u8>,
    pub(crate) variants_start: Vec<u32>,
    pub(crate) variants: Vec<DigitVariant>,
    /// Entries containing each 3-digit sequence (index = the sequence as a number 0..1000).
    pub(crate) trigram_start: Vec<u32>,
    pub(crate) trigrams: Vec<u32>,
    /// Precomputed best entries (and total) for short one-word queries with huge candidate
    /// sets, keyed by (phone mode, exact text if typed with diacritics else folded).
    pub(crate) short: HashMap<(bool, String), (Vec<u32>, usize)>,
    generation: u64,
}

fn entry_boost(e: &SearchEntry) -> u32 {
    let kind = match e.kind {
        EntryKind::Favourite => 60,
        EntryKind::Vip => 50,
        EntryKind::Normal | EntryKind::Blocked => 0,
    };
    let source = if e.source == SourceKind::Colleague {
        30
    } else {
        0
    };
    kind + source
}

fn intern(map: &mut HashMap<String, u32>, text: String) -> u32 {
    let next = map.len() as u32;
    *map.entry(text).or_insert(next)
}

/// Sorts an interned vocabulary and returns (sorted words, old id -> new id).
fn sort_vocab(map: HashMap<String, u32>) -> (Vec<Box<str>>, Vec<u32>) {
    let mut pairs: Vec<(String, u32)> = map.into_iter().collect();
    pairs.sort_unstable();
    let mut remap = vec![0u32; pairs.len()];
    let mut vocab = Vec::with_capacity(pairs.len());
    for (new_id, (word, old_id)) in pairs.into_iter().enumerate() {
        remap[old_id as usize] = new_id as u32;
        vocab.push(word.into_boxed_str());
    }
    (vocab, remap)
}

/// Digit-string variants of a displayed number: its digits, plus national <-> E.164 forms.
pub(crate) fn number_variants(
    number: &str,
    opts: &IndexOptions,
) -> (String, Vec<(String, u8, u8)>) {
    let raw: String = number.chars().filter(char::is_ascii_digit).collect();
    let mut out = vec![(raw.clone(), 0u8, 0u8)];
    let cc = opts.country_code.as_str();
    let trunk = opts.trunk_prefix.as_str();
    let plus = number.trim_start().starts_with('+');
    let short = |n: usize| u8::try_from(n).ok();
    if cc.is_empty() || raw.len() < 4 {
        return (raw, out);
    }
    let intl_rest = if plus {
        raw.strip_prefix(cc).map(|rest| (rest, cc.len()))
    } else {
        raw.strip_prefix("00")
            .and_then(|r| r.strip_prefix(cc))
            .map(|rest| (rest, cc.len() + 2))
    };
    if let Some((rest, skip)) = intl_rest {
        if let (Some(skip), Some(synth)) = (short(skip), short(trunk.len())) {
            out.push((format!("{trunk}{rest}"), synth, skip));
        }
        if !plus {
            if let Some(skip) = short(2) {
                out.push((raw[2..].to_string(), 0, skip));
            }
        }
    } else if !plus && !trunk.is_empty() && raw.starts_with(trunk) && !raw.starts_with("00") {
        if let (Some(synth), Some(skip)) = (short(cc.len()), short(trunk.len())) {
            out.push((format!("{cc}{}", &raw[trunk.len()..]), synth, skip));
        }
    }
    (raw, out)
}

impl SearchIndex {
    pub fn build(entries: Vec<SearchEntry>) -> SearchIndex {
        Self::build_with(entries, &IndexOptions::default())
    }

    pub fn build_with(entries: Vec<SearchEntry>, opts: &IndexOptions) -> SearchIndex {
        let mut folded_ids: HashMap<String, u32> = HashMap::new();
        let mut exact_ids: HashMap<String, u32> = HashMap::new();
        let mut tokens = Vec::new();
        let mut tokens_start = Vec::with_capacity(entries.len() + 1);
        let mut meta = Vec::with_capacity(entries.len());
        let mut sig = Vec::with_capacity(entries.len());
        let mut digits = Vec::new();
        let mut variants = Vec::new();
        let mut variants_start = Vec::with_capacity(entries.len() + 1);
        let mut trigram_lists: Vec<Vec<u32>> = vec![Vec::new(); 1000];
        let mut entry_trigrams: Vec<u16> = Vec::new();

        for (idx, e) in entries.iter().enumerate() {
            let idx = idx as u32;
            tokens_start.push(tokens.len() as u32);
            let mut bits = 0u64;
            let mut add_field = |text: &str, field: u8, sub: usize| {
                let sub = u8::try_from(sub).unwrap_or(u8::MAX);
                let mut count = 0u8;
                for (pos, (_, word)) in words(text).enumerate() {
                    let folded_word = fold(word, false);
                    bits |= signature::word_bits(&folded_word);
                    let folded = intern(&mut folded_ids, folded_word);
                    let exact = intern(&mut exact_ids, fold(word, true));
                    let pos = u8::try_from(pos).unwrap_or(u8::MAX);
                    tokens.push(EntryToken {
                        folded,
                        exact,
                        field,
                        sub,
                        pos,
                    });
                    count = count.saturating_add(1);
                }
                count
            };
            let name_words = add_field(&e.name, F_NAME, 0);
            add_field(&e.company, F_COMPANY, 0);
            add_field(&e.title, F_TITLE, 0);
            add_field(&e.department, F_DEPARTMENT, 0);
            for (i, k) in e.keywords.iter().take(MAX_LIST).enumerate() {
                add_field(k, F_KEYWORD, i);
            }
            for (i, m) in e.emails.iter().take(MAX_LIST).enumerate() {
                add_field(m, F_EMAIL, i);
            }

            variants_start.push(variants.len() as u32);
            entry_trigrams.clear();
            for (n, number) in e.numbers.iter().take(MAX_LIST).enumerate() {
                for (text, synth, skip) in number_variants(&number.number, opts).1 {
                    let bytes = text.as_bytes();
                    let Ok(len) = u16::try_from(bytes.len()) else {
                        continue;
                    };
                    if len == 0 {
                        continue;
                    }
                    variants.push(DigitVariant {
                        start: digits.len() as u32,
                        len,
                        number: n as u8,
                        synth,
                        skip,
                    });
                    digits.extend_from_slice(bytes);
                    bits |= signature::digit_bits(bytes);
                    // A separator keeps a substring search over all of an entry's variants at
                    // once from matching across two of them.
                    digits.push(b'|');
                    for w in bytes.windows(3) {
                        let key = u16::from(w[0] - b'0') * 100
                            + u16::from(w[1] - b'0') * 10
                            + u16::from(w[2] - b'0');
                        entry_trigrams.push(key);
                    }
                }
            }
            entry_trigrams.sort_unstable();
            entry_trigrams.dedup();
            for &key in &entry_trigrams {
                trigram_lists[usize::from(key)].push(idx);
            }
            sig.push(bits);
            meta.push(EntryMeta {
                name_words,
                boost: entry_boost(e),
                blocked: e.kind == EntryKind::Blocked,
                alpha_rank: 0,
            });
        }
        tokens_start.push(tokens.len() as u32);
        variants_start.push(variants.len() as u32);

        let (folded_vocab, folded_remap) = sort_vocab(folded_ids);
        let (exact_vocab, exact_remap) = sort_vocab(exact_ids);
        for t in &mut tokens {
            t.folded = folded_remap[t.folded as usize];
            t.exact = exact_remap[t.exact as usize];
        }

        // Posting lists by counting sort over (token, entry); entries arrive in order, so each
        // list is sorted and only needs de-duplication of repeats within one entry.
        let mut counts = vec![0u32; folded_vocab.len() + 1];
        for t in &tokens {
            counts[t.folded as usize + 1] += 1;
        }
        for i in 1..counts.len() {
            counts[i] += counts[i - 1];
        }
        let mut postings = vec![u32::MAX; tokens.len()];
        let mut fill = counts.clone();
        for (idx, range) in tokens_start.windows(2).enumerate() {
            for t in &tokens[range[0] as usize..range[1] as usize] {
                let slot = &mut fill[t.folded as usize];
                let start = counts[t.folded as usize];
                if *slot > start && postings[*slot as usize - 1] == idx as u32 {
                    continue;
                }
                postings[*slot as usize] = idx as u32;
                *slot += 1;
            }
        }
        let mut postings_start = Vec::with_capacity(counts.len());
        let mut compact = Vec::with_capacity(tokens.len());
        for t in 0..folded_vocab.len() {
            postings_start.push(compact.len() as u32);
            compact.extend_from_slice(&postings[counts[t] as usize..fill[t] as usize]);
        }
        postings_start.push(compact.len() as u32);

        let mut trigram_start = Vec::with_capacity(1001);
        let mut trigrams = Vec::new();
        for list in &trigram_lists {
            trigram_start.push(trigrams.len() as u32);
            trigrams.extend_from_slice(list);
        }
        trigram_start.push(trigrams.len() as u32);

        let mut order: Vec<u32> = (0..entries.len() as u32).collect();
        let sort_keys: Vec<String> = entries.iter().map(|e| fold(&e.name, false)).collect();
        order.sort_by(|&a, &b| {
            sort_keys[a as usize]
                .cmp(&sort_keys[b as usize])
                .then(a.cmp(&b))
        });
        for (rank, &idx) in order.iter().enumerate() {
            meta[idx as usize].alpha_rank = rank as u32;
        }

        let mut index = SearchIndex {
            entries,
            meta,
            sig,
            folded_vocab,
            exact_vocab,
            postings_start,
            postings: compact,
            tokens_start,
            tokens,
            digits,
            variants_start,
            variants,
            trigram_start,
            trigrams,
            short: HashMap::new(),
            generation: GENERATION.fetch_add(1, Ordering::Relaxed),
        };
        index.precompute_short(opts.precompute_threshold);
        index
    }

    pub fn entries(&self) -> &[SearchEntry] {
        &self.entries
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// How many heavy one-word queries have precomputed answers.
    pub fn precomputed_queries(&self) -> usize {
        self.short.len()
    }

    /// Changes on every build; lets callers drop caches tied to an older index.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Approximate heap bytes held by the index structures (entries' own strings excluded).
    pub fn index_heap_bytes(&self) -> usize {
        use std::mem::size_of;
        let vocab: usize = self
            .folded_vocab
            .iter()
            .chain(&self.exact_vocab)
            .map(|w| w.len() + size_of::<Box<str>>())
            .sum();
        vocab
            + self.meta.capacity() * size_of::<EntryMeta>()
            + self.sig.capacity() * size_of::<u64>()
            + (self.postings_start.capacity()
                + self.postings.capacity()
                + self.tokens_start.capacity())
                * 4
            + self.tokens.capacity() * size_of::<EntryToken>()
            + self.digits.capacity()
            + self.variants_start.capacity() * 4
            + self.variants.capacity() * size_of::<DigitVariant>()
            + (self.trigram_start.capacity() + self.trigrams.capacity()) * 4
            + self
                .short
                .values()
                .map(|(v, _)| v.capacity() * 4 + 48)
                .sum::<usize>()
    }

    pub(crate) fn entry_tokens(&self, e: usize) -> &[EntryToken] {
        let (s, t) = (
            self.tokens_start[e] as usize,
            self.tokens_start[e + 1] as usize,
        );
        &self.tokens[s..t]
    }

    pub(crate) fn entry_variants(&self, e: usize) -> &[DigitVariant] {
        let (s, t) = (
            self.variants_start[e] as usize,
            self.variants_start[e + 1] as usize,
        );
        &self.variants[s..t]
    }

    /// All digit variants of entry `e`, separated by '|' (empty if it has no numbers).
    pub(crate) fn entry_digits(&self, e: usize) -> (usize, &[u8]) {
        match self.entry_variants(e) {
            [first, .., last] => {
                let (s, t) = (
                    first.start as usize,
                    last.start as usize + usize::from(last.len),
                );
                (s, &self.digits[s..t])
            }
            [only] => (only.start as usize, self.variant_digits(only)),
            [] => (0, &[]),
        }
    }

    pub(crate) fn variant_digits(&self, v: &DigitVariant) -> &[u8] {
        &self.digits[v.start as usize..v.start as usize + usize::from(v.len)]
    }
}

#[cfg(test)]
mod tests;
