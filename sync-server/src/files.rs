//! Static files of the built site: safe path resolution, content types, ETags and 304s,
//! cache lifetimes (a year for hashed names, revalidation for everything else, so a service
//! worker or a page is never stale), and gzip/brotli computed once per file and kept.

use bytes::Bytes;
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::SystemTime;

/// Files larger than this are read from disk each time instead of being kept in memory.
const CACHE_FILE_MAX: u64 = 1 << 20;
/// When the kept files pass this size, the cache starts over.
const CACHE_TOTAL_MAX: usize = 48 << 20;

/// One file, ready to send.
pub struct Entry {
    pub bytes: Bytes,
    pub etag: String,
    pub content_type: &'static str,
    pub cache_control: &'static str,
    gz: OnceLock<Bytes>,
    br: OnceLock<Bytes>,
    mtime: Option<SystemTime>,
    len: u64,
    file: PathBuf,
}

/// Which compressed form to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Identity,
    Gzip,
    Brotli,
}

impl Entry {
    pub fn compressible(&self) -> bool {
        self.bytes.len() > 256
            && (self.content_type.starts_with("text/")
                || self.content_type.contains("json")
                || self.content_type.contains("xml")
                || self.content_type.contains("javascript")
                || self.content_type == "application/octet-stream"
                    && self.file.extension().is_some_and(|e| e == "bin"))
    }

    /// The body in `enc` (compressing and keeping it on first use).
    pub fn body(&self, enc: Encoding) -> Bytes {
        match enc {
            Encoding::Identity => self.bytes.clone(),
            Encoding::Gzip => self
                .gz
                .get_or_init(|| {
                    let mut e =
                        flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
                    let _ = e.write_all(&self.bytes);
                    Bytes::from(e.finish().unwrap_or_default())
                })
                .clone(),
            Encoding::Brotli => self
                .br
                .get_or_init(|| {
                    let mut out = Vec::new();
                    // The size hint makes the encoder size its tables for the whole input, as
                    // C brotli's one-shot call does: without it a 14 MB search index came out
                    // 45% larger (1666 KB instead of 1145 KB).
                    let params = brotli::enc::BrotliEncoderParams {
                        quality: 6,
                        size_hint: self.bytes.len(),
                        ..Default::default()
                    };
                    let _ = brotli::BrotliCompress(&mut &self.bytes[..], &mut out, &params);
                    Bytes::from(out)
                })
                .clone(),
        }
    }
}

/// What a URL path resolves to.
pub enum Lookup {
    Found(Arc<Entry>),
    /// A folder asked for without its trailing slash: the `Location` to send, relative to the
    /// request (`so-tay/` for `/a/so-tay`), so that it is right behind a proxy that publishes
    /// the site under a path of its own.
    Redirect(String),
    NotFound,
    /// A path that tries to leave the site or names a hidden file.
    Forbidden,
}

/// The site folder and the files kept from it.
pub struct Files {
    root: PathBuf,
    cache: Mutex<(HashMap<String, Arc<Entry>>, usize)>,
}

impl Files {
    pub fn new(root: &Path) -> std::io::Result<Files> {
        Ok(Files {
            root: root.canonicalize()?,
            cache: Mutex::new((HashMap::new(), 0)),
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Forget every kept file (after a rebuild).
    pub fn clear(&self) {
        if let Ok(mut c) = self.cache.lock() {
            c.0.clear();
            c.1 = 0;
        }
    }

    /// Resolves a request path (still percent-encoded) to a file of the site.
    pub fn lookup(&self, raw_path: &str) -> Lookup {
        let Some(path) = decode(raw_path) else {
            return Lookup::Forbidden;
        };
        if let Ok(c) = self.cache.lock() {
            if let Some(e) = c.0.get(&path) {
                let meta = std::fs::metadata(&e.file).ok();
                if meta
                    .as_ref()
                    .is_some_and(|m| m.len() == e.len && m.modified().ok() == e.mtime)
                {
                    return Lookup::Found(e.clone());
                }
            }
        }
        if path.contains('\0') || path.contains('\\') || !path.starts_with('/') {
            return Lookup::Forbidden;
        }
        let segments: Vec<&str> = path.split('/').skip(1).collect();
        if segments
            .iter()
            .any(|s| *s == ".." || *s == "." || s.starts_with('.'))
        {
            return Lookup::Forbidden;
        }
        let mut file = self.root.clone();
        for s in &segments {
            if !s.is_empty() {
                file.push(s);
            }
        }
        if path.ends_with('/') {
            file.push("index.html");
        } else if file.is_dir() {
            let last = raw_path.rsplit('/').next().unwrap_or_default();
            return Lookup::Redirect(format!("{last}/"));
        }
        // Symlinks may not lead out of the site.
        let Ok(real) = file.canonicalize() else {
            return Lookup::NotFound;
        };
        if !real.starts_with(&self.root) {
            return Lookup::Forbidden;
        }
        let Ok(meta) = std::fs::metadata(&real) else {
            return Lookup::NotFound;
        };
        if !meta.is_file() {
            return Lookup::NotFound;
        }
        let Ok(bytes) = std::fs::read(&real) else {
            return Lookup::NotFound;
        };
        let entry = Arc::new(Entry {
            etag: format!("\"{}\"", sotay_generator::hash::file(&bytes)),
            content_type: content_type(&real),
            cache_control: cache_control(&path),
            bytes: Bytes::from(bytes),
            gz: OnceLock::new(),
            br: OnceLock::new(),
            mtime: meta.modified().ok(),
            len: meta.len(),
            file: real,
        });
        if meta.len() <= CACHE_FILE_MAX {
            if let Ok(mut c) = self.cache.lock() {
                if c.1 + entry.bytes.len() > CACHE_TOTAL_MAX {
                    c.0.clear();
                    c.1 = 0;
                }
                c.1 += entry.bytes.len();
                c.0.insert(path, entry.clone());
            }
        }
        Lookup::Found(entry)
    }
}

/// Percent-decodes a path; `None` if it is not UTF-8 afterwards.
fn decode(p: &str) -> Option<String> {
    let b = p.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = std::str::from_utf8(&b[i + 1..i + 3]).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else if b[i] == b'%' {
            return None;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Hashed names never change content: keep them a year. Everything else is revalidated.
fn cache_control(path: &str) -> &'static str {
    if path.starts_with("/static/") || path.starts_with("/search/") {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    }
}

pub fn content_type(p: &Path) -> &'static str {
    match p
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("html") => "text/html; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("js") | Some("mjs") => "text/javascript; charset=utf-8",
        Some("json") => "application/json",
        Some("webmanifest") => "application/manifest+json",
        Some("xml") => "application/xml; charset=utf-8",
        Some("txt") => "text/plain; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("jpg") | Some("jpeg") => "image/jpeg",
        Some("webp") => "image/webp",
        Some("gif") => "image/gif",
        Some("ico") => "image/x-icon",
        Some("pdf") => "application/pdf",
        Some("doc") => "application/msword",
        Some("docx") => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        Some("xls") => "application/vnd.ms-excel",
        Some("xlsx") => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        Some("mp3") => "audio/mpeg",
        Some("mp4") => "video/mp4",
        _ => "application/octet-stream",
    }
}

/// Picks the encoding from an Accept-Encoding header (brotli first).
pub fn negotiate(accept: Option<&str>) -> Encoding {
    let Some(a) = accept else {
        return Encoding::Identity;
    };
    let has = |name: &str| {
        a.split(',').any(|part| {
            let mut it = part.trim().split(';');
            let n = it.next().unwrap_or("").trim();
            let q0 = it.any(|p| p.trim().replace(' ', "") == "q=0");
            n.eq_ignore_ascii_case(name) && !q0
        })
    };
    if has("br") {
        Encoding::Brotli
    } else if has("gzip") {
        Encoding::Gzip
    } else {
        Encoding::Identity
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_paths_are_refused() {
        let dir = tempfile::tempdir().expect("tmp");
        let site = dir.path().join("site");
        std::fs::create_dir_all(site.join("a")).expect("mkdir");
        std::fs::write(site.join("a/index.html"), "<p>a</p>").expect("w");
        std::fs::write(site.join(".sotay-build"), "x").expect("w");
        std::fs::write(dir.path().join("secret.txt"), "secret").expect("w");
        #[cfg(unix)]
        std::os::unix::fs::symlink(dir.path().join("secret.txt"), site.join("link.txt"))
            .expect("symlink");
        let f = Files::new(&site).expect("files");
        assert!(matches!(f.lookup("/a/"), Lookup::Found(_)));
        assert!(matches!(f.lookup("/a"), Lookup::Redirect(ref r) if r == "a/"));
        for bad in [
            "/../secret.txt",
            "/%2e%2e/secret.txt",
            "/a/%2E%2E/%2e%2e/secret.txt",
            "/a\\..\\..\\secret.txt",
            "/a%5c..%5c..%5csecret.txt",
            "/a%00.html",
            "/.sotay-build",
            "/%ff",
            "/link.txt",
        ] {
            assert!(matches!(f.lookup(bad), Lookup::Forbidden), "{bad}");
        }
        assert!(matches!(f.lookup("/nope.html"), Lookup::NotFound));
    }

    #[test]
    fn encodings() {
        assert_eq!(negotiate(Some("gzip, deflate, br")), Encoding::Brotli);
        assert_eq!(negotiate(Some("gzip")), Encoding::Gzip);
        assert_eq!(negotiate(Some("br;q=0, gzip")), Encoding::Gzip);
        assert_eq!(negotiate(None), Encoding::Identity);
    }
}
