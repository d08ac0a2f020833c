//! What one build writes: every output file with its hash and size, the files given to the
//! sink this time (what changed) and each page's fingerprint, against what the last build
//! wrote. A file goes to the [`Sink`] only when its bytes differ from last time's; a page is
//! rendered only when its fingerprint does.

use crate::diagnostics::{Diagnostic, Diagnostics, Pos};
use crate::render::{Job, Pages};
use crate::write::{FileMeta, Sink};
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// The outputs of one build, owning its sink.
pub struct Outputs<'s> {
    sink: &'s dyn Sink,
    /// What the last build wrote: path -> (page fingerprint, or 0 for other files; the file).
    previous: HashMap<String, (u64, FileMeta)>,
    /// Every output file of this build (also those not given to the sink).
    pub files: BTreeMap<String, FileMeta>,
    /// The files given to the sink this time.
    pub changed: Vec<String>,
    /// Each page's fingerprint, by path.
    fingerprints: HashMap<String, u64>,
    /// Whether pages are fingerprinted: not when no build comes after this one
    /// ([`Outputs::once`]).
    fingerprinting: bool,
    /// Pages whose template was rendered this time.
    pub pages_rendered: usize,
}

/// A page rendered (or found unchanged) by [`Outputs::render`].
struct PageOut {
    path: String,
    /// `None` when not fingerprinted ([`Outputs::once`]).
    fingerprint: Option<u64>,
    meta: FileMeta,
    /// Given to the sink.
    wrote: bool,
}

/// What the sink said when a file could not be written, as a problem of `path`.
pub fn cannot_write(path: &str, e: std::io::Error) -> Diagnostics {
    let mut d = Diagnostics::new();
    d.error(path, Pos::FILE, format!("cannot write: {e}"));
    d
}

impl<'s> Outputs<'s> {
    /// Outputs into `sink`, compared with `previous` (what the last build wrote; empty for
    /// a first build or after [`Builder::forget_outputs`](crate::Builder::forget_outputs)).
    pub fn new(sink: &'s dyn Sink, previous: HashMap<String, (u64, FileMeta)>) -> Self {
        Outputs {
            sink,
            previous,
            files: BTreeMap::new(),
            changed: Vec::new(),
            fingerprints: HashMap::new(),
            fingerprinting: true,
            pages_rendered: 0,
        }
    }

    /// The outputs of a build that no other build will compare with (a one-shot build): pages
    /// are not fingerprinted, which would cost making each page's context twice, and the next
    /// build (if one is made anyway) renders every page.
    pub fn once(mut self) -> Self {
        self.fingerprinting = false;
        self
    }

    /// What the last build wrote at `path`.
    fn previous(&self, path: &str) -> Option<&FileMeta> {
        self.previous.get(path).map(|(_, m)| m)
    }

    /// Adds a file made in memory.
    pub fn put(&mut self, path: String, bytes: &[u8]) -> Result<(), Diagnostics> {
        self.put_hashed(path, bytes, FileMeta::of(bytes))
    }

    /// Adds a file whose hash is already known.
    pub fn put_hashed(
        &mut self,
        path: String,
        bytes: &[u8],
        meta: FileMeta,
    ) -> Result<(), Diagnostics> {
        if self.previous(&path) != Some(&meta) {
            self.sink
                .put(&path, bytes)
                .map_err(|e| cannot_write(&path, e))?;
            self.changed.push(path.clone());
        }
        self.files.insert(path, meta);
        Ok(())
    }

    /// Adds a file published as it is (an attachment), read from `from` only if it changed.
    pub fn copy(&mut self, path: String, from: &Path, meta: FileMeta) -> std::io::Result<()> {
        if self.previous(&path) != Some(&meta) {
            self.sink.copy(&path, from)?;
            self.changed.push(path.clone());
        }
        self.files.insert(path, meta);
        Ok(())
    }

    /// Keeps the last build's file at `path` as it is, if there was one.
    pub fn keep(&mut self, path: &str) -> bool {
        match self.previous(path).cloned() {
            Some(meta) => {
                self.files.insert(path.to_string(), meta);
                true
            }
            None => false,
        }
    }

    /// Renders the pages of `jobs` whose fingerprint changed, in parallel, gives the sink
    /// those whose bytes changed, and records them all.
    pub fn pages(&mut self, pages: &Pages, jobs: &[Job], diags: &mut Diagnostics) {
        for r in self.render(pages, jobs) {
            match r {
                Ok(page) => self.record(page),
                Err(d) => diags.push(d),
            }
        }
    }

    /// Renders and writes the pages of `jobs` as [`Outputs::pages`] does: the paths given to
    /// the sink, or `None` (and nothing recorded) if there was any problem (a later
    /// [`Outputs::pages`] of the same jobs reports it). Pages ahead of the others, so that
    /// open copies reload sooner.
    pub fn pages_ahead(&mut self, pages: &Pages, jobs: &[Job]) -> Option<Vec<String>> {
        let done: Vec<PageOut> = self
            .render(pages, jobs)
            .into_iter()
            .collect::<Result<_, _>>()
            .ok()?;
        let written = done
            .iter()
            .filter(|p| p.wrote)
            .map(|p| p.path.clone())
            .collect();
        for page in done {
            self.record(page);
        }
        Some(written)
    }

    fn render(&self, pages: &Pages, jobs: &[Job]) -> Vec<Result<PageOut, Diagnostic>> {
        jobs.par_iter()
            .map(|job| {
                let path = pages.path(job);
                let fingerprint = self.fingerprinting.then(|| pages.fingerprint(job));
                if let (Some((old, meta)), Some(fingerprint)) =
                    (self.previous.get(&path), fingerprint)
                {
                    if *old == fingerprint {
                        let meta = meta.clone();
                        return Ok(PageOut {
                            path,
                            fingerprint: Some(fingerprint),
                            meta,
                            wrote: false,
                        });
                    }
                }
                let (_, html) = pages.render(job)?;
                let meta = FileMeta::of(&html);
                let wrote = self.previous(&path) != Some(&meta);
                if wrote {
                    self.sink.put(&path, &html).map_err(|e| {
                        Diagnostic::error(path.clone(), Pos::FILE, format!("cannot write: {e}"))
                    })?;
                }
                Ok(PageOut {
                    path,
                    fingerprint,
                    meta,
                    wrote,
                })
            })
            .collect()
    }

    fn record(&mut self, page: PageOut) {
        if page.wrote {
            self.changed.push(page.path.clone());
        }
        if self
            .previous
            .get(&page.path)
            .is_none_or(|(old, _)| Some(*old) != page.fingerprint)
        {
            self.pages_rendered += 1;
        }
        // A page not fingerprinted gets none: the next build renders it again.
        if let Some(fingerprint) = page.fingerprint {
            self.fingerprints.insert(page.path.clone(), fingerprint);
        }
        self.files.insert(page.path, page.meta);
    }

    /// What this build wrote, for the next to compare with.
    pub fn finish(mut self) -> Written {
        let for_next = self
            .files
            .iter()
            .map(|(p, m)| {
                let fingerprint = self.fingerprints.get(p).copied().unwrap_or(0);
                (p.clone(), (fingerprint, m.clone()))
            })
            .collect();
        self.changed.sort();
        Written {
            files: self.files,
            changed: self.changed,
            pages_rendered: self.pages_rendered,
            for_next,
        }
    }
}

/// What a build wrote ([`Outputs::finish`]).
pub struct Written {
    pub files: BTreeMap<String, FileMeta>,
    /// The files given to the sink, sorted.
    pub changed: Vec<String>,
    pub pages_rendered: usize,
    /// What the next build compares with (`Cache::outputs`).
    pub for_next: HashMap<String, (u64, FileMeta)>,
}
