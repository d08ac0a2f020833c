//! The build, step by step ([`Builder::run_with`]): load -> Markdown -> anchors -> assets ->
//! pages -> search -> feeds -> service worker, each step a function here or in the module
//! named after it, writing into one [`Outputs`]. A [`Builder`] made once and run again after
//! each edit (as `sotay serve` does) keeps what it can in its [`Cache`]: it re-reads only
//! changed files, re-renders only Markdown whose inputs changed, and renders only pages whose
//! fingerprint changed; a fresh `Builder` does the whole build. Either way the output is the
//! same, byte for byte.

use crate::cache::{self, Bodies, Cache};
use crate::config::Config;
use crate::content::{self, Content, PageKind};
use crate::diagnostics::{Diagnostics, LineIndex};
use crate::markdown::Rendered;
use crate::outputs::{cannot_write, Outputs};
use crate::render::{Job, Pages};
use crate::search::index::{SearchDoc, TermCache};
use crate::theme::Theme;
use crate::write::{FileMeta, Sink};
use crate::{feeds, search, webapp, Ctx};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

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
    cache: Cache,
    /// The paths the watcher saw change since the last build, if it knows.
    hint: Option<Vec<PathBuf>>,
    /// Keep sources and rendered pages for the next run (`sotay serve`); a one-shot build
    /// frees them as soon as they are used, to build large sites in little memory.
    keep: bool,
    /// Where to write the tantivy index, alongside the browser's index (see
    /// [`Builder::index_into`]); `None`: the caller makes it from the run's documents.
    index_dir: Option<PathBuf>,
}

/// The feed and the catalog, made alongside the search index.
struct Feeds {
    atom: String,
    catalog: String,
    meetings: String,
}

impl Builder {
    /// A builder for repeated builds of `root`.
    pub fn new(root: &Path) -> Builder {
        Builder {
            root: root.to_path_buf(),
            cache: Cache::default(),
            hint: None,
            keep: true,
            index_dir: None,
        }
    }

    /// A builder for one build: it keeps nothing between steps it does not need.
    pub fn one_shot(root: &Path) -> Builder {
        Builder {
            keep: false,
            ..Builder::new(root)
        }
    }

    /// Makes the next run write the tantivy index into `dir` too, while the browser's index,
    /// the feeds and the service worker are made (the cores they leave idle). A run whose
    /// tantivy index fails to be written fails.
    pub fn index_into(&mut self, dir: PathBuf) {
        self.index_dir = Some(dir);
    }

    /// Whether this builder keeps nothing between builds ([`Builder::one_shot`]).
    pub fn is_one_shot(&self) -> bool {
        !self.keep
    }

    /// The interned words of search: what the documents' `words` are ids of.
    pub fn terms(&self) -> &[String] {
        &self.cache.terms.words
    }

    /// Forgets the interned words of search (a one-shot build, once its indexes are made).
    pub fn release_terms(&mut self) {
        self.cache.terms = TermCache::default();
        self.cache.shards = Default::default();
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
        self.cache.outputs.clear();
    }

    /// One build into `sink`.
    pub fn run(&mut self, sink: &dyn Sink) -> Result<Run, Diagnostics> {
        self.run_with(sink, &mut |_| {})
    }

    /// One build into `sink`, calling `pages_done` with the files given to the sink so far as
    /// soon as every page a member can open is there (all pages but the search page, with the
    /// theme's assets and the attachments they use): `sotay serve` reloads open pages then,
    /// while the offline index, feed, sitemap and service worker are still being made.
    pub fn run_with(
        &mut self,
        sink: &dyn Sink,
        pages_done: &mut dyn FnMut(&[String]),
    ) -> Result<Run, Diagnostics> {
        let timer = Timer::new();
        let mut diags = Diagnostics::new();
        let config = Config::load(&self.root, &mut diags);
        let theme = Theme::load(&self.root, &config.theme, &mut diags);
        let (content, sources, text_only) = self.load(&config, &mut diags);
        let ctx = Ctx {
            config: &config,
            content: &content,
        };
        timer.step("load");
        let mut md = match sources {
            Some(sources) => cache::one_shot_markdown(&ctx, sources, &mut diags),
            None => self.markdown(&ctx, text_only, &mut diags),
        };
        timer.step("markdown");
        self.cache.anchors_ok = check_anchors(&ctx, &md, self.cache.anchors_ok, &mut diags);
        timer.step("anchors");
        // Nothing has been written yet: what the cache says of the output folder stays true.
        let Some(theme) = theme.filter(|_| !diags.has_errors()) else {
            return Err(diags);
        };

        // From here files are written: until this run completes, the cache holds no outputs,
        // so a failed run makes the next one give every file to its sink again.
        let mut out = Outputs::new(sink, std::mem::take(&mut self.cache.outputs));
        if !self.keep {
            out = out.once();
        }
        assets(&ctx, &theme, &mut self.cache.assets, &mut out)?;
        timer.step("assets");
        let facts = self.cache.facts.take();
        let pages = Pages::with_facts(&ctx, &theme, &md.rendered, "", facts, md.key);
        timer.step("pages: facts");
        // The pages whose Markdown was rendered again (after a text edit, the edited ones;
        // after a title edit, also the pages that link to it) are written first when they
        // are few: open pages reload before every other page's fingerprint is checked.
        let edited = md.fresh_pages().filter(|f| f.len() <= EDITED_FIRST);
        write_pages(&pages, edited, &mut out, pages_done, &mut diags);
        timer.step("pages");
        if diags.has_errors() {
            return Err(diags);
        }
        // Kept for the search page in an incremental build; a one-shot build keeps only their
        // facts and frees the page bodies, now that they are in their pages, before search
        // needs the memory.
        let kept = if self.keep {
            Kept::Pages(pages)
        } else {
            let facts = pages.into_own_facts();
            free_bodies(&mut md.rendered);
            Kept::Facts(facts)
        };

        let (search_docs, index_url, feeds) = self.search(&ctx, &md.rendered, &mut out, &timer)?;
        let pages = match kept {
            Kept::Pages(pages) => pages.with_search_index(&index_url),
            Kept::Facts(facts) => Pages::from_facts(&ctx, &theme, &md.rendered, &index_url, facts),
        };
        out.pages(&pages, &[Job::Search], &mut diags);
        if self.keep {
            self.cache.facts = Some(pages.into_facts());
        }
        timer.step("search page");
        if diags.has_errors() {
            return Err(diags);
        }

        write_feeds(&ctx, feeds, text_only, &mut out)?;
        timer.step("feed, sitemap and catalog");
        write_service_worker(&ctx, &theme, &mut out)?;
        let written = out.finish();
        self.cache.outputs = written.for_next;
        timer.step("service worker");
        Ok(Run {
            config,
            content,
            rendered: md.rendered,
            files: written.files,
            changed: written.changed,
            search_docs,
            markdown_rendered: md.count,
            pages_rendered: written.pages_rendered,
            warnings: diags,
        })
    }

    /// Reads `content/`: after text edits alone (the watcher's paths, see
    /// [`Builder::changed`]) only the edited files, into the last build's content; else every
    /// file that changed (a builder that keeps its work) or every file (a one-shot build,
    /// whose sources are then taken out, for the Markdown step to free one by one). Says
    /// whether only the text of some pages changed.
    fn load(
        &mut self,
        config: &Config,
        diags: &mut Diagnostics,
    ) -> (Arc<Content>, Option<Vec<Arc<content::Source>>>, bool) {
        let hint = self.hint.take();
        let mut previous = self.cache.content.take();
        let mut text_only = false;
        if let (Some((c, _)), Some(paths)) = (&mut previous, &hint) {
            let (root, load) = (&self.root, &mut self.cache.load);
            text_only = content::apply_text_edits(root, config, load, Arc::make_mut(c), paths);
        }
        let mut content = match previous {
            Some((c, load_diags)) if text_only => {
                diags.extend(load_diags.clone());
                self.cache.content = Some((c.clone(), load_diags));
                c
            }
            _ if self.keep => {
                let mut load_diags = Diagnostics::new();
                let c =
                    content::load_cached(&self.root, config, &mut self.cache.load, &mut load_diags);
                let c = Arc::new(c);
                diags.extend(load_diags.clone());
                self.cache.content = Some((c.clone(), load_diags));
                c
            }
            _ => Arc::new(content::load(&self.root, config, diags)),
        };
        let sources = (!self.keep).then(|| take_sources(&mut content));
        (content, sources, text_only)
    }

    /// The search words of every document, and the browser's search index made from them
    /// (its files into `out`), with the feed and the catalog made alongside (they do not
    /// depend on it). Returns the documents, the URL of the index's root, and the feeds.
    fn search(
        &mut self,
        ctx: &Ctx,
        rendered: &[Arc<Rendered>],
        out: &mut Outputs,
        timer: &Timer,
    ) -> Result<(Vec<SearchDoc>, String, Feeds), Diagnostics> {
        let docs = self.cache.terms.documents(ctx, rendered, self.keep);
        timer.step("search documents");
        let index_dir = self.index_dir.take();
        let (terms, shards, keep) = (&self.cache.terms, &mut self.cache.shards, self.keep);
        let kinds = &ctx.config.kinds;
        let ((index, feeds), tantivy) = rayon::join(
            || {
                rayon::join(
                    || match keep {
                        // Only what the edits touched is encoded again.
                        true => shards.build(&docs, terms, kinds),
                        // A one-shot build fills the postings in four passes, to keep its
                        // peak memory low.
                        false => search::shards::build(&docs, terms, kinds, 4),
                    },
                    || Feeds {
                        atom: feeds::atom(ctx, rendered),
                        catalog: feeds::catalog(ctx),
                        meetings: feeds::meetings(ctx),
                    },
                )
            },
            // The documents' words, already made for the browser's index, go to tantivy as
            // they are.
            || {
                index_dir.as_ref().map(|dir| {
                    search::index::write(&docs, dir, Some(&terms.words)).map_err(|e| (dir, e))
                })
            },
        );
        if let Some(Err((dir, e))) = tantivy {
            let mut d = Diagnostics::new();
            d.error(&dir.display().to_string(), crate::diagnostics::Pos::FILE, e);
            return Err(d);
        }
        for f in index.files {
            let meta = FileMeta {
                hash: f.hash.clone(),
                size: f.bytes.len() as u64,
            };
            out.put_hashed(f.path.clone(), &f.bytes, meta)?;
        }
        Ok((docs, format!("/{}", index.root), feeds))
    }

    /// The Markdown of a builder that keeps its work, under the site's structure key: after
    /// text edits alone the structure is the last build's (see [`cache::structure_key`]).
    fn markdown(&mut self, ctx: &Ctx, text_only: bool, diags: &mut Diagnostics) -> Bodies {
        let key = if text_only {
            self.cache.markdown.key
        } else {
            cache::structure_key(ctx)
        };
        self.cache.markdown.render(ctx, key, diags)
    }
}

/// What the search page is rendered from once the search index is made: the pages (a builder
/// that keeps its work), or only their facts (a one-shot build, which has freed the bodies).
enum Kept<'a> {
    Pages(Pages<'a>),
    Facts(crate::render::Facts),
}

/// Takes every page's source out of `content` (a one-shot build hands each to the Markdown
/// step, which frees it as soon as the page is rendered: sources and rendered pages are never
/// all in memory).
fn take_sources(content: &mut Arc<Content>) -> Vec<Arc<content::Source>> {
    Arc::make_mut(content)
        .pages
        .iter_mut()
        .map(|p| {
            let empty =
                content::Source::new(p.src.path.clone(), String::new(), LineIndex::new(), 0);
            std::mem::replace(&mut p.src, Arc::new(empty))
        })
        .collect()
}

/// `sw.js` and its precache list, which names every other file with its hash.
fn write_service_worker(ctx: &Ctx, theme: &Theme, out: &mut Outputs) -> Result<(), Diagnostics> {
    let files = webapp::service_worker(ctx, theme, &out.files)
        .map_err(|e| cannot_write("sw.js", std::io::Error::other(e)))?;
    for (path, bytes) in files {
        out.put(path, &bytes)?;
    }
    Ok(())
}

/// Checks the links to anchors in other pages, now that every page's anchors are known. When
/// every one was found last time in the same structure (`checked` is its key) and no page
/// rendered again has other headings than before, only the links of the pages rendered again
/// can have broken. Returns the key to remember: this build's when every anchor was found.
fn check_anchors(
    ctx: &Ctx,
    md: &Bodies,
    checked: Option<u64>,
    diags: &mut Diagnostics,
) -> Option<u64> {
    match &md.fresh {
        Some((fresh, true)) if checked == Some(md.key) => {
            let of = fresh.iter().map(|&i| &md.rendered[i]);
            check_links(ctx, &md.rendered, of, diags);
        }
        _ => check_links(ctx, &md.rendered, md.rendered.iter(), diags),
    }
    // Key 0 is a one-shot build's, which keeps nothing.
    (md.key != 0 && !diags.has_errors()).then_some(md.key)
}

/// The theme's files, the web manifest, the report targets and the attachments, before the
/// pages: a page that is there (see `pages_done`) finds what it links to.
fn assets(
    ctx: &Ctx,
    theme: &Theme,
    stamps: &mut cache::AssetStamps,
    out: &mut Outputs,
) -> Result<(), Diagnostics> {
    for (url, bytes) in theme.assets.values() {
        out.put(url.trim_start_matches('/').to_string(), bytes)?;
    }
    let manifest = webapp::web_manifest(ctx, theme)
        .map_err(|e| cannot_write("manifest.webmanifest", std::io::Error::other(e)))?;
    out.put("manifest.webmanifest".into(), &manifest)?;
    out.put("report-targets.json".into(), &ctx.config.targets_json())?;
    for a in &ctx.content.assets {
        let meta = attachment(a, stamps).map_err(|e| cannot_write(&a.path, e))?;
        let path = a.url.trim_start_matches('/').to_string();
        out.copy(path, &a.file, meta)
            .map_err(|e| cannot_write(&a.path, e))?;
    }
    Ok(())
}

/// What an attachment is, read again only when its modification time or size changed.
fn attachment(a: &content::Asset, stamps: &mut cache::AssetStamps) -> std::io::Result<FileMeta> {
    let m = std::fs::metadata(&a.file)?;
    let stamp = (m.modified().ok(), m.len());
    match stamps.get(&a.file) {
        Some((t, n, meta)) if (*t, *n) == stamp && stamp.0.is_some() => Ok(meta.clone()),
        _ => {
            let meta = FileMeta::of(&std::fs::read(&a.file)?);
            stamps.insert(a.file.clone(), (stamp.0, stamp.1, meta.clone()));
            Ok(meta)
        }
    }
}

/// At most this many pages rendered again are written ahead of the others (see
/// [`edited_first`]); more, and they are written with the rest.
const EDITED_FIRST: usize = 16;

/// Every page but the search page (which names the search index, made later), then
/// `pages_done` unless there was a problem. When few pages were rendered again (`edited`:
/// after a text edit, the edited ones; after a title edit, also the pages that link to it),
/// their documents' own pages go first, so that open copies reload at once; the pages that
/// list them (and everything else) follow.
fn write_pages(
    pages: &Pages,
    edited: Option<&[usize]>,
    out: &mut Outputs,
    pages_done: &mut dyn FnMut(&[String]),
    diags: &mut Diagnostics,
) {
    let ahead = edited.map_or_else(Vec::new, |edited| {
        edited_first(pages, edited, out, pages_done)
    });
    let told = !ahead.is_empty();
    let jobs: Vec<Job> = pages
        .jobs()
        .into_iter()
        .filter(|j| !matches!(j, Job::Search) && !ahead.contains(j))
        .collect();
    out.pages(pages, &jobs, diags);
    if !told && !diags.has_errors() {
        pages_done(&out.changed);
    }
}

/// The documents among `edited`, rendered and written ahead of the others, with `pages_done`
/// told of them; the jobs done (none if nothing was written, or there was a problem, which
/// the other pages' step then reports).
fn edited_first(
    pages: &Pages,
    edited: &[usize],
    out: &mut Outputs,
    pages_done: &mut dyn FnMut(&[String]),
) -> Vec<Job> {
    let timer = Timer::new();
    let c = pages.ctx.content;
    let jobs: Vec<Job> = edited
        .iter()
        .filter(|&&i| c.pages[i].kind == PageKind::Document)
        .map(|&i| Job::Document(i))
        .collect();
    let done = match out.pages_ahead(pages, &jobs) {
        Some(written) if !written.is_empty() => {
            pages_done(&written);
            jobs
        }
        _ => Vec::new(),
    };
    timer.step("pages: the edited ones");
    done
}

/// Frees the page bodies, now that they are in their pages (a one-shot build, before search
/// needs the memory).
fn free_bodies(rendered: &mut [Arc<Rendered>]) {
    for r in rendered {
        if let Some(r) = Arc::get_mut(r) {
            r.html = String::new();
            r.anchors = Default::default();
            r.checks = Vec::new();
        }
    }
}

/// The Atom feed, the sitemap, the catalog and the meetings' documents. The sitemap lists the
/// pages with their dates: after text edits alone (the same structure), the last build's
/// stands.
fn write_feeds(
    ctx: &Ctx,
    feeds: Feeds,
    text_only: bool,
    out: &mut Outputs,
) -> Result<(), Diagnostics> {
    out.put("atom.xml".into(), feeds.atom.as_bytes())?;
    if !(text_only && out.keep("sitemap.xml")) {
        let pages: Vec<String> = out
            .files
            .keys()
            .filter(|k| k.ends_with(".html"))
            .cloned()
            .collect();
        out.put("sitemap.xml".into(), feeds::sitemap(ctx, &pages).as_bytes())?;
    }
    out.put("meetings.json".into(), feeds.meetings.as_bytes())?;
    out.put("catalog.json".into(), feeds.catalog.as_bytes())
}

/// The links to `page#anchor` in other pages that the pages `of` hold, checked against
/// `rendered`.
fn check_links<'r>(
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

/// Prints how long each step took when `SOTAY_TIMINGS` is set (for profiling builds).
struct Timer {
    on: bool,
    last: std::cell::Cell<std::time::Instant>,
    /// The process's CPU time (user + system, all threads) at the last step, in ms.
    cpu: std::cell::Cell<u64>,
}

/// The CPU time this process has used so far (user + system, all threads), in milliseconds,
/// from `/proc/self/stat` (0 where there is none).
fn cpu_ms() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The fields after the command name (which may hold spaces) in parentheses.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<u64> = rest
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|v| v.parse().ok())
        .collect();
    // Clock ticks: 100 per second on Linux.
    f.iter().sum::<u64>() * 10
}

impl Timer {
    fn new() -> Timer {
        Timer {
            on: std::env::var_os("SOTAY_TIMINGS").is_some(),
            last: std::cell::Cell::new(std::time::Instant::now()),
            cpu: std::cell::Cell::new(cpu_ms()),
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
            let cpu = cpu_ms();
            eprintln!(
                "timing: {name}: {} ms, cpu {} ms, rss {rss}",
                now.duration_since(self.last.get()).as_millis(),
                cpu.saturating_sub(self.cpu.get())
            );
            self.last.set(now);
            self.cpu.set(cpu);
        }
    }
}
