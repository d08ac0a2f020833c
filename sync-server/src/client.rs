//! A minimal blocking HTTP/1.1 client (one request per connection) for tests, benchmarks and
//! scripts that must also send malformed or hostile requests a real client would refuse to.
//! It speaks plain HTTP to a `SocketAddr`, or HTTPS and a chosen source address to a `Target`.
//! `try_*` functions return errors; the others panic, which is what tests want.

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use std::io::{self, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration;

/// Where a request goes: an address, over plain HTTP or HTTPS, from a chosen local address.
#[derive(Clone)]
pub struct Target {
    pub addr: SocketAddr,
    /// Connect from this local address (e.g. one of 127.0.0.0/8: one client among many).
    pub source: Option<IpAddr>,
    /// HTTPS: the name the certificate must carry, and the roots it must lead to.
    tls: Option<(ServerName<'static>, Arc<rustls::ClientConfig>)>,
}

impl From<SocketAddr> for Target {
    fn from(addr: SocketAddr) -> Target {
        Target {
            addr,
            source: None,
            tls: None,
        }
    }
}

impl From<&Target> for Target {
    fn from(t: &Target) -> Target {
        t.clone()
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        write!(f, "{scheme}://{}", self.addr)?;
        if let Some(s) = self.source {
            write!(f, " (from {s})")?;
        }
        Ok(())
    }
}

/// A connection of the client, plain or TLS.
pub trait Stream: Read + Write + Send {}
impl<T: Read + Write + Send> Stream for T {}

/// The TLS client configuration trusting only the certificates in `roots_pem`, offering
/// `alpn` (empty: HTTP/1.1 without ALPN).
pub fn tls_config(roots_pem: &[u8], alpn: &[&[u8]]) -> io::Result<Arc<rustls::ClientConfig>> {
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_slice_iter(roots_pem) {
        let c = c.map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?;
        roots
            .add(c)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?;
    }
    #[allow(deprecated)] // see tls::Certificate::load on *ring*
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(io::Error::other)?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Ok(Arc::new(config))
}

impl Target {
    /// HTTPS to `addr`, whose certificate must be for `name` and issued by one of `roots_pem`.
    pub fn https(addr: SocketAddr, name: &str, roots_pem: &[u8]) -> io::Result<Target> {
        let name = ServerName::try_from(name.to_string())
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.to_string()))?;
        Ok(Target {
            addr,
            source: None,
            tls: Some((name, tls_config(roots_pem, &[])?)),
        })
    }

    /// The same target, connected to from `source`.
    pub fn from_source(&self, source: IpAddr) -> Target {
        Target {
            source: Some(source),
            ..self.clone()
        }
    }

    /// A TCP connection to the target, from its source address if it has one.
    pub fn tcp(&self) -> io::Result<TcpStream> {
        let sock = socket2::Socket::new(
            socket2::Domain::for_address(self.addr),
            socket2::Type::STREAM,
            None,
        )?;
        if let Some(s) = self.source {
            sock.bind(&SocketAddr::new(s, 0).into())?;
        }
        sock.connect_timeout(&self.addr.into(), Duration::from_secs(10))?;
        let tcp: TcpStream = sock.into();
        tcp.set_read_timeout(Some(Duration::from_secs(20)))?;
        Ok(tcp)
    }

    /// A connection to the target, its TLS handshake done.
    pub fn connect(&self) -> io::Result<Box<dyn Stream>> {
        self.over(self.tcp()?)
    }

    /// `tcp` as a connection to the target: as it is, or with the TLS handshake done over it.
    pub fn over(&self, tcp: TcpStream) -> io::Result<Box<dyn Stream>> {
        match &self.tls {
            None => Ok(Box::new(tcp)),
            Some((name, config)) => {
                let conn = rustls::ClientConnection::new(config.clone(), name.clone())
                    .map_err(io::Error::other)?;
                let mut s = rustls::StreamOwned::new(conn, tcp);
                while s.conn.is_handshaking() {
                    s.conn.complete_io(&mut s.sock)?;
                }
                Ok(Box::new(s))
            }
        }
    }

    /// The certificate the server presents (the first of its chain, DER), and the protocol
    /// it chose among `alpn`.
    pub fn handshake(&self, alpn: &[&[u8]]) -> io::Result<(Vec<u8>, Option<Vec<u8>>)> {
        let Some((name, config)) = &self.tls else {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "not HTTPS"));
        };
        let mut config = (**config).clone();
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        let mut conn = rustls::ClientConnection::new(Arc::new(config), name.clone())
            .map_err(io::Error::other)?;
        let mut tcp = self.tcp()?;
        while conn.is_handshaking() {
            conn.complete_io(&mut tcp)?;
        }
        let cert = conn
            .peer_certificates()
            .and_then(|c| c.first())
            .map(|c| c.to_vec())
            .unwrap_or_default();
        Ok((cert, conn.alpn_protocol().map(|p| p.to_vec())))
    }
}

pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Sends raw bytes and reads the whole response (the request should ask to close).
pub fn try_raw(to: impl Into<Target>, request: &[u8]) -> io::Result<Reply> {
    let mut s = to.into().connect()?;
    s.write_all(request)?;
    let mut buf = Vec::new();
    // A server that closes after answering may reset the connection: what was read counts.
    let _ = s.read_to_end(&mut buf);
    parse(&buf).ok_or_else(|| io::Error::new(io::ErrorKind::UnexpectedEof, "no HTTP response"))
}

pub fn raw(to: impl Into<Target>, request: &[u8]) -> Reply {
    let to = to.into();
    try_raw(&to, request).unwrap_or_else(|e| panic!("request to {to} failed: {e}"))
}

fn build(to: &Target, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    // HTTPS: the name the certificate is for (a proxy chooses its site by it); else any.
    let host = match &to.tls {
        Some((ServerName::DnsName(name), _)) => name.as_ref().to_string(),
        _ => "test".to_string(),
    };
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\ncontent-length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    let mut bytes = req.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

pub fn try_request(
    to: impl Into<Target>,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> io::Result<Reply> {
    let to = to.into();
    try_raw(&to, &build(&to, method, path, headers, body))
}

pub fn request(
    to: impl Into<Target>,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Reply {
    let to = to.into();
    raw(&to, &build(&to, method, path, headers, body))
}

pub fn get(to: impl Into<Target>, path: &str) -> Reply {
    request(to, "GET", path, &[], b"")
}

pub fn try_post_json(
    to: impl Into<Target>,
    path: &str,
    token: Option<&str>,
    body: &serde_json::Value,
) -> io::Result<Reply> {
    let auth = token.map(|t| format!("Bearer {t}"));
    let mut h = vec![("content-type", "application/json")];
    if let Some(a) = &auth {
        h.push(("authorization", a));
    }
    try_request(to, "POST", path, &h, body.to_string().as_bytes())
}

pub fn post_json(
    to: impl Into<Target>,
    path: &str,
    token: Option<&str>,
    body: &serde_json::Value,
) -> Reply {
    try_post_json(to, path, token, body).unwrap_or_else(|e| panic!("POST {path} failed: {e}"))
}

fn parse(buf: &[u8]) -> Option<Reply> {
    let split = buf.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&buf[..split]).into_owned();
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| {
            l.split_once(':')
                .map(|(k, v)| (k.trim().to_lowercase(), v.trim().to_string()))
        })
        .collect();
    let mut body = buf[split + 4..].to_vec();
    if headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"))
    {
        body = dechunk(&body);
    }
    Some(Reply {
        status,
        headers,
        body,
    })
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(nl) = b.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(String::from_utf8_lossy(&b[..nl]).trim(), 16).unwrap_or(0);
        if size == 0 || b.len() < nl + 2 + size {
            break;
        }
        out.extend_from_slice(&b[nl + 2..nl + 2 + size]);
        b = &b[(nl + 4 + size).min(b.len())..];
    }
    out
}

/// A request a server must answer early — before reading the body, or while it throws away
/// the rest of one it refused — and the status it must answer with.
pub struct EarlyAnswer {
    pub name: &'static str,
    pub head: String,
    pub body: Vec<u8>,
    pub status: u16,
}

/// The early answers of the sync server, for the member token `token`: 413 for a body over the
/// limit of `/api/v1/events` (announced, or streamed without a length: 4 MB, more than the
/// sockets' buffers hold); 401 before the body is read; 400 for a bad head; 405 where no body is
/// read (a static page). Each body is 1 MB or more, so the client is still sending when the
/// answer comes.
pub fn early_answers(token: &str) -> Vec<EarlyAnswer> {
    let mb = vec![b' '; 1024 * 1024];
    let events = |auth: &str, framing: &str| {
        format!("POST /api/v1/events HTTP/1.1\r\nhost: x\r\n{auth}content-type: application/json\r\n{framing}\r\n")
    };
    let auth = format!("authorization: Bearer {token}\r\n");
    let length = format!("content-length: {}\r\n", mb.len());
    let mut chunked = Vec::new();
    for p in std::iter::repeat_n(&mb, 4).flat_map(|m| m.chunks(16 * 1024)) {
        chunked.extend_from_slice(format!("{:x}\r\n", p.len()).as_bytes());
        chunked.extend_from_slice(p);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let case = |name, head, body: &[u8], status| EarlyAnswer {
        name,
        head,
        body: body.to_vec(),
        status,
    };
    vec![
        case("1 MB to /api/v1/events", events(&auth, &length), &mb, 413),
        case(
            "4 MB chunked to /api/v1/events",
            events(&auth, "transfer-encoding: chunked\r\n"),
            &chunked,
            413,
        ),
        case("1 MB without a token", events("", &length), &mb, 401),
        case(
            "a bad head, then 1 MB",
            format!("POST /api/v1/events HTTP/1.1\r\nhost: x\r\nno colon here\r\n{length}\r\n"),
            &mb,
            400,
        ),
        case(
            "1 MB to a static page",
            format!("POST / HTTP/1.1\r\nhost: x\r\n{length}\r\n"),
            &mb,
            405,
        ),
    ]
}

/// How a client that sends its whole request (the head, then the body in pieces of `piece`
/// bytes, `pause` apart) before reading saw the answer: its status, or what went wrong (a reset
/// while sending is what a phone's browser reports as a failure). Over TLS, a close the TLS
/// layer reports as an error after a whole answer still counts as the answer.
pub fn send_then_read(
    t: &Target,
    head: &str,
    body: &[u8],
    piece: usize,
    pause: Duration,
) -> Result<u16, String> {
    let tcp = t.tcp().map_err(|e| format!("connect: {e}"))?;
    let limit = Some(Duration::from_secs(30));
    tcp.set_read_timeout(limit).map_err(|e| e.to_string())?;
    tcp.set_write_timeout(limit).map_err(|e| e.to_string())?;
    let mut s = t.over(tcp).map_err(|e| format!("handshake: {e}"))?;
    s.write_all(head.as_bytes())
        .map_err(|e| format!("sending the head: {e}"))?;
    for (i, p) in body.chunks(piece.max(1)).enumerate() {
        s.write_all(p)
            .map_err(|e| format!("sending the body (at {} bytes): {e}", i * piece))?;
        if !pause.is_zero() {
            std::thread::sleep(pause);
        }
    }
    let mut got = Vec::new();
    let read = s.read_to_end(&mut got);
    let text = String::from_utf8_lossy(&got);
    let status = text
        .strip_prefix("HTTP/1.1 ")
        .and_then(|r| r.get(..3))
        .and_then(|s| s.parse().ok());
    match (read, status) {
        (Ok(_), Some(st)) => Ok(st),
        (Err(_), Some(st)) if t.tls.is_some() => Ok(st),
        (Err(e), _) => Err(format!(
            "reading the answer ({} bytes read): {e}",
            got.len()
        )),
        (Ok(_), None) => Err(format!("no answer: {text:?}")),
    }
}
