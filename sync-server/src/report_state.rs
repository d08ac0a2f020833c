//! The reports' aggregate as this process holds it (`reports::ReportIndex`, loaded from the
//! database once) and the rules that keep it true: alone on a database, each committed write
//! updates it under a gate so that a reload neither misses nor counts one twice; on a shared
//! (PostgreSQL) database, it catches up from what every instance committed since its mark.
//! Reports are computed on one report thread at a lower CPU priority, never on the threads
//! that serve members; writes reach the aggregate on that thread too, so a thread that serves
//! members never waits for a report to finish.

use crate::reports::{ReportIndex, Targets};
use crate::storage::{Changes, Storage, StoreError};
use std::sync::{Arc, Mutex, RwLock};

/// The loaded aggregate: the roster version it was built from and, on a shared database,
/// the mark of what it has seen.
struct Loaded {
    version: i64,
    mark: Option<String>,
    index: ReportIndex,
}

/// The loaded aggregate's roster version and mark.
type Current = (i64, Option<String>);

/// Why a report cannot be computed now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotReady {
    /// The aggregate is not loaded yet (503: retry).
    Loading,
    /// The report thread or the aggregate's lock failed (500).
    Failed,
}

/// The aggregate, the site's targets, and the gate writers and reloads take.
pub struct ReportState {
    /// Taken on the report thread only (and by `set_targets`, at start): a report holds it
    /// for the whole of its pass.
    loaded: Arc<Mutex<Option<Loaded>>>,
    /// The loaded aggregate's roster version and mark, kept beside it: what a request asks
    /// before every report (is the aggregate current?) without waiting for a report.
    current: Arc<Mutex<Option<Current>>>,
    /// The directive's targets as the site configures them (`report-targets.json`).
    targets: RwLock<Targets>,
    /// Writers that update the aggregate hold this for reading from before their commit until
    /// the update is applied; a reload holds it for writing, so no write is missed or counted
    /// twice.
    gate: tokio::sync::RwLock<()>,
}

impl Default for ReportState {
    fn default() -> Self {
        ReportState {
            loaded: Arc::new(Mutex::new(None)),
            current: Arc::new(Mutex::new(None)),
            targets: RwLock::new(Targets::default()),
            gate: tokio::sync::RwLock::new(()),
        }
    }
}

impl ReportState {
    /// Sets the site's targets, also into the loaded aggregate.
    pub fn set_targets(&self, t: Targets) {
        if let Ok(mut g) = self.targets.write() {
            *g = t;
        }
        if let Ok(mut g) = self.loaded.lock() {
            if let Some(r) = g.as_mut() {
                r.index.targets = t;
            }
        }
    }

    pub fn targets(&self) -> Targets {
        self.targets.read().map(|t| *t).unwrap_or_default()
    }

    /// The loaded aggregate's roster version and mark.
    fn current(&self) -> Option<Current> {
        self.current.lock().map(|g| g.clone()).unwrap_or(None)
    }

    /// Runs `f` on the loaded aggregate (or its absence) on the report thread, then notes its
    /// version and mark in `current`.
    async fn on_loaded(&self, f: impl FnOnce(&mut Option<Loaded>) + Send + 'static) {
        let (loaded, current) = (self.loaded.clone(), self.current.clone());
        on_report_thread(move || {
            if let Ok(mut g) = loaded.lock() {
                f(&mut g);
                let now = g.as_ref().map(|x| (x.version, x.mark.clone()));
                if let Ok(mut c) = current.lock() {
                    *c = now;
                }
            }
        })
        .await;
    }

    /// Loads (or reloads, after a roster import) the aggregate; on a shared database, first
    /// brings it up to date with what every instance committed since.
    pub async fn refresh<S: Storage>(&self, store: &S) -> Result<(), StoreError> {
        let shared = store.shared();
        // Only this process writes: the aggregate is current unless the roster changed.
        let version = match shared {
            true => None,
            false => Some(store.roster_version().await?),
        };
        let up_to_date = |v: Option<i64>| v.is_some() && self.current().map(|c| c.0) == v;
        if up_to_date(version) {
            return Ok(());
        }
        // Held until the aggregate is replaced: alone, writers wait for it (no write missed or
        // counted twice); shared, writers do not take it, so it makes catch-ups one at a time.
        let _gate = self.gate.write().await;
        if up_to_date(version) {
            return Ok(());
        }
        if let Some((version, Some(mark))) = self.current().filter(|_| shared) {
            let ch = store.changes(mark).await?;
            if ch.version == version {
                self.on_loaded(move |g| {
                    if let Some(r) = g.as_mut() {
                        catch_up(r, &ch);
                    }
                })
                .await;
                return Ok(());
            }
        }
        let mut loaded = store.load_reports().await?;
        loaded.index.targets = self.targets();
        self.on_loaded(move |g| {
            *g = Some(Loaded {
                version: loaded.version,
                mark: loaded.mark,
                index: loaded.index,
            });
        })
        .await;
        Ok(())
    }

    /// What a writer holds from before its commit until its `update` is applied; nothing on
    /// a shared database, where writers leave the aggregate alone.
    pub async fn writer_gate(&self, shared: bool) -> Option<tokio::sync::RwLockReadGuard<'_, ()>> {
        if shared {
            None
        } else {
            Some(self.gate.read().await)
        }
    }

    /// Applies a committed write `f` to the aggregate, if it is loaded. On a shared database
    /// nothing: the aggregate catches up from the database instead (`refresh`), which sees
    /// every instance's writes once.
    /// Applied on the report thread, after the reports asked before it: the writer waits for
    /// that without holding a thread that serves members.
    pub async fn update(&self, shared: bool, f: impl FnOnce(&mut ReportIndex) + Send + 'static) {
        if shared {
            return;
        }
        self.on_loaded(move |g| {
            if let Some(r) = g.as_mut() {
                f(&mut r.index);
            }
        })
        .await;
    }

    /// Runs `f` on the aggregate on the report thread (see [`on_report_thread`]).
    pub async fn compute<T: Send + 'static>(
        &self,
        f: impl FnOnce(&ReportIndex) -> T + Send + 'static,
    ) -> Result<T, NotReady> {
        let loaded = self.loaded.clone();
        on_report_thread(move || {
            let g = loaded.lock().map_err(|_| NotReady::Failed)?;
            match g.as_ref() {
                Some(r) => Ok(f(&r.index)),
                None => Err(NotReady::Loading),
            }
        })
        .await
        .unwrap_or(Err(NotReady::Failed))
    }
}

/// Applies what other instances committed since the aggregate's mark (same roster).
fn catch_up(r: &mut Loaded, ch: &Changes) {
    for e in &ch.events {
        r.index
            .event(&e.card, crate::reports::day_of_unix(e.at), e.kind, &e.doc);
    }
    for p in &ch.registrations {
        r.index
            .registered(&p.card, crate::reports::day_of_unix(p.at));
    }
    for m in &ch.meetings {
        r.index.set_meeting(m);
    }
    r.mark = Some(ch.mark.clone());
}

type Job = Box<dyn FnOnce() + Send>;

/// The one thread that computes reports, at a lower CPU priority: a report at the root of a
/// national roster is a pass over a million members, and however many admins ask at once,
/// they queue here for one core while the runtime's threads keep serving members' pages.
static REPORT_THREAD: std::sync::OnceLock<Option<std::sync::mpsc::Sender<Job>>> =
    std::sync::OnceLock::new();

/// Runs `f` on the report thread (started on first use); `None` if it panicked. Without the
/// thread (it could not be started), on tokio's blocking pool.
pub async fn on_report_thread<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Option<T> {
    let tx = REPORT_THREAD.get_or_init(start_report_thread);
    let (otx, orx) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = otx.send(f());
    });
    match tx {
        Some(tx) => match tx.send(job) {
            Ok(()) => orx.await.ok(),
            Err(e) => {
                tokio::task::spawn_blocking(e.0).await.ok()?;
                orx.await.ok()
            }
        },
        None => {
            tokio::task::spawn_blocking(job).await.ok()?;
            orx.await.ok()
        }
    }
}

fn start_report_thread() -> Option<std::sync::mpsc::Sender<Job>> {
    let (tx, rx) = std::sync::mpsc::channel::<Job>();
    std::thread::Builder::new()
        .name("sotay-reports".into())
        .spawn(move || {
            if let Err(e) = crate::threads::lower_priority(10) {
                crate::log::log(
                    "warn",
                    "cannot lower the report thread's priority",
                    &[("error", &e)],
                );
            }
            for job in rx {
                // A panicking report is logged and answered 500; the thread goes on.
                if std::panic::catch_unwind(std::panic::AssertUnwindSafe(job)).is_err() {
                    crate::log::log("error", "a report panicked", &[]);
                }
            }
        })
        .map_err(|e| {
            crate::log::log(
                "warn",
                "no report thread; reports run on the blocking pool",
                &[("error", &e)],
            );
        })
        .ok()
        .map(|_| tx)
}
