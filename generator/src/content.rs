//! Loading `content/`: which files are sections, documents, partials and attachments, their
//! front matter, URLs and ids. The result is the site's table of contents; nothing here looks
//! inside the Markdown bodies.
//!
//! Rules (see docs/AUTHORING.md): a folder is a section, `_index.md` its page; a folder with
//! `index.md` is a document bundle whose other files are its attachments; names starting with
//! `_` are partials (not published); every other non-Markdown file is published as an asset.

use crate::config::Config;
use crate::diagnostics::{Diagnostics, LineIndex, Pos};
use crate::frontmatter::{self, FrontMatter, Need, Status};
use crate::text;
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

/// Top-level URL segments used by generated pages, so not available to sections.
pub const RESERVED: &[&str] = &[
    "loai",
    "chu-de",
    "co-quan",
    "nam",
    "moi-cap-nhat",
    "tim-kiem",
    "dang-ky",
    "doc-sau",
    "thong-bao",
    "quan-tri",
    "ngoai-tuyen",
    "huong-dan-cai-dat",
    "static",
    "api",
];

/// A Markdown file's text (NFC) with its line index.
#[derive(Debug, Clone)]
pub struct Source {
    /// Path relative to the site root, with `/` ("content/nghi-quyet/nq-05.md").
    pub path: String,
    pub text: String,
    pub lines: LineIndex,
    /// Byte offset where the Markdown body starts (after front matter).
    pub body: usize,
    /// Short SHA-256 of `text` (the document version in `catalog.json`), computed once per
    /// reading of the file.
    pub hash: String,
}

impl Source {
    pub fn new(path: String, text: String, lines: LineIndex, body: usize) -> Source {
        let hash = crate::hash::short(text.as_bytes());
        Source {
            path,
            text,
            lines,
            body,
            hash,
        }
    }

    pub fn pos(&self, offset: usize) -> Pos {
        self.lines.pos(&self.text, offset)
    }

    /// Folder of the file relative to the site root ("content/nghi-quyet").
    pub fn dir(&self) -> &str {
        self.path.rsplit_once('/').map_or("", |(d, _)| d)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageKind {
    Home,
    Section,
    Document,
}

pub type PageIdx = usize;

/// A published page made from a Markdown file: the home page, a section or a document.
#[derive(Debug, Clone)]
pub struct Page {
    pub kind: PageKind,
    pub src: Arc<Source>,
    pub fm: FrontMatter,
    pub id: String,
    /// Site-relative URL path, starting and ending with `/` ("/nghi-quyet/nq-05/").
    pub url: String,
    /// The section that contains this page (None for the home page).
    pub parent: Option<PageIdx>,
    /// For sections and the home page: child sections and documents, in display order.
    pub children: Vec<PageIdx>,
    /// Indexes into `Content::assets` of a bundle's attachments.
    pub attachments: Vec<usize>,
    /// Short hash of the source text: the document's version in the catalog and events.
    pub hash: String,
}

impl Page {
    /// The date shown and used for ordering: effective, else issued.
    pub fn date(&self) -> Option<frontmatter::Date> {
        self.fm.effective.or(self.fm.issued)
    }

    /// The date of the last change, for "Mới cập nhật" and the feed.
    pub fn updated(&self) -> Option<frontmatter::Date> {
        self.fm.updated.or(self.date())
    }
}

/// A non-Markdown file that is published as it is (attachments, images).
#[derive(Debug, Clone)]
pub struct Asset {
    pub file: PathBuf,
    /// Path relative to the site root ("content/bieu-mau/mau-01/Mẫu 1.docx").
    pub path: String,
    /// Site-relative URL path ("/bieu-mau/mau-01/mau-1.docx").
    pub url: String,
    pub size: u64,
    /// Lowercase extension ("docx").
    pub ext: String,
    /// The file name as the author wrote it.
    pub name: String,
}

/// Everything in `content/`.
#[derive(Debug, Default, Clone)]
pub struct Content {
    /// Published pages; index 0 is the home page.
    pub pages: Vec<Page>,
    pub assets: Vec<Asset>,
    /// Partials by path relative to the site root.
    pub partials: HashMap<String, Arc<Source>>,
    /// Source paths of drafts, so that a link to one gets a clear message.
    pub drafts: Vec<String>,
    /// Page index by source path, and by id.
    pub by_path: HashMap<String, PageIdx>,
    /// Documents by id. Sections have ids of their own kind (`section_by_id`), so a section
    /// `dieu-le/` and the charter with `id: dieu-le` do not collide.
    pub by_id: HashMap<String, PageIdx>,
    pub section_by_id: HashMap<String, PageIdx>,
    /// Asset index by path.
    pub asset_by_path: HashMap<String, usize>,
}

enum Entry {
    Markdown {
        path: String,
        file: PathBuf,
        role: Role,
    },
    Asset {
        path: String,
        file: PathBuf,
    },
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Section,
    Document,
    Partial,
}

/// Reads `root/content`. All problems go to `diags`; the content returned is whatever could be
/// read, so that later passes still find their own problems in the same run.
/// What was read of each file last time, so that a rebuild reads and parses only the files
/// that changed (by modification time and size).
#[derive(Default)]
pub struct LoadCache {
    kinds: Vec<String>,
    files: HashMap<PathBuf, (Option<SystemTime>, u64, Loaded, Diagnostics)>,
    /// A one-shot read ([`load`]): nothing is kept for a next one.
    once: bool,
}

/// Reads `root/content` once (see [`load_cached`]), keeping nothing for a rebuild.
pub fn load(root: &Path, config: &Config, diags: &mut Diagnostics) -> Content {
    let mut once = LoadCache {
        once: true,
        ..LoadCache::default()
    };
    load_cached(root, config, &mut once, diags)
}

/// Reads `root/content`, reusing what `cache` holds of unchanged files.
pub fn load_cached(
    root: &Path,
    config: &Config,
    cache: &mut LoadCache,
    diags: &mut Diagnostics,
) -> Content {
    let content_dir = root.join("content");
    if !content_dir.is_dir() {
        diags.error(
            "content",
            Pos::FILE,
            format!(
                "no content folder: expected Markdown files in {}",
                content_dir.display()
            ),
        );
        return Content::default();
    }
    let entries = walk(root, &content_dir, diags);
    let files = cache.read(entries, config);
    let mut tree = Tree::new(config);
    let mut assets = Vec::new();
    for (entry, loaded, d) in files {
        diags.extend(d);
        if let Some(asset) = tree.add(entry, loaded, diags) {
            assets.push(asset);
        }
    }
    tree.implicit_sections();
    for (path, file, size) in assets {
        tree.add_asset(path, file, size, diags);
    }
    tree.finish(diags)
}

/// A file of `content/` as read: what it is, what it holds, what reading it said.
type Read = (Entry, Loaded, Diagnostics);

impl LoadCache {
    /// Reads and parses the front matter of every entry, in parallel, in the walk's (sorted)
    /// order: again only those whose modification time or size changed. Keeps what it read.
    fn read(&mut self, entries: Vec<Entry>, config: &Config) -> Vec<Read> {
        let kinds = config.kind_ids();
        if self.kinds != kinds {
            self.files.clear();
            self.kinds = kinds.iter().map(|k| k.to_string()).collect();
        }
        let old = &self.files;
        type Parsed = (Entry, Loaded, Diagnostics, Option<SystemTime>, u64, bool);
        let parsed: Vec<Parsed> = entries
            .into_par_iter()
            .map(|entry| {
                let meta = std::fs::metadata(entry.file()).ok();
                let (mtime, len) = (
                    meta.as_ref().and_then(|m| m.modified().ok()),
                    meta.as_ref().map_or(0, |m| m.len()),
                );
                if let Some((t, l, loaded, d)) = old.get(entry.file()) {
                    if mtime.is_some() && *t == mtime && *l == len {
                        return (entry, loaded.clone(), d.clone(), mtime, len, false);
                    }
                }
                let mut d = Diagnostics::new();
                let loaded = load_entry(&entry, &kinds, &mut d);
                (entry, loaded, d, mtime, len, true)
            })
            .collect();
        if self.once {
            return parsed.into_iter().map(|(e, l, d, ..)| (e, l, d)).collect();
        }
        // The cache keeps its entries of unchanged files (moved, not copied) and gets the
        // new ones.
        let mut previous = std::mem::take(&mut self.files);
        self.files.reserve(parsed.len());
        for (e, l, d, t, n, fresh) in &parsed {
            match previous.remove_entry(e.file()) {
                Some((k, v)) if !fresh => {
                    self.files.insert(k, v);
                }
                _ => {
                    let kept = (*t, *n, l.clone(), d.clone());
                    self.files.insert(e.file().clone(), kept);
                }
            }
        }
        parsed.into_iter().map(|(e, l, d, ..)| (e, l, d)).collect()
    }
}

impl Entry {
    fn file(&self) -> &PathBuf {
        match self {
            Entry::Markdown { file, .. } | Entry::Asset { file, .. } => file,
        }
    }
}

/// The site's table of contents as it is put together from the files read.
struct Tree {
    c: Content,
    /// Folder ("content/x") -> its section's page.
    dir_sections: BTreeMap<String, PageIdx>,
    /// URL -> the file that has it.
    url_owner: HashMap<String, String>,
    /// Bundle folder -> its document.
    bundles: BTreeMap<String, PageIdx>,
}

impl Tree {
    /// A tree with the home page, which always exists, with or without `content/_index.md`.
    fn new(config: &Config) -> Self {
        let mut c = Content::default();
        c.pages.push(Page {
            kind: PageKind::Home,
            src: Arc::new(Source::new(
                "content/_index.md".into(),
                String::new(),
                LineIndex::new(),
                0,
            )),
            fm: FrontMatter {
                title: config.title.clone(),
                ..FrontMatter::default()
            },
            id: String::new(),
            url: "/".into(),
            parent: None,
            children: Vec::new(),
            attachments: Vec::new(),
            hash: String::new(),
        });
        Tree {
            c,
            dir_sections: BTreeMap::from([("content".into(), 0)]),
            url_owner: HashMap::from([("/".into(), "content/_index.md".into())]),
            bundles: BTreeMap::new(),
        }
    }

    /// Adds a file read: a page or a partial; an asset is returned, to be placed once every
    /// bundle is known.
    fn add(
        &mut self,
        entry: Entry,
        loaded: Loaded,
        diags: &mut Diagnostics,
    ) -> Option<(String, PathBuf, u64)> {
        match (entry, loaded) {
            (Entry::Markdown { path, .. } | Entry::Asset { path, .. }, Loaded::Failed(e)) => {
                diags.error(&path, Pos::FILE, e);
            }
            (
                Entry::Markdown {
                    path,
                    role: Role::Partial,
                    ..
                },
                Loaded::Markdown(src, _),
            ) => {
                self.c.partials.insert(path, src);
            }
            (Entry::Markdown { path, role, .. }, Loaded::Markdown(src, fm)) => {
                self.add_page(path, role, src, *fm, diags);
            }
            (Entry::Asset { path, file }, Loaded::Asset(size)) => return Some((path, file, size)),
            (Entry::Asset { .. }, Loaded::Markdown(..))
            | (Entry::Markdown { .. }, Loaded::Asset(_)) => {}
        }
        None
    }

    /// Adds a page (a draft only to the drafts): its kind and URL from its place, its id.
    fn add_page(
        &mut self,
        path: String,
        role: Role,
        src: Arc<Source>,
        fm: FrontMatter,
        diags: &mut Diagnostics,
    ) {
        if fm.status == Status::Draft {
            self.c.drafts.push(path);
            return;
        }
        let dir = src.dir().to_string();
        let file_name = path.rsplit('/').next().unwrap_or("");
        let (kind, url) = if file_name == "_index.md" {
            if dir == "content" {
                (PageKind::Home, "/".to_string())
            } else {
                (PageKind::Section, url_of(&dir, None))
            }
        } else if file_name == "index.md" {
            (PageKind::Document, url_of(&dir, None))
        } else {
            let stem = file_name.strip_suffix(".md").unwrap_or(file_name);
            (PageKind::Document, url_of(&dir, Some(stem)))
        };
        debug_assert!(
            role == Role::Section || kind == PageKind::Document || kind == PageKind::Home
        );
        if kind == PageKind::Home {
            let home = &mut self.c.pages[0];
            let title = if fm.title.is_empty() {
                home.fm.title.clone()
            } else {
                fm.title.clone()
            };
            home.fm = FrontMatter { title, ..fm };
            home.src = src;
            return;
        }
        if !self.claim_url(&path, &url, diags) {
            return;
        }
        let idx = self.c.pages.len();
        let id = fm
            .id
            .clone()
            .unwrap_or_else(|| url.trim_matches('/').to_string());
        let bundle = file_name == "index.md";
        self.c.pages.push(Page {
            kind,
            src,
            fm,
            id,
            url,
            parent: None,
            children: Vec::new(),
            attachments: Vec::new(),
            hash: String::new(),
        });
        if kind == PageKind::Section {
            self.dir_sections.insert(dir, idx);
        } else if bundle {
            self.bundles.insert(dir, idx);
        }
    }

    /// Gives `url` to the file at `path`, unless it cannot be a URL or another file has it.
    fn claim_url(&mut self, path: &str, url: &str, diags: &mut Diagnostics) -> bool {
        if let Some(err) = url_problem(url) {
            diags.error(path, Pos::FILE, err);
            return false;
        }
        self.take_url(path, url, diags)
    }

    /// Gives `url` to the file at `path`, unless another file has it.
    fn take_url(&mut self, path: &str, url: &str, diags: &mut Diagnostics) -> bool {
        if let Some(other) = self.url_owner.get(url) {
            diags.error(
                path,
                Pos::FILE,
                format!("its URL {url} is already used by {other}; rename one of them"),
            );
            return false;
        }
        self.url_owner.insert(url.to_string(), path.to_string());
        true
    }

    /// Sections without `_index.md` still exist, titled after their folder.
    fn implicit_sections(&mut self) {
        let all_dirs: Vec<String> = self.c.pages[1..]
            .iter()
            .map(|p| parent_dir(&p.src.path, p.kind))
            .collect();
        for dir in all_dirs {
            let (sections, urls) = (&mut self.dir_sections, &mut self.url_owner);
            ensure_section(&mut self.c, sections, &self.bundles, urls, &dir);
        }
    }

    /// Adds a published file; an attachment of the nearest enclosing bundle, if any.
    fn add_asset(&mut self, path: String, file: PathBuf, size: u64, diags: &mut Diagnostics) {
        let dir = path.rsplit_once('/').map_or("", |(d, _)| d).to_string();
        let name = path.rsplit('/').next().unwrap_or("").to_string();
        let (stem, ext) = match name.rsplit_once('.') {
            Some((s, e)) if !s.is_empty() => (s.to_string(), e.to_ascii_lowercase()),
            _ => (name.clone(), String::new()),
        };
        let base = url_of(&dir, None);
        let slug = text::slug(&stem);
        let url = if ext.is_empty() {
            format!("{base}{slug}")
        } else {
            format!("{base}{slug}.{ext}")
        };
        if slug.is_empty() {
            let msg = "the file name needs at least one letter or digit";
            diags.error(&path, Pos::FILE, msg);
            return;
        }
        if !self.take_url(&path, &url, diags) {
            return;
        }
        let idx = self.c.assets.len();
        self.c.asset_by_path.insert(path.clone(), idx);
        let mut d = dir.as_str();
        loop {
            if let Some(&p) = self.bundles.get(d) {
                self.c.pages[p].attachments.push(idx);
                break;
            }
            match d.rsplit_once('/') {
                Some((up, _)) => d = up,
                None => break,
            }
        }
        self.c.assets.push(Asset {
            file,
            path,
            url,
            size,
            ext,
            name,
        });
    }

    /// Parents and children (in display order), hashes, the indexes by path and id; checks
    /// duplicate ids and `supersedes`.
    fn finish(self, diags: &mut Diagnostics) -> Content {
        let mut c = self.c;
        for i in 1..c.pages.len() {
            let pdir = parent_dir(&c.pages[i].src.path, c.pages[i].kind);
            let parent = self.dir_sections.get(&pdir).copied().unwrap_or(0);
            c.pages[i].parent = Some(parent);
            c.pages[parent].children.push(i);
        }
        for (i, p) in c.pages.iter_mut().enumerate() {
            p.hash = p.src.hash.clone();
            c.by_path.insert(p.src.path.clone(), i);
        }
        index_ids(&mut c, diags);
        // Each title folded once, not at every comparison.
        let folded: Vec<String> = c.pages.iter().map(|p| text::fold(&p.fm.title)).collect();
        for i in 0..c.pages.len() {
            let mut kids = std::mem::take(&mut c.pages[i].children);
            kids.sort_by(|&a, &b| order_by(&c.pages[a], &folded[a], &c.pages[b], &folded[b]));
            c.pages[i].children = kids;
        }
        check_supersedes(&c, diags);
        c
    }
}

/// Documents by id and sections by id, each id once.
fn index_ids(c: &mut Content, diags: &mut Diagnostics) {
    for i in 1..c.pages.len() {
        let id = c.pages[i].id.clone();
        let ids = if c.pages[i].kind == PageKind::Section {
            &mut c.section_by_id
        } else {
            &mut c.by_id
        };
        if let Some(&first) = ids.get(&id) {
            let p = &c.pages[i];
            diags.error(
                &p.src.path,
                p.fm.id_pos,
                format!(
                    "duplicate id \"{id}\": also used by {}",
                    c.pages[first].src.path
                ),
            );
        } else {
            ids.insert(id, i);
        }
    }
}

/// Brings `content` (loaded with `cache` last time) up to date when all that changed is the
/// text of some pages, the watcher's paths (`changed`, relative to `root`) say which:
/// every path is a page of `content` whose file still exists with the same front matter and
/// no problem, a file that is gone and was never known (an editor's temporary file), or a
/// hidden, backup or swap file (never content). Reads only those pages. Returns false, having
/// changed nothing in `content`, for anything else: the caller loads everything.
pub fn apply_text_edits(
    root: &Path,
    config: &Config,
    cache: &mut LoadCache,
    content: &mut Content,
    changed: &[PathBuf],
) -> bool {
    let kinds = config.kind_ids();
    if cache.kinds != kinds {
        return false;
    }
    let mut edits = Vec::new();
    for raw in changed {
        let Ok(under) = raw.strip_prefix("content") else {
            return false;
        };
        if under
            .components()
            .any(|c| is_ignored(&c.as_os_str().to_string_lossy()))
        {
            continue;
        }
        let file = root.join(raw);
        let meta = std::fs::metadata(&file).ok();
        let Some((_, _, _, old_diags)) = cache.files.get(&file) else {
            if meta.is_none() {
                continue;
            }
            return false;
        };
        let path = rel(root, &file);
        let (Some(meta), Some(&i)) = (meta, content.by_path.get(&path)) else {
            return false;
        };
        let page = &content.pages[i];
        if i == 0 || !meta.is_file() || !old_diags.is_empty() || !path.ends_with(".md") {
            return false;
        }
        let role = if page.kind == PageKind::Section {
            Role::Section
        } else {
            Role::Document
        };
        let entry = Entry::Markdown {
            path: path.clone(),
            file: file.clone(),
            role,
        };
        let mut d = Diagnostics::new();
        let Loaded::Markdown(src, fm) = load_entry(&entry, &kinds, &mut d) else {
            return false;
        };
        if !d.is_empty() || *fm != page.fm {
            return false;
        }
        edits.push((i, file, meta, src, fm));
    }
    for (i, file, meta, src, fm) in edits {
        let page = &mut content.pages[i];
        page.hash = src.hash.clone();
        page.src = src.clone();
        cache.files.insert(
            file,
            (
                meta.modified().ok(),
                meta.len(),
                Loaded::Markdown(src, fm),
                Diagnostics::new(),
            ),
        );
    }
    true
}

/// Display order inside a section: sections first, then weight, newest date, title.
pub fn order(a: &Page, b: &Page) -> std::cmp::Ordering {
    order_by(a, &text::fold(&a.fm.title), b, &text::fold(&b.fm.title))
}

/// [`order`] with the titles already folded.
fn order_by(a: &Page, a_title: &str, b: &Page, b_title: &str) -> std::cmp::Ordering {
    let sec = |p: &Page| p.kind != PageKind::Section;
    sec(a)
        .cmp(&sec(b))
        .then(
            a.fm.weight
                .unwrap_or(i64::MAX)
                .cmp(&b.fm.weight.unwrap_or(i64::MAX)),
        )
        .then(b.date().cmp(&a.date()))
        .then_with(|| a_title.cmp(b_title))
        .then_with(|| a.src.path.cmp(&b.src.path))
}

fn check_supersedes(c: &Content, diags: &mut Diagnostics) {
    for p in &c.pages {
        for (target, pos) in p.fm.supersedes.iter().zip(&p.fm.supersedes_pos) {
            match c.by_id.get(target) {
                Some(_) => {}
                None => {
                    let ids = c.by_id.keys().map(String::as_str);
                    diags.error(
                        &p.src.path,
                        *pos,
                        format!(
                            "supersedes \"{target}\", but no document has that id{}",
                            crate::diagnostics::suggestion(target, ids)
                        ),
                    );
                }
            }
        }
    }
}

/// The folder whose section contains a page: a bundle's or section's own folder is left out.
fn parent_dir(path: &str, kind: PageKind) -> String {
    let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
    let file = path.rsplit('/').next().unwrap_or("");
    if kind == PageKind::Section || file == "index.md" {
        dir.rsplit_once('/')
            .map_or("content", |(d, _)| d)
            .to_string()
    } else {
        dir.to_string()
    }
}

fn ensure_section(
    c: &mut Content,
    sections: &mut BTreeMap<String, PageIdx>,
    bundles: &BTreeMap<String, PageIdx>,
    urls: &mut HashMap<String, String>,
    dir: &str,
) {
    if sections.contains_key(dir) || bundles.contains_key(dir) || !dir.starts_with("content/") {
        return;
    }
    let name = dir.rsplit('/').next().unwrap_or(dir);
    let url = url_of(dir, None);
    let idx = c.pages.len();
    let path = format!("{dir}/_index.md");
    urls.entry(url.clone()).or_insert_with(|| path.clone());
    c.pages.push(Page {
        kind: PageKind::Section,
        src: Arc::new(Source::new(path, String::new(), LineIndex::new(), 0)),
        fm: FrontMatter {
            title: text::nfc(&capitalize(&name.replace(['-', '_'], " "))).into_owned(),
            ..FrontMatter::default()
        },
        id: url.trim_matches('/').to_string(),
        url,
        parent: None,
        children: Vec::new(),
        attachments: Vec::new(),
        hash: String::new(),
    });
    sections.insert(dir.to_string(), idx);
    if let Some((up, _)) = dir.rsplit_once('/') {
        ensure_section(c, sections, bundles, urls, up);
    }
}

fn capitalize(s: &str) -> String {
    let mut cs = s.chars();
    match cs.next() {
        Some(f) => f.to_uppercase().chain(cs).collect(),
        None => String::new(),
    }
}

/// URL of a folder (and optionally a file stem in it): every segment slugged.
/// `content/Nghị quyết` + `Nghị quyết 21` -> `/nghi-quyet/nghi-quyet-21/`.
pub fn url_of(dir: &str, stem: Option<&str>) -> String {
    let mut url = String::from("/");
    for seg in dir.split('/').skip(1).chain(stem) {
        let s = text::slug(seg);
        url.push_str(if s.is_empty() { "-" } else { &s });
        url.push('/');
    }
    url
}

fn url_problem(url: &str) -> Option<String> {
    if url.split('/').any(|s| s == "-") {
        return Some(format!(
            "a folder or file name has no letter or digit, so it cannot make a URL ({url})"
        ));
    }
    let first = url.trim_start_matches('/').split('/').next().unwrap_or("");
    RESERVED.contains(&first).then(|| {
        format!(
            "the top-level name \"{first}\" is reserved for generated pages; reserved names: {}",
            RESERVED.join(", ")
        )
    })
}

/// A file's content once read.
#[derive(Clone)]
enum Loaded {
    Markdown(Arc<Source>, Box<FrontMatter>),
    Asset(u64),
    Failed(String),
}

fn load_entry(entry: &Entry, kinds: &[&str], d: &mut Diagnostics) -> Loaded {
    match entry {
        Entry::Asset { file, .. } => match std::fs::metadata(file) {
            Ok(m) => Loaded::Asset(m.len()),
            Err(e) => Loaded::Failed(format!("cannot read: {e}")),
        },
        Entry::Markdown { path, file, role } => {
            let (text, lines) = match read_text(file) {
                Ok(t) => t,
                Err(e) => return Loaded::Failed(e),
            };
            let split = frontmatter::split(&text);
            let (fm, body) = match (role, split) {
                // A partial may have no front matter at all.
                (Role::Partial, Ok(s)) if s.yaml.is_none() => (FrontMatter::default(), s.body),
                (Role::Partial, _) => {
                    frontmatter::parse(path, &text, &lines, kinds, Need::Nothing, d)
                }
                _ => frontmatter::parse(path, &text, &lines, kinds, Need::Title, d),
            };
            Loaded::Markdown(
                Arc::new(Source::new(path.clone(), text, lines, body)),
                Box::new(fm),
            )
        }
    }
}

/// Reads a text file as UTF-8, in NFC, with its line index (columns as written).
fn read_text(file: &Path) -> Result<(String, LineIndex), String> {
    let bytes = std::fs::read(file).map_err(|e| format!("cannot read: {e}"))?;
    if let Err(e) = simdutf8::compat::from_utf8(&bytes) {
        return Err(format!(
            "not valid UTF-8 text (at byte {}); save the file as UTF-8",
            e.valid_up_to()
        ));
    }
    // SAFETY: `simdutf8` has just checked that the bytes are UTF-8 (std would check them again,
    // ~0.5 GB/s on Vietnamese text).
    let text = unsafe { String::from_utf8_unchecked(bytes) };
    Ok(LineIndex::nfc(text))
}

/// Walks `content/` in a fixed order and classifies every file.
fn walk(root: &Path, content_dir: &Path, diags: &mut Diagnostics) -> Vec<Entry> {
    let mut out = Vec::new();
    let mut bundle_dirs: Vec<String> = Vec::new();
    let walker = walkdir::WalkDir::new(content_dir)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| !is_ignored(e.file_name().to_str().unwrap_or("")));
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let p = e
                    .path()
                    .map(|p| rel(root, p))
                    .unwrap_or_else(|| "content".into());
                diags.error(&p, Pos::FILE, format!("cannot read: {e}"));
                continue;
            }
        };
        if !entry.file_type().is_file() {
            continue;
        }
        let path = rel(root, entry.path());
        let Some(name) = entry.file_name().to_str() else {
            diags.error(&path, Pos::FILE, "file name is not valid UTF-8");
            continue;
        };
        let name = text::nfc(name).into_owned();
        let dir = path.rsplit_once('/').map_or("", |(d, _)| d).to_string();
        let in_partial_dir = dir.split('/').skip(1).any(|s| s.starts_with('_'));
        let file = entry.path().to_path_buf();
        if !name.ends_with(".md") {
            out.push(Entry::Asset { path, file });
            continue;
        }
        let role = if in_partial_dir || (name.starts_with('_') && name != "_index.md") {
            Role::Partial
        } else if name == "_index.md" {
            Role::Section
        } else {
            if name == "index.md" {
                bundle_dirs.push(dir.clone());
            }
            Role::Document
        };
        out.push(Entry::Markdown { path, file, role });
    }
    // Markdown files inside a bundle (other than its index.md) are a mistake.
    let mut keep = Vec::with_capacity(out.len());
    for e in out {
        if let Entry::Markdown {
            path,
            role: Role::Document | Role::Section,
            ..
        } = &e
        {
            let name = path.rsplit('/').next().unwrap_or("");
            let inside = bundle_dirs.iter().any(|b| {
                path.starts_with(&format!("{b}/"))
                    && !(name == "index.md" && path == &format!("{b}/index.md"))
            });
            if inside {
                diags.error(path, Pos::FILE, "a page bundle (a folder with index.md) can hold only index.md and attachments; move this file out, or start its name with _ to make it a partial");
                continue;
            }
        }
        keep.push(e);
    }
    keep
}

/// Hidden files, editors' backup and swap files.
fn is_ignored(name: &str) -> bool {
    name.starts_with('.')
        || name.ends_with('~')
        || name.ends_with(".swp")
        || name.ends_with(".swx")
        || name.starts_with(".#")
        || name.starts_with('#')
}

fn rel(root: &Path, p: &Path) -> String {
    let r = p.strip_prefix(root).unwrap_or(p);
    let s: Vec<String> = r
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    text::nfc(&s.join("/")).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(
            url_of("content/Nghị quyết", Some("Nghị quyết 21")),
            "/nghi-quyet/nghi-quyet-21/"
        );
        assert_eq!(url_of("content", Some("gioi-thieu")), "/gioi-thieu/");
        assert_eq!(
            url_of("content/dieu-le/dieu-le-mau", None),
            "/dieu-le/dieu-le-mau/"
        );
        assert_eq!(url_of("content", None), "/");
        assert!(url_problem("/loai/").is_some());
        assert!(url_problem("/a/-/").is_some());
        assert!(url_problem("/nghi-quyet/loai/").is_none());
    }

    #[test]
    fn a_source_that_is_not_utf8_is_refused_at_its_first_bad_byte() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("a.md");
        let good = "Đảng viên dự bị có quyền biểu quyết không? ".repeat(40);
        for bad in [
            &[0xffu8][..],
            &[0xe1, 0xba],
            &[0xc3, 0x28],
            &[0xed, 0xa0, 0x80],
        ] {
            // Every place in the first two 64-byte blocks, and the end.
            let places = (0..130).chain([good.len()]);
            for keep in places.filter(|&i| good.is_char_boundary(i)) {
                let head = &good[..keep];
                let mut bytes = head.as_bytes().to_vec();
                bytes.extend_from_slice(bad);
                bytes.extend_from_slice(b" tail");
                std::fs::write(&file, &bytes).expect("write");
                let want = format!("not valid UTF-8 text (at byte {keep}); save the file as UTF-8");
                assert_eq!(read_text(&file).err(), Some(want), "{keep} {bad:?}");
            }
        }
        std::fs::write(&file, &good).expect("write");
        assert_eq!(read_text(&file).map(|(t, _)| t), Ok(good.clone()));
    }
}
