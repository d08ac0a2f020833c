//! Resolving links written by editors: relative paths to source files (so that links work in
//! the git host's preview too), with optional `#anchor`, are turned into page URLs; links to
//! attachments into their published URLs. External links are left alone.
//!
//! Anchors in other pages are only known once every page is rendered, so they are returned
//! for checking later rather than checked here.

use crate::content::{Content, PageIdx};

/// What a link points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Another page (or this one), with an anchor to check.
    Page(PageIdx, Option<String>),
    /// A published asset, by index.
    Asset(usize),
    /// An anchor in the page being rendered.
    Here(String),
    /// Anything with a scheme, protocol-relative or site-absolute: not checked.
    External,
}

/// Resolves `dest` written in the file at `from` (path relative to the site root).
pub fn resolve(content: &Content, from: &str, dest: &str) -> Result<Target, String> {
    let dest = dest.trim();
    if dest.is_empty() {
        return Err("empty link target".into());
    }
    refuse_scheme(dest)?;
    if is_external(dest) {
        return Ok(Target::External);
    }
    let (path, anchor) = match dest.split_once('#') {
        Some((p, a)) => (p, Some(percent_decode(a))),
        None => (dest, None),
    };
    let path = path.split('?').next().unwrap_or("");
    if path.is_empty() {
        return match anchor {
            Some(a) if !a.is_empty() => Ok(Target::Here(a)),
            _ => Err("empty link target".into()),
        };
    }
    let decoded = crate::text::nfc(&percent_decode(path)).into_owned();
    let from_dir = from.rsplit_once('/').map_or("", |(d, _)| d);
    let joined = normalize(&format!("{from_dir}/{decoded}"))
        .filter(|p| p == "content" || p.starts_with("content/"))
        .ok_or_else(|| format!("link \"{dest}\" points outside content/"))?;

    let candidates: Vec<String> = if joined.ends_with(".md") {
        vec![joined.clone()]
    } else {
        let base = joined.trim_end_matches('/');
        vec![
            joined.clone(),
            format!("{base}/index.md"),
            format!("{base}/_index.md"),
            format!("{base}.md"),
        ]
    };
    for c in &candidates {
        if let Some(&p) = content.by_path.get(c) {
            return Ok(Target::Page(p, anchor.filter(|a| !a.is_empty())));
        }
        if c == "content/_index.md" || c == "content" {
            return Ok(Target::Page(0, anchor.filter(|a| !a.is_empty())));
        }
        if let Some(&a) = content.asset_by_path.get(c) {
            return Ok(Target::Asset(a));
        }
        if content.drafts.contains(c) {
            return Err(format!(
                "link \"{dest}\" points to a draft, which is not published"
            ));
        }
        if content.partials.contains_key(c) {
            return Err(format!("link \"{dest}\" points to a partial, which is not a page; use ::include to show it"));
        }
    }
    Err(format!(
        "link \"{dest}\" points to {joined}, which does not exist"
    ))
}

/// Schemes that make a link run code or carry a document of their own, refused in links and
/// images whatever the site trusts: a handbook never needs them, and a member tapping one
/// should never run what someone slipped into a page.
const REFUSED_SCHEMES: &[&str] = &["javascript", "vbscript", "data", "blob", "file"];

/// An error if `dest` uses a refused scheme, read the way a browser reads it: leading and
/// trailing spaces and control characters dropped, tabs and line breaks anywhere removed,
/// letters in any case ("  Java\tScript:").
pub fn refuse_scheme(dest: &str) -> Result<(), String> {
    let cleaned: String = dest
        .trim_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .take(16)
        .collect();
    let Some((scheme, _)) = cleaned.split_once(':') else {
        return Ok(());
    };
    let scheme = scheme.to_ascii_lowercase();
    if REFUSED_SCHEMES.contains(&scheme.as_str()) {
        let shown: String = dest.trim().chars().take(40).collect();
        return Err(format!(
            "link \"{shown}\" uses the {scheme}: scheme, which is not allowed; link to a page or file in content/, or to an http(s), mailto: or tel: address"
        ));
    }
    Ok(())
}

/// Links that are not checked: a scheme (`https:`, `mailto:`, `tel:`), `//host`, or a path
/// from the site root.
pub fn is_external(dest: &str) -> bool {
    if dest.starts_with('/') {
        return true;
    }
    match dest.find(':') {
        Some(i) => {
            let scheme = &dest[..i];
            !scheme.is_empty()
                && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        }
        None => false,
    }
}

/// `a/b/../c/./d` -> `a/c/d`; None if `..` climbs above the start.
fn normalize(path: &str) -> Option<String> {
    let mut out: Vec<&str> = Vec::new();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                out.pop()?;
            }
            s => out.push(s),
        }
    }
    Some(out.join("/"))
}

/// Decodes `%XX` escapes (editors' tools write `%20` for spaces); invalid escapes stay.
pub fn percent_decode(s: &str) -> String {
    if !s.contains('%') {
        return s.to_string();
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() && s.is_char_boundary(i + 3) {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_table() {
        assert_eq!(
            normalize("content/a/../b/./c.md").as_deref(),
            Some("content/b/c.md")
        );
        assert_eq!(normalize("content/../../x"), None);
        assert_eq!(normalize("content//a/"), Some("content/a".into()));
    }

    #[test]
    fn external_table() {
        for d in [
            "https://x.vn",
            "mailto:a@b",
            "tel:0123",
            "/tim-kiem/",
            "//cdn.x",
        ] {
            assert!(is_external(d), "{d}");
        }
        for d in [
            "a.md",
            "../a.md#dieu-5",
            "#dieu-5",
            "Nghị quyết 21.md",
            "1:2.md",
        ] {
            assert!(!is_external(d), "{d}");
        }
    }

    #[test]
    fn decoding() {
        assert_eq!(percent_decode("Ngh%E1%BB%8B%20quy%E1%BA%BFt"), "Nghị quyết");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("a%zz"), "a%zz");
    }
}
