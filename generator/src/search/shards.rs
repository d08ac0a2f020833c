//! The browser's search index: files under `search/` in the site, named by their content's
//! hash, that the service worker precaches and `search.js` reads without a network. It holds
//! what the tantivy index holds (see `terms`), cut so that
//! - a query reads only the files its terms are in: each term is in one of G *groups*, by a
//!   hash of its key (G grows with the site: about one group per 8 documents);
//! - an edit changes only the groups of the terms it adds, removes or re-counts (and of a
//!   common term, cut by document range, only its document's range), the display shard of its
//!   document, and the small root; the phone downloads only those.
//!
//! ```text
//! search/index.<h>.json  root: {"v": 6, "n": N, "groups": G, "dir": D, "dirs": "<h><h>...",
//!                        "vocab": {"a": h, ...}, "docs": [h], "per": P, "table": h, "fold": h,
//!                        "keys": h, "kinds": {...}, "span": S} (S: documents per range of cut
//!                        terms, absent in a site of one range; dirs: the 8-digit hash of each
//!                        group directory)
//! search/g/<j>.<h>.txt   group directory j: the 8-digit hashes of groups j·D .. (j+1)·D − 1,
//!                        one after the other (the root names D-group directories rather than
//!                        every group: an edit changes the directories of its groups, not a
//!                        list of every group's hash)
//! search/fold.<h>.json   the normaliser's table: {char: [folded, base, tone]}
//! search/keys.<h>.json   the fixed code of the group headers' keys (`keycode`): a JSON array
//!                        of its rows, a hexadecimal digit per code length
//! search/t/<i>.<g>.bin   group i (decimal), g its 8-digit hash (unique by i, changed with
//!                        the content: 8 digits keep the directories small): "STG6" u32 header_len
//!                        header postings...
//!                        header: varint e, e bytes of JSON when the group has cut terms
//!                        (below), varint lines, then a line per term in the fixed code of
//!                        `keycode`: "key" or, for a word, "key\tforms" (its exact forms, most
//!                        frequent first, space-separated; "=" for the key alone); postings, per
//!                        term in header order: varint byte_len, then the documents
//!                        (Golomb-coded, `docset`), frequency buckets and values (flags, forms)
//!                        in streams (see `encode_term`).
//!                        A group with *cut* terms (postings over `SPLIT_BYTES`, in a site of
//!                        more than one range of documents, see `span_for`) starts its header
//!                        with {"split": [their places among the terms], "parts":
//!                        "<h><h>..."} (its range files' hashes, 8 hex digits each); a cut
//!                        term's bytes here are its count
//! search/t/<i>.<k>.<h>.bin  range k of group i: "STR2", then for each cut term of the group
//!                        (in "split" order) varint byte_len and its postings in documents
//!                        k·span .. (k+1)·span − 1, numbered from k·span and encoded as a term
//!                        of a site of the range's documents (byte_len 0: none there)
//! search/v/<h>.txt       the vocabulary (words only) starting with one letter: "word bucket\n"
//!                        lines, bucket = 1 + ⌊log₂ df⌋ (for typo correction)
//! search/d/<h>.json      display shard k: the cards of documents k·P .. (k+1)·P − 1, column
//!                        by column ({"id": [..], "title": [..], "url": [..], "number": [..],
//!                        "date": [..]}; "" where a card has none, as url when it is "/{id}/";
//!                        a column of nothing but "" left out)
//! search/table.<h>.bin   u32 header_len, header {"kinds": [..], "sections": [..]}, then 6
//!                        bytes per document, column by column (byte j of document i at
//!                        j·N + i): kind+1, section+1 (u16), year (u16), flags (1: no
//!                        longer in force)
//! ```
//! Integers are little-endian; varints are LEB128. The fold table is generated from
//! `crate::text`, so the browser folds queries exactly as the server does; it and the key code
//! are files of their own, unchanged from one build to the next.

use super::docset;
use super::huffman;
use super::index::{SearchDoc, TermCache};
use super::keycode;
use super::terms::{self, Kind, Meta};
use super::varint::{get as read_varint, put as varint};
use super::{df_bucket, DocInfo, Postings};
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

const MAGIC: &[u8; 4] = b"STG6";
/// The start of a range file.
const RANGE_MAGIC: &[u8; 4] = b"STR2";
/// At most this many exact forms per folded word carry a mask bit; rarer ones are dropped
/// from both indexes' `exact_docs`.
pub const MAX_VARIANTS: usize = 32;
/// Documents per display shard.
pub const DOCS_PER_SHARD: usize = 128;
/// Hex digits of a group file's hash in its name and in the root.
const GROUP_HASH: usize = 8;

/// About how many documents a group of terms serves (see [`groups_for`]).
pub const GROUP_DOCS: usize = 8;

/// Groups per group directory (`search/g/`), whose hashes the root lists: a directory is 256
/// hex digits; an edit that touches 20 groups of 2,048 changes about 19 of 64 directories
/// (3–4 KB) instead of the root's list of every group (8.5 KB gzip at 10,000 documents, 67 KB
/// at 100,000 with the rest of the root).
pub const DIR_GROUPS: usize = 32;

/// A term whose encoded postings pass this many bytes is cut by document range (when the site
/// has more than one range, see [`span_for`]): its group file keeps its document count, and
/// each range's postings go to that range's file of the group. An edit then changes the range
/// of its document, not the whole of a common word (which is in every other edit).
pub const SPLIT_BYTES: usize = 2048;

/// Documents per range of a cut term in a site of `n` documents: a power of two, at least a
/// quarter of the site and at least 1,024 (so 2 to 4 ranges); `None` when one range holds the
/// whole site (nothing is cut). Measured at 10,000 documents (BENCHMARKS §11): 3 ranges of
/// 4,096 against 5 of 2,048, an update of 49.7 KB against 44.0 and an index of 292.7 KB per
/// 1,000 documents against 297.6 (each file a phone keeps costs its own gzip framing).
pub fn span_for(n: usize) -> Option<usize> {
    let span = (n / 4).next_power_of_two().max(1024);
    (n > span).then_some(span)
}

/// How common terms are cut by document range: ranges of `span` documents, the terms whose
/// postings pass `min_bytes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cut {
    pub span: usize,
    pub min_bytes: usize,
}

impl Cut {
    /// A site of `n` documents: ranges of [`span_for`], terms over [`SPLIT_BYTES`].
    pub fn of_site(n: usize) -> Option<Cut> {
        span_for(n).map(|span| Cut {
            span,
            min_bytes: SPLIT_BYTES,
        })
    }
}

/// How many groups a site of `n` documents has: a power of two, about one per
/// [`GROUP_DOCS`] documents.
pub fn groups_for(n: usize) -> u32 {
    (n.div_ceil(GROUP_DOCS))
        .next_power_of_two()
        .clamp(1, 1 << 14) as u32
}

/// Which group holds a term.
pub fn group_of(key: &str, groups: u32) -> u32 {
    terms::fnv1a(key) % groups
}

/// The vocabulary file a word is in: its first letter or digit, else `_`.
pub fn vocab_letter(word: &str) -> char {
    match word.chars().next() {
        Some(c) if c.is_ascii_alphanumeric() => c,
        _ => '_',
    }
}

/// What a display shard says of a document: what a hit shows, nothing ranking needs. Its kind
/// is in the table; its URL is left out when it is `/{id}/` (a document without an `id` of its
/// own), see [`Card::url`].
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Card {
    pub id: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub url: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
}

/// One file of the browser's index.
pub struct File {
    /// Path in the site ("search/t/<hash>.bin").
    pub path: String,
    pub bytes: Vec<u8>,
    /// `crate::hash::file` of the bytes (the one in its name).
    pub hash: String,
}

impl File {
    /// Group `i`'s file: named by its number and a short hash, which its directory lists.
    pub(super) fn group(i: usize, bytes: Vec<u8>) -> File {
        File::numbered(&format!("t/{i}"), "bin", bytes)
    }

    /// Group directory `j` (its groups' hashes): named by its number and a short hash, which
    /// the root lists.
    fn dir(j: usize, bytes: Vec<u8>) -> File {
        File::numbered(&format!("g/{j}"), "txt", bytes)
    }

    /// Range `k`'s file of group `i` (its cut terms' postings there): named by both numbers and
    /// a short hash, which the group's file lists.
    fn range(i: usize, k: usize, bytes: Vec<u8>) -> File {
        File::numbered(&format!("t/{i}.{k}"), "bin", bytes)
    }

    /// `search/<name>.<hash>.<ext>`, the hash cut to [`GROUP_HASH`] digits: unique by `name`,
    /// changed with the content.
    fn numbered(name: &str, ext: &str, bytes: Vec<u8>) -> File {
        let mut hash = crate::hash::file(&bytes);
        hash.truncate(GROUP_HASH);
        File {
            path: format!("search/{name}.{hash}.{ext}"),
            bytes,
            hash,
        }
    }

    fn new(dir: &str, ext: &str, bytes: Vec<u8>) -> File {
        let hash = crate::hash::file(&bytes);
        File {
            path: format!("search/{dir}{hash}.{ext}"),
            bytes,
            hash,
        }
    }
}

/// The files of the browser's index; the root is the last.
pub struct Built {
    pub files: Vec<Arc<File>>,
    /// Path of the root file, which the search page names.
    pub root: String,
}

/// Builds the browser's index from the documents' interned terms. `passes` (at least 1): how
/// many times the documents' terms are read, each time for a share of the groups; more passes
/// hold fewer postings at once (a one-shot build's peak memory). A builder that keeps its
/// work builds through a [`ShardCache`](super::shard_cache::ShardCache) instead, which
/// re-encodes only what an edit touches.
pub fn build(
    docs: &[SearchDoc],
    cache: &TermCache,
    kinds: &[crate::config::Kind],
    passes: usize,
) -> Built {
    build_cut(docs, cache, kinds, passes, Cut::of_site(docs.len()))
}

/// [`build`], with common terms cut as `cut` says (`None`: none are).
pub fn build_cut(
    docs: &[SearchDoc],
    cache: &TermCache,
    kinds: &[crate::config::Kind],
    passes: usize,
    cut: Option<Cut>,
) -> Built {
    let groups = groups_for(docs.len());
    let (counts, form_counts) = count(docs, cache.words.len());
    let order = order_of(&cache.words, &counts, groups);
    let terms = TermCounts::of(cache, &counts, &form_counts, order, docs.len()).with_cut(cut);
    let mut out = GroupFiles::new(groups);
    terms.write_groups(docs, passes, &mut out);
    out.fill_empty();
    let GroupFiles {
        files,
        ranges,
        names: group_names,
        vocab,
    } = out;
    let mut files: Vec<Arc<File>> = files.into_iter().map(|(_, f)| Arc::new(f)).collect();
    files.extend(ranges.into_iter().flat_map(|(_, r)| r).map(Arc::new));
    let fold_name = push(&mut files, Arc::new(fold_file()));
    let mut vocab_names = BTreeMap::new();
    for (letter, text) in vocab {
        let path = push(&mut files, Arc::new(vocab_file(&text)));
        vocab_names.insert(letter.to_string(), path);
    }
    let mut doc_names = Vec::new();
    for chunk in docs.chunks(DOCS_PER_SHARD) {
        doc_names.push(push(&mut files, Arc::new(display_shard(chunk))));
    }
    let names = RootNames {
        groups: group_names.concat(),
        vocab: &vocab_names,
        docs: &doc_names,
        fold: &fold_name,
        span: cut.map(|c| c.span),
    };
    finish(docs, names, kinds, files)
}

/// Adds the group directories, the table and the root (last) to `files`.
pub(super) fn finish(
    docs: &[SearchDoc],
    names: RootNames,
    kinds: &[crate::config::Kind],
    mut files: Vec<Arc<File>>,
) -> Built {
    let mut dirs = String::new();
    for (j, chunk) in names
        .groups
        .as_bytes()
        .chunks(GROUP_HASH * DIR_GROUPS)
        .enumerate()
    {
        let f = File::dir(j, chunk.to_vec());
        dirs.push_str(&f.hash);
        files.push(Arc::new(f));
    }
    let table = File::new("table.", "bin", table_file(docs.iter().map(|d| &*d.info)));
    let table_name = push(&mut files, Arc::new(table));
    let keys = File::new("keys.", "json", keycode::model_file());
    let keys_name = push(&mut files, Arc::new(keys));
    let root = push(
        &mut files,
        Arc::new(root_file(
            docs.len(),
            &names,
            &dirs,
            [&table_name, &keys_name],
            kinds,
        )),
    );
    Built { files, root }
}

/// Adds `f` to `files`; its path.
pub(super) fn push(files: &mut Vec<Arc<File>>, f: Arc<File>) -> String {
    let path = f.path.clone();
    files.push(f);
    path
}

/// How many documents hold each term, and how many have exact forms of each folded word, by
/// interned id (`keys` of them).
pub(super) fn count(docs: &[SearchDoc], keys: usize) -> (Vec<usize>, Vec<usize>) {
    let mut counts = vec![0usize; keys];
    let mut form_counts = vec![0usize; keys];
    for d in docs {
        for &t in d.terms.iter() {
            counts[(t >> 4) as usize] += 1;
        }
        for &(f, _) in d.forms.iter() {
            form_counts[f as usize] += 1;
        }
    }
    (counts, form_counts)
}

/// (group, term id) of the terms in use (`counts` above 0), by group, then key: the order of
/// the terms in the group files.
pub(super) fn order_of(keys: &[String], counts: &[usize], groups: u32) -> Vec<(u32, u32)> {
    let mut order: Vec<(u32, u32)> = (0..keys.len() as u32)
        .filter(|&t| counts[t as usize] > 0)
        .map(|t| (group_of(&keys[t as usize], groups), t))
        .collect();
    order.sort_unstable_by(|a, b| {
        a.0.cmp(&b.0)
            .then_with(|| keys[a.1 as usize].cmp(&keys[b.1 as usize]))
    });
    order
}

/// The terms of some groups, counted, in file order.
pub(super) struct TermCounts<'a> {
    cache: &'a TermCache,
    /// Per term id, how many documents hold it.
    counts: &'a [usize],
    /// Per folded word id, how many documents have exact forms of it.
    form_counts: &'a [usize],
    /// (group, term id) of the terms to write, by group, then key.
    pub order: Vec<(u32, u32)>,
    /// How many documents the site has.
    n: usize,
    /// How its common terms are cut (see [`Cut`]).
    cut: Option<Cut>,
}

impl<'a> TermCounts<'a> {
    /// The terms of `order` (by group, then key), counted by `counts` and `form_counts`.
    pub(super) fn of(
        cache: &'a TermCache,
        counts: &'a [usize],
        form_counts: &'a [usize],
        order: Vec<(u32, u32)>,
        n: usize,
    ) -> Self {
        TermCounts {
            cache,
            counts,
            form_counts,
            order,
            n,
            cut: Cut::of_site(n),
        }
    }

    /// The same, with common terms cut as `cut` says.
    pub(super) fn with_cut(mut self, cut: Option<Cut>) -> Self {
        self.cut = cut;
        self
    }

    /// Writes every group that has terms into `out`, in batches of whole groups: `passes`
    /// batches of about equal postings (each at least 2^20), one read of `docs` each.
    pub(super) fn write_groups(&self, docs: &[SearchDoc], passes: usize, out: &mut GroupFiles) {
        let total: usize = self
            .order
            .iter()
            .map(|&(_, t)| self.counts[t as usize])
            .sum();
        let batch_target = total.div_ceil(passes.max(1)).max(1 << 20);
        let mut batch = Batch::new(self.cache.words.len());
        let mut b0 = 0;
        while b0 < self.order.len() {
            let (b1, runs) = batch.plan(self, b0, batch_target);
            batch.fill(docs);
            // The batch's groups are encoded in parallel (each reads only its own runs), and
            // added to `out` in order: the files are the same as one by one.
            let groups: Vec<Written> = runs
                .par_iter()
                .map(|r| self.write_group(&batch, r))
                .collect();
            batch.clear(&self.order[b0..b1]);
            for g in groups {
                out.add(g);
            }
            b0 = b1;
        }
    }

    /// The file of one group (with its range files where it has cut terms) and its words'
    /// vocabulary lines, from the filled `batch`.
    fn write_group(&self, batch: &Batch, r: &GroupRuns) -> Written<'a> {
        let keys = &self.cache.words;
        let g = self.order[r.terms.start].0;
        let mut names: Vec<&str> = Vec::new();
        let mut vars: Vec<Vec<&str>> = Vec::new();
        let mut body = Vec::new();
        let cut_at = self.cut;
        // The cut terms (their places in `names`) and, per range, their postings there.
        let mut split: Vec<usize> = Vec::new();
        let mut ranges: Vec<Vec<u8>> = Vec::new();
        let mut vocab = Vec::new();
        let mut term = Vec::new();
        let (mut start, mut fstart) = (r.start, r.fstart);
        for &(_, t) in &self.order[r.terms.clone()] {
            let t = t as usize;
            let c = self.counts[t];
            let fc = self.form_counts[t];
            let postings = &batch.flat[start..start + c];
            let forms = &batch.flat_forms[fstart..fstart + fc];
            (start, fstart) = (start + c, fstart + fc);
            let key = keys[t].as_str();
            let v = variants(forms, keys);
            let kind = terms::kind(key);
            let same = self.same_as(t);
            term.clear();
            encode_term(kind, same, self.n, postings, forms, &v, &mut term);
            match cut_at.filter(|c| same == 0 && term.len() > c.min_bytes) {
                Some(Cut { span, .. }) => {
                    // The group keeps the count (for `df`, and for typo correction).
                    let mut count = Vec::new();
                    varint(&mut count, postings.len() as u64);
                    varint(&mut body, count.len() as u64);
                    body.extend_from_slice(&count);
                    cut(kind, span, self.n, postings, forms, &v, &mut ranges);
                    split.push(names.len());
                }
                None => body.extend_from_slice(&term),
            }
            if kind == Kind::Word {
                vocab.push((key, c));
            }
            names.push(key);
            vars.push(v.iter().map(|&e| keys[e as usize].as_str()).collect());
        }
        let parts: Vec<File> = ranges
            .into_iter()
            .enumerate()
            .map(|(k, b)| File::range(g as usize, k, b))
            .collect();
        let hashes: String = parts.iter().map(|f| f.hash.as_str()).collect();
        let file = File::group(
            g as usize,
            group_file(&names, &vars, &split, &hashes, &body),
        );
        Written {
            g,
            file,
            parts,
            vocab,
        }
    }

    /// For term `t`, a pair: 1 if its first word is held by exactly as many documents (then
    /// by the same ones), else 2 if its second is, else 0 (see [`encode_term`]).
    pub(super) fn same_as(&self, t: usize) -> u8 {
        let key = self.cache.words[t].as_str();
        let c = self.counts[t];
        let df = |w: &str| {
            (terms::kind(w) == Kind::Word)
                .then(|| self.cache.id(w))
                .flatten()
                .map_or(0, |i| self.counts.get(i as usize).copied().unwrap_or(0))
        };
        match (terms::kind(key), key.split_once(' ')) {
            (Kind::Pair, Some((a, b))) => {
                if df(a) == c {
                    1
                } else if df(b) == c {
                    2
                } else {
                    0
                }
            }
            _ => 0,
        }
    }
}

/// The postings of one batch of whole groups, laid out flat: each term's postings (and its
/// forms') are one run, in term order.
struct Batch {
    /// Term id -> its place in `flat` (usize::MAX: not in the batch).
    slot: Vec<usize>,
    /// Folded word id -> its place in `flat_forms` (usize::MAX: not in the batch).
    form_slot: Vec<usize>,
    /// (document ordinal, flags) of the batch's postings.
    flat: Vec<(u32, Meta)>,
    /// (exact form id, document ordinal) of the batch's words' forms.
    flat_forms: Vec<(u32, u32)>,
}

impl Batch {
    /// An empty batch for `n` interned keys.
    fn new(n: usize) -> Batch {
        Batch {
            slot: vec![usize::MAX; n],
            form_slot: vec![usize::MAX; n],
            flat: Vec::new(),
            flat_forms: Vec::new(),
        }
    }

    /// Takes whole groups from `terms.order[b0]` on, about `target` postings (at least one
    /// group), gives each of their terms its slot, and sizes the flat arrays; where the batch
    /// ends in `order`, and its groups with where their runs start.
    fn plan(&mut self, terms: &TermCounts, b0: usize, target: usize) -> (usize, Vec<GroupRuns>) {
        let order = &terms.order;
        let mut b1 = b0;
        let (mut size, mut fsize) = (0, 0);
        let mut runs = Vec::new();
        while b1 < order.len() {
            let g = order[b1].0;
            let mut e = b1;
            let mut s = 0;
            while e < order.len() && order[e].0 == g {
                s += terms.counts[order[e].1 as usize];
                e += 1;
            }
            if b1 > b0 && size + s > target {
                break;
            }
            runs.push(GroupRuns {
                terms: b1..e,
                start: size,
                fstart: fsize,
            });
            for &(_, t) in &order[b1..e] {
                self.slot[t as usize] = size;
                size += terms.counts[t as usize];
                self.form_slot[t as usize] = fsize;
                fsize += terms.form_counts[t as usize];
            }
            b1 = e;
        }
        self.flat.clear();
        self.flat.resize(size, (0, 0));
        self.flat_forms.clear();
        self.flat_forms.resize(fsize, (0, 0));
        (b1, runs)
    }

    /// Reads the documents' postings and forms of the batch's terms into their runs.
    fn fill(&mut self, docs: &[SearchDoc]) {
        for (ord, d) in docs.iter().enumerate() {
            for &t in d.terms.iter() {
                let at = &mut self.slot[(t >> 4) as usize];
                if *at != usize::MAX {
                    self.flat[*at] = (ord as u32, (t & 0xf) as Meta);
                    *at += 1;
                }
            }
            for &(f, x) in d.forms.iter() {
                let at = &mut self.form_slot[f as usize];
                if *at != usize::MAX {
                    self.flat_forms[*at] = (x, ord as u32);
                    *at += 1;
                }
            }
        }
    }

    /// Takes the terms of `order` (the batch's) out of the batch, for the next one.
    fn clear(&mut self, order: &[(u32, u32)]) {
        for &(_, t) in order {
            self.slot[t as usize] = usize::MAX;
            self.form_slot[t as usize] = usize::MAX;
        }
    }
}

/// A group of a batch: its terms (a range of `TermCounts::order`) and where their runs start
/// in the batch's `flat` and `flat_forms`.
struct GroupRuns {
    terms: std::ops::Range<usize>,
    start: usize,
    fstart: usize,
}

/// One group as written: its file, its range files, and its words with their counts (for the
/// vocabulary).
struct Written<'a> {
    g: u32,
    file: File,
    parts: Vec<File>,
    vocab: Vec<(&'a str, usize)>,
}

/// The group files as they are written, and the vocabulary lines of their words.
pub(super) struct GroupFiles {
    /// The files written, with their group.
    pub files: Vec<(u32, File)>,
    /// The range files of the groups with cut terms (see [`SPLIT_BYTES`]), range by range.
    pub ranges: Vec<(u32, Vec<File>)>,
    /// Per group, the hash in its file's name (empty: not written yet).
    pub names: Vec<String>,
    /// Per letter (see [`vocab_letter`]), its "word bucket\n" lines, in group order.
    pub vocab: BTreeMap<char, String>,
}

impl GroupFiles {
    /// None written yet, of `groups` groups.
    pub(super) fn new(groups: u32) -> GroupFiles {
        GroupFiles {
            files: Vec::new(),
            ranges: Vec::new(),
            names: vec![String::new(); groups as usize],
            vocab: BTreeMap::new(),
        }
    }

    /// Adds a written group, with its words' vocabulary lines.
    fn add(&mut self, group: Written<'_>) {
        for (key, c) in &group.vocab {
            let text = self.vocab.entry(vocab_letter(key)).or_default();
            vocab_line(text, key, df_bucket(*c as u32));
        }
        let g = group.g;
        self.names[g as usize] = group.file.hash.clone();
        self.files.push((g, group.file));
        if !group.parts.is_empty() {
            self.ranges.push((g, group.parts));
        }
    }

    /// Writes an empty file for each group without terms: the root then names every group by
    /// its hash alone.
    fn fill_empty(&mut self) {
        for (i, name) in self.names.iter_mut().enumerate() {
            if name.is_empty() {
                let f = empty_group(i);
                *name = f.hash.clone();
                self.files.push((i as u32, f));
            }
        }
    }
}

/// The file of group `i` when no term is in it.
pub(super) fn empty_group(i: usize) -> File {
    File::group(i, group_file(&[], &[], &[], "", &[]))
}

/// Adds word `key`'s line, "word bucket\n", to a vocabulary file's `text`.
pub(super) fn vocab_line(text: &mut String, key: &str, bucket: u8) {
    text.push_str(key);
    text.push(' ');
    text.push_str(&bucket.to_string());
    text.push('\n');
}

/// The vocabulary file of one letter from its "word bucket\n" lines (in any order): the lines
/// sorted, by word.
pub(super) fn vocab_file(text: &str) -> File {
    let mut lines: Vec<&str> = text.lines().collect();
    lines.sort_unstable();
    let mut bytes = lines.join("\n").into_bytes();
    bytes.push(b'\n');
    File::new("v/", "txt", bytes)
}

/// The display shard of `chunk` (at most [`DOCS_PER_SHARD`] documents): their cards, column
/// by column.
pub(super) fn display_shard(chunk: &[SearchDoc]) -> File {
    let cards: Vec<Card> = chunk.iter().map(|d| card(&d.info)).collect();
    File::new(
        "d/",
        "json",
        serde_json::to_vec(&Columns::of(&cards)).unwrap_or_default(),
    )
}

/// A display shard: its cards' fields column by column ({"id": [..], "title": [..], "url":
/// [..], "number": [..], "date": [..]}), "" where a card has none, a column of nothing but ""
/// left out (9% smaller in gzip than a list of cards at 1,000 documents).
#[derive(Default, serde::Serialize, serde::Deserialize)]
struct Columns {
    id: Vec<String>,
    title: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    url: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    number: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    date: Vec<String>,
}

impl Columns {
    fn of(cards: &[Card]) -> Columns {
        let column = |f: &dyn Fn(&Card) -> &str| -> Vec<String> {
            let all: Vec<String> = cards.iter().map(|c| f(c).to_string()).collect();
            if all.iter().all(String::is_empty) {
                Vec::new()
            } else {
                all
            }
        };
        Columns {
            id: cards.iter().map(|c| c.id.clone()).collect(),
            title: cards.iter().map(|c| c.title.clone()).collect(),
            url: column(&|c| &c.url),
            number: column(&|c| c.number.as_deref().unwrap_or("")),
            date: column(&|c| c.date.as_deref().unwrap_or("")),
        }
    }

    fn cards(self) -> Vec<Card> {
        let at = |col: &[String], i: usize| col.get(i).filter(|s| !s.is_empty()).cloned();
        (self.id.iter().zip(&self.title).enumerate())
            .map(|(i, (id, title))| Card {
                id: id.clone(),
                url: at(&self.url, i).unwrap_or_default(),
                title: title.clone(),
                number: at(&self.number, i),
                date: at(&self.date, i),
            })
            .collect()
    }
}

/// The normaliser's table as a file (the same in every build).
pub(super) fn fold_file() -> File {
    File::new(
        "fold.",
        "json",
        serde_json::to_vec(&fold_table()).unwrap_or_default(),
    )
}

/// The paths (with `search/`) and group hashes the root names.
pub(super) struct RootNames<'a> {
    /// Per group i, the 8-digit hash in its file's name, one after the other.
    pub groups: String,
    pub vocab: &'a BTreeMap<String, String>,
    pub docs: &'a [String],
    pub fold: &'a str,
    /// Documents per range of the cut terms (`None`: one range, nothing is cut).
    pub span: Option<usize>,
}

/// The root file of a site of `n` documents: what the search page reads first.
fn root_file(
    n: usize,
    names: &RootNames,
    dirs: &str,
    [table, keys]: [&str; 2],
    kinds: &[crate::config::Kind],
) -> File {
    #[derive(serde::Serialize)]
    struct Root<'a> {
        v: u32,
        n: usize,
        /// How many groups; per directory j (`g/<j>.<hash>.txt`, of `dir` groups each), the
        /// 8-digit hash in its file's name, one after the other.
        groups: usize,
        dir: usize,
        dirs: &'a str,
        vocab: BTreeMap<String, &'a str>,
        docs: Vec<&'a str>,
        per: usize,
        table: &'a str,
        fold: &'a str,
        keys: &'a str,
        kinds: BTreeMap<&'a str, &'a str>,
        /// Documents per range of the cut terms ([`Cut`]); absent in a site of one range.
        #[serde(skip_serializing_if = "Option::is_none")]
        span: Option<usize>,
    }
    fn strip(s: &str) -> &str {
        s.strip_prefix("search/").unwrap_or(s)
    }
    let head = Root {
        v: 6,
        n,
        groups: names.groups.len() / GROUP_HASH,
        dir: DIR_GROUPS,
        dirs,
        vocab: names
            .vocab
            .iter()
            .map(|(k, v)| (k.clone(), strip(v)))
            .collect(),
        docs: names.docs.iter().map(|s| strip(s)).collect(),
        per: DOCS_PER_SHARD,
        table: strip(table),
        fold: strip(names.fold),
        keys: strip(keys),
        kinds: kinds
            .iter()
            .map(|k| (k.id.as_str(), k.label.as_str()))
            .collect(),
        span: names.span,
    };
    File::new(
        "index.",
        "json",
        serde_json::to_vec(&head).unwrap_or_default(),
    )
}

/// The forms of a word, most frequent (by documents) first, then alphabetical: exact ids.
/// `forms`: (exact, doc) pairs.
fn variants(forms: &[(u32, u32)], keys: &[String]) -> Vec<u32> {
    let mut v: Vec<(u32, usize)> = Vec::new();
    for &(x, _) in forms.iter() {
        match v.iter_mut().find(|(y, _)| *y == x) {
            Some(e) => e.1 += 1,
            None => v.push((x, 1)),
        }
    }
    v.sort_by(|a, b| {
        b.1.cmp(&a.1)
            .then_with(|| keys[a.0 as usize].cmp(&keys[b.0 as usize]))
    });
    v.truncate(MAX_VARIANTS);
    v.into_iter().map(|(x, _)| x).collect()
}

/// One term's postings, in streams that compress well: `count`, the documents (Golomb-coded,
/// [`docset`]), then
/// - a word: its frequency buckets; then its *values*;
/// - a pair: its values;
/// - a number: nothing more.
///
/// A word's frequency buckets (0–3) come in one of three ways, after a byte that says which:
/// 1, as *subsets* (below), when that at most halves the smaller of the other two: the
/// postings whose bucket is 2 or 3, then of the others those whose bucket is 1, then of those
/// the ones whose bucket is 3; else the smaller of 0, two bits each, four to a byte, and 2, in
/// a prefix code made for them ([`huffman`], alphabet 4). (A word's buckets are rarely spread
/// evenly: most of a rare word's are 0, most of a common word's 2 or 3.)
///
/// A posting's value is `mask << 2 | flags` for a word, `flags` for a pair: flags 1 title,
/// 2 heading; `mask` the forms of the word the document has, a bit per entry of the header's
/// `vars` (1 when the word has one form or none). When every value is the usual one (1 << 2
/// for a word, 0 for a pair), the term ends here: no values (the reader knows where a term
/// ends). Else they come in planes when that at most halves the smaller of sparse and dense,
/// else in the smallest of sparse, dense and a prefix code:
/// - sparse: `2·e`, then for the `e` postings whose value is not the usual one the gap
///   between their posting indexes and the value;
/// - dense (a common word in many titles or headings, say): `1`, then every posting's value:
///   a varint each for a word with two or more forms, else its flags, two bits each, four to
///   a byte;
/// - planes: `3`, then for each bit of the value (the two flags, then for a word with two or
///   more forms each bit of its mask; a word of one form has mask 1) the subset of postings
///   that have it;
/// - a prefix code: `5`, then every posting's value in a code made for them ([`huffman`],
///   the values used listed).
///
/// A *subset* of a term's `m` postings is its size `c`, then (when `0 < c < m`) the posting
/// indexes that are in it, coded as [`docset`] codes documents, `m` standing for `n`: about
/// `c · (log₂(m/c) + 1.5)` bits, where gzip of two bits a posting got near two bits a posting
/// (measured on the 1,000 generated documents: the values 70.6 KB raw as dense or sparse
/// streams, 22.6 KB with planes; BENCHMARKS §11). Subsets cost the browser more to read (a
/// subset of half the postings is as much Golomb decoding as the documents), so they are
/// written only where they at most halve the bytes: at 10,000 documents an index of 267.5 KB
/// per 1,000 instead of 256.9, decoded about as fast as before subsets.
///
/// All varints but the documents, the subsets and the packed bits. Separate streams cost less
/// than flags beside each gap. A pair held by exactly the documents of its first (`same_as` 1)
/// or second (2) word has count 0, then `same_as`, instead of its documents: the word's
/// postings are its own (a query reads the words of its pairs anyway).
fn encode_term(
    kind: Kind,
    same_as: u8,
    n: usize,
    postings: &[(u32, Meta)],
    forms: &[(u32, u32)],
    vars: &[u32],
    out: &mut Vec<u8>,
) {
    let mut p = Vec::with_capacity(postings.len() * 2);
    if same_as != 0 {
        varint(&mut p, 0);
        varint(&mut p, u64::from(same_as));
    } else {
        varint(&mut p, postings.len() as u64);
    }
    if same_as == 0 {
        let docs: Vec<u32> = postings.iter().map(|&(d, _)| d).collect();
        docset::write(&docs, n, &mut p);
    }
    if kind == Kind::Word {
        let buckets: Vec<u8> = postings.iter().map(|&(_, m)| m & terms::TF).collect();
        p.extend_from_slice(&buckets_stream(&buckets));
    }
    if kind != Kind::Number {
        let multi = vars.len() > 1;
        // Forms come in document order; a document's forms are next to each other.
        let mut f = 0;
        // Every posting's value: `mask << 2 | flags` (a word), `flags` (a pair).
        let mut values: Vec<u64> = Vec::with_capacity(postings.len());
        for &(d, meta) in postings {
            let mut mask = 1u64;
            if multi {
                mask = 0;
                while f < forms.len() && forms[f].1 < d {
                    f += 1;
                }
                while f < forms.len() && forms[f].1 == d {
                    if let Some(bit) = vars.iter().position(|&x| x == forms[f].0) {
                        mask |= 1 << bit;
                    }
                    f += 1;
                }
            }
            let flags = u64::from(meta >> 2);
            values.push(if kind == Kind::Word {
                mask << 2 | flags
            } else {
                flags
            });
        }
        let stream = values_stream(kind, vars.len(), &values);
        // Every value the usual one: no stream (the term ends here).
        if stream != [0] {
            p.extend_from_slice(&stream);
        }
    }
    varint(out, p.len() as u64);
    out.extend_from_slice(&p);
}

/// Writes a cut term's postings range by range: to `ranges[k]` (made as needed), its postings
/// in documents k·span .. (k+1)·span − 1, numbered from the range's first and encoded as a
/// term of a site of the range's documents ([`encode_term`], never referring to a word); a
/// range without any is an empty entry (length 0).
fn cut(
    kind: Kind,
    span: usize,
    n: usize,
    postings: &[(u32, Meta)],
    forms: &[(u32, u32)],
    vars: &[u32],
    ranges: &mut Vec<Vec<u8>>,
) {
    if ranges.is_empty() {
        ranges.resize_with(n.div_ceil(span), || RANGE_MAGIC.to_vec());
    }
    let (mut p, mut f) = (0, 0);
    let (mut sub, mut sub_forms) = (Vec::new(), Vec::new());
    for (k, range) in ranges.iter_mut().enumerate() {
        let lo = (k * span) as u32;
        let hi = ((k + 1) * span).min(n) as u32;
        sub.clear();
        sub_forms.clear();
        while p < postings.len() && postings[p].0 < hi {
            sub.push((postings[p].0 - lo, postings[p].1));
            p += 1;
        }
        while f < forms.len() && forms[f].1 < hi {
            sub_forms.push((forms[f].0, forms[f].1.saturating_sub(lo)));
            f += 1;
        }
        if sub.is_empty() {
            varint(range, 0);
        } else {
            encode_term(kind, 0, (hi - lo) as usize, &sub, &sub_forms, vars, range);
        }
    }
}

/// A group's file: its header (its terms, their words' forms, and, when it has cut terms,
/// their places and its range files' hashes), then the terms' postings. The header: varint
/// `e`, then `e` bytes of JSON `{"split": [..], "parts": ".."}` when the group has cut terms;
/// varint, the number of terms; then a line per term in the fixed code of [`keycode`]: its
/// key, and for a word a tab and its forms, space-separated (`=` for the key itself alone).
/// (As text, lines rather than JSON arrays made the headers of 1,000 documents 6.5 KB smaller
/// in gzip; in the fixed code they are 4.3 bits a character instead of gzip's 5.5.)
fn group_file(
    names: &[&str],
    vars: &[Vec<&str>],
    split: &[usize],
    parts: &str,
    body: &[u8],
) -> Vec<u8> {
    #[derive(serde::Serialize)]
    struct Extra<'a> {
        split: &'a [usize],
        parts: &'a str,
    }
    let mut header = Vec::new();
    let extra = if split.is_empty() {
        Vec::new()
    } else {
        serde_json::to_vec(&Extra { split, parts }).unwrap_or_default()
    };
    varint(&mut header, extra.len() as u64);
    header.extend_from_slice(&extra);
    varint(&mut header, names.len() as u64);
    let lines = names.iter().zip(vars).map(|(name, v)| match v.as_slice() {
        [] => (*name).to_string(),
        [one] if one == name => format!("{name}\t="),
        _ => format!("{name}\t{}", v.join(" ")),
    });
    let lines: Vec<String> = lines.collect();
    keycode::write(lines.iter().map(String::as_str), &mut header);
    let mut out = Vec::with_capacity(8 + header.len() + body.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&(header.len() as u32).to_le_bytes());
    out.extend_from_slice(&header);
    out.extend_from_slice(body);
    out
}

pub(super) fn card(d: &DocInfo) -> Card {
    let derived = d.url.strip_prefix('/').and_then(|u| u.strip_suffix('/')) == Some(d.id.as_str());
    Card {
        id: d.id.clone(),
        url: if derived {
            String::new()
        } else {
            d.url.clone()
        },
        title: d.title.clone(),
        number: d.number.clone(),
        date: d.date.clone(),
    }
}

impl Card {
    /// The document's site-relative URL: as written, or `/{id}/` when the card leaves it out.
    pub fn url(&self) -> String {
        if self.url.is_empty() {
            format!("/{}/", self.id)
        } else {
            self.url.clone()
        }
    }
}

#[derive(serde::Serialize, serde::Deserialize)]
struct TableHeader {
    kinds: Vec<String>,
    sections: Vec<String>,
}

fn table_file<'a>(docs: impl Iterator<Item = &'a DocInfo> + Clone) -> Vec<u8> {
    let mut kinds: Vec<String> = docs.clone().filter_map(|d| d.kind.clone()).collect();
    kinds.sort();
    kinds.dedup();
    let mut sections: Vec<String> = docs.clone().filter_map(|d| d.section.clone()).collect();
    sections.sort();
    sections.dedup();
    let header = serde_json::to_vec(&TableHeader {
        kinds: kinds.clone(),
        sections: sections.clone(),
    })
    .unwrap_or_default();
    let mut rows = Vec::new();
    for d in docs {
        let k = d
            .kind
            .as_ref()
            .and_then(|k| kinds.binary_search(k).ok())
            .map_or(0, |i| i + 1);
        let s = d
            .section
            .as_ref()
            .and_then(|s| sections.binary_search(s).ok())
            .map_or(0, |i| i + 1);
        rows.push(k.min(255) as u8);
        rows.extend_from_slice(&(s.min(65535) as u16).to_le_bytes());
        rows.extend_from_slice(&d.year.unwrap_or(0).to_le_bytes());
        rows.push(u8::from(d.inactive()));
    }
    let mut out = Vec::with_capacity(4 + header.len() + rows.len());
    out.extend_from_slice(&(header.len() as u32).to_le_bytes());
    out.extend_from_slice(&header);
    // Column by column (every document's first byte, then every second byte, ...): alike
    // bytes side by side, a third smaller in gzip.
    for j in 0..TABLE_ROW {
        out.extend(rows.iter().skip(j).step_by(TABLE_ROW));
    }
    out
}

/// Bytes per document in the search table.
const TABLE_ROW: usize = 6;

/// For every letter the browser may meet in Vietnamese or other Latin text: its folded form,
/// and its base (vowel marks kept, tone removed) with the tone digit. Generated from
/// `crate::text`, the one implementation.
pub fn fold_table() -> BTreeMap<String, (String, String, u8)> {
    let ranges = [
        '\u{00C0}'..='\u{024F}',
        '\u{1E00}'..='\u{1EFF}',
        '\u{0300}'..='\u{036F}',
    ];
    let mut t = BTreeMap::new();
    for c in ranges.into_iter().flatten() {
        let lower: String = c.to_lowercase().collect();
        let mut folded = String::new();
        for lc in lower.chars() {
            crate::text::push_folded(lc, &mut folded);
        }
        let exact = crate::text::exact(&lower);
        let (base, tone) = match exact.chars().last() {
            Some(d @ '1'..='5') if !lower.ends_with(d) => {
                (exact[..exact.len() - 1].to_string(), d as u8 - b'0')
            }
            _ => (exact, 0),
        };
        if folded != lower || base != lower || tone != 0 {
            t.insert(c.to_string(), (folded, base, tone));
        }
    }
    t
}

/// A word's frequency buckets (0–3): mode 1 (subsets) when it is at most half of mode 0
/// (packed), see [`encode_term`].
fn buckets_stream(buckets: &[u8]) -> Vec<u8> {
    let mut dense = vec![0];
    pack2(buckets, &mut dense);
    let mut split = vec![1];
    subset(buckets, |b| b & 2 != 0, &mut split);
    for high in [0, 2] {
        let part: Vec<u8> = buckets.iter().copied().filter(|b| b & 2 == high).collect();
        subset(&part, |b| b & 1 != 0, &mut split);
    }
    if split.len() * 2 <= dense.len() {
        return split;
    }
    let items: Vec<u64> = buckets.iter().map(|&b| u64::from(b)).collect();
    match huffman::Code::of(&items, Some(4)).filter(|c| 1 + c.bytes() < dense.len()) {
        Some(code) => {
            let mut coded = vec![2];
            code.write(&items, &mut coded);
            coded
        }
        None => dense,
    }
}

/// The values of a term's postings (`mask << 2 | flags` for a word of `forms` forms, `flags`
/// for a pair): the smaller of sparse and dense, or planes when they are at most half of it,
/// see [`encode_term`].
fn values_stream(kind: Kind, forms: usize, values: &[u64]) -> Vec<u8> {
    let multi = forms > 1;
    let usual = if kind == Kind::Word { 1 << 2 } else { 0 };
    let exceptions = values.iter().filter(|&&v| v != usual).count();
    let mut sparse = Vec::new();
    varint(&mut sparse, exceptions as u64 * 2);
    let mut last = 0;
    for (i, &v) in values.iter().enumerate().filter(|&(_, &v)| v != usual) {
        varint(&mut sparse, (i - last) as u64);
        varint(&mut sparse, v);
        last = i;
    }
    let mut dense = vec![1];
    if multi {
        for &v in values {
            varint(&mut dense, v);
        }
    } else {
        let flags: Vec<u8> = values.iter().map(|&v| (v & 3) as u8).collect();
        pack2(&flags, &mut dense);
    }
    let mut planes = vec![3];
    for j in 0..plane_bits(kind, forms) {
        subset(values, |v| v >> j & 1 != 0, &mut planes);
    }
    let old = if dense.len() < sparse.len() {
        dense
    } else {
        sparse
    };
    // Subsets when they at most halve the stream (see `encode_term`).
    if planes.len() * 2 <= old.len() {
        return planes;
    }
    match huffman::Code::of(values, None).filter(|c| 1 + c.bytes() < old.len()) {
        Some(code) => {
            let mut coded = vec![5];
            code.write(values, &mut coded);
            coded
        }
        None => old,
    }
}

/// The bits of a value written as planes: the two flags, then for a word of two or more forms
/// a bit of its mask per form (a word of one form has mask 1, not written).
fn plane_bits(kind: Kind, forms: usize) -> usize {
    if kind == Kind::Word && forms > 1 {
        2 + forms
    } else {
        2
    }
}

/// Two-bit values, four to a byte, the first in the lowest bits.
fn pack2(values: &[u8], out: &mut Vec<u8>) {
    for chunk in values.chunks(4) {
        let mut byte = 0u8;
        for (i, &v) in chunk.iter().enumerate() {
            byte |= (v & 3) << (2 * i);
        }
        out.push(byte);
    }
}

/// Writes the subset of `items` (by index) for which `has` holds: its size `c`, then, when
/// `0 < c < items.len()`, the indexes as [`docset`] codes documents (see [`encode_term`]).
fn subset<T: Copy>(items: &[T], has: impl Fn(T) -> bool, out: &mut Vec<u8>) {
    let at: Vec<u32> = (0..items.len() as u32)
        .filter(|&i| has(items[i as usize]))
        .collect();
    varint(out, at.len() as u64);
    if !at.is_empty() && at.len() < items.len() {
        docset::write(&at, items.len(), out);
    }
}

/// Reads a subset of `m` items written by [`subset`]: whether each is in it.
fn read_subset(b: &[u8], pos: &mut usize, m: usize) -> Option<Vec<bool>> {
    let c = usize::try_from(read_varint(b, pos)?).ok()?;
    let mut has = vec![c == m && m > 0; m];
    if c > m {
        return None;
    }
    if c > 0 && c < m {
        for i in docset::read(b, pos, c, m)? {
            *has.get_mut(i as usize)? = true;
        }
    }
    Some(has)
}

/// One term of the browser's index as read: its bytes in its group's file, its word's forms,
/// and, when it is cut, its bytes in each range file.
struct Term {
    bytes: Vec<u8>,
    vars: Vec<String>,
    pieces: Vec<Vec<u8>>,
}

/// The terms of one group by key.
type Group = HashMap<String, Term>;

/// A reader of the browser's index in Rust: what `search.js` does, for tests and tools. It
/// reads every file at once (the browser reads groups as queries need them).
pub struct OfflineIndex {
    pub docs: Vec<DocInfo>,
    pub cards: Vec<Card>,
    groups: u32,
    /// Per group: key -> (posting bytes, forms).
    terms: Vec<Group>,
    vocab: HashMap<String, u8>,
    n: u32,
    /// Documents per range of the cut terms (0: none are).
    span: u32,
    /// The ways of writing a stream that the terms decoded so far were in ([`Self::streams`]).
    seen: std::cell::RefCell<std::collections::BTreeSet<&'static str>>,
}

#[derive(serde::Deserialize)]
struct RootIn {
    n: u32,
    #[serde(default)]
    span: Option<u32>,
    groups: usize,
    dir: usize,
    dirs: String,
    vocab: BTreeMap<String, String>,
    docs: Vec<String>,
    table: String,
}

impl OfflineIndex {
    /// Reads the index whose root is `root` (a site path, "search/index.<h>.json") with
    /// `read` (site path -> bytes).
    pub fn open(
        root: &str,
        read: impl Fn(&str) -> Option<Vec<u8>>,
    ) -> Result<OfflineIndex, String> {
        let get = |p: &str| read(p).ok_or_else(|| format!("{p}: missing"));
        let r: RootIn = serde_json::from_slice(&get(root)?).map_err(|e| format!("{root}: {e}"))?;
        let mut all = Vec::new();
        for (j, h) in r.dirs.as_bytes().chunks(GROUP_HASH).enumerate() {
            let h = std::str::from_utf8(h).map_err(|e| e.to_string())?;
            let d = get(&format!("search/g/{j}.{h}.txt"))?;
            if d.len() != GROUP_HASH * r.groups.saturating_sub(j * r.dir).min(r.dir) {
                return Err(format!("group directory {j}: {} bytes", d.len()));
            }
            all.extend(d);
        }
        let hashes: Vec<&str> = all
            .chunks(GROUP_HASH)
            .filter_map(|c| std::str::from_utf8(c).ok())
            .collect();
        if hashes.len() != r.groups {
            return Err(format!("{} groups of {}", hashes.len(), r.groups));
        }
        let mut terms = Vec::with_capacity(hashes.len());
        for (i, h) in hashes.iter().enumerate() {
            let path = format!("search/t/{i}.{h}.bin");
            let b = get(&path)?;
            let range = |k: usize, h: &str| get(&format!("search/t/{i}.{k}.{h}.bin"));
            terms.push(parse_group(&b, range).map_err(|e| format!("{path}: {e}"))?);
        }
        let mut vocab = HashMap::new();
        for v in r.vocab.values() {
            let text =
                String::from_utf8(get(&format!("search/{v}"))?).map_err(|e| e.to_string())?;
            for line in text.lines() {
                if let Some((w, b)) = line.rsplit_once(' ') {
                    vocab.insert(w.to_string(), b.parse().unwrap_or(0));
                }
            }
        }
        let mut cards = Vec::new();
        for d in &r.docs {
            let path = format!("search/{d}");
            let c: Columns =
                serde_json::from_slice(&get(&path)?).map_err(|e| format!("{path}: {e}"))?;
            cards.extend(c.cards());
        }
        let table = get(&format!("search/{}", r.table))?;
        let docs = read_table(&table, &cards).ok_or("search table: truncated")?;
        Ok(OfflineIndex {
            docs,
            cards,
            groups: hashes.len().max(1) as u32,
            terms,
            vocab,
            n: r.n,
            span: r.span.unwrap_or(0),
            seen: Default::default(),
        })
    }

    /// The ways of writing a stream that the terms decoded so far were in: "buckets packed",
    /// "buckets in subsets", "buckets coded"; "values sparse", "values dense", "values in
    /// planes", "values coded", "no values" (see [`encode_term`]). For tests that must show
    /// that a reader met every way.
    pub fn streams(&self) -> Vec<&'static str> {
        self.seen.borrow().iter().copied().collect()
    }

    fn term(&self, key: &str) -> Option<&Term> {
        self.terms
            .get(group_of(key, self.groups) as usize)
            .and_then(|m| m.get(key))
    }

    /// Every term of the index, in no particular order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.terms.iter().flat_map(|g| g.keys().map(String::as_str))
    }

    /// (doc, meta, mask) of a term (see `encode_term`), and its forms (the bits of `mask`):
    /// what `search.js`'s `decode` makes of the same bytes.
    pub fn decode(&self, key: &str) -> (Vec<(u32, Meta, u64)>, &[String]) {
        let Some(t) = self.term(key) else {
            return (Vec::new(), &[]);
        };
        if t.pieces.is_empty() {
            return (
                self.decode_in(key, &t.bytes, &t.vars, self.n, false),
                &t.vars,
            );
        }
        let mut out = Vec::new();
        for (k, b) in t.pieces.iter().enumerate() {
            let lo = k as u32 * self.span;
            let n = self.span.min(self.n.saturating_sub(lo));
            let piece = self.decode_in(key, b, &t.vars, n, true);
            out.extend(piece.into_iter().map(|(d, m, x)| (d + lo, m, x)));
        }
        (out, &t.vars)
    }

    /// The postings of `key` in bytes `b` of a site (or range) of `n` documents; `piece`: a
    /// range's, where a count of 0 is no postings (never a reference to a word).
    fn decode_in(
        &self,
        key: &str,
        b: &[u8],
        vars: &[String],
        n: u32,
        piece: bool,
    ) -> Vec<(u32, Meta, u64)> {
        let kind = terms::kind(key);
        let mut pos = 0;
        if b.is_empty() {
            return Vec::new();
        }
        let count = read_varint(b, &mut pos).unwrap_or(0) as usize;
        let mut out = Vec::with_capacity(count);
        if count == 0 && !piece {
            // A pair held by exactly the documents of one of its words.
            let side = read_varint(b, &mut pos).unwrap_or(0);
            let word = key
                .split_once(' ')
                .map(|(a, b)| if side == 1 { a } else { b });
            if let Some(w) = word.filter(|_| kind == Kind::Pair) {
                out = self
                    .decode(w)
                    .0
                    .into_iter()
                    .map(|(d, _, _)| (d, 0, 1))
                    .collect();
            }
        }
        if count > 0 {
            let docs = docset::read(b, &mut pos, count, n as usize).unwrap_or_default();
            out.extend(docs.into_iter().map(|d| (d, 0, 1)));
        }
        if kind == Kind::Word {
            self.seen.borrow_mut().insert(match b.get(pos) {
                Some(1) => "buckets in subsets",
                Some(2) => "buckets coded",
                _ => "buckets packed",
            });
            read_buckets(b, &mut pos, &mut out);
        }
        if kind != Kind::Number {
            let mut peek = pos;
            self.seen
                .borrow_mut()
                .insert(match read_varint(b, &mut peek) {
                    None => "no values",
                    Some(1) => "values dense",
                    Some(3) => "values in planes",
                    Some(5) => "values coded",
                    Some(_) => "values sparse",
                });
            read_values(kind, vars.len(), b, &mut pos, &mut out);
        }
        out
    }
}

/// Reads a word's frequency buckets (see [`buckets_stream`]) into its postings `out`.
fn read_buckets(b: &[u8], pos: &mut usize, out: &mut [(u32, Meta, u64)]) {
    let mode = b.get(*pos).copied().unwrap_or(0);
    *pos += 1;
    if mode == 2 {
        let buckets = huffman::read(b, pos, out.len(), Some(4)).unwrap_or_default();
        for (o, &v) in out.iter_mut().zip(&buckets) {
            o.1 = v as Meta & terms::TF;
        }
    } else if mode == 1 {
        let len = out.len();
        let high = read_subset(b, pos, len).unwrap_or_default();
        for want in [false, true] {
            let part: Vec<usize> = (0..len).filter(|&i| high.get(i) == Some(&want)).collect();
            let odd = read_subset(b, pos, part.len()).unwrap_or_default();
            for (&i, &one) in part.iter().zip(&odd) {
                out[i].1 = u8::from(want) * 2 + u8::from(one);
            }
        }
    } else {
        for (i, o) in out.iter_mut().enumerate() {
            let byte = b.get(*pos + i / 4).copied().unwrap_or(0);
            o.1 = (byte >> (2 * (i % 4))) & terms::TF;
        }
        *pos += out.len().div_ceil(4);
    }
}

/// Reads the values of a term's postings (see [`values_stream`]; a word of `forms` forms)
/// into `out`.
fn read_values(kind: Kind, forms: usize, b: &[u8], pos: &mut usize, out: &mut [(u32, Meta, u64)]) {
    if *pos >= b.len() {
        // No stream: every value is the usual one, as `out` has it.
        return;
    }
    let head = read_varint(b, pos).unwrap_or(0);
    let len = out.len();
    let mut set = |at: usize, v: u64| {
        if let Some(o) = out.get_mut(at) {
            o.1 |= ((v & 3) as Meta) << 2;
            if kind == Kind::Word {
                o.2 = v >> 2;
            }
        }
    };
    if head == 3 {
        let mut values = vec![
            if kind == Kind::Word && forms <= 1 {
                1 << 2
            } else {
                0
            };
            len
        ];
        for j in 0..plane_bits(kind, forms) {
            let has = read_subset(b, pos, len).unwrap_or_default();
            for (v, _) in values.iter_mut().zip(&has).filter(|&(_, &h)| h) {
                *v |= 1 << j;
            }
        }
        for (at, v) in values.into_iter().enumerate() {
            set(at, v);
        }
    } else if head == 5 {
        let values = huffman::read(b, pos, len, None).unwrap_or_default();
        for (at, v) in values.into_iter().enumerate() {
            set(at, v);
        }
    } else if head.is_multiple_of(2) {
        let mut at = 0usize;
        for _ in 0..head / 2 {
            at += read_varint(b, pos).unwrap_or(0) as usize;
            set(at, read_varint(b, pos).unwrap_or(0));
        }
    } else if forms > 1 {
        for at in 0..len {
            set(at, read_varint(b, pos).unwrap_or(0));
        }
    } else {
        for at in 0..len {
            let byte = b.get(*pos + at / 4).copied().unwrap_or(0);
            let flags = u64::from(byte >> (2 * (at % 4)) & 3);
            set(
                at,
                if kind == Kind::Word {
                    1 << 2 | flags
                } else {
                    flags
                },
            );
        }
    }
}

/// The places of a group's cut terms among its terms and its range files' hashes (see
/// [`group_file`]).
#[derive(Debug, Default, serde::Deserialize)]
pub struct Extra {
    pub split: Vec<usize>,
    pub parts: String,
}

/// The header of group file `b` ([`group_file`]): its cut terms, its lines (each ending in a
/// newline) and the length of the header (its postings start at 8 bytes past it).
pub fn group_header(b: &[u8]) -> Result<(Extra, String, usize), String> {
    let bad = || "not a group file".to_string();
    if b.get(..4) != Some(MAGIC) {
        return Err(bad());
    }
    let len = u32::from_le_bytes(b.get(4..8).ok_or_else(bad)?.try_into().map_err(|_| bad())?);
    let len = len as usize;
    let header = b.get(8..8 + len).ok_or_else(bad)?;
    let mut at = 0;
    let e = read_varint(header, &mut at).ok_or_else(bad)? as usize;
    let extra = header.get(at..at + e).ok_or_else(bad)?;
    at += e;
    let h = if extra.is_empty() {
        Extra::default()
    } else {
        serde_json::from_slice::<Extra>(extra).map_err(|e| e.to_string())?
    };
    let count =
        usize::try_from(read_varint(header, &mut at).ok_or_else(bad)?).map_err(|_| bad())?;
    if count > header.len() * 8 {
        return Err(bad());
    }
    let text = keycode::read(header, &mut at, count).ok_or_else(bad)?;
    Ok((h, text, len))
}

/// The terms of a group file `b`, with their pieces from its range files (`range(k, hash)`
/// reads range k's).
fn parse_group(
    b: &[u8],
    range: impl Fn(usize, &str) -> Result<Vec<u8>, String>,
) -> Result<Group, String> {
    let bad = || "not a group file".to_string();
    let (h, text, len) = group_header(b)?;
    let lines = text.as_str();
    let slice = |b: &[u8], pos: &mut usize| -> Option<Vec<u8>> {
        let blen = read_varint(b, pos)? as usize;
        let s = b.get(*pos..*pos + blen)?.to_vec();
        *pos += blen;
        Some(s)
    };
    let mut pos = 8 + len;
    let mut names = Vec::new();
    let mut terms: Vec<Term> = Vec::new();
    for line in lines.split('\n').filter(|l| !l.is_empty()) {
        let (name, forms) = line.split_once('\t').unwrap_or((line, ""));
        let bytes = slice(b, &mut pos).ok_or_else(bad)?;
        let vars = match forms {
            "=" => vec![name.to_string()],
            "" => Vec::new(),
            _ => forms.split(' ').map(str::to_string).collect(),
        };
        names.push(name.to_string());
        terms.push(Term {
            bytes,
            vars,
            pieces: Vec::new(),
        });
    }
    let hashes = h.parts.as_bytes().chunks(GROUP_HASH);
    for (k, hash) in hashes.enumerate() {
        let hash = std::str::from_utf8(hash).map_err(|e| e.to_string())?;
        let r = range(k, hash)?;
        if r.get(..4) != Some(RANGE_MAGIC) {
            return Err(format!("range {k}: not a range file"));
        }
        let mut pos = 4;
        for &i in &h.split {
            let piece = slice(&r, &mut pos).ok_or_else(|| format!("range {k}: truncated"))?;
            terms
                .get_mut(i)
                .ok_or_else(|| format!("range {k}: no term {i}"))?
                .pieces
                .push(piece);
        }
    }
    Ok(names.into_iter().zip(terms).collect())
}

fn read_table(b: &[u8], cards: &[Card]) -> Option<Vec<DocInfo>> {
    let len = u32::from_le_bytes(b.get(..4)?.try_into().ok()?) as usize;
    let h: TableHeader = serde_json::from_slice(b.get(4..4 + len)?).ok()?;
    let mut out = Vec::with_capacity(cards.len());
    let n = cards.len();
    for (i, c) in cards.iter().enumerate() {
        let byte = |j: usize| b.get(4 + len + j * n + i).copied();
        let row: Vec<u8> = (0..TABLE_ROW).map(byte).collect::<Option<_>>()?;
        let kind = (row[0] as usize)
            .checked_sub(1)
            .and_then(|k| h.kinds.get(k));
        let section = (u16::from_le_bytes([row[1], row[2]]) as usize)
            .checked_sub(1)
            .and_then(|s| h.sections.get(s));
        let year = u16::from_le_bytes([row[3], row[4]]);
        out.push(DocInfo {
            id: c.id.clone(),
            url: c.url(),
            title: c.title.clone(),
            number: c.number.clone(),
            kind: kind.cloned(),
            section: section.cloned(),
            year: (year != 0).then_some(year),
            status: if row[5] & 1 != 0 {
                "expired".into()
            } else {
                "in-force".into()
            },
            date: c.date.clone(),
            summary: String::new(),
            headings: Vec::new(),
        });
    }
    Some(out)
}

impl Postings for OfflineIndex {
    fn num_docs(&self) -> u32 {
        self.n
    }
    fn postings(&self, key: &str) -> Vec<(u32, Meta)> {
        self.decode(key)
            .0
            .into_iter()
            .map(|(d, m, _)| (d, m))
            .collect()
    }
    fn exact_docs(&self, exact: &str, folded: &str) -> Vec<u32> {
        let (list, vars) = self.decode(folded);
        match vars.iter().position(|v| v == exact) {
            Some(bit) => list
                .into_iter()
                .filter(|(_, _, m)| m & (1 << bit) != 0)
                .map(|(d, _, _)| d)
                .collect(),
            None => Vec::new(),
        }
    }
    fn word_bucket(&self, word: &str) -> u8 {
        self.vocab.get(word).copied().unwrap_or(0)
    }
    fn common_form(&self, folded: &str) -> Option<String> {
        self.term(folded).and_then(|t| t.vars.first().cloned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fold_table_covers_vietnamese() {
        let t = fold_table();
        assert_eq!(t["Đ"], ("d".to_string(), "đ".to_string(), 0));
        assert_eq!(t["ả"], ("a".to_string(), "a".to_string(), 3));
        assert_eq!(t["Ệ"], ("e".to_string(), "ê".to_string(), 5));
        assert_eq!(t["ờ"], ("o".to_string(), "ơ".to_string(), 2));
        assert_eq!(t["\u{0301}"], (String::new(), String::new(), 1));
    }

    /// Every posting's documents, frequency, flags and forms come back as they went in, with
    /// the values sparse (few unusual), dense (most unusual) and in planes, one form and
    /// several, the frequencies packed (spread evenly) and in subsets (most of one bucket).
    #[test]
    fn terms_round_trip() {
        let n = 300u32;
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        // (key, share of documents in 1000, share of unusual values in 1000, forms, share of
        // frequency bucket `tf_bucket` in 1000 (the others spread evenly), that bucket, whether
        // an unusual value is a heading alone)
        let cases = [
            ("dinh", 990, 900, 1, 0, 0, false),
            ("dinh", 400, 20, 1, 900, 3, false),
            ("dinh", 800, 300, 1, 700, 1, false),
            ("cuong", 700, 950, 3, 0, 0, false),
            ("cuong", 50, 100, 2, 950, 0, false),
            ("cuong", 900, 150, 4, 800, 2, false),
            ("sinh hoat", 600, 800, 0, 0, 0, false),
            ("sinh hoat", 30, 100, 0, 0, 0, false),
            ("sinh hoat", 900, 200, 0, 0, 0, false),
            // Few postings in headings alone: their flags as subsets.
            ("sinh hoat", 990, 50, 0, 0, 0, true),
            ("dinh", 990, 50, 1, 950, 2, true),
        ];
        let (mut bucket_modes, mut value_modes) = (BTreeMap::new(), BTreeMap::new());
        for (key, share, unusual, nforms, tf_share, tf_bucket, heading_only) in cases {
            let kind = terms::kind(key);
            let docs: Vec<u32> = (0..n).filter(|_| next() % 1000 < share).collect();
            let mut postings = Vec::new();
            let mut forms = Vec::new();
            let mut want = Vec::new();
            for &d in &docs {
                let odd = next() % 1000 < unusual;
                let flags: Meta = match (odd, heading_only) {
                    (true, true) => 2,
                    (true, false) => (next() % 3 + 1) as Meta,
                    _ => 0,
                };
                let tf: Meta = if kind == Kind::Word && next() % 1000 < tf_share {
                    tf_bucket
                } else if kind == Kind::Word {
                    (next() % 4) as Meta
                } else {
                    0
                };
                // Forms 100, 101, ...: the first alone unless the document is unusual.
                let mut mask = 1u64;
                if nforms > 1 && odd {
                    mask = next() % ((1 << nforms) - 1) + 1;
                }
                if nforms > 1 {
                    for bit in 0..nforms {
                        if mask & (1 << bit) != 0 {
                            forms.push((100 + bit as u32, d));
                        }
                    }
                }
                let flags = if nforms > 1 && odd && next() % 2 == 0 {
                    0
                } else {
                    flags
                };
                postings.push((d, tf | flags << 2));
                want.push((
                    d,
                    tf | flags << 2,
                    if kind == Kind::Word { mask } else { 1 },
                ));
            }
            let vars: Vec<u32> = (0..nforms.max(1)).map(|b| 100 + b as u32).collect();
            let vars = if nforms > 1 { vars } else { Vec::new() };
            if kind == Kind::Word {
                let buckets: Vec<u8> = want.iter().map(|w| w.1 & terms::TF).collect();
                *bucket_modes.entry(buckets_stream(&buckets)[0]).or_insert(0) += 1;
            }
            let values: Vec<u64> = want
                .iter()
                .map(|&(_, m, mask)| match kind {
                    Kind::Word => mask << 2 | u64::from(m >> 2),
                    _ => u64::from(m >> 2),
                })
                .collect();
            let stream = values_stream(kind, vars.len(), &values);
            let mode = match stream[0] {
                _ if stream == [0] => "none",
                1 => "dense",
                3 => "planes",
                5 => "code",
                _ => "sparse",
            };
            *value_modes.entry(mode).or_insert(0) += 1;
            let mut body = Vec::new();
            encode_term(kind, 0, n as usize, &postings, &forms, &vars, &mut body);
            let names: Vec<String> = vars.iter().map(|v| format!("form{v}")).collect();
            let mut pos = 0;
            let len = read_varint(&body, &mut pos).expect("length") as usize;
            let mut group = Group::new();
            let term = Term {
                bytes: body[pos..pos + len].to_vec(),
                vars: names,
                pieces: Vec::new(),
            };
            group.insert(key.to_string(), term);
            let index = OfflineIndex {
                docs: Vec::new(),
                cards: Vec::new(),
                groups: 1,
                terms: vec![group],
                vocab: HashMap::new(),
                n,
                span: 0,
                seen: Default::default(),
            };
            assert_eq!(
                index.decode(key).0,
                want,
                "{key} {share} {unusual} {nforms} {tf_share}"
            );
        }
        // The three ways of the buckets and the five of the values came back.
        assert_eq!(
            bucket_modes.keys().copied().collect::<Vec<_>>(),
            [0, 1, 2],
            "{bucket_modes:?}"
        );
        let modes: Vec<&str> = value_modes.keys().copied().collect();
        assert_eq!(
            modes,
            ["code", "dense", "none", "planes", "sparse"],
            "{value_modes:?}"
        );
    }

    #[test]
    fn groups_grow_with_the_site() {
        assert_eq!(groups_for(0), 1);
        assert_eq!(groups_for(51), 8);
        assert_eq!(groups_for(1000), 128);
        assert_eq!(groups_for(10_000), 2048);
    }
}
