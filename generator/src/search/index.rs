//! The search indexes of a build: the documents' terms (`TermCache`), and the tantivy index
//! beside the site (for the server and `sotay search`) made from them.
//!
//! The tantivy index lives in `<site>.index/` (e.g. `public.index/`), outside what a static
//! host publishes. Field `w` holds every document's terms (`terms`: words, adjacent pairs, its
//! number), each posting one term `key\u{1}` + a letter for its flags (see [`w_lines`]);
//! field `x` the exact forms of its words, as `folded\u{1}exact`; `body` the stored plain
//! text for passages and snippets; `docs.json` the [`DocInfo`] table. It is rebuilt only when
//! its inputs change, in one segment per core for a large site.

use super::inverted::{self, FLAG_BASE, FLAG_END, FLAG_SEP, FORM_SEP};
use super::terms::{self, Analyzed, Meta, Texts};
use super::{passage, runs, DocInfo, Filter, Hit, Postings, Query, Results};
use crate::content::{Content, Page, PageKind};
use crate::markdown::Rendered;
use crate::Ctx;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, Value, FAST, INDEXED, STORED,
    STRING,
};
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};
use tantivy::{doc, Directory, Index, TantivyDocument, Term};

const LINES: &str = "lines";
const DOCS_FILE: &str = "docs.json";
const STAMP_FILE: &str = "inputs.hash";
const SLOTS_FILE: &str = "slots.json";
/// One document as search sees it: facts for ranking, and its terms.
pub struct SearchDoc {
    /// Shared with the cache of the next rebuild: an unchanged document costs no copy.
    pub info: Arc<DocInfo>,
    pub issuer: Option<String>,
    /// Title, number and issuer: searchable text outside the body.
    pub head: String,
    pub rendered: Arc<Rendered>,
    /// Its terms as `TermCache` ids, packed: `id << 4 | flags`.
    pub terms: Arc<Vec<u32>>,
    /// Its distinct (folded, exact) word forms as `TermCache` ids.
    pub forms: Arc<Vec<(u32, u32)>>,
}

impl SearchDoc {
    /// The body's plain text, for passages and snippets.
    pub fn body(&self) -> &str {
        &self.rendered.text
    }

    /// Its terms made again from its texts (what `terms` holds as ids).
    pub fn analyze(&self) -> Analyzed {
        texts_of(
            &self.info,
            self.issuer.as_deref(),
            &self.rendered,
            terms::analyze,
        )
    }
}

/// Calls `f` with the texts of a document that search reads.
fn texts_of<T>(
    info: &DocInfo,
    issuer: Option<&str>,
    r: &Rendered,
    f: impl FnOnce(&Texts) -> T,
) -> T {
    let headings: Vec<&str> = r
        .headings
        .iter()
        .filter(|h| h.level <= 4)
        .map(|h| h.text.as_str())
        .collect();
    f(&Texts {
        title: &info.title,
        number: info.number.as_deref(),
        issuer,
        body: &r.text,
        headings: &headings,
    })
}

/// Interned terms and word forms and, per document, what search made of it last time:
/// rebuilding the search indexes after one edit re-reads one document, not all of them.
#[derive(Default)]
pub struct TermCache {
    ids: rustc_hash::FxHashMap<String, u32>,
    pub words: Vec<String>,
    docs: HashMap<String, CachedDoc>,
}

/// What search made of a document: (key of its front matter and place, its rendered body,
/// its facts, its terms, its forms).
type CachedDoc = (
    u64,
    Arc<Rendered>,
    Arc<DocInfo>,
    Arc<Vec<u32>>,
    Arc<Vec<(u32, u32)>>,
);

/// The id of word `w` in the interner (`ids`, `words`), added if new.
fn intern(ids: &mut rustc_hash::FxHashMap<String, u32>, words: &mut Vec<String>, w: &str) -> u32 {
    if let Some(&i) = ids.get(w) {
        return i;
    }
    let i = words.len() as u32;
    words.push(w.to_string());
    ids.insert(w.to_string(), i);
    i
}

impl TermCache {
    /// Interns `key` (tests make documents' terms up).
    #[cfg(test)]
    pub fn intern_key(&mut self, key: &str) -> u32 {
        intern(&mut self.ids, &mut self.words, key)
    }

    /// The id of an interned word or pair.
    pub fn id(&self, key: &str) -> Option<u32> {
        self.ids.get(key).copied()
    }

    /// The searchable documents of a site, in catalog order (ordinal = position).
    /// `keep`: remember them for the next build (else this cache stays empty).
    pub fn documents(
        &mut self,
        ctx: &Ctx,
        rendered: &[Arc<Rendered>],
        keep: bool,
    ) -> Vec<SearchDoc> {
        let c = ctx.content;
        let docs: Vec<usize> = (0..c.pages.len())
            .filter(|&i| c.pages[i].kind == PageKind::Document)
            .collect();
        // In chunks, so that the terms of a national-size corpus are never all in memory as
        // text; each chunk's terms are interned (one thread, in order) while the next chunk is
        // analysed (the others).
        let TermCache {
            ids,
            words,
            docs: cache,
        } = self;
        let cache: &HashMap<String, CachedDoc> = cache;
        let mut gather = Gather {
            content: c,
            rendered,
            ids,
            words,
            keep,
            out: Vec::with_capacity(docs.len()),
            seen: HashSet::new(),
            new_entries: Vec::new(),
            of_word: Vec::new(),
            pairs: Default::default(),
        };
        let chunks: Vec<&[usize]> = docs.chunks(512).collect();
        let mut pending: Option<(&[usize], Vec<Prepared>)> = None;
        for k in 0..=chunks.len() {
            let this = pending.take();
            let (next, ()) = rayon::join(
                || {
                    chunks
                        .get(k)
                        .map(|&ch| (ch, prepare_chunk(c, rendered, cache, ch)))
                },
                || {
                    if let Some((chunk, prepared)) = this {
                        gather.take(chunk, prepared);
                    }
                },
            );
            pending = next;
        }
        let Gather {
            out,
            seen,
            new_entries,
            ..
        } = gather;
        self.docs.extend(new_entries);
        self.docs.retain(|k, _| seen.contains(k));
        out
    }
}

/// What a document needs, prepared in parallel: the key of its front matter and place, its
/// head (see [`SearchDoc::head`]), and what the cache held for it or what was made afresh.
struct Prepared {
    key: u64,
    head: String,
    made: Made,
}

/// A document's facts and terms: from the cache, or made afresh (terms not yet interned).
enum Made {
    Cached(CachedDoc),
    Fresh(Arc<DocInfo>, Analyzed),
}

/// Prepares the documents at page indexes `chunk`, in parallel (reading every body is the
/// expensive part of a full build).
fn prepare_chunk(
    c: &Content,
    rendered: &[Arc<Rendered>],
    cache: &HashMap<String, CachedDoc>,
    chunk: &[usize],
) -> Vec<Prepared> {
    use rayon::prelude::*;
    chunk
        .par_iter()
        .map(|&i| prepare(c, &rendered[i], cache, i))
        .collect()
}

/// Prepares page `i` (rendered as `r`): the cached result if its key and body are unchanged,
/// else its facts and terms made afresh.
fn prepare(
    c: &Content,
    r: &Arc<Rendered>,
    cache: &HashMap<String, CachedDoc>,
    i: usize,
) -> Prepared {
    let p = &c.pages[i];
    let fm = &p.fm;
    let section = p.parent.filter(|&s| s != 0).map(|s| c.pages[s].id.clone());
    let key = crate::hash::of(&(fm, &p.url, &p.id, &section));
    let head: String = [Some(&fm.title), fm.number.as_ref(), fm.issuer.as_ref()]
        .into_iter()
        .flatten()
        .map(|s| format!("{s}\n"))
        .collect();
    if let Some(hit) = cache
        .get(&p.src.path)
        .filter(|(k, cr, ..)| *k == key && Arc::ptr_eq(cr, r))
    {
        return Prepared {
            key,
            head,
            made: Made::Cached(hit.clone()),
        };
    }
    let info = doc_info(p, r, section);
    let analyzed = texts_of(&info, fm.issuer.as_deref(), r, terms::analyze);
    Prepared {
        key,
        head,
        made: Made::Fresh(Arc::new(info), analyzed),
    }
}

/// The facts search keeps of document page `p` (rendered as `r`, in section `section`).
fn doc_info(p: &Page, r: &Rendered, section: Option<String>) -> DocInfo {
    let fm = &p.fm;
    let summary = fm.summary.clone().unwrap_or_else(|| r.excerpt.clone());
    DocInfo {
        id: p.id.clone(),
        url: p.url.clone(),
        title: fm.title.clone(),
        number: fm.number.clone(),
        kind: fm.kind.clone(),
        section,
        year: fm.issued.or(fm.effective).map(|d| d.year),
        status: fm.status.as_str().to_string(),
        date: p.date().map(|d| d.vi()),
        summary: crate::html::truncate_words(&summary, 200),
        headings: r
            .headings
            .iter()
            .filter(|h| h.level <= 4)
            .map(|h| (h.anchor.clone(), h.text.clone(), h.at as u32))
            .collect(),
    }
}

/// A document's terms and word forms as interned ids (see [`SearchDoc`]).
type Interned = (Arc<Vec<u32>>, Arc<Vec<(u32, u32)>>);

/// Takes the prepared documents in catalog order: interns fresh terms into the cache's
/// interner, and collects the documents and what the next build's cache should hold.
struct Gather<'a> {
    content: &'a Content,
    rendered: &'a [Arc<Rendered>],
    ids: &'a mut rustc_hash::FxHashMap<String, u32>,
    words: &'a mut Vec<String>,
    keep: bool,
    out: Vec<SearchDoc>,
    /// Source paths of the documents: the cache keeps only these.
    seen: HashSet<String>,
    new_entries: Vec<(String, CachedDoc)>,
    /// Per id in the process's table of words (`terms::words`), its interned id (`u32::MAX`:
    /// not yet known in this build).
    of_word: Vec<u32>,
    /// The interned id of each pair of interned words met in this build.
    pairs: rustc_hash::FxHashMap<(u32, u32), u32>,
}

impl Gather<'_> {
    /// Takes the documents at page indexes `chunk`, prepared as `prepared`.
    fn take(&mut self, chunk: &[usize], prepared: Vec<Prepared>) {
        for (&i, Prepared { key, head, made }) in chunk.iter().zip(prepared) {
            let p = &self.content.pages[i];
            let r = &self.rendered[i];
            self.seen.insert(p.src.path.clone());
            let (info, terms, forms) = match made {
                Made::Cached((_, _, info, t, f)) => (info, t, f),
                Made::Fresh(info, a) => {
                    let (t, f) = self.intern(&a);
                    if self.keep {
                        self.new_entries.push((
                            p.src.path.clone(),
                            (key, r.clone(), info.clone(), t.clone(), f.clone()),
                        ));
                    }
                    (info, t, f)
                }
            };
            self.out.push(SearchDoc {
                info,
                issuer: p.fm.issuer.clone(),
                head,
                rendered: r.clone(),
                terms,
                forms,
            });
        }
    }

    /// A document's terms (packed with their flags) and word forms as interned ids, in the
    /// order of [`Analyzed::terms`] then its forms (each new word, pair or form takes the next
    /// id, as its text would).
    fn intern(&mut self, a: &Analyzed) -> Interned {
        // This document's words as interned ids.
        let local: Vec<u32> = a.words.iter().map(|&(w, _)| self.word(w)).collect();
        // Exactly sized: the terms of every document are alive together.
        let n = a.words.len() + a.pairs.len() + usize::from(a.number.is_some());
        let mut t: Vec<u32> = Vec::with_capacity(n);
        t.extend(
            local
                .iter()
                .zip(&a.words)
                .map(|(&id, &(_, m))| id << 4 | u32::from(m)),
        );
        for &(x, y, m) in &a.pairs {
            let (x, y) = (local[x as usize], local[y as usize]);
            let id = match self.pairs.get(&(x, y)) {
                Some(&id) => id,
                None => {
                    let key = terms::pair_key(&self.words[x as usize], &self.words[y as usize]);
                    let id = intern(self.ids, self.words, &key);
                    self.pairs.insert((x, y), id);
                    id
                }
            };
            t.push(id << 4 | u32::from(m));
        }
        if let Some(number) = &a.number {
            let w: Vec<&str> = number
                .iter()
                .map(|&i| self.words[local[i as usize] as usize].as_str())
                .collect();
            let key = terms::number_key(&w);
            t.push(intern(self.ids, self.words, &key) << 4);
        }
        let f: Vec<(u32, u32)> = a
            .forms
            .iter()
            .map(|&(i, x)| (local[i as usize], self.word(x)))
            .collect();
        (Arc::new(t), Arc::new(f))
    }

    /// The interned id of word `w` of the process's table of words.
    fn word(&mut self, w: u32) -> u32 {
        if let Some(&id) = self.of_word.get(w as usize).filter(|&&id| id != u32::MAX) {
            return id;
        }
        let text = terms::words().get(w);
        let id = intern(self.ids, self.words, &text);
        if self.of_word.len() <= w as usize {
            self.of_word.resize(w as usize + 1, u32::MAX);
        }
        self.of_word[w as usize] = id;
        id
    }
}

/// Where the tantivy index of a site built into `out` lives.
pub fn index_dir(out: &Path) -> PathBuf {
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "public".into());
    out.with_file_name(format!("{name}.index"))
}

#[derive(Clone, Copy)]
struct Fields {
    ord: Field,
    id: Field,
    w: Field,
    x: Field,
    body: Field,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let lines = |record| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(LINES)
                .set_index_option(record)
                // Ranking is ours (`top`): no field norms.
                .set_fieldnorms(false),
        )
    };
    let f = Fields {
        ord: b.add_u64_field("ord", INDEXED | FAST | STORED),
        id: b.add_text_field("id", STRING | STORED),
        w: b.add_text_field("w", lines(IndexRecordOption::Basic)),
        x: b.add_text_field("x", lines(IndexRecordOption::Basic)),
        body: b.add_text_field("body", STORED),
    };
    (b.build(), f)
}

/// The tokenizer of both term fields: each line of the text is one term, as it is (the terms
/// are made by `terms`, not by tantivy).
#[derive(Clone)]
struct Lines;

struct LineTokens<'a> {
    text: &'a str,
    from: usize,
    token: Token,
}

impl Tokenizer for Lines {
    type TokenStream<'a> = LineTokens<'a>;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> LineTokens<'a> {
        LineTokens {
            text,
            from: 0,
            token: Token {
                position: usize::MAX,
                ..Token::default()
            },
        }
    }
}

impl TokenStream for LineTokens<'_> {
    fn advance(&mut self) -> bool {
        let rest = &self.text[self.from..];
        let Some(len) = rest.find('\n') else {
            return false;
        };
        let t = &mut self.token;
        t.offset_from = self.from;
        t.offset_to = self.from + len;
        t.position = t.position.wrapping_add(1);
        t.position_length = 1;
        t.text.clear();
        t.text.push_str(&rest[..len]);
        self.from += len + 1;
        true
    }
    fn token(&self) -> &Token {
        &self.token
    }
    fn token_mut(&mut self) -> &mut Token {
        &mut self.token
    }
}

fn register(index: &Index) {
    index.tokenizers().register(LINES, Lines);
}

/// What an indexed document was made from, as a short hash: its facts, head and body
/// (XXH3-128, as [`crate::hash::file`]: SHA-256 here was ~1% of a full build's CPU). Keys are
/// only ever compared with keys this same program makes; an index whose keys were made
/// otherwise (SHA-256 before) has every document updated once.
fn doc_key(d: &SearchDoc) -> String {
    key_of(d, &serde_json::to_string(&*d.info).unwrap_or_default())
}

/// [`doc_key`], given the document's info as JSON.
fn key_of(d: &SearchDoc, info_json: &str) -> String {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    h.update(info_json.as_bytes());
    h.update(d.head.as_bytes());
    h.update(d.body().as_bytes());
    let digest = h.digest128().to_be_bytes();
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// The stamp of an index made from documents with these keys, in this order.
fn stamp_of<'a>(keys: impl Iterator<Item = &'a str>) -> String {
    let mut all = String::new();
    for k in keys {
        all.push_str(k);
        all.push('\n');
    }
    format!("v6 {}", crate::hash::short(all.as_bytes()))
}

/// Where each document of `docs.json` is in tantivy: the `ord` field of its tantivy document
/// (its "slot"), and the key it was indexed from. A full build writes slot = position; an
/// incremental update gives a changed document a new slot and deletes the old one, so that
/// no other document needs to be touched.
#[derive(serde::Serialize, serde::Deserialize)]
struct SlotsFile {
    slots: Vec<u64>,
    keys: Vec<String>,
}

fn write_json_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

/// Writes the tantivy index for `docs` into `dir`, unless the one there was made from the
/// same input. With `terms` (the interner the documents' `terms` and `forms` are ids of),
/// their terms are written as they are; without, each document is analysed again (the same
/// terms: a test holds the two to each other). Large sites are written in one segment per
/// core (see [`write_in`]).
pub fn write(docs: &[SearchDoc], dir: &Path, terms: Option<&[String]>) -> Result<bool, String> {
    write_in(docs, dir, terms, segments_for(docs.len()))
}

/// [`write`] in `parts` segments of consecutive documents (at least one; tests compare the
/// index in several segments with the index in one).
pub fn write_in(
    docs: &[SearchDoc],
    dir: &Path,
    terms: Option<&[String]>,
    parts: usize,
) -> Result<bool, String> {
    use rayon::prelude::*;
    let err = |e: &dyn std::fmt::Display| format!("search index {}: {e}", dir.display());
    // Each document's info as JSON, for its key and for `docs.json` (the array of them).
    let (infos, keys): (Vec<String>, Vec<String>) = docs
        .par_iter()
        .map(|d| {
            let json = serde_json::to_string(&*d.info)?;
            let key = key_of(d, &json);
            Ok((json, key))
        })
        .collect::<Result<Vec<_>, serde_json::Error>>()
        .map_err(|e| err(&e))?
        .into_iter()
        .unzip();
    let stamp = stamp_of(keys.iter().map(String::as_str));
    if std::fs::read_to_string(dir.join(STAMP_FILE))
        .ok()
        .as_deref()
        == Some(stamp.as_str())
    {
        return Ok(false);
    }
    // Build in a fresh folder and swap it in, so a reader never sees half an index.
    let tmp = dir.with_extension("index-tmp");
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).map_err(|e| err(&e))?;
    let (schema, f) = schema();
    let tokenizers = tantivy::tokenizer::TokenizerManager::default();
    tokenizers.register(LINES, Lines);
    let index = Index::builder()
        .schema(schema.clone())
        .tokenizers(tokenizers)
        .create_in_dir(&tmp)
        .map_err(|e| err(&e))?;
    let segments = write_segments(&index, &f, docs, terms, parts).map_err(|e| err(&e))?;
    let meta = tantivy::IndexMeta {
        index_settings: index.settings().clone(),
        persisted_custom_extensions: Vec::new(),
        segments,
        schema,
        opstamp: 0,
        payload: None,
    };
    let mut meta_json = serde_json::to_vec_pretty(&meta).map_err(|e| err(&e))?;
    meta_json.push(b'\n');
    let directory = index.directory();
    directory.sync_directory().map_err(|e| err(&e))?;
    directory
        .atomic_write(Path::new("meta.json"), &meta_json)
        .map_err(|e| err(&e))?;
    // As `serde_json::to_vec` writes the array of infos: `[`, the items joined by `,`, `]`.
    let mut docs_json = Vec::with_capacity(infos.iter().map(|i| i.len() + 1).sum::<usize>() + 2);
    docs_json.push(b'[');
    for (k, info) in infos.iter().enumerate() {
        if k > 0 {
            docs_json.push(b',');
        }
        docs_json.extend_from_slice(info.as_bytes());
    }
    docs_json.push(b']');
    std::fs::write(tmp.join(DOCS_FILE), docs_json).map_err(|e| err(&e))?;
    let slots = SlotsFile {
        slots: (0..docs.len() as u64).collect(),
        keys,
    };
    std::fs::write(
        tmp.join(SLOTS_FILE),
        serde_json::to_vec(&slots).map_err(|e| err(&e))?,
    )
    .map_err(|e| err(&e))?;
    std::fs::write(tmp.join(STAMP_FILE), &stamp).map_err(|e| err(&e))?;
    let old = dir.with_extension("index-old");
    let _ = std::fs::remove_dir_all(&old);
    if dir.exists() {
        std::fs::rename(dir, &old).map_err(|e| err(&e))?;
    }
    std::fs::rename(&tmp, dir).map_err(|e| err(&e))?;
    let _ = std::fs::remove_dir_all(&old);
    Ok(true)
}

/// The segments of `docs` in `index`, `parts` of them (see [`write_in`]).
fn write_segments(
    index: &Index,
    f: &Fields,
    docs: &[SearchDoc],
    terms: Option<&[String]>,
    parts: usize,
) -> tantivy::Result<Vec<tantivy::index::SegmentMeta>> {
    // One segment per thread, each of consecutive documents, written side by side: the
    // documents are indexed as they come (no queue of pending documents, which the
    // multi-threaded `IndexWriter` would fill) and never merged. Segment `k` holds the
    // ordinals from its first document on, in order, which the reader's fast path uses.
    let per = docs.len().div_ceil(parts.max(1)).max(1);
    if let Some(words) = terms {
        // From the terms, the segments are written one after the other: writing one is cheap
        // beside analysing, and runs beside the browser's index (on the other core), so
        // writing two at once would gain no time and hold both segments' postings at once.
        let order = inverted::KeyOrder::of(words);
        return docs
            .chunks(per)
            .enumerate()
            .map(|(k, chunk)| write_segment_of_terms(index, f, chunk, k * per, words, &order))
            .collect();
    }
    std::thread::scope(|s| {
        let running: Vec<_> = docs
            .chunks(per)
            .enumerate()
            .map(|(k, chunk)| s.spawn(move || write_segment(index, f, chunk, k * per)))
            .collect();
        running
            .into_iter()
            .map(|t| {
                t.join()
                    .unwrap_or_else(|_| Err(tantivy::TantivyError::InternalError("panic".into())))
            })
            .collect::<tantivy::Result<Vec<_>>>()
    })
}

/// How many segments the tantivy index of `n` documents is written in: one per thread of the
/// build, each of at least [`SEGMENT_MIN`] documents.
fn segments_for(n: usize) -> usize {
    (n / SEGMENT_MIN).clamp(1, rayon::current_num_threads().max(1))
}

/// The fewest documents worth a segment of their own (a small site has one segment).
const SEGMENT_MIN: usize = 2_000;

/// Writes the documents `chunk` (ordinals from `first` on) into a new segment of `index`,
/// analysed again (`sotay serve`'s updater writes the same documents).
fn write_segment(
    index: &Index,
    f: &Fields,
    chunk: &[SearchDoc],
    first: usize,
) -> tantivy::Result<tantivy::index::SegmentMeta> {
    let docs = chunk.iter().enumerate();
    let segment = new_segment(
        index,
        30_000_000,
        docs.map(|(i, d)| tantivy_doc(f, d, (first + i) as u64)),
    )?;
    Ok(segment.meta().clone())
}

/// [`write_segment`] from the documents' terms, ids of `words`: `SegmentWriter` writes the
/// documents without their terms (stored body, `ord` column), and [`inverted::rewrite`] their
/// postings.
fn write_segment_of_terms(
    index: &Index,
    f: &Fields,
    chunk: &[SearchDoc],
    first: usize,
    words: &[String],
    order: &inverted::KeyOrder,
) -> tantivy::Result<tantivy::index::SegmentMeta> {
    let docs = chunk.iter().enumerate().map(
        |(i, d)| doc!(f.ord => (first + i) as u64, f.id => d.info.id.clone(), f.body => d.body()),
    );
    let segment = new_segment(index, 15_000_000, docs)?;
    let fields = inverted::Indexed {
        ord: f.ord,
        id: f.id,
        w: f.w,
        x: f.x,
    };
    let docs: Vec<inverted::DocTerms> = chunk
        .iter()
        .map(|d| inverted::DocTerms {
            id: &d.info.id,
            terms: &d.terms,
            forms: &d.forms,
        })
        .collect();
    inverted::rewrite(&segment, fields, &docs, first, words, order)?;
    Ok(segment.meta().clone())
}

/// A new segment of `index` holding `docs`, written by `SegmentWriter` with `budget` bytes.
fn new_segment(
    index: &Index,
    budget: usize,
    docs: impl Iterator<Item = TantivyDocument>,
) -> tantivy::Result<tantivy::index::Segment> {
    let segment = index.new_segment();
    let mut writer = tantivy::indexer::SegmentWriter::for_segment(budget, segment.clone())?;
    for (i, document) in docs.enumerate() {
        writer.add_document(tantivy::indexer::AddOperation {
            opstamp: i as u64,
            document,
        })?;
    }
    let max_doc = writer.max_doc();
    writer.finalize()?;
    Ok(segment.with_max_doc(max_doc))
}

/// The lines of field `w`: each term once, its key followed by [`FLAG_SEP`] and its flags as
/// one letter (`a` + flags), so that a posting is one token and a key's postings are the
/// terms from `key FLAG_SEP` up to `key FLAG_END` (see `TantivyPostings::variants`).
fn w_lines<'a>(t: impl Iterator<Item = (&'a str, Meta)>) -> String {
    let mut text = String::with_capacity(8192);
    for (k, m) in t {
        text.push_str(k);
        text.push(FLAG_SEP);
        text.push(char::from(FLAG_BASE + (m & 0xf)));
        text.push('\n');
    }
    text
}

fn x_lines<'a>(forms: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    let mut text = String::with_capacity(4096);
    for (f, x) in forms {
        text.push_str(f);
        text.push(FORM_SEP);
        text.push_str(x);
        text.push('\n');
    }
    text
}

/// The tantivy document of one search document, in slot `slot`, its terms analysed again from
/// its texts (a full build writes the terms it already has: see [`inverted`]).
fn tantivy_doc(f: &Fields, d: &SearchDoc, slot: u64) -> TantivyDocument {
    let a = d.analyze();
    let terms: Vec<(String, Meta)> = a.terms().collect();
    let forms = a.forms();
    let w = w_lines(terms.iter().map(|(k, m)| (k.as_str(), *m)));
    let x = x_lines(forms.iter().map(|(f, x)| (f.as_str(), x.as_str())));
    doc!(f.ord => slot, f.id => d.info.id.clone(), f.w => w, f.x => x, f.body => d.body())
}

/// Keeps the tantivy index of a site up to date across builds (`sotay serve`): after an edit,
/// the changed documents are deleted and added again, and only `docs.json` is rewritten whole.
/// The first update (or one after an error) writes the index in full, as `write` does.
pub struct IndexUpdater {
    dir: PathBuf,
    state: Option<Updating>,
}

struct Updating {
    writer: tantivy::IndexWriter<TantivyDocument>,
    /// Per document id: its slot, key, and what it was made from (to see changes cheaply).
    known: HashMap<String, Known>,
    next_slot: u64,
}

struct Known {
    slot: u64,
    key: String,
    /// What the document was made from, when this process indexed it (else only its key,
    /// read from slots.json, is known).
    made_from: Option<(Arc<Rendered>, Arc<DocInfo>, String)>,
}

impl IndexUpdater {
    pub fn new(dir: &Path) -> IndexUpdater {
        IndexUpdater {
            dir: dir.to_path_buf(),
            state: None,
        }
    }

    /// Brings the index to `docs`. Returns whether anything changed.
    pub fn update(&mut self, docs: &[SearchDoc]) -> Result<bool, String> {
        let result = match self.state.take() {
            Some(state) => self.incremental(state, docs),
            // The index on disk (from the build `sotay serve` started with), if it can be
            // read; else a new one, in full.
            None => match self.open() {
                Ok(state) => self.incremental(state, docs),
                Err(_) => write(docs, &self.dir, None).and_then(|wrote| {
                    let state = self.open()?;
                    self.state = Some(state);
                    Ok(wrote)
                }),
            },
        };
        if result.is_err() {
            self.state = None;
        }
        result
    }

    /// The index on disk, opened for writing.
    fn open(&self) -> Result<Updating, String> {
        let err = |e: &dyn std::fmt::Display| format!("search index {}: {e}", self.dir.display());
        let stamp = std::fs::read_to_string(self.dir.join(STAMP_FILE)).map_err(|e| err(&e))?;
        if !stamp.starts_with("v6 ") {
            return Err(err(&"made by another version"));
        }
        let slots: SlotsFile =
            serde_json::from_slice(&std::fs::read(self.dir.join(SLOTS_FILE)).map_err(|e| err(&e))?)
                .map_err(|e| err(&e))?;
        let infos: Vec<DocInfo> =
            serde_json::from_slice(&std::fs::read(self.dir.join(DOCS_FILE)).map_err(|e| err(&e))?)
                .map_err(|e| err(&e))?;
        if slots.slots.len() != infos.len() || slots.keys.len() != infos.len() {
            return Err(err(&"slots.json does not match docs.json"));
        }
        let index = Index::open_in_dir(&self.dir).map_err(|e| err(&e))?;
        register(&index);
        let writer = index
            .writer_with_num_threads(1, 20_000_000)
            .map_err(|e| err(&e))?;
        let mut known = HashMap::new();
        for ((info, slot), key) in infos.into_iter().zip(slots.slots).zip(slots.keys) {
            known.insert(
                info.id,
                Known {
                    slot,
                    key,
                    made_from: None,
                },
            );
        }
        let next_slot = known.values().map(|k| k.slot + 1).max().unwrap_or(0);
        Ok(Updating {
            writer,
            known,
            next_slot,
        })
    }

    fn incremental(&mut self, mut st: Updating, docs: &[SearchDoc]) -> Result<bool, String> {
        let err = |e: &dyn std::fmt::Display| format!("search index {}: {e}", self.dir.display());
        let (_, f) = schema();
        let mut changed = false;
        let mut seen = std::collections::HashSet::new();
        for d in docs {
            seen.insert(d.info.id.as_str());
            if let Some(k) = st.known.get_mut(&d.info.id) {
                let same = match &k.made_from {
                    Some((r, info, head)) => {
                        (Arc::ptr_eq(r, &d.rendered) || r.text == d.rendered.text)
                            && (Arc::ptr_eq(info, &d.info) || **info == *d.info)
                            && *head == d.head
                    }
                    None => k.key == doc_key(d),
                };
                if same {
                    k.made_from = Some((d.rendered.clone(), d.info.clone(), d.head.clone()));
                    continue;
                }
            }
            changed = true;
            st.writer
                .delete_term(Term::from_field_text(f.id, &d.info.id));
            let slot = st.next_slot;
            st.next_slot += 1;
            st.writer
                .add_document(tantivy_doc(&f, d, slot))
                .map_err(|e| err(&e))?;
            st.known.insert(
                d.info.id.clone(),
                Known {
                    slot,
                    key: doc_key(d),
                    made_from: Some((d.rendered.clone(), d.info.clone(), d.head.clone())),
                },
            );
        }
        let gone: Vec<String> = st
            .known
            .keys()
            .filter(|k| !seen.contains(String::as_str(k)))
            .cloned()
            .collect();
        for id in gone {
            changed = true;
            st.writer.delete_term(Term::from_field_text(f.id, &id));
            st.known.remove(&id);
        }
        let old_order: Option<Vec<u8>> = std::fs::read(self.dir.join(DOCS_FILE)).ok();
        let infos: Vec<&DocInfo> = docs.iter().map(|d| &*d.info).collect();
        let docs_json = serde_json::to_vec(&infos).map_err(|e| err(&e))?;
        if !changed && old_order.as_deref() == Some(docs_json.as_slice()) {
            self.state = Some(st);
            return Ok(false);
        }
        st.writer.commit().map_err(|e| err(&e))?;
        let mut slots = Vec::with_capacity(docs.len());
        let mut keys = Vec::with_capacity(docs.len());
        for d in docs {
            let k = st
                .known
                .get(&d.info.id)
                .ok_or_else(|| err(&"a document has no slot"))?;
            slots.push(k.slot);
            keys.push(k.key.clone());
        }
        let stamp = stamp_of(keys.iter().map(String::as_str));
        // docs.json and slots.json are read together: slots first, so that a reader opening
        // in between finds every slot it maps (documents added this time are found once
        // both are in place; nothing is ever mapped to the wrong document).
        write_json_atomic(
            &self.dir.join(SLOTS_FILE),
            &serde_json::to_vec(&SlotsFile { slots, keys }).map_err(|e| err(&e))?,
        )
        .map_err(|e| err(&e))?;
        write_json_atomic(&self.dir.join(DOCS_FILE), &docs_json).map_err(|e| err(&e))?;
        write_json_atomic(&self.dir.join(STAMP_FILE), stamp.as_bytes()).map_err(|e| err(&e))?;
        self.state = Some(st);
        Ok(true)
    }
}

/// An opened tantivy index, ready to answer queries from many threads.
pub struct SearchIndex {
    fields: Fields,
    docs: Vec<DocInfo>,
    /// Tantivy address of each ordinal.
    addr: Vec<tantivy::DocAddress>,
    /// Ordinal of each tantivy document, per segment.
    ords: Vec<Vec<u32>>,
    /// Segments of consecutive ordinals with no deletes (how `write` writes them): (first
    /// ordinal, segment) in ordinal order. A posting's ordinal is then its first ordinal plus
    /// its document id, the lists come already sorted, and document frequencies are exact.
    runs: Option<Vec<(u32, usize)>>,
    searcher: tantivy::Searcher,
}

impl SearchIndex {
    pub fn open(dir: &Path) -> Result<SearchIndex, String> {
        let err = |e: &dyn std::fmt::Display| {
            format!(
                "cannot open the search index {}: {e} (run `sotay build` first)",
                dir.display()
            )
        };
        match std::fs::read_to_string(dir.join(STAMP_FILE)) {
            Ok(s) if s.starts_with("v6 ") => {}
            Ok(_) => return Err(err(&"it was made by another version of sotay")),
            Err(e) => return Err(err(&e)),
        }
        let index = Index::open_in_dir(dir).map_err(|e| err(&e))?;
        register(&index);
        let (_, fields) = schema();
        let reader = index.reader().map_err(|e| err(&e))?;
        let docs: Vec<DocInfo> =
            serde_json::from_slice(&std::fs::read(dir.join(DOCS_FILE)).map_err(|e| err(&e))?)
                .map_err(|e| err(&e))?;
        // Slot (the `ord` field) -> position in docs.json.
        let slot_of: Option<Vec<u64>> = std::fs::read(dir.join(SLOTS_FILE))
            .ok()
            .and_then(|b| serde_json::from_slice::<SlotsFile>(&b).ok())
            .map(|s| s.slots)
            .filter(|s| s.len() == docs.len());
        let ord_of: Option<HashMap<u64, u32>> = slot_of.as_ref().and_then(|s| {
            let identity = s.iter().enumerate().all(|(i, &slot)| slot == i as u64);
            (!identity).then(|| {
                s.iter()
                    .enumerate()
                    .map(|(i, &slot)| (slot, i as u32))
                    .collect()
            })
        });
        let searcher = reader.searcher();
        let mut addr = vec![tantivy::DocAddress::new(0, 0); docs.len()];
        let mut ords = Vec::new();
        let mut deletes = false;
        for (si, seg) in searcher.segment_readers().iter().enumerate() {
            let col = seg.fast_fields().u64("ord").map_err(|e| err(&e))?;
            let alive = seg.alive_bitset();
            deletes |= alive.is_some();
            let mut seg_ords = vec![u32::MAX; seg.max_doc() as usize];
            for doc in 0..seg.max_doc() {
                if alive.is_some_and(|a| a.is_deleted(doc)) {
                    continue;
                }
                let Some(slot) = col.first(doc) else {
                    continue;
                };
                let o = match &ord_of {
                    Some(m) => match m.get(&slot) {
                        Some(&o) => o,
                        None => continue,
                    },
                    None => slot as u32,
                };
                if let Some(a) = addr.get_mut(o as usize) {
                    *a = tantivy::DocAddress::new(si as u32, doc);
                    seg_ords[doc as usize] = o;
                }
            }
            ords.push(seg_ords);
        }
        let runs = (!deletes).then(|| runs_of(&ords, docs.len())).flatten();
        Ok(SearchIndex {
            runs,
            fields,
            docs,
            addr,
            ords,
            searcher,
        })
    }

    pub fn docs(&self) -> &[DocInfo] {
        &self.docs
    }

    fn postings(&self) -> TantivyPostings<'_> {
        TantivyPostings { idx: self }
    }

    /// Ranked ordinals for a query (all of them), as the index ranks them: before the runs of
    /// three words or more are checked in the text (`runs`, which [`SearchIndex::search`] does).
    pub fn rank(&self, query: &Query, filter: &Filter) -> Vec<super::Ranked> {
        super::rank(query, &self.docs, &self.postings(), filter)
    }

    /// The stored body text of a document.
    fn body(&self, ord: u32) -> String {
        self.addr
            .get(ord as usize)
            .and_then(|&a| self.searcher.doc::<TantivyDocument>(a).ok())
            .and_then(|td| {
                td.get_first(self.fields.body)
                    .and_then(|v| v.as_str().map(str::to_string))
            })
            .unwrap_or_default()
    }

    /// A page of results with passages and snippets; a query that finds little is corrected
    /// (see `correct`).
    pub fn search(&self, q: &str, filter: &Filter, offset: usize, limit: usize) -> Results {
        self.search_with(q, filter, offset, limit, true)
    }

    /// [`SearchIndex::search`], with the correction of typos on or off.
    pub fn search_with(
        &self,
        q: &str,
        filter: &Filter,
        offset: usize,
        limit: usize,
        correct: bool,
    ) -> Results {
        let p = self.postings();
        // The runs check may move any of the first CHECKED up, or drop them.
        let k = offset.saturating_add(limit).saturating_add(runs::CHECKED);
        let mut query = Query::parse(q);
        let (mut total, mut ranked) = super::top(&query, &self.docs, &p, filter, k);
        let mut suggestion = None;
        if correct {
            if let Some(better) = super::correct::suggest(&query, total, &p) {
                let (t, r) = super::top(&better, &self.docs, &p, filter, k);
                if t > 0 {
                    suggestion = Some(super::correct::display(&better, &p));
                    (total, ranked, query) = (t, r, better);
                }
            }
        }
        runs::check(&query, &self.docs, &mut total, &mut ranked, |o| {
            self.body(o)
        });
        let seq: Vec<&str> = query.terms.iter().map(|t| t.folded.as_str()).collect();
        let hits = ranked
            .iter()
            .skip(offset)
            .take(limit)
            .map(|r| {
                let d = &self.docs[r.ord as usize];
                let body = self.body(r.ord);
                hit(d, &body, &seq, r.score)
            })
            .collect();
        Results {
            total,
            hits,
            suggestion,
        }
    }
}

/// A hit: the document, the passage where the query stands, its snippet. A query that the
/// title and number hold whole is about the document: its beginning.
pub fn hit(d: &DocInfo, body: &str, seq: &[&str], score: f64) -> Hit {
    let ps = passage::passages(body, &d.headings);
    let head = format!("{} {}", d.title, d.number.as_deref().unwrap_or(""));
    let whole = passage::holds_all(&head, seq);
    let at = if whole { 0 } else { passage::best(&ps, seq) };
    let p = &ps[at];
    Hit {
        id: d.id.clone(),
        url: match p.anchor {
            Some(a) => format!("{}#{a}", d.url),
            None => d.url.clone(),
        },
        title: d.title.clone(),
        snippet: passage::snippet_of(&ps, at, seq),
        score,
        passage: p.heading.map(str::to_string),
        kind: d.kind.clone(),
        number: d.number.clone(),
        date: d.date.clone(),
    }
}

struct TantivyPostings<'a> {
    idx: &'a SearchIndex,
}

impl TantivyPostings<'_> {
    /// Calls `f` with each segment and how its document ids are ordinals, in ordinal order
    /// when the segments are runs of them.
    fn each_segment(&self, mut f: impl FnMut(&tantivy::SegmentReader, Ords)) {
        let readers = self.idx.searcher.segment_readers();
        match &self.idx.runs {
            Some(runs) => {
                for &(first, si) in runs {
                    f(&readers[si], Ords::From(first));
                }
            }
            None => {
                for (si, seg) in readers.iter().enumerate() {
                    f(seg, Ords::Table(&self.idx.ords[si]));
                }
            }
        }
    }

    /// The terms of field `w` for a key in one segment, one per flags value (see
    /// [`w_lines`]), into `terms` as (term info, flags); returns the segment's index of `w`.
    fn variants(
        &self,
        seg: &tantivy::SegmentReader,
        key: &str,
        terms: &mut Vec<(tantivy::postings::TermInfo, Meta)>,
    ) -> Option<Arc<tantivy::InvertedIndexReader>> {
        let (lo, hi) = (format!("{key}{FLAG_SEP}"), format!("{key}{FLAG_END}"));
        let inv = seg.inverted_index(self.idx.fields.w).ok()?;
        let range = inv.terms().range().ge(lo.as_bytes()).lt(hi.as_bytes());
        let mut stream = range.into_stream().ok()?;
        while stream.advance() {
            if let Some(meta) = flags_of(stream.key(), lo.len()) {
                terms.push((stream.value().clone(), meta));
            }
        }
        Some(inv)
    }
}

/// The flags a term of field `w` carries after its key's `key_len` bytes and [`FLAG_SEP`].
fn flags_of(term: &[u8], key_len: usize) -> Option<Meta> {
    match term.get(key_len..) {
        Some(&[c]) if (FLAG_BASE..FLAG_BASE + 16).contains(&c) => Some(c - FLAG_BASE),
        _ => None,
    }
}

/// How the document ids of a segment are ordinals.
#[derive(Clone, Copy)]
enum Ords<'a> {
    /// A run: document id `d` is ordinal `first + d`.
    From(u32),
    /// Per document id, its ordinal (`u32::MAX`: not a live document).
    Table(&'a [u32]),
}

/// Calls `f` with each posting of `block` as an ordinal.
fn each_posting(
    mut block: tantivy::postings::BlockSegmentPostings,
    ords: Ords,
    mut f: impl FnMut(u32),
) {
    // Block by block (128 documents decoded at once), not document by document.
    loop {
        let docs = block.docs();
        if docs.is_empty() {
            break;
        }
        match ords {
            Ords::From(first) => docs.iter().for_each(|&d| f(first + d)),
            Ords::Table(t) => docs
                .iter()
                .filter_map(|&d| t.get(d as usize).copied().filter(|&o| o != u32::MAX))
                .for_each(&mut f),
        }
        block.advance();
    }
}

/// Appends to `out` the postings of `block` as (ordinal, `value`).
fn read_block<T: Copy>(
    block: tantivy::postings::BlockSegmentPostings,
    value: T,
    ords: Ords,
    out: &mut Vec<(u32, T)>,
) {
    out.reserve(block.doc_freq() as usize);
    each_posting(block, ords, |o| out.push((o, value)));
}

/// The postings of a key whose terms are not in order of ordinals: each ordinal marked in a
/// bitset of all `n` documents and its flags in a table, the list read off the set bits in
/// order (a few nanoseconds a posting, where sorting 100,000 postings takes milliseconds).
struct Marks {
    bits: Vec<u64>,
    flags: Vec<Meta>,
}

impl Marks {
    /// A table of `n` documents holding the postings `first`.
    fn new(n: usize, first: &[(u32, Meta)]) -> Marks {
        let mut m = Marks {
            bits: vec![0; n.div_ceil(64)],
            flags: vec![0; n],
        };
        for &(o, f) in first {
            m.set(o, f);
        }
        m
    }

    #[inline]
    fn set(&mut self, o: u32, f: Meta) {
        if let Some(slot) = self.flags.get_mut(o as usize) {
            *slot = f;
            self.bits[o as usize / 64] |= 1 << (o % 64);
        }
    }

    /// Marks the postings of `block` with flags `f`.
    fn mark(&mut self, block: tantivy::postings::BlockSegmentPostings, f: Meta, ords: Ords) {
        each_posting(block, ords, |o| self.set(o, f));
    }

    /// (ordinal, flags) of every marked ordinal, in order.
    fn list(self) -> Vec<(u32, Meta)> {
        let count: u32 = self.bits.iter().map(|w| w.count_ones()).sum();
        let mut out = Vec::with_capacity(count as usize);
        for (i, &word) in self.bits.iter().enumerate() {
            let mut w = word;
            while w != 0 {
                let o = i * 64 + w.trailing_zeros() as usize;
                out.push((o as u32, self.flags[o]));
                w &= w - 1;
            }
        }
        out
    }
}

/// The segments of `ords` (per segment, each document's ordinal) when each holds consecutive
/// ordinals and together they hold the `n` ordinals once: (first ordinal, segment) in order.
fn runs_of(ords: &[Vec<u32>], n: usize) -> Option<Vec<(u32, usize)>> {
    let mut runs = Vec::with_capacity(ords.len());
    for (si, seg) in ords.iter().enumerate() {
        let first = *seg.first()?;
        let consecutive = seg
            .iter()
            .enumerate()
            .all(|(d, &o)| u64::from(o) == u64::from(first) + d as u64);
        if !consecutive {
            return None;
        }
        runs.push((first, si));
    }
    runs.sort_unstable();
    let mut next = 0usize;
    for &(first, si) in &runs {
        if first as usize != next {
            return None;
        }
        next += ords[si].len();
    }
    (next == n).then_some(runs)
}

impl Postings for TantivyPostings<'_> {
    fn num_docs(&self) -> u32 {
        self.idx.docs.len() as u32
    }
    fn postings(&self, key: &str) -> Vec<(u32, Meta)> {
        // A key whose postings are one term per segment, the segments runs of ordinals, is
        // read straight into its list, in order; else every posting is marked in a table of
        // all documents, read in order at the end (see `Marks`).
        let mut out = Vec::new();
        let mut marks: Option<Marks> = None;
        let n = self.idx.docs.len();
        let mut terms = Vec::new();
        self.each_segment(|seg, ord| {
            terms.clear();
            let Some(inv) = self.variants(seg, key, &mut terms) else {
                return;
            };
            if terms.len() == 1 && marks.is_none() && self.idx.runs.is_some() {
                let (info, meta) = &terms[0];
                if let Ok(b) = inv.read_block_postings_from_terminfo(info, IndexRecordOption::Basic)
                {
                    read_block(b, *meta, ord, &mut out);
                }
                return;
            }
            let m = marks.get_or_insert_with(|| Marks::new(n, &out));
            for (info, meta) in &terms {
                if let Ok(b) = inv.read_block_postings_from_terminfo(info, IndexRecordOption::Basic)
                {
                    m.mark(b, *meta, ord);
                }
            }
        });
        match marks {
            Some(m) => m.list(),
            None => out,
        }
    }
    fn exact_docs(&self, exact: &str, folded: &str) -> Vec<u32> {
        let term = Term::from_field_text(self.idx.fields.x, &format!("{folded}{FORM_SEP}{exact}"));
        let mut out = Vec::new();
        self.each_segment(|seg, ord| {
            if let Ok(inv) = seg.inverted_index(self.idx.fields.x) {
                if let Ok(Some(block)) = inv.read_block_postings(&term, IndexRecordOption::Basic) {
                    read_block(block, (), ord, &mut out);
                }
            }
        });
        let mut docs: Vec<u32> = out.into_iter().map(|(o, ())| o).collect();
        if self.idx.runs.is_none() {
            docs.sort_unstable();
        }
        docs
    }
    fn df(&self, key: &str) -> u32 {
        if self.idx.runs.is_some() {
            let mut df = 0;
            let mut terms = Vec::new();
            for seg in self.idx.searcher.segment_readers() {
                terms.clear();
                self.variants(seg, key, &mut terms);
                df += terms.iter().map(|(info, _)| info.doc_freq).sum::<u32>();
            }
            df
        } else {
            self.postings(key).len() as u32
        }
    }
    fn common_form(&self, folded: &str) -> Option<String> {
        // The forms of a word are the terms of `x` that start with `folded` + FORM_SEP: the
        // most frequent, then the first (as the browser's index orders them).
        let prefix = format!("{folded}{FORM_SEP}");
        // Summed over the segments.
        let mut dfs: std::collections::BTreeMap<String, u32> = Default::default();
        for seg in self.idx.searcher.segment_readers() {
            let Ok(inv) = seg.inverted_index(self.idx.fields.x) else {
                continue;
            };
            let Ok(mut stream) = inv.terms().range().ge(prefix.as_bytes()).into_stream() else {
                continue;
            };
            while stream.advance() {
                let Some(rest) = stream.key().strip_prefix(prefix.as_bytes()) else {
                    break;
                };
                let Ok(form) = std::str::from_utf8(rest) else {
                    continue;
                };
                *dfs.entry(form.to_string()).or_default() += stream.value().doc_freq;
            }
        }
        // The most frequent, then the first in order.
        let mut best: Option<(&String, u32)> = None;
        for (form, &df) in &dfs {
            if best.is_none_or(|(_, b)| df > b) {
                best = Some((form, df));
            }
        }
        best.map(|(f, _)| f.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_terms_with_their_flags() {
        let w = w_lines([("dang", 1), ("dang vien", 12), ("vien", 0)].into_iter());
        assert_eq!(w, "dang\u{1}b\ndang vien\u{1}m\nvien\u{1}a\n");
        let mut t = Lines;
        let mut s = t.token_stream(&w);
        let mut got = Vec::new();
        while s.advance() {
            got.push((s.token().position, s.token().text.clone()));
        }
        assert_eq!(got.len(), 3);
        assert_eq!(got[1], (1, "dang vien\u{1}m".to_string()));
        assert_eq!(
            flags_of(got[1].1.as_bytes(), "dang vien".len() + 1),
            Some(12)
        );
        assert_eq!(flags_of(b"dang\x01", 5), None);
        assert_eq!(flags_of(b"dang\x01q", 5), None);
    }

    #[test]
    fn marked_postings_come_out_in_order() {
        let mut m = Marks::new(1000, &[(9, 1), (2, 0)]);
        for o in (0..500).rev() {
            m.set(o * 2 + 1, (o % 16) as Meta);
        }
        // Out of range: ignored, not a panic.
        m.set(5000, 3);
        let list = m.list();
        // 500 odd ordinals and 2; 9 was marked twice.
        assert_eq!(list.len(), 501);
        assert!(list.windows(2).all(|w| w[0].0 < w[1].0));
        assert_eq!(&list[..4], &[(1, 0), (2, 0), (3, 1), (5, 2)]);
        assert_eq!(list[5], (9, 4), "the flags last marked: {:?}", &list[..8]);
    }
}
