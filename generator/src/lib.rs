//! sotay's generator: a folder of Markdown documents with YAML front matter and directives
//! becomes a static handbook site that members can read on a cheap phone, online or offline.
//!
//! The build is [`pipeline::Builder::run_with`], top to bottom:
//! 1. [`config`] reads `sotay.yaml` (optional), [`theme`] the templates and static files;
//! 2. [`content`] walks `content/`, reads front matter, gives every page its URL and id;
//! 3. [`markdown`] renders every page's Markdown in parallel (directives in [`directives`] and
//!    [`widgets`], anchors in [`anchors`], links in [`links`]);
//! 4. links to anchors in other pages are checked, now that every page's anchors are known;
//! 5. the theme's files and the attachments, then [`render`] fills the templates of every
//!    page;
//! 6. [`search`] makes the browser's search index, [`feeds`] the Atom feed, sitemap and
//!    catalog, [`webapp`] the service worker and its precache list;
//! 7. every file goes to [`outputs`], which gives a [`write::Sink`] only what changed.
//!
//! What a builder keeps between builds is its [`cache::Cache`]. [`build`] writes a site (and
//! its tantivy index) to disk, [`generate`] makes one in memory, [`check`] only checks.
//!
//! Invariants: the generator never talks to the network; the same input gives byte-identical
//! output; any problem in the input is reported with its file, line and column, all of them
//! in one run, and nothing is written when there is an error.
#![warn(clippy::too_many_lines)]

pub mod anchors;
pub mod cache;
pub mod config;
pub mod content;
pub mod diagnostics;
pub mod directives;
pub mod feeds;
pub mod frontmatter;
pub mod hash;
pub mod html;
pub mod links;
pub mod markdown;
pub mod outputs;
pub mod pipeline;
pub mod render;
pub mod search;
pub mod text;
pub mod theme;
pub mod webapp;
pub mod widgets;
pub mod write;
mod yaml;

use config::Config;
use content::Content;
use diagnostics::{Diagnostics, Pos};
use markdown::Rendered;
pub use pipeline::{Builder, Run};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
pub use write::{FileMeta, Output};

/// What every rendering step needs to know about the site.
pub struct Ctx<'a> {
    pub config: &'a Config,
    pub content: &'a Content,
}

impl Ctx<'_> {
    /// The link to a site-relative URL path, with the site's base path in front.
    pub fn href(&self, url: &str) -> String {
        let base = self.config.base_path.trim_end_matches('/');
        format!("{base}{url}")
    }

    /// The absolute URL of a site-relative URL path: `base_url` already ends with the base
    /// path, so the path is appended to it once (not `href`, which would add it again).
    pub fn absolute(&self, url: &str) -> String {
        format!("{}{url}", self.config.base_url.trim_end_matches('/'))
    }
}

/// A generated site, in memory: every output file by its path relative to the output folder.
pub struct Site {
    pub config: Config,
    pub content: Arc<Content>,
    pub rendered: Vec<Arc<Rendered>>,
    pub files: BTreeMap<String, Output>,
    /// The searchable documents, for the tantivy index.
    pub search_docs: Vec<search::index::SearchDoc>,
    /// Problems that do not stop the build.
    pub warnings: Diagnostics,
}

impl Site {
    pub fn documents(&self) -> usize {
        self.content
            .pages
            .iter()
            .filter(|p| p.kind == content::PageKind::Document)
            .count()
    }
}

/// What `build` did, for its one-line summary.
#[derive(Debug, Clone)]
pub struct Summary {
    pub documents: usize,
    pub sections: usize,
    pub pages: usize,
    pub files: usize,
    pub written: usize,
    /// Files of the previous build removed this time.
    pub removed: Vec<String>,
    pub bytes: u64,
    pub elapsed: Duration,
    pub out: PathBuf,
    pub warnings: Diagnostics,
    /// The files written this time.
    pub changed: Vec<String>,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "built {} documents in {} sections: {} pages, {} files ({} written, {} removed, {:.1} MB) into {} in {} ms",
            self.documents,
            self.sections,
            self.pages,
            self.files,
            self.written,
            self.removed.len(),
            self.bytes as f64 / 1_000_000.0,
            self.out.display(),
            self.elapsed.as_millis()
        )
    }
}

/// Checks everything `build` would, in memory, writing nothing.
pub fn check(root: &Path) -> Diagnostics {
    match Builder::one_shot(root).run(&write::NullSink) {
        Ok(run) => run.warnings,
        Err(d) => d,
    }
}

/// Builds the site of `root` into `out` (and its search index into `<out>.index`).
pub fn build(root: &Path, out: &Path) -> Result<Summary, Diagnostics> {
    build_with(&mut Builder::one_shot(root), out)
}

/// Like [`build`], keeping what `builder` learnt from earlier builds: an incremental build.
pub fn build_with(builder: &mut Builder, out: &Path) -> Result<Summary, Diagnostics> {
    // The tantivy index is written during the run, alongside the browser's index.
    builder.index_into(search::index::index_dir(out));
    let (summary, run) = build_run(builder, out, &mut |_| {})?;
    if builder.is_one_shot() {
        builder.release_terms();
        // Freeing a one-shot build's content, pages and search documents takes ~0.1 s of
        // one core at 10,000 documents, after the site is written: done on a thread of its
        // own, the summary comes back that much sooner, and `sotay build`, which exits
        // next, does not wait for it.
        drop_later(run);
    }
    Ok(summary)
}

/// Drops `value` on a thread of its own (inline if no thread can be started).
fn drop_later<T: Send + 'static>(value: T) {
    let spawned = std::thread::Builder::new()
        .name("sotay-free".into())
        .spawn(move || drop(value));
    // On failure the closure, and `value` with it, was dropped here.
    drop(spawned);
}

/// The site without its tantivy index (which [`search::index::write`] makes from the
/// documents returned): `sotay serve` shows pages before the slower index is done.
pub fn build_pages(
    builder: &mut Builder,
    out: &Path,
) -> Result<(Summary, Vec<search::index::SearchDoc>), Diagnostics> {
    build_pages_with(builder, out, &mut |_| {})
}

/// Like [`build_pages`], calling `pages_done` as soon as the pages are on disk (see
/// [`Builder::run_with`]).
pub fn build_pages_with(
    builder: &mut Builder,
    out: &Path,
    pages_done: &mut dyn FnMut(&[String]),
) -> Result<(Summary, Vec<search::index::SearchDoc>), Diagnostics> {
    let (summary, run) = build_run(builder, out, pages_done)?;
    Ok((summary, run.search_docs))
}

/// A build to disk: its summary, and what the run made.
fn build_run(
    builder: &mut Builder,
    out: &Path,
    pages_done: &mut dyn FnMut(&[String]),
) -> Result<(Summary, pipeline::Run), Diagnostics> {
    let start = Instant::now();
    let fail = |msg: String| {
        let mut d = Diagnostics::new();
        d.error(&out.display().to_string(), Pos::FILE, msg);
        d
    };
    let sink =
        write::DiskSink::open(out).map_err(|e| fail(format!("cannot write the site: {e}")))?;
    let mut run = builder.run_with(&sink, pages_done)?;
    let stats = sink.finish(run.files.keys()).map_err(|e| {
        builder.forget_outputs();
        fail(format!("cannot write the site: {e}"))
    })?;
    let summary = Summary {
        documents: run
            .content
            .pages
            .iter()
            .filter(|p| p.kind == content::PageKind::Document)
            .count(),
        sections: run
            .content
            .pages
            .iter()
            .filter(|p| p.kind == content::PageKind::Section)
            .count(),
        pages: run.files.keys().filter(|k| k.ends_with(".html")).count(),
        files: run.files.len(),
        written: stats.written,
        removed: stats.removed,
        bytes: run.files.values().map(|m| m.size).sum(),
        elapsed: start.elapsed(),
        out: out.to_path_buf(),
        warnings: std::mem::take(&mut run.warnings),
        changed: std::mem::take(&mut run.changed),
    };
    Ok((summary, run))
}

/// The whole build in memory: every output file, or every problem found.
pub fn generate(root: &Path) -> Result<Site, Diagnostics> {
    let sink = write::MemorySink::default();
    let run = Builder::new(root).run(&sink)?;
    let files = sink.files.into_inner().unwrap_or_default();
    Ok(Site {
        config: run.config,
        content: run.content,
        rendered: run.rendered,
        files,
        search_docs: run.search_docs,
        warnings: run.warnings,
    })
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::time::Duration;

    /// Says on which thread it was dropped.
    struct Tell(mpsc::Sender<std::thread::ThreadId>);

    impl Drop for Tell {
        fn drop(&mut self) {
            let _ = self.0.send(std::thread::current().id());
        }
    }

    #[test]
    fn drop_later_drops_the_value_on_another_thread() {
        let (tx, rx) = mpsc::channel();
        super::drop_later(Tell(tx));
        // A liveness guard, not a time limit: the drop comes at once on any machine.
        let by = rx.recv_timeout(Duration::from_secs(120));
        assert!(by.is_ok_and(|id| id != std::thread::current().id()));
    }
}
