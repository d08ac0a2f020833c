//! Typos: when a query finds little, the nearest query whose words the index knows and whose
//! words stand together somewhere ("dang vien du bj" -> "đảng viên dự bị", "dangphi" -> "đảng
//! phí"). The browser's `search.js` ports this function; both answer from the same facts.
//!
//! A query's *defects* are its words no document holds, and its adjacent pairs (of known
//! words) that no document holds side by side. One *edit* changes one word into a word of the
//! vocabulary one letter away (deleted, inserted, replaced or two swapped), splits a word in
//! two (a missing space) or joins two words (an extra space). Up to two edits are made, each
//! the one that removes the most defects (then: the most common new words, then the first in
//! alphabetical order of the whole query), as long as each removes at least one.

use super::{terms, Postings, Query, QueryTerm};

/// Letters an edit may insert or put in place of another: folded words are made of these.
pub const ALPHABET: &str = "abcdefghijklmnopqrstuvwxyz0123456789";
/// How many one-letter variants of a word are tried (the most common ones).
pub const VARIANTS: usize = 8;
/// How many splits of a word are tried.
pub const SPLITS: usize = 4;
/// How many edits are made at most.
pub const ROUNDS: usize = 2;

/// The words of the vocabulary one edit away from `w`, most common first (then alphabetical),
/// at most [`VARIANTS`].
pub fn variants(w: &str, p: &impl Postings) -> Vec<String> {
    let chars: Vec<char> = w.chars().collect();
    let mut out: Vec<String> = Vec::new();
    let mut push = |v: Vec<char>| {
        let s: String = v.into_iter().collect();
        if !s.is_empty() && s != w && !out.contains(&s) {
            out.push(s);
        }
    };
    for i in 0..chars.len() {
        let mut v = chars.clone();
        v.remove(i);
        push(v);
    }
    for i in 0..chars.len().saturating_sub(1) {
        let mut v = chars.clone();
        v.swap(i, i + 1);
        push(v);
    }
    for i in 0..chars.len() {
        for c in ALPHABET.chars() {
            if c != chars[i] {
                let mut v = chars.clone();
                v[i] = c;
                push(v);
            }
        }
    }
    for i in 0..=chars.len() {
        for c in ALPHABET.chars() {
            let mut v = chars.clone();
            v.insert(i, c);
            push(v);
        }
    }
    let mut known: Vec<(u8, String)> = out
        .into_iter()
        .map(|v| (p.word_bucket(&v), v))
        .filter(|(b, _)| *b > 0)
        .collect();
    known.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    known.into_iter().take(VARIANTS).map(|(_, v)| v).collect()
}

/// The ways to cut `w` into two known words, the most common first, at most [`SPLITS`].
pub fn splits(w: &str, p: &impl Postings) -> Vec<(String, String)> {
    let mut out: Vec<(u8, String, String)> = Vec::new();
    for (i, _) in w.char_indices().skip(1) {
        let (a, b) = (&w[..i], &w[i..]);
        let (ba, bb) = (p.word_bucket(a), p.word_bucket(b));
        if ba > 0 && bb > 0 {
            out.push((ba.min(bb), a.to_string(), b.to_string()));
        }
    }
    out.sort_by(|x, y| y.0.cmp(&x.0).then_with(|| (&x.1, &x.2).cmp(&(&y.1, &y.2))));
    out.into_iter()
        .take(SPLITS)
        .map(|(_, a, b)| (a, b))
        .collect()
}

/// Unknown words plus adjacent known pairs that no document holds.
pub fn defects(seq: &[String], p: &impl Postings) -> usize {
    let known: Vec<bool> = seq.iter().map(|w| p.word_bucket(w) > 0).collect();
    let mut d = known.iter().filter(|k| !**k).count();
    for i in 1..seq.len() {
        if known[i - 1] && known[i] && p.df(&terms::pair_key(&seq[i - 1], &seq[i])) == 0 {
            d += 1;
        }
    }
    d
}

/// One candidate: the words, where each came from (the index of the query word it replaces
/// or keeps), and the sum of the common-ness of the new words.
#[derive(Debug, Clone)]
struct Candidate {
    seq: Vec<String>,
    from: Vec<usize>,
    changed: Vec<bool>,
    common: u32,
}

/// The query to search instead, if one is better (see the module's comment). `total`: how
/// many documents the query as typed found.
pub fn suggest(query: &Query, total: usize, p: &impl Postings) -> Option<Query> {
    let seq: Vec<String> = query.terms.iter().map(|t| t.folded.clone()).collect();
    if seq.is_empty() {
        return None;
    }
    let start = defects(&seq, p);
    if start == 0 {
        return None;
    }
    let mut cur = Candidate {
        from: (0..seq.len()).collect(),
        changed: vec![false; seq.len()],
        seq,
        common: 0,
    };
    let mut cur_defects = start;
    for _ in 0..ROUNDS {
        let mut best: Option<(usize, Candidate)> = None;
        for c in edits(&cur, p) {
            let d = defects(&c.seq, p);
            let better = match &best {
                None => true,
                Some((bd, b)) => {
                    (d, std::cmp::Reverse(c.common), c.seq.join(" "))
                        < (*bd, std::cmp::Reverse(b.common), b.seq.join(" "))
                }
            };
            if better {
                best = Some((d, c));
            }
        }
        match best {
            Some((d, c)) if d < cur_defects => {
                cur = c;
                cur_defects = d;
            }
            _ => break,
        }
        if cur_defects == 0 {
            break;
        }
    }
    // A query that found something is changed only into one without defects.
    if cur.changed.iter().all(|c| !c) || (total > 0 && cur_defects > 0) {
        return None;
    }
    Some(rebuild(query, &cur))
}

/// The candidates one edit away from `c`: only words that are part of a defect are edited.
fn edits(c: &Candidate, p: &impl Postings) -> Vec<Candidate> {
    let n = c.seq.len();
    let known: Vec<bool> = c.seq.iter().map(|w| p.word_bucket(w) > 0).collect();
    let pair_bad: Vec<bool> = (1..n)
        .map(|i| known[i - 1] && known[i] && p.df(&terms::pair_key(&c.seq[i - 1], &c.seq[i])) == 0)
        .collect();
    let involved = |i: usize| !known[i] || (i > 0 && pair_bad[i - 1]) || (i + 1 < n && pair_bad[i]);
    let mut out = Vec::new();
    for i in 0..n {
        if !involved(i) {
            continue;
        }
        for v in variants(&c.seq[i], p) {
            let mut e = c.clone();
            e.common += u32::from(p.word_bucket(&v));
            e.seq[i] = v;
            e.changed[i] = true;
            out.push(e);
        }
        for (a, b) in splits(&c.seq[i], p) {
            let mut e = c.clone();
            e.common += u32::from(p.word_bucket(&a).min(p.word_bucket(&b)));
            e.seq.splice(i..=i, [a, b]);
            e.from.insert(i, c.from[i]);
            e.changed.splice(i..=i, [true, true]);
            out.push(e);
        }
        if i + 1 < n && (involved(i + 1)) {
            let joined = format!("{}{}", c.seq[i], c.seq[i + 1]);
            let b = p.word_bucket(&joined);
            if b > 0 {
                let mut e = c.clone();
                e.common += u32::from(b);
                e.seq.splice(i..=i + 1, [joined]);
                e.from.remove(i + 1);
                e.changed.splice(i..=i + 1, [true]);
                out.push(e);
            }
        }
    }
    out
}

/// The corrected query: unchanged words as typed; new ones in their most common written form;
/// quoted phrases kept around the words that came from them.
fn rebuild(query: &Query, c: &Candidate) -> Query {
    let mut terms = Vec::with_capacity(c.seq.len());
    for (i, w) in c.seq.iter().enumerate() {
        let orig = &query.terms[c.from[i]];
        if !c.changed[i] {
            terms.push(orig.clone());
        } else {
            terms.push(QueryTerm {
                folded: w.clone(),
                exact: w.clone(),
                accented: false,
            });
        }
    }
    let mut phrases = Vec::new();
    for &(a, b) in &query.phrases {
        let s = c.from.iter().position(|&f| f >= a && f < b);
        let e = c.from.iter().rposition(|&f| f >= a && f < b);
        if let (Some(s), Some(e)) = (s, e) {
            phrases.push((s, e + 1));
        }
    }
    Query { terms, phrases }
}

/// How a query is shown to the member: each word as typed if typed with diacritics, else in
/// the form the handbook writes it most often ("dang vien" -> "đảng viên").
pub fn display(query: &Query, p: &impl Postings) -> String {
    query.text(|i| {
        let t = &query.terms[i];
        if t.accented {
            crate::text::display_form(&t.exact)
        } else {
            match p.common_form(&t.folded) {
                Some(x) => crate::text::display_form(&x),
                None => t.folded.clone(),
            }
        }
    })
}
