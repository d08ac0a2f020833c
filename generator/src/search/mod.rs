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

/// What ranking reads of a document, folded once when an index is opened rather than for
/// every candidate of every query: its title, headings, number and key phrases as word ids.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Facts {
    pub title: Vec<u32>,
    pub headings: Vec<Vec<u32>>,
    /// Empty when the document has no number.
    pub number: Vec<u32>,
    pub keyphrases: Vec<(u32, u32)>,
}

/// The facts of every document, and the ids of their words.
#[derive(Debug, Clone, Default)]
pub struct FactsTable {
    pub facts: Vec<Facts>,
    ids: rustc_hash::FxHashMap<String, u32>,
}

/// A word no document's facts contain.
const UNKNOWN: u32 = u32::MAX;

impl FactsTable {
    pub fn new(docs: &[DocInfo]) -> FactsTable {
        let mut t = FactsTable::default();
        let id = |w: String, ids: &mut rustc_hash::FxHashMap<String, u32>| -> u32 {
            let n = ids.len() as u32;
            *ids.entry(w).or_insert(n)
        };
        for d in docs {
            let words = |s: &str, ids: &mut rustc_hash::FxHashMap<String, u32>| -> Vec<u32> {
                folded_words(s).into_iter().map(|w| id(w, ids)).collect()
            };
            let title = words(&d.title, &mut t.ids);
            let headings = d
                .headings
                .iter()
                .map(|(_, h)| words(h, &mut t.ids))
                .collect();
            let number = d
                .number
                .as_deref()
                .map(|n| words(n, &mut t.ids))
                .unwrap_or_default();
            let keyphrases = d
                .keyphrases
                .iter()
                .filter_map(|k| k.split_once(' '))
                .map(|(a, b)| (id(a.to_string(), &mut t.ids), id(b.to_string(), &mut t.ids)))
                .collect();
            t.facts.push(Facts {
                title,
                headings,
                number,
                keyphrases,
            });
        }
        t
    }

    fn id(&self, w: &str) -> u32 {
        self.ids.get(w).copied().unwrap_or(UNKNOWN)
    }
}

/// Folded words of a short text (title, heading, number).
pub fn folded_words(s: &str) -> Vec<String> {
    let mut v = Vec::new();
    text::for_each_token(s, |t| v.push(t.folded));
    v
}

fn contains_seq(hay: &[u32], needle: &[u32]) -> bool {
    !needle.is_empty()
        && hay.len() >= needle.len()
        && hay.windows(needle.len()).any(|w| w == needle)
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
    let mut cands = order[0].clone();
    for l in &order[1..] {
        cands = intersect(&cands, l);
    }
    cands.retain(|&o| docs.get(o as usize).is_some_and(|d| filter.accepts(d)));
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
    // Which documents hold each accented word in its exact form: a bit per document.
    let exact: Vec<Option<Vec<bool>>> = distinct
        .iter()
        .map(|t| {
            t.accented.then(|| {
                let mut bits = vec![false; docs.len()];
                for d in postings.exact_docs(&t.exact, &t.folded) {
                    if let Some(b) = bits.get_mut(d as usize) {
                        *b = true;
                    }
                }
                bits
            })
        })
        .collect();
    let sum_idf: f64 = idf.iter().sum();
    let seq: Vec<u32> = query.terms.iter().map(|t| facts.id(&t.folded)).collect();
    let word: Vec<u32> = distinct.iter().map(|t| facts.id(&t.folded)).collect();
    let pairs: Vec<(u32, u32)> = seq.windows(2).map(|w| (w[0], w[1])).collect();

    let mut out: Vec<Ranked> = cands
        .into_iter()
        .map(|ord| {
            let d = &docs[ord as usize];
            let f = &facts.facts[ord as usize];
            let mut s = 0.0;
            for (i, _) in distinct.iter().enumerate() {
                s += idf[i];
                if f.title.contains(&word[i]) {
                    s += 2.0 * idf[i];
                }
                if exact[i].as_ref().is_some_and(|bits| bits[ord as usize]) {
                    s += idf[i];
                }
            }
            let mut heading = None;
            if seq.len() >= 2 {
                if contains_seq(&f.title, &seq) {
                    s += 3.0 * sum_idf;
                }
                if let Some(i) = f.headings.iter().position(|h| contains_seq(h, &seq)) {
                    s += 2.0 * sum_idf;
                    heading = Some(i);
                }
                let hit = pairs.iter().filter(|p| f.keyphrases.contains(p)).count();
                s += 1.5 * sum_idf * hit as f64 / pairs.len() as f64;
                if !f.number.is_empty() && f.number == seq {
                    s += 10.0 * sum_idf;
                }
            } else if f.number.len() == 1 && f.number[0] == seq[0] {
                s += 10.0 * sum_idf;
            }
            for &(a, b) in &query.phrases {
                let p = &seq[a..b];
                let found = contains_seq(&f.title, p)
                    || f.headings.iter().any(|h| contains_seq(h, p))
                    || p.windows(2).all(|w| f.keyphrases.contains(&(w[0], w[1])));
                if !found {
                    s *= 0.5;
                }
            }
            if d.status == "expired" || d.status == "superseded" {
                s *= 0.7;
            }
            Ranked {
                ord,
                score: (s * 1e6).round() / 1e6,
                heading,
            }
        })
        .collect();
    let total = out.len();
    let by_rank = |a: &Ranked, b: &Ranked| b.score.total_cmp(&a.score).then(a.ord.cmp(&b.ord));
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
    for (text, is_body) in [(head, false), (body, true)] {
        let mut prev: Option<(u32, usize)> = None;
        text::for_each_word(text, |s, e| {
            let word = &text[s..e];
            fbuf.clear();
            for c in word.chars() {
                text::push_folded(c, &mut fbuf);
            }
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
