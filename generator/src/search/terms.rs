//! What both search indexes hold for a document: its *terms* with their flags, made in one
//! pass over its words (`analyze`).
//!
//! A term is one of three kinds, told apart by its key (all folded, see `crate::text`):
//! - a word, "dang";
//! - a pair of words that stand next to each other, "dang vien" (a syllable bigram: Vietnamese
//!   words are mostly two or three syllables, so adjacent pairs are what tells "đảng viên dự
//!   bị" standing together from the same syllables scattered over a page);
//! - the document's number, "#21 nq tw".
//!
//! Each (term, document) posting carries four bits of [`Meta`]: for a word, how often it
//! occurs (a log₂ bucket) and whether the title or a heading holds it; for a pair, whether the
//! title or a heading holds it. Pairs are indexed rather than positions because they cost a
//! fifth as much in the browser's index on the benchmark corpus (positions: one entry per
//! word of every text; pairs: one per distinct pair per document), see BENCHMARKS.md §2.

use crate::text;
use rustc_hash::{FxHashMap, FxHashSet};

/// The flags of one posting, in four bits.
pub type Meta = u8;
/// Mask of the frequency bucket: 0 for one occurrence, 1 for 2–3, 2 for 4–7, 3 for 8 or more.
pub const TF: Meta = 0b0011;
/// The title holds the word or pair.
pub const TITLE: Meta = 0b0100;
/// A heading (level 2 to 4) holds the word or pair.
pub const HEADING: Meta = 0b1000;

/// The frequency bucket of a word that occurs `n` times.
pub fn tf_bucket(n: u32) -> Meta {
    match n {
        0 | 1 => 0,
        2..=3 => 1,
        4..=7 => 2,
        _ => 3,
    }
}

/// The key of the pair of words `a`, `b` (folded).
pub fn pair_key(a: &str, b: &str) -> String {
    let mut k = String::with_capacity(a.len() + 1 + b.len());
    k.push_str(a);
    k.push(' ');
    k.push_str(b);
    k
}

/// The key of a document number made of these folded words.
pub fn number_key<S: AsRef<str>>(words: &[S]) -> String {
    let mut k = String::from("#");
    for (i, w) in words.iter().enumerate() {
        if i > 0 {
            k.push(' ');
        }
        k.push_str(w.as_ref());
    }
    k
}

/// What kind of term a key is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Word,
    Pair,
    Number,
}

pub fn kind(key: &str) -> Kind {
    if key.starts_with('#') {
        Kind::Number
    } else if key.contains(' ') {
        Kind::Pair
    } else {
        Kind::Word
    }
}

/// The texts of a document that search reads.
pub struct Texts<'a> {
    pub title: &'a str,
    pub number: Option<&'a str>,
    pub issuer: Option<&'a str>,
    pub body: &'a str,
    /// The headings search knows (levels 2 to 4), whose words and pairs get [`HEADING`].
    pub headings: &'a [&'a str],
}

/// A document's terms as text: `keys` holds each distinct term's key followed by `\0`, `meta`
/// its flags in the same order; `forms` holds each distinct (folded, exact) word form as
/// `folded\0exact\0`. One allocation each per document, not one per word: a national-scale
/// build holds many of these at once.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Analyzed {
    pub keys: String,
    pub meta: Vec<Meta>,
    pub forms: String,
}

impl Analyzed {
    /// (key, meta) of every term.
    pub fn terms(&self) -> impl Iterator<Item = (&str, Meta)> {
        self.keys
            .split_terminator('\0')
            .zip(self.meta.iter().copied())
    }
}

/// One pass over a document's words: its terms and flags, and its word forms. The result
/// depends on the texts alone (not on the thread, nor on what it analysed before).
pub fn analyze(t: &Texts) -> Analyzed {
    VOCAB.with(|v| {
        let mut v = v.borrow_mut();
        if v.spellings.len() > VOCAB_LIMIT {
            *v = Vocab::default();
        }
        let mut a = Analyzer::new(&mut v);
        a.segment(t.title, TITLE);
        for s in [t.number, t.issuer].into_iter().flatten() {
            a.segment(s, 0);
        }
        a.segment(t.body, 0);
        for h in t.headings {
            a.flag_segment(h, HEADING);
        }
        let number: Option<Vec<u32>> = t.number.map(|n| a.ids_of(n));
        a.finish(number)
    })
}

thread_local! {
    /// The words this thread has seen, kept from one document to the next: a spelling met
    /// before is neither folded again nor copied.
    static VOCAB: std::cell::RefCell<Vocab> = std::cell::RefCell::new(Vocab::default());
}

/// Distinct spellings a thread keeps at most; past it, it starts afresh (between documents).
const VOCAB_LIMIT: usize = 1 << 20;

/// A thread's words: each spelling with its folded and exact forms (as ids into `folded`
/// and `exact`), and the per-document state of each folded word.
#[derive(Default)]
struct Vocab {
    spellings: FxHashMap<Box<str>, (u32, u32)>,
    folded_ids: FxHashMap<Box<str>, u32>,
    folded: Vec<Box<str>>,
    exact_ids: FxHashMap<Box<str>, u32>,
    exact: Vec<Box<str>>,
    /// Per folded id: (the document it was last seen in, its local id there).
    seen: Vec<(u32, u32)>,
    /// The number of the document being analysed (see `seen`).
    doc: u32,
    buf: String,
}

impl Vocab {
    /// The (folded, exact) ids of a spelling, added if new.
    fn ids(&mut self, word: &str) -> (u32, u32) {
        if let Some(&ids) = self.spellings.get(word) {
            return ids;
        }
        text::fold_into(word, &mut self.buf);
        let f = intern(&mut self.folded_ids, &mut self.folded, &self.buf);
        if self.seen.len() < self.folded.len() {
            self.seen.resize(self.folded.len(), (u32::MAX, 0));
        }
        text::exact_into(word, &mut self.buf);
        let x = intern(&mut self.exact_ids, &mut self.exact, &self.buf);
        self.spellings.insert(word.into(), (f, x));
        (f, x)
    }
}

/// The id of `w` in (`ids`, `all`), added if new.
fn intern(ids: &mut FxHashMap<Box<str>, u32>, all: &mut Vec<Box<str>>, w: &str) -> u32 {
    if let Some(&i) = ids.get(w) {
        return i;
    }
    let i = all.len() as u32;
    all.push(w.into());
    ids.insert(w.into(), i);
    i
}

/// One document's words, numbered locally in the order they first occur (so that the terms
/// come out in an order that depends on the document alone) and counted.
struct Analyzer<'v> {
    v: &'v mut Vocab,
    /// Per local id: its folded id, occurrences, flags.
    words: Vec<(u32, u32, Meta)>,
    /// Adjacent pairs of local ids in the order they first occur, with their flags.
    pairs: Vec<((u32, u32), Meta)>,
    pair_at: FxHashMap<(u32, u32), u32>,
    /// Distinct (local id, exact id) forms in the order they first occur.
    forms: Vec<(u32, u32)>,
    form_set: FxHashSet<(u32, u32)>,
}

impl<'v> Analyzer<'v> {
    fn new(v: &'v mut Vocab) -> Analyzer<'v> {
        v.doc = v.doc.wrapping_add(1);
        if v.doc == u32::MAX {
            // Every 4 billion documents: no stale "seen" may look like this document's.
            v.seen.iter_mut().for_each(|s| *s = (u32::MAX, 0));
            v.doc = 0;
        }
        Analyzer {
            v,
            words: Vec::new(),
            pairs: Vec::new(),
            pair_at: FxHashMap::default(),
            forms: Vec::new(),
            form_set: FxHashSet::default(),
        }
    }

    /// The local id of a word.
    fn id(&mut self, word: &str) -> u32 {
        let (f, x) = self.v.ids(word);
        let doc = self.v.doc;
        let seen = &mut self.v.seen[f as usize];
        let local = if seen.0 == doc {
            seen.1
        } else {
            let l = self.words.len() as u32;
            *seen = (doc, l);
            self.words.push((f, 0, 0));
            l
        };
        if self.form_set.insert((local, x)) {
            self.forms.push((local, x));
        }
        local
    }

    fn pair(&mut self, p: u32, f: u32, flag: Meta) {
        let at = match self.pair_at.get(&(p, f)) {
            Some(&at) => at,
            None => {
                let at = self.pairs.len() as u32;
                self.pairs.push(((p, f), 0));
                self.pair_at.insert((p, f), at);
                at
            }
        };
        self.pairs[at as usize].1 |= flag;
    }

    /// Counts the words of a text and its adjacent pairs, with `flag` on both.
    fn segment(&mut self, s: &str, flag: Meta) {
        let mut prev: Option<u32> = None;
        text::for_each_word(s, |a, b| {
            let f = self.id(&s[a..b]);
            let w = &mut self.words[f as usize];
            w.1 += 1;
            w.2 |= flag;
            if let Some(p) = prev {
                self.pair(p, f, flag);
            }
            prev = Some(f);
        });
    }

    /// Sets `flag` on the words and pairs of a text the body already counted (a heading).
    fn flag_segment(&mut self, s: &str, flag: Meta) {
        let mut prev: Option<u32> = None;
        text::for_each_word(s, |a, b| {
            let f = self.id(&s[a..b]);
            self.words[f as usize].2 |= flag;
            if let Some(p) = prev {
                self.pair(p, f, flag);
            }
            prev = Some(f);
        });
    }

    fn ids_of(&mut self, s: &str) -> Vec<u32> {
        let mut v = Vec::new();
        text::for_each_word(s, |a, b| v.push(self.id(&s[a..b])));
        v
    }

    fn finish(self, number: Option<Vec<u32>>) -> Analyzed {
        let folded = |l: u32| &*self.v.folded[self.words[l as usize].0 as usize];
        let mut out = Analyzed::default();
        out.meta.reserve(self.words.len() + self.pairs.len() + 1);
        for (l, &(_, count, flags)) in self.words.iter().enumerate() {
            if count == 0 && flags == 0 {
                continue;
            }
            out.keys.push_str(folded(l as u32));
            out.keys.push('\0');
            out.meta.push(flags | tf_bucket(count));
        }
        for &((a, b), flags) in &self.pairs {
            out.keys.push_str(folded(a));
            out.keys.push(' ');
            out.keys.push_str(folded(b));
            out.keys.push('\0');
            out.meta.push(flags);
        }
        if let Some(n) = number.filter(|n| !n.is_empty()) {
            let words: Vec<&str> = n.iter().map(|&l| folded(l)).collect();
            out.keys.push_str(&number_key(&words));
            out.keys.push('\0');
            out.meta.push(0);
        }
        for &(l, x) in &self.forms {
            out.forms.push_str(folded(l));
            out.forms.push('\0');
            out.forms.push_str(&self.v.exact[x as usize]);
            out.forms.push('\0');
        }
        out
    }
}

/// A stable 32-bit hash of a term key (FNV-1a over its UTF-8 bytes): which shard of the
/// browser's index holds the term. `search.js` computes the same.
pub fn fnv1a(key: &str) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in key.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn terms(t: &Texts) -> BTreeMap<String, Meta> {
        analyze(t)
            .terms()
            .map(|(k, m)| (k.to_string(), m))
            .collect()
    }

    #[test]
    fn words_pairs_flags_and_numbers() {
        let got = terms(&Texts {
            title: "Quy định về đảng viên",
            number: Some("21-NQ/TW"),
            issuer: None,
            body: "Điều 1. Đảng viên dự bị\nĐảng viên dự bị có quyền, đảng viên dự bị; đảng viên đảng viên",
            headings: &["Điều 1. Đảng viên dự bị"],
        });
        // "dang": title + heading, 1 (title) + 6 (body) = 7 occurrences.
        assert_eq!(got["dang"], TITLE | HEADING | 2);
        assert_eq!(got["du"], HEADING | 1);
        assert_eq!(got["quyen"], 0);
        assert_eq!(got["dang vien"], TITLE | HEADING);
        assert_eq!(got["vien du"], HEADING);
        // Pairs cross punctuation and line breaks: a member does not type them.
        assert_eq!(got["quyen dang"], 0);
        assert_eq!(got["bi dang"], 0);
        assert_eq!(got["#21 nq tw"], 0);
        assert!(!got.contains_key("vien dang vien"));
        // No pair across segments (title, number, body).
        assert!(!got.contains_key("vien 21"));
        assert!(!got.contains_key("tw dieu"));
    }

    /// A thread keeps the words it has seen: what a document gives must not depend on it.
    #[test]
    fn a_document_gives_the_same_terms_whatever_was_analysed_before() {
        let a = Texts {
            title: "Đảng viên dự bị",
            number: Some("12-QĐ/TW"),
            issuer: Some("Ban Chấp hành Trung ương"),
            body: "Đảng viên dự bị có quyền như đảng viên chính thức, trừ quyền biểu quyết.",
            headings: &["Quyền của đảng viên dự bị"],
        };
        let b = Texts {
            title: "Sinh hoạt chi bộ",
            number: None,
            issuer: None,
            body: "Chi bộ sinh hoạt mỗi tháng một lần; quyết định, quyền hạn, QUYỀN và quyền.",
            headings: &[],
        };
        let first = std::thread::scope(|s| s.spawn(|| analyze(&a)).join().expect("thread"));
        let again = std::thread::scope(|s| {
            s.spawn(|| {
                analyze(&b);
                analyze(&a);
                analyze(&b);
                analyze(&a)
            })
            .join()
            .expect("thread")
        });
        assert_eq!(first, again);
        let form = format!("quyen\0{}\0", text::exact("quyền"));
        assert!(first.forms.contains(&form), "{:?}", first.forms);
        assert!(terms(&b).contains_key("quyen"));
        assert_eq!(terms(&b)["quyen"], 1, "3 occurrences: bucket 1");
    }

    #[test]
    fn kinds_and_buckets() {
        assert_eq!(kind("dang"), Kind::Word);
        assert_eq!(kind("dang vien"), Kind::Pair);
        assert_eq!(kind("#21 nq tw"), Kind::Number);
        let buckets: Vec<Meta> = [1, 2, 3, 4, 7, 8, 100].map(tf_bucket).to_vec();
        assert_eq!(buckets, [0, 1, 1, 2, 2, 3, 3]);
        // The browser's search.js has the same function: these are its test values too.
        assert_eq!(fnv1a(""), 0x811c_9dc5);
        assert_eq!(fnv1a("a"), 0xe40c_292c);
        assert_eq!(fnv1a("foobar"), 0xbf9c_f968);
    }
}
