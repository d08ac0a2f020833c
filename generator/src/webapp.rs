//! The installable web app: `manifest.webmanifest` (name, icons, start URL), and the service
//! worker `sw.js` with its precache list (every page, asset, attachment and file of the
//! browser's search index, each with its content hash), by which phones keep the handbook.
//!
//! The precache list is a hashed file (`precache.<hash>.json`) named inside `sw.js`, so
//! `sw.js` changes exactly when some published file changed: that is how phones learn there is
//! a new version, and the hashes let them download only what changed. The list itself comes in
//! parts (`precache/<hash>.json`, see [`parts`]) that the root names with their lengths: after
//! an edit a phone downloads the few parts that changed, not the whole list (at 10,000
//! documents 238 KB gzip); a first install downloads the whole list at once
//! (`precache/<version>.json`).

use crate::write::FileMeta;
use crate::Ctx;
use std::collections::BTreeMap;

/// Files that phones do not need offline. (`catalog.json` is for machines and the server; the
/// meeting page reads `meetings.json`.)
fn skip(path: &str) -> bool {
    matches!(
        path,
        "sitemap.xml"
            | "atom.xml"
            | "sw.js"
            | "manifest.webmanifest"
            | "report-targets.json"
            | "catalog.json"
    ) || path.starts_with("precache")
}

/// Entries of the precache list of `n` entries in a part, on average (at most 4 times as
/// many): a power of two near √n / 4, from 8 to 64. An update brings the root (a hash per part)
/// and the parts its changed entries are in; a few dozen entries change after an edit, so
/// parts of about √n / 4 keep the two together small (at 10,000 documents, 14,500 entries: 32
/// a part, ~450 parts).
fn part_size(n: usize) -> u64 {
    (((n as f64).sqrt() / 4.0).ceil() as u64)
        .next_power_of_two()
        .clamp(8, 64)
}

/// What decides where the list is cut: the URL without its content hashes (runs of 8 or more
/// hex digits), so that a file whose content changed keeps the cuts where they were.
fn stable(url: &str) -> String {
    let mut out = String::with_capacity(url.len());
    let mut run = String::new();
    for c in url.chars() {
        if c.is_ascii_hexdigit() {
            run.push(c);
            continue;
        }
        if run.len() < 8 {
            out.push_str(&run);
        }
        run.clear();
        out.push(c);
    }
    if run.len() < 8 {
        out.push_str(&run);
    }
    out
}

/// Cuts the (sorted) list of URLs into parts, by their content rather than their places: a
/// part ends after a URL whose [`stable`] form (numbered within a run of equal ones) hashes to
/// 0 modulo [`part_size`], or at 4 times that many entries. A file added, removed or changed
/// then changes only the part it is in (and a renamed one the part it goes to), however many
/// come before it. Returns where each part ends.
fn parts<'a>(urls: impl ExactSizeIterator<Item = &'a str>) -> Vec<usize> {
    let per = part_size(urls.len());
    let max = 4 * per as usize;
    let mut ends = Vec::new();
    let mut last = String::new();
    let mut same = 0u32;
    let mut start = 0;
    let mut i = 0;
    for url in urls {
        let key = stable(url);
        same = if key == last { same + 1 } else { 0 };
        let cut = u64::from(crate::search::terms::fnv1a(&format!("{key}#{same}"))) % per == 0;
        last = key;
        i += 1;
        if cut || i - start >= max {
            ends.push(i);
            start = i;
        }
    }
    if i > start || ends.is_empty() {
        ends.push(i);
    }
    ends
}

/// Download order: what makes the app usable first, then documents, then lists, then the
/// (large) attachments. When storage runs out, the most useful part is already saved. The
/// "not found" page is saved too: offline, a page the handbook does not have gets it.
fn priority(path: &str) -> u8 {
    if path == "index.html"
        || path == "404.html"
        || path.starts_with("static/")
        || path.starts_with("search/")
        || [
            "ngoai-tuyen/",
            "tim-kiem/",
            "dang-ky/",
            "doc-sau/",
            "thong-bao/",
            "huong-dan-cai-dat/",
        ]
        .iter()
        .any(|p| path.starts_with(p))
    {
        0
    } else if !path.ends_with(".html") {
        3
    } else if path.contains("/trang-")
        || ["loai/", "chu-de/", "co-quan/", "nam/", "moi-cap-nhat/"]
            .iter()
            .any(|p| path.starts_with(p))
    {
        2
    } else {
        1
    }
}

/// The URL a file is requested at: `a/index.html` is asked for as `/a/`.
fn url_of(ctx: &Ctx, path: &str) -> String {
    let url = if path == "index.html" {
        "/".to_string()
    } else if let Some(dir) = path.strip_suffix("/index.html") {
        format!("/{dir}/")
    } else {
        format!("/{path}")
    };
    ctx.href(&url)
}

/// The web app manifest: the site's own, made before the precache list (which includes it).
pub fn web_manifest(ctx: &Ctx, theme: &crate::theme::Theme) -> Result<Vec<u8>, String> {
    let icon = |name: &str| theme.asset_url(name).map(|u| ctx.href(u));
    let mut icons = Vec::new();
    for (name, size, purpose) in [
        ("icons/icon-192.png", "192x192", "any"),
        ("icons/icon-512.png", "512x512", "any"),
        ("icons/maskable-512.png", "512x512", "maskable"),
    ] {
        if let Some(src) = icon(name) {
            icons.push(serde_json::json!({"src": src, "sizes": size, "type": "image/png", "purpose": purpose}));
        }
    }
    let manifest = serde_json::json!({
        "name": ctx.config.title,
        "short_name": "Sổ tay ĐV",
        "description": ctx.config.description,
        "lang": "vi",
        "dir": "ltr",
        "start_url": ctx.href("/"),
        "scope": ctx.href("/"),
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#9b1b1b",
        "icons": icons,
    });
    serde_json::to_vec_pretty(&manifest).map_err(|e| e.to_string())
}

/// The precache manifest and `sw.js`, from the hash and size of every other output file:
/// `(path, bytes)` pairs to write.
pub fn service_worker(
    ctx: &Ctx,
    theme: &crate::theme::Theme,
    files: &BTreeMap<String, FileMeta>,
) -> Result<Vec<(String, Vec<u8>)>, String> {
    let mut entries: Vec<(u8, String, &str, u64)> = files
        .iter()
        .filter(|(path, _)| !skip(path))
        .map(|(path, m)| (priority(path), url_of(ctx, path), m.hash.as_str(), m.size))
        .collect();
    entries.sort();
    let list: Vec<serde_json::Value> = entries
        .iter()
        .map(|(_, u, h, n)| serde_json::json!([u, h, n]))
        .collect();
    let body = serde_json::to_vec(&list).map_err(|e| e.to_string())?;
    let version = crate::hash::file(&body);
    let mut out = Vec::new();
    let mut names = Vec::new();
    let mut start = 0;
    for end in parts(entries.iter().map(|e| e.1.as_str())) {
        let part = serde_json::to_vec(&list[start..end]).map_err(|e| e.to_string())?;
        let hash = crate::hash::file(&part);
        out.push((format!("precache/{hash}.json"), part));
        names.push(serde_json::json!([hash, end - start]));
        start = end;
    }
    // The whole list too, for a first install (one download rather than one per part): at
    // `{base}precache/{version}.json`, as the parts are at `{base}precache/{hash}.json`. (A
    // list of one part is that part.)
    let whole = format!("precache/{version}.json");
    if !out.iter().any(|(p, _)| *p == whole) {
        out.push((whole, body));
    }
    let doc = serde_json::json!({"version": version, "parts": names});
    let precache = format!("precache.{version}.json");
    out.push((
        precache.clone(),
        serde_json::to_vec(&doc).map_err(|e| e.to_string())?,
    ));
    if let Some(sw) = &theme.service_worker {
        let outbox = theme
            .asset_url("outbox.js")
            .map(|u| ctx.href(u))
            .unwrap_or_default();
        // The icon of a notification (Web Push for notices).
        let icon = theme
            .asset_url("icons/icon-192.png")
            .map(|u| ctx.href(u))
            .unwrap_or_default();
        let sw = sw
            .replace("__SOTAY_VERSION__", &version)
            .replace("__SOTAY_MANIFEST__", &ctx.href(&format!("/{precache}")))
            .replace("__SOTAY_BASE__", &ctx.href("/"))
            .replace("__SOTAY_OUTBOX__", &outbox)
            .replace("__SOTAY_ICON__", &icon);
        out.push(("sw.js".into(), sw.into_bytes()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn priorities() {
        assert_eq!(priority("index.html"), 0);
        assert_eq!(priority("404.html"), 0);
        assert!(!skip("404.html"), "saved for offline");
        assert_eq!(priority("static/site.abc.css"), 0);
        assert_eq!(priority("nghi-quyet/nq-05/index.html"), 1);
        assert_eq!(priority("loai/nghi-quyet/index.html"), 2);
        assert_eq!(priority("nghi-quyet/trang-2/index.html"), 2);
        assert_eq!(priority("bieu-mau/x/mau.docx"), 3);
        assert!(skip("precache.0123456789abcdef.json") && skip("precache/0123456789abcdef.json"));
        assert!(skip("catalog.json") && !skip("meetings.json"));
    }

    #[test]
    fn stable_urls_leave_out_hashes() {
        assert_eq!(stable("/search/t/821.b8254e74.bin"), "/search/t/821..bin");
        assert_eq!(
            stable("/static/site.0123456789abcdef.css"),
            "/static/site..css"
        );
        assert_eq!(stable("/s01/doc-00001/"), "/s01/doc-00001/");
        assert_eq!(stable("/nam/2026/"), "/nam/2026/");
    }

    /// The list is cut by its content: a URL added, removed or renamed changes one part or
    /// two; every other part stays the same, entry for entry.
    #[test]
    fn parts_change_where_the_list_changes() {
        let urls: Vec<String> = (0..5000)
            .map(|i| format!("/s{:02}/doc-{i:05}/", i % 20))
            .collect();
        let cut = |urls: &[String]| -> Vec<Vec<String>> {
            let mut start = 0;
            parts(urls.iter().map(String::as_str))
                .into_iter()
                .map(|end| {
                    let p = urls[start..end].to_vec();
                    start = end;
                    p
                })
                .collect()
        };
        let before = cut(&urls);
        assert_eq!(part_size(5000), 32);
        assert!((80..=320).contains(&before.len()), "{} parts", before.len());
        assert!(before.iter().all(|p| !p.is_empty() && p.len() <= 4 * 32));
        assert_eq!(before.concat(), urls);
        for (edit, at) in [("insert", 2500), ("remove", 17), ("remove", 4990)] {
            let mut after = urls.clone();
            if edit == "insert" {
                after.insert(at, "/s07/doc-new/".into());
            } else {
                after.remove(at);
            }
            let after = cut(&after);
            let old: std::collections::HashSet<&Vec<String>> = before.iter().collect();
            let new = after.iter().filter(|p| !old.contains(p)).count();
            assert!((1..=2).contains(&new), "{edit} at {at}: {new} new parts");
        }
        // A file whose hash in its name changed: the same cuts.
        let hashed = |h: &str| -> Vec<String> {
            (0..2000)
                .map(|i| format!("/search/t/{i}.{h}{i:04}.bin"))
                .collect()
        };
        let (a, b) = (cut(&hashed("aaaa")), cut(&hashed("bbbb")));
        assert_eq!(
            a.iter().map(Vec::len).collect::<Vec<_>>(),
            b.iter().map(Vec::len).collect::<Vec<_>>()
        );
        assert!(a.len() > 3);
        assert_eq!(
            (part_size(195), part_size(14_500), part_size(1_000_000)),
            (8, 32, 64)
        );
    }
}
