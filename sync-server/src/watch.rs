//! The editors' loop of `sotay serve`: watch the site root, rebuild what changed, and tell open
//! pages to reload (or show the errors) through server-sent events.
//!
//! File events are coalesced: a save that writes a temporary file and renames it, a swap file,
//! or a `git checkout` touching hundreds of files all end in one rebuild, started once the
//! events have been quiet for a moment. The rebuild is incremental (`sotay_generator::Builder`)
//! and writes only files that changed; while the content has errors nothing is written, so
//! members keep the last good site.

use crate::http::App;
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

/// What a rebuild says to open pages (server-sent events): reload, as soon as the changed
/// pages are on disk.
pub fn reload_message(changed: &[String]) -> String {
    serde_json::json!({"type": "reload", "changed": changed}).to_string()
}

/// The end of a rebuild, once every file is written (also when nothing changed): what
/// changed and what was removed. Open pages that were removed reload (to show the 404);
/// tools and tests wait for it before comparing files.
pub fn built_message(changed: &[String], removed: &[String]) -> String {
    serde_json::json!({"type": "built", "changed": changed, "removed": removed}).to_string()
}

pub fn error_message(errors: &[String]) -> String {
    serde_json::json!({"type": "error", "errors": errors}).to_string()
}

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
fn search_thread<S: Storage>(
    out: &Path,
    app: Arc<App<S>>,
) -> mpsc::Sender<Vec<sotay_generator::search::index::SearchDoc>> {
    let (tx, rx) = mpsc::channel::<Vec<sotay_generator::search::index::SearchDoc>>();
    let mut index = sotay_generator::search::index::IndexUpdater::new(
        &sotay_generator::search::index::index_dir(out),
    );
    let spawned = std::thread::Builder::new()
        .name("sotay-search-index".into())
        .spawn(move || {
            lower_priority();
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

/// Makes the calling thread (and the threads it starts: tantivy's writer and merger) the
/// last to get a core: on a 2-core machine the search index update of one save would
/// otherwise take a core from the rebuild of the next.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: plain system calls on the calling thread's own id; no memory is shared.
        let rc = unsafe {
            let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
            libc::setpriority(libc::PRIO_PROCESS, tid, 19)
        };
        if rc != 0 {
            eprintln!(
                "sotay: cannot lower the search index thread's priority ({})",
                std::io::Error::last_os_error()
            );
        }
    }
}

/// Watches `root` and rebuilds into `out` until the process ends. Runs on its own thread.
#[allow(clippy::too_many_lines, reason = "split pending (issue 20)")]
pub fn run<S: Storage>(
    root: PathBuf,
    out: PathBuf,
    mut builder: Builder,
    app: Arc<App<S>>,
) -> Result<std::thread::JoinHandle<()>, String> {
    // A path that changed, or None when the watcher lost track (its queue overflowed, an
    // error): then the next rebuild looks at every file.
    let (tx, rx) = mpsc::channel::<(Instant, Option<PathBuf>)>();
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
        .watch(&root, RecursiveMode::Recursive)
        .map_err(|e| format!("cannot watch {}: {e}", root.display()))?;
    let root_abs = root.canonicalize().unwrap_or(root.clone());
    let out_abs = out.canonicalize().unwrap_or(out.clone());
    let handle = std::thread::Builder::new()
        .name("sotay-watch".into())
        .spawn(move || {
            let _watcher = watcher;
            let mut failing = false;
            let to_search = search_thread(&out, app.clone());
            while let Ok(first) = rx.recv() {
                // The relevant paths of this burst, relative to the root, unless some change
                // is not known by its path.
                // Our own writes (the site, the search index) and files that cannot change
                // the site are not changes: they neither start a rebuild nor delay one.
                let is_relevant = |p: &Option<PathBuf>| match p {
                    Some(p) => relevant(&root_abs, &out_abs, p) || relevant(&root, &out, p),
                    None => true,
                };
                if !is_relevant(&first.1) {
                    continue;
                }
                let mut paths: std::collections::BTreeSet<PathBuf> = Default::default();
                let mut unknown = false;
                let mut note = |p: Option<PathBuf>| match p {
                    Some(p) => match p.strip_prefix(&root_abs).or_else(|_| p.strip_prefix(&root)) {
                        Ok(rel) => {
                            paths.insert(rel.to_path_buf());
                        }
                        Err(_) => unknown = true,
                    },
                    None => unknown = true,
                };
                // Quiet means no relevant event for QUIET since the last one *happened*:
                // events that queued up during the previous rebuild have waited long enough.
                let started = first.0;
                let mut last = first.0;
                note(first.1);
                loop {
                    let wait = QUIET.saturating_sub(last.elapsed());
                    match rx.recv_timeout(wait) {
                        Ok((at, p)) => {
                            if is_relevant(&p) {
                                last = last.max(at);
                                note(p);
                            }
                            if started.elapsed() > MAX_DELAY {
                                break;
                            }
                        }
                        Err(mpsc::RecvTimeoutError::Timeout) => break,
                        Err(mpsc::RecvTimeoutError::Disconnected) => return,
                    }
                }
                if !unknown {
                    builder.changed(paths.into_iter().collect());
                }
                let t = Instant::now();
                // Open pages reload as soon as the pages are written; the offline index,
                // feed, sitemap and service worker follow.
                let mut reloaded = false;
                let mut pages_done = |changed: &[String]| {
                    if !changed.is_empty() || failing {
                        app.files.clear();
                        // The pages are good again: a page that reloads now and connects must
                        // not be shown the errors of the last failed rebuild.
                        if let Ok(mut e) = app.build_errors.lock() {
                            e.clear();
                        }
                        let _ = app.reloads.send(reload_message(changed));
                        reloaded = true;
                    }
                };
                let result = sotay_generator::build_pages_with(&mut builder, &out, &mut pages_done);
                match result {
                    Ok((summary, docs)) => {
                        app.files.clear();
                        app.reload_catalog();
                        if let Ok(mut e) = app.build_errors.lock() {
                            e.clear();
                        }
                        if !reloaded && (!summary.changed.is_empty() || failing) {
                            let _ = app.reloads.send(reload_message(&summary.changed));
                        }
                        let _ = app
                            .reloads
                            .send(built_message(&summary.changed, &summary.removed));
                        if failing {
                            eprintln!("fixed: the site builds again");
                            failing = false;
                        }
                        eprintln!(
                            "rebuilt in {} ms: {} files changed",
                            t.elapsed().as_millis(),
                            summary.changed.len()
                        );
                        // The search index takes longer: pages do not wait for it, nor does the
                        // next rebuild.
                        let _ = to_search.send(docs);
                    }
                    Err(diags) => {
                        let list: Vec<String> =
                            diags.sorted().iter().map(|d| d.to_string()).collect();
                        for l in &list {
                            eprintln!("{l}");
                        }
                        eprintln!(
                            "{} error{}; still serving the last good build",
                            list.len(),
                            if list.len() == 1 { "" } else { "s" }
                        );
                        failing = true;
                        if let Ok(mut e) = app.build_errors.lock() {
                            *e = list.clone();
                        }
                        let _ = app.reloads.send(error_message(&list));
                    }
                }
            }
        })
        .map_err(|e| e.to_string())?;
    Ok(handle)
}

/// The script the dev server adds to pages: reload on rebuild (keeping the scroll position),
/// an overlay with the errors while the content has them.
pub const LIVE_JS: &str = r#"(function () {
  "use strict";
  var key = "sotay.live.scroll:" + location.pathname;
  var y = sessionStorage.getItem(key);
  if (y !== null) { sessionStorage.removeItem(key); window.addEventListener("load", function () { window.scrollTo(0, parseFloat(y)); }); }
  var overlay = null;
  var reloading = false;
  function reload() {
    if (reloading) return;
    reloading = true;
    sessionStorage.setItem(key, String(window.scrollY));
    location.reload();
  }
  // The output file this page was made from ("nghi-quyet/nq-05/index.html"), and whether
  // it is in a list of files.
  function mine(files) {
    var f = location.pathname.replace(/^\//, "");
    try { f = decodeURIComponent(f); } catch (err) {}
    if (f === "" || /\/$/.test(f)) f += "index.html";
    return (files || []).some(function (x) { return x === f || f.slice(-x.length - 1) === "/" + x; });
  }
  function show(errors) {
    if (!overlay) {
      overlay = document.createElement("div");
      overlay.className = "sotay-error-overlay";
      overlay.setAttribute("role", "alert");
      document.body.appendChild(overlay);
    }
    overlay.textContent = "";
    var h = document.createElement("p");
    h.className = "sotay-error-title";
    h.textContent = "Nội dung có lỗi — trang vẫn hiển thị bản tốt gần nhất (" + errors.length + " lỗi):";
    overlay.appendChild(h);
    var pre = document.createElement("pre");
    pre.textContent = errors.join("\n");
    overlay.appendChild(pre);
  }
  function connect() {
    var es = new EventSource("/__sotay/events");
    es.onmessage = function (e) {
      var m = JSON.parse(e.data);
      if (m.type === "reload" || m.type === "built") {
        // Only a page whose own file changed or went (or one showing errors) reloads:
        // editing one document leaves the editor's other open pages alone.
        if (overlay || mine(m.changed) || mine(m.removed)) reload();
      } else if (m.type === "error") {
        show(m.errors || []);
      } else if (m.type === "hello" && m.errors && m.errors.length) {
        show(m.errors);
      }
    };
    es.onerror = function () { es.close(); setTimeout(connect, 1000); };
  }
  connect();
})();
"#;

pub const LIVE_CSS: &str = ".sotay-error-overlay{position:fixed;inset:auto 0 0 0;max-height:60vh;overflow:auto;z-index:1000;background:#2b0000;color:#fff;padding:1rem;font:14px/1.4 monospace;border-top:4px solid #ff4d4d}.sotay-error-title{font-weight:700;margin:0 0 .5rem}.sotay-error-overlay pre{white-space:pre-wrap;margin:0}";
