//! The build, step by step, with what it keeps between builds. A [`Builder`] made once and
//! run again after each edit (as `sotay serve` does) re-reads only changed files, re-renders
//! only Markdown whose inputs changed, and renders only pages whose fingerprint changed; a
//! fresh `Builder` does the whole build. Either way the output is the same, byte for byte.

use crate::config::Config;
use crate::content::{self, Content, PageKind};
use crate::diagnostics::{Diagnostics, Pos};
use crate::markdown::{self, Deps, Rendered};
use crate::search::index::{SearchDoc, TermCache};
use crate::write::{FileMeta, Sink};
use crate::{feeds, hash, render, search, theme, webapp, Ctx};
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

struct MdEntry {
    /// The source it was rendered from: the same `Arc` (the load cache's) means the same text.
    src: Arc<content::Source>,
    src_hash: u64,
    dep_key: u64,
    rendered: Arc<Rendered>,
}

/// The pages whose Markdown was rendered again, and whether they all have the anchors they
/// had before; `None` when every page was rendered (a one-shot build).
type Fresh = Option<(Vec<usize>, bool)>;

/// The result of one build.
pub struct Run {
    pub config: Config,
    pub content: Arc<Content>,
    pub rendered: Vec<Arc<Rendered>>,
    /// Every output file (also those not rewritten this time).
    pub files: BTreeMap<String, FileMeta>,
    /// The files given to the sink this time: what changed.
    pub changed: Vec<String>,
    pub search_docs: Vec<SearchDoc>,
    /// Pages whose Markdown was rendered this time (the rest came from the cache).
    pub markdown_rendered: usize,
    /// Pages whose template was rendered this time.
    pub pages_rendered: usize,
    pub warnings: Diagnostics,
}

/// Builds a site root again and again, keeping what it can between builds.
pub struct Builder {
    root: PathBuf,
    load: content::LoadCache,
    md: HashMap<String, MdEntry>,
    /// Previous outputs: path -> (page fingerprint, or 0 for other files; what was written).
    outputs: HashMap<String, (u64, FileMeta)>,
    assets: HashMap<PathBuf, (Option<SystemTime>, u64, FileMeta)>,
    terms: TermCache,
    /// The structure key (see [`structure_key`]) of the last build's Markdown step.
    md_key: u64,
    /// The content of the last build and what loading it said, to apply the next text edits
    /// to (see [`Builder::changed`]).
    content: Option<(Arc<Content>, Diagnostics)>,
    /// The paths the watcher saw change since the last build, if it knows.
    hint: Option<Vec<PathBuf>>,
    /// What the last build's pages knew (lists, terms, list entries), for the next.
    facts: Option<render::Facts>,
    /// The structure key of the last build whose every link anchor was checked and found.
    anchors_ok: Option<u64>,
    /// Keep sources and rendered pages for the next run (`sotay serve`); a one-shot build
    /// frees them as soon as they are used, to build large sites in little memory.
    keep: bool,
}

impl Builder {
    /// A builder for repeated builds of `root`.
    pub fn new(root: &Path) -> Builder {
        Builder {
            root: root.to_path_buf(),
            load: Default::default(),
            md: HashMap::new(),
            outputs: HashMap::new(),
            assets: HashMap::new(),
            terms: TermCache::default(),
            md_key: 0,
            content: None,
            hint: None,
            facts: None,
            anchors_ok: None,
            keep: true,
        }
    }

    /// A builder for one build: it keeps nothing between steps it does not need.
    pub fn one_shot(root: &Path) -> Builder {
        Builder {
            keep: false,
            ..Builder::new(root)
        }
    }

    /// Whether this builder keeps nothing between builds ([`Builder::one_shot`]).
    pub fn is_one_shot(&self) -> bool {
        !self.keep
    }

    /// Forgets the interned words of search (a one-shot build, once its indexes are made).
    /// The interned words of search: what the documents' `words` are ids of.
    pub fn terms(&self) -> &[String] {
        &self.terms.words
    }

    pub fn release_terms(&mut self) {
        self.terms = TermCache::default();
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Tells the next build which files changed (paths relative to the root, as the file
    /// watcher saw them). When they are only new text of existing pages, the next build reads
    /// just those files instead of walking `content/` again. Without it (or when the watcher
    /// lost events) the next build looks at every file.
    pub fn changed(&mut self, paths: Vec<PathBuf>) {
        self.hint = Some(paths);
    }

    /// Forgets what was written, so that the next run gives every file to its sink (after a
    /// failed write, or when the output folder was touched by someone else).
    pub fn forget_outputs(&mut self) {
        self.outputs.clear();
    }

    /// One build into `sink`.
    pub fn run(&mut self, sink: &dyn Sink) -> Result<Run, Diagnostics> {
        self.run_with(sink, &mut |_| {})
    }

    /// One build into `sink`, calling `pages_done` with the files given to the sink so far as
    /// soon as every page a member can open is there (all pages but the search page, with the
    /// theme's assets and the attachments they use): `sotay serve` reloads open pages then,
    /// while the offline index, feed, sitemap and service worker are still being made.
    #[allow(clippy::too_many_lines, reason = "split pending (issue 20)")]
    pub fn run_with(
        &mut self,
        sink: &dyn Sink,
        pages_done: &mut dyn FnMut(&[String]),
    ) -> Result<Run, Diagnostics> {
        let timer = Timer::new();
        let mut diags = Diagnostics::new();
        let config = Config::load(&self.root, &mut diags);
        let theme = theme::Theme::load(&self.root, &config.theme, &mut diags);
        let hint = self.hint.take();
        let mut previous = self.content.take();
        let mut same_structure = false;
        if let (Some((c, _)), Some(paths)) = (&mut previous, &hint) {
            same_structure = content::apply_text_edits(
                &self.root,
                &config,
                &mut self.load,
                Arc::make_mut(c),
                paths,
            );
        }
        let mut content = match previous {
            Some((c, load_diags)) if same_structure => {
                diags.extend(load_diags.clone());
                self.content = Some((c.clone(), load_diags));
                c
            }
            _ if self.keep => {
                let mut load_diags = Diagnostics::new();
                let c = Arc::new(content::load_cached(
                    &self.root,
                    &config,
                    &mut self.load,
                    &mut load_diags,
                ));
                diags.extend(load_diags.clone());
                self.content = Some((c.clone(), load_diags));
                c
            }
            _ => Arc::new(content::load(&self.root, &config, &mut diags)),
        };
        // A one-shot build hands each page's source to the Markdown step, which frees it as
        // soon as the page is rendered: sources and rendered pages are never all in memory.
        let sources: Option<Vec<Arc<content::Source>>> = (!self.keep).then(|| {
            Arc::make_mut(&mut content)
                .pages
                .iter_mut()
                .map(|p| {
                    let path = p.src.path.clone();
                    std::mem::replace(
                        &mut p.src,
                        Arc::new(content::Source::new(
                            path,
                            String::new(),
                            crate::diagnostics::LineIndex::new(""),
                            0,
                        )),
                    )
                })
                .collect()
        });
        let ctx = Ctx {
            config: &config,
            content: &content,
        };
        timer.step("load");

        let key = match (self.keep, same_structure) {
            (false, _) => 0,
            (true, true) => self.md_key,
            (true, false) => structure_key(&ctx),
        };
        let (rendered, markdown_rendered, fresh) = match sources {
            Some(sources) => one_shot_markdown(&ctx, sources, &mut diags),
            None => self.markdown(&ctx, key, &mut diags),
        };
        timer.step("markdown");
        // Every link's anchor was found last time, in the same structure, and no page
        // rendered again has other headings: only the links of the pages rendered again can
        // have broken.
        match &fresh {
            Some((fresh, true)) if self.anchors_ok == Some(key) => check_anchors(
                &ctx,
                &rendered,
                fresh.iter().map(|&i| &rendered[i]),
                &mut diags,
            ),
            _ => check_anchors(&ctx, &rendered, rendered.iter(), &mut diags),
        }
        self.anchors_ok = (self.keep && !diags.has_errors()).then_some(key);
        timer.step("anchors");
        // Nothing has been written yet: what `outputs` says about the output folder stays true.
        let Some(theme) = theme else {
            return Err(diags);
        };
        if diags.has_errors() {
            return Err(diags);
        }

        let mut rendered = rendered;
        let ctx = Ctx {
            config: &config,
            content: &content,
        };
        let mut files: BTreeMap<String, FileMeta> = BTreeMap::new();
        let mut changed: Vec<String> = Vec::new();
        let fail = |path: &str, e: std::io::Error| {
            let mut d = Diagnostics::new();
            d.error(path, Pos::FILE, format!("cannot write: {e}"));
            d
        };
        // From here files are written: until this run completes, `self.outputs` is empty, so a
        // failed run makes the next one give every file to its sink again.
        let previous = std::mem::take(&mut self.outputs);
        let outputs = &previous;
        let put_meta = |path: String,
                        bytes: &[u8],
                        meta: FileMeta,
                        files: &mut BTreeMap<String, FileMeta>,
                        changed: &mut Vec<String>|
         -> Result<(), Diagnostics> {
            if outputs.get(&path).is_none_or(|(_, m)| *m != meta) {
                sink.put(&path, bytes).map_err(|e| fail(&path, e))?;
                changed.push(path.clone());
            }
            files.insert(path, meta);
            Ok(())
        };
        let put = |path: String,
                   bytes: &[u8],
                   files: &mut BTreeMap<String, FileMeta>,
                   changed: &mut Vec<String>| {
            put_meta(path, bytes, FileMeta::of(bytes), files, changed)
        };

        // The theme's assets, the web manifest and the attachments first: a page that is
        // there (see `pages_done`) finds what it links to.
        for (url, bytes) in theme.assets.values() {
            put(
                url.trim_start_matches('/').to_string(),
                bytes,
                &mut files,
                &mut changed,
            )?;
        }
        let manifest = webapp::web_manifest(&ctx, &theme)
            .map_err(|e| fail("manifest.webmanifest", std::io::Error::other(e)))?;
        put(
            "manifest.webmanifest".into(),
            &manifest,
            &mut files,
            &mut changed,
        )?;
        put(
            "report-targets.json".into(),
            &ctx.config.targets_json(),
            &mut files,
            &mut changed,
        )?;
        for a in &content.assets {
            let path = a.url.trim_start_matches('/').to_string();
            let m = std::fs::metadata(&a.file).map_err(|e| fail(&a.path, e))?;
            let stamp = (m.modified().ok(), m.len());
            let meta = match self.assets.get(&a.file) {
                Some((t, n, meta)) if (*t, *n) == stamp && stamp.0.is_some() => meta.clone(),
                _ => {
                    let bytes = std::fs::read(&a.file).map_err(|e| fail(&a.path, e))?;
                    let meta = FileMeta::of(&bytes);
                    self.assets
                        .insert(a.file.clone(), (stamp.0, stamp.1, meta.clone()));
                    meta
                }
            };
            if outputs.get(&path).is_none_or(|(_, old)| *old != meta) {
                sink.copy(&path, &a.file).map_err(|e| fail(&a.path, e))?;
                changed.push(path.clone());
            }
            files.insert(path, meta);
        }
        timer.step("assets");

        // Every page but the search page (which names the search index, made below).
        let pages = render::Pages::with_facts(&ctx, &theme, &rendered, "", self.facts.take(), key);
        timer.step("pages: facts");
        // Only some pages' text changed: their own pages first, so that open copies reload
        // now; the pages that list them (and everything else) follow below, where these
        // are rendered again to the same bytes and not written twice.
        let mut told = false;
        if let (true, Some((fresh, _))) = (same_structure, &fresh) {
            let edited: Vec<render::Job> = fresh
                .iter()
                .filter(|&&i| content.pages[i].kind == content::PageKind::Document)
                .map(|&i| render::Job::Document(i))
                .collect();
            // What this pass records is recorded again by the full pass below (which also
            // reports any problem): only the paths written are kept.
            let mut early = Vec::new();
            let mut problems = Diagnostics::new();
            render_pages(
                &pages,
                &edited,
                outputs,
                sink,
                &mut BTreeMap::new(),
                &mut early,
                &mut HashMap::new(),
                &mut 0,
                &mut problems,
            );
            if !early.is_empty() && !problems.has_errors() {
                pages_done(&early);
                told = true;
            }
            timer.step("pages: the edited ones");
        }
        let (search_jobs, jobs): (Vec<render::Job>, Vec<render::Job>) = pages
            .jobs()
            .into_iter()
            .partition(|j| matches!(j, render::Job::Search));
        let mut fingerprints: HashMap<String, u64> = HashMap::new();
        let mut pages_rendered = 0;
        render_pages(
            &pages,
            &jobs,
            outputs,
            sink,
            &mut files,
            &mut changed,
            &mut fingerprints,
            &mut pages_rendered,
            &mut diags,
        );
        timer.step("pages");
        if diags.has_errors() {
            return Err(diags);
        }
        if !told {
            pages_done(&changed);
        }
        // Kept for the search page when sources are kept anyway (an incremental build); a
        // one-shot build frees the page bodies first, now that they are in their pages, before
        // search needs the memory, and makes the search page's `Pages` again.
        let kept = if self.keep {
            Some(pages)
        } else {
            drop(pages);
            for r in &mut rendered {
                if let Some(r) = Arc::get_mut(r) {
                    r.html = String::new();
                    r.anchors = Default::default();
                    r.checks = Vec::new();
                }
            }
            None
        };

        let search_docs = self.terms.documents(&ctx, &rendered, self.keep);
        timer.step("search documents");
        // The feed and the catalog do not depend on the index: made alongside it.
        let terms = &self.terms;
        let (index, (atom, catalog)) = rayon::join(
            || {
                let passes = if self.keep { 1 } else { 4 };
                search::shards::build(&search_docs, terms, &config.kinds, passes)
            },
            || (feeds::atom(&ctx, &rendered), feeds::catalog(&ctx)),
        );
        timer.step("offline index, feed and catalog");
        let index_url = format!("/{}", index.root);
        for f in index.files {
            let meta = FileMeta {
                hash: f.hash,
                size: f.bytes.len() as u64,
            };
            put_meta(f.path, &f.bytes, meta, &mut files, &mut changed)?;
        }
        let pages = match kept {
            Some(mut p) => {
                p.set_search_index(&index_url);
                p
            }
            None => render::Pages::new(&ctx, &theme, &rendered, &index_url),
        };
        render_pages(
            &pages,
            &search_jobs,
            outputs,
            sink,
            &mut files,
            &mut changed,
            &mut fingerprints,
            &mut pages_rendered,
            &mut diags,
        );
        if self.keep {
            self.facts = Some(pages.into_facts());
        }
        timer.step("search page");
        if diags.has_errors() {
            return Err(diags);
        }

        put("atom.xml".into(), atom.as_bytes(), &mut files, &mut changed)?;
        // The sitemap lists the pages with their dates: the same structure, the same sitemap.
        match outputs.get("sitemap.xml") {
            Some((_, meta)) if same_structure => {
                files.insert("sitemap.xml".into(), meta.clone());
            }
            _ => {
                let html_paths: Vec<String> = files
                    .keys()
                    .filter(|k| k.ends_with(".html"))
                    .cloned()
                    .collect();
                let sitemap = feeds::sitemap(&ctx, &html_paths);
                put(
                    "sitemap.xml".into(),
                    sitemap.as_bytes(),
                    &mut files,
                    &mut changed,
                )?
            }
        }
        put(
            "catalog.json".into(),
            catalog.as_bytes(),
            &mut files,
            &mut changed,
        )?;
        timer.step("feed, sitemap and catalog");
        for (path, bytes) in webapp::service_worker(&ctx, &theme, &files)
            .map_err(|e| fail("sw.js", std::io::Error::other(e)))?
        {
            put(path, &bytes, &mut files, &mut changed)?;
        }

        self.outputs = files
            .iter()
            .map(|(p, m)| {
                (
                    p.clone(),
                    (fingerprints.get(p).copied().unwrap_or(0), m.clone()),
                )
            })
            .collect();
        changed.sort();
        timer.step("service worker");
        Ok(Run {
            config,
            content,
            rendered,
            files,
            changed,
            search_docs,
            markdown_rendered,
            pages_rendered,
            warnings: diags,
        })
    }

    /// Renders the Markdown of every page whose source or inputs changed; reuses the rest.
    /// Also says which pages were rendered again, and whether none of them has other anchors
    /// than before (so that only their links need checking).
    #[allow(clippy::too_many_lines, reason = "split pending (issue 20)")]
    fn markdown(
        &mut self,
        ctx: &Ctx,
        key: u64,
        diags: &mut Diagnostics,
    ) -> (Vec<Arc<Rendered>>, usize, Fresh) {
        let c = ctx.content;
        // The same structure: every input of a page's Markdown but its own text is the same,
        // so an entry of an unchanged file is a hit without looking at its dependencies.
        let same_structure = key != 0 && key == self.md_key;
        self.md_key = key;
        let config_key = hash::of(&format!("{:?}", ctx.config));
        // Everything `doc-list` and `meeting` show, for pages that use them: hashed only if a
        // page that uses them needs its key (never in a rebuild after text edits alone).
        let lists_key = std::cell::OnceCell::new();
        let lists_key = || {
            *lists_key.get_or_init(|| {
                hash::of(
                    &c.pages
                        .iter()
                        .filter(|p| p.kind == PageKind::Document)
                        .map(|p| {
                            (
                                &p.fm,
                                &p.url,
                                &p.id,
                                p.parent.map(|s| c.pages[s].id.as_str()),
                            )
                        })
                        .collect::<Vec<_>>(),
                )
            })
        };
        let dep_key = |deps: &Deps| -> u64 {
            let pages: Vec<Option<(&str, &str, &str)>> = deps
                .pages
                .iter()
                .map(|path| {
                    c.by_path.get(path).map(|&i| {
                        (
                            c.pages[i].url.as_str(),
                            c.pages[i].fm.title.as_str(),
                            c.pages[i].id.as_str(),
                        )
                    })
                })
                .collect();
            let assets: Vec<Option<(&str, &str, u64)>> = deps
                .assets
                .iter()
                .map(|path| {
                    c.asset_by_path.get(path).map(|&a| {
                        (
                            c.assets[a].url.as_str(),
                            c.assets[a].name.as_str(),
                            c.assets[a].size,
                        )
                    })
                })
                .collect();
            let partials: Vec<Option<u64>> = deps
                .partials
                .iter()
                .map(|path| c.partials.get(path).map(|s| hash::fast(s.text.as_bytes())))
                .collect();
            hash::of(&(
                config_key,
                pages,
                assets,
                partials,
                deps.lists.then(lists_key),
            ))
        };
        let keys: Vec<(u64, Option<Arc<Rendered>>)> = c
            .pages
            .iter()
            .map(|p| {
                let entry = self.md.get(&p.src.path);
                let src_hash = match entry {
                    Some(e) if Arc::ptr_eq(&e.src, &p.src) => e.src_hash,
                    _ => hash::fast(p.src.text.as_bytes()),
                };
                let hit = entry
                    .filter(|e| {
                        e.src_hash == src_hash
                            && ((same_structure && Arc::ptr_eq(&e.src, &p.src))
                                || e.dep_key == dep_key(&e.rendered.deps))
                    })
                    .map(|e| e.rendered.clone());
                (src_hash, hit)
            })
            .collect();
        let fresh: Vec<(usize, Rendered)> = keys
            .par_iter()
            .enumerate()
            .filter(|(_, (_, hit))| hit.is_none())
            .map(|(i, _)| (i, markdown::render(ctx, i)))
            .collect();
        let count = fresh.len();
        let mut same_anchors = true;
        let fresh_pages: Vec<usize> = fresh.iter().map(|(i, _)| *i).collect();
        let mut by_index: HashMap<usize, Arc<Rendered>> = HashMap::new();
        for (i, mut r) in fresh {
            same_anchors &= self
                .md
                .get(&c.pages[i].src.path)
                .is_some_and(|e| e.rendered.anchors == r.anchors);
            let errors = std::mem::take(&mut r.diags);
            let ok = !errors.has_errors();
            diags.extend(errors);
            let r = Arc::new(r);
            if ok && self.keep {
                let path = c.pages[i].src.path.clone();
                let key = dep_key(&r.deps);
                self.md.insert(
                    path,
                    MdEntry {
                        src: c.pages[i].src.clone(),
                        src_hash: keys[i].0,
                        dep_key: key,
                        rendered: r.clone(),
                    },
                );
            } else {
                self.md.remove(&c.pages[i].src.path);
            }
            by_index.insert(i, r);
        }
        let rendered: Vec<Arc<Rendered>> = keys
            .into_iter()
            .enumerate()
            .map(|(i, (_, hit))| hit.or_else(|| by_index.remove(&i)).unwrap_or_default())
            .collect();
        if !same_structure {
            let live: std::collections::HashSet<&str> =
                c.pages.iter().map(|p| p.src.path.as_str()).collect();
            self.md.retain(|k, _| live.contains(k.as_str()));
        }
        (rendered, count, Some((fresh_pages, same_anchors)))
    }
}

/// The Markdown of every page, each source freed once its page is rendered.
fn one_shot_markdown(
    ctx: &Ctx,
    sources: Vec<Arc<content::Source>>,
    diags: &mut Diagnostics,
) -> (Vec<Arc<Rendered>>, usize, Fresh) {
    let mut out: Vec<Rendered> = sources
        .into_par_iter()
        .enumerate()
        .map(|(i, src)| markdown::render_source(ctx, i, &src))
        .collect();
    for r in &mut out {
        diags.extend(std::mem::take(&mut r.diags));
    }
    let n = out.len();
    (out.into_iter().map(Arc::new).collect(), n, None)
}

/// Renders the pages of `jobs` whose fingerprint changed, in parallel, into `sink`.
#[allow(clippy::too_many_arguments)]
fn render_pages(
    pages: &render::Pages,
    jobs: &[render::Job],
    outputs: &HashMap<String, (u64, FileMeta)>,
    sink: &dyn Sink,
    files: &mut BTreeMap<String, FileMeta>,
    changed: &mut Vec<String>,
    fingerprints: &mut HashMap<String, u64>,
    rendered_count: &mut usize,
    diags: &mut Diagnostics,
) {
    let results: Vec<Result<(String, u64, FileMeta, bool), crate::diagnostics::Diagnostic>> = jobs
        .par_iter()
        .map(|job| {
            let path = pages.path(job);
            let fp = pages.fingerprint(job);
            if let Some((old_fp, meta)) = outputs.get(&path) {
                if *old_fp == fp {
                    return Ok((path, fp, meta.clone(), false));
                }
            }
            let (_, html) = pages.render(job)?;
            let meta = FileMeta::of(&html);
            if outputs.get(&path).is_none_or(|(_, m)| *m != meta) {
                sink.put(&path, &html).map_err(|e| {
                    crate::diagnostics::Diagnostic::error(
                        path.clone(),
                        Pos::FILE,
                        format!("cannot write: {e}"),
                    )
                })?;
                return Ok((path, fp, meta, true));
            }
            Ok((path, fp, meta, false))
        })
        .collect();
    for r in results {
        match r {
            Ok((path, fp, meta, wrote)) => {
                if wrote {
                    changed.push(path.clone());
                }
                if outputs.get(&path).is_none_or(|(old, _)| *old != fp) {
                    *rendered_count += 1;
                }
                fingerprints.insert(path.clone(), fp);
                files.insert(path, meta);
            }
            Err(d) => diags.push(d),
        }
    }
}

/// Links to `page#anchor` in other pages, checked now that all anchors are known: those of
/// the pages `of`.
fn check_anchors<'r>(
    ctx: &Ctx,
    rendered: &[Arc<Rendered>],
    of: impl Iterator<Item = &'r Arc<Rendered>>,
    diags: &mut Diagnostics,
) {
    for r in of {
        for c in &r.checks {
            let Some(&page) = ctx.content.by_path.get(&c.target) else {
                continue;
            };
            let target = &rendered[page];
            if !target.anchors.contains(&c.anchor) {
                let p = &ctx.content.pages[page];
                let near = crate::diagnostics::suggestion(
                    &c.anchor,
                    target.headings.iter().map(|h| h.anchor.as_str()),
                );
                diags.error(
                    &c.file,
                    c.pos,
                    format!(
                        "{} has no heading with anchor \"#{}\"{near}",
                        p.src.path, c.anchor
                    ),
                );
            }
        }
    }
}

/// A hash of everything in the site but the Markdown bodies: configuration, every page's
/// place, URL, id and front matter, the attachments and the partials. Two builds with the same
/// key differ only in the text of some pages.
fn structure_key(ctx: &Ctx) -> u64 {
    let c = ctx.content;
    let mut partials: Vec<(&String, u64)> = c
        .partials
        .iter()
        .map(|(k, s)| (k, hash::fast(s.text.as_bytes())))
        .collect();
    partials.sort();
    let key = hash::of(&(
        format!("{:?}", ctx.config),
        c.pages
            .iter()
            .map(|p| {
                (
                    p.kind as u8,
                    &p.src.path,
                    &p.url,
                    &p.id,
                    p.parent,
                    &p.children,
                    &p.attachments,
                    &p.fm,
                )
            })
            .collect::<Vec<_>>(),
        c.assets
            .iter()
            .map(|a| (&a.path, &a.url, &a.name, a.size))
            .collect::<Vec<_>>(),
        partials,
        &c.drafts,
    ));
    // 0 means "no key" (a one-shot build).
    key.max(1)
}

/// Prints how long each step took when `SOTAY_TIMINGS` is set (for profiling builds).
struct Timer {
    on: bool,
    last: std::cell::Cell<std::time::Instant>,
}

impl Timer {
    fn new() -> Timer {
        Timer {
            on: std::env::var_os("SOTAY_TIMINGS").is_some(),
            last: std::cell::Cell::new(std::time::Instant::now()),
        }
    }
    fn step(&self, name: &str) {
        if self.on {
            let now = std::time::Instant::now();
            let rss = std::fs::read_to_string("/proc/self/status")
                .ok()
                .and_then(|s| {
                    s.lines()
                        .find(|l| l.starts_with("VmRSS:"))
                        .map(|l| l.trim_start_matches("VmRSS:").trim().to_string())
                })
                .unwrap_or_default();
            eprintln!(
                "timing: {name}: {} ms, rss {rss}",
                now.duration_since(self.last.get()).as_millis()
            );
            self.last.set(now);
        }
    }
}
