//! The HTTP server: accepting connections (HTTP/1.1 and HTTP/2, with timeouts and a limit on
//! connections), routing each request to the static files or the API, and what every response
//! carries (security headers, metrics, a log line for API calls). Graceful shutdown stops
//! accepting, lets requests in flight finish, and so never drops an acknowledged write.

use crate::api;
use crate::files::{negotiate, Encoding, Files, Lookup};
use crate::limits::Limits;
use crate::metrics::Metrics;
use crate::proxy::TrustedProxies;
use crate::storage::Storage;
use bytes::Bytes;
use http_body_util::{combinators::BoxBody, BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use sotay_generator::search::index::SearchIndex;
use std::collections::HashSet;
use std::convert::Infallible;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::sync::{broadcast, Semaphore};

pub type Body = BoxBody<Bytes, std::io::Error>;
pub type Resp = Response<Body>;

/// Connections served at once; more wait in the kernel's queue, then are closed with 503.
pub const MAX_CONNECTIONS: usize = 4096;

/// How long a client has to send a request's head: from the connection's start for the
/// first request (whatever the protocol), and between requests on a kept-alive HTTP/1.1
/// connection (hyper's header read timeout). The API then gives a body 30 s (`api::read_body`).
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// The Content-Security-Policy the default theme satisfies: nothing inline, nothing foreign.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; manifest-src 'self'; worker-src 'self'; media-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

/// The reports' aggregate as this process holds it.
pub struct Reports {
    pub version: i64,
    pub mark: Option<String>,
    pub index: crate::reports::ReportIndex,
}

/// Everything a request may need.
pub struct App<S: Storage> {
    pub store: S,
    pub files: Files,
    pub site_dir: PathBuf,
    pub index_dir: PathBuf,
    pub search: RwLock<Option<Arc<SearchIndex>>>,
    /// Ids of the published documents (from catalog.json).
    pub catalog: RwLock<Arc<HashSet<String>>>,
    /// The documents of each month's cell meeting (`meeting: YYYY-MM`), in catalog order.
    pub meeting_docs: RwLock<Arc<std::collections::HashMap<String, Vec<String>>>>,
    pub metrics: Metrics,
    pub limits: Limits,
    /// Proxies whose word on the client's address is taken (`--trusted-proxy`).
    pub trusted_proxies: TrustedProxies,
    /// Connections served at once (`MAX_CONNECTIONS`; tests lower it).
    pub max_connections: usize,
    pub started: Instant,
    /// Live reload: a message for every rebuild ("reload") or build error (its text).
    pub reloads: broadcast::Sender<String>,
    /// The aggregate reports are computed from, the roster version it was built from and,
    /// on a shared database, the mark of what it has seen.
    pub reports: Arc<std::sync::Mutex<Option<Reports>>>,
    /// The directive's targets as the site configures them (`report-targets.json`).
    pub targets: std::sync::RwLock<crate::reports::Targets>,
    /// Writers that update `reports` hold this for reading from before their commit until the
    /// update is applied; a reload holds it for writing, so no write is missed or counted twice.
    pub reports_gate: tokio::sync::RwLock<()>,
    /// `sotay serve`: pages get the live-reload script, `/__sotay/events` streams rebuilds.
    pub dev: bool,
    /// The errors of the last failed rebuild, for pages that connect while they last.
    pub build_errors: std::sync::Mutex<Vec<String>>,
    /// Web Push for new notices (`--push-contact`); `None`: off.
    pub push: Option<Arc<crate::push::PushConfig>>,
}

impl<S: Storage> App<S> {
    pub fn new(store: S, site_dir: &Path, index_dir: &Path) -> std::io::Result<App<S>> {
        let app = App {
            store,
            files: Files::new(site_dir)?,
            site_dir: site_dir.to_path_buf(),
            index_dir: index_dir.to_path_buf(),
            search: RwLock::new(None),
            catalog: RwLock::new(Arc::new(HashSet::new())),
            meeting_docs: RwLock::new(Arc::new(std::collections::HashMap::new())),
            metrics: Metrics::default(),
            limits: Limits::default(),
            trusted_proxies: TrustedProxies::default(),
            max_connections: MAX_CONNECTIONS,
            started: Instant::now(),
            reloads: broadcast::channel(16).0,
            reports: Arc::new(std::sync::Mutex::new(None)),
            targets: std::sync::RwLock::new(crate::reports::Targets::default()),
            reports_gate: tokio::sync::RwLock::new(()),
            dev: false,
            build_errors: std::sync::Mutex::new(Vec::new()),
            push: None,
        };
        app.reload();
        Ok(app)
    }

    /// Re-reads the catalog and the search index, and forgets cached files: after a build.
    pub fn reload(&self) {
        self.reload_targets();
        self.reload_catalog();
        self.reload_search();
        self.files.clear();
    }

    /// Re-reads the report targets of the site, also into the loaded aggregate.
    pub fn reload_targets(&self) {
        let t = crate::reports::Targets::of_site(&self.site_dir);
        if let Ok(mut g) = self.targets.write() {
            *g = t;
        }
        if let Ok(mut g) = self.reports.lock() {
            if let Some(r) = g.as_mut() {
                r.index.targets = t;
            }
        }
    }

    pub fn current_targets(&self) -> crate::reports::Targets {
        self.targets.read().map(|t| *t).unwrap_or_default()
    }

    /// Re-reads `catalog.json` (the documents events may name).
    pub fn reload_catalog(&self) {
        // Only the ids are read (typed, skipping the rest): this runs after every rebuild.
        #[derive(serde::Deserialize)]
        struct Catalog {
            documents: Vec<Entry>,
        }
        #[derive(serde::Deserialize)]
        struct Entry {
            id: String,
            #[serde(default)]
            meeting: Option<String>,
        }
        let docs = std::fs::read(self.site_dir.join("catalog.json"))
            .ok()
            .and_then(|b| serde_json::from_slice::<Catalog>(&b).ok())
            .map(|c| c.documents)
            .unwrap_or_default();
        let mut months: std::collections::HashMap<String, Vec<String>> = Default::default();
        for d in &docs {
            if let Some(m) = &d.meeting {
                months.entry(m.clone()).or_default().push(d.id.clone());
            }
        }
        let ids: HashSet<String> = docs.into_iter().map(|d| d.id).collect();
        if let Ok(mut c) = self.catalog.write() {
            *c = Arc::new(ids);
        }
        if let Ok(mut m) = self.meeting_docs.write() {
            *m = Arc::new(months);
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

    /// Loads (or reloads, after a roster import) the reports' aggregate; on a shared
    /// database, first brings it up to date with what every instance committed since.
    pub async fn refresh_reports(&self) -> Result<(), crate::storage::StoreError> {
        let current = |r: &std::sync::Mutex<Option<Reports>>| {
            r.lock()
                .map(|g| g.as_ref().map(|x| (x.version, x.mark.clone())))
                .unwrap_or(None)
        };
        let shared = self.store.shared();
        // Only this process writes: the aggregate is current unless the roster changed.
        let version = match shared {
            true => None,
            false => Some(self.store.roster_version().await?),
        };
        let up_to_date = |v: Option<i64>| v.is_some() && current(&self.reports).map(|c| c.0) == v;
        if up_to_date(version) {
            return Ok(());
        }
        // Held until the aggregate is replaced: alone, writers wait for it (no write missed or
        // counted twice); shared, writers do not take it, so it makes catch-ups one at a time.
        let _gate = self.reports_gate.write().await;
        if up_to_date(version) {
            return Ok(());
        }
        if let Some((version, Some(mark))) = current(&self.reports).filter(|_| shared) {
            let ch = self.store.changes(mark).await?;
            if ch.version == version {
                if let Ok(mut g) = self.reports.lock() {
                    if let Some(r) = g.as_mut() {
                        for e in &ch.events {
                            r.index.event(
                                &e.card,
                                crate::reports::day_of_unix(e.at),
                                e.kind,
                                &e.doc,
                            );
                        }
                        for p in &ch.registrations {
                            r.index
                                .registered(&p.card, crate::reports::day_of_unix(p.at));
                        }
                        for m in &ch.meetings {
                            r.index.set_meeting(m);
                        }
                        r.mark = Some(ch.mark);
                    }
                }
                return Ok(());
            }
        }
        let mut loaded = self.store.load_reports().await?;
        loaded.index.targets = self.current_targets();
        if let Ok(mut g) = self.reports.lock() {
            *g = Some(Reports {
                version: loaded.version,
                mark: loaded.mark,
                index: loaded.index,
            });
        }
        Ok(())
    }

    /// Takes a token from `limiter` for `key`: from the bucket every instance shares when
    /// the database is shared (a failing database falls back to this process's bucket), else
    /// from this process's.
    pub async fn check_limit(
        &self,
        limiter: &crate::limits::Limiter,
        key: &str,
    ) -> Result<(), u64> {
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

    /// What a writer holds from before its commit until its `update_reports` is applied
    /// (see `reports_gate`); nothing on a shared database, where writers leave the aggregate
    /// alone.
    pub async fn writer_gate(&self) -> Option<tokio::sync::RwLockReadGuard<'_, ()>> {
        if self.store.shared() {
            None
        } else {
            Some(self.reports_gate.read().await)
        }
    }

    /// Applies a committed write `f` to the reports' aggregate, if it is loaded. On a shared
    /// database nothing: the aggregate catches up from the database instead
    /// (`refresh_reports`), which sees every instance's writes once.
    pub fn update_reports(&self, f: impl FnOnce(&mut crate::reports::ReportIndex)) {
        if self.store.shared() {
            return;
        }
        if let Ok(mut g) = self.reports.lock() {
            if let Some(r) = g.as_mut() {
                f(&mut r.index);
            }
        }
    }

    pub fn knows_doc(&self, id: &str) -> bool {
        self.catalog.read().map(|c| c.contains(id)).unwrap_or(false)
    }

    /// The documents of `month`'s cell meeting (`YYYY-MM`), in the catalog's order.
    pub fn docs_of_month(&self, month: &str) -> Vec<String> {
        self.meeting_docs
            .read()
            .ok()
            .and_then(|m| m.get(month).cloned())
            .unwrap_or_default()
    }
}

/// Serves until `shutdown` resolves, then finishes the requests in flight (at most 20 s).
pub async fn serve<S: Storage>(
    app: Arc<App<S>>,
    listener: TcpListener,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    serve_on(app, listener, None, shutdown).await
}

/// Like `serve`, over HTTPS with `cert` (see `tls`): each response also carries HSTS.
pub async fn serve_tls<S: Storage>(
    app: Arc<App<S>>,
    listener: TcpListener,
    cert: &Arc<crate::tls::Certificate>,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let tls = Tls {
        accept: cert.acceptor(true).map_err(std::io::Error::other)?,
        refuse: cert.acceptor(false).map_err(std::io::Error::other)?,
    };
    serve_on(app, listener, Some(tls), shutdown).await
}

/// HTTPS: the acceptor of connections, and one offering HTTP/1.1 alone for those refused
/// with a 503 written by hand.
#[derive(Clone)]
struct Tls {
    accept: tokio_rustls::TlsAcceptor,
    refuse: tokio_rustls::TlsAcceptor,
}

type ConnBuilder = hyper_util::server::conn::auto::Builder<TokioExecutor>;

async fn serve_on<S: Storage>(
    app: Arc<App<S>>,
    listener: TcpListener,
    tls: Option<Tls>,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let permits = Arc::new(Semaphore::new(app.max_connections));
    // Closed connections still reading what their client sends after an early answer
    // (linger.rs); as many as connections served, beyond that they close at once.
    let drains = Arc::new(Semaphore::new(app.max_connections));
    let mut builder = ConnBuilder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT)
        .max_buf_size(64 * 1024);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(100)
        .keep_alive_interval(Duration::from_secs(30));
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(x) => x,
                    Err(e) => {
                        // Out of file descriptors and the like: wait a little rather than spin.
                        crate::log::log("warn", "accept failed", &[("error", &e)]);
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let Ok(permit) = permits.clone().try_acquire_owned() else {
                    app.metrics.rate_limited.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    tokio::spawn(refuse(stream, tls.as_ref().map(|t| t.refuse.clone())));
                    continue;
                };
                let watcher = graceful.watcher();
                let (app, builder) = (app.clone(), builder.clone());
                let tls = tls.as_ref().map(|t| t.accept.clone());
                // Under TLS too: draining reads the client's records and throws them away.
                let stream = crate::linger::Linger::new(stream, drains.clone());
                tokio::spawn(async move {
                    connection(app, &builder, watcher, stream, peer, tls).await;
                    drop(permit);
                });
            }
            _ = &mut shutdown => break,
        }
    }
    drop(listener);
    tokio::select! {
        _ = graceful.shutdown() => {}
        _ = tokio::time::sleep(Duration::from_secs(20)) => {}
    }
    Ok(())
}

/// One connection: its TLS handshake if any, then its requests until it closes. Until the
/// first request the connection is in no protocol's hands yet: hyper's header timeout starts
/// only once HTTP/1 is recognised, so a client sending nothing, the HTTP/2 preface a byte at
/// a time or a TLS handshake that never ends would hold its place for the hour. Handshake
/// and first request get HEADER_TIMEOUT together.
async fn connection<S: Storage>(
    app: Arc<App<S>>,
    builder: &ConnBuilder,
    watcher: hyper_util::server::graceful::Watcher,
    stream: crate::linger::Linger,
    peer: SocketAddr,
    tls: Option<tokio_rustls::TlsAcceptor>,
) {
    let first = tokio::time::Instant::now() + HEADER_TIMEOUT;
    match tls {
        None => {
            let io = TokioIo::new(stream);
            requests(app, builder, watcher, io, peer, false, first).await
        }
        Some(acceptor) => {
            if let Ok(Ok(stream)) = tokio::time::timeout_at(first, acceptor.accept(stream)).await {
                let io = TokioIo::new(stream);
                requests(app, builder, watcher, io, peer, true, first).await;
            }
        }
    }
}

/// Serves the requests of a connection (`io`, plain or TLS), the first by `first`.
async fn requests<S, I>(
    app: Arc<App<S>>,
    builder: &ConnBuilder,
    watcher: hyper_util::server::graceful::Watcher,
    io: I,
    peer: SocketAddr,
    tls: bool,
    first: tokio::time::Instant,
) where
    S: Storage,
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let asked = Arc::new(AtomicBool::new(false));
    let asked2 = asked.clone();
    let service = hyper::service::service_fn(move |req| {
        let app = app.clone();
        asked2.store(true, Ordering::Relaxed);
        async move { Ok::<_, Infallible>(handle(app, req, peer, tls).await) }
    });
    let conn = watcher.watch(builder.serve_connection(io, service).into_owned());
    let end = tokio::time::Instant::now() + Duration::from_secs(3600);
    tokio::pin!(conn);
    let done = tokio::time::timeout_at(first, &mut conn).await;
    if done.is_err() && asked.load(Ordering::Relaxed) {
        let _ = tokio::time::timeout_at(end, conn).await;
    }
}

async fn refuse(stream: tokio::net::TcpStream, tls: Option<tokio_rustls::TlsAcceptor>) {
    use tokio::io::AsyncWriteExt;
    let body = r#"{"error":{"code":"overloaded","message":"too many connections, retry later"}}"#;
    let msg = format!("HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: 5\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}", body.len());
    let _ = tokio::time::timeout(Duration::from_secs(2), async move {
        match tls {
            None => {
                let mut stream = stream;
                stream.write_all(msg.as_bytes()).await
            }
            Some(acceptor) => {
                let mut stream = acceptor.accept(stream).await?;
                stream.write_all(msg.as_bytes()).await?;
                stream.shutdown().await
            }
        }
    })
    .await;
}

fn route_class(path: &str) -> usize {
    match path {
        p if p.starts_with("/api/v1/search") => 1,
        "/api/v1/register" => 2,
        "/api/v1/events" => 3,
        p if p.starts_with("/api/v1/reports") => 4,
        p if p.starts_with("/api/v1/meetings/") => 7,
        p if p.starts_with("/api/v1/notices") || p.starts_with("/api/v1/push/") => 8,
        "/healthz" | "/metrics" => 5,
        p if p.starts_with("/api/") => 6,
        _ => 0,
    }
}

async fn handle<S: Storage>(
    app: Arc<App<S>>,
    req: Request<Incoming>,
    peer: SocketAddr,
    tls: bool,
) -> Resp {
    let start = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let class = route_class(&path);
    let client = client_of(&app, peer, &req);
    let mut resp = match route(&app, req, client.addr).await {
        Ok(r) => r,
        Err(e) => e.response(),
    };
    let h = resp.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=()"),
    );
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    if tls {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(crate::tls::HSTS),
        );
    }
    let took = start.elapsed();
    let status = resp.status().as_u16();
    app.metrics.observe(class, status, took);
    if (class != 0 || status >= 500) && crate::log::enabled() {
        let ms = format!("{:.2}", took.as_secs_f64() * 1000.0);
        crate::log::log(
            "info",
            "request",
            &[
                ("method", &method),
                ("path", &path),
                ("status", &status),
                ("ms", &ms),
                ("client", &client.addr),
                ("via", &via(&client, peer)),
            ],
        );
    }
    resp
}

/// The client of a request: its TCP peer, or, when the peer is a trusted proxy, the client
/// the proxy names. A forwarding header that cannot be read leaves the peer's address and a
/// log line; the member gets an answer as usual.
fn client_of<S: Storage>(
    app: &App<S>,
    peer: SocketAddr,
    req: &Request<Incoming>,
) -> crate::proxy::Client {
    let client = app.trusted_proxies.client(peer.ip(), req.headers());
    if let Some(problem) = &client.problem {
        crate::log::log(
            "warn",
            "forwarding header unreadable; the request counts as the proxy's",
            &[
                ("problem", problem),
                ("peer", &peer.ip()),
                ("path", &req.uri().path()),
            ],
        );
    }
    client
}

/// For the log: the proxy a request came through, or "-".
fn via(client: &crate::proxy::Client, peer: SocketAddr) -> String {
    match client.forwarded {
        true => peer.ip().to_canonical().to_string(),
        false => "-".to_string(),
    }
}

/// Routes a request. `Err` carries an error response, to keep handlers short with `?`.
async fn route<S: Storage>(
    app: &Arc<App<S>>,
    req: Request<Incoming>,
    client: IpAddr,
) -> Result<Resp, api::ApiError> {
    let path = req.uri().path();
    if app.dev && path.starts_with("/__sotay/") {
        return Ok(dev_route(app, path));
    }
    if path.starts_with("/api/") || path == "/healthz" || path == "/metrics" {
        return api::handle(app, req, client).await;
    }
    match *req.method() {
        Method::GET | Method::HEAD => Ok(static_file(app, &req)),
        _ => {
            // RFC 9110: a 405 says which methods are allowed.
            let mut r = api::error(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "only GET and HEAD are allowed here",
            )
            .response();
            r.headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
            Ok(r)
        }
    }
}

fn static_file<S: Storage>(app: &Arc<App<S>>, req: &Request<Incoming>) -> Resp {
    let head = req.method() == Method::HEAD;
    let path = req.uri().path();
    if path == "/tim-kiem/" {
        if let Some(r) = api::search_page(app, req) {
            return r;
        }
    }
    match app.files.lookup(path) {
        Lookup::Found(e) => {
            let enc = if e.compressible() {
                negotiate(
                    req.headers()
                        .get(header::ACCEPT_ENCODING)
                        .and_then(|v| v.to_str().ok()),
                )
            } else {
                Encoding::Identity
            };
            let etag = match enc {
                Encoding::Identity => e.etag.clone(),
                Encoding::Gzip => format!("{}-gz\"", e.etag.trim_end_matches('"')),
                Encoding::Brotli => format!("{}-br\"", e.etag.trim_end_matches('"')),
            };
            let matches = req
                .headers()
                .get(header::IF_NONE_MATCH)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|inm| {
                    inm.split(',').any(|t| {
                        let t = t.trim().trim_start_matches("W/");
                        t == etag || t == e.etag || t == "*"
                    })
                });
            let mut b = Response::builder()
                .header(header::ETAG, &etag)
                .header(header::CACHE_CONTROL, e.cache_control)
                .header(header::VARY, "Accept-Encoding");
            if matches {
                return b
                    .status(StatusCode::NOT_MODIFIED)
                    .body(empty())
                    .unwrap_or_else(|_| internal());
            }
            b = b.header(header::CONTENT_TYPE, e.content_type);
            if enc == Encoding::Gzip {
                b = b.header(header::CONTENT_ENCODING, "gzip");
            } else if enc == Encoding::Brotli {
                b = b.header(header::CONTENT_ENCODING, "br");
            }
            if path.ends_with("/sw.js") || path == "/sw.js" {
                b = b.header("service-worker-allowed", "/");
            }
            if app.dev && e.content_type.starts_with("text/html") {
                // Pages served for editors reload themselves after each rebuild.
                let mut html = String::from_utf8_lossy(&e.bytes).into_owned();
                let tag = "<link rel=\"stylesheet\" href=\"/__sotay/live.css\"><script src=\"/__sotay/live.js\"></script>";
                match html.rfind("</body>") {
                    Some(i) => html.insert_str(i, tag),
                    None => html.push_str(tag),
                }
                return Response::builder()
                    .header(header::CONTENT_TYPE, e.content_type)
                    .header(header::CACHE_CONTROL, "no-store")
                    .body(if head { empty() } else { full(html) })
                    .unwrap_or_else(|_| internal());
            }
            let body = e.body(enc);
            b = b.header(header::CONTENT_LENGTH, body.len());
            b.body(if head { empty() } else { full(body) })
                .unwrap_or_else(|_| internal())
        }
        Lookup::Redirect(to) => Response::builder()
            .status(StatusCode::MOVED_PERMANENTLY)
            .header(header::LOCATION, to)
            .body(empty())
            .unwrap_or_else(|_| internal()),
        Lookup::Forbidden => not_found(app, StatusCode::BAD_REQUEST),
        Lookup::NotFound => not_found(app, StatusCode::NOT_FOUND),
    }
}

fn not_found<S: Storage>(app: &Arc<App<S>>, status: StatusCode) -> Resp {
    let body = match app.files.lookup("/404.html") {
        Lookup::Found(e) => e.bytes.clone(),
        _ => Bytes::from_static(
            b"<!doctype html><title>404</title><p>Kh\xc3\xb4ng t\xc3\xacm th\xe1\xba\xa5y trang.",
        ),
    };
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
        .header(header::CACHE_CONTROL, "no-cache")
        .body(full(body))
        .unwrap_or_else(|_| internal())
}

pub fn full(b: impl Into<Bytes>) -> Body {
    Full::new(b.into()).map_err(|never| match never {}).boxed()
}

pub fn empty() -> Body {
    full(Bytes::new())
}

pub fn internal() -> Resp {
    let mut r = Response::new(full(
        r#"{"error":{"code":"internal","message":"internal error"}}"#,
    ));
    *r.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    r
}

/// `/__sotay/*` of the dev server: the live-reload script and style, and the event stream.
fn dev_route<S: Storage>(app: &Arc<App<S>>, path: &str) -> Resp {
    let text = |ct: &'static str, body: &'static str| {
        Response::builder()
            .header(header::CONTENT_TYPE, ct)
            .header(header::CACHE_CONTROL, "no-store")
            .body(full(body))
            .unwrap_or_else(|_| internal())
    };
    match path {
        "/__sotay/live.js" => text("text/javascript; charset=utf-8", crate::watch::LIVE_JS),
        "/__sotay/live.css" => text("text/css; charset=utf-8", crate::watch::LIVE_CSS),
        "/__sotay/events" => {
            use futures_util::StreamExt;
            let errors = app
                .build_errors
                .lock()
                .map(|e| e.clone())
                .unwrap_or_default();
            let hello = serde_json::json!({"type": "hello", "errors": errors}).to_string();
            let rx = app.reloads.subscribe();
            let first = futures_util::stream::once(async move {
                Ok::<_, std::io::Error>(hyper::body::Frame::data(Bytes::from(format!(
                    "data: {hello}\n\n"
                ))))
            });
            let rest = futures_util::stream::unfold(rx, |mut rx| async move {
                // A comment every 15 s keeps idle connections open through proxies.
                let frame = match tokio::time::timeout(Duration::from_secs(15), rx.recv()).await {
                    Ok(Ok(msg)) => format!("data: {msg}\n\n"),
                    Ok(Err(tokio::sync::broadcast::error::RecvError::Lagged(_))) => {
                        ": lagged\n\n".to_string()
                    }
                    Ok(Err(_)) => return None,
                    Err(_) => ": keep-alive\n\n".to_string(),
                };
                Some((
                    Ok::<_, std::io::Error>(hyper::body::Frame::data(Bytes::from(frame))),
                    rx,
                ))
            });
            let body = http_body_util::StreamBody::new(first.chain(rest));
            Response::builder()
                .header(header::CONTENT_TYPE, "text/event-stream")
                .header(header::CACHE_CONTROL, "no-store")
                .body(BodyExt::boxed(body))
                .unwrap_or_else(|_| internal())
        }
        _ => not_found(app, StatusCode::NOT_FOUND),
    }
}
