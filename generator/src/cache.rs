//! What a [`Builder`](crate::Builder) keeps from one build to the next, in one [`Cache`], and
//! how each part knows what it can reuse: files by modification time and size, a page's
//! rendered Markdown by the hash of its source and of what else it read (its [`Deps`]), the
//! pages' facts and link anchors by the site's *structure key* ([`structure_key`]),
//! attachments by their stamps, and what was written by each file's hash (the pages' by
//! their fingerprint, in [`Outputs`](crate::outputs::Outputs)).

use crate::config::Config;
use crate::content::{self, Content, PageKind};
use crate::diagnostics::Diagnostics;
use crate::markdown::{self, Deps, Rendered};
use crate::search::index::TermCache;
use crate::search::shard_cache::ShardCache;
use crate::write::FileMeta;
use crate::{hash, render, Ctx};
use rayon::prelude::*;
use std::cell::OnceCell;
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::SystemTime;

/// Everything a builder keeps between builds. A one-shot build leaves it empty.
#[derive(Default)]
pub struct Cache {
    /// What was read of each file of `content/`.
    pub load: content::LoadCache,
    /// The content of the last build and what loading it said, to apply the next text edits
    /// to (see [`Builder::changed`](crate::Builder::changed)).
    pub content: Option<(Arc<Content>, Diagnostics)>,
    pub markdown: MarkdownCache,
    /// The structure key of the last build whose every link anchor was checked and found.
    pub anchors_ok: Option<u64>,
    pub assets: AssetStamps,
    /// What the last build's pages knew (lists, terms, list entries), for the next.
    pub facts: Option<render::Facts>,
    /// The search words of each document.
    pub terms: TermCache,
    /// The browser's search index, to encode again only what an edit touches.
    pub shards: ShardCache,
    /// What the last build wrote: path -> (page fingerprint, or 0 for other files; the file).
    pub outputs: HashMap<String, (u64, FileMeta)>,
}

/// Each attachment's modification time and size, and what it is.
pub type AssetStamps = HashMap<PathBuf, (Option<SystemTime>, u64, FileMeta)>;

/// The Markdown step's result: every page's body, in page order.
pub struct Bodies {
    pub rendered: Vec<Arc<Rendered>>,
    /// How many were rendered this time (the rest came from the cache).
    pub count: usize,
    /// The pages rendered this time, and whether none of them has other anchors than before;
    /// `None` when every page was rendered (a one-shot build).
    pub fresh: Option<(Vec<usize>, bool)>,
    /// The structure key they were rendered under; 0 for none (a one-shot build).
    pub key: u64,
}

impl Bodies {
    /// The pages rendered this time, if not all.
    pub fn fresh_pages(&self) -> Option<&[usize]> {
        self.fresh.as_ref().map(|(pages, _)| pages.as_slice())
    }
}

/// Each page's rendered Markdown, by source path, with what it was rendered from.
#[derive(Default)]
pub struct MarkdownCache {
    entries: HashMap<String, MdEntry>,
    /// The structure key of the last build's Markdown step.
    pub key: u64,
}

struct MdEntry {
    /// The source it was rendered from: the same `Arc` (the load cache's) means the same text.
    src: Arc<content::Source>,
    src_hash: u64,
    /// [`DepKeys::of`] its `deps`.
    dep_key: u64,
    rendered: Arc<Rendered>,
}

/// A page's source hash, and its cached body if that can be used.
type Lookup = (u64, Option<Arc<Rendered>>);

impl MarkdownCache {
    /// Renders the Markdown of every page whose source or inputs changed; reuses the rest.
    /// With the same structure key as last time, every input of a page's Markdown but its own
    /// text is the same, so an entry of an unchanged file is a hit without looking at its
    /// dependencies.
    pub fn render(&mut self, ctx: &Ctx, key: u64, diags: &mut Diagnostics) -> Bodies {
        let same_structure = key != 0 && key == self.key;
        self.key = key;
        let deps = DepKeys::new(ctx);
        let lookups = self.lookup(ctx, same_structure, &deps);
        let fresh: Vec<(usize, Rendered)> = lookups
            .par_iter()
            .enumerate()
            .filter(|(_, (_, hit))| hit.is_none())
            .map(|(i, _)| (i, markdown::render(ctx, i)))
            .collect();
        let count = fresh.len();
        let fresh_pages: Vec<usize> = fresh.iter().map(|(i, _)| *i).collect();
        let (mut by_index, same_anchors) = self.store(ctx, fresh, &lookups, &deps, diags);
        let rendered = lookups
            .into_iter()
            .enumerate()
            .map(|(i, (_, hit))| hit.or_else(|| by_index.remove(&i)).unwrap_or_default())
            .collect();
        if !same_structure {
            let live: HashSet<&str> = ctx
                .content
                .pages
                .iter()
                .map(|p| p.src.path.as_str())
                .collect();
            self.entries.retain(|k, _| live.contains(k.as_str()));
        }
        Bodies {
            rendered,
            count,
            fresh: Some((fresh_pages, same_anchors)),
            key,
        }
    }

    /// Each page's source hash and, if its entry can be used, its body.
    fn lookup(&self, ctx: &Ctx, same_structure: bool, deps: &DepKeys) -> Vec<Lookup> {
        ctx.content
            .pages
            .iter()
            .map(|p| {
                let entry = self.entries.get(&p.src.path);
                let src_hash = match entry {
                    Some(e) if Arc::ptr_eq(&e.src, &p.src) => e.src_hash,
                    _ => hash::fast(p.src.text.as_bytes()),
                };
                let hit = entry
                    .filter(|e| {
                        e.src_hash == src_hash
                            && ((same_structure && Arc::ptr_eq(&e.src, &p.src))
                                || e.dep_key == deps.of(&e.rendered.deps))
                    })
                    .map(|e| e.rendered.clone());
                (src_hash, hit)
            })
            .collect()
    }

    /// Keeps the pages rendered this time (those without errors) and moves their problems to
    /// `diags`. Returns them by page, and whether they all have the anchors they had before.
    fn store(
        &mut self,
        ctx: &Ctx,
        fresh: Vec<(usize, Rendered)>,
        lookups: &[Lookup],
        deps: &DepKeys,
        diags: &mut Diagnostics,
    ) -> (HashMap<usize, Arc<Rendered>>, bool) {
        let pages = &ctx.content.pages;
        let mut same_anchors = true;
        let mut by_index = HashMap::new();
        for (i, mut r) in fresh {
            let path = &pages[i].src.path;
            same_anchors &= self
                .entries
                .get(path)
                .is_some_and(|e| e.rendered.anchors == r.anchors);
            let errors = std::mem::take(&mut r.diags);
            let ok = !errors.has_errors();
            diags.extend(errors);
            let r = Arc::new(r);
            if ok {
                let entry = MdEntry {
                    src: pages[i].src.clone(),
                    src_hash: lookups[i].0,
                    dep_key: deps.of(&r.deps),
                    rendered: r.clone(),
                };
                self.entries.insert(path.clone(), entry);
            } else {
                self.entries.remove(path);
            }
            by_index.insert(i, r);
        }
        (by_index, same_anchors)
    }
}

/// The Markdown of every page, each source freed once its page is rendered (a one-shot
/// build: sources and rendered pages are never all in memory).
pub fn one_shot_markdown(
    ctx: &Ctx,
    sources: Vec<Arc<content::Source>>,
    diags: &mut Diagnostics,
) -> Bodies {
    let mut out: Vec<Rendered> = sources
        .into_par_iter()
        .enumerate()
        .map(|(i, src)| markdown::render_source(ctx, i, &src))
        .collect();
    for r in &mut out {
        diags.extend(std::mem::take(&mut r.diags));
    }
    Bodies {
        count: out.len(),
        rendered: out.into_iter().map(Arc::new).collect(),
        fresh: None,
        key: 0,
    }
}

/// Keys of what a page's Markdown read besides its own source ([`Deps`]): the configuration,
/// the URL, title and id of the pages it links, the attachments it shows, the partials it
/// includes, and for `doc-list` and `meeting` every document's front matter and place.
struct DepKeys<'c> {
    content: &'c Content,
    config: u64,
    /// Hashed only if a page that uses lists needs its key (never in a rebuild after text
    /// edits alone).
    lists: OnceCell<u64>,
}

impl<'c> DepKeys<'c> {
    fn new(ctx: &Ctx<'c>) -> Self {
        DepKeys {
            content: ctx.content,
            config: config_key(ctx.config),
            lists: OnceCell::new(),
        }
    }

    fn of(&self, deps: &Deps) -> u64 {
        let c = self.content;
        let pages: Vec<Option<(&str, &str, &str)>> = deps
            .pages
            .iter()
            .map(|path| {
                c.by_path.get(path).map(|&i| {
                    let p = &c.pages[i];
                    (p.url.as_str(), p.fm.title.as_str(), p.id.as_str())
                })
            })
            .collect();
        let assets: Vec<Option<(&str, &str, u64)>> = deps
            .assets
            .iter()
            .map(|path| {
                c.asset_by_path.get(path).map(|&a| {
                    let a = &c.assets[a];
                    (a.url.as_str(), a.name.as_str(), a.size)
                })
            })
            .collect();
        let partials: Vec<Option<u64>> = deps
            .partials
            .iter()
            .map(|path| c.partials.get(path).map(|s| hash::fast(s.text.as_bytes())))
            .collect();
        hash::of(&(
            self.config,
            pages,
            assets,
            partials,
            deps.lists.then(|| self.lists()),
        ))
    }

    /// Everything `doc-list` and `meeting` show.
    fn lists(&self) -> u64 {
        let c = self.content;
        *self.lists.get_or_init(|| {
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
    }
}

/// A hash of the configuration: every setting, as it serializes.
pub fn config_key(config: &Config) -> u64 {
    hash::of_serialized(config)
}

/// A hash of everything in the site but the Markdown bodies: configuration, every page's
/// place, URL, id and front matter, the attachments and the partials. Two builds with the same
/// key differ only in the text of some pages. Never 0, which means "no key" (a one-shot
/// build).
pub fn structure_key(ctx: &Ctx) -> u64 {
    let c = ctx.content;
    let mut partials: Vec<(&String, u64)> = c
        .partials
        .iter()
        .map(|(k, s)| (k, hash::fast(s.text.as_bytes())))
        .collect();
    partials.sort();
    let key = hash::of(&(
        config_key(ctx.config),
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
    key.max(1)
}
