//! HTTPS of sotay's own (`--tls-cert`/`--tls-key`), end to end with the binary and a
//! certificate authority of the test's own: HTTP/2 through ALPN, HSTS, the plain-HTTP redirect
//! and ACME challenges, a renewed certificate (certbot's layout of links) served to new
//! connections without a restart while open ones go on, and the hostile-client cases about
//! connections — silent, a handshake trickled, HTTP/2 agreed but no request, an idle
//! keep-alive, slow and oversized bodies and heads, early answers to a client still sending,
//! a flood — over TLS.
//! Timeouts are checked with the margins of tests/hostile.rs; nothing here measures speed.

mod common;
mod loopback;
mod pki;

use loopback::*;
use serde_json::json;
use std::io::{ErrorKind, Read, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
const BODY_TIMEOUT: Duration = Duration::from_secs(30);
const MARGIN: Duration = Duration::from_secs(20);

struct Env {
    dir: tempfile::TempDir,
    db: PathBuf,
    ca: pki::Ca,
    /// The SHA-256 of the first certificate's key (base64), for Chromium.
    spki: String,
    log: PathBuf,
    server: Server,
}

/// Installs `issued` the way certbot renews: new files in `archive/` (numbered `n`), then the
/// links in `live/` switched to them.
fn certbot_install(dir: &Path, ca: &pki::Ca, issued: &pki::Issued, n: u32) -> (PathBuf, PathBuf) {
    let (archive, live) = (dir.join("archive"), dir.join("live"));
    std::fs::create_dir_all(&live).expect("mkdir");
    let (cert, key) = issued.install(ca, &archive.join(n.to_string()));
    let mut links = Vec::new();
    for (target, name) in [(cert, "fullchain.pem"), (key, "privkey.pem")] {
        let link = live.join(name);
        let tmp = live.join(format!("{name}.new"));
        let _ = std::fs::remove_file(&tmp);
        std::os::unix::fs::symlink(&target, &tmp).expect("symlink");
        std::fs::rename(&tmp, &link).expect("switch link");
        links.push(link);
    }
    (links[0].clone(), links[1].clone())
}

fn setup(args: &[&str], env: &[(&str, &str)]) -> Env {
    let dir = tempfile::tempdir().expect("tmp");
    let site = build_site(dir.path());
    let db = dir.path().join("db.sqlite");
    import_roster(dir.path(), &db_url(&db));
    let ca = pki::Ca::new();
    let issued = ca.issue();
    let (cert, key) = certbot_install(&dir.path().join("tls"), &ca, &issued, 1);
    let log = dir.path().join("server.log");
    let server = start_https(
        &site,
        &db_url(&db),
        args,
        env,
        Some(&log),
        (&cert, &key),
        &ca.pem(),
    );
    Env {
        dir,
        db,
        ca,
        spki: issued.spki_sha256,
        log,
        server,
    }
}

fn log_text(env: &Env) -> String {
    std::fs::read_to_string(&env.log).unwrap_or_default()
}

/// Waits (at most 20 s) until `f` holds.
fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Reads one response with a Content-Length from a kept-alive connection: status and body.
fn read_one(s: &mut dyn Read) -> (u16, Vec<u8>) {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        assert_eq!(s.read(&mut byte).expect("read head"), 1, "closed mid-head");
        buf.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&buf).to_lowercase();
    let status = head[9..12].parse().expect("status");
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .map(|v| v.trim().parse().expect("length"))
        .expect("content-length");
    let mut body = vec![0u8; len];
    s.read_exact(&mut body).expect("body");
    (status, body)
}

fn curl(args: &[&str]) -> String {
    let out = Command::new("curl")
        .args(["-sS", "--max-time", "20"])
        .args(args)
        .output()
        .expect("curl must be installed for the HTTPS tests (.ci/run installs it)");
    assert!(
        out.status.success(),
        "curl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn https_of_its_own_http2_hsts_redirect_and_acme_challenges() {
    let webroot = tempfile::tempdir().expect("tmp");
    let plain: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().expect("addr");
    let env = setup(
        &[
            "--http-redirect",
            &plain.to_string(),
            "--acme-webroot",
            webroot.path().to_str().expect("utf-8"),
        ],
        &[],
    );
    let t = &env.server.target;
    let home = get(t, "/");
    assert_eq!(home.status, 200);
    assert!(home.text().contains("<html lang=\"vi\">"));
    assert_eq!(
        home.header("strict-transport-security"),
        Some("max-age=31536000")
    );
    let (_, alpn) = t.handshake(&[b"h2", b"http/1.1"]).expect("handshake");
    assert_eq!(
        alpn.as_deref(),
        Some(&b"h2"[..]),
        "HTTP/2 offered and chosen"
    );
    let (_, alpn) = t.handshake(&[b"http/1.1"]).expect("handshake");
    assert_eq!(alpn.as_deref(), Some(&b"http/1.1"[..]));

    // A real HTTP/2 client, trusting the test's authority only.
    let ca = env.dir.path().join("ca.pem");
    std::fs::write(&ca, env.ca.pem()).expect("write");
    let port = env.server.addr.port();
    let got = curl(&[
        "--http2",
        "--cacert",
        ca.to_str().expect("utf-8"),
        "--resolve",
        &format!("localhost:{port}:127.0.0.1"),
        "-o",
        "/dev/null",
        "-w",
        "%{http_version} %{http_code}",
        &format!("https://localhost:{port}/dieu-le/dieu-le-mau/"),
    ]);
    assert_eq!(got, "2 200");

    // Plain HTTP: browsers sent to HTTPS with their path and query, other methods keep theirs.
    let r = raw(
        plain,
        b"GET /dieu-le/?q=1 HTTP/1.1\r\nhost: so-tay.example.vn\r\nconnection: close\r\n\r\n",
    );
    assert_eq!(r.status, 301);
    assert_eq!(
        r.header("location"),
        Some(format!("https://so-tay.example.vn:{port}/dieu-le/?q=1").as_str())
    );
    let r = request(plain, "POST", "/api/v1/events", &[], b"{}");
    assert_eq!(r.status, 308);
    assert_eq!(
        r.header("location"),
        Some(format!("https://test:{port}/api/v1/events").as_str())
    );
    let r = raw(
        plain,
        b"GET / HTTP/1.1\r\nhost: evil.vn/x\r\nconnection: close\r\n\r\n",
    );
    assert_eq!(r.status, 400);
    // certbot --webroot: its challenge is answered; nothing else is read from the folder.
    let challenges = webroot.path().join(".well-known/acme-challenge");
    std::fs::create_dir_all(&challenges).expect("mkdir");
    std::fs::write(challenges.join("Tok_en-1"), "Tok_en-1.thumbprint").expect("write");
    std::fs::write(webroot.path().join("secret"), "no").expect("write");
    let r = get(plain, "/.well-known/acme-challenge/Tok_en-1");
    assert_eq!((r.status, r.text().as_str()), (200, "Tok_en-1.thumbprint"));
    for p in [
        "/.well-known/acme-challenge/missing",
        "/.well-known/acme-challenge/..%2f..%2fsecret",
        "/.well-known/acme-challenge/../../secret",
        "/.well-known/acme-challenge/",
    ] {
        assert_eq!(get(plain, p).status, 404, "{p}");
    }
}

#[test]
fn chromium_installs_the_handbook_over_https_of_its_own_and_reads_offline() {
    let env = setup(&[], &[]);
    let base = format!("https://127.0.0.1:{}/", env.server.addr.port());
    common::installs_over_https_and_reads_offline(&base, &env.spki, true);
}

#[test]
fn a_renewed_certificate_reaches_new_connections_without_a_restart() {
    let mut env = setup(&[], &[]);
    let t = env.server.target.clone();
    let (first, _) = t.handshake(&[]).expect("handshake");

    // A connection opened before the renewal, kept alive.
    let mut open = t.connect().expect("connect");
    let ask = b"GET /healthz HTTP/1.1\r\nhost: localhost\r\n\r\n";
    open.write_all(ask).expect("write");
    assert_eq!(read_one(&mut open).0, 200);

    // A renewal that went wrong (a key of another certificate): the old one stays.
    let tls = env.dir.path().join("tls");
    let (a, b) = (env.ca.issue(), env.ca.issue());
    let wrong = pki::Issued {
        cert_pem: a.cert_pem.clone(),
        key_pem: b.key_pem.clone(),
        der: a.der.clone(),
        spki_sha256: a.spki_sha256.clone(),
    };
    certbot_install(&tls, &env.ca, &wrong, 2);
    eventually("the mismatched pair is logged", || {
        log_text(&env).contains("certificate files changed but cannot be used")
    });
    assert_eq!(t.handshake(&[]).expect("handshake").0, first);
    assert_eq!(get(&t, "/healthz").status, 200);

    // The right pair: new connections get it, with no restart.
    let renewed = env.ca.issue();
    certbot_install(&tls, &env.ca, &renewed, 3);
    eventually("the renewed certificate is served", || {
        t.handshake(&[]).is_ok_and(|(c, _)| c == renewed.der)
    });
    assert!(log_text(&env).contains("certificate reloaded"));
    assert_eq!(get(&t, "/").status, 200);
    // The connection opened before goes on.
    open.write_all(ask).expect("write");
    assert_eq!(read_one(&mut open).0, 200);

    // Files copied in place (a deploy hook's `cp`) are seen too.
    let copied = env.ca.issue();
    let (cert, key) = (tls.join("live/fullchain.pem"), tls.join("live/privkey.pem"));
    for link in [&cert, &key] {
        std::fs::remove_file(link).expect("rm link");
    }
    std::fs::write(&key, &copied.key_pem).expect("write");
    std::fs::write(&cert, format!("{}{}", copied.cert_pem, env.ca.pem())).expect("write");
    eventually("the copied certificate is served", || {
        t.handshake(&[]).is_ok_and(|(c, _)| c == copied.der)
    });

    // SIGHUP (systemctl reload) reads the files again; it does not stop the server.
    let pid = env.server.child.id().to_string();
    let st = Command::new("kill")
        .args(["-HUP", &pid])
        .status()
        .expect("kill");
    assert!(st.success());
    std::thread::sleep(Duration::from_millis(500));
    assert!(env.server.alive(), "SIGHUP stopped the server");
    assert_eq!(get(&t, "/healthz").status, 200);
}

/// How a connection ended: what was received and after how long. Reads until the server
/// closes it (a read timeout is not a close), writing `trickle` a byte after each read
/// timeout (the stream's own, e.g. half a second); panics past `limit`.
fn until_closed(s: &mut dyn Stream, trickle: &[u8], limit: Duration) -> (Duration, Vec<u8>) {
    let start = Instant::now();
    let mut received = Vec::new();
    let mut next = trickle.iter().cycle();
    let mut buf = [0u8; 4096];
    loop {
        assert!(
            start.elapsed() < limit,
            "connection still open after {:?}",
            start.elapsed()
        );
        match s.read(&mut buf) {
            Ok(0) => return (start.elapsed(), received),
            Ok(n) => received.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                if let Some(b) = next.next() {
                    if s.write_all(&[*b]).and_then(|_| s.flush()).is_err() {
                        return (start.elapsed(), received);
                    }
                }
            }
            Err(_) => return (start.elapsed(), received),
        }
    }
}

/// A TLS connection to `t` offering `alpn`, its handshake done and the protocol agreed, with
/// `tick` as its read timeout.
fn connect_alpn(t: &Target, ca_pem: &str, alpn: &[&[u8]], tick: Duration) -> Box<dyn Stream> {
    let config = sotay_sync_server::client::tls_config(ca_pem.as_bytes(), alpn).expect("config");
    let name = rustls::pki_types::ServerName::try_from("localhost").expect("name");
    let conn = rustls::ClientConnection::new(config, name).expect("client");
    let tcp = t.tcp().expect("connect");
    let mut s = rustls::StreamOwned::new(conn, tcp);
    while s.conn.is_handshaking() {
        s.conn.complete_io(&mut s.sock).expect("handshake");
    }
    assert_eq!(s.conn.alpn_protocol(), alpn.first().copied(), "ALPN");
    s.sock.set_read_timeout(Some(tick)).expect("timeout");
    Box::new(s)
}

fn status_of(received: &[u8]) -> Option<u16> {
    String::from_utf8_lossy(received)
        .strip_prefix("HTTP/1.1 ")
        .and_then(|r| r.get(..3))
        .and_then(|s| s.parse().ok())
}

/// The first bytes a TLS client sends (its ClientHello).
fn client_hello(ca_pem: &str) -> Vec<u8> {
    let config = sotay_sync_server::client::tls_config(ca_pem.as_bytes(), &[]).expect("config");
    let mut c = rustls::ClientConnection::new(
        config,
        rustls::pki_types::ServerName::try_from("localhost").expect("name"),
    )
    .expect("client");
    let mut out = Vec::new();
    while c.wants_write() {
        c.write_tls(&mut out).expect("hello");
    }
    out
}

#[test]
fn slow_silent_and_oversized_clients_over_tls() {
    let mut env = setup(&[], &[]);
    let t = env.server.target.clone();
    let token = register(&t, 0);
    let tick = Duration::from_millis(500);
    let hello = client_hello(&env.ca.pem());
    let head_limit = HEADER_TIMEOUT + MARGIN;
    let body_limit = BODY_TIMEOUT + MARGIN;
    let events_head = format!("POST /api/v1/events HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {token}\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{{\"events\": [");

    // Each case: a name, how it connects (over TCP alone, its bytes trickled before any TLS;
    // or a TLS handshake offering these ALPN protocols), the bytes sent at once, the bytes
    // then trickled, and how long the server may take to close.
    const H2: &[&[u8]] = &[b"h2"];
    const H1: &[&[u8]] = &[b"http/1.1"];
    const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    type Case = (
        &'static str,
        Option<&'static [&'static [u8]]>,
        Vec<u8>,
        Vec<u8>,
        Duration,
    );
    let cases: Vec<Case> = vec![
        (
            "silent, no handshake",
            None,
            Vec::new(),
            Vec::new(),
            head_limit,
        ),
        ("ClientHello trickled", None, Vec::new(), hello, head_limit),
        (
            "handshake, then silence",
            Some(&[]),
            Vec::new(),
            Vec::new(),
            head_limit,
        ),
        (
            "handshake, head never finished",
            Some(&[]),
            b"GET / HTTP/1.1\r\nhost: x\r\n".to_vec(),
            b"x-slow: aaaaaaaaaaaaaaaaaaaaaa\r\n".to_vec(),
            head_limit,
        ),
        (
            "h2 agreed, preface trickled",
            Some(H2),
            Vec::new(),
            PREFACE.to_vec(),
            head_limit,
        ),
        (
            "h2 agreed, preface and settings, no request",
            Some(H2),
            [PREFACE, b"\0\0\0\x04\0\0\0\0\0"].concat(),
            Vec::new(),
            head_limit,
        ),
        (
            "http/1.1 agreed, kept alive, idle",
            Some(H1),
            b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n".to_vec(),
            Vec::new(),
            head_limit,
        ),
        (
            "events body never finished",
            Some(&[]),
            events_head.into_bytes(),
            Vec::new(),
            body_limit,
        ),
    ];
    let threads: Vec<_> = cases
        .into_iter()
        .map(|(name, alpn, first, trickle, limit)| {
            let (t, ca) = (t.clone(), env.ca.pem());
            std::thread::spawn(move || {
                let mut s: Box<dyn Stream> = match alpn {
                    None => {
                        let tcp = t.tcp().expect("connect");
                        tcp.set_read_timeout(Some(tick)).expect("timeout");
                        Box::new(tcp)
                    }
                    Some(alpn) => connect_alpn(&t, &ca, alpn, tick),
                };
                s.write_all(&first).expect("write");
                s.flush().expect("flush");
                (name, until_closed(&mut *s, &trickle, limit))
            })
        })
        .collect();
    // Meanwhile everyone else is served.
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(get(&t, "/healthz").status, 200);

    // Oversized bodies over TLS: 413 in JSON before the body is read, and too many events in
    // a body that fits (a client that goes on sending its body after the 413:
    // early_answers_reach_a_client_still_sending_over_tls).
    let r = raw(
        &t,
        format!("POST /api/v1/events HTTP/1.1\r\nhost: x\r\nconnection: close\r\nauthorization: Bearer {token}\r\ncontent-length: 300000\r\n\r\n").as_bytes(),
    );
    assert_eq!(
        (r.status, r.json()["error"]["code"].clone()),
        (413, json!("too_large"))
    );
    let many: Vec<_> = (0..501)
        .map(|i| json!({"id": format!("00000000-0000-4000-8000-{i:012x}"), "type": "view", "doc": "dieu-le", "at": now_rfc3339()}))
        .collect();
    let r = post_json(
        &t,
        "/api/v1/events",
        Some(&token),
        &json!({ "events": many }),
    );
    assert_eq!(
        (r.status, r.json()["error"]["code"].clone()),
        (413, json!("too_many_events"))
    );
    // Oversized heads over TLS: 431 (or 414, 400), or the connection closed; never served.
    for (name, head) in [
        (
            "a 70 KB header",
            format!(
                "GET / HTTP/1.1\r\nhost: x\r\nx-big: {}\r\n\r\n",
                "a".repeat(70 * 1024)
            ),
        ),
        (
            "200 headers",
            format!(
                "GET / HTTP/1.1\r\nhost: x\r\n{}\r\n",
                (0..200)
                    .map(|i| format!("x-h{i}: v\r\n"))
                    .collect::<String>()
            ),
        ),
        (
            "a 1 MB request line",
            format!(
                "GET /{} HTTP/1.1\r\nhost: x\r\n\r\n",
                "a".repeat(1024 * 1024)
            ),
        ),
    ] {
        let mut s = t.connect().expect("connect");
        let _ = s.write_all(head.as_bytes());
        let mut got = Vec::new();
        let _ = s.read_to_end(&mut got);
        eprintln!("{name}: {:?}", status_of(&got));
        assert!(
            matches!(status_of(&got), None | Some(431) | Some(414) | Some(400)),
            "{name}: {:?}",
            status_of(&got)
        );
    }

    for th in threads {
        let (name, (after, received)) = th.join().expect("client thread");
        eprintln!(
            "{name}: closed after {:.1} s ({:?})",
            after.as_secs_f64(),
            status_of(&received)
        );
        match name {
            "events body never finished" => {
                assert_eq!(status_of(&received), Some(408), "{name}");
                assert!(String::from_utf8_lossy(&received).contains("\"code\":\"timeout\""));
            }
            "handshake, head never finished" | "handshake, then silence" => assert!(
                matches!(status_of(&received), None | Some(408)),
                "{name}: {}",
                String::from_utf8_lossy(&received)
            ),
            "http/1.1 agreed, kept alive, idle" => {
                assert_eq!(status_of(&received), Some(200), "{name}");
                // Closed by the timeout, not right after the answer.
                assert!(after >= HEADER_TIMEOUT / 2, "{name}: {after:?}");
            }
            // Before TLS nothing HTTP can be answered, nor before an HTTP/2 request: the
            // connection is closed.
            _ => assert!(
                !String::from_utf8_lossy(&received).contains("HTTP/1.1 200"),
                "{name}"
            ),
        }
    }
    assert_eq!(get(&t, "/healthz").status, 200);
    assert!(env.server.alive());
    let db = rusqlite::Connection::open(&env.db).expect("db");
    let n: i64 = db
        .query_row("SELECT count(*) FROM events", [], |r| r.get(0))
        .expect("q");
    assert_eq!(n, 0, "nothing of the unfinished bodies was stored");
}

/// The early answers of tests/http.rs (413 for a body over the limit, announced or streamed;
/// 401 before the body is read; 400 for a bad head; 405 where no body is read; the same cases
/// and client, `client::early_answers` and `client::send_then_read`) reach a client still
/// sending its body over TLS too: the lingering close reads and discards the client's TLS
/// records after the server's close_notify, instead of resetting the connection.
#[test]
fn early_answers_reach_a_client_still_sending_over_tls() {
    let env = setup(&["--no-rate-limits"], &[]);
    let t = env.server.target.clone();
    let token = register(&t, 0);
    let cases = early_answers(&token);
    const TRIES: usize = 30;
    for c in &cases {
        let mut seen: std::collections::BTreeMap<String, usize> = Default::default();
        for _ in 0..TRIES {
            let got = send_then_read(&t, &c.head, &c.body, 64 * 1024, Duration::ZERO);
            *seen
                .entry(got.map_or_else(|e| e, |st| st.to_string()))
                .or_default() += 1;
        }
        eprintln!("{}: {seen:?}", c.name);
        assert_eq!(
            seen.get(&c.status.to_string()),
            Some(&TRIES),
            "{}: expected {} in {TRIES} of {TRIES} tries, saw {seen:?}",
            c.name,
            c.status
        );
    }
    // A slow sender (a phone: the rest of its body arrives over seconds) gets its answer too.
    let slow = &cases[0];
    let got = send_then_read(
        &t,
        &slow.head,
        &slow.body,
        32 * 1024,
        Duration::from_millis(30),
    );
    assert_eq!(got, Ok(413), "a slow sender");
    assert_eq!(get(&t, "/healthz").status, 200);
    let db = rusqlite::Connection::open(&env.db).expect("db");
    let n: i64 = db
        .query_row("SELECT count(*) FROM events", [], |r| r.get(0))
        .expect("q");
    assert_eq!(n, 0, "nothing of the oversized bodies was stored");
}

#[test]
fn a_connection_flood_over_tls_is_refused_with_503_and_the_server_recovers() {
    const LIMIT: usize = 8;
    let env = setup(&[], &[("SOTAY_MAX_CONNECTIONS", &LIMIT.to_string())]);
    let t = env.server.target.clone();
    // Every place taken by a slow client, each past its handshake.
    let hogs: Vec<_> = (0..LIMIT)
        .map(|_| {
            let mut s = t.connect().expect("connect");
            s.write_all(
                b"POST /api/v1/register HTTP/1.1\r\nhost: x\r\ncontent-length: 100\r\n\r\n",
            )
            .expect("write");
            s
        })
        .collect();
    // Connections are taken in order: once a later one is refused, every hog holds its place.
    eventually("every place taken", || {
        try_request(&t, "GET", "/healthz", &[], b"").is_ok_and(|r| r.status == 503)
    });
    for _ in 0..20 {
        let r = try_request(&t, "GET", "/healthz", &[], b"")
            .expect("a refused client gets an answer over TLS, not a reset");
        assert_eq!(r.status, 503, "{}", r.text());
        assert_eq!(r.json()["error"]["code"], "overloaded");
        assert!(r.header("retry-after").is_some());
    }
    drop(hogs);
    eventually("a place comes back", || {
        try_request(&t, "GET", "/healthz", &[], b"").is_ok_and(|r| r.status == 200)
    });
}

#[test]
fn bad_certificate_files_stop_the_start_with_a_clear_message() {
    let dir = tempfile::tempdir().expect("tmp");
    let site = build_site(dir.path());
    let ca = pki::Ca::new();
    let (a, b) = (ca.issue(), ca.issue());
    let (cert, _) = a.install(&ca, &dir.path().join("a"));
    let (_, other_key) = b.install(&ca, &dir.path().join("b"));
    std::fs::write(dir.path().join("empty.pem"), "").expect("write");
    let db = db_url(&dir.path().join("db.sqlite"));
    for (c, k, says) in [
        (cert.clone(), other_key.clone(), "do not go together"),
        (
            dir.path().join("empty.pem"),
            other_key.clone(),
            "no certificate in it",
        ),
        (cert.clone(), dir.path().join("missing.pem"), "missing.pem"),
    ] {
        let out = Command::new(bin())
            .args(["server", "--site"])
            .arg(&site)
            .args(["--db", &db, "--listen", "127.0.0.1:0", "--tls-cert"])
            .arg(&c)
            .arg("--tls-key")
            .arg(&k)
            .output()
            .expect("run");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success() && err.contains(says), "{says}: {err}");
    }
    let out = Command::new(bin())
        .args(["server", "--site"])
        .arg(&site)
        .args(["--db", &db, "--tls-cert"])
        .arg(&cert)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--tls-cert and --tls-key go together"));
}
