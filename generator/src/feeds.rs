//! Machine-readable outputs: the Atom feed, `sitemap.xml`, `meetings.json` and `catalog.json`
//! (every document's id, URL, title, kind and content hash; the sync server checks reading
//! events against it).

use crate::content::PageKind;
use crate::html::esc;
use crate::markdown::Rendered;
use crate::Ctx;
use serde::Serialize;

/// The newest documents as an Atom feed.
pub fn atom(ctx: &Ctx, rendered: &[std::sync::Arc<Rendered>]) -> String {
    let c = ctx.content;
    let mut docs: Vec<usize> = (0..c.pages.len())
        .filter(|&i| c.pages[i].kind == PageKind::Document)
        .collect();
    crate::render::sort_recent(c, &mut docs);
    docs.truncate(ctx.config.feed_limit);
    let updated = docs
        .iter()
        .filter_map(|&i| c.pages[i].updated())
        .max()
        .map_or("2000-01-01T00:00:00Z".to_string(), |d| d.rfc3339());
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"vi\">\n");
    s.push_str(&format!("<title>{}</title>\n", esc(&ctx.config.title)));
    s.push_str(&format!(
        "<subtitle>{}</subtitle>\n",
        esc(&ctx.config.description)
    ));
    s.push_str(&format!(
        "<link href=\"{}\" rel=\"self\" type=\"application/atom+xml\"/>\n",
        esc(&ctx.absolute("/atom.xml"))
    ));
    s.push_str(&format!("<link href=\"{}\"/>\n", esc(&ctx.absolute("/"))));
    s.push_str(&format!(
        "<id>{}</id>\n<updated>{updated}</updated>\n",
        esc(&ctx.absolute("/"))
    ));
    let author = if ctx.config.organization.is_empty() {
        &ctx.config.title
    } else {
        &ctx.config.organization
    };
    s.push_str(&format!("<author><name>{}</name></author>\n", esc(author)));
    for i in docs {
        let p = &c.pages[i];
        let url = ctx.absolute(&p.url);
        let when = p.updated().map_or(updated.clone(), |d| d.rfc3339());
        let summary =
            p.fm.summary
                .clone()
                .unwrap_or_else(|| rendered[i].excerpt.clone());
        s.push_str("<entry>\n");
        s.push_str(&format!(
            "<title>{}</title>\n<link href=\"{}\"/>\n<id>{}</id>\n<updated>{when}</updated>\n",
            esc(&p.fm.title),
            esc(&url),
            esc(&url)
        ));
        if let Some(d) = p.fm.issued {
            s.push_str(&format!("<published>{}</published>\n", d.rfc3339()));
        }
        if !summary.is_empty() {
            s.push_str(&format!("<summary>{}</summary>\n", esc(&summary)));
        }
        s.push_str("</entry>\n");
    }
    s.push_str("</feed>\n");
    s
}

/// Every HTML page, with the date of documents.
pub fn sitemap(ctx: &Ctx, html_paths: &[String]) -> String {
    let c = ctx.content;
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n");
    let lastmod: std::collections::HashMap<String, String> = c
        .pages
        .iter()
        .filter_map(|p| {
            p.updated()
                .map(|d| (crate::render::out_path(&p.url), d.to_string()))
        })
        .collect();
    for path in html_paths {
        if path == "404.html" {
            continue;
        }
        let url = format!("/{}", path.trim_end_matches("index.html"));
        s.push_str(&format!("<url><loc>{}</loc>", esc(&ctx.absolute(&url))));
        if let Some(d) = lastmod.get(path) {
            s.push_str(&format!("<lastmod>{d}</lastmod>"));
        }
        s.push_str("</url>\n");
    }
    s.push_str("</urlset>\n");
    s
}

/// One document of `catalog.json`; fields in alphabetical order, the order they are written in.
#[derive(Serialize)]
struct CatalogDoc<'a> {
    hash: &'a str,
    id: &'a str,
    kind: Option<&'a str>,
    meeting: Option<String>,
    number: Option<&'a str>,
    section: Option<&'a str>,
    status: &'static str,
    title: &'a str,
    url: String,
}

/// `catalog.json` as a whole (serialized directly: no `serde_json::Value` tree per document).
#[derive(Serialize)]
struct Catalog<'a> {
    documents: Vec<CatalogDoc<'a>>,
    title: &'a str,
    version: u32,
}

/// `catalog.json`: the published documents, in source order.
pub fn catalog(ctx: &Ctx) -> String {
    catalog_of(ctx, |_| true)
}

/// `meetings.json`: the documents of cell meetings' material (with `meeting: YYYY-MM`), as
/// `catalog.json` lists them. The meeting page reads it offline: phones keep this small file,
/// which an edit to another document leaves as it was, rather than the whole catalog, which
/// every edit changes (at 10,000 documents 315 KB gzip to download again each time).
pub fn meetings(ctx: &Ctx) -> String {
    catalog_of(ctx, |p| p.fm.meeting.is_some())
}

fn catalog_of(ctx: &Ctx, keep: impl Fn(&crate::content::Page) -> bool) -> String {
    let c = ctx.content;
    let docs: Vec<CatalogDoc> = c
        .pages
        .iter()
        .filter(|p| p.kind == PageKind::Document && keep(p))
        .map(|p| CatalogDoc {
            id: &p.id,
            url: ctx.href(&p.url),
            title: &p.fm.title,
            kind: p.fm.kind.as_deref(),
            hash: &p.hash,
            number: p.fm.number.as_deref(),
            status: p.fm.status.as_str(),
            meeting: p.fm.meeting.map(|m| m.to_string()),
            section: p.parent.filter(|&s| s != 0).map(|s| c.pages[s].id.as_str()),
        })
        .collect();
    let v = Catalog {
        documents: docs,
        title: &ctx.config.title,
        version: 1,
    };
    let mut s = serde_json::to_string_pretty(&v).unwrap_or_default();
    s.push('\n');
    s
}
