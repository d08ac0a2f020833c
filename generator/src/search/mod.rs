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
pub mod index;
pub mod passage;
pub mod shards;
pub mod snippet;
pub mod terms;

use crate::text;
use serde::{Deserialize, Serialize};
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

fn docs_of(p: &[(u32, Meta)]) -> Vec<u32> {
    p.iter().map(|&(d, _)| d).collect()
}

fn intersect(a: &[u32], b: &[u32]) -> Vec<u32> {
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

/// Intersects sorted lists, shortest first; long lists (common words) as bit sets, whose
/// word-wide ANDs beat a merge's unpredictable branches.
fn intersect_all(n: usize, mut lists: Vec<Vec<u32>>) -> Vec<u32> {
    lists.sort_by_key(Vec::len);
    let Some(first) = lists.first() else {
        return Vec::new();
    };
    if lists.len() > 1 && first.len() >= n / 32 {
        let words = n.div_ceil(64);
        let mut all = vec![0u64; words];
        let mut next = vec![0u64; words];
        let set = |b: &mut [u64], d: u32| {
            if let Some(w) = b.get_mut(d as usize / 64) {
                *w |= 1 << (d % 64);
            }
        };
        for &d in first {
            set(&mut all, d);
        }
        for l in &lists[1..] {
            next.fill(0);
            for &d in l {
                set(&mut next, d);
            }
            for (w, x) in all.iter_mut().zip(&next) {
                *w &= x;
            }
        }
        let mut out = Vec::new();
        for (i, &w) in all.iter().enumerate() {
            let mut w = w;
            while w != 0 {
                out.push(i as u32 * 64 + w.trailing_zeros());
                w &= w - 1;
            }
        }
        out
    } else {
        let mut c = first.clone();
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
/// decimals; ties go to the earlier document.
#[allow(clippy::too_many_lines, reason = "split pending (issue 20)")]
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
    let n = f64::from(postings.num_docs());
    let size = docs.len();
    // Distinct words (by folded and exact form), in query order.
    let mut seen = HashSet::new();
    let distinct: Vec<&QueryTerm> = query
        .terms
        .iter()
        .filter(|t| seen.insert((t.folded.as_str(), t.exact.as_str())))
        .collect();
    let mut words: Vec<&str> = Vec::new();
    for t in &distinct {
        if !words.contains(&t.folded.as_str()) {
            words.push(&t.folded);
        }
    }
    let word_postings: Vec<Vec<(u32, Meta)>> = words.iter().map(|w| postings.postings(w)).collect();
    let seq: Vec<&str> = query.terms.iter().map(|t| t.folded.as_str()).collect();
    let mut pair_keys: Vec<String> = Vec::new();
    for w in seq.windows(2) {
        let key = terms::pair_key(w[0], w[1]);
        if !pair_keys.contains(&key) {
            pair_keys.push(key);
        }
    }
    let pair_postings: Vec<Vec<(u32, Meta)>> =
        pair_keys.iter().map(|p| postings.postings(p)).collect();
    let pair_at = |a: &str, b: &str| {
        let key = terms::pair_key(a, b);
        pair_keys.iter().position(|k| *k == key).unwrap_or(0)
    };

    // Candidates: every word; every quoted phrase's pairs and exact forms.
    let mut required: Vec<Vec<u32>> = word_postings.iter().map(|p| docs_of(p)).collect();
    for &(a, b) in &query.phrases {
        for i in a..b {
            if i + 1 < b {
                required.push(docs_of(&pair_postings[pair_at(seq[i], seq[i + 1])]));
            }
            let t = &query.terms[i];
            if t.accented {
                required.push(postings.exact_docs(&t.exact, &t.folded));
            }
        }
    }
    let mut cands = intersect_all(size, required);
    if *filter != Filter::default() {
        cands.retain(|&o| docs.get(o as usize).is_some_and(|d| filter.accepts(d)));
    }
    cands.retain(|&o| (o as usize) < size);
    if cands.is_empty() {
        return (0, Vec::new());
    }

    let idf_of = |w: &str| {
        let i = words.iter().position(|x| *x == w).unwrap_or(0);
        let df = word_postings[i].len() as f64;
        (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
    };
    let word_meta: Vec<Dense> = word_postings.iter().map(|p| Dense::of(size, p)).collect();
    let pair_meta: Vec<Dense> = pair_postings.iter().map(|p| Dense::of(size, p)).collect();
    let idf: Vec<f64> = distinct.iter().map(|t| idf_of(&t.folded)).collect();
    let word_of: Vec<usize> = distinct
        .iter()
        .map(|t| words.iter().position(|w| *w == t.folded).unwrap_or(0))
        .collect();
    let exact: Vec<Option<Vec<u32>>> = distinct
        .iter()
        .map(|t| t.accented.then(|| postings.exact_docs(&t.exact, &t.folded)))
        .collect();
    let sum_idf: f64 = idf.iter().sum();
    // The query's adjacent pairs, in order (a pair may repeat), with the idfs of their words.
    let pairs: Vec<(usize, f64)> = seq
        .windows(2)
        .map(|w| (pair_at(w[0], w[1]), idf_of(w[0]) + idf_of(w[1])))
        .collect();
    let number = {
        let key = terms::number_key(&seq);
        let p = postings.postings(&key);
        Dense::of(size, &p)
    };

    let score = |ord: u32| {
        let mut s = 0.0;
        for i in 0..distinct.len() {
            let m = word_meta[word_of[i]].get(ord).unwrap_or(0);
            s += idf[i] * (1.0 + weight::TF * f64::from(m & terms::TF));
            if m & terms::TITLE != 0 {
                s += weight::TITLE_WORD * idf[i];
            }
            if m & terms::HEADING != 0 {
                s += weight::HEADING_WORD * idf[i];
            }
            if exact[i]
                .as_ref()
                .is_some_and(|l| l.binary_search(&ord).is_ok())
            {
                s += weight::EXACT * idf[i];
            }
        }
        if !pairs.is_empty() {
            let (mut all, mut title, mut heading) = (true, true, true);
            for &(p, w) in &pairs {
                match pair_meta[p].get(ord) {
                    Some(m) => {
                        s += weight::PAIR * w;
                        title &= m & terms::TITLE != 0;
                        heading &= m & terms::HEADING != 0;
                    }
                    None => {
                        all = false;
                        title = false;
                        heading = false;
                    }
                }
            }
            if all {
                s += weight::TOGETHER * sum_idf;
            }
            if title {
                s += weight::TITLE_SEQ * sum_idf;
            }
            if heading {
                s += weight::HEADING_SEQ * sum_idf;
            }
        }
        if number.get(ord).is_some() {
            s += weight::NUMBER * sum_idf;
        }
        if docs.get(ord as usize).is_some_and(DocInfo::inactive) {
            s *= weight::INACTIVE;
        }
        Ranked {
            ord,
            score: (s * 1e6).round() / 1e6,
        }
    };
    let total = cands.len();
    (total, best(cands.into_iter().map(score), k))
}

/// The best `k` of the scored documents, in rank order (score, then earlier document).
fn best(scored: impl Iterator<Item = Ranked>, k: usize) -> Vec<Ranked> {
    let by_rank = |a: &Ranked, b: &Ranked| b.score.total_cmp(&a.score).then(a.ord.cmp(&b.ord));
    // A buffer of up to 2k, cut back to k when full; once cut, a document that does not beat
    // the k-th best is not kept.
    let cap = k.saturating_mul(2).max(16);
    let mut out: Vec<Ranked> = Vec::new();
    let mut kth: Option<Ranked> = None;
    if k == 0 {
        return out;
    }
    for r in scored {
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
    if k < out.len() {
        out.select_nth_unstable_by(k, by_rank);
        out.truncate(k);
    }
    out.sort_by(by_rank);
    out
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

    #[test]
    fn df_buckets() {
        let b: Vec<u8> = [0, 1, 2, 3, 4, 1000].map(df_bucket).to_vec();
        assert_eq!(b, [0, 1, 2, 2, 3, 10]);
    }
}
