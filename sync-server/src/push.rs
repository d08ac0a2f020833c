//! Web Push for notices (issue 19): a phone that allows it subscribes (`/api/v1/push/*`), and
//! when a committee posts a notice the server sends each subscribed phone under the notice's
//! unit a short message (the notice's id and title), encrypted for that phone (RFC 8291) and
//! signed with the server's VAPID key (RFC 8292) by `web-push-native`, over HTTPS (rustls).
//!
//! Push is a courtesy on top of the notices themselves: a phone without a subscription, or
//! whose push service is unreachable, still gets every notice when it next opens the handbook.
//! So sending never delays or fails the post: it runs after the answer, once per phone, and a
//! subscription the push service says is gone (404, 410) is forgotten.

use crate::metrics::Metrics;
use crate::model::UnitCode;
use crate::reply::ApiError;
use crate::storage::notices::Notice;
use crate::storage::push::PushSubscription;
use crate::storage::Storage;
use base64ct::{Base64UrlUnpadded, Encoding};
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::header;
use hyper::{Method, Request, StatusCode, Uri};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use web_push_native::jwt_simple::algorithms::ES256KeyPair;
use web_push_native::{p256, Auth, WebPushBuilder};

/// How long a push service keeps a message for a phone that is off (its `TTL`): two days.
pub const TTL: Duration = Duration::from_secs(2 * 24 * 3600);
/// How long a VAPID signature is valid: RFC 8292 allows at most 24 hours (push services refuse
/// more). `web-push-native` uses one duration for both this and the `TTL`; the `TTL` header is
/// set again after it.
pub const VAPID_VALIDITY: Duration = Duration::from_secs(12 * 3600);
/// Connecting, TLS and the push service's answer, per phone.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(20);
/// Phones sent to at once.
pub const CONCURRENCY: usize = 16;
/// An endpoint URL's length (push services' are around 200 bytes).
pub const MAX_ENDPOINT: usize = 1024;
/// The subscription request's bytes.
pub const MAX_REQUEST: usize = 4096;

/// How this server sends pushes (`sotay server --push-contact`); none: push is off.
pub struct PushConfig {
    /// The VAPID `sub`: how a push service reaches the operator (`mailto:` or `https:`).
    pub contact: String,
    /// Accepts `http://` endpoints and any host: the tests' local receiver. Never in production.
    pub allow_insecure: bool,
    key: tokio::sync::OnceCell<Arc<ES256KeyPair>>,
    tls: OnceLock<Arc<rustls::ClientConfig>>,
}

impl PushConfig {
    pub fn new(contact: &str, allow_insecure: bool) -> PushConfig {
        PushConfig {
            contact: contact.to_string(),
            allow_insecure,
            key: tokio::sync::OnceCell::new(),
            tls: OnceLock::new(),
        }
    }

    /// The server's VAPID key pair: the database's, made there on first use.
    pub async fn key<S: Storage>(&self, store: &S) -> Result<Arc<ES256KeyPair>, String> {
        self.key
            .get_or_try_init(|| async {
                let fresh = Base64UrlUnpadded::encode_string(&ES256KeyPair::generate().to_bytes());
                let stored = store
                    .push_key(fresh, crate::request::now())
                    .await
                    .map_err(|e| e.to_string())?;
                let raw = Base64UrlUnpadded::decode_vec(&stored)
                    .map_err(|e| format!("the stored VAPID key is not base64url: {e}"))?;
                ES256KeyPair::from_bytes(&raw)
                    .map(Arc::new)
                    .map_err(|e| format!("the stored VAPID key is not a P-256 key: {e}"))
            })
            .await
            .cloned()
    }

    fn tls(&self) -> Result<Arc<rustls::ClientConfig>, String> {
        if let Some(c) = self.tls.get() {
            return Ok(c.clone());
        }
        let roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        // ring rather than aws-lc (no cmake, a lighter build); rustls marks ring's provider
        // deprecated for lacking post-quantum key exchange, which a push (itself end-to-end
        // encrypted for the phone, RFC 8291) does not need.
        #[allow(deprecated)]
        let provider = rustls::crypto::ring::default_provider();
        let mut c = rustls::ClientConfig::builder_with_provider(Arc::new(provider))
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_root_certificates(roots)
            .with_no_client_auth();
        c.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(self.tls.get_or_init(|| Arc::new(c)).clone())
    }
}

/// The server's VAPID public key as phones give it to `pushManager.subscribe`
/// (`applicationServerKey`): the uncompressed P-256 point, base64url.
pub fn public_key(key: &ES256KeyPair) -> String {
    use web_push_native::jwt_simple::algorithms::ECDSAP256PublicKeyLike;
    Base64UrlUnpadded::encode_string(&key.public_key().public_key().to_bytes_uncompressed())
}

fn bad(message: &str) -> ApiError {
    crate::reply::bad("invalid_subscription", message)
}

fn b64(s: &str) -> Option<Vec<u8>> {
    Base64UrlUnpadded::decode_vec(s.trim_end_matches('=')).ok()
}

/// A subscription as `PushSubscription.toJSON()` gives it: `{endpoint, keys: {p256dh, auth}}`.
/// The endpoint must be an `https://` URL of a named host (not an address, not this machine):
/// the server will post to it.
pub fn subscription(v: &Value, allow_insecure: bool) -> Result<PushSubscription, ApiError> {
    let endpoint = v
        .get("endpoint")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("Cần \"endpoint\" của đăng ký nhận thông báo."))?;
    if endpoint.len() > MAX_ENDPOINT {
        return Err(bad("Địa chỉ nhận thông báo dài quá."));
    }
    let wrong =
        || bad("Địa chỉ nhận thông báo không hợp lệ: cần một địa chỉ https của dịch vụ thông báo.");
    let uri: Uri = endpoint.parse().map_err(|_| wrong())?;
    let host = uri.host().ok_or_else(wrong)?;
    let https = uri.scheme_str() == Some("https");
    if !(https || allow_insecure && uri.scheme_str() == Some("http")) {
        return Err(wrong());
    }
    let named = !host.is_empty()
        && !host.starts_with('[')
        && host.parse::<std::net::IpAddr>().is_err()
        && !host.eq_ignore_ascii_case("localhost")
        && host.contains('.');
    let userinfo = uri.authority().is_some_and(|a| a.as_str().contains('@'));
    if userinfo || !(named || allow_insecure) {
        return Err(wrong());
    }
    let keys = v.get("keys");
    let key = |name: &str| keys.and_then(|k| k.get(name)).and_then(Value::as_str);
    let p256dh = key("p256dh")
        .and_then(b64)
        .filter(|k| k.len() == 65 && p256::PublicKey::from_sec1_bytes(k).is_ok())
        .ok_or_else(|| bad("Khóa \"keys.p256dh\" của đăng ký không hợp lệ."))?;
    let auth = key("auth")
        .and_then(b64)
        .filter(|a| a.len() == 16)
        .ok_or_else(|| bad("Khóa \"keys.auth\" của đăng ký không hợp lệ."))?;
    Ok(PushSubscription {
        endpoint: endpoint.to_string(),
        p256dh: Base64UrlUnpadded::encode_string(&p256dh),
        auth: Base64UrlUnpadded::encode_string(&auth),
    })
}

/// What a phone receives (decrypted by its browser, read by the service worker).
pub fn message(notice: &Notice) -> Vec<u8> {
    let title: String = notice.title.chars().take(120).collect();
    serde_json::to_vec(&json!({
        "notice": notice.id,
        "title": title,
        "unit": notice.unit.name,
    }))
    .unwrap_or_default()
}

/// Sends `notice` to every subscription under its unit; returns how many were accepted.
pub async fn send_all<S: Storage>(
    store: &S,
    metrics: &Metrics,
    cfg: &Arc<PushConfig>,
    notice: &Notice,
) -> Result<usize, String> {
    let unit = UnitCode::parse(&notice.unit.code).ok_or("the notice's unit code is not valid")?;
    let subs = store
        .push_subscriptions(unit)
        .await
        .map_err(|e| e.to_string())?;
    if subs.is_empty() {
        return Ok(0);
    }
    let key = cfg.key(store).await?;
    let payload = Arc::new(message(notice));
    let gate = Arc::new(tokio::sync::Semaphore::new(CONCURRENCY));
    let mut set = tokio::task::JoinSet::new();
    for s in subs {
        let permit = gate
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| e.to_string())?;
        let (cfg, key, payload) = (cfg.clone(), key.clone(), payload.clone());
        set.spawn(async move {
            let _permit = permit;
            let r = send_one(&cfg, &key, &s, &payload).await;
            (s.endpoint, r)
        });
    }
    let mut sent = 0;
    while let Some(done) = set.join_next().await {
        let Ok((endpoint, r)) = done else { continue };
        let service = endpoint.parse::<Uri>().ok();
        let service = service.as_ref().and_then(Uri::host).unwrap_or("?");
        match r {
            Ok(st) if st.is_success() => {
                sent += 1;
                metrics.pushes_sent.fetch_add(1, Ordering::Relaxed);
            }
            Ok(st) => {
                metrics.pushes_failed.fetch_add(1, Ordering::Relaxed);
                if st == StatusCode::NOT_FOUND || st == StatusCode::GONE {
                    if let Err(e) = store.push_gone(endpoint.clone()).await {
                        crate::log::log("warn", "push subscription not dropped", &[("error", &e)]);
                    }
                } else {
                    crate::log::log(
                        "warn",
                        "push refused",
                        &[("service", &service), ("status", &st.as_u16())],
                    );
                }
            }
            Err(e) => {
                metrics.pushes_failed.fetch_add(1, Ordering::Relaxed);
                crate::log::log(
                    "warn",
                    "push not delivered",
                    &[("service", &service), ("error", &e)],
                );
            }
        }
    }
    Ok(sent)
}

/// One phone: the encrypted, signed request to its push service; the service's status.
pub async fn send_one(
    cfg: &PushConfig,
    key: &ES256KeyPair,
    s: &PushSubscription,
    payload: &[u8],
) -> Result<StatusCode, String> {
    let endpoint: Uri = s.endpoint.parse().map_err(|_| "bad endpoint")?;
    let ua_public = b64(&s.p256dh)
        .and_then(|k| p256::PublicKey::from_sec1_bytes(&k).ok())
        .ok_or("bad p256dh")?;
    let auth = b64(&s.auth).filter(|a| a.len() == 16).ok_or("bad auth")?;
    let req = WebPushBuilder::new(endpoint.clone(), ua_public, Auth::clone_from_slice(&auth))
        .with_valid_duration(VAPID_VALIDITY)
        .with_vapid(key, &cfg.contact)
        .build(payload.to_vec())
        .map_err(|e| e.to_string())?;
    let (parts, body) = req.into_parts();
    let https = endpoint.scheme_str() == Some("https");
    if !https && !cfg.allow_insecure {
        return Err("not an https endpoint".into());
    }
    let host = endpoint.host().ok_or("no host")?.to_string();
    let port = endpoint.port_u16().unwrap_or(if https { 443 } else { 80 });
    let authority = endpoint.authority().map(|a| a.as_str()).unwrap_or(&host);
    let mut b = Request::builder()
        .method(Method::POST)
        .uri(endpoint.path_and_query().map(|p| p.as_str()).unwrap_or("/"))
        .header(header::HOST, authority)
        .header(header::USER_AGENT, "sotay");
    for (k, v) in parts.headers.iter().filter(|(k, _)| k.as_str() != "ttl") {
        b = b.header(k, v);
    }
    b = b.header("TTL", TTL.as_secs());
    let req = b
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| e.to_string())?;
    let tls = if https { Some(cfg.tls()?) } else { None };
    tokio::time::timeout(SEND_TIMEOUT, async move {
        let tcp = tokio::net::TcpStream::connect((host.as_str(), port))
            .await
            .map_err(|e| format!("connect: {e}"))?;
        match tls {
            Some(tls) => {
                let name = rustls::pki_types::ServerName::try_from(host.clone())
                    .map_err(|e| e.to_string())?;
                let stream = tokio_rustls::TlsConnector::from(tls)
                    .connect(name, tcp)
                    .await
                    .map_err(|e| format!("tls: {e}"))?;
                exchange(stream, req).await
            }
            None => exchange(tcp, req).await,
        }
    })
    .await
    .map_err(|_| "timed out".to_string())?
}

async fn exchange<T>(io: T, req: Request<Full<Bytes>>) -> Result<StatusCode, String>
where
    T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(io))
        .await
        .map_err(|e| e.to_string())?;
    let conn = tokio::spawn(conn);
    let resp = sender.send_request(req).await.map_err(|e| e.to_string());
    let status = match resp {
        Ok(r) => {
            let st = r.status();
            // The answer's body says nothing we use; read a little of it to end cleanly.
            let _ = Limited::new(r.into_body(), 16 * 1024).collect().await;
            Ok(st)
        }
        Err(e) => Err(e),
    };
    drop(sender);
    conn.abort();
    status
}
