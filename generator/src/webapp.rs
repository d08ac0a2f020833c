//! The installable web app: `manifest.webmanifest` (name, icons, start URL), and the service
//! worker `sw.js` with its precache list (every page, asset, attachment and file of the
//! browser's search index, each with its content hash), by which phones keep the handbook.
//!
//! The precache list is a hashed file (`precache.<hash>.json`) named inside `sw.js`, so
//! `sw.js` changes exactly when some published file changed: that is how phones learn there is
//! a new version, and the hashes let them download only what changed.

use crate::write::FileMeta;
use crate::Ctx;
use std::collections::BTreeMap;

/// Files that phones do not need offline.
fn skip(path: &str) -> bool {
    matches!(
        path,
        "sitemap.xml" | "atom.xml" | "sw.js" | "manifest.webmanifest" | "report-targets.json"
    ) || path.starts_with("precache.")
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
    let version = crate::hash::short(&body);
    let doc = serde_json::json!({"version": version, "entries": list});
    let precache = format!("precache.{version}.json");
    let mut out = vec![(
        precache.clone(),
        serde_json::to_vec(&doc).map_err(|e| e.to_string())?,
    )];
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
    }
}
