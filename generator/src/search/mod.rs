//! Vietnamese full-text search, the same on the server and offline in the browser.
//!
//! The build turns every document into a [`DocInfo`] and its *terms* (`terms`: words, pairs
//! of adjacent words, its number, with flags), and writes two indexes of the same facts: a
//! tantivy index beside the site for the server and `sotay search` (`index`), and a sharded
//! index inside the site for the browser (`shards`). Ranking is one function, [`top`], over
//! what both hold ([`Postings`]); the browser's `search.js` is a line-for-line port of
//! [`Query::parse`], [`top`], [`correct::suggest`] and [`passage`], and tests hold them to it.
//!
//! A query then goes: parse -> rank the documents ([`top`]) -> if it finds little, try the
//! nearest words the index knows ([`correct`]) -> for each hit shown, find the passage of the
//! document (the article or heading) where the words stand, and its snippet ([`passage`]).
//!
//! Why not tantivy's BM25 directly: the browser cannot run it, and results that differ between
//! online and offline would confuse members. tantivy stores and serves the postings; the
//! scoring is ours.

pub mod correct;
pub mod docset;
pub mod huffman;
pub mod index;
mod inverted;
pub mod keycode;
pub mod passage;
pub mod runs;
pub mod shard_cache;
pub mod shards;
pub mod snippet;
pub mod terms;
pub mod varint;

use crate::text;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::collections::HashSet;
pub use terms::Meta;

/// What search knows about a document besides its terms.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocInfo {
    pub id: String,
    /// Site-relative URL (without the base path).
    pub url: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Section id ("nghi-quyet"), for filtering.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub section: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year: Option<u16>,
    /// "in-force", "expired", "superseded".
    pub status: String,
    /// "15/03/2026"
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    #[serde(default)]
    pub summary: String,
    /// The headings (levels 2 to 4) that start the document's passages, in order: (anchor,
    /// text, byte offset of the heading in the body text).
    #[serde(default)]
    pub headings: Vec<(String, String, u32)>,
}

impl DocInfo {
    /// No longer in force: ranks lower.
    pub fn inactive(&self) -> bool {
        self.status == "expired" || self.status == "superseded"
    }
}

/// A parsed query: its words, and the quoted phrases among them.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub terms: Vec<QueryTerm>,
    /// Index ranges into `terms` of quoted phrases (one word or more).
    pub phrases: Vec<(usize, usize)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct QueryTerm {
    pub folded: String,
    pub exact: String,
    /// Typed with diacritics (or đ): exact matches rank first, and inside quotes are required.
    pub accented: bool,
}

impl Query {
    /// Splits a query into words; text between double quotes is a phrase.
    pub fn parse(q: &str) -> Query {
        let q = text::nfc(q);
        let mut terms = Vec::new();
        let mut phrases = Vec::new();
        for (i, part) in q.split('"').enumerate() {
            let start = terms.len();
            text::for_each_token(part, |t| {
                terms.push(QueryTerm {
                    accented: t.exact != t.folded,
                    folded: t.folded,
                    exact: t.exact,
                })
            });
            if i % 2 == 1 && terms.len() > start {
                phrases.push((start, terms.len()));
            }
        }
        Query { terms, phrases }
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// The query as text again: its words, quoted phrases in quotes.
    pub fn text(&self, word: impl Fn(usize) -> String) -> String {
        let mut out = String::new();
        let mut i = 0;
        while i < self.terms.len() {
            if !out.is_empty() {
                out.push(' ');
            }
            match self.phrases.iter().find(|p| p.0 == i) {
                Some(&(a, b)) => {
                    out.push('"');
                    out.push_str(&(a..b).map(&word).collect::<Vec<_>>().join(" "));
                    out.push('"');
                    i = b;
                }
                None => {
                    out.push_str(&word(i));
                    i += 1;
                }
            }
        }
        out
    }
}

/// What an index must answer for ranking: the postings of terms (see `terms`).
pub trait Postings {
    fn num_docs(&self) -> u32;
    /// (document, flags) of every document holding the term, sorted by document.
    fn postings(&self, key: &str) -> Vec<(u32, Meta)>;
    /// Sorted ordinals of the documents holding the exact form of a word.
    fn exact_docs(&self, exact: &str, folded: &str) -> Vec<u32>;
    /// How many documents hold the term.
    fn df(&self, key: &str) -> u32 {
        self.postings(key).len() as u32
    }
    /// Whether the vocabulary has this folded word, and how common it is: 0 when no document
    /// holds it, else 1 + ⌊log₂ df⌋. (What the browser's vocabulary files hold.)
    fn word_bucket(&self, word: &str) -> u8 {
        df_bucket(self.df(word))
    }
    /// The most frequent exact form of a folded word (for showing a corrected query).
    fn common_form(&self, folded: &str) -> Option<String>;
}

/// 0 for 0, else 1 + ⌊log₂ df⌋.
pub fn df_bucket(df: u32) -> u8 {
    if df == 0 {
        0
    } else {
        (32 - df.leading_zeros()) as u8
    }
}

/// Restricts results.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub kind: Option<String>,
    /// Section id; documents in sub-sections count too.
    pub section: Option<String>,
    pub year: Option<u16>,
}

impl Filter {
    fn accepts(&self, d: &DocInfo) -> bool {
        self.kind
            .as_ref()
            .is_none_or(|k| d.kind.as_ref() == Some(k))
            && self.year.is_none_or(|y| d.year == Some(y))
            && self.section.as_ref().is_none_or(|s| {
                d.section
                    .as_ref()
                    .is_some_and(|ds| ds == s || ds.starts_with(&format!("{s}/")))
            })
    }
}

/// One ranked document.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranked {
    pub ord: u32,
    pub score: f64,
    /// It holds every adjacent pair of the query (for [`runs`]: whether to read it).
    pub together: bool,
}

/// Per document, the flags of one term's posting, or [`ABSENT`].
struct Dense(Vec<u8>);
const ABSENT: u8 = 0xff;

impl Dense {
    fn of(n: usize, postings: &[(u32, Meta)]) -> Dense {
        let mut v = vec![ABSENT; n];
        for &(d, m) in postings {
            if let Some(x) = v.get_mut(d as usize) {
                *x = m;
            }
        }
        Dense(v)
    }
    fn get(&self, d: u32) -> Option<Meta> {
        self.0.get(d as usize).copied().filter(|&m| m != ABSENT)
    }
}

/// A set of documents as bits: one look-up per candidate where a sorted list would need a
/// binary search (what made queries typed with diacritics the slowest at 100,000 documents).
struct Bits(Vec<u64>);

impl Bits {
    fn of(n: usize, docs: impl IntoIterator<Item = u32>) -> Bits {
        let mut b = Bits(vec![0u64; n.div_ceil(64)]);
        for d in docs {
            if let Some(w) = b.0.get_mut(d as usize / 64) {
                *w |= 1 << (d % 64);
            }
        }
        b
    }
    fn has(&self, d: u32) -> bool {
        self.0
            .get(d as usize / 64)
            .is_some_and(|w| w & (1 << (d % 64)) != 0)
    }
    /// Keeps the documents that `o` has too.
    fn and(&mut self, o: &Bits) {
        for (w, x) in self.0.iter_mut().zip(&o.0) {
            *w &= x;
        }
    }
    /// The documents, in order.
    fn docs(&self) -> Vec<u32> {
        let mut out = Vec::new();
        for (i, &w) in self.0.iter().enumerate() {
            let mut w = w;
            while w != 0 {
                out.push(i as u32 * 64 + w.trailing_zeros());
                w &= w - 1;
            }
        }
        out
    }
}

/// The documents of a sorted list of postings, in order.
fn docs(p: &[(u32, Meta)]) -> impl Iterator<Item = u32> + '_ {
    p.iter().map(|&(d, _)| d)
}

fn intersect(a: &[u32], b: &[(u32, Meta)]) -> Vec<u32> {
    let (mut i, mut j, mut out) = (0, 0, Vec::with_capacity(a.len().min(b.len())));
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j].0) {
            Ordering::Less => i += 1,
            Ordering::Greater => j += 1,
            Ordering::Equal => {
                out.push(a[i]);
                i += 1;
                j += 1;
            }
        }
    }
    out
}

/// Intersects sorted lists of postings, shortest first; long lists (common words) as bit
/// sets, whose word-wide ANDs beat a merge's unpredictable branches. The lists are read where
/// they are, not copied.
fn intersect_all(n: usize, mut lists: Vec<&[(u32, Meta)]>) -> Vec<u32> {
    lists.sort_by_key(|l| l.len());
    let Some(first) = lists.first() else {
        return Vec::new();
    };
    if lists.len() > 1 && first.len() >= n / 32 {
        let mut all = Bits::of(n, docs(first));
        for l in &lists[1..] {
            all.and(&Bits::of(n, docs(l)));
        }
        all.docs()
    } else {
        let mut c: Vec<u32> = docs(first).collect();
        for l in &lists[1..] {
            c = intersect(&c, l);
        }
        c
    }
}

/// The weights of the score (see [`top`]).
pub mod weight {
    /// Each bucket of a word's frequency (2–3, 4–7, 8+ occurrences) adds this share of its idf.
    pub const TF: f64 = 0.5;
    pub const TITLE_WORD: f64 = 2.0;
    pub const HEADING_WORD: f64 = 1.0;
    pub const EXACT: f64 = 1.0;
    /// Per pair of the query's adjacent words that the document holds side by side: this
    /// times the two words' idf.
    pub const PAIR: f64 = 1.0;
    /// All of the query's words stand together, in order: this times the sum of the idfs.
    pub const TOGETHER: f64 = 4.0;
    pub const TITLE_SEQ: f64 = 3.0;
    pub const HEADING_SEQ: f64 = 2.0;
    pub const NUMBER: f64 = 10.0;
    pub const INACTIVE: f64 = 0.7;
}

/// Ranks every document that holds all the query's words, every quoted phrase (its words
/// side by side, in order; the exact forms of the words typed with diacritics), and passes
/// the filter. See [`top`] for the score.
pub fn rank(
    query: &Query,
    docs: &[DocInfo],
    postings: &impl Postings,
    filter: &Filter,
) -> Vec<Ranked> {
    top(query, docs, postings, filter, usize::MAX).1
}

/// The number of matching documents, and the first `k` of them in rank order.
///
/// Score, per distinct word q with idf(q) = ln(1 + (N − df + 0.5) / (df + 0.5)):
/// idf·(1 + 0.5·b) where b is the word's frequency bucket in the document (0 for once, 1 for
/// 2–3 times, 2 for 4–7, 3 for more); +2·idf if the title holds it, +idf if a heading does,
/// +idf if it was typed with diacritics and the document has that exact form. With S the
/// sum of the idfs, for two words or more: +idf(a)+idf(b) per adjacent pair (a, b) of the
/// query that the document holds side by side; +4·S if it holds all of them (the words
/// together, in order); +3·S if its title does, +2·S if its headings do; +10·S if the query
/// is the document's number. Documents no longer in force count 0.7. Scores are rounded to 6
/// decimals; ties go to the earlier document. Runs of three words or more are then checked
/// in the documents' text ([`runs`]).
pub fn top(
    query: &Query,
    docs: &[DocInfo],
    postings: &impl Postings,
    filter: &Filter,
    k: usize,
) -> (usize, Vec<Ranked>) {
    if query.is_empty() {
        return (0, Vec::new());
    }
    let terms = QueryPostings::read(query, postings);
    let cands = candidates(query, docs, &terms, postings, filter);
    if cands.is_empty() {
        return (0, Vec::new());
    }
    let scorer = Scorer::new(query, docs, &terms, postings);
    let total = cands.len();
    let mut best = Best::new(k);
    // Documents that hold every pair of the query first: when k of them are in and the k-th
    // scores above anything a document without them could reach, the others (most of the
    // candidates of common words) are not scored at all. Same result, less work.
    if !scorer.pairs.is_empty() && k < total {
        let (with, apart): (Vec<u32>, Vec<u32>) =
            cands.iter().partition(|&&o| scorer.holds_every_pair(o));
        scorer.add(&mut best, &with);
        if best.bar().is_some_and(|b| b > scorer.bound_apart() + 1e-5) {
            #[cfg(test)]
            tests::SKIPPED.with(|c| c.set(c.get() + 1));
            return (total, best.finish());
        }
        scorer.add(&mut best, &apart);
    } else {
        scorer.add(&mut best, &cands);
    }
    (total, best.finish())
}

/// The postings a query reads: its distinct words' and its adjacent pairs'.
struct QueryPostings<'q> {
    /// Distinct folded words, in query order.
    words: Vec<&'q str>,
    word_postings: Vec<Vec<(u32, Meta)>>,
    /// The query's words in order (folded), a word may repeat.
    seq: Vec<&'q str>,
    pair_keys: Vec<String>,
    pair_postings: Vec<Vec<(u32, Meta)>>,
}

impl<'q> QueryPostings<'q> {
    fn read(query: &'q Query, postings: &impl Postings) -> Self {
        let mut words: Vec<&str> = Vec::new();
        for t in &query.terms {
            if !words.contains(&t.folded.as_str()) {
                words.push(&t.folded);
            }
        }
        let word_postings = words.iter().map(|w| postings.postings(w)).collect();
        let seq: Vec<&str> = query.terms.iter().map(|t| t.folded.as_str()).collect();
        let mut pair_keys: Vec<String> = Vec::new();
        for w in seq.windows(2) {
            let key = terms::pair_key(w[0], w[1]);
            if !pair_keys.contains(&key) {
                pair_keys.push(key);
            }
        }
        let pair_postings = pair_keys.iter().map(|p| postings.postings(p)).collect();
        QueryPostings {
            words,
            word_postings,
            seq,
            pair_keys,
            pair_postings,
        }
    }

    /// Index into `pair_keys` of the pair (a, b).
    fn pair_at(&self, a: &str, b: &str) -> usize {
        let key = terms::pair_key(a, b);
        self.pair_keys.iter().position(|k| *k == key).unwrap_or(0)
    }

    fn word_at(&self, w: &str) -> usize {
        self.words.iter().position(|x| *x == w).unwrap_or(0)
    }

    fn idf(&self, w: &str, n: f64) -> f64 {
        let df = self.word_postings[self.word_at(w)].len() as f64;
        (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
    }
}

/// The documents that hold every word and every quoted phrase's pairs (and the exact forms of
/// its words typed with diacritics), and pass the filter, in order.
fn candidates(
    query: &Query,
    docs: &[DocInfo],
    q: &QueryPostings,
    postings: &impl Postings,
    filter: &Filter,
) -> Vec<u32> {
    let mut exact: Vec<Vec<(u32, Meta)>> = Vec::new();
    let mut required: Vec<&[(u32, Meta)]> = q.word_postings.iter().map(Vec::as_slice).collect();
    for &(a, b) in &query.phrases {
        for i in a..b {
            if i + 1 < b {
                required.push(&q.pair_postings[q.pair_at(q.seq[i], q.seq[i + 1])]);
            }
            let t = &query.terms[i];
            if t.accented {
                let l = postings.exact_docs(&t.exact, &t.folded);
                exact.push(l.into_iter().map(|d| (d, 0)).collect());
            }
        }
    }
    required.extend(exact.iter().map(Vec::as_slice));
    let mut cands = intersect_all(docs.len(), required);
    if *filter != Filter::default() {
        cands.retain(|&o| docs.get(o as usize).is_some_and(|d| filter.accepts(d)));
    }
    cands.retain(|&o| (o as usize) < docs.len());
    cands
}

/// Scores candidates (see [`top`]): what it needs of the query's postings, per document.
struct Scorer<'a> {
    docs: &'a [DocInfo],
    /// Per distinct (folded, exact) word: its idf, its word's flags, the documents with its
    /// exact form (typed with diacritics).
    idf: Vec<f64>,
    word_meta: Vec<Dense>,
    word_of: Vec<usize>,
    exact: Vec<Option<Bits>>,
    sum_idf: f64,
    /// The query's adjacent pairs, in order (a pair may repeat), with their words' idfs.
    pairs: Vec<(usize, f64)>,
    pair_meta: Vec<Dense>,
    number: Dense,
}

impl<'a> Scorer<'a> {
    fn new(
        query: &Query,
        docs: &'a [DocInfo],
        q: &QueryPostings,
        postings: &impl Postings,
    ) -> Self {
        let n = f64::from(postings.num_docs());
        let size = docs.len();
        let mut seen = HashSet::new();
        let distinct: Vec<&QueryTerm> = query
            .terms
            .iter()
            .filter(|t| seen.insert((t.folded.as_str(), t.exact.as_str())))
            .collect();
        let idf: Vec<f64> = distinct.iter().map(|t| q.idf(&t.folded, n)).collect();
        let number = Dense::of(size, &postings.postings(&terms::number_key(&q.seq)));
        Scorer {
            docs,
            sum_idf: idf.iter().sum(),
            idf,
            word_meta: q.word_postings.iter().map(|p| Dense::of(size, p)).collect(),
            word_of: distinct.iter().map(|t| q.word_at(&t.folded)).collect(),
            exact: distinct
                .iter()
                .map(|t| {
                    t.accented
                        .then(|| Bits::of(size, postings.exact_docs(&t.exact, &t.folded)))
                })
                .collect(),
            pairs: q
                .seq
                .windows(2)
                .map(|w| (q.pair_at(w[0], w[1]), q.idf(w[0], n) + q.idf(w[1], n)))
                .collect(),
            pair_meta: q.pair_postings.iter().map(|p| Dense::of(size, p)).collect(),
            number,
        }
    }

    /// Scores `cands` and keeps the best in `best`.
    fn add(&self, best: &mut Best, cands: &[u32]) {
        let (raw, together) = self.raw_all(cands);
        // Candidates are given to `Best` by their index in `cands`.
        let at: Vec<u32> = (0..cands.len() as u32).collect();
        best.add(&at, |j, bar| {
            let j = j as usize;
            self.rank(cands[j], raw[j], together[j], bar)
        });
    }

    fn holds_every_pair(&self, ord: u32) -> bool {
        self.pair_meta.iter().all(|m| m.get(ord).is_some())
    }

    /// The raw score (before rounding and the "no longer in force" factor) of each of `cands`,
    /// and whether it holds every pair of the query. Computed term by term over all the
    /// candidates (each term's flags read in document order) rather than document by document:
    /// every document gets the same additions in the same order as it would one at a time
    /// (each word: its frequency, title, heading, exact form; each pair; the pairs together, in
    /// the title, in a heading; the number), so the same value to the bit.
    fn raw_all(&self, cands: &[u32]) -> (Vec<f64>, Vec<bool>) {
        let n = cands.len();
        let mut s = vec![0.0f64; n];
        let flags = |d: &Dense, o: u32| d.0.get(o as usize).copied().unwrap_or(ABSENT);
        for (i, &idf) in self.idf.iter().enumerate() {
            let meta = &self.word_meta[self.word_of[i]];
            let by_tf: [f64; 4] =
                std::array::from_fn(|tf| idf * (1.0 + weight::TF * f64::from(tf as u8)));
            let (title, heading) = (weight::TITLE_WORD * idf, weight::HEADING_WORD * idf);
            for (x, &o) in s.iter_mut().zip(cands) {
                let m = match flags(meta, o) {
                    ABSENT => 0,
                    m => m,
                };
                *x += by_tf[usize::from(m & terms::TF)];
                if m & terms::TITLE != 0 {
                    *x += title;
                }
                if m & terms::HEADING != 0 {
                    *x += heading;
                }
            }
            if let Some(exact) = &self.exact[i] {
                let add = weight::EXACT * idf;
                for (x, &o) in s.iter_mut().zip(cands) {
                    if exact.has(o) {
                        *x += add;
                    }
                }
            }
        }
        let mut together = vec![!self.pairs.is_empty(); n];
        if !self.pairs.is_empty() {
            let (mut title, mut heading) = (vec![true; n], vec![true; n]);
            for &(p, w) in &self.pairs {
                let (meta, add) = (&self.pair_meta[p], weight::PAIR * w);
                for (j, &o) in cands.iter().enumerate() {
                    match flags(meta, o) {
                        ABSENT => {
                            together[j] = false;
                            title[j] = false;
                            heading[j] = false;
                        }
                        m => {
                            s[j] += add;
                            title[j] &= m & terms::TITLE != 0;
                            heading[j] &= m & terms::HEADING != 0;
                        }
                    }
                }
            }
            for j in 0..n {
                if together[j] {
                    s[j] += weight::TOGETHER * self.sum_idf;
                }
                if title[j] {
                    s[j] += weight::TITLE_SEQ * self.sum_idf;
                }
                if heading[j] {
                    s[j] += weight::HEADING_SEQ * self.sum_idf;
                }
            }
        }
        for (x, &o) in s.iter_mut().zip(cands) {
            if self.number.get(o).is_some() {
                *x += weight::NUMBER * self.sum_idf;
            }
        }
        (s, together)
    }

    /// Document `ord`'s rank from its raw score `s`, or `None` when it cannot beat `bar` (the
    /// k-th best so far). Being no longer in force only lowers a score, so it is looked up (a
    /// read of the document's record, most of the cost at 100,000 documents) only for a
    /// document that could enter.
    fn rank(&self, ord: u32, s: f64, together: bool, bar: Option<&Ranked>) -> Option<Ranked> {
        // Clearly below the bar: not worth rounding (a call into libm per candidate).
        if bar.is_some_and(|b| s < b.score - 1e-5) {
            return None;
        }
        let mut r = Ranked {
            ord,
            score: (s * 1e6).round() / 1e6,
            together,
        };
        if bar.is_some_and(|b| by_rank(&r, b) != Ordering::Less) {
            return None;
        }
        if self.docs.get(ord as usize).is_some_and(DocInfo::inactive) {
            r.score = (s * weight::INACTIVE * 1e6).round() / 1e6;
        }
        Some(r)
    }

    /// The most a document that lacks one of the query's pairs can score: every word at its
    /// best (frequency, title, headings, exact form), every pair but the lightest, the number.
    fn bound_apart(&self) -> f64 {
        let words: f64 = self
            .idf
            .iter()
            .zip(&self.exact)
            .map(|(&idf, exact)| {
                let best = 1.0
                    + weight::TF * f64::from(terms::TF)
                    + weight::TITLE_WORD
                    + weight::HEADING_WORD
                    + if exact.is_some() { weight::EXACT } else { 0.0 };
                idf * best
            })
            .sum();
        let pairs: f64 = self.pairs.iter().map(|&(_, w)| weight::PAIR * w).sum();
        let lightest = self
            .pairs
            .iter()
            .map(|&(_, w)| weight::PAIR * w)
            .fold(f64::INFINITY, f64::min);
        let number = if self.number.0.iter().any(|&m| m != ABSENT) {
            weight::NUMBER * self.sum_idf
        } else {
            0.0
        };
        words + pairs - lightest + number
    }
}

/// Rank order: higher score first, then the earlier document.
fn by_rank(a: &Ranked, b: &Ranked) -> Ordering {
    b.score.total_cmp(&a.score).then(a.ord.cmp(&b.ord))
}

/// The best `k` documents seen so far: a buffer of up to 2k, cut back to k when full; once
/// cut, a document that does not beat the k-th best is not kept.
struct Best {
    k: usize,
    out: Vec<Ranked>,
    kth: Option<Ranked>,
}

impl Best {
    fn new(k: usize) -> Best {
        Best {
            k,
            out: Vec::new(),
            kth: None,
        }
    }

    /// Ranks each candidate with `score` (given the k-th best so far, it may answer `None`
    /// for a document that would not beat it) and keeps the best.
    fn add(&mut self, cands: &[u32], score: impl Fn(u32, Option<&Ranked>) -> Option<Ranked>) {
        if self.k == 0 {
            return;
        }
        let cap = self.k.saturating_mul(2).max(16);
        for &o in cands {
            let Some(r) = score(o, self.kth.as_ref()) else {
                continue;
            };
            if self
                .kth
                .as_ref()
                .is_some_and(|w| by_rank(&r, w) != Ordering::Less)
            {
                continue;
            }
            self.out.push(r);
            if self.out.len() >= cap {
                self.out.select_nth_unstable_by(self.k - 1, by_rank);
                self.out.truncate(self.k);
                self.kth = self.out.last().cloned();
            }
        }
    }

    /// The k-th best score, once k documents are in.
    fn bar(&self) -> Option<f64> {
        if self.k == 0 || self.out.len() < self.k {
            return None;
        }
        let mut scores: Vec<f64> = self.out.iter().map(|r| r.score).collect();
        scores.sort_by(|a, b| b.total_cmp(a));
        scores.get(self.k - 1).copied()
    }

    /// The best `k`, in rank order.
    fn finish(mut self) -> Vec<Ranked> {
        if self.k < self.out.len() {
            self.out.select_nth_unstable_by(self.k, by_rank);
            self.out.truncate(self.k);
        }
        self.out.sort_by(by_rank);
        self.out
    }
}

/// A search result as the API and `sotay search --format json` give it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Hit {
    pub id: String,
    /// The document's URL, with the anchor of the passage where the words stand.
    pub url: String,
    pub title: String,
    /// HTML: escaped text of the passage with the matched words in `<mark>`.
    pub snippet: String,
    pub score: f64,
    /// The heading of the passage ("Điều 5. Quyền của đảng viên"), if it is not the beginning.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passage: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
}

/// A page of results.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Results {
    pub total: usize,
    pub hits: Vec<Hit>,
    /// When the query as typed found little and a near one finds more: that query (with
    /// diacritics), whose results these are.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suggestion: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_parsing() {
        let q = Query::parse("Đảng viên \"chi bộ sinh hoạt\" 21-NQ/TW \"đảng\"");
        let f: Vec<&str> = q.terms.iter().map(|t| t.folded.as_str()).collect();
        assert_eq!(
            f,
            ["dang", "vien", "chi", "bo", "sinh", "hoat", "21", "nq", "tw", "dang"]
        );
        assert_eq!(q.phrases, [(2, 6), (9, 10)]);
        assert!(q.terms[0].accented && !q.terms[6].accented && !q.terms[7].accented);
        assert!(Query::parse("  ,.;  ").is_empty());
        assert_eq!(
            q.text(|i| q.terms[i].folded.clone()),
            "dang vien \"chi bo sinh hoat\" 21 nq tw \"dang\""
        );
    }

    thread_local! {
        /// How many times `top` left the documents without every pair unscored.
        pub static SKIPPED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    }

    /// Postings held in a map, for ranking tests without an index.
    struct Mem {
        n: u32,
        terms: std::collections::HashMap<String, Vec<(u32, Meta)>>,
    }

    impl Postings for Mem {
        fn num_docs(&self) -> u32 {
            self.n
        }
        fn postings(&self, key: &str) -> Vec<(u32, Meta)> {
            self.terms.get(key).cloned().unwrap_or_default()
        }
        fn exact_docs(&self, exact: &str, folded: &str) -> Vec<u32> {
            let key = format!("{folded}={exact}");
            docs(&self.postings(&key)).collect()
        }
        fn common_form(&self, _: &str) -> Option<String> {
            None
        }
    }

    /// Document `d` of a made-up site, with its status ("in-force", "expired").
    fn doc_info(d: u32, status: &str) -> DocInfo {
        DocInfo {
            id: format!("d{d}"),
            url: format!("/d{d}/"),
            title: String::new(),
            number: None,
            kind: None,
            section: None,
            year: None,
            status: status.into(),
            date: None,
            summary: String::new(),
            headings: Vec::new(),
        }
    }

    /// A made-up site of `n` documents over a few syllables (so that words and pairs are
    /// common, as at 100,000 documents), some titles, some headings, some no longer in force.
    fn made_up(n: u32, seed: u64) -> (Vec<DocInfo>, Mem) {
        const WORDS: [&str; 12] = [
            "dang", "vien", "chi", "bo", "sinh", "hoat", "to", "chuc", "co", "so", "nhan", "dan",
        ];
        const ACCENTED: [&str; 12] = [
            "đảng", "viên", "chi", "bộ", "sinh", "hoạt", "tổ", "chức", "cơ", "sở", "nhân", "dân",
        ];
        let mut seed = seed;
        let mut next = |m: usize| {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) as usize % m
        };
        let mut map: std::collections::HashMap<String, Vec<(u32, Meta)>> = Default::default();
        let mut docs = Vec::new();
        for d in 0..n {
            let len = 3 + next(12);
            let body: Vec<&str> = (0..len).map(|_| WORDS[next(WORDS.len())]).collect();
            let title = next(4) == 0;
            let heading = next(5) == 0;
            let mut flags: std::collections::HashMap<String, Meta> = Default::default();
            let mut add = |key: String, extra: Meta| {
                let m = flags.entry(key).or_insert(ABSENT);
                *m = if *m == ABSENT {
                    extra
                } else {
                    ((*m & terms::TF) + 1).min(3) | (*m & !terms::TF) | extra
                };
            };
            for (i, w) in body.iter().enumerate() {
                let f = if title && i < 3 {
                    terms::TITLE
                } else if heading && i < 5 {
                    terms::HEADING
                } else {
                    0
                };
                add((*w).to_string(), f);
                if i % 3 == 0 {
                    add(
                        format!(
                            "{w}={}",
                            ACCENTED[WORDS.iter().position(|x| x == w).unwrap_or(0)]
                        ),
                        0,
                    );
                }
                if let Some(nx) = body.get(i + 1) {
                    add(terms::pair_key(w, nx), f);
                }
            }
            for (k, m) in flags {
                map.entry(k).or_default().push((d, m));
            }
            docs.push(doc_info(
                d,
                if next(6) == 0 { "expired" } else { "in-force" },
            ));
        }
        (docs, Mem { n, terms: map })
    }

    /// The first k as `top` finds them (skipping documents that cannot enter) are the first k
    /// of the whole ranking, for short and long queries of common words.
    #[test]
    fn the_first_k_are_the_first_of_the_whole_ranking() {
        for (n, seed) in [(3000, 7), (400, 1), (150, 2), (90, 3), (60, 4)] {
            the_first_k_of(n, seed);
        }
        let skipped = SKIPPED.with(std::cell::Cell::get);
        assert!(
            skipped > 5,
            "the test never reached the skipping: {skipped}"
        );
    }

    /// Five documents hold "dang vien" side by side but are no longer in force; one holds the
    /// two words apart, each in its title and headings, often: it ranks first, so it must not
    /// be skipped for lacking the pair.
    #[test]
    fn a_document_without_the_pair_can_still_rank_first() {
        let mut docs: Vec<DocInfo> = (0..5).map(|d| doc_info(d, "expired")).collect();
        docs.push(doc_info(5, "in-force"));
        let strong = terms::TITLE | terms::HEADING | terms::TF;
        let mut terms: std::collections::HashMap<String, Vec<(u32, Meta)>> = Default::default();
        for w in ["dang", "vien"] {
            terms.insert(
                w.into(),
                (0..5).map(|d| (d, 0)).chain([(5, strong)]).collect(),
            );
        }
        terms.insert(
            terms::pair_key("dang", "vien"),
            (0..5).map(|d| (d, 0)).collect(),
        );
        let mem = Mem { n: 6, terms };
        let query = Query::parse("dang vien");
        let all = rank(&query, &docs, &mem, &Filter::default());
        assert_eq!(all[0].ord, 5);
        let (_, first) = top(&query, &docs, &mem, &Filter::default(), 3);
        assert_eq!(first.iter().map(|r| r.ord).collect::<Vec<_>>(), [5, 0, 1]);
    }

    fn the_first_k_of(n: u32, seed: u64) {
        let (docs, mem) = made_up(n, seed);
        for q in [
            "dang vien",
            "đảng viên",
            "chi bo sinh hoat",
            "chi bộ sinh hoạt",
            "to chuc co so dang",
            "nhan dan",
            "vien chi",
            "dang dang",
            "so nhan dan to",
            "\"chi bo\" dang",
            "hoat to chuc",
        ] {
            let query = Query::parse(q);
            let all = rank(&query, &docs, &mem, &Filter::default());
            for k in [0, 1, 3, 10, 30] {
                let (total, first) = top(&query, &docs, &mem, &Filter::default(), k);
                assert_eq!(total, all.len(), "{q}");
                let want: Vec<(u32, f64)> = all.iter().take(k).map(|r| (r.ord, r.score)).collect();
                let got: Vec<(u32, f64)> = first.iter().map(|r| (r.ord, r.score)).collect();
                assert_eq!(got, want, "{q}, k = {k}, {n} documents");
            }
        }
    }

    #[test]
    fn df_buckets() {
        let b: Vec<u8> = [0, 1, 2, 3, 4, 1000].map(df_bucket).to_vec();
        assert_eq!(b, [0, 1, 2, 2, 3, 10]);
    }
}
