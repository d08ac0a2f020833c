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

/// A document's terms, by the words of the process's table ([`word`]): its words in the order
/// they first occur (`words`: (word id, flags)), its adjacent pairs in the order they first
/// occur (`pairs`: (index into `words`, index into `words`, flags)), its number (indexes into
/// `words`), and its distinct (folded, exact) word forms (`forms`: (index into `words`, exact
/// form's word id)). Written out as text ([`Analyzed::terms`]) the terms are words, then
/// pairs, then the number, in that order; the word ids are only names, whatever their order.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Analyzed {
    pub words: Vec<(u32, Meta)>,
    pub pairs: Vec<(u32, u32, Meta)>,
    pub number: Option<Vec<u32>>,
    pub forms: Vec<(u32, u32)>,
}

impl Analyzed {
    /// (key, meta) of every term, as text.
    pub fn terms(&self) -> impl Iterator<Item = (String, Meta)> {
        let table = words();
        let folded: Vec<String> = self.words.iter().map(|&(w, _)| table.get(w)).collect();
        drop(table);
        let mut out: Vec<(String, Meta)> =
            Vec::with_capacity(self.words.len() + self.pairs.len() + 1);
        out.extend(
            folded
                .iter()
                .zip(&self.words)
                .map(|(k, &(_, m))| (k.clone(), m)),
        );
        out.extend(
            self.pairs
                .iter()
                .map(|&(a, b, m)| (pair_key(&folded[a as usize], &folded[b as usize]), m)),
        );
        if let Some(n) = self.number.as_ref().filter(|n| !n.is_empty()) {
            let w: Vec<&str> = n.iter().map(|&i| folded[i as usize].as_str()).collect();
            out.push((number_key(&w), 0));
        }
        out.into_iter()
    }

    /// (folded, exact) of every distinct word form, as text.
    pub fn forms(&self) -> Vec<(String, String)> {
        let table = words();
        self.forms
            .iter()
            .map(|&(i, x)| (table.get(self.words[i as usize].0), table.get(x)))
            .collect()
    }
}

/// Every folded word and exact form this process has analysed, numbered in the order some
/// thread first met it: what [`Analyzed`] names words by. Read and added to by every thread;
/// each thread asks it once per spelling it meets (see `Vocab`).
#[derive(Default)]
pub struct Words {
    ids: FxHashMap<Box<str>, u32>,
    all: Vec<Box<str>>,
}

impl Words {
    /// The word with id `id` ("" for an id it never gave).
    pub fn get(&self, id: u32) -> String {
        self.all
            .get(id as usize)
            .map_or_else(String::new, |w| w.to_string())
    }
}

static WORDS: std::sync::LazyLock<std::sync::RwLock<Words>> =
    std::sync::LazyLock::new(Default::default);

/// The process's table of words, to read.
pub fn words() -> std::sync::RwLockReadGuard<'static, Words> {
    WORDS
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The id of word `w` in the process's table, added if new.
fn word_id(w: &str) -> u32 {
    if let Some(&id) = words().ids.get(w) {
        return id;
    }
    let mut t = WORDS
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(&id) = t.ids.get(w) {
        return id;
    }
    let id = t.all.len() as u32;
    t.all.push(w.into());
    t.ids.insert(w.into(), id);
    id
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
    /// The spellings this thread has seen, kept from one document to the next: a spelling met
    /// before is neither folded again nor looked up in the process's table.
    static VOCAB: std::cell::RefCell<Vocab> = std::cell::RefCell::new(Vocab::default());
}

/// Distinct spellings a thread keeps at most; past it, it starts afresh (between documents).
const VOCAB_LIMIT: usize = 1 << 20;

/// A thread's spellings, each with its folded and exact forms' ids in the process's table
/// ([`word_id`]), and the per-document state of each folded word.
#[derive(Default)]
struct Vocab {
    spellings: FxHashMap<Box<str>, (u32, u32)>,
    /// Per folded word id: (the document it was last seen in, its local id there).
    seen: Vec<(u32, u32)>,
    /// The number of the document being analysed (see `seen`).
    doc: u32,
    buf: String,
    /// The document's pairs' places in `Analyzer::pairs`, and its forms other than each
    /// word's first: emptied for each document, their room kept (growing them afresh for
    /// every document cost a few percent of the analysis).
    pair_at: FxHashMap<(u32, u32), u32>,
    form_set: FxHashSet<(u32, u32)>,
}

impl Vocab {
    /// The (folded, exact) word ids of a spelling.
    fn ids(&mut self, word: &str) -> (u32, u32) {
        if let Some(&ids) = self.spellings.get(word) {
            return ids;
        }
        text::fold_into(word, &mut self.buf);
        let f = word_id(&self.buf);
        if self.seen.len() <= f as usize {
            self.seen.resize(f as usize + 1, (u32::MAX, 0));
        }
        text::exact_into(word, &mut self.buf);
        let x = word_id(&self.buf);
        self.spellings.insert(word.into(), (f, x));
        (f, x)
    }
}

/// One document's words, numbered locally in the order they first occur (so that the terms
/// come out in an order that depends on the document alone) and counted.
struct Analyzer<'v> {
    v: &'v mut Vocab,
    /// Per local id: its folded word id, occurrences, flags.
    words: Vec<(u32, u32, Meta)>,
    /// Adjacent pairs of local ids in the order they first occur, with their flags.
    pairs: Vec<((u32, u32), Meta)>,
    /// Distinct (local id, exact word id) forms in the order they first occur.
    forms: Vec<(u32, u32)>,
    /// Per local id, the exact word id of its first form: a word met again in the same
    /// spelling (nearly always) is not looked up in `Vocab::form_set`.
    first_form: Vec<u32>,
}

impl<'v> Analyzer<'v> {
    fn new(v: &'v mut Vocab) -> Analyzer<'v> {
        v.doc = v.doc.wrapping_add(1);
        if v.doc == u32::MAX {
            // Every 4 billion documents: no stale "seen" may look like this document's.
            v.seen.iter_mut().for_each(|s| *s = (u32::MAX, 0));
            v.doc = 0;
        }
        v.pair_at.clear();
        v.form_set.clear();
        Analyzer {
            v,
            words: Vec::new(),
            pairs: Vec::new(),
            forms: Vec::new(),
            first_form: Vec::new(),
        }
    }

    /// The local id of a word.
    fn id(&mut self, word: &str) -> u32 {
        let (f, x) = self.v.ids(word);
        let doc = self.v.doc;
        let seen = &mut self.v.seen[f as usize];
        if seen.0 != doc {
            let l = self.words.len() as u32;
            *seen = (doc, l);
            self.words.push((f, 0, 0));
            self.first_form.push(x);
            self.forms.push((l, x));
            return l;
        }
        let local = seen.1;
        if self.first_form[local as usize] != x && self.v.form_set.insert((local, x)) {
            self.forms.push((local, x));
        }
        local
    }

    fn pair(&mut self, p: u32, f: u32, flag: Meta) {
        let at = *self.v.pair_at.entry((p, f)).or_insert_with(|| {
            self.pairs.push(((p, f), 0));
            (self.pairs.len() - 1) as u32
        });
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
        // Every word was counted or flagged where it was met (a number's words are counted
        // as a segment first), so each is a term.
        Analyzed {
            words: self
                .words
                .iter()
                .map(|&(f, count, flags)| (f, flags | tf_bucket(count)))
                .collect(),
            pairs: self.pairs.iter().map(|&((a, b), m)| (a, b, m)).collect(),
            number: number.filter(|n| !n.is_empty()),
            forms: self.forms,
        }
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
        let form = ("quyen".to_string(), text::exact("quyền"));
        assert!(first.forms().contains(&form), "{:?}", first.forms());
        assert!(terms(&b).contains_key("quyen"));
        assert_eq!(terms(&b)["quyen"], 1, "3 occurrences: bucket 1");
    }

    #[test]
    fn each_spelling_of_a_word_is_one_form_in_the_order_met() {
        let t = Texts {
            title: "Dang",
            number: None,
            issuer: None,
            body: "đảng dang đảng dang đăng đảng",
            headings: &[],
        };
        let forms = analyze(&t).forms();
        let dang: Vec<String> = forms
            .iter()
            .filter(|(f, _)| f == "dang")
            .map(|(_, x)| x.clone())
            .collect();
        assert_eq!(
            dang,
            [
                text::exact("Dang"),
                text::exact("đảng"),
                text::exact("đăng")
            ]
            .into_iter()
            .fold(Vec::new(), |mut v, x| {
                if !v.contains(&x) {
                    v.push(x);
                }
                v
            }),
            "{forms:?}"
        );
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
