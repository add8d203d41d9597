//! Query evaluation: pick the most selective query word to generate candidates, check every
//! query word against each candidate's own tokens and digit strings, rank, keep the top hits.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use memchr::memmem::Finder;

use crate::index::{
    MatchField, SearchIndex, SearchResults, F_COMPANY, F_DEPARTMENT, F_KEYWORD, F_NAME, F_TITLE,
};
use crate::query::{Query, QueryWord};
use crate::signature;

/// Score parts. Tiers are 100 apart and boosts stay below 100, so for one-word queries the
/// match tier decides and favourite/VIP/colleague only reorders within a tier.
const EXACT_NAME: u32 = 10_000;
const NAME_IN_PLACE: u32 = 400;
const NAME_WORD: u32 = 300;
const ORG_WORD: u32 = 200;
const OTHER_WORD: u32 = 100;
const WHOLE_WORD: u32 = 20;
const DIGITS: u32 = 50;
const DIGITS_AT_START: u32 = 25;
const DIGITS_WHOLE: u32 = 25;

/// How many hits are kept per precomputed query (larger limits search normally).
pub(crate) const SHORT_TOP: usize = 64;

pub(crate) struct WordPlan<'q> {
    pub(crate) word: &'q QueryWord,
    /// Folded-vocabulary id range of words starting with the query word.
    pub(crate) folded: Option<(u32, u32)>,
    pub(crate) exact: Option<(u32, u32)>,
    /// Vocabulary id of the query word itself (whole-word match), folded or exact.
    pub(crate) whole: Option<u32>,
    pub(crate) finder: Option<Finder<'q>>,
    /// Signature bits an entry must have to match this word.
    pub(crate) required: u64,
}

fn prefix_range(vocab: &[Box<str>], prefix: &str) -> (u32, u32, Option<u32>) {
    let lo = vocab.partition_point(|w| &**w < prefix);
    let len = vocab
        .get(lo..)
        .map_or(0, |rest| rest.partition_point(|w| w.starts_with(prefix)));
    let whole = vocab.get(lo).filter(|w| &***w == prefix).map(|_| lo as u32);
    (lo as u32, (lo + len) as u32, whole)
}

fn trigram_key(d: &[u8]) -> usize {
    d.iter().take(3).fold(0usize, |acc, b| {
        acc * 10 + usize::from(b.wrapping_sub(b'0')) % 10
    })
}

impl SearchIndex {
    pub(crate) fn plan<'q>(&self, word: &'q QueryWord) -> WordPlan<'q> {
        let mut plan = WordPlan {
            word,
            folded: None,
            exact: None,
            whole: None,
            finder: None,
            required: signature::required_bits(&word.folded, word.digits.as_deref(), word.text),
        };
        if word.text {
            let (lo, hi, whole) = prefix_range(&self.folded_vocab, &word.folded);
            plan.folded = Some((lo, hi));
            plan.whole = whole;
            if let Some(exact) = &word.exact {
                let (lo, hi, whole) = prefix_range(&self.exact_vocab, exact);
                plan.exact = Some((lo, hi));
                plan.whole = whole;
            }
        }
        if let Some(d) = word.digits.as_deref().filter(|d| !d.is_empty()) {
            plan.finder = Some(Finder::new(d.as_bytes()));
        }
        plan
    }

    /// Upper bound of entries this word can match, from the index alone.
    pub(crate) fn cost(&self, p: &WordPlan) -> usize {
        let mut cost = 0;
        if let Some((lo, hi)) = p.folded {
            cost += (self.postings_start[hi as usize] - self.postings_start[lo as usize]) as usize;
        }
        if let Some(d) = p.word.digits.as_deref().filter(|d| !d.is_empty()) {
            cost += match self.rarest_trigram(d.as_bytes()) {
                Some((s, e)) => e - s,
                None => self.len(),
            };
        }
        cost
    }

    fn rarest_trigram(&self, digits: &[u8]) -> Option<(usize, usize)> {
        digits
            .windows(3)
            .map(|w| {
                let k = trigram_key(w);
                (
                    self.trigram_start[k] as usize,
                    self.trigram_start[k + 1] as usize,
                )
            })
            .min_by_key(|(s, e)| e - s)
    }

    fn candidates(&self, p: &WordPlan) -> Vec<u32> {
        let n = self.len();
        if let Some(d) = p.word.digits.as_deref().filter(|d| !d.is_empty()) {
            if self.rarest_trigram(d.as_bytes()).is_none() {
                return (0..n as u32).collect();
            }
        }
        let mut seen = vec![0u64; n / 64 + 1];
        let mut out = Vec::new();
        let mut push = |e: u32| {
            let (w, b) = (e as usize / 64, e % 64);
            if seen[w] & (1 << b) == 0 {
                seen[w] |= 1 << b;
                out.push(e);
            }
        };
        if let Some((lo, hi)) = p.folded {
            let (s, e) = (
                self.postings_start[lo as usize] as usize,
                self.postings_start[hi as usize] as usize,
            );
            self.postings[s..e].iter().for_each(|&x| push(x));
        }
        if let Some(d) = p.word.digits.as_deref().filter(|d| d.len() >= 3) {
            self.trigram_intersection(d.as_bytes())
                .into_iter()
                .for_each(&mut push);
        }
        out
    }

    /// Entries whose numbers contain every 3-digit window of `digits` (a superset of the
    /// entries containing `digits`; exact for 3 digits).
    pub(crate) fn trigram_intersection(&self, digits: &[u8]) -> Vec<u32> {
        let mut lists: Vec<&[u32]> = digits
            .windows(3)
            .map(|w| {
                let k = trigram_key(w);
                &self.trigrams[self.trigram_start[k] as usize..self.trigram_start[k + 1] as usize]
            })
            .collect();
        lists.sort_by_key(|l| l.len());
        let Some((first, rest)) = lists.split_first() else {
            return Vec::new();
        };
        let mut out = first.to_vec();
        for list in rest {
            let mut from = 0;
            out.retain(|e| match list.get(from..).map(|l| l.binary_search(e)) {
                Some(Ok(i)) => {
                    from += i + 1;
                    true
                }
                Some(Err(i)) => {
                    from += i;
                    false
                }
                None => false,
            });
            if out.is_empty() {
                break;
            }
        }
        out
    }

    /// Scores entry `e` against all words, or None if some word does not match. With `fields`,
    /// records the best field of each word.
    pub(crate) fn eval(
        &self,
        e: usize,
        plans: &[WordPlan],
        mut fields: Option<&mut Vec<(u32, MatchField)>>,
    ) -> Option<u32> {
        let sig = self.sig[e];
        if plans.iter().any(|p| sig & p.required != p.required) {
            return None;
        }
        let tokens = self.entry_tokens(e);
        let variants = self.entry_variants(e);
        let meta = self.meta[e];
        let mut exact_name =
            plans.len() == usize::from(meta.name_words) && plans.iter().all(|p| p.word.text);
        let mut total = 0;
        for (i, p) in plans.iter().enumerate() {
            let mut best = 0;
            let mut best_field = MatchField::Name;
            let mut whole_name_here = false;
            if let Some((lo, hi)) = p.folded.filter(|(lo, hi)| lo < hi) {
                for t in tokens {
                    if t.folded < lo || t.folded >= hi {
                        continue;
                    }
                    let whole_id = if p.exact.is_some() { t.exact } else { t.folded };
                    if let Some((elo, ehi)) = p.exact {
                        if t.exact < elo || t.exact >= ehi {
                            continue;
                        }
                    }
                    let whole = p.whole == Some(whole_id);
                    let in_place = usize::from(t.pos) == i;
                    whole_name_here |= t.field == F_NAME && in_place && whole;
                    let score = match t.field {
                        F_NAME if in_place => NAME_IN_PLACE,
                        F_NAME => NAME_WORD,
                        F_COMPANY | F_TITLE | F_DEPARTMENT => ORG_WORD,
                        _ => OTHER_WORD,
                    } + if whole { WHOLE_WORD } else { 0 };
                    if score > best {
                        best = score;
                        best_field = match t.field {
                            F_NAME => MatchField::Name,
                            F_COMPANY => MatchField::Company,
                            F_TITLE => MatchField::Title,
                            F_DEPARTMENT => MatchField::Department,
                            F_KEYWORD => MatchField::Keyword(usize::from(t.sub)),
                            _ => MatchField::Email(usize::from(t.sub)),
                        };
                    }
                }
            }
            if let Some(finder) = &p.finder {
                let (base, all) = self.entry_digits(e);
                if let Some(at) = finder.find(all) {
                    let needle = finder.needle();
                    let at = base + at;
                    let mut score = DIGITS;
                    let mut number = None;
                    for v in variants {
                        let hay = self.variant_digits(v);
                        if hay.starts_with(needle) {
                            let whole = if needle.len() == hay.len() {
                                DIGITS_WHOLE
                            } else {
                                0
                            };
                            if DIGITS + DIGITS_AT_START + whole > score {
                                score = DIGITS + DIGITS_AT_START + whole;
                                number = Some(v.number);
                            }
                        } else if number.is_none()
                            && (v.start as usize..v.start as usize + hay.len()).contains(&at)
                        {
                            number = Some(v.number);
                        }
                    }
                    if score > best {
                        best = score;
                        best_field = MatchField::Number(usize::from(number.unwrap_or(0)));
                    }
                }
            }
            if best == 0 {
                return None;
            }
            exact_name &= whole_name_here;
            total += best;
            if let Some(f) = fields.as_deref_mut() {
                f.push((best, best_field));
            }
        }
        Some(total + meta.boost + if exact_name { EXACT_NAME } else { 0 })
    }

    /// Searches the whole index with the given text.
    pub fn search(&self, text: &str, limit: usize) -> SearchResults {
        self.search_within(&Query::parse(text), None, limit).0
    }

    pub fn search_query(&self, query: &Query, limit: usize) -> SearchResults {
        self.search_within(query, None, limit).0
    }

    /// Searches `within` (entries known to contain all matches) or the whole index. Returns
    /// the results and, when known, every matching entry (for the next incremental keystroke).
    pub(crate) fn search_within(
        &self,
        query: &Query,
        within: Option<&[u32]>,
        limit: usize,
    ) -> (SearchResults, Option<Vec<u32>>) {
        if query.is_empty() || self.is_empty() {
            return (SearchResults::default(), Some(Vec::new()));
        }
        let plans: Vec<WordPlan> = query.words.iter().map(|w| self.plan(w)).collect();
        if let [word] = query.words.as_slice() {
            let key = word.exact.as_ref().unwrap_or(&word.folded);
            if limit <= SHORT_TOP {
                if let Some((top, total)) = self.short.get(&(query.phone, key.clone())) {
                    let hits = top
                        .iter()
                        .take(limit)
                        .filter_map(|&e| self.hit(e as usize, &plans))
                        .collect();
                    return (
                        SearchResults {
                            hits,
                            total: *total,
                        },
                        None,
                    );
                }
            }
        }
        let driver = plans.iter().min_by_key(|p| self.cost(p));
        let generated;
        let candidates: &[u32] = match (within, driver) {
            (Some(w), Some(d)) if w.len() <= self.cost(d) => w,
            (Some(w), None) => w,
            (_, Some(d)) => {
                generated = self.candidates(d);
                &generated
            }
            (None, None) => return (SearchResults::default(), Some(Vec::new())),
        };

        let mut matched = Vec::new();
        let mut top: BinaryHeap<Reverse<(u64, u32)>> = BinaryHeap::with_capacity(limit + 1);
        for &e in candidates {
            let Some(score) = self.eval(e as usize, &plans, None) else {
                continue;
            };
            matched.push(e);
            if limit == 0 {
                continue;
            }
            let meta = self.meta[e as usize];
            let key = (u64::from(!meta.blocked) << 63)
                | (u64::from(score) << 32)
                | u64::from(u32::MAX - meta.alpha_rank);
            if top.len() < limit {
                top.push(Reverse((key, e)));
            } else if top.peek().is_some_and(|Reverse((k, _))| key > *k) {
                top.pop();
                top.push(Reverse((key, e)));
            }
        }
        let mut ranked: Vec<(u64, u32)> = top.into_iter().map(|Reverse(x)| x).collect();
        ranked.sort_unstable_by(|a, b| b.cmp(a));
        let hits = ranked
            .into_iter()
            .filter_map(|(_, e)| self.hit(e as usize, &plans))
            .collect();
        (
            SearchResults {
                hits,
                total: matched.len(),
            },
            Some(matched),
        )
    }
}
