//! The application: what every request may need — the storage, the built site (its files,
//! catalog and search index), the reports' aggregate, rate limits, metrics and the server's
//! settings — and the rules that span requests (a rate limit shared by every instance on a
//! shared database, the aggregate kept true across writers). Knows nothing of HTTP: handlers
//! use it, the transport (`http`) only hands it to them.

use crate::catalog::Catalog;
use crate::files::Files;
use crate::limits::{Limiter, Limits, MAX_CONNECTIONS};
use crate::live::LiveReload;
use crate::metrics::Metrics;
use crate::proxy::TrustedProxies;
use crate::push::PushConfig;
use crate::report_state::ReportState;
use crate::reports::ReportIndex;
use crate::storage::{Storage, StoreError};
use sotay_generator::search::index::SearchIndex;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

pub struct App<S: Storage> {
    store: S,
    files: Files,
    site_dir: PathBuf,
    index_dir: PathBuf,
    search: RwLock<Option<Arc<SearchIndex>>>,
    catalog: RwLock<Arc<Catalog>>,
    reports: ReportState,
    metrics: Metrics,
    limits: Limits,
    /// Proxies whose word on the client's address is taken (`--trusted-proxy`).
    trusted_proxies: TrustedProxies,
    /// Connections served at once (`MAX_CONNECTIONS`; tests lower it).
    max_connections: usize,
    started: Instant,
    /// `sotay serve`: pages get the live-reload script, `/__sotay/events` streams rebuilds.
    live: Option<LiveReload>,
    /// Web Push for new notices (`--push-contact`); `None`: off.
    push: Option<Arc<PushConfig>>,
}

impl<S: Storage> App<S> {
    /// The application of the site built in `site_dir` (search index in `index_dir`), with
    /// the default limits, no proxy trusted, push off and dev mode off.
    pub fn new(store: S, site_dir: &Path, index_dir: &Path) -> std::io::Result<App<S>> {
        let app = App {
            store,
            files: Files::new(site_dir)?,
            site_dir: site_dir.to_path_buf(),
            index_dir: index_dir.to_path_buf(),
            search: RwLock::new(None),
            catalog: RwLock::new(Arc::new(Catalog::default())),
            reports: ReportState::default(),
            metrics: Metrics::default(),
            limits: Limits::default(),
            trusted_proxies: TrustedProxies::default(),
            max_connections: MAX_CONNECTIONS,
            started: Instant::now(),
            live: None,
            push: None,
        };
        app.reload();
        Ok(app)
    }

    pub fn with_limits(mut self, limits: Limits) -> App<S> {
        self.limits = limits;
        self
    }

    pub fn with_trusted_proxies(mut self, proxies: TrustedProxies) -> App<S> {
        self.trusted_proxies = proxies;
        self
    }

    pub fn with_push(mut self, push: Option<PushConfig>) -> App<S> {
        self.push = push.map(Arc::new);
        self
    }

    pub fn with_max_connections(mut self, n: usize) -> App<S> {
        self.max_connections = n;
        self
    }

    /// Dev mode (`sotay serve`): live reload on.
    pub fn with_live_reload(mut self) -> App<S> {
        self.live = Some(LiveReload::default());
        self
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    pub fn files(&self) -> &Files {
        &self.files
    }

    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    pub fn trusted_proxies(&self) -> &TrustedProxies {
        &self.trusted_proxies
    }

    pub fn max_connections(&self) -> usize {
        self.max_connections
    }

    pub fn uptime(&self) -> Duration {
        self.started.elapsed()
    }

    pub fn push(&self) -> Option<&Arc<PushConfig>> {
        self.push.as_ref()
    }

    /// The live-reload channel, in dev mode only.
    pub fn live(&self) -> Option<&LiveReload> {
        self.live.as_ref()
    }

    /// Re-reads the catalog and the search index, and forgets cached files: after a build.
    pub fn reload(&self) {
        self.reports
            .set_targets(crate::reports::Targets::of_site(&self.site_dir));
        self.reload_catalog();
        self.reload_search();
        self.files.clear();
    }

    /// Re-reads `catalog.json` (the documents events may name).
    pub fn reload_catalog(&self) {
        let c = Catalog::of_site(&self.site_dir);
        if let Ok(mut g) = self.catalog.write() {
            *g = Arc::new(c);
        }
    }

    /// Re-opens the search index.
    pub fn reload_search(&self) {
        let idx = SearchIndex::open(&self.index_dir)
            .map_err(|e| crate::log::log("warn", "search index unavailable", &[("error", &e)]))
            .ok();
        if let Ok(mut s) = self.search.write() {
            *s = idx.map(Arc::new);
        }
    }

    /// The search index, once built.
    pub fn search_index(&self) -> Option<Arc<SearchIndex>> {
        self.search.read().ok().and_then(|s| s.clone())
    }

    pub fn catalog(&self) -> Arc<Catalog> {
        self.catalog
            .read()
            .map(|c| c.clone())
            .unwrap_or_else(|_| Arc::new(Catalog::default()))
    }

    pub fn knows_doc(&self, id: &str) -> bool {
        self.catalog.read().map(|c| c.contains(id)).unwrap_or(false)
    }

    /// The documents of `month`'s cell meeting (`YYYY-MM`), in the catalog's order.
    pub fn docs_of_month(&self, month: &str) -> Vec<String> {
        self.catalog
            .read()
            .map(|c| c.meeting_docs(month))
            .unwrap_or_default()
    }

    /// The site's base path.
    pub fn site_base(&self) -> String {
        "/".into()
    }

    /// The reports' aggregate.
    pub fn reports(&self) -> &ReportState {
        &self.reports
    }

    /// Loads (or reloads, after a roster import) the reports' aggregate; on a shared
    /// database, first brings it up to date with what every instance committed since.
    pub async fn refresh_reports(&self) -> Result<(), StoreError> {
        self.reports.refresh(&self.store).await
    }

    /// What a writer holds from before its commit until its `update_reports` is applied.
    pub async fn writer_gate(&self) -> Option<tokio::sync::RwLockReadGuard<'_, ()>> {
        self.reports.writer_gate(self.store.shared()).await
    }

    /// Applies a committed write `f` to the reports' aggregate (see `ReportState::update`).
    pub async fn update_reports(&self, f: impl FnOnce(&mut ReportIndex) + Send + 'static) {
        self.reports.update(self.store.shared(), f).await
    }

    /// Takes a token from `limiter` for `key`: from the bucket every instance shares when
    /// the database is shared (a failing database falls back to this process's bucket), else
    /// from this process's. `Err` holds the seconds to wait; a refusal is counted.
    pub async fn check_limit(&self, limiter: &Limiter, key: &str) -> Result<(), u64> {
        let r = self.take_token(limiter, key).await;
        if r.is_err() {
            self.metrics
                .rate_limited
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        r
    }

    async fn take_token(&self, limiter: &Limiter, key: &str) -> Result<(), u64> {
        if self.store.shared() && !limiter.is_off() {
            let rule = limiter.rule();
            let shared_key = format!("{}:{key}", limiter.name());
            match self
                .store
                .take_shared_token(shared_key, rule.burst, rule.per_sec)
                .await
            {
                Ok(r) => return r,
                Err(e) => crate::log::log(
                    "warn",
                    "shared rate limit unavailable; using this instance's",
                    &[("error", &e)],
                ),
            }
        }
        limiter.check(key)
    }
}
