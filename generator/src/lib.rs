//! sotay's generator: a folder of Markdown documents with YAML front matter and directives
//! becomes a static handbook site that members can read on a cheap phone, online or offline.
//!
//! The build, top to bottom ([`generate`]):
//! 1. [`config`]: read `sotay.yaml` (optional);
//! 2. [`theme`]: load the templates and static files;
//! 3. [`content`]: walk `content/`, read front matter, give every page its URL and id;
//! 4. [`markdown`]: render every page's Markdown in parallel (directives in [`directives`] and
//!    [`widgets`], anchors in [`anchors`], links in [`links`]);
//! 5. check links to anchors in other pages, now that every page's anchors are known;
//! 6. [`render`]: fill the templates for documents, sections, lists; [`feeds`]: Atom, sitemap,
//!    catalog;
//! 7. [`write`]: write what changed into the output folder.
//!
//! Invariants: the generator never talks to the network; the same input gives byte-identical
//! output; any problem in the input is reported with its file, line and column, all of them
//! in one run, and nothing is written when there is an error.

pub mod anchors;
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
pub mod offline;
pub mod render;
pub mod search;
pub mod text;
pub mod theme;
pub mod widgets;
pub mod write;
mod yaml;

use config::Config;
use content::Content;
use diagnostics::{Diagnostics, Pos};
use markdown::Rendered;
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
pub use write::Output;

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
}

/// A generated site, in memory: every output file by its path relative to the output folder.
pub struct Site {
    pub config: Config,
    pub content: Content,
    pub rendered: Vec<Rendered>,
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
    pub removed: usize,
    pub bytes: u64,
    pub elapsed: Duration,
    pub out: PathBuf,
    pub warnings: Diagnostics,
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
            self.removed,
            self.bytes as f64 / 1_000_000.0,
            self.out.display(),
            self.elapsed.as_millis()
        )
    }
}

/// Checks everything `build` would, in memory, writing nothing.
pub fn check(root: &Path) -> Diagnostics {
    match generate(root) {
        Ok(site) => site.warnings,
        Err(d) => d,
    }
}

/// Builds the site of `root` into `out`.
pub fn build(root: &Path, out: &Path) -> Result<Summary, Diagnostics> {
    let start = Instant::now();
    let site = generate(root)?;
    let fail = |msg: String| {
        let mut d = Diagnostics::new();
        d.error(&out.display().to_string(), Pos::FILE, msg);
        d
    };
    let stats =
        write::write(&site.files, out).map_err(|e| fail(format!("cannot write the site: {e}")))?;
    search::index::write(&site.search_docs, &search::index::index_dir(out)).map_err(fail)?;
    let bytes = site
        .files
        .values()
        .map(|o| match o {
            Output::Bytes(b) => b.len() as u64,
            Output::Copy(p) => std::fs::metadata(p).map(|m| m.len()).unwrap_or(0),
        })
        .sum();
    Ok(Summary {
        documents: site.documents(),
        sections: site
            .content
            .pages
            .iter()
            .filter(|p| p.kind == content::PageKind::Section)
            .count(),
        pages: site.files.keys().filter(|k| k.ends_with(".html")).count(),
        files: site.files.len(),
        written: stats.written,
        removed: stats.removed,
        bytes,
        elapsed: start.elapsed(),
        out: out.to_path_buf(),
        warnings: site.warnings,
    })
}

/// The whole build in memory: every output file, or every problem found.
pub fn generate(root: &Path) -> Result<Site, Diagnostics> {
    let mut diags = Diagnostics::new();
    let config = Config::load(root, &mut diags);
    let theme = theme::Theme::load(root, &config.theme, &mut diags);
    let content = content::load(root, &config, &mut diags);
    let ctx = Ctx {
        config: &config,
        content: &content,
    };

    let mut rendered: Vec<Rendered> = (0..content.pages.len())
        .into_par_iter()
        .map(|i| markdown::render(&ctx, i))
        .collect();
    for r in &mut rendered {
        diags.extend(std::mem::take(&mut r.diags));
    }
    check_anchors(&ctx, &rendered, &mut diags);

    let Some(theme) = theme else {
        return Err(diags);
    };
    if diags.has_errors() {
        return Err(diags);
    }

    let mut files: BTreeMap<String, Output> = BTreeMap::new();
    let search_docs = search::index::documents(&ctx, &rendered);
    let offline = search::offline::build(&search_docs, &config.kinds);
    let offline_url = format!("/search/index.{}.bin", hash::short(&offline));
    files.insert(offline_url[1..].to_string(), Output::Bytes(offline));
    let pages = render::Pages::new(&ctx, &theme, &rendered, &offline_url);
    for r in pages.render_all() {
        match r {
            Ok((path, html)) => {
                files.insert(path, Output::Bytes(html.into_bytes()));
            }
            Err(d) => diags.push(d),
        }
    }
    if diags.has_errors() {
        return Err(diags);
    }
    let html_paths: Vec<String> = files
        .keys()
        .filter(|k| k.ends_with(".html"))
        .cloned()
        .collect();
    files.insert(
        "atom.xml".into(),
        Output::Bytes(feeds::atom(&ctx, &rendered).into_bytes()),
    );
    files.insert(
        "sitemap.xml".into(),
        Output::Bytes(feeds::sitemap(&ctx, &html_paths).into_bytes()),
    );
    files.insert(
        "catalog.json".into(),
        Output::Bytes(feeds::catalog(&ctx).into_bytes()),
    );
    for (url, bytes) in theme.assets.values() {
        files.insert(
            url.trim_start_matches('/').to_string(),
            Output::Bytes(bytes.clone()),
        );
    }
    for a in &content.assets {
        files.insert(
            a.url.trim_start_matches('/').to_string(),
            Output::Copy(a.file.clone()),
        );
    }
    drop(pages);
    if let Err(e) = offline::add(&ctx, &theme, &mut files) {
        diags.error(
            "public",
            Pos::FILE,
            format!("cannot prepare offline files: {e}"),
        );
        return Err(diags);
    }
    Ok(Site {
        config,
        content,
        rendered,
        files,
        search_docs,
        warnings: diags,
    })
}

/// Links to `page#anchor` in other pages, checked now that all anchors are known.
fn check_anchors(ctx: &Ctx, rendered: &[Rendered], diags: &mut Diagnostics) {
    for r in rendered {
        for c in &r.checks {
            let target = &rendered[c.page];
            if !target.anchors.contains(&c.anchor) {
                let p = &ctx.content.pages[c.page];
                let near = diagnostics::suggestion(
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
