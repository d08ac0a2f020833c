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

/// One document as search sees it: facts for ranking, and the text to index.
pub struct SearchDoc {
    pub info: DocInfo,
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
type CachedDoc = (u64, Arc<Rendered>, DocInfo, Arc<Vec<(u32, u32)>>);

impl TermCache {
    fn intern_str(&mut self, w: &str) -> u32 {
        if let Some(&i) = self.ids.get(w) {
            return i;
        }
        let i = self.words.len() as u32;
        self.words.push(w.to_string());
        self.ids.insert(w.to_string(), i);
        i
    }

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
        type Fresh = (DocInfo, String);
        let mut out = Vec::with_capacity(docs.len());
        let mut seen = std::collections::HashSet::new();
        // In chunks, so that the words of a national-size corpus are never all in memory as text.
        for chunk in docs.chunks(512) {
            let prepared: Vec<(u64, String, Option<CachedDoc>, Option<Fresh>)> = chunk
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
                    if let Some(hit) = self
                        .docs
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
                    (key, head, None, Some((info, pairs)))
                })
                .collect();
            for (&i, (key, head, hit, fresh)) in chunk.iter().zip(prepared) {
                let p = &c.pages[i];
                let r = &rendered[i];
                seen.insert(p.src.path.clone());
                let (info, words) = match (hit, fresh) {
                    (Some((_, _, info, words)), _) => (info, words),
                    (None, Some((info, pairs))) => {
                        let mut it = pairs.split('\0');
                        let mut words: Vec<(u32, u32)> = Vec::new();
                        while let (Some(f), Some(e)) = (it.next(), it.next()) {
                            words.push((self.intern_str(f), self.intern_str(e)));
                        }
                        let words = Arc::new(words);
                        if keep {
                            self.docs.insert(
                                p.src.path.clone(),
                                (key, r.clone(), info.clone(), words.clone()),
                            );
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
        }
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

/// Tokenizers for tantivy, made from `crate::text` so the index and queries agree.
#[derive(Clone)]
struct VnTokenizer {
    exact: bool,
}

struct VnTokens {
    tokens: Vec<Token>,
    next: usize,
}

impl Tokenizer for VnTokenizer {
    type TokenStream<'a> = VnTokens;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> VnTokens {
        let mut tokens = Vec::new();
        let exact = self.exact;
        crate::text::for_each_word(text, |s, e| {
            let word = &text[s..e];
            let position = tokens.len();
            tokens.push(Token {
                offset_from: s,
                offset_to: e,
                position,
                text: if exact {
                    crate::text::exact(word)
                } else {
                    crate::text::fold(word)
                },
                position_length: 1,
            })
        });
        VnTokens { tokens, next: 0 }
    }
}

impl TokenStream for VnTokens {
    fn advance(&mut self) -> bool {
        self.next += 1;
        self.next <= self.tokens.len()
    }
    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }
    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
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

/// Writes the tantivy index for `docs` into `dir`, unless the one there was made from the
/// same input.
pub fn write(docs: &[SearchDoc], dir: &Path) -> Result<bool, String> {
    let stamp = {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        for d in docs {
            h.update(
                serde_json::to_string(&d.info)
                    .unwrap_or_default()
                    .as_bytes(),
            );
            h.update(d.head.as_bytes());
            h.update(d.body().as_bytes());
        }
        let digest = h.finalize();
        let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
        format!("v3 {hex}")
    };
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
    tokenizers.register(FOLDED, VnTokenizer { exact: false });
    tokenizers.register(EXACT, VnTokenizer { exact: true });
    let directory = tantivy::directory::MmapDirectory::open(&tmp).map_err(|e| err(&e))?;
    // One build makes one segment, indexed in this thread as documents come: no queue of
    // pending documents (the multi-threaded writer's would hold them all) and no merging.
    let mut writer = Index::builder()
        .schema(schema.clone())
        .tokenizers(tokenizers)
        .single_segment_index_writer::<TantivyDocument>(directory, 50_000_000)
        .map_err(|e| err(&e))?;
    let id = schema.get_field("id").map_err(|e| err(&e))?;
    let title = schema.get_field("title").map_err(|e| err(&e))?;
    let number = schema.get_field("number").map_err(|e| err(&e))?;
    let issuer = schema.get_field("issuer").map_err(|e| err(&e))?;
    let section = schema.get_field("section").map_err(|e| err(&e))?;
    for (ord, d) in docs.iter().enumerate() {
        let mut td = doc!(f.ord => ord as u64, id => d.info.id.clone(), title => d.info.title.clone(), f.body => d.body());
        // The head and the body as two values of the same fields: the same words as the
        // offline index, which reads them the same way.
        for text in [d.head.as_str(), d.body()] {
            td.add_text(f.all, text);
            td.add_text(f.all_exact, text);
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
        writer.add_document(td).map_err(|e| err(&e))?;
    }
    writer.finalize().map_err(|e| err(&e))?;
    let infos: Vec<&DocInfo> = docs.iter().map(|d| &d.info).collect();
    std::fs::write(
        tmp.join(DOCS_FILE),
        serde_json::to_vec(&infos).map_err(|e| err(&e))?,
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
        let searcher = reader.searcher();
        let mut addr = vec![tantivy::DocAddress::new(0, 0); docs.len()];
        let mut ords = Vec::new();
        for (si, seg) in searcher.segment_readers().iter().enumerate() {
            let col = seg.fast_fields().u64("ord").map_err(|e| err(&e))?;
            let mut seg_ords = vec![u32::MAX; seg.max_doc() as usize];
            for doc in 0..seg.max_doc() {
                if let Some(o) = col.first(doc) {
                    if let Some(slot) = addr.get_mut(o as usize) {
                        *slot = tantivy::DocAddress::new(si as u32, doc);
                        seg_ords[doc as usize] = o as u32;
                    }
                }
            }
            ords.push(seg_ords);
        }
        let facts = super::FactsTable::new(&docs);
        let identity = ords.len() == 1
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
