//! The transport: accepting connections (HTTP/1.1 and HTTP/2, plain or TLS, with timeouts and
//! a limit on connections), handing each request to `routes`, and what every response carries
//! (security headers, metrics, a log line for API calls). Graceful shutdown stops accepting,
//! lets requests in flight finish, and so never drops an acknowledged write.

use crate::app::App;
use crate::limits::HEADER_TIMEOUT;
use crate::storage::Storage;
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::Request;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

pub use crate::reply::{Body, Resp};

/// The Content-Security-Policy the default theme satisfies: nothing inline, nothing foreign.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; manifest-src 'self'; worker-src 'self'; media-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

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
    let permits = Arc::new(Semaphore::new(app.max_connections()));
    // Closed connections still reading what their client sends after an early answer
    // (linger.rs); as many as connections served, beyond that they close at once.
    let drains = Arc::new(Semaphore::new(app.max_connections()));
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
                    app.metrics().rate_limited.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
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
    let mut resp = crate::routes::route(&app, req, client.addr).await;
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
    app.metrics().observe(class, status, took);
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
    let client = app.trusted_proxies().client(peer.ip(), req.headers());
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
