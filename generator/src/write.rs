//! Writing the generated site to disk: only files whose bytes changed are written (each by a
//! rename, so a server never reads half a file), files of the previous build that are gone are
//! removed, and a folder that sotay did not make is never emptied.

use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::{Path, PathBuf};

/// The list of files of the last build, kept in the output folder.
pub const MANIFEST: &str = ".sotay-build";

/// The content of one output file.
#[derive(Debug, Clone)]
pub enum Output {
    Bytes(Vec<u8>),
    /// A file copied as it is (attachments).
    Copy(PathBuf),
}

impl Output {
    pub fn bytes(&self) -> io::Result<std::borrow::Cow<'_, [u8]>> {
        match self {
            Output::Bytes(b) => Ok(std::borrow::Cow::Borrowed(b)),
            Output::Copy(p) => std::fs::read(p).map(std::borrow::Cow::Owned),
        }
    }
}

/// What a write did.
#[derive(Debug, Default, Clone, Copy)]
pub struct WriteStats {
    pub written: usize,
    pub unchanged: usize,
    pub removed: usize,
}

/// Writes `files` (path relative to `out`, with `/`) into `out`.
pub fn write(files: &BTreeMap<String, Output>, out: &Path) -> io::Result<WriteStats> {
    let manifest_path = out.join(MANIFEST);
    let previous: BTreeSet<String> = match std::fs::read_to_string(&manifest_path) {
        Ok(s) => s.lines().map(str::to_string).collect(),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            if out.exists() && std::fs::read_dir(out)?.next().is_some() {
                return Err(io::Error::other(format!(
                    "refusing to write into {}: it is not empty and was not made by sotay build (remove it or choose another --out)",
                    out.display()
                )));
            }
            BTreeSet::new()
        }
        Err(e) => return Err(e),
    };
    std::fs::create_dir_all(out)?;
    let results: Vec<io::Result<bool>> = files
        .par_iter()
        .map(|(rel, o)| write_one(out, rel, o))
        .collect();
    let mut stats = WriteStats::default();
    for r in results {
        if r? {
            stats.written += 1;
        } else {
            stats.unchanged += 1;
        }
    }
    for old in previous.iter().filter(|p| !files.contains_key(*p)) {
        if !safe_rel(old) {
            continue;
        }
        let path = out.join(old);
        match std::fs::remove_file(&path) {
            Ok(()) => {
                stats.removed += 1;
                remove_empty_parents(out, &path);
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    let mut list = String::new();
    for k in files.keys() {
        list.push_str(k);
        list.push('\n');
    }
    std::fs::write(manifest_path, list)?;
    Ok(stats)
}

/// Paths from our own manifest only, but never trust a file on disk to stay inside `out`.
fn safe_rel(p: &str) -> bool {
    !p.is_empty() && !p.starts_with('/') && !p.split('/').any(|s| s == ".." || s.is_empty())
}

fn write_one(out: &Path, rel: &str, o: &Output) -> io::Result<bool> {
    let path = out.join(rel);
    let bytes = o.bytes()?;
    if let Ok(meta) = std::fs::metadata(&path) {
        if meta.len() == bytes.len() as u64 && std::fs::read(&path)? == *bytes {
            return Ok(false);
        }
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let tmp = path.with_file_name(format!(
        ".{}.tmp",
        path.file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default()
    ));
    std::fs::write(&tmp, &bytes)?;
    std::fs::rename(&tmp, &path)?;
    Ok(true)
}

fn remove_empty_parents(out: &Path, file: &Path) {
    let mut dir = file.parent();
    while let Some(d) = dir {
        if d == out || !d.starts_with(out) || std::fs::remove_dir(d).is_err() {
            break;
        }
        dir = d.parent();
    }
}
