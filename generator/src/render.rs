//! Pages from templates: the home page, sections, documents, lists by kind, tag, issuer and
//! year, "Mới cập nhật", 404, the theme's fixed pages, and the printed packet of each month's
//! cell meeting material. Each page gets a context built here from the loaded content and the
//! rendered Markdown ([`Values`]: one struct per kind of page, its fields the template's
//! variables); the theme's templates decide how it looks. A page's fingerprint is the hash
//! of that same context, so an incremental build renders a page again exactly when what its
//! template receives changed.

use crate::content::{Page, PageIdx, PageKind};
use crate::hash::Hashed;
use crate::markdown::Rendered;
use crate::theme::{template_error, Theme};
use crate::{hash, text, Ctx};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// A document as shown in lists.
#[derive(Serialize, Clone)]
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

#[derive(Serialize, Clone)]
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

/// A page's HTML body: given to templates as it is, to fingerprints as the hash made when it
/// was rendered.
type Body<'p> = Hashed<&'p str>;

/// A page as an entry of a list: given to templates as its [`Item`], to fingerprints as the
/// hash of that item (made once per build, [`Facts`]).
type Entry<'p> = Hashed<EntryOf<'p>>;

/// The page whose [`Item`] an [`Entry`] is, made only when a template needs it.
struct EntryOf<'p> {
    ctx: &'p Ctx<'p>,
    rendered: &'p [Arc<Rendered>],
    page: PageIdx,
}

impl Serialize for EntryOf<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        item(self.ctx, self.rendered, self.page).serialize(s)
    }
}

/// A page's template, its URL, and what the template receives besides what every page shares.
/// The page's fingerprint is the hash of this very value ([`Pages::fingerprint`]), so what a
/// template can read and what decides whether the page is rendered again cannot disagree:
/// a field added here is in both.
struct PageContext<'p> {
    template: &'static str,
    url: String,
    values: Values<'p>,
}

/// What each kind of page's template receives (each struct's fields are the template's
/// variables).
#[derive(Serialize)]
#[serde(untagged)]
enum Values<'p> {
    Home(HomeCtx<'p>),
    Section(SectionCtx<'p>),
    Document {
        page: PageInfo,
        doc: Box<DocumentCtx<'p>>,
    },
    List(ListCtx<'p>),
    Terms {
        page: PageInfo,
        terms: &'p [Item],
    },
    Search {
        page: PageInfo,
        kinds: &'p [crate::config::Kind],
        search_index: &'p str,
    },
    /// A page made by the theme alone (404, registration, bookmarks, ...).
    Plain {
        page: PageInfo,
    },
    MeetingPrint {
        page: PageInfo,
        packet: Packet<'p>,
    },
}

#[derive(Serialize)]
struct HomeCtx<'p> {
    page: PageInfo,
    html: Body<'p>,
    sections: Vec<Entry<'p>>,
    recent: Vec<Entry<'p>>,
    /// The latest months' meeting material: the phone shows the month it is in.
    meetings: Vec<MeetingMonth<'p>>,
}

#[derive(Serialize)]
struct MeetingMonth<'p> {
    month: String,
    label: String,
    doc: Option<&'p str>,
    items: Vec<Entry<'p>>,
}

#[derive(Serialize)]
struct SectionCtx<'p> {
    page: PageInfo,
    section: SectionInfo<'p>,
    html: Body<'p>,
    items: Vec<Entry<'p>>,
    pagination: Option<Pagination>,
}

#[derive(Serialize)]
struct SectionInfo<'p> {
    title: &'p str,
    summary: Option<&'p str>,
}

#[derive(Serialize)]
struct ListCtx<'p> {
    page: PageInfo,
    list: ListInfo<'p>,
    items: Vec<Entry<'p>>,
    pagination: Option<Pagination>,
}

#[derive(Serialize)]
struct ListInfo<'p> {
    title: &'p str,
    description: &'p str,
    count: usize,
}

#[derive(Serialize)]
struct DocumentCtx<'p> {
    id: &'p str,
    title: &'p str,
    number: Option<&'p str>,
    issuer: Option<Link>,
    issued: Option<String>,
    effective: Option<String>,
    updated: Option<String>,
    status: &'static str,
    status_label: &'static str,
    kind: Option<Link>,
    tags: Vec<Link>,
    summary: Option<&'p str>,
    meeting: Option<String>,
    /// The month of cell meeting material, `YYYY-MM`.
    meeting_month: Option<String>,
    html: Body<'p>,
    superseded_by: Vec<Link>,
    supersedes: Vec<Link>,
    attachments: Vec<Attachment>,
    prev: Option<Link>,
    next: Option<Link>,
    hash: &'p str,
    section: Option<Link>,
    /// Tests only: a field that reads what no other field reads (how many drafts the site
    /// has), as a new field would; `tests::a_new_context_field_is_in_the_fingerprint`
    /// shows an incremental build follows it without being told.
    #[cfg(test)]
    drafts: usize,
}

/// The printed packet of a month's meeting material.
#[derive(Serialize)]
struct Packet<'p> {
    month: String,
    month_vi: String,
    docs: Vec<PacketDoc<'p>>,
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
#[derive(Debug, PartialEq)]
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
struct PacketDoc<'p> {
    id: &'p str,
    title: &'p str,
    number: Option<&'p str>,
    summary: Option<&'p str>,
    url: String,
    html: Body<'p>,
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

/// Every page of the site, ready to render: what they are made from, and the facts they
/// share.
pub struct Pages<'a> {
    pub ctx: &'a Ctx<'a>,
    pub theme: &'a Theme,
    pub rendered: &'a [Arc<Rendered>],
    facts: Facts,
    /// What every page's template receives: asset URLs, the site, the navigation.
    global: tera::Context,
    /// The hash of `global` and of the theme's templates.
    global_fp: u64,
    /// URL of the browser's search index: only the search page shows it.
    search_index: String,
}

/// The facts of [`Pages`] that depend only on the site's structure and on each page's
/// rendered Markdown, kept from one build to the next.
pub struct Facts {
    /// The structure key these facts were made for (see [`Pages::with_facts`]).
    key: u64,
    lists: Vec<ListSpec>,
    terms: Vec<TermsSpec>,
    superseded_by: BTreeMap<PageIdx, Vec<PageIdx>>,
    /// Per document: the documents before and after it in its section.
    neighbours: HashMap<PageIdx, (Option<PageIdx>, Option<PageIdx>)>,
    /// The fingerprint of each page as it appears in lists (of its [`Item`]).
    item_fp: Vec<u64>,
    /// The rendered pages `item_fp` was computed from (kept alive between builds, so that
    /// pointer equality means the same page; empty while the pages are rendered).
    of: Vec<Arc<Rendered>>,
}

impl Facts {
    fn new(ctx: &Ctx, rendered: &[Arc<Rendered>], key: u64) -> Facts {
        let c = ctx.content;
        // The taxonomies take one thread most of the time the rest take.
        let (((lists, terms), superseded_by), (neighbours, item_fp)) = rayon::join(
            || rayon::join(|| taxonomies(ctx), || superseded_by(c)),
            || {
                rayon::join(
                    || neighbours(c),
                    || {
                        (0..c.pages.len())
                            .into_par_iter()
                            .map(|i| item_fp(ctx, rendered, i))
                            .collect()
                    },
                )
            },
        );
        Facts {
            key,
            lists,
            terms,
            superseded_by,
            neighbours,
            item_fp,
            of: Vec::new(),
        }
    }

    /// The same facts for `rendered`: only the entries of pages rendered again are made
    /// again.
    fn update(mut self, ctx: &Ctx, rendered: &[Arc<Rendered>]) -> Facts {
        for (i, fp) in self.item_fp.iter_mut().enumerate() {
            if !Arc::ptr_eq(&self.of[i], &rendered[i]) {
                *fp = item_fp(ctx, rendered, i);
            }
        }
        self.of = Vec::new();
        self
    }
}

/// What every page's template receives.
#[derive(Serialize)]
struct Global<'a> {
    /// Static files by name ("site.css") -> URL (with its content hash).
    assets: BTreeMap<&'a str, String>,
    site: serde_json::Value,
    /// The home page's sections.
    nav: Vec<Link>,
}

impl<'a> Pages<'a> {
    /// Every page of the site, with the search index at `search_index`; reusing what
    /// `previous` (from [`Pages::into_facts`] of the last build) knows when the site's
    /// structure is the same (`previous.key == key`, a nonzero hash of everything but the
    /// Markdown bodies): the lists, terms and neighbours, and the list entries of pages whose
    /// Markdown was not rendered again. A rebuild after one document's text changed recomputes
    /// one entry, not 10,000; `None` and 0 make them all.
    pub fn with_facts(
        ctx: &'a Ctx<'a>,
        theme: &'a Theme,
        rendered: &'a [Arc<Rendered>],
        search_index: &str,
        previous: Option<Facts>,
        key: u64,
    ) -> Self {
        let previous =
            previous.filter(|f| key != 0 && f.key == key && f.of.len() == rendered.len());
        let facts = match previous {
            Some(f) => f.update(ctx, rendered),
            None => Facts::new(ctx, rendered, key),
        };
        Self::from_facts(ctx, theme, rendered, search_index, facts)
    }

    /// The pages of this very build again, from its own facts ([`Pages::into_own_facts`]):
    /// a one-shot build frees the page bodies while it makes the search index, then renders
    /// the search page without making the site's lists, terms and list entries again.
    pub fn from_facts(
        ctx: &'a Ctx<'a>,
        theme: &'a Theme,
        rendered: &'a [Arc<Rendered>],
        search_index: &str,
        facts: Facts,
    ) -> Self {
        let global = global(ctx, theme);
        let global_fp = hash::of_serialized(&(&theme.template_hashes, &global));
        let global = tera::Context::from_serialize(&global).unwrap_or_default();
        Pages {
            ctx,
            theme,
            rendered,
            facts,
            global,
            global_fp,
            search_index: ctx.href(search_index),
        }
    }

    /// What a later build can reuse (see [`Pages::with_facts`]).
    pub fn into_facts(self) -> Facts {
        Facts {
            of: self.rendered.to_vec(),
            ..self.facts
        }
    }

    /// This build's facts, for [`Pages::from_facts`] in the same build (they hold no rendered
    /// page, so the page bodies can be freed meanwhile).
    pub fn into_own_facts(self) -> Facts {
        self.facts
    }

    /// The same pages, for a search index at another URL (only the search page shows it).
    pub fn with_search_index(mut self, url: &str) -> Self {
        self.search_index = self.ctx.href(url);
        self
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
        for (i, l) in self.facts.lists.iter().enumerate() {
            let n = if l.paginate {
                page_count(l.docs.len(), self.ctx.config.page_size)
            } else {
                1
            };
            jobs.extend((1..=n).map(|k| Job::List(i, k)));
        }
        jobs.extend((0..self.facts.terms.len()).map(Job::Terms));
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
            Job::List(i, n) => paged_url(&self.facts.lists[*i].url, *n),
            Job::Terms(i) => self.facts.terms[*i].url.clone(),
            Job::MeetingPrint(m) => meeting_print_url(*m),
        })
    }

    /// A hash of everything a job's page is made from: the theme's templates, what every page
    /// shares, and the page's own context, the very value its template receives (without
    /// running the template; a body or a list entry counts by the hash it already has). Equal
    /// fingerprints, equal pages: an incremental build renders only pages whose fingerprint
    /// changed.
    pub fn fingerprint(&self, job: &Job) -> u64 {
        let page = self.context(job);
        hash::of_serialized(&(self.global_fp, page.template, &page.url, &page.values))
    }

    /// One page: its output path and its HTML (UTF-8 bytes, as the sink takes them: tera's
    /// output is not validated again as a `String`, a few percent of a full build).
    pub fn render(&self, job: &Job) -> Result<(String, Vec<u8>), crate::diagnostics::Diagnostic> {
        let page = self.context(job);
        let error = |e: tera::Error| template_error(&self.ctx.config.theme, &e);
        let mut cx = tera::Context::from_serialize(&page.values).map_err(error)?;
        cx.extend(self.global.clone());
        let mut html = Vec::with_capacity(16 * 1024);
        self.theme
            .tera
            .render_to(page.template, &cx, &mut html)
            .map_err(error)?;
        Ok((out_path(&page.url), html))
    }

    /// A job's page: its template, URL and context.
    fn context(&self, job: &Job) -> PageContext<'_> {
        let plain = |template, url: &str, page| PageContext {
            template,
            url: url.to_string(),
            values: Values::Plain { page },
        };
        match job {
            Job::Home => self.home(),
            Job::Section(i, n) => self.section(*i, *n),
            Job::Document(i) => self.document(*i),
            Job::List(i, n) => self.list(*i, *n),
            Job::Terms(i) => self.terms(*i),
            Job::MeetingPrint(m) => self.meeting_print(*m),
            Job::Search => self.search(),
            Job::Fixed(template, url, title) => {
                let page = self.info(title, url, title, "fixed", Vec::new(), "");
                plain(template, url, page)
            }
            Job::NotFound => {
                let title = "Không tìm thấy trang";
                let page = self.info(title, "/404.html", "", "404", Vec::new(), "");
                plain("404.html", "/404.html", page)
            }
        }
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

    /// Page `i`'s body.
    fn body(&self, i: PageIdx) -> Body<'_> {
        let r = &self.rendered[i];
        Hashed {
            value: &r.html,
            hash: r.html_hash,
        }
    }

    /// Page `i` as an entry of a list.
    fn entry(&self, i: PageIdx) -> Entry<'_> {
        Hashed {
            value: EntryOf {
                ctx: self.ctx,
                rendered: self.rendered,
                page: i,
            },
            hash: self.facts.item_fp[i],
        }
    }

    fn home(&self) -> PageContext<'_> {
        let c = self.ctx.content;
        let home = &c.pages[0];
        let mut recent: Vec<PageIdx> = (0..c.pages.len())
            .filter(|&i| c.pages[i].kind == PageKind::Document)
            .collect();
        sort_recent(c, &mut recent);
        let meetings = crate::widgets::meeting_months(c, crate::widgets::MEETING_MONTHS)
            .into_iter()
            .map(|(m, docs)| MeetingMonth {
                month: m.to_string(),
                label: m.vi(),
                doc: docs.first().map(|&i| c.pages[i].id.as_str()),
                items: docs.iter().map(|&i| self.entry(i)).collect(),
            })
            .collect();
        let description = home.fm.summary.as_deref();
        let description = description.unwrap_or(&self.ctx.config.description);
        let page = self.info(&home.fm.title, "/", description, "home", Vec::new(), "");
        PageContext {
            template: "index.html",
            url: "/".into(),
            values: Values::Home(HomeCtx {
                page,
                html: self.body(0),
                sections: home.children.iter().map(|&i| self.entry(i)).collect(),
                recent: recent.iter().take(8).map(|&i| self.entry(i)).collect(),
                meetings,
            }),
        }
    }

    /// The printed packet of `month`: its agenda (the documents in order), each document in
    /// full, and an attendance sheet (its names filled in on the phone, from the roster).
    fn meeting_print(&self, month: crate::frontmatter::Month) -> PageContext<'_> {
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
                    html: self.body(i),
                }
            })
            .collect();
        let url = meeting_print_url(month);
        let title = format!("Tài liệu sinh hoạt chi bộ {} (bản in)", month.vi());
        let page = self.info(&title, &url, &title, "meeting-print", Vec::new(), "");
        let packet = Packet {
            month: month.to_string(),
            month_vi: month.vi(),
            docs,
        };
        PageContext {
            template: "meeting_print.html",
            url,
            values: Values::MeetingPrint { page, packet },
        }
    }

    fn section(&self, i: PageIdx, n: usize) -> PageContext<'_> {
        let c = self.ctx.content;
        let p = &c.pages[i];
        let all = section_items(c, i);
        let size = self.ctx.config.page_size;
        let items = all
            .iter()
            .skip((n - 1) * size)
            .take(size)
            .map(|&k| self.entry(k))
            .collect();
        let url = paged_url(&p.url, n);
        let title = if n > 1 {
            format!("{} (trang {n})", p.fm.title)
        } else {
            p.fm.title.clone()
        };
        let description = p.fm.summary.as_deref().unwrap_or(&self.rendered[i].excerpt);
        let crumbs = self.breadcrumbs(i);
        let page = self.info(&title, &url, description, "section", crumbs, &p.id);
        let html = match n {
            1 => self.body(i),
            _ => Hashed { value: "", hash: 0 },
        };
        PageContext {
            template: "section.html",
            values: Values::Section(SectionCtx {
                page,
                section: SectionInfo {
                    title: &p.fm.title,
                    summary: p.fm.summary.as_deref(),
                },
                html,
                items,
                pagination: self.pagination(&p.url, n, all.len()),
            }),
            url,
        }
    }

    fn document(&self, i: PageIdx) -> PageContext<'_> {
        let ctx = self.ctx;
        let c = ctx.content;
        let p = &c.pages[i];
        let fm = &p.fm;
        let description = fm.summary.as_deref().unwrap_or(&self.rendered[i].excerpt);
        let crumbs = self.breadcrumbs(i);
        let page = self.info(&fm.title, &p.url, description, "document", crumbs, &p.id);
        PageContext {
            template: "document.html",
            url: p.url.clone(),
            values: Values::Document {
                page,
                doc: Box::new(self.document_ctx(i)),
            },
        }
    }

    /// What a document's page shows of it.
    fn document_ctx(&self, i: PageIdx) -> DocumentCtx<'_> {
        let ctx = self.ctx;
        let c = ctx.content;
        let p = &c.pages[i];
        let fm = &p.fm;
        let links = |pages: &mut dyn Iterator<Item = &PageIdx>| -> Vec<Link> {
            pages.map(|&k| link(ctx, &c.pages[k])).collect()
        };
        let (prev, next) = self.facts.neighbours.get(&i).copied().unwrap_or_default();
        DocumentCtx {
            id: &p.id,
            title: &fm.title,
            number: fm.number.as_deref(),
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
            summary: fm.summary.as_deref(),
            meeting: fm.meeting.map(|m| m.vi()),
            meeting_month: fm.meeting.map(|m| m.to_string()),
            html: self.body(i),
            superseded_by: links(&mut self.facts.superseded_by.get(&i).into_iter().flatten()),
            supersedes: links(&mut fm.supersedes.iter().filter_map(|s| c.by_id.get(s))),
            attachments: p.attachments.iter().map(|&a| attachment(ctx, a)).collect(),
            prev: prev.map(|k| link(ctx, &c.pages[k])),
            next: next.map(|k| link(ctx, &c.pages[k])),
            hash: &p.hash,
            section: p.parent.filter(|&s| s != 0).map(|s| link(ctx, &c.pages[s])),
            #[cfg(test)]
            drafts: c.drafts.len(),
        }
    }

    fn list(&self, i: usize, n: usize) -> PageContext<'_> {
        let l = &self.facts.lists[i];
        let size = if l.paginate {
            self.ctx.config.page_size
        } else {
            usize::MAX
        };
        let items = l
            .docs
            .iter()
            .skip((n - 1).saturating_mul(size))
            .take(size)
            .map(|&k| self.entry(k))
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
        crumbs.extend(l.parent.clone());
        let page = self.info(&title, &url, &l.description, "list", crumbs, "");
        let count = if l.paginate { l.docs.len() } else { 0 };
        PageContext {
            template: "list.html",
            values: Values::List(ListCtx {
                page,
                list: ListInfo {
                    title: &l.title,
                    description: &l.description,
                    count: l.docs.len(),
                },
                items,
                pagination: self.pagination(&l.url, n, count),
            }),
            url,
        }
    }

    fn terms(&self, i: usize) -> PageContext<'_> {
        let t = &self.facts.terms[i];
        let crumbs = vec![Link {
            title: "Trang chủ".into(),
            url: self.ctx.href("/"),
        }];
        let page = self.info(&t.title, &t.url, &t.title, "terms", crumbs, "");
        PageContext {
            template: "terms.html",
            url: t.url.clone(),
            values: Values::Terms {
                page,
                terms: &t.terms,
            },
        }
    }

    fn search(&self) -> PageContext<'_> {
        let description = "Tìm văn bản trong sổ tay, có dấu hoặc không dấu";
        let page = self.info(
            "Tìm kiếm",
            "/tim-kiem/",
            description,
            "search",
            Vec::new(),
            "",
        );
        PageContext {
            template: "search.html",
            url: "/tim-kiem/".into(),
            values: Values::Search {
                page,
                kinds: &self.ctx.config.kinds,
                search_index: &self.search_index,
            },
        }
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

/// What every page's template receives: asset URLs, the site's settings and URLs, the home
/// page's sections.
fn global<'t>(ctx: &Ctx, theme: &'t Theme) -> Global<'t> {
    let c = ctx.content;
    let assets = theme
        .assets
        .iter()
        .map(|(k, (u, _))| (k.as_str(), ctx.href(u)))
        .collect();
    let site = serde_json::json!({
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
    });
    let nav = c.pages[0]
        .children
        .iter()
        .filter(|&&i| c.pages[i].kind == PageKind::Section)
        .map(|&i| link(ctx, &c.pages[i]))
        .collect();
    Global { assets, site, nav }
}

/// Which documents each document is superseded by.
fn superseded_by(c: &crate::content::Content) -> BTreeMap<PageIdx, Vec<PageIdx>> {
    let mut by: BTreeMap<PageIdx, Vec<PageIdx>> = BTreeMap::new();
    for (i, p) in c.pages.iter().enumerate() {
        for s in &p.fm.supersedes {
            if let Some(&t) = c.by_id.get(s) {
                by.entry(t).or_default().push(i);
            }
        }
    }
    by
}

/// Each document's neighbours in its section: the documents before and after it.
fn neighbours(c: &crate::content::Content) -> HashMap<PageIdx, (Option<PageIdx>, Option<PageIdx>)> {
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
    neighbours
}

/// An attachment as a document's page shows it.
fn attachment(ctx: &Ctx, a: usize) -> Attachment {
    let a = &ctx.content.assets[a];
    Attachment {
        name: a.name.clone(),
        url: ctx.href(&a.url),
        kind: crate::html::type_label(&a.ext),
        size: crate::html::human_size(a.size),
    }
}

/// The fingerprint of page `i` as an entry of lists (see [`Entry`]).
fn item_fp(ctx: &Ctx, rendered: &[Arc<Rendered>], i: PageIdx) -> u64 {
    hash::of_serialized(&item(ctx, rendered, i))
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
    for t in TAXONOMIES {
        terms.push(taxonomy(ctx, &docs, t, &mut lists));
    }
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

    let mut recent = docs;
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

/// A way of grouping documents: by kind, tag, issuer or year.
struct Taxonomy {
    /// The URL segment of its pages (`/loai/`, `/loai/nghi-quyet/`).
    base: &'static str,
    /// The title of its index page.
    title: &'static str,
    /// A group's title, from its name.
    describe: fn(&str) -> String,
    /// The groups a document is in: (slug, name).
    key: fn(&Ctx, &Page) -> Vec<(String, String)>,
    /// Groups in reverse order (years: newest first).
    reverse: bool,
}

const TAXONOMIES: &[Taxonomy] = &[
    Taxonomy {
        base: "loai",
        title: "Loại văn bản",
        describe: |name| name.to_string(),
        key: |ctx, p| {
            p.fm.kind
                .iter()
                .map(|k| (k.clone(), ctx.config.kind_label(k).unwrap_or(k).to_string()))
                .collect()
        },
        reverse: false,
    },
    Taxonomy {
        base: "chu-de",
        title: "Chủ đề",
        describe: |name| format!("Chủ đề: {name}"),
        key: |_, p| {
            p.fm.tags
                .iter()
                .map(|t| (text::slug(t), t.clone()))
                .collect()
        },
        reverse: false,
    },
    Taxonomy {
        base: "co-quan",
        title: "Cơ quan ban hành",
        describe: |name| format!("Cơ quan ban hành: {name}"),
        key: |_, p| {
            p.fm.issuer
                .iter()
                .map(|s| (text::slug(s), s.clone()))
                .collect()
        },
        reverse: false,
    },
    Taxonomy {
        base: "nam",
        title: "Năm ban hành",
        describe: |name| format!("Văn bản năm {name}"),
        key: |_, p| {
            p.fm.issued
                .or(p.fm.effective)
                .iter()
                .map(|d| (d.year.to_string(), d.year.to_string()))
                .collect()
        },
        reverse: true,
    },
];

/// The lists of one taxonomy's groups (into `lists`) and its index page.
fn taxonomy(ctx: &Ctx, docs: &[PageIdx], t: &Taxonomy, lists: &mut Vec<ListSpec>) -> TermsSpec {
    let c = ctx.content;
    let mut groups: BTreeMap<String, (String, Vec<PageIdx>)> = BTreeMap::new();
    for &i in docs {
        for (slug, name) in (t.key)(ctx, &c.pages[i]) {
            groups
                .entry(slug)
                .or_insert_with(|| (name, Vec::new()))
                .1
                .push(i);
        }
    }
    let mut term_items = Vec::new();
    let parent = Link {
        title: t.title.to_string(),
        url: ctx.href(&format!("/{}/", t.base)),
    };
    let mut keys: Vec<&String> = groups.keys().collect();
    if t.reverse {
        keys.reverse();
    }
    for slug in keys {
        let (name, list) = &groups[slug];
        let url = format!("/{}/{slug}/", t.base);
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
            title: (t.describe)(name),
            description: (t.describe)(name),
            docs: list.clone(),
            paginate: true,
            parent: Some(parent.clone()),
        });
    }
    TermsSpec {
        url: format!("/{}/", t.base),
        title: t.title.to_string(),
        terms: term_items,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::Path;

    fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
        walkdir::WalkDir::new(dir)
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file())
            .map(|e| {
                let rel = e.path().strip_prefix(dir).unwrap_or(e.path());
                let bytes = std::fs::read(e.path()).unwrap_or_default();
                (rel.to_string_lossy().into_owned(), bytes)
            })
            .collect()
    }

    /// A field added to a page's context is in its fingerprint without anyone saying so:
    /// `DocumentCtx::drafts` (a field of test builds only) reads what nothing else on a
    /// document's page reads, how many drafts the site has, and the theme shows it. Adding a
    /// draft changes no document's Markdown, front matter, neighbours or list entry (what the
    /// hand-kept fingerprint of old looked at), yet an incremental build must render every
    /// document again, to the same bytes as a clean build.
    #[test]
    fn a_new_context_field_is_in_the_fingerprint() {
        let site = tempfile::tempdir().expect("tmp");
        let root = site.path();
        let write = |rel: &str, bytes: &[u8]| {
            let p = root.join(rel);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(p, bytes).expect("write");
        };
        for (path, bytes) in crate::theme::DEFAULT_THEME {
            let mut bytes = bytes.to_vec();
            if *path == "templates/document.html" {
                let t = String::from_utf8(bytes).expect("utf-8");
                let probe = "<p class=\"drafts\">{{ doc.drafts }}</p><article class=\"doc\"";
                bytes = t.replacen("<article class=\"doc\"", probe, 1).into_bytes();
            }
            write(&format!("themes/default/{path}"), &bytes);
        }
        write(
            "content/a.md",
            "---\ntitle: Văn bản A\n---\nNội dung A.\n".as_bytes(),
        );
        write(
            "content/b.md",
            "---\ntitle: Văn bản B\n---\nNội dung B.\n".as_bytes(),
        );

        let out = root.join("public");
        let mut builder = crate::Builder::new(root);
        crate::build_with(&mut builder, &out).expect("first build");
        let page = |dir: &Path| std::fs::read_to_string(dir.join("a/index.html")).expect("page");
        assert!(page(&out).contains("<p class=\"drafts\">0</p>"));

        write(
            "content/nhap.md",
            "---\ntitle: Bản nháp\nstatus: draft\n---\nChưa xong.\n".as_bytes(),
        );
        let again = crate::build_with(&mut builder, &out).expect("incremental build");
        assert!(
            page(&out).contains("<p class=\"drafts\">1</p>"),
            "{}",
            page(&out)
        );
        assert!(
            again.changed.iter().any(|p| p == "b/index.html"),
            "{:?}",
            again.changed
        );

        let clean = root.join("clean");
        crate::build(root, &clean).expect("clean build");
        assert!(
            tree(&out) == tree(&clean),
            "the incremental build differs from a clean one"
        );
    }
}
