//! The search indexes of a build: the tantivy index beside the site (for the server and
//! `sotay search`), and the facts both it and the offline index are made from.
//!
//! The tantivy index lives in `<site>.index/` (e.g. `public.index/`), outside what a static
//! host publishes. It holds every document's words twice — folded (`all`) with positions, and
//! exact (`all_exact`) — plus the stored plain text for snippets, and `docs.json`, the
//! [`DocInfo`] table that ranking needs. It is rebuilt only when its inputs change.

use super::{rank, DocInfo, Filter, Hit, Postings, Query, Results};
use crate::content::PageKind;
use crate::markdown::Rendered;
use crate::Ctx;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, Value, FAST, INDEXED, STORED,
    STRING,
};
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};
use tantivy::{doc, DocSet, Index, TantivyDocument, Term, TERMINATED};

const FOLDED: &str = "vi_folded";
const EXACT: &str = "vi_exact";
const DOCS_FILE: &str = "docs.json";
const STAMP_FILE: &str = "inputs.hash";
const SLOTS_FILE: &str = "slots.json";

/// One document as search sees it: facts for ranking, and the text to index.
pub struct SearchDoc {
    /// Shared with the cache of the next rebuild: an unchanged document costs no copy.
    pub info: Arc<DocInfo>,
    pub issuer: Option<String>,
    /// Title, number and issuer: searchable text outside the body.
    pub head: String,
    pub rendered: Arc<Rendered>,
    /// Its distinct words as (folded, exact) ids of `TermCache`'s interner.
    pub words: Arc<Vec<(u32, u32)>>,
}

impl SearchDoc {
    /// The body's plain text, for snippets and key phrases.
    pub fn body(&self) -> &str {
        &self.rendered.text
    }
}

/// Interned words and, per document, what search made of it last time: rebuilding the search
/// indexes after one edit re-reads one document, not all of them.
#[derive(Default)]
pub struct TermCache {
    ids: rustc_hash::FxHashMap<String, u32>,
    pub words: Vec<String>,
    docs: HashMap<String, CachedDoc>,
}

/// What search made of a document: (key of its front matter and place, its rendered body,
/// its facts, its words).
type CachedDoc = (u64, Arc<Rendered>, Arc<DocInfo>, Arc<Vec<(u32, u32)>>);

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
    /// The searchable documents of a site, in catalog order (ordinal = position).
    /// `keep`: remember them for the next build (else this cache stays empty).
    pub fn documents(
        &mut self,
        ctx: &Ctx,
        rendered: &[Arc<Rendered>],
        keep: bool,
    ) -> Vec<SearchDoc> {
        use rayon::prelude::*;
        let c = ctx.content;
        let docs: Vec<usize> = (0..c.pages.len())
            .filter(|&i| c.pages[i].kind == PageKind::Document)
            .collect();
        // What each document needs: the cached result, or its facts and words made afresh
        // (in parallel: tokenising every body is the expensive part of a full build).
        type Fresh = (Arc<DocInfo>, String);
        type Prepared = Vec<(u64, String, Option<CachedDoc>, Option<Fresh>)>;
        let mut out = Vec::with_capacity(docs.len());
        let mut seen = std::collections::HashSet::new();
        // In chunks, so that the words of a national-size corpus are never all in memory as text;
        // each chunk's words are interned (one thread, in order) while the next chunk is
        // analysed (the others).
        let TermCache {
            ids,
            words: interned,
            docs: cache,
        } = self;
        let cache: &HashMap<String, CachedDoc> = cache;
        let prepare = |chunk: &[usize]| -> Prepared {
            chunk
                .par_iter()
                .map(|&i| {
                    let p = &c.pages[i];
                    let r = &rendered[i];
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
                        .filter(|(k, cr, _, _)| *k == key && Arc::ptr_eq(cr, r))
                    {
                        return (key, head, Some(hit.clone()), None);
                    }
                    let summary = fm.summary.clone().unwrap_or_else(|| r.excerpt.clone());
                    let (keyphrases, pairs) = super::analyze(&head, &r.text);
                    let info = DocInfo {
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
                            .map(|h| (h.anchor.clone(), h.text.clone()))
                            .collect(),
                        keyphrases,
                    };
                    (key, head, None, Some((Arc::new(info), pairs)))
                })
                .collect()
        };
        let mut new_entries: Vec<(String, CachedDoc)> = Vec::new();
        let chunks: Vec<&[usize]> = docs.chunks(512).collect();
        let mut pending: Option<(&[usize], Prepared)> = None;
        for k in 0..=chunks.len() {
            let this = pending.take();
            let (next, ()) = rayon::join(
                || chunks.get(k).map(|&ch| (ch, prepare(ch))),
                || {
                    let Some((chunk, prepared)) = this else {
                        return;
                    };
                    for (&i, (key, head, hit, fresh)) in chunk.iter().zip(prepared) {
                        let p = &c.pages[i];
                        let r = &rendered[i];
                        seen.insert(p.src.path.clone());
                        let (info, words) = match (hit, fresh) {
                            (Some((_, _, info, words)), _) => (info, words),
                            (None, Some((info, pairs))) => {
                                let mut it = pairs.split('\0');
                                // Exactly sized: the words of every document are alive together.
                                let n = pairs.bytes().filter(|&b| b == 0).count() / 2;
                                let mut words: Vec<(u32, u32)> = Vec::with_capacity(n);
                                while let (Some(f), Some(e)) = (it.next(), it.next()) {
                                    words
                                        .push((intern(ids, interned, f), intern(ids, interned, e)));
                                }
                                let words = Arc::new(words);
                                if keep {
                                    new_entries.push((
                                        p.src.path.clone(),
                                        (key, r.clone(), info.clone(), words.clone()),
                                    ));
                                }
                                (info, words)
                            }
                            (None, None) => continue,
                        };
                        out.push(SearchDoc {
                            info,
                            issuer: p.fm.issuer.clone(),
                            head,
                            rendered: r.clone(),
                            words,
                        });
                    }
                },
            );
            pending = next;
        }
        self.docs.extend(new_entries);
        self.docs.retain(|k, _| seen.contains(k));
        out
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
    all: Field,
    all_exact: Field,
    body: Field,
    kind: Field,
    year: Field,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let folded = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(FOLDED)
            .set_index_option(IndexRecordOption::WithFreqs),
    );
    let exact = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(EXACT)
            .set_index_option(IndexRecordOption::Basic),
    );
    let f = Fields {
        ord: b.add_u64_field("ord", INDEXED | FAST | STORED),
        all: b.add_text_field("all", folded.clone()),
        all_exact: b.add_text_field("all_exact", exact),
        body: b.add_text_field("body", STORED),
        kind: b.add_text_field("kind", STRING | STORED),
        year: b.add_u64_field("year", INDEXED | FAST | STORED),
    };
    b.add_text_field("id", STRING | STORED);
    b.add_text_field("title", folded.clone().set_stored());
    b.add_text_field("number", folded.clone().set_stored());
    b.add_text_field("issuer", folded.set_stored());
    b.add_text_field("section", STRING | STORED);
    (b.build(), f)
}

/// A tokenizer for words already made: each line of the text is one term, as it is. Only
/// [`write`] uses it (the index's tokenizer names stay those of [`VnTokenizer`], which opening
/// the index registers for later additions).
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

/// Tokenizers for tantivy, made from `crate::text` so the index and queries agree.
#[derive(Clone)]
struct VnTokenizer {
    exact: bool,
}

/// Words pulled from the text one at a time into one reused [`Token`]: no allocation per word.
struct VnTokens<'a> {
    text: &'a str,
    exact: bool,
    /// Byte offset where the next word is looked for.
    from: usize,
    token: Token,
}

impl Tokenizer for VnTokenizer {
    type TokenStream<'a> = VnTokens<'a>;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> VnTokens<'a> {
        VnTokens {
            text,
            exact: self.exact,
            from: 0,
            token: Token {
                position: usize::MAX,
                ..Token::default()
            },
        }
    }
}

impl TokenStream for VnTokens<'_> {
    fn advance(&mut self) -> bool {
        let Some((s, e)) = crate::text::next_word(self.text, self.from) else {
            return false;
        };
        self.from = e;
        let word = &self.text[s..e];
        let t = &mut self.token;
        t.offset_from = s;
        t.offset_to = e;
        t.position = t.position.wrapping_add(1);
        t.position_length = 1;
        if self.exact {
            crate::text::exact_into(word, &mut t.text);
        } else {
            crate::text::fold_into(word, &mut t.text);
        }
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
    index
        .tokenizers()
        .register(FOLDED, VnTokenizer { exact: false });
    index
        .tokenizers()
        .register(EXACT, VnTokenizer { exact: true });
}

/// What an indexed document was made from, as a short hash: its facts, head and body.
fn doc_key(d: &SearchDoc) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(
        serde_json::to_string(&*d.info)
            .unwrap_or_default()
            .as_bytes(),
    );
    h.update(d.head.as_bytes());
    h.update(d.body().as_bytes());
    let digest = h.finalize();
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// The stamp of an index made from documents with these keys, in this order.
fn stamp_of<'a>(keys: impl Iterator<Item = &'a str>) -> String {
    let mut all = String::new();
    for k in keys {
        all.push_str(k);
        all.push('\n');
    }
    format!("v4 {}", crate::hash::short(all.as_bytes()))
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
/// same input.
///
/// With `terms` (the interner the documents' `words` are ids of), each document's words are
/// given to tantivy as they are instead of tokenizing its head and body again: the same words
/// (both come from `text::next_word`), at a fraction of the cost.
pub fn write(docs: &[SearchDoc], dir: &Path, terms: Option<&[String]>) -> Result<bool, String> {
    use rayon::prelude::*;
    let keys: Vec<String> = docs.par_iter().map(doc_key).collect();
    let stamp = stamp_of(keys.iter().map(String::as_str));
    if std::fs::read_to_string(dir.join(STAMP_FILE))
        .ok()
        .as_deref()
        == Some(stamp.as_str())
    {
        return Ok(false);
    }
    let err = |e: &dyn std::fmt::Display| format!("search index {}: {e}", dir.display());
    // Build in a fresh folder and swap it in, so a reader never sees half an index.
    let tmp = dir.with_extension("index-tmp");
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).map_err(|e| err(&e))?;
    let (schema, f) = schema();
    let tokenizers = tantivy::tokenizer::TokenizerManager::default();
    match terms {
        // The words come made (one per line): the same terms, without tokenizing again.
        Some(_) => {
            tokenizers.register(FOLDED, Lines);
            tokenizers.register(EXACT, Lines);
        }
        None => {
            tokenizers.register(FOLDED, VnTokenizer { exact: false });
            tokenizers.register(EXACT, VnTokenizer { exact: true });
        }
    }
    let directory = tantivy::directory::MmapDirectory::open(&tmp).map_err(|e| err(&e))?;
    // One build makes one segment, indexed in this thread as documents come: no queue of
    // pending documents (the multi-threaded writer's would hold them all) and no merging.
    let mut writer = Index::builder()
        .schema(schema.clone())
        .tokenizers(tokenizers)
        .single_segment_index_writer::<TantivyDocument>(directory, 50_000_000)
        .map_err(|e| err(&e))?;
    for (ord, d) in docs.iter().enumerate() {
        writer
            .add_document(tantivy_doc(&schema, &f, d, ord as u64, terms).map_err(|e| err(&e))?)
            .map_err(|e| err(&e))?;
    }
    writer.finalize().map_err(|e| err(&e))?;
    let infos: Vec<&DocInfo> = docs.iter().map(|d| &*d.info).collect();
    std::fs::write(
        tmp.join(DOCS_FILE),
        serde_json::to_vec(&infos).map_err(|e| err(&e))?,
    )
    .map_err(|e| err(&e))?;
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

/// The tantivy document of one search document, in slot `slot`; its words from `terms` when
/// given (see [`write`]), else from its head and body.
fn tantivy_doc(
    schema: &Schema,
    f: &Fields,
    d: &SearchDoc,
    slot: u64,
    terms: Option<&[String]>,
) -> tantivy::Result<TantivyDocument> {
    let id = schema.get_field("id")?;
    let title = schema.get_field("title")?;
    let number = schema.get_field("number")?;
    let issuer = schema.get_field("issuer")?;
    let section = schema.get_field("section")?;
    {
        let mut td = doc!(f.ord => slot, id => d.info.id.clone(), title => d.info.title.clone(), f.body => d.body());
        match terms {
            // One word per line, for the `Lines` tokenizer `write` then uses.
            Some(terms) => {
                let words = |pick: fn(&(u32, u32)) -> u32| {
                    let mut w: Vec<u32> = d.words.iter().map(pick).collect();
                    w.sort_unstable();
                    w.dedup();
                    let mut text = String::with_capacity(w.len() * 8);
                    for id in w {
                        if let Some(t) = terms.get(id as usize) {
                            text.push_str(t);
                            text.push('\n');
                        }
                    }
                    text
                };
                td.add_text(f.all, words(|w| w.0));
                td.add_text(f.all_exact, words(|w| w.1));
            }
            // The head and the body as two values of the same fields: the same words as the
            // offline index, which reads them the same way.
            None => {
                for text in [d.head.as_str(), d.body()] {
                    td.add_text(f.all, text);
                    td.add_text(f.all_exact, text);
                }
            }
        }
        if let Some(k) = &d.info.kind {
            td.add_text(f.kind, k);
        }
        if let Some(y) = d.info.year {
            td.add_u64(f.year, u64::from(y));
        }
        if let Some(n) = &d.info.number {
            td.add_text(number, n);
        }
        if let Some(s) = &d.info.section {
            td.add_text(section, s);
        }
        if let Some(i) = &d.issuer {
            td.add_text(issuer, i);
        }
        Ok(td)
    }
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
        let (schema, f) = schema();
        let id_field = schema.get_field("id").map_err(|e| err(&e))?;
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
                .delete_term(Term::from_field_text(id_field, &d.info.id));
            let slot = st.next_slot;
            st.next_slot += 1;
            st.writer
                .add_document(tantivy_doc(&schema, &f, d, slot, None).map_err(|e| err(&e))?)
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
            st.writer.delete_term(Term::from_field_text(id_field, &id));
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
    facts: super::FactsTable,
    /// Tantivy address of each ordinal.
    addr: Vec<tantivy::DocAddress>,
    /// Ordinal of each tantivy document, per segment.
    ords: Vec<Vec<u32>>,
    /// One segment whose document ids are the ordinals (how `build` writes it): postings
    /// are then ordinals as they are, already sorted.
    identity: bool,
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
        let index = Index::open_in_dir(dir).map_err(|e| err(&e))?;
        register(&index);
        let (_, fields) = schema();
        let reader = index.reader().map_err(|e| err(&e))?;
        let docs: Vec<DocInfo> =
            serde_json::from_slice(&std::fs::read(dir.join(DOCS_FILE)).map_err(|e| err(&e))?)
                .map_err(|e| err(&e))?;
        // Slot (the `ord` field) -> position in docs.json. An index from before slots.json
        // existed has slot = position.
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
        let facts = super::FactsTable::new(&docs);
        let identity = !deletes
            && ords.len() == 1
            && ords[0].len() == docs.len()
            && ords[0].iter().enumerate().all(|(i, &o)| o as usize == i);
        Ok(SearchIndex {
            identity,
            fields,
            docs,
            facts,
            addr,
            ords,
            searcher,
        })
    }

    pub fn docs(&self) -> &[DocInfo] {
        &self.docs
    }

    /// Ranked ordinals for a query (all of them).
    pub fn rank(&self, query: &Query, filter: &Filter) -> Vec<super::Ranked> {
        let p = TantivyPostings { idx: self };
        rank(query, &self.docs, &self.facts, &p, filter)
    }

    /// A page of results with snippets.
    pub fn search(&self, q: &str, filter: &Filter, offset: usize, limit: usize) -> Results {
        let query = Query::parse(q);
        let p = TantivyPostings { idx: self };
        let (total, ranked) = super::top(
            &query,
            &self.docs,
            &self.facts,
            &p,
            filter,
            offset.saturating_add(limit),
        );
        let searcher = &self.searcher;
        let folded: Vec<&str> = query.terms.iter().map(|t| t.folded.as_str()).collect();
        let hits = ranked
            .iter()
            .skip(offset)
            .take(limit)
            .map(|r| {
                let d = &self.docs[r.ord as usize];
                let body = searcher
                    .doc::<TantivyDocument>(self.addr[r.ord as usize])
                    .ok()
                    .and_then(|td| {
                        td.get_first(self.fields.body)
                            .and_then(|v| v.as_str().map(str::to_string))
                    })
                    .unwrap_or_default();
                let heading = r.heading.and_then(|i| d.headings.get(i));
                let mut snippet = String::new();
                if let Some((_, h)) = heading {
                    snippet = format!("<strong>{}</strong> ", super::snippet::mark(h, &folded));
                }
                snippet.push_str(&super::snippet::snippet(&body, &folded));
                Hit {
                    id: d.id.clone(),
                    url: match heading {
                        Some((a, _)) => format!("{}#{a}", d.url),
                        None => d.url.clone(),
                    },
                    title: d.title.clone(),
                    snippet,
                    score: r.score,
                    kind: d.kind.clone(),
                    number: d.number.clone(),
                    date: d.date.clone(),
                }
            })
            .collect();
        Results { total, hits }
    }
}

struct TantivyPostings<'a> {
    idx: &'a SearchIndex,
}

impl TantivyPostings<'_> {
    fn list(&self, field: Field, word: &str) -> Vec<u32> {
        let term = Term::from_field_text(field, word);
        let mut out = Vec::new();
        for (si, seg) in self.idx.searcher.segment_readers().iter().enumerate() {
            let Ok(inv) = seg.inverted_index(field) else {
                continue;
            };
            let Ok(Some(mut postings)) = inv.read_postings(&term, IndexRecordOption::Basic) else {
                continue;
            };
            if self.idx.identity {
                out.reserve(postings.doc_freq() as usize);
                while postings.doc() != TERMINATED {
                    out.push(postings.doc());
                    postings.advance();
                }
                return out;
            }
            let ords = &self.idx.ords[si];
            while postings.doc() != TERMINATED {
                if let Some(&o) = ords
                    .get(postings.doc() as usize)
                    .filter(|&&o| o != u32::MAX)
                {
                    out.push(o);
                }
                postings.advance();
            }
        }
        out.sort_unstable();
        out
    }
}

impl Postings for TantivyPostings<'_> {
    fn num_docs(&self) -> u32 {
        self.idx.docs.len() as u32
    }
    fn docs(&self, folded: &str) -> Vec<u32> {
        self.list(self.idx.fields.all, folded)
    }
    fn exact_docs(&self, exact: &str, _folded: &str) -> Vec<u32> {
        self.list(self.idx.fields.all_exact, exact)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(exact: bool, text: &str) -> Vec<(usize, usize, usize, String)> {
        let mut t = VnTokenizer { exact };
        let mut s = t.token_stream(text);
        let mut out = Vec::new();
        while s.advance() {
            let k = s.token();
            out.push((k.position, k.offset_from, k.offset_to, k.text.clone()));
        }
        out
    }

    #[test]
    fn tokenizer_reuses_one_token_and_counts_positions() {
        let text = "Đảng viên, lúc 7:30 — x\u{0301}y";
        let folded = tokens(false, text);
        let words: Vec<&str> = folded.iter().map(|t| t.3.as_str()).collect();
        assert_eq!(words, ["dang", "vien", "luc", "7", "30", "xy"]);
        let positions: Vec<usize> = folded.iter().map(|t| t.0).collect();
        assert_eq!(positions, [0, 1, 2, 3, 4, 5]);
        for (_, s, e, _) in &folded {
            assert!(text.is_char_boundary(*s) && text.is_char_boundary(*e) && s < e);
        }
        let exact: Vec<String> = tokens(true, text).into_iter().map(|t| t.3).collect();
        assert_eq!(exact[..3], ["đang3", "viên", "luc1"]);
        assert!(tokens(false, " ,;— ").is_empty());
    }
}
