//! Vietnamese full-text search, the same on the server and offline in the browser.
//!
//! The build (`index::build`) turns every document into a [`DocInfo`] (title, number,
//! headings, key phrases, ...) and a set of words, writes a tantivy index beside the site for
//! the server and `sotay search`, and an offline index inside the site for the browser
//! (`offline`). Both are made from the same tokens (`crate::text`), and ranking is one function,
//! [`rank`], over data that both indexes hold: which documents contain a word (folded, and in
//! its exact form), and each document's title, headings, number and key phrases. The browser's
//! `search.js` is a line-for-line port of [`Query::parse`] and [`rank`], so the top results
//! agree; a test holds them to it.
//!
//! Why not tantivy's BM25 directly: the browser cannot run it, and results that differ between
//! online and offline would confuse members. tantivy stores and serves the postings; the
//! scoring is ours.

pub mod index;
pub mod offline;
pub mod snippet;

use crate::text;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};

/// How many key phrases (frequent adjacent word pairs) are kept per document.
pub const KEYPHRASES: usize = 16;

/// What search knows about a document besides its words.
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
    /// (anchor, text) of the document's headings, in order.
    #[serde(default)]
    pub headings: Vec<(String, String)>,
    /// Frequent adjacent word pairs of the body, folded ("dang vien").
    #[serde(default)]
    pub keyphrases: Vec<String>,
}

/// A parsed query: its words, and the quoted phrases among them.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub terms: Vec<QueryTerm>,
    /// Index ranges into `terms` of quoted phrases with two words or more.
    pub phrases: Vec<(usize, usize)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct QueryTerm {
    pub folded: String,
    pub exact: String,
    /// Typed with diacritics (or đ): exact matches rank first.
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
            if i % 2 == 1 && terms.len() - start >= 2 {
                phrases.push((start, terms.len()));
            }
        }
        Query { terms, phrases }
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }
}

/// Which documents hold a word: what an index must answer for [`rank`].
pub trait Postings {
    fn num_docs(&self) -> u32;
    /// Sorted ordinals of the documents containing the folded word anywhere.
    fn docs(&self, folded: &str) -> Vec<u32>;
    /// Sorted ordinals of the documents containing the exact form, within `among`.
    fn exact_docs(&self, exact: &str, folded: &str) -> Vec<u32>;
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
    /// Index (in `DocInfo::headings`) of the heading that matched the query, if any.
    pub heading: Option<usize>,
}

/// What ranking reads of the documents besides their words (titles, headings, numbers, key
/// phrases, status), folded once when an index is opened and inverted: for each word or pair
/// of words, where it is. A query then answers each test of the score for all its candidates
/// at once, with merges of sorted lists, instead of reading every candidate's text.
#[derive(Debug, Clone, Default)]
pub struct FactsTable {
    /// Word ids of the words in the facts.
    ids: FxHashMap<String, u32>,
    /// Per word id: the documents whose title holds the word (sorted, once each).
    title_docs: Vec<Vec<u32>>,
    /// Per pair of adjacent words: where titles hold it, as [`Place`]s (heading 0), sorted.
    title_pairs: FxHashMap<(u32, u32), Vec<u64>>,
    /// Per pair of adjacent words: where headings hold it, as [`Place`]s, sorted.
    heading_pairs: FxHashMap<(u32, u32), Vec<u64>>,
    pair_docs: FxHashMap<(u32, u32), Vec<u32>>,
    number_docs: FxHashMap<Vec<u32>, Vec<u32>>,
    /// Documents no longer in force (expired or superseded).
    inactive: Bits,
}

/// A word no document's facts contain.
const UNKNOWN: u32 = u32::MAX;

type FxHashMap<K, V> = rustc_hash::FxHashMap<K, V>;

impl FactsTable {
    pub fn new(docs: &[DocInfo]) -> FactsTable {
        let mut t = FactsTable {
            inactive: Bits::new(docs.len()),
            ..FactsTable::default()
        };
        let id = |w: String, ids: &mut FxHashMap<String, u32>| -> u32 {
            let n = ids.len() as u32;
            *ids.entry(w).or_insert(n)
        };
        let words = |s: &str, ids: &mut FxHashMap<String, u32>| -> Vec<u32> {
            folded_words(s).into_iter().map(|w| id(w, ids)).collect()
        };
        for (ord, d) in docs.iter().enumerate() {
            let ord = ord as u32;
            let title = words(&d.title, &mut t.ids);
            let headings: Vec<Vec<u32>> = d
                .headings
                .iter()
                .map(|(_, h)| words(h, &mut t.ids))
                .collect();
            let number = d
                .number
                .as_deref()
                .map(|n| words(n, &mut t.ids))
                .unwrap_or_default();
            let keyphrases: Vec<(u32, u32)> = d
                .keyphrases
                .iter()
                .filter_map(|k| k.split_once(' '))
                .map(|(a, b)| (id(a.to_string(), &mut t.ids), id(b.to_string(), &mut t.ids)))
                .collect();
            let n = t.ids.len();
            t.title_docs.resize_with(n, Vec::new);
            // Pushed in document order, so each list is sorted; `last() != Some(&ord)` keeps
            // a document once however often its title or headings repeat the word.
            for &w in &title {
                let l = &mut t.title_docs[w as usize];
                if l.last() != Some(&ord) {
                    l.push(ord);
                }
            }
            for (pos, w) in title.windows(2).enumerate() {
                if let Some(at) = place(ord, 0, pos) {
                    t.title_pairs.entry((w[0], w[1])).or_default().push(at);
                }
            }
            for (hi, h) in headings.iter().enumerate() {
                for (pos, w) in h.windows(2).enumerate() {
                    if let Some(at) = place(ord, hi, pos) {
                        t.heading_pairs.entry((w[0], w[1])).or_default().push(at);
                    }
                }
            }
            for &p in &keyphrases {
                let l = t.pair_docs.entry(p).or_default();
                if l.last() != Some(&ord) {
                    l.push(ord);
                }
            }
            if !number.is_empty() {
                t.number_docs.entry(number).or_default().push(ord);
            }
            if d.status == "expired" || d.status == "superseded" {
                t.inactive.set(ord);
            }
        }
        t
    }

    fn id(&self, w: &str) -> u32 {
        self.ids.get(w).copied().unwrap_or(UNKNOWN)
    }

    fn titles_with(&self, w: u32) -> &[u32] {
        self.title_docs.get(w as usize).map_or(&[], Vec::as_slice)
    }

    fn with_pair(&self, a: u32, b: u32) -> &[u32] {
        self.pair_docs.get(&(a, b)).map_or(&[], Vec::as_slice)
    }

    /// Documents whose title holds `seq` (two words or more) in order.
    fn title_seq(&self, seq: &[u32], out: &mut Bits) {
        for at in seq_places(&self.title_pairs, seq) {
            out.set((at >> 32) as u32);
        }
    }

    /// Documents with a heading holding `seq` (two words or more), and for each the first
    /// such heading.
    fn heading_seq(&self, seq: &[u32], mut found: impl FnMut(u32, usize)) {
        let mut last = None;
        // Sorted by document then heading: the first of a document is its first heading.
        for at in seq_places(&self.heading_pairs, seq) {
            let d = (at >> 32) as u32;
            if last != Some(d) {
                found(d, ((at >> 16) & 0xffff) as usize);
                last = Some(d);
            }
        }
    }
}

/// Where a word pair is in a document: document, heading, position of the pair's first word,
/// packed in a u64 (32, 16 and 16 bits) so that the places of a document's words sort by
/// heading then position, and the place `k` words later is `place + k`. A heading or position
/// beyond 65,535 is not indexed (headings that long would be paragraphs).
type Place = u64;

fn place(doc: u32, heading: usize, pos: usize) -> Option<Place> {
    let (h, p) = (u16::try_from(heading).ok()?, u16::try_from(pos).ok()?);
    Some(u64::from(doc) << 32 | u64::from(h) << 16 | u64::from(p))
}

/// Where a list's pair is, shifted back by `k` words: where the sequence would start.
fn starts(k: u64, l: &[Place]) -> impl Iterator<Item = Place> + '_ {
    l.iter()
        .filter(move |&&p| p & 0xffff >= k)
        .map(move |&p| p - k)
}

/// The places where `seq` (two words or more) starts: where its first pair is, such that its
/// k-th pair is k words later. Merges of sorted lists, shortest first: no text is read.
fn seq_places(pairs: &FxHashMap<(u32, u32), Vec<Place>>, seq: &[u32]) -> Vec<Place> {
    let mut lists: Vec<(u64, &[Place])> = seq
        .windows(2)
        .enumerate()
        .map(|(k, w)| {
            let l = pairs.get(&(w[0], w[1])).map_or(&[][..], Vec::as_slice);
            (k as u64, l)
        })
        .collect();
    lists.sort_by_key(|(_, l)| l.len());
    let Some(((k0, first), rest)) = lists.split_first() else {
        return Vec::new();
    };
    let mut out: Vec<Place> = starts(*k0, first).collect();
    for &(k, l) in rest {
        if out.is_empty() {
            break;
        }
        let mut keep = Vec::with_capacity(out.len());
        let mut it = starts(k, l).peekable();
        for &p in &out {
            while it.next_if(|&q| q < p).is_some() {}
            if it.peek() == Some(&p) {
                keep.push(p);
            }
        }
        out = keep;
    }
    out
}

/// A set of document ordinals, one bit each.
#[derive(Debug, Clone, Default)]
struct Bits(Vec<u64>);

impl Bits {
    fn new(n: usize) -> Bits {
        Bits(vec![0; n.div_ceil(64)])
    }
    fn of(n: usize, docs: &[u32]) -> Bits {
        let mut b = Bits::new(n);
        for &d in docs {
            b.set(d);
        }
        b
    }
    fn set(&mut self, d: u32) {
        if let Some(w) = self.0.get_mut(d as usize / 64) {
            *w |= 1 << (d % 64);
        }
    }
    fn has(&self, d: u32) -> bool {
        self.0
            .get(d as usize / 64)
            .is_some_and(|w| w & (1 << (d % 64)) != 0)
    }
    /// The members, in increasing order.
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

/// Folded words of a short text (title, heading, number).
pub fn folded_words(s: &str) -> Vec<String> {
    let mut v = Vec::new();
    text::for_each_word(s, |a, b| v.push(text::fold(&s[a..b])));
    v
}

fn intersect<T: Ord + Copy>(a: &[T], b: &[T]) -> Vec<T> {
    let (mut i, mut j, mut out) = (0, 0, Vec::with_capacity(a.len().min(b.len())));
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                out.push(a[i]);
                i += 1;
                j += 1;
            }
        }
    }
    out
}

/// Ranks every document that contains all the query's words (and passes the filter).
///
/// Score, per word q with idf(q) = ln(1 + (N - df + 0.5) / (df + 0.5)):
/// idf for being there, +2·idf if it is in the title, +idf if the query wrote it with
/// diacritics and the document has that exact form. For two words or more, with S the sum of
/// the idfs: +3·S if the title holds the words in order, +2·S if a heading does (the hit then
/// links to that heading), +1.5·S times the share of the query's word pairs among the
/// document's key phrases; +10·S if the query is the document's number. Quoted phrases found in
/// none of title, headings or key phrases halve the score. Documents no longer in force count
/// 0.7. Scores are rounded to 6 decimals; ties go to the earlier document.
pub fn rank(
    query: &Query,
    docs: &[DocInfo],
    facts: &FactsTable,
    postings: &impl Postings,
    filter: &Filter,
) -> Vec<Ranked> {
    top(query, docs, facts, postings, filter, usize::MAX).1
}

/// The number of matching documents, and the first `k` of them in rank order (see [`rank`]).
///
/// The score of every candidate is computed, in the order [`rank`] states it (so that the
/// browser's port, which tests each candidate directly, gives the same numbers to the last
/// bit); what each test asks is answered beforehand, from the inverted facts, as sets of
/// documents. A query thus costs time in proportion to the postings it reads, with a few
/// nanoseconds per candidate.
pub fn top(
    query: &Query,
    docs: &[DocInfo],
    facts: &FactsTable,
    postings: &impl Postings,
    filter: &Filter,
    k: usize,
) -> (usize, Vec<Ranked>) {
    if query.is_empty() {
        return (0, Vec::new());
    }
    let n = f64::from(postings.num_docs());
    let size = docs.len();
    // Distinct words, in query order.
    let mut seen = HashSet::new();
    let distinct: Vec<&QueryTerm> = query
        .terms
        .iter()
        .filter(|t| seen.insert((t.folded.as_str(), t.exact.as_str())))
        .collect();
    let mut lists: BTreeMap<&str, Vec<u32>> = BTreeMap::new();
    for t in &distinct {
        if !lists.contains_key(t.folded.as_str()) {
            lists.insert(&t.folded, postings.docs(&t.folded));
        }
    }
    let mut order: Vec<&Vec<u32>> = lists.values().collect();
    order.sort_by_key(|l| l.len());
    let mut cands = if order.len() > 1 && order[0].len() >= size / 32 {
        // Long lists (common words): intersected as bit sets — a bit set per posting, then
        // word-wide ANDs — rather than merged, whose branches the processor cannot predict.
        let mut all = Bits::of(size, order[0]);
        let mut next = Bits::new(size);
        for l in &order[1..] {
            next.0.fill(0);
            for &d in l.iter() {
                next.set(d);
            }
            for (w, x) in all.0.iter_mut().zip(&next.0) {
                *w &= x;
            }
        }
        all.docs()
    } else {
        let mut c = order[0].clone();
        for l in &order[1..] {
            c = intersect(&c, l);
        }
        c
    };
    if *filter != Filter::default() {
        cands.retain(|&o| docs.get(o as usize).is_some_and(|d| filter.accepts(d)));
    }
    cands.retain(|&o| (o as usize) < size);
    if cands.is_empty() {
        return (0, Vec::new());
    }
    let idf: Vec<f64> = distinct
        .iter()
        .map(|t| {
            let df = lists[t.folded.as_str()].len() as f64;
            (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
        })
        .collect();
    let sum_idf: f64 = idf.iter().sum();
    let seq: Vec<u32> = query.terms.iter().map(|t| facts.id(&t.folded)).collect();
    let word: Vec<u32> = distinct.iter().map(|t| facts.id(&t.folded)).collect();
    let pairs: Vec<(u32, u32)> = seq.windows(2).map(|w| (w[0], w[1])).collect();

    // The tests of the score, as sets. Per distinct word: in the title; in its exact form.
    let in_title: Vec<Bits> = word
        .iter()
        .map(|&w| Bits::of(size, facts.titles_with(w)))
        .collect();
    let exact: Vec<Option<Bits>> = distinct
        .iter()
        .map(|t| {
            t.accented
                .then(|| Bits::of(size, &postings.exact_docs(&t.exact, &t.folded)))
        })
        .collect();
    let mut title_seq = Bits::new(size);
    // Per document, the first heading that holds the query (NONE: none does).
    const NONE: u32 = u32::MAX;
    let mut heading_of: Vec<u32> = Vec::new();
    // Key phrase hits, per document (a query repeats a pair at most as often as it has words).
    let mut hits: Vec<u16> = Vec::new();
    let mut number = Bits::new(size);
    // (A word outside the facts' vocabulary is UNKNOWN, which no title, heading, key phrase
    // or number holds: the lookups below then find nothing, as the direct tests would.)
    if seq.len() >= 2 {
        facts.title_seq(&seq, &mut title_seq);
        heading_of = vec![NONE; size];
        facts.heading_seq(&seq, |d, i| {
            if let Some(h) = heading_of.get_mut(d as usize) {
                *h = i as u32;
            }
        });
        hits = vec![0; size];
        for &(a, b) in &pairs {
            for &d in facts.with_pair(a, b) {
                if let Some(h) = hits.get_mut(d as usize) {
                    *h = h.saturating_add(1);
                }
            }
        }
    }
    if let Some(l) = facts.number_docs.get(&seq) {
        for &d in l {
            number.set(d);
        }
    }
    // Per quoted phrase: the documents that hold it in the title, a heading or key phrases.
    let phrase_found: Vec<Bits> = query
        .phrases
        .iter()
        .map(|&(a, b)| {
            let p = &seq[a..b];
            let mut found = Bits::new(size);
            if p.contains(&UNKNOWN) {
                return found;
            }
            facts.title_seq(p, &mut found);
            facts.heading_seq(p, |d, _| found.set(d));
            let mut all: Option<Vec<u32>> = None;
            for w in p.windows(2) {
                let l = facts.with_pair(w[0], w[1]);
                all = Some(match all {
                    None => l.to_vec(),
                    Some(prev) => intersect(&prev, l),
                });
            }
            for d in all.unwrap_or_default() {
                found.set(d);
            }
            found
        })
        .collect();

    let score = |ord: u32| {
        let mut s = 0.0;
        for i in 0..distinct.len() {
            s += idf[i];
            if in_title[i].has(ord) {
                s += 2.0 * idf[i];
            }
            if exact[i].as_ref().is_some_and(|bits| bits.has(ord)) {
                s += idf[i];
            }
        }
        let mut heading = None;
        if seq.len() >= 2 {
            if title_seq.has(ord) {
                s += 3.0 * sum_idf;
            }
            if let Some(&i) = heading_of.get(ord as usize).filter(|&&i| i != NONE) {
                s += 2.0 * sum_idf;
                heading = Some(i as usize);
            }
            let hit = hits.get(ord as usize).copied().unwrap_or(0);
            s += 1.5 * sum_idf * f64::from(hit) / pairs.len() as f64;
        }
        if number.has(ord) {
            s += 10.0 * sum_idf;
        }
        for found in &phrase_found {
            if !found.has(ord) {
                s *= 0.5;
            }
        }
        if facts.inactive.has(ord) {
            s *= 0.7;
        }
        Ranked {
            ord,
            score: (s * 1e6).round() / 1e6,
            heading,
        }
    };
    let total = cands.len();
    let by_rank = |a: &Ranked, b: &Ranked| b.score.total_cmp(&a.score).then(a.ord.cmp(&b.ord));
    // The best k so far, kept in a buffer of up to 2k that is cut back to k when full; once
    // it has been cut, a document that does not beat the k-th best is not kept.
    let cap = k.saturating_mul(2).max(16);
    let mut out: Vec<Ranked> = Vec::with_capacity(cap.min(total));
    let mut kth: Option<Ranked> = None;
    if k > 0 {
        for ord in cands {
            let r = score(ord);
            if kth
                .as_ref()
                .is_some_and(|w| by_rank(&r, w) != std::cmp::Ordering::Less)
            {
                continue;
            }
            out.push(r);
            if out.len() >= cap {
                out.select_nth_unstable_by(k - 1, by_rank);
                out.truncate(k);
                kth = out.last().cloned();
            }
        }
    }
    if k < out.len() {
        out.select_nth_unstable_by(k, by_rank);
        out.truncate(k);
    }
    out.sort_by(by_rank);
    (total, out)
}

/// A search result as the API and `sotay search --format json` give it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Hit {
    pub id: String,
    pub url: String,
    pub title: String,
    /// HTML: escaped text with the matched words in `<mark>`.
    pub snippet: String,
    pub score: f64,
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
}

/// Key phrases of a text: its most frequent adjacent word pairs (not across punctuation),
/// folded, at least twice, at most [`KEYPHRASES`], most frequent first then alphabetical.
pub fn keyphrases(body: &str) -> Vec<String> {
    analyze("", body).0
}

/// One pass over a document's words: its key phrases (from the body) and its distinct
/// (folded, exact) words (head and body), as `folded\0exact\0` pairs in one string (a
/// national-scale build holds millions of them: one allocation per document, not per word).
/// Words are numbered locally so that counting pairs costs no allocation per word.
pub fn analyze(head: &str, body: &str) -> (Vec<String>, String) {
    use rustc_hash::{FxHashMap, FxHashSet};
    let mut folded_ids: FxHashMap<String, u32> = FxHashMap::default();
    let mut folded: Vec<String> = Vec::new();
    let mut exact_ids: FxHashMap<String, u32> = FxHashMap::default();
    let mut exact: Vec<String> = Vec::new();
    let mut pairs_seen: FxHashSet<(u32, u32)> = FxHashSet::default();
    let mut bigrams: FxHashMap<(u32, u32), u32> = FxHashMap::default();
    let mut fbuf = String::new();
    let mut xbuf = String::new();
    // Words repeat: each distinct spelling is folded and looked up once.
    let mut memo: FxHashMap<&str, u32> = FxHashMap::default();
    for (text, is_body) in [(head, false), (body, true)] {
        let mut prev: Option<(u32, usize)> = None;
        text::for_each_word(text, |s, e| {
            let word = &text[s..e];
            let f = *memo.entry(word).or_insert_with(|| {
                text::fold_into(word, &mut fbuf);
                let f = match folded_ids.get(fbuf.as_str()) {
                    Some(&id) => id,
                    None => {
                        let id = folded.len() as u32;
                        folded.push(fbuf.clone());
                        folded_ids.insert(fbuf.clone(), id);
                        id
                    }
                };
                text::exact_into(word, &mut xbuf);
                let x = match exact_ids.get(xbuf.as_str()) {
                    Some(&id) => id,
                    None => {
                        let id = exact.len() as u32;
                        exact_ids.insert(xbuf.clone(), id);
                        exact.push(xbuf.clone());
                        id
                    }
                };
                pairs_seen.insert((f, x));
                f
            });
            if is_body {
                if let Some((p, end)) = prev {
                    let gap = &text[end..s];
                    if gap.chars().all(char::is_whitespace) && !gap.contains('\n') {
                        *bigrams.entry((p, f)).or_default() += 1;
                    }
                }
                prev = Some((f, e));
            }
        });
    }
    let mut v: Vec<(String, u32)> = bigrams
        .into_iter()
        .filter(|(_, c)| *c >= 2)
        .map(|((a, b), c)| (format!("{} {}", folded[a as usize], folded[b as usize]), c))
        .collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let phrases = v.into_iter().take(KEYPHRASES).map(|(k, _)| k).collect();
    let mut pairs = String::new();
    for (f, x) in pairs_seen {
        pairs.push_str(&folded[f as usize]);
        pairs.push('\0');
        pairs.push_str(&exact[x as usize]);
        pairs.push('\0');
    }
    (phrases, pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_parsing() {
        let q = Query::parse("Đảng viên \"chi bộ sinh hoạt\" 21-NQ/TW");
        let f: Vec<&str> = q.terms.iter().map(|t| t.folded.as_str()).collect();
        assert_eq!(
            f,
            ["dang", "vien", "chi", "bo", "sinh", "hoat", "21", "nq", "tw"]
        );
        assert_eq!(q.phrases, [(2, 6)]);
        assert!(q.terms[0].accented && !q.terms[6].accented && !q.terms[7].accented);
        assert!(Query::parse("  ,.;  ").is_empty());
    }

    #[test]
    fn key_phrases_are_frequent_pairs() {
        let k = keyphrases("Đảng viên và chi bộ. Đảng viên họp chi bộ; chi bộ họp.\nĐảng viên");
        assert_eq!(k, ["chi bo", "dang vien"]);
    }
}
