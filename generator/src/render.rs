//! Pages from templates: the home page, sections, documents, lists by kind, tag, issuer and
//! year, "Mới cập nhật", 404, and the printed packet of each month's cell meeting material. Each page gets a context built here from the loaded content
//! and the rendered Markdown; the theme's templates decide how it looks.

use crate::content::{Page, PageIdx, PageKind};
use crate::markdown::Rendered;
use crate::theme::{template_error, Theme};
use crate::{text, Ctx};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// A document as shown in lists.
#[derive(Serialize, Clone, Hash)]
pub struct Item {
    pub title: String,
    pub url: String,
    pub number: Option<String>,
    pub date: Option<String>,
    pub kind: Option<String>,
    pub kind_label: Option<String>,
    pub summary: String,
    pub status: &'static str,
    pub status_label: &'static str,
    pub is_section: bool,
    pub count: usize,
}

#[derive(Serialize, Clone, Hash)]
pub struct Link {
    pub title: String,
    pub url: String,
}

#[derive(Serialize)]
struct Attachment {
    name: String,
    url: String,
    kind: String,
    size: String,
}

#[derive(Serialize)]
struct PageNum {
    n: usize,
    url: String,
    current: bool,
}

#[derive(Serialize)]
struct Pagination {
    current: usize,
    total: usize,
    prev: Option<String>,
    next: Option<String>,
    pages: Vec<PageNum>,
}

/// The parts of every page's context that describe the page itself.
#[derive(Serialize)]
struct PageInfo {
    title: String,
    url: String,
    canonical: String,
    description: String,
    kind: &'static str,
    breadcrumbs: Vec<Link>,
    id: String,
}

#[derive(Serialize)]
struct DocumentCtx {
    id: String,
    title: String,
    number: Option<String>,
    issuer: Option<Link>,
    issued: Option<String>,
    effective: Option<String>,
    updated: Option<String>,
    status: &'static str,
    status_label: &'static str,
    kind: Option<Link>,
    tags: Vec<Link>,
    summary: Option<String>,
    meeting: Option<String>,
    /// The month of cell meeting material, `YYYY-MM`.
    meeting_month: Option<String>,
    html: String,
    superseded_by: Vec<Link>,
    supersedes: Vec<Link>,
    attachments: Vec<Attachment>,
    prev: Option<Link>,
    next: Option<Link>,
    hash: String,
    section: Option<Link>,
}

/// A list of documents under a heading (kind, tag, issuer, year, recent).
pub struct ListSpec {
    pub url: String,
    pub title: String,
    pub description: String,
    pub docs: Vec<PageIdx>,
    pub paginate: bool,
    pub parent: Option<Link>,
}

/// Index pages of terms (all kinds, all tags, ...).
pub struct TermsSpec {
    pub url: String,
    pub title: String,
    pub terms: Vec<Item>,
}

/// Everything needed to render one output page.
pub enum Job {
    Home,
    Section(PageIdx, usize),
    Document(PageIdx),
    List(usize, usize),
    Terms(usize),
    NotFound,
    Search,
    /// A page made by the theme alone: (template, URL, title).
    Fixed(&'static str, &'static str, &'static str),
    /// The printed packet of a month's cell meeting material.
    MeetingPrint(crate::frontmatter::Month),
}

/// The URL of the printed packet of `month`'s cell meeting material (the phone's
/// meeting.js links it the same way).
pub fn meeting_print_url(month: crate::frontmatter::Month) -> String {
    format!("/ban-in/sinh-hoat-{month}/")
}

/// A document in the printed packet.
#[derive(Serialize)]
struct PacketDoc<'a> {
    id: &'a str,
    title: &'a str,
    number: Option<&'a str>,
    summary: Option<&'a str>,
    url: String,
    html: &'a str,
}

/// Pages every site has, made from the theme alone.
const FIXED: &[(&str, &str, &str)] = &[
    ("register.html", "/dang-ky/", "Đăng ký sử dụng sổ tay"),
    ("bookmarks.html", "/doc-sau/", "Đọc sau"),
    ("notices.html", "/thong-bao/", "Thông báo của cấp ủy"),
    ("offline.html", "/ngoai-tuyen/", "Không có mạng"),
    ("install.html", "/huong-dan-cai-dat/", "Hướng dẫn cài đặt"),
    ("admin.html", "/quan-tri/", "Thống kê sử dụng sổ tay"),
    ("roster.html", "/quan-tri/danh-sach/", "Danh sách đảng viên"),
    (
        "notices_admin.html",
        "/quan-tri/thong-bao/",
        "Thông báo của cấp ủy",
    ),
];

pub struct Pages<'a> {
    pub ctx: &'a Ctx<'a>,
    pub theme: &'a Theme,
    pub rendered: &'a [Arc<Rendered>],
    pub lists: Vec<ListSpec>,
    pub terms: Vec<TermsSpec>,
    pub superseded_by: BTreeMap<PageIdx, Vec<PageIdx>>,
    global: tera::Context,
    /// Fingerprint of what every page shares (config, theme, navigation, asset URLs).
    global_fp: u64,
    /// URL of the offline search index: only the search page shows it.
    search_index: String,
    /// Fingerprint of each page as it appears in lists (its `Item`).
    item_fp: Vec<u64>,
    /// Per document: the documents before and after it in its section.
    neighbours: HashMap<PageIdx, (Option<PageIdx>, Option<PageIdx>)>,
    /// The structure key these facts were made for (see [`Pages::with_facts`]).
    key: u64,
}

/// The facts of [`Pages`] that depend only on the site's structure and on each page's
/// rendered Markdown, kept from one build to the next.
pub struct Facts {
    key: u64,
    lists: Vec<ListSpec>,
    terms: Vec<TermsSpec>,
    superseded_by: BTreeMap<PageIdx, Vec<PageIdx>>,
    neighbours: HashMap<PageIdx, (Option<PageIdx>, Option<PageIdx>)>,
    item_fp: Vec<u64>,
    /// The rendered pages `item_fp` was computed from (kept alive, so that pointer equality
    /// means the same page).
    of: Vec<Arc<Rendered>>,
}

impl<'a> Pages<'a> {
    pub fn new(
        ctx: &'a Ctx<'a>,
        theme: &'a Theme,
        rendered: &'a [Arc<Rendered>],
        search_index: &str,
    ) -> Self {
        Self::with_facts(ctx, theme, rendered, search_index, None, 0)
    }

    /// Like [`Pages::new`], reusing what `previous` (from [`Pages::into_facts`] of the last
    /// build) knows when the site's structure is the same (`previous.key == key`, a nonzero
    /// hash of everything but the Markdown bodies): the lists,
    /// terms and neighbours, and the list entries of pages whose Markdown was not rendered
    /// again. A rebuild after one document's text changed recomputes one entry, not 10,000.
    #[allow(clippy::too_many_lines, reason = "split pending (issue 20)")]
    pub fn with_facts(
        ctx: &'a Ctx<'a>,
        theme: &'a Theme,
        rendered: &'a [Arc<Rendered>],
        search_index: &str,
        previous: Option<Facts>,
        key: u64,
    ) -> Self {
        let c = ctx.content;
        let previous =
            previous.filter(|f| key != 0 && f.key == key && f.of.len() == rendered.len());
        let (lists, terms, superseded_by, neighbours, item_fp) = match previous {
            Some(f) => {
                let mut item_fp = f.item_fp;
                for (i, fp) in item_fp.iter_mut().enumerate() {
                    if !Arc::ptr_eq(&f.of[i], &rendered[i]) {
                        *fp = crate::hash::of(&item(ctx, rendered, i));
                    }
                }
                (f.lists, f.terms, f.superseded_by, f.neighbours, item_fp)
            }
            None => {
                let mut superseded_by: BTreeMap<PageIdx, Vec<PageIdx>> = BTreeMap::new();
                for (i, p) in c.pages.iter().enumerate() {
                    for s in &p.fm.supersedes {
                        if let Some(&t) = c.by_id.get(s) {
                            superseded_by.entry(t).or_default().push(i);
                        }
                    }
                }
                let (lists, terms) = taxonomies(ctx);
                let item_fp = (0..c.pages.len())
                    .into_par_iter()
                    .map(|i| crate::hash::of(&item(ctx, rendered, i)))
                    .collect();
                let mut neighbours = HashMap::new();
                for s in &c.pages {
                    let docs: Vec<PageIdx> = s
                        .children
                        .iter()
                        .copied()
                        .filter(|&k| c.pages[k].kind == PageKind::Document)
                        .collect();
                    for (at, &d) in docs.iter().enumerate() {
                        let prev = at.checked_sub(1).map(|x| docs[x]);
                        neighbours.insert(d, (prev, docs.get(at + 1).copied()));
                    }
                }
                (lists, terms, superseded_by, neighbours, item_fp)
            }
        };
        let mut global = tera::Context::new();
        let assets: BTreeMap<&str, String> = theme
            .assets
            .iter()
            .map(|(k, (u, _))| (k.as_str(), ctx.href(u)))
            .collect();
        global.insert("assets", &assets);
        global.insert(
            "site",
            &serde_json::json!({
                "title": ctx.config.title,
                "description": ctx.config.description,
                "organization": ctx.config.organization,
                "base_url": ctx.config.base_url,
                "base_path": ctx.config.base_path,
                "sample": ctx.config.sample,
                "home": ctx.href("/"),
                "search_url": ctx.href("/tim-kiem/"),
                "feed_url": ctx.href("/atom.xml"),
                "manifest_url": ctx.href("/manifest.webmanifest"),
                "kinds_url": ctx.href("/loai/"),
                "tags_url": ctx.href("/chu-de/"),
                "issuers_url": ctx.href("/co-quan/"),
                "years_url": ctx.href("/nam/"),
                "recent_url": ctx.href("/moi-cap-nhat/"),
                "register_url": ctx.href("/dang-ky/"),
                "bookmarks_url": ctx.href("/doc-sau/"),
                "notices_url": ctx.href("/thong-bao/"),
                "install_url": ctx.href("/huong-dan-cai-dat/"),
            }),
        );
        let nav: Vec<Link> = c.pages[0]
            .children
            .iter()
            .filter(|&&i| c.pages[i].kind == PageKind::Section)
            .map(|&i| link(ctx, &c.pages[i]))
            .collect();
        global.insert("nav", &nav);
        let global_fp = crate::hash::of(&(
            format!("{:?}", ctx.config),
            &theme.template_hashes,
            theme
                .assets
                .values()
                .map(|(u, _)| u.as_str())
                .collect::<Vec<_>>(),
            &nav,
        ));
        Pages {
            neighbours,
            ctx,
            theme,
            rendered,
            lists,
            terms,
            superseded_by,
            global,
            global_fp,
            search_index: ctx.href(search_index),
            item_fp,
            key,
        }
    }

    /// What a later build can reuse (see [`Pages::with_facts`]).
    pub fn into_facts(self) -> Facts {
        Facts {
            key: self.key,
            lists: self.lists,
            terms: self.terms,
            superseded_by: self.superseded_by,
            neighbours: self.neighbours,
            item_fp: self.item_fp,
            of: self.rendered.to_vec(),
        }
    }

    /// The same pages, for a search index at another URL (only the search page shows it).
    pub fn set_search_index(&mut self, url: &str) {
        self.search_index = self.ctx.href(url);
    }

    /// Every page to render, in a fixed order.
    pub fn jobs(&self) -> Vec<Job> {
        let c = self.ctx.content;
        let mut jobs = vec![Job::Home, Job::NotFound, Job::Search];
        jobs.extend(
            FIXED
                .iter()
                .filter(|(t, _, _)| self.theme.tera.contains_template(t))
                .map(|&(t, u, n)| Job::Fixed(t, u, n)),
        );
        for (i, p) in c.pages.iter().enumerate() {
            match p.kind {
                PageKind::Section => {
                    let n = page_count(section_items(c, i).len(), self.ctx.config.page_size);
                    jobs.extend((1..=n).map(|k| Job::Section(i, k)));
                }
                PageKind::Document => jobs.push(Job::Document(i)),
                PageKind::Home => {}
            }
        }
        for (i, l) in self.lists.iter().enumerate() {
            let n = if l.paginate {
                page_count(l.docs.len(), self.ctx.config.page_size)
            } else {
                1
            };
            jobs.extend((1..=n).map(|k| Job::List(i, k)));
        }
        jobs.extend((0..self.terms.len()).map(Job::Terms));
        if self.theme.tera.contains_template("meeting_print.html") {
            jobs.extend(meeting_months(c).into_iter().map(Job::MeetingPrint));
        }
        jobs
    }

    /// Renders all jobs in parallel: (output path, HTML) or a template error.
    pub fn render_all(&self) -> Vec<Result<(String, Vec<u8>), crate::diagnostics::Diagnostic>> {
        self.jobs().par_iter().map(|j| self.render(j)).collect()
    }

    /// Where a job's page is written, without rendering it.
    pub fn path(&self, job: &Job) -> String {
        let c = self.ctx.content;
        out_path(&match job {
            Job::Home => "/".to_string(),
            Job::NotFound => "/404.html".to_string(),
            Job::Search => "/tim-kiem/".to_string(),
            Job::Fixed(_, url, _) => url.to_string(),
            Job::Section(i, n) => paged_url(&c.pages[*i].url, *n),
            Job::Document(i) => c.pages[*i].url.clone(),
            Job::List(i, n) => paged_url(&self.lists[*i].url, *n),
            Job::Terms(i) => self.terms[*i].url.clone(),
            Job::MeetingPrint(m) => meeting_print_url(*m),
        })
    }

    /// A hash of everything a job's page is made from: equal fingerprints, equal pages. Cheap
    /// (no template runs), so an incremental build renders only pages whose inputs changed.
    #[allow(clippy::too_many_lines, reason = "split pending (issue 20)")]
    pub fn fingerprint(&self, job: &Job) -> u64 {
        let c = self.ctx.content;
        let crumbs = |mut i: PageIdx| -> Vec<u64> {
            let mut v = Vec::new();
            while let Some(p) = c.pages[i].parent {
                v.push(self.item_fp[p]);
                i = p;
            }
            v
        };
        let size = self.ctx.config.page_size;
        match job {
            Job::Home => {
                let home = &c.pages[0];
                let mut docs: Vec<PageIdx> = (0..c.pages.len())
                    .filter(|&i| c.pages[i].kind == PageKind::Document)
                    .collect();
                sort_recent(c, &mut docs);
                let meeting: Vec<(String, Vec<u64>)> =
                    crate::widgets::meeting_months(c, crate::widgets::MEETING_MONTHS)
                        .into_iter()
                        .map(|(m, docs)| {
                            (
                                m.to_string(),
                                docs.iter().map(|&i| self.item_fp[i]).collect(),
                            )
                        })
                        .collect();
                let kids: Vec<u64> = home.children.iter().map(|&i| self.item_fp[i]).collect();
                let recent: Vec<u64> = docs.iter().take(8).map(|&i| self.item_fp[i]).collect();
                crate::hash::of(&(
                    self.global_fp,
                    "home",
                    &home.fm,
                    self.rendered[0].html_hash,
                    kids,
                    recent,
                    meeting,
                ))
            }
            Job::Section(i, n) => {
                let p = &c.pages[*i];
                let kids: Vec<u64> = p
                    .children
                    .iter()
                    .skip((n - 1) * size)
                    .take(size)
                    .map(|&k| self.item_fp[k])
                    .collect();
                crate::hash::of(&(
                    (self.global_fp, "section", *n, &p.fm, &p.url, &p.id),
                    (
                        self.rendered[*i].html_hash,
                        &self.rendered[*i].excerpt,
                        crumbs(*i),
                        kids,
                        p.children.len(),
                    ),
                ))
            }
            Job::Document(i) => {
                let p = &c.pages[*i];
                let siblings: Vec<u64> = self
                    .neighbours
                    .get(i)
                    .map(|&(a, b)| {
                        [a, b]
                            .into_iter()
                            .flatten()
                            .map(|k| self.item_fp[k])
                            .collect()
                    })
                    .unwrap_or_default();
                let sup_by: Vec<u64> = self
                    .superseded_by
                    .get(i)
                    .map(|v| v.iter().map(|&k| self.item_fp[k]).collect())
                    .unwrap_or_default();
                let sups: Vec<u64> =
                    p.fm.supersedes
                        .iter()
                        .filter_map(|s| c.by_id.get(s))
                        .map(|&k| self.item_fp[k])
                        .collect();
                let files: Vec<(&str, &str, u64)> = p
                    .attachments
                    .iter()
                    .map(|&a| {
                        (
                            c.assets[a].name.as_str(),
                            c.assets[a].url.as_str(),
                            c.assets[a].size,
                        )
                    })
                    .collect();
                crate::hash::of(&(
                    (self.global_fp, "doc", &p.fm, &p.url, &p.id, &p.hash),
                    (
                        self.rendered[*i].html_hash,
                        &self.rendered[*i].excerpt,
                        crumbs(*i),
                        siblings,
                        sup_by,
                        sups,
                        files,
                    ),
                ))
            }
            Job::List(i, n) => {
                let l = &self.lists[*i];
                let per = if l.paginate { size } else { usize::MAX };
                let items: Vec<u64> = l
                    .docs
                    .iter()
                    .skip((n - 1).saturating_mul(per))
                    .take(per)
                    .map(|&k| self.item_fp[k])
                    .collect();
                crate::hash::of(&(
                    self.global_fp,
                    "list",
                    *n,
                    &l.url,
                    &l.title,
                    &l.description,
                    l.paginate,
                    l.docs.len(),
                    items,
                    l.parent.as_ref(),
                ))
            }
            Job::Terms(i) => {
                let t = &self.terms[*i];
                crate::hash::of(&(self.global_fp, "terms", &t.url, &t.title, &t.terms))
            }
            Job::Search => crate::hash::of(&(self.global_fp, self.path(job), &self.search_index)),
            Job::MeetingPrint(m) => {
                let docs: Vec<(u64, u64, &str)> = meeting_docs(c, *m)
                    .into_iter()
                    .map(|i| {
                        (
                            self.item_fp[i],
                            self.rendered[i].html_hash,
                            c.pages[i].id.as_str(),
                        )
                    })
                    .collect();
                crate::hash::of(&(self.global_fp, "print", m.to_string(), docs))
            }
            Job::NotFound | Job::Fixed(..) => crate::hash::of(&(self.global_fp, self.path(job))),
        }
    }

    /// One page: its output path and its HTML (UTF-8 bytes, as the sink takes them: tera's
    /// output is not validated again as a `String`, a few percent of a full build).
    pub fn render(&self, job: &Job) -> Result<(String, Vec<u8>), crate::diagnostics::Diagnostic> {
        let mut cx = tera::Context::new();
        let (template, url) = match job {
            Job::Home => self.home(&mut cx),
            Job::Section(i, n) => self.section(&mut cx, *i, *n),
            Job::Document(i) => self.document(&mut cx, *i),
            Job::List(i, n) => self.list(&mut cx, *i, *n),
            Job::Terms(i) => self.terms(&mut cx, *i),
            Job::MeetingPrint(m) => self.meeting_print(&mut cx, *m),
            Job::Search => {
                cx.insert(
                    "page",
                    &self.info(
                        "Tìm kiếm",
                        "/tim-kiem/",
                        "Tìm văn bản trong sổ tay, có dấu hoặc không dấu",
                        "search",
                        Vec::new(),
                        "",
                    ),
                );
                cx.insert("kinds", &self.ctx.config.kinds);
                cx.insert("search_index", &self.search_index);
                ("search.html", "/tim-kiem/".to_string())
            }
            Job::Fixed(template, url, title) => {
                cx.insert(
                    "page",
                    &self.info(title, url, title, "fixed", Vec::new(), ""),
                );
                (*template, url.to_string())
            }
            Job::NotFound => {
                cx.insert(
                    "page",
                    &self.info(
                        "Không tìm thấy trang",
                        "/404.html",
                        "",
                        "404",
                        Vec::new(),
                        "",
                    ),
                );
                ("404.html", "/404.html".to_string())
            }
        };
        cx.extend(self.global.clone());
        let mut html = Vec::with_capacity(16 * 1024);
        self.theme
            .tera
            .render_to(template, &cx, &mut html)
            .map_err(|e| template_error(&self.ctx.config.theme, &e))?;
        Ok((out_path(&url), html))
    }

    fn info(
        &self,
        title: &str,
        url: &str,
        description: &str,
        kind: &'static str,
        breadcrumbs: Vec<Link>,
        id: &str,
    ) -> PageInfo {
        PageInfo {
            title: title.to_string(),
            url: self.ctx.href(url),
            canonical: self.ctx.absolute(url),
            description: description.to_string(),
            kind,
            breadcrumbs,
            id: id.to_string(),
        }
    }

    fn breadcrumbs(&self, mut i: PageIdx) -> Vec<Link> {
        let c = self.ctx.content;
        let mut out = Vec::new();
        while let Some(p) = c.pages[i].parent {
            out.push(link(self.ctx, &c.pages[p]));
            i = p;
        }
        if let Some(home) = out.last_mut() {
            home.title = "Trang chủ".into();
        }
        out.reverse();
        out
    }

    fn home(&self, cx: &mut tera::Context) -> (&'static str, String) {
        let c = self.ctx.content;
        let home = &c.pages[0];
        let sections: Vec<Item> = home.children.iter().map(|&i| self.item(i)).collect();
        let mut recent: Vec<PageIdx> = (0..c.pages.len())
            .filter(|&i| c.pages[i].kind == PageKind::Document)
            .collect();
        sort_recent(c, &mut recent);
        let recent: Vec<Item> = recent.iter().take(8).map(|&i| self.item(i)).collect();
        // The latest months' meeting material: the phone shows the month it is in.
        let meetings: Vec<serde_json::Value> =
            crate::widgets::meeting_months(c, crate::widgets::MEETING_MONTHS)
                .into_iter()
                .map(|(m, docs)| {
                    let items: Vec<Item> = docs.iter().map(|&i| self.item(i)).collect();
                    serde_json::json!({
                        "month": m.to_string(),
                        "label": m.vi(),
                        "doc": docs.first().map(|&i| c.pages[i].id.as_str()),
                        "items": items,
                    })
                })
                .collect();
        cx.insert(
            "page",
            &self.info(
                &home.fm.title,
                "/",
                home.fm
                    .summary
                    .as_deref()
                    .unwrap_or(&self.ctx.config.description),
                "home",
                Vec::new(),
                "",
            ),
        );
        cx.insert("html", &self.rendered[0].html);
        cx.insert("sections", &sections);
        cx.insert("recent", &recent);
        cx.insert("meetings", &meetings);
        ("index.html", "/".into())
    }

    /// The printed packet of `month`: its agenda (the documents in order), each document in
    /// full, and an attendance sheet (its names filled in on the phone, from the roster).
    fn meeting_print(
        &self,
        cx: &mut tera::Context,
        month: crate::frontmatter::Month,
    ) -> (&'static str, String) {
        let c = self.ctx.content;
        let docs: Vec<PacketDoc> = meeting_docs(c, month)
            .into_iter()
            .map(|i| {
                let p = &c.pages[i];
                PacketDoc {
                    id: &p.id,
                    title: &p.fm.title,
                    number: p.fm.number.as_deref(),
                    summary: p.fm.summary.as_deref(),
                    url: self.ctx.href(&p.url),
                    html: &self.rendered[i].html,
                }
            })
            .collect();
        let url = meeting_print_url(month);
        let title = format!("Tài liệu sinh hoạt chi bộ {} (bản in)", month.vi());
        cx.insert(
            "page",
            &self.info(&title, &url, &title, "meeting-print", Vec::new(), ""),
        );
        cx.insert(
            "packet",
            &serde_json::json!({"month": month.to_string(), "month_vi": month.vi(), "docs": docs}),
        );
        ("meeting_print.html", url)
    }

    fn section(&self, cx: &mut tera::Context, i: PageIdx, n: usize) -> (&'static str, String) {
        let c = self.ctx.content;
        let p = &c.pages[i];
        let all = section_items(c, i);
        let size = self.ctx.config.page_size;
        let items: Vec<Item> = all
            .iter()
            .skip((n - 1) * size)
            .take(size)
            .map(|&k| self.item(k))
            .collect();
        let url = paged_url(&p.url, n);
        let title = if n > 1 {
            format!("{} (trang {n})", p.fm.title)
        } else {
            p.fm.title.clone()
        };
        cx.insert(
            "page",
            &self.info(
                &title,
                &url,
                p.fm.summary.as_deref().unwrap_or(&self.rendered[i].excerpt),
                "section",
                self.breadcrumbs(i),
                &p.id,
            ),
        );
        cx.insert(
            "section",
            &serde_json::json!({"title": p.fm.title, "summary": p.fm.summary}),
        );
        cx.insert(
            "html",
            if n == 1 {
                self.rendered[i].html.as_str()
            } else {
                ""
            },
        );
        cx.insert("items", &items);
        cx.insert("pagination", &self.pagination(&p.url, n, all.len()));
        ("section.html", url)
    }

    #[allow(clippy::too_many_lines, reason = "split pending (issue 20)")]
    fn document(&self, cx: &mut tera::Context, i: PageIdx) -> (&'static str, String) {
        let ctx = self.ctx;
        let c = ctx.content;
        let p = &c.pages[i];
        let fm = &p.fm;
        let (prev, next) = match self.neighbours.get(&i) {
            Some(&(a, b)) => (
                a.map(|k| link(ctx, &c.pages[k])),
                b.map(|k| link(ctx, &c.pages[k])),
            ),
            None => (None, None),
        };
        let doc = DocumentCtx {
            id: p.id.clone(),
            title: fm.title.clone(),
            number: fm.number.clone(),
            issuer: fm.issuer.as_ref().map(|s| Link {
                title: s.clone(),
                url: ctx.href(&format!("/co-quan/{}/", text::slug(s))),
            }),
            issued: fm.issued.map(|d| d.vi()),
            effective: fm.effective.map(|d| d.vi()),
            updated: fm.updated.map(|d| d.vi()),
            status: fm.status.as_str(),
            status_label: fm.status.label(),
            kind: fm.kind.as_ref().map(|k| Link {
                title: ctx.config.kind_label(k).unwrap_or(k).to_string(),
                url: ctx.href(&format!("/loai/{k}/")),
            }),
            tags: fm
                .tags
                .iter()
                .map(|t| Link {
                    title: t.clone(),
                    url: ctx.href(&format!("/chu-de/{}/", text::slug(t))),
                })
                .collect(),
            summary: fm.summary.clone(),
            meeting: fm.meeting.map(|m| m.vi()),
            meeting_month: fm.meeting.map(|m| m.to_string()),
            html: self.rendered[i].html.clone(),
            superseded_by: self
                .superseded_by
                .get(&i)
                .map(|v| v.iter().map(|&k| link(ctx, &c.pages[k])).collect())
                .unwrap_or_default(),
            supersedes: fm
                .supersedes
                .iter()
                .filter_map(|s| c.by_id.get(s))
                .map(|&k| link(ctx, &c.pages[k]))
                .collect(),
            attachments: p
                .attachments
                .iter()
                .map(|&a| {
                    let a = &c.assets[a];
                    Attachment {
                        name: a.name.clone(),
                        url: ctx.href(&a.url),
                        kind: crate::html::type_label(&a.ext),
                        size: crate::html::human_size(a.size),
                    }
                })
                .collect(),
            prev,
            next,
            hash: p.hash.clone(),
            section: p.parent.filter(|&s| s != 0).map(|s| link(ctx, &c.pages[s])),
        };
        let description = fm
            .summary
            .clone()
            .unwrap_or_else(|| self.rendered[i].excerpt.clone());
        cx.insert(
            "page",
            &self.info(
                &fm.title,
                &p.url,
                &description,
                "document",
                self.breadcrumbs(i),
                &p.id,
            ),
        );
        cx.insert("doc", &doc);
        ("document.html", p.url.clone())
    }

    fn list(&self, cx: &mut tera::Context, i: usize, n: usize) -> (&'static str, String) {
        let l = &self.lists[i];
        let size = if l.paginate {
            self.ctx.config.page_size
        } else {
            usize::MAX
        };
        let items: Vec<Item> = l
            .docs
            .iter()
            .skip((n - 1).saturating_mul(size))
            .take(size)
            .map(|&k| self.item(k))
            .collect();
        let url = paged_url(&l.url, n);
        let title = if n > 1 {
            format!("{} (trang {n})", l.title)
        } else {
            l.title.clone()
        };
        let mut crumbs = vec![Link {
            title: "Trang chủ".into(),
            url: self.ctx.href("/"),
        }];
        if let Some(p) = &l.parent {
            crumbs.push(p.clone());
        }
        cx.insert(
            "page",
            &self.info(&title, &url, &l.description, "list", crumbs, ""),
        );
        cx.insert("list", &serde_json::json!({"title": l.title, "description": l.description, "count": l.docs.len()}));
        cx.insert("items", &items);
        cx.insert(
            "pagination",
            &self.pagination(&l.url, n, if l.paginate { l.docs.len() } else { 0 }),
        );
        ("list.html", url)
    }

    fn terms(&self, cx: &mut tera::Context, i: usize) -> (&'static str, String) {
        let t = &self.terms[i];
        let crumbs = vec![Link {
            title: "Trang chủ".into(),
            url: self.ctx.href("/"),
        }];
        cx.insert(
            "page",
            &self.info(&t.title, &t.url, &t.title, "terms", crumbs, ""),
        );
        cx.insert("terms", &t.terms);
        ("terms.html", t.url.clone())
    }

    fn pagination(&self, base: &str, current: usize, count: usize) -> Option<Pagination> {
        let total = page_count(count, self.ctx.config.page_size);
        if total <= 1 {
            return None;
        }
        let u = |n: usize| self.ctx.href(&paged_url(base, n));
        Some(Pagination {
            current,
            total,
            prev: (current > 1).then(|| u(current - 1)),
            next: (current < total).then(|| u(current + 1)),
            pages: (1..=total)
                .map(|n| PageNum {
                    n,
                    url: u(n),
                    current: n == current,
                })
                .collect(),
        })
    }

    pub fn item(&self, i: PageIdx) -> Item {
        item(self.ctx, self.rendered, i)
    }
}

pub fn item(ctx: &Ctx, rendered: &[Arc<Rendered>], i: PageIdx) -> Item {
    let c = ctx.content;
    let p = &c.pages[i];
    Item {
        title: p.fm.title.clone(),
        url: ctx.href(&p.url),
        number: p.fm.number.clone(),
        date: p.date().map(|d| d.vi()),
        kind: p.fm.kind.clone(),
        kind_label: p
            .fm
            .kind
            .as_deref()
            .and_then(|k| ctx.config.kind_label(k))
            .map(str::to_string),
        summary: p.fm.summary.clone().unwrap_or_else(|| {
            rendered
                .get(i)
                .map(|r| r.excerpt.clone())
                .unwrap_or_default()
        }),
        status: p.fm.status.as_str(),
        status_label: p.fm.status.label(),
        is_section: p.kind == PageKind::Section,
        count: if p.kind == PageKind::Section {
            count_docs(c, i)
        } else {
            0
        },
    }
}

fn count_docs(c: &crate::content::Content, i: PageIdx) -> usize {
    c.pages[i]
        .children
        .iter()
        .map(|&k| {
            if c.pages[k].kind == PageKind::Section {
                count_docs(c, k)
            } else {
                1
            }
        })
        .sum()
}

/// The months that have cell meeting material, in order.
fn meeting_months(c: &crate::content::Content) -> Vec<crate::frontmatter::Month> {
    let set: std::collections::BTreeSet<crate::frontmatter::Month> = c
        .pages
        .iter()
        .filter(|p| p.kind == PageKind::Document)
        .filter_map(|p| p.fm.meeting)
        .collect();
    set.into_iter().collect()
}

/// The documents of `month`'s meeting, in the order the `meeting` directive lists them.
fn meeting_docs(c: &crate::content::Content, month: crate::frontmatter::Month) -> Vec<PageIdx> {
    let mut docs: Vec<PageIdx> = (0..c.pages.len())
        .filter(|&i| c.pages[i].kind == PageKind::Document && c.pages[i].fm.meeting == Some(month))
        .collect();
    docs.sort_by(|&a, &b| crate::content::order(&c.pages[a], &c.pages[b]));
    docs
}

fn link(ctx: &Ctx, p: &Page) -> Link {
    Link {
        title: p.fm.title.clone(),
        url: ctx.href(&p.url),
    }
}

fn section_items(c: &crate::content::Content, i: PageIdx) -> Vec<PageIdx> {
    c.pages[i].children.clone()
}

/// Newest change first, then title.
/// Sorts pages most recently updated first, then by title (folded) and path: "Mới cập nhật",
/// the feed and the home page. (Each title is folded once, not at every comparison.)
pub fn sort_recent(c: &crate::content::Content, pages: &mut [PageIdx]) {
    pages.sort_by_cached_key(|&i| {
        let p = &c.pages[i];
        (
            std::cmp::Reverse(p.updated()),
            text::fold(&p.fm.title),
            p.src.path.clone(),
        )
    });
}

fn page_count(items: usize, size: usize) -> usize {
    items.div_ceil(size).max(1)
}

/// `/loai/nghi-quyet/` page 3 -> `/loai/nghi-quyet/trang-3/`.
pub fn paged_url(base: &str, n: usize) -> String {
    if n <= 1 {
        base.to_string()
    } else {
        format!("{base}trang-{n}/")
    }
}

/// `/a/b/` -> `a/b/index.html`; `/404.html` -> `404.html`.
pub fn out_path(url: &str) -> String {
    let u = url.trim_start_matches('/');
    if u.is_empty() {
        "index.html".into()
    } else if u.ends_with('/') {
        format!("{u}index.html")
    } else {
        u.to_string()
    }
}

/// Lists by kind, tag, issuer, year, and recent changes; and their index pages.
#[allow(clippy::too_many_lines, reason = "split pending (issue 20)")]
fn taxonomies(ctx: &Ctx) -> (Vec<ListSpec>, Vec<TermsSpec>) {
    let c = ctx.content;
    let mut docs: Vec<PageIdx> = (0..c.pages.len())
        .filter(|&i| c.pages[i].kind == PageKind::Document)
        .collect();
    // Lists show newest first.
    docs.sort_by_cached_key(|&i| {
        let p = &c.pages[i];
        (
            std::cmp::Reverse(p.date()),
            text::fold(&p.fm.title),
            p.src.path.clone(),
        )
    });
    let mut lists = Vec::new();
    let mut terms = Vec::new();
    let home = Link {
        title: "Trang chủ".into(),
        url: ctx.href("/"),
    };
    let _ = home;

    let mut group = |base: &str,
                     index_title: &str,
                     describe: &dyn Fn(&str) -> String,
                     key: &dyn Fn(&Page) -> Vec<(String, String)>,
                     order_terms: bool| {
        let mut groups: BTreeMap<String, (String, Vec<PageIdx>)> = BTreeMap::new();
        for &i in &docs {
            for (slug, name) in key(&c.pages[i]) {
                groups
                    .entry(slug)
                    .or_insert_with(|| (name, Vec::new()))
                    .1
                    .push(i);
            }
        }
        let mut term_items = Vec::new();
        let parent = Link {
            title: index_title.to_string(),
            url: ctx.href(&format!("/{base}/")),
        };
        let mut keys: Vec<&String> = groups.keys().collect();
        if order_terms {
            keys.reverse();
        }
        for slug in keys {
            let (name, list) = &groups[slug];
            let url = format!("/{base}/{slug}/");
            term_items.push(Item {
                title: name.clone(),
                url: ctx.href(&url),
                number: None,
                date: None,
                kind: None,
                kind_label: None,
                summary: String::new(),
                status: "",
                status_label: "",
                is_section: false,
                count: list.len(),
            });
            lists.push(ListSpec {
                url,
                title: describe(name),
                description: describe(name),
                docs: list.clone(),
                paginate: true,
                parent: Some(parent.clone()),
            });
        }
        terms.push(TermsSpec {
            url: format!("/{base}/"),
            title: index_title.to_string(),
            terms: term_items,
        });
    };

    group(
        "loai",
        "Loại văn bản",
        &|name| name.to_string(),
        &|p| {
            p.fm.kind
                .iter()
                .map(|k| (k.clone(), ctx.config.kind_label(k).unwrap_or(k).to_string()))
                .collect()
        },
        false,
    );
    group(
        "chu-de",
        "Chủ đề",
        &|name| format!("Chủ đề: {name}"),
        &|p| {
            p.fm.tags
                .iter()
                .map(|t| (text::slug(t), t.clone()))
                .collect()
        },
        false,
    );
    group(
        "co-quan",
        "Cơ quan ban hành",
        &|name| format!("Cơ quan ban hành: {name}"),
        &|p| {
            p.fm.issuer
                .iter()
                .map(|s| (text::slug(s), s.clone()))
                .collect()
        },
        false,
    );
    group(
        "nam",
        "Năm ban hành",
        &|name| format!("Văn bản năm {name}"),
        &|p| {
            p.fm.issued
                .or(p.fm.effective)
                .iter()
                .map(|d| (d.year.to_string(), d.year.to_string()))
                .collect()
        },
        true,
    );

    // Kinds are shown in the site's order, not alphabetically.
    if let Some(t) = terms.first_mut() {
        let pos = |i: &Item| {
            ctx.config
                .kinds
                .iter()
                .position(|k| i.url.ends_with(&format!("/loai/{}/", k.id)))
                .unwrap_or(usize::MAX)
        };
        t.terms.sort_by_key(pos);
    }

    let mut recent = docs.clone();
    sort_recent(c, &mut recent);
    recent.truncate(ctx.config.page_size * 2);
    lists.push(ListSpec {
        url: "/moi-cap-nhat/".into(),
        title: "Mới cập nhật".into(),
        description: "Các văn bản, tài liệu mới ban hành hoặc mới sửa đổi".into(),
        docs: recent,
        paginate: false,
        parent: None,
    });
    (lists, terms)
}
