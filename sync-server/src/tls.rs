//! HTTPS of the server's own, for a machine with no proxy in front (`--tls-cert`/`--tls-key`,
//! PEM): rustls with the *ring* provider, HTTP/2 offered through ALPN, and the certificate read
//! again when its files change (a certbot renewal) or on SIGHUP — new connections get the new
//! one, open connections keep theirs. Also the plain-HTTP listener that sends browsers to HTTPS
//! and answers the ACME HTTP-01 challenges of a renewal (`--http-redirect`, `--acme-webroot`).

use crate::reply::{empty, full, Resp};
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

/// What browsers are told to remember: HTTPS only, for a year (RFC 6797). Subdomains are left
/// out: the handbook is often one host among a provincial site's others.
pub const HSTS: &str = "max-age=31536000";

/// The certificate chain and private key files.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// The certificate new handshakes get, replaced when its files change.
#[derive(Debug)]
pub struct Certificate {
    files: TlsFiles,
    provider: Arc<rustls::crypto::CryptoProvider>,
    current: RwLock<Arc<CertifiedKey>>,
    /// A hash of the two files as last loaded, to tell a change from a touch.
    loaded: Mutex<[u8; 32]>,
}

impl ResolvesServerCert for Certificate {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        self.current.read().ok().map(|c| c.clone())
    }
}

/// Reads a certificate chain and its key; `Err` says what is wrong, naming the file.
fn read_pair(
    files: &TlsFiles,
    provider: &rustls::crypto::CryptoProvider,
) -> Result<(CertifiedKey, [u8; 32]), String> {
    let cert_pem =
        std::fs::read(&files.cert).map_err(|e| format!("{}: {e}", files.cert.display()))?;
    let key_pem = std::fs::read(&files.key).map_err(|e| format!("{}: {e}", files.key.display()))?;
    let chain = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{}: not a PEM certificate chain: {e}", files.cert.display()))?;
    if chain.is_empty() {
        return Err(format!(
            "{}: no certificate in it (expected -----BEGIN CERTIFICATE-----)",
            files.cert.display()
        ));
    }
    let key = PrivateKeyDer::from_pem_slice(&key_pem)
        .map_err(|e| format!("{}: not a PEM private key: {e}", files.key.display()))?;
    let pair = CertifiedKey::from_der(chain, key, provider).map_err(|e| {
        format!(
            "{} and {} do not go together: {e}",
            files.cert.display(),
            files.key.display()
        )
    })?;
    let mut h = Sha256::new();
    h.update(&cert_pem);
    h.update(&key_pem);
    Ok((pair, h.finalize().into()))
}

/// The first 16 hex digits of the SHA-256 of the chain's first certificate, for the log.
fn fingerprint(pair: &CertifiedKey) -> String {
    let der = pair.cert.first().map(|c| c.as_ref()).unwrap_or_default();
    Sha256::digest(der)
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl Certificate {
    pub fn load(files: TlsFiles) -> Result<Arc<Certificate>, String> {
        // *ring*: a third of aws-lc-rs's build time here (11 s against 31 s of CPU, no cmake
        // either way). rustls 0.23.48 marks it deprecated because it has no post-quantum key
        // exchange; aws-lc-rs would add X25519MLKEM768 by changing this line and the feature.
        #[allow(deprecated)]
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let (pair, hash) = read_pair(&files, &provider)?;
        crate::log::log(
            "info",
            "certificate loaded",
            &[
                ("cert", &files.cert.display()),
                ("sha256", &fingerprint(&pair)),
            ],
        );
        Ok(Arc::new(Certificate {
            files,
            provider,
            current: RwLock::new(Arc::new(pair)),
            loaded: Mutex::new(hash),
        }))
    }

    /// Reads the files again. When they changed and hold a valid pair, new handshakes get it;
    /// when they are not a valid pair (yet: a renewal may write the certificate before the
    /// key) the one in use stays and the next change tries again.
    pub fn reload(&self) {
        match read_pair(&self.files, &self.provider) {
            Ok((pair, hash)) => {
                let Ok(mut loaded) = self.loaded.lock() else {
                    return;
                };
                if *loaded == hash {
                    return;
                }
                let print = fingerprint(&pair);
                if let Ok(mut c) = self.current.write() {
                    *c = Arc::new(pair);
                    *loaded = hash;
                    crate::log::log(
                        "info",
                        "certificate reloaded; new connections get it",
                        &[("cert", &self.files.cert.display()), ("sha256", &print)],
                    );
                }
            }
            Err(e) => crate::log::log(
                "warn",
                "certificate files changed but cannot be used; keeping the one in use",
                &[("error", &e)],
            ),
        }
    }

    /// The TLS acceptor: TLS 1.2 and 1.3, HTTP/2 (when `h2`) and HTTP/1.1 offered through
    /// ALPN, session tickets so that a phone coming back resumes instead of a full handshake.
    pub fn acceptor(
        self: &Arc<Certificate>,
        h2: bool,
    ) -> Result<tokio_rustls::TlsAcceptor, String> {
        let mut config = rustls::ServerConfig::builder_with_provider(self.provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_no_client_auth()
            .with_cert_resolver(self.clone());
        config.alpn_protocols = match h2 {
            true => vec![b"h2".to_vec(), b"http/1.1".to_vec()],
            false => vec![b"http/1.1".to_vec()],
        };
        config.ticketer = rustls::crypto::ring::Ticketer::new().map_err(|e| e.to_string())?;
        Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
    }

    /// Reloads the certificate whenever something changes in the folders of its files (and
    /// of the files their symbolic links lead to: certbot's `live/` and `archive/`), once
    /// the changes have been quiet for a moment. The watch lasts as long as the returned
    /// watcher.
    pub fn watch(self: &Arc<Certificate>) -> Result<notify::RecommendedWatcher, String> {
        use notify::Watcher;
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let mut watcher = notify::recommended_watcher(move |ev: notify::Result<notify::Event>| {
            if ev.is_ok_and(|e| !e.kind.is_access()) {
                let _ = tx.send(());
            }
        })
        .map_err(|e| format!("cannot watch the certificate files: {e}"))?;
        let mut dirs: Vec<PathBuf> = Vec::new();
        for f in [&self.files.cert, &self.files.key] {
            let real = f.canonicalize().unwrap_or_else(|_| f.clone());
            for p in [f, &real] {
                let dir = match p.parent() {
                    Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
                    _ => PathBuf::from("."),
                };
                if !dirs.contains(&dir) {
                    dirs.push(dir);
                }
            }
        }
        for d in &dirs {
            watcher
                .watch(d, notify::RecursiveMode::NonRecursive)
                .map_err(|e| format!("cannot watch {}: {e}", d.display()))?;
        }
        let cert = self.clone();
        std::thread::Builder::new()
            .name("sotay-tls-watch".into())
            .spawn(move || {
                while rx.recv().is_ok() {
                    // Both files of a renewal, and the link switches, as one change.
                    while rx.recv_timeout(Duration::from_millis(300)).is_ok() {}
                    cert.reload();
                }
            })
            .map_err(|e| e.to_string())?;
        Ok(watcher)
    }
}

/// What the plain-HTTP listener does.
#[derive(Debug, Clone)]
pub struct Redirect {
    /// The port HTTPS is served on (left out of the new URL when it is 443).
    pub https_port: u16,
    /// certbot's `--webroot` folder: `/.well-known/acme-challenge/TOKEN` is answered from
    /// `DIR/.well-known/acme-challenge/TOKEN`.
    pub acme_webroot: Option<PathBuf>,
}

impl Redirect {
    /// The answer to one plain-HTTP request.
    pub fn answer(&self, req: &Request<Incoming>) -> Resp {
        let path = req.uri().path();
        if let Some(token) = path.strip_prefix("/.well-known/acme-challenge/") {
            return self.challenge(token, req.method());
        }
        let host = req
            .uri()
            .host()
            .map(str::to_string)
            .or_else(|| {
                let h = req.headers().get(header::HOST)?.to_str().ok()?;
                Some(strip_port(h).to_string())
            })
            .filter(|h| valid_host(h));
        let Some(host) = host else {
            return plain(
                StatusCode::BAD_REQUEST,
                "Yêu cầu thiếu tên máy chủ (Host). Hãy mở sổ tay bằng địa chỉ https://.",
            );
        };
        let port = match self.https_port {
            443 => String::new(),
            p => format!(":{p}"),
        };
        let rest = req.uri().path_and_query().map_or("/", |p| p.as_str());
        let status = match *req.method() {
            // 308 keeps the method and body of anything but a page view.
            Method::GET | Method::HEAD => StatusCode::MOVED_PERMANENTLY,
            _ => StatusCode::PERMANENT_REDIRECT,
        };
        Response::builder()
            .status(status)
            .header(header::LOCATION, format!("https://{host}{port}{rest}"))
            .header(header::CACHE_CONTROL, "no-store")
            .body(empty())
            .unwrap_or_else(|_| crate::reply::internal())
    }

    fn challenge(&self, token: &str, method: &Method) -> Resp {
        let valid = !token.is_empty()
            && token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        let file = self
            .acme_webroot
            .as_ref()
            .filter(|_| valid && (method == Method::GET || method == Method::HEAD))
            .map(|d| d.join(".well-known/acme-challenge").join(token));
        match file.map(std::fs::read) {
            Some(Ok(body)) => Response::builder()
                .header(header::CONTENT_TYPE, "text/plain")
                .header(header::CACHE_CONTROL, "no-store")
                .body(if method == Method::HEAD {
                    empty()
                } else {
                    full(body)
                })
                .unwrap_or_else(|_| crate::reply::internal()),
            _ => plain(StatusCode::NOT_FOUND, "Không tìm thấy."),
        }
    }
}

/// Serves `redirect` on plain HTTP until `shutdown` resolves: HTTP/1.1 only, each connection
/// given a minute at most, a thousand at once.
pub async fn serve_redirect(
    listener: tokio::net::TcpListener,
    redirect: Redirect,
    shutdown: impl std::future::Future<Output = ()>,
) {
    use hyper_util::rt::{TokioIo, TokioTimer};
    let redirect = Arc::new(redirect);
    let permits = Arc::new(tokio::sync::Semaphore::new(1000));
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(crate::limits::HEADER_TIMEOUT);
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => return,
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            continue;
        };
        let redirect = redirect.clone();
        let service = hyper::service::service_fn(move |req| {
            let r = redirect.answer(&req);
            async move { Ok::<_, std::convert::Infallible>(r) }
        });
        let conn = builder.serve_connection(TokioIo::new(stream), service);
        tokio::spawn(async move {
            let _ = tokio::time::timeout(Duration::from_secs(60), conn).await;
            drop(permit);
        });
    }
}

fn plain(status: StatusCode, text: &'static str) -> Resp {
    let mut r = Response::new(full(text));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

/// `host:port` or `[v6]:port` without the port.
fn strip_port(h: &str) -> &str {
    if h.starts_with('[') {
        return h.split_inclusive(']').next().unwrap_or(h);
    }
    h.rsplit_once(':').map_or(h, |(host, _)| host)
}

/// A host name or address that can go into a URL as it is.
fn valid_host(h: &str) -> bool {
    if let Some(v6) = h.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
        return v6.parse::<std::net::Ipv6Addr>().is_ok();
    }
    !h.is_empty()
        && h.len() <= 253
        && h.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
}

/// Checks the settings of HTTPS before anything starts: both files or neither.
pub fn files(cert: Option<PathBuf>, key: Option<PathBuf>) -> Result<Option<TlsFiles>, String> {
    match (cert, key) {
        (Some(cert), Some(key)) => Ok(Some(TlsFiles { cert, key })),
        (None, None) => Ok(None),
        _ => Err(
            "--tls-cert and --tls-key go together: the certificate chain and its private key (PEM)"
                .into(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        for (h, host) in [
            ("dangbo.example.vn", "dangbo.example.vn"),
            ("dangbo.example.vn:80", "dangbo.example.vn"),
            ("127.0.0.1:8080", "127.0.0.1"),
            ("[::1]:80", "[::1]"),
            ("[::1]", "[::1]"),
        ] {
            assert_eq!(strip_port(h), host);
            assert!(valid_host(strip_port(h)), "{h}");
        }
        for bad in ["", "a b", "evil.vn/x", "a@b", "[zz]", "x\"y"] {
            assert!(!valid_host(strip_port(bad)), "{bad:?}");
        }
    }
}
