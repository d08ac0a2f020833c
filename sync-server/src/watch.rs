//! The editors' loop of `sotay serve`: watch the site root, rebuild what changed, and tell open
//! pages to reload (or show the errors) through server-sent events.
//!
//! File events are coalesced: a save that writes a temporary file and renames it, a swap file,
//! or a `git checkout` touching hundreds of files all end in one rebuild, started once the
//! events have been quiet for a moment. The rebuild is incremental (`sotay_generator::Builder`)
//! and writes only files that changed; while the content has errors nothing is written, so
//! members keep the last good site.

use crate::app::App;
use crate::live::{built_message, reload_message};
use crate::storage::Storage;
use notify::{RecursiveMode, Watcher};
use sotay_generator::Builder;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Quiet time before a rebuild, and the longest a burst of events may delay it.
const QUIET: Duration = Duration::from_millis(40);
const MAX_DELAY: Duration = Duration::from_millis(400);

/// Whether an event path can change the site.
fn relevant(root: &Path, out: &Path, p: &Path) -> bool {
    if p.starts_with(out)
        || p.starts_with(root.join(".sotay"))
        || p.starts_with(root.join("target"))
        || p.starts_with(root.join(".git"))
    {
        return false;
    }
    let idx = out.with_file_name(format!(
        "{}.index",
        out.file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default()
    ));
    if p.starts_with(&idx) {
        return false;
    }
    p.starts_with(root.join("content"))
        || p.starts_with(root.join("themes"))
        || p == root.join(sotay_generator::config::FILE)
}

/// The thread that keeps the server's search index up to date: it takes the search documents
/// of each rebuild, skips to the newest when rebuilds come faster than it, updates the
/// tantivy index in place and reopens it for the search API.
fn search_thread<S: Storage>(out: &Path, app: Arc<App<S>>) -> ToSearch {
    let (tx, rx) = mpsc::channel::<Vec<sotay_generator::search::index::SearchDoc>>();
    let mut index = sotay_generator::search::index::IndexUpdater::new(
        &sotay_generator::search::index::index_dir(out),
    );
    let spawned = std::thread::Builder::new()
        .name("sotay-search-index".into())
        .spawn(move || {
            // Last to get a core (tantivy's writer and merger threads too): on a 2-core
            // machine the index update of one save would otherwise slow the next rebuild.
            if let Err(e) = crate::threads::lower_priority(19) {
                eprintln!("sotay: cannot lower the search index thread's priority ({e})");
            }
            while let Ok(mut docs) = rx.recv() {
                while let Ok(newer) = rx.try_recv() {
                    docs = newer;
                }
                match index.update(&docs) {
                    Ok(true) => app.reload_search(),
                    Ok(false) => {}
                    Err(e) => eprintln!("sotay: {e}"),
                }
            }
        });
    if let Err(e) = spawned {
        eprintln!("sotay: cannot start the search index thread ({e}); search stays as built");
    }
    tx
}

/// A path that changed, or `None` when the watcher lost track (its queue overflowed, an
/// error): then the next rebuild looks at every file. With the time it happened.
type Change = (Instant, Option<PathBuf>);

/// Watches `root` and rebuilds into `out` until the process ends. Runs on its own thread.
pub fn run<S: Storage>(
    root: PathBuf,
    out: PathBuf,
    builder: Builder,
    app: Arc<App<S>>,
) -> Result<std::thread::JoinHandle<()>, String> {
    let (tx, rx) = mpsc::channel::<Change>();
    let watcher = watch(&root, tx)?;
    let mut rebuilds = Rebuilds {
        root_abs: root.canonicalize().unwrap_or(root.clone()),
        out_abs: out.canonicalize().unwrap_or(out.clone()),
        root,
        out,
        builder,
        app,
        failing: false,
    };
    std::thread::Builder::new()
        .name("sotay-watch".into())
        .spawn(move || {
            let _watcher = watcher;
            let to_search = search_thread(&rebuilds.out, rebuilds.app.clone());
            while let Ok(first) = rx.recv() {
                match rebuilds.burst(first, &rx) {
                    Next::Skip => continue,
                    Next::Stop => return,
                    Next::Rebuild(paths) => rebuilds.rebuild(paths, &to_search),
                }
            }
        })
        .map_err(|e| e.to_string())
}

/// The file watcher on `root`, sending each change to `tx`.
fn watch(root: &Path, tx: mpsc::Sender<Change>) -> Result<notify::RecommendedWatcher, String> {
    let mut watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
        match res {
            Ok(ev) => {
                // Reading files (our own rebuild does) is not a change.
                if matches!(ev.kind, notify::EventKind::Access(_)) {
                    return;
                }
                let now = Instant::now();
                if ev.need_rescan() {
                    let _ = tx.send((now, None));
                }
                for p in ev.paths {
                    let _ = tx.send((now, Some(p)));
                }
            }
            Err(_) => {
                let _ = tx.send((Instant::now(), None));
            }
        }
    })
    .map_err(|e| format!("cannot watch files: {e}"))?;
    // Watching the root (not only content/) sees sotay.yaml and folders created later.
    watcher
        .watch(root, RecursiveMode::Recursive)
        .map_err(|e| format!("cannot watch {}: {e}", root.display()))?;
    Ok(watcher)
}

/// What a burst of changes calls for.
enum Next {
    /// Nothing that can change the site.
    Skip,
    /// A rebuild of the paths that changed, relative to the root; `None` when some change is
    /// not known by its path (the rebuild then looks at every file).
    Rebuild(Option<Vec<PathBuf>>),
    /// The watcher is gone.
    Stop,
}

type ToSearch = mpsc::Sender<Vec<sotay_generator::search::index::SearchDoc>>;

/// The editors' loop: the site root and output, the incremental builder, and whether the
/// last rebuild failed.
struct Rebuilds<S: Storage> {
    root: PathBuf,
    out: PathBuf,
    root_abs: PathBuf,
    out_abs: PathBuf,
    builder: Builder,
    app: Arc<App<S>>,
    failing: bool,
}

impl<S: Storage> Rebuilds<S> {
    /// Our own writes (the site, the search index) and files that cannot change the site are
    /// not changes: they neither start a rebuild nor delay one.
    fn is_relevant(&self, p: &Option<PathBuf>) -> bool {
        match p {
            Some(p) => {
                relevant(&self.root_abs, &self.out_abs, p) || relevant(&self.root, &self.out, p)
            }
            None => true,
        }
    }

    /// The burst of relevant changes that starts with `first`, once quiet for `QUIET` (or
    /// `MAX_DELAY` after it started).
    fn burst(&self, first: Change, rx: &mpsc::Receiver<Change>) -> Next {
        if !self.is_relevant(&first.1) {
            return Next::Skip;
        }
        let mut paths: std::collections::BTreeSet<PathBuf> = Default::default();
        let mut unknown = false;
        let mut note = |p: Option<PathBuf>| match p {
            Some(p) => match p
                .strip_prefix(&self.root_abs)
                .or_else(|_| p.strip_prefix(&self.root))
            {
                Ok(rel) => {
                    paths.insert(rel.to_path_buf());
                }
                Err(_) => unknown = true,
            },
            None => unknown = true,
        };
        // Quiet means no relevant event for QUIET since the last one *happened*: events that
        // queued up during the previous rebuild have waited long enough.
        let started = first.0;
        let mut last = first.0;
        note(first.1);
        loop {
            let wait = QUIET.saturating_sub(last.elapsed());
            match rx.recv_timeout(wait) {
                Ok((at, p)) => {
                    if self.is_relevant(&p) {
                        last = last.max(at);
                        note(p);
                    }
                    if started.elapsed() > MAX_DELAY {
                        break;
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => break,
                Err(mpsc::RecvTimeoutError::Disconnected) => return Next::Stop,
            }
        }
        Next::Rebuild((!unknown).then(|| paths.into_iter().collect()))
    }

    /// Rebuilds what changed. Open pages reload as soon as the pages are written; the offline
    /// index, feed, sitemap and service worker follow; the search index after that, on its
    /// own thread.
    fn rebuild(&mut self, paths: Option<Vec<PathBuf>>, to_search: &ToSearch) {
        if let Some(paths) = paths {
            self.builder.changed(paths);
        }
        let t = Instant::now();
        let (app, failing) = (&self.app, self.failing);
        let mut reloaded = false;
        let mut pages_done = |changed: &[String]| {
            if !changed.is_empty() || failing {
                app.files().clear();
                if let Some(live) = app.live() {
                    // The pages are good again: a page that reloads now and connects must
                    // not be shown the errors of the last failed rebuild.
                    live.clear_errors();
                    live.send(reload_message(changed));
                }
                reloaded = true;
            }
        };
        match sotay_generator::build_pages_with(&mut self.builder, &self.out, &mut pages_done) {
            Ok((summary, docs)) => {
                self.built(&summary, reloaded, t);
                // The search index takes longer: pages do not wait for it, nor does the next
                // rebuild.
                let _ = to_search.send(docs);
            }
            Err(diags) => self.failed(diags),
        }
    }

    /// A rebuild that succeeded: what changed, for pages and the editor's terminal.
    fn built(&mut self, summary: &sotay_generator::Summary, reloaded: bool, t: Instant) {
        self.app.files().clear();
        self.app.reload_catalog();
        if let Some(live) = self.app.live() {
            live.clear_errors();
            if !reloaded && (!summary.changed.is_empty() || self.failing) {
                live.send(reload_message(&summary.changed));
            }
            live.send(built_message(&summary.changed, &summary.removed));
        }
        if self.failing {
            eprintln!("fixed: the site builds again");
            self.failing = false;
        }
        eprintln!(
            "rebuilt in {} ms: {} files changed",
            t.elapsed().as_millis(),
            summary.changed.len()
        );
    }

    /// A rebuild that failed: the errors, on the terminal and on open pages; the last good
    /// site stays served.
    fn failed(&mut self, diags: sotay_generator::diagnostics::Diagnostics) {
        let list: Vec<String> = diags.sorted().iter().map(|d| d.to_string()).collect();
        for l in &list {
            eprintln!("{l}");
        }
        eprintln!(
            "{} error{}; still serving the last good build",
            list.len(),
            if list.len() == 1 { "" } else { "s" }
        );
        self.failing = true;
        if let Some(live) = self.app.live() {
            live.failed(list);
        }
    }
}
