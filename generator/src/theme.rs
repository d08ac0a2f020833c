//! The theme: Tera templates and static files (CSS, JS, icons). The default theme is compiled
//! into the binary, so a site root needs only `content/`; a site may instead have its own
//! `themes/<name>/` folder (the sample site does, so editors see template changes at once).
//!
//! Static files are published under `/static/` with a content hash in their name
//! (`site.3f2a1b9c0d4e5f60.css`), so that servers can cache them for a year.

use crate::diagnostics::{Diagnostics, Pos};
use std::collections::BTreeMap;
use std::path::Path;

include!(concat!(env!("OUT_DIR"), "/default_theme.rs"));

/// A loaded theme.
pub struct Theme {
    pub tera: tera::Tera,
    /// Static files: original name ("site.css") -> (published URL path, bytes).
    pub assets: BTreeMap<String, (String, Vec<u8>)>,
    /// Template names and a hash of each, so that a template change can be traced to pages.
    pub template_hashes: BTreeMap<String, String>,
    /// The service worker's source (`sw.js` at the theme's top), with placeholders that the
    /// build fills in (`webapp`).
    pub service_worker: Option<String>,
}

impl Theme {
    /// Loads `root/themes/<name>/` if it exists, else the built-in default theme.
    pub fn load(root: &Path, name: &str, diags: &mut Diagnostics) -> Option<Theme> {
        let dir = root.join("themes").join(name);
        let mut files: Vec<(String, Vec<u8>)> = Vec::new();
        if dir.is_dir() {
            for entry in walkdir::WalkDir::new(&dir).sort_by_file_name() {
                let entry = match entry {
                    Ok(e) => e,
                    Err(e) => {
                        diags.error(
                            &format!("themes/{name}"),
                            Pos::FILE,
                            format!("cannot read: {e}"),
                        );
                        continue;
                    }
                };
                if !entry.file_type().is_file()
                    || entry.file_name().to_string_lossy().starts_with('.')
                {
                    continue;
                }
                let rel = entry.path().strip_prefix(&dir).unwrap_or(entry.path());
                let rel = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy())
                    .collect::<Vec<_>>()
                    .join("/");
                match std::fs::read(entry.path()) {
                    Ok(b) => files.push((rel, b)),
                    Err(e) => diags.error(
                        &format!("themes/{name}/{rel}"),
                        Pos::FILE,
                        format!("cannot read: {e}"),
                    ),
                }
            }
        } else if name == "default" {
            files = DEFAULT_THEME
                .iter()
                .map(|(p, b)| (p.to_string(), b.to_vec()))
                .collect();
        } else {
            diags.error(
                crate::config::FILE,
                Pos::FILE,
                format!("theme \"{name}\" not found: no folder themes/{name}"),
            );
            return None;
        }
        Theme::from_files(name, files, diags)
    }

    fn from_files(
        name: &str,
        files: Vec<(String, Vec<u8>)>,
        diags: &mut Diagnostics,
    ) -> Option<Theme> {
        let mut tera = tera::Tera::new();
        tera.autoescape_on(vec![".html", ".xml"]);
        let mut templates = Vec::new();
        let mut assets = BTreeMap::new();
        let mut template_hashes = BTreeMap::new();
        let mut service_worker = None;
        for (rel, bytes) in files {
            if let Some(t) = rel.strip_prefix("templates/") {
                match String::from_utf8(bytes) {
                    Ok(s) => {
                        template_hashes.insert(t.to_string(), crate::hash::short(s.as_bytes()));
                        templates.push((t.to_string(), s));
                    }
                    Err(_) => diags.error(
                        &format!("themes/{name}/{rel}"),
                        Pos::FILE,
                        "not valid UTF-8 text",
                    ),
                }
            } else if let Some(s) = rel.strip_prefix("static/") {
                let hash = crate::hash::file(&bytes);
                let url = match s.rsplit_once('.') {
                    Some((stem, ext)) => format!("/static/{stem}.{hash}.{ext}"),
                    None => format!("/static/{s}.{hash}"),
                };
                assets.insert(s.to_string(), (url, bytes));
            } else if rel == "sw.js" {
                service_worker = String::from_utf8(bytes).ok();
            }
        }
        if let Err(e) =
            tera.add_raw_templates(templates.iter().map(|(n, s)| (n.as_str(), s.as_str())))
        {
            diags.push(template_error(name, &e));
            return None;
        }
        for required in [
            "index.html",
            "section.html",
            "document.html",
            "list.html",
            "terms.html",
            "404.html",
            "search.html",
        ] {
            if !tera.contains_template(required) {
                diags.error(
                    &format!("themes/{name}/templates/{required}"),
                    Pos::FILE,
                    "the theme needs this template",
                );
            }
        }
        Some(Theme {
            tera,
            assets,
            template_hashes,
            service_worker,
        })
    }

    /// Site-relative URL of a static file by its name in `static/`.
    pub fn asset_url(&self, name: &str) -> Option<&str> {
        self.assets.get(name).map(|(u, _)| u.as_str())
    }
}

/// A template error as a diagnostic at its template's line and column when Tera gives them
/// (`--> name.html:17:18` in its report), else at the templates folder.
pub fn template_error(theme: &str, e: &tera::Error) -> crate::diagnostics::Diagnostic {
    let mut msg = e.to_string();
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        msg.push('\n');
        msg.push_str(&c.to_string());
        cause = c.source();
    }
    let location = msg
        .lines()
        .find_map(|l| l.trim().strip_prefix("--> "))
        .and_then(|loc| {
            let mut it = loc.rsplitn(3, ':');
            let col = it.next()?.trim().parse::<usize>().ok()?;
            let line = it.next()?.trim().parse::<usize>().ok()?;
            Some((it.next()?.trim().to_string(), line, col))
        });
    let first = msg
        .lines()
        .map(|l| l.trim().trim_start_matches("error:").trim())
        .find(|l| !l.is_empty() && !l.starts_with("-->") && !l.starts_with('|'))
        .unwrap_or("template error")
        .to_string();
    match location {
        Some((file, line, col)) => crate::diagnostics::Diagnostic::error(
            format!("themes/{theme}/templates/{file}"),
            Pos::new(line, col),
            first,
        ),
        None => crate::diagnostics::Diagnostic::error(
            format!("themes/{theme}/templates"),
            Pos::FILE,
            msg.replace('\n', " "),
        ),
    }
}
