//! The inverted index of a tantivy segment, written straight from the documents' interned
//! terms: what `sotay build` writes for the server.
//!
//! `SegmentWriter` would take every term of every document as a line of text, tokenize it,
//! hash it into its in-memory table and record the document: about a sixth of a full build's
//! CPU at 10,000 documents. The build already holds each document's terms as ids of one
//! interner (`TermCache`), so here they are inverted by counting (one pass to count, one to
//! place) and handed, in byte order, to tantivy's own `InvertedIndexSerializer`: the same
//! files, in tantivy's format, read by tantivy's reader. `SegmentWriter` still writes
//! everything else of the segment (the stored bodies, the `ord` column) from documents
//! without their terms; the segment's postings are then written again here,
//! for every indexed field.
//!
//! A test holds the two writers to each other: every term of every field finds the same
//! documents in a segment written here as in one written by `SegmentWriter` from the lines of
//! [`super::index`].

use tantivy::index::{Segment, SegmentComponent};
use tantivy::postings::{FieldSerializer, InvertedIndexSerializer};
use tantivy::schema::Field;
use tantivy::{Directory, TantivyError};

/// Separates a word's folded and exact forms in field `x`.
pub(super) const FORM_SEP: char = '\u{1}';
/// Separates a term's key from its flags in field `w` (see `index::w_lines`); no key holds it.
pub(super) const FLAG_SEP: char = '\u{1}';
/// The character after [`FLAG_SEP`]: the end of a key's terms in field `w`.
pub(super) const FLAG_END: char = '\u{2}';
/// The letter of flags 0 in field `w`; flags `m` are `FLAG_BASE + m`.
pub(super) const FLAG_BASE: u8 = b'a';

/// What the postings are made of, per document: its id, and its terms and forms as ids of
/// the interner (see `index::SearchDoc`).
pub(super) struct DocTerms<'a> {
    pub id: &'a str,
    /// `key id << 4 | flags`.
    pub terms: &'a [u32],
    /// (folded, exact) word ids.
    pub forms: &'a [(u32, u32)],
}

/// The indexed fields of the schema, as `index` makes it.
#[derive(Clone, Copy)]
pub(super) struct Indexed {
    pub ord: Field,
    pub id: Field,
    pub w: Field,
    pub x: Field,
}

/// The interned keys in byte order (as tantivy orders terms): `rank[id]` is the place of key
/// `id`. Made once per build, shared by its segments.
pub(super) struct KeyOrder {
    /// Key ids, sorted by their bytes.
    pub sorted: Vec<u32>,
    /// Per key id, its place in `sorted`.
    pub rank: Vec<u32>,
}

impl KeyOrder {
    pub(super) fn of(words: &[String]) -> KeyOrder {
        use rayon::prelude::*;
        let mut sorted: Vec<u32> = (0..words.len() as u32).collect();
        sorted.par_sort_unstable_by(|&a, &b| words[a as usize].cmp(&words[b as usize]));
        let mut rank = vec![0u32; words.len()];
        for (r, &id) in sorted.iter().enumerate() {
            rank[id as usize] = r as u32;
        }
        KeyOrder { sorted, rank }
    }
}

fn internal(what: &str, e: impl std::fmt::Display) -> TantivyError {
    TantivyError::InternalError(format!("{what}: {e}"))
}

/// Writes the postings of `segment` (whose documents are `docs`, document `i` with ordinal
/// `first + i`) again: `ord`, `id`, and the terms (`w`) and forms (`x`) of the documents, ids
/// of `words` in the order `order` gives. The segment's postings, terms and positions files,
/// as `SegmentWriter` wrote them, are replaced.
pub(super) fn rewrite(
    segment: &Segment,
    f: Indexed,
    docs: &[DocTerms],
    first: usize,
    words: &[String],
    order: &KeyOrder,
) -> tantivy::Result<()> {
    let directory = segment.index().directory();
    for c in [
        SegmentComponent::Postings,
        SegmentComponent::Terms,
        SegmentComponent::Positions,
    ] {
        directory
            .delete(&segment.relative_path(c))
            .map_err(|e| internal("replacing the postings", e))?;
    }
    let mut serializer = InvertedIndexSerializer::open(segment)?;
    let n = docs.len() as u64;
    // `ord`: one term per document, its ordinal (tantivy's u64 terms are big-endian).
    let mut out = Terms::new(serializer.new_field(f.ord, n, None)?);
    for i in 0..docs.len() {
        out.term(&((first + i) as u64).to_be_bytes(), [i as u32])?;
    }
    out.close()?;
    // `id`: the documents' ids, in byte order.
    let mut ids: Vec<(&str, u32)> = docs
        .iter()
        .enumerate()
        .map(|(i, d)| (d.id, i as u32))
        .collect();
    ids.sort_unstable();
    let mut out = Terms::new(serializer.new_field(f.id, n, None)?);
    for same in ids.chunk_by(|a, b| a.0 == b.0) {
        out.term(same[0].0.as_bytes(), same.iter().map(|&(_, d)| d))?;
    }
    out.close()?;
    write_w(&mut serializer, f.w, docs, words, order)?;
    write_x(&mut serializer, f.x, docs, words, order)?;
    serializer.close()?;
    Ok(())
}

/// The documents' entries (`entries` of each) grouped by the rank of their key (`key`), in
/// document order within a key, each as `value(document, entry)`: a counting sort, one pass to
/// count and one to place. Returns the runs and the values.
fn invert<'d, E: Copy + 'd, T: Copy + Default>(
    docs: &[DocTerms<'d>],
    rank: &[u32],
    entries: impl Fn(&DocTerms<'d>) -> &'d [E],
    key: impl Fn(E) -> u32,
    value: impl Fn(u32, E) -> T,
) -> (Runs, Vec<T>) {
    let mut runs = Runs::new(rank.len());
    let mut n = 0;
    for d in docs {
        for &e in entries(d) {
            runs.count(rank[key(e) as usize]);
        }
        n += entries(d).len();
    }
    runs.start();
    let mut flat = vec![T::default(); n];
    for (i, d) in docs.iter().enumerate() {
        for &e in entries(d) {
            flat[runs.place(rank[key(e) as usize])] = value(i as u32, e);
        }
    }
    (runs, flat)
}

/// Field `w`: per document, each term once as `key FLAG_SEP flags`. Inverted by key, then,
/// within a key, one tantivy term per flags value in use.
fn write_w(
    serializer: &mut InvertedIndexSerializer,
    field: Field,
    docs: &[DocTerms],
    words: &[String],
    order: &KeyOrder,
) -> tantivy::Result<()> {
    // Each key's run: (document << 4 | flags), in document order.
    let (runs, flat) = invert(
        docs,
        &order.rank,
        |d| d.terms,
        |t| t >> 4,
        |i, t| i << 4 | (t & 0xf),
    );
    let mut out = Terms::new(serializer.new_field(field, flat.len() as u64, None)?);
    let mut term = Vec::new();
    // A run's documents by flags value (a stable counting sort: each value's documents stay
    // in order), in one pass where a pass per value cost a tenth of this field.
    let mut by_flags: Vec<u32> = Vec::new();
    for (r, &id) in order.sorted.iter().enumerate() {
        let run = &flat[runs.run(r)];
        if run.is_empty() {
            continue;
        }
        let mut start = [0usize; 17];
        for &p in run {
            start[(p & 0xf) as usize + 1] += 1;
        }
        for m in 0..16 {
            start[m + 1] += start[m];
        }
        by_flags.clear();
        by_flags.resize(run.len(), 0);
        let mut at = start;
        for &p in run {
            let m = (p & 0xf) as usize;
            by_flags[at[m]] = p >> 4;
            at[m] += 1;
        }
        for m in 0..16 {
            if start[m] == start[m + 1] {
                continue;
            }
            term.clear();
            term.extend_from_slice(words[id as usize].as_bytes());
            term.push(FLAG_SEP as u8);
            term.push(FLAG_BASE + m as u8);
            out.term(&term, by_flags[start[m]..start[m + 1]].iter().copied())?;
        }
    }
    out.close()
}

/// Field `x`: per document, its (folded, exact) word forms as `folded FORM_SEP exact`.
/// Inverted by the folded word, then sorted by the exact form's rank within it.
fn write_x(
    serializer: &mut InvertedIndexSerializer,
    field: Field,
    docs: &[DocTerms],
    words: &[String],
    order: &KeyOrder,
) -> tantivy::Result<()> {
    let rank = &order.rank;
    // Each folded word's run: (rank of the exact form, document).
    let (runs, mut flat) = invert(
        docs,
        rank,
        |d| d.forms,
        |(folded, _)| folded,
        |i, (_, exact)| (rank[exact as usize], i),
    );
    let mut out = Terms::new(serializer.new_field(field, flat.len() as u64, None)?);
    let mut term = Vec::new();
    for (r, &id) in order.sorted.iter().enumerate() {
        let run = &mut flat[runs.run(r)];
        run.sort_unstable();
        for same in run.chunk_by(|a, b| a.0 == b.0) {
            term.clear();
            term.extend_from_slice(words[id as usize].as_bytes());
            term.push(FORM_SEP as u8);
            term.extend_from_slice(words[order.sorted[same[0].0 as usize] as usize].as_bytes());
            out.term(&term, same.iter().map(|&(_, d)| d))?;
        }
    }
    out.close()
}

/// The runs of a counting sort by key rank, in one array: first each rank's count, then where
/// its run starts, then (as entries are placed) where its run ends.
struct Runs(Vec<u32>);

impl Runs {
    fn new(keys: usize) -> Runs {
        Runs(vec![0; keys])
    }

    fn count(&mut self, rank: u32) {
        self.0[rank as usize] += 1;
    }

    /// From counts to starts.
    fn start(&mut self) {
        let mut sum = 0;
        for c in self.0.iter_mut() {
            (*c, sum) = (sum, sum + *c);
        }
    }

    /// Where the next entry of `rank` goes.
    fn place(&mut self, rank: u32) -> usize {
        let at = &mut self.0[rank as usize];
        *at += 1;
        *at as usize - 1
    }

    /// Once every entry is placed: the run of `rank`.
    fn run(&self, rank: usize) -> std::ops::Range<usize> {
        let from = rank.checked_sub(1).map_or(0, |r| self.0[r]);
        from as usize..self.0[rank] as usize
    }
}

/// One field's terms as they are written: each must come after the one before in byte order
/// (tantivy's term dictionary needs it; a key holding a separator would break it, and is
/// refused here instead of making an index that cannot find it).
struct Terms<'a> {
    field: FieldSerializer<'a>,
    last: Vec<u8>,
    any: bool,
}

impl<'a> Terms<'a> {
    fn new(field: FieldSerializer<'a>) -> Terms<'a> {
        Terms {
            field,
            last: Vec::new(),
            any: false,
        }
    }

    /// Term `bytes`, found in `docs` (ascending; a document named twice in a row counts once,
    /// as `SegmentWriter` records it). A term longer than tantivy takes from a tokenizer (a
    /// "word" of 65,530 bytes and more) is left out, as `SegmentWriter` leaves it out.
    fn term(&mut self, bytes: &[u8], docs: impl IntoIterator<Item = u32>) -> tantivy::Result<()> {
        if bytes.len() > tantivy::tokenizer::MAX_TOKEN_LEN {
            return Ok(());
        }
        if self.any && bytes <= self.last.as_slice() {
            return Err(internal(
                "search index",
                format!(
                    "term {:?} out of order after {:?}",
                    String::from_utf8_lossy(bytes),
                    String::from_utf8_lossy(&self.last)
                ),
            ));
        }
        self.any = true;
        self.last.clear();
        self.last.extend_from_slice(bytes);
        self.field.new_term(bytes, 0, false)?;
        let mut prev = None;
        for d in docs {
            if prev != Some(d) {
                self.field.write_doc(d, 0, &[]);
                prev = Some(d);
            }
        }
        self.field.close_term()?;
        Ok(())
    }

    fn close(self) -> tantivy::Result<()> {
        self.field.close()?;
        Ok(())
    }
}
