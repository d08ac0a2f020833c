//! Where a build's files go. A [`Sink`] receives each file the build made (in an incremental
//! build, only those that changed): into memory for tests and tools, nowhere for `check`, or
//! onto disk, where only files whose bytes changed are written (each by a rename, so a server
//! never reads half a file), files of the previous build that are gone are removed, and a
//! folder that sotay did not make is never touched.

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// What a published file is, for the precache manifest and change detection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileMeta {
    /// The bytes' content hash ([`crate::hash::file`]).
    pub hash: String,
    pub size: u64,
}

impl FileMeta {
    pub fn of(bytes: &[u8]) -> FileMeta {
        FileMeta {
            hash: crate::hash::file(bytes),
            size: bytes.len() as u64,
        }
    }
}

/// The list of files of the last build, kept in the output folder.
pub const MANIFEST: &str = ".sotay-build";

/// The content of one output file kept in memory.
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

/// Receives the files of a build, from several threads at once.
pub trait Sink: Sync {
    fn put(&self, path: &str, bytes: &[u8]) -> io::Result<()>;
    /// A file published as it is.
    fn copy(&self, path: &str, from: &Path) -> io::Result<()>;
}

/// Keeps every file in memory.
#[derive(Default)]
pub struct MemorySink {
    pub files: Mutex<BTreeMap<String, Output>>,
}

impl Sink for MemorySink {
    fn put(&self, path: &str, bytes: &[u8]) -> io::Result<()> {
        self.files
            .lock()
            .map_err(|_| io::Error::other("poisoned"))?
            .insert(path.to_string(), Output::Bytes(bytes.to_vec()));
        Ok(())
    }
    fn copy(&self, path: &str, from: &Path) -> io::Result<()> {
        self.files
            .lock()
            .map_err(|_| io::Error::other("poisoned"))?
            .insert(path.to_string(), Output::Copy(from.to_path_buf()));
        Ok(())
    }
}

/// Discards everything (`sotay check`).
pub struct NullSink;

impl Sink for NullSink {
    fn put(&self, _: &str, _: &[u8]) -> io::Result<()> {
        Ok(())
    }
    fn copy(&self, _: &str, _: &Path) -> io::Result<()> {
        Ok(())
    }
}

/// What a disk build did.
#[derive(Debug, Default, Clone)]
pub struct WriteStats {
    pub written: usize,
    /// Files of the previous build that are gone.
    pub removed: Vec<String>,
}

/// Writes into an output folder.
pub struct DiskSink {
    out: PathBuf,
    previous: BTreeSet<String>,
    /// The folder was empty or new: nothing can be reading it yet, so files are written in
    /// place (a rename per file costs a second directory update, which on a 10,000-document
    /// build is a good part of its time).
    fresh: bool,
    written: AtomicUsize,
}

impl DiskSink {
    /// Opens `out`, refusing a non-empty folder that a sotay build did not make.
    pub fn open(out: &Path) -> io::Result<DiskSink> {
        let (previous, fresh) = match std::fs::read_to_string(out.join(MANIFEST)) {
            Ok(s) => (s.lines().map(str::to_string).collect(), false),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                if out.exists() && std::fs::read_dir(out)?.next().is_some() {
                    return Err(io::Error::other(format!(
                        "refusing to write into {}: it is not empty and was not made by sotay build (remove it or choose another --out)",
                        out.display()
                    )));
                }
                (BTreeSet::new(), true)
            }
            Err(e) => return Err(e),
        };
        std::fs::create_dir_all(out)?;
        Ok(DiskSink {
            out: out.to_path_buf(),
            previous,
            fresh,
            written: AtomicUsize::new(0),
        })
    }

    pub fn out(&self) -> &Path {
        &self.out
    }

    /// Removes files of the previous build that are not in `current`, and records `current`.
    pub fn finish<'a>(
        &self,
        current: impl IntoIterator<Item = &'a String>,
    ) -> io::Result<WriteStats> {
        let current: BTreeSet<&String> = current.into_iter().collect();
        let mut removed = Vec::new();
        for old in self.previous.iter().filter(|p| !current.contains(p)) {
            if !safe_rel(old) {
                continue;
            }
            let path = self.out.join(old);
            match std::fs::remove_file(&path) {
                Ok(()) => {
                    removed.push(old.clone());
                    remove_empty_parents(&self.out, &path);
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        if removed.is_empty()
            && current.len() == self.previous.len()
            && current.iter().all(|k| self.previous.contains(*k))
        {
            // The same files as last time: the list on disk is already right.
            return Ok(WriteStats {
                written: self.written.load(Ordering::Relaxed),
                removed,
            });
        }
        let mut list = String::new();
        for k in &current {
            list.push_str(k);
            list.push('\n');
        }
        write_atomic(&self.out.join(MANIFEST), list.as_bytes())?;
        Ok(WriteStats {
            written: self.written.load(Ordering::Relaxed),
            removed,
        })
    }

    fn write_if_changed(&self, rel: &str, bytes: &[u8]) -> io::Result<()> {
        if !safe_rel(rel) {
            return Err(io::Error::other(format!("unsafe output path {rel}")));
        }
        let path = self.out.join(rel);
        if !self.fresh {
            if let Ok(meta) = std::fs::metadata(&path) {
                if meta.len() == bytes.len() as u64 && std::fs::read(&path)? == bytes {
                    return Ok(());
                }
            }
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        if self.fresh {
            std::fs::write(&path, bytes)?;
        } else {
            write_atomic(&path, bytes)?;
        }
        self.written.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

impl Sink for DiskSink {
    fn put(&self, path: &str, bytes: &[u8]) -> io::Result<()> {
        self.write_if_changed(path, bytes)
    }
    fn copy(&self, path: &str, from: &Path) -> io::Result<()> {
        let bytes = std::fs::read(from)?;
        self.write_if_changed(path, &bytes)
    }
}

fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let tmp = path.with_file_name(format!(
        ".{}.tmp",
        path.file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default()
    ));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

/// Paths from our own manifest only, but never trust a file on disk to stay inside `out`.
fn safe_rel(p: &str) -> bool {
    !p.is_empty() && !p.starts_with('/') && !p.split('/').any(|s| s == ".." || s.is_empty())
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
