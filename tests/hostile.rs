//! Hostile clients against `sotay server` on loopback: slow and silent connections, oversized
//! requests, a connection flood, load on the rate-limited endpoints, and attempts to read
//! what a token is not entitled to. The server must time out, refuse with JSON errors, never
//! answer 5xx to load, and keep serving everyone else.
//!
//! Timeouts the server enforces (10 s for a request's head, 30 s for a body) are checked with
//! generous margins; nothing here measures speed.

mod loopback;

use loopback::*;
use serde_json::json;
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// The server's timeout for a request's head (limits::HEADER_TIMEOUT) and a body (request::BODY_TIMEOUT).
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
const BODY_TIMEOUT: Duration = Duration::from_secs(30);
/// How much later than its timeout a connection may be closed (a loaded CI machine).
const MARGIN: Duration = Duration::from_secs(20);

struct Env {
    _dir: tempfile::TempDir,
    db: std::path::PathBuf,
    server: Server,
}

fn setup(args: &[&str], env: &[(&str, &str)]) -> Env {
    let dir = tempfile::tempdir().expect("tmp");
    let site = build_site(dir.path());
    let db = dir.path().join("db.sqlite");
    import_roster(dir.path(), &db_url(&db));
    let server = start(&site, &db_url(&db), args, env);
    Env {
        _dir: dir,
        db,
        server,
    }
}

/// How a connection ended, as the client saw it.
#[derive(Debug)]
struct Ended {
    after: Duration,
    received: Vec<u8>,
}

impl Ended {
    fn status(&self) -> Option<u16> {
        let head = String::from_utf8_lossy(&self.received);
        head.strip_prefix("HTTP/1.1 ")
            .and_then(|r| r.get(..3))
            .and_then(|s| s.parse().ok())
    }
}

/// Sends `first`, then `trickle` one byte every `every`, reading whatever comes back, until the
/// server closes the connection; panics if it is still open after `limit`.
fn until_closed(
    addr: SocketAddr,
    first: &[u8],
    trickle: &[u8],
    every: Duration,
    limit: Duration,
) -> Ended {
    let start = Instant::now();
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(every)).expect("timeout");
    let mut received = Vec::new();
    if !first.is_empty() {
        s.write_all(first).expect("write");
    }
    let mut next = trickle.iter().cycle();
    let mut buf = [0u8; 4096];
    loop {
        assert!(
            start.elapsed() < limit,
            "connection still open after {:?} (sent {:?}, got {:?})",
            start.elapsed(),
            String::from_utf8_lossy(first),
            String::from_utf8_lossy(&received)
        );
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => received.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => break,
        }
        if let Some(b) = (!trickle.is_empty()).then(|| next.next()).flatten() {
            if s.write_all(&[*b]).is_err() {
                break;
            }
        }
    }
    Ended {
        after: start.elapsed(),
        received,
    }
}

fn healthy(addr: SocketAddr) {
    let r = get(addr, "/healthz");
    assert_eq!(r.status, 200, "{}", r.text());
}

fn assert_json_error(r: &Reply, status: u16, code: &str) {
    assert_eq!(r.status, status, "{}", r.text());
    assert_eq!(
        r.header("content-type"),
        Some("application/json"),
        "{}",
        r.text()
    );
    assert_eq!(r.json()["error"]["code"], code, "{}", r.text());
}

#[test]
fn slow_silent_and_idle_connections_are_closed() {
    let env = setup(&[], &[]);
    let addr = env.server.addr;
    let limit = HEADER_TIMEOUT + MARGIN;
    let tick = Duration::from_millis(500);
    let cases: Vec<(&str, Vec<u8>, Vec<u8>)> = vec![
        // Connects and says nothing.
        ("silent", Vec::new(), Vec::new()),
        // The HTTP/2 preface, a byte every half second.
        (
            "h2 preface trickled",
            Vec::new(),
            b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec(),
        ),
        // The HTTP/2 preface, then no request.
        (
            "h2 preface, no request",
            b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\x04\0\0\0\0\0".to_vec(),
            Vec::new(),
        ),
        // An HTTP/1.1 head that never ends.
        (
            "h1 head trickled",
            b"GET / HTTP/1.1\r\nhost: x\r\n".to_vec(),
            b"x-slow: aaaaaaaaaaaaaaaaaaaaaa\r\n".to_vec(),
        ),
        // A complete request on a kept-alive connection, then silence.
        (
            "kept alive, idle",
            b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n".to_vec(),
            Vec::new(),
        ),
    ];
    let threads: Vec<_> = cases
        .into_iter()
        .map(|(name, first, trickle)| {
            std::thread::spawn(move || (name, until_closed(addr, &first, &trickle, tick, limit)))
        })
        .collect();
    // Meanwhile everyone else is served.
    std::thread::sleep(Duration::from_secs(2));
    healthy(addr);
    for t in threads {
        let (name, ended) = t.join().expect("client thread");
        eprintln!(
            "{name}: closed after {:.1} s (status {:?})",
            ended.after.as_secs_f64(),
            ended.status()
        );
        if name == "kept alive, idle" {
            assert_eq!(ended.status(), Some(200), "{name}");
            // Closed by the timeout, not right after the answer.
            assert!(
                ended.after >= HEADER_TIMEOUT / 2,
                "{name}: {:?}",
                ended.after
            );
        } else {
            // Either closed silently or with 408; never a page served.
            assert!(
                matches!(ended.status(), None | Some(408)),
                "{name}: {:?}",
                String::from_utf8_lossy(&ended.received)
            );
        }
    }
    healthy(addr);
}

#[test]
fn slow_and_oversized_bodies_are_refused() {
    let mut env = setup(&[], &[]);
    let addr = env.server.addr;
    let token = register(addr, 0);
    let auth = format!("authorization: Bearer {token}\r\n");
    let limit = BODY_TIMEOUT + MARGIN;
    let tick = Duration::from_millis(500);
    let events_head = |len: usize| {
        format!("POST /api/v1/events HTTP/1.1\r\nhost: x\r\n{auth}content-type: application/json\r\ncontent-length: {len}\r\n\r\n").into_bytes()
    };
    let cases: Vec<(&str, Vec<u8>, Vec<u8>)> = vec![
        // Headers, then a part of the body, then nothing.
        ("events body never finished", [events_head(1000), b"{\"events\": [".to_vec()].concat(), Vec::new()),
        // A body a byte every half second: the 30 s are for the whole body.
        ("events body trickled", events_head(100_000), b"{\"events\": [".to_vec()),
        ("register body never sent", b"POST /api/v1/register HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 500\r\n\r\n".to_vec(), Vec::new()),
    ];
    let threads: Vec<_> = cases
        .into_iter()
        .map(|(name, first, trickle)| {
            std::thread::spawn(move || (name, until_closed(addr, &first, &trickle, tick, limit)))
        })
        .collect();

    // A body sent where none is read (a static page): answered, and the connection is not
    // held open waiting for the rest.
    let e = until_closed(
        addr,
        b"GET / HTTP/1.1\r\nhost: x\r\ncontent-length: 100000\r\n\r\nabc",
        &[],
        tick,
        HEADER_TIMEOUT + MARGIN,
    );
    assert_eq!(e.status(), Some(200));
    eprintln!(
        "static page with an unsent body: closed after {:?}",
        e.after
    );

    // Oversized bodies: 413 with a JSON error, whether announced or streamed.
    let big = vec![b' '; 300 * 1024];
    let r = request(
        addr,
        "POST",
        "/api/v1/events",
        &[("authorization", &format!("Bearer {token}"))],
        &big,
    );
    assert_json_error(&r, 413, "too_large");
    let r = request(addr, "POST", "/api/v1/register", &[], &[b' '; 5000]);
    assert_json_error(&r, 413, "too_large");
    let mut chunked = format!("POST /api/v1/events HTTP/1.1\r\nhost: x\r\nconnection: close\r\nauthorization: Bearer {token}\r\ntransfer-encoding: chunked\r\n\r\n").into_bytes();
    for _ in 0..40 {
        chunked.extend_from_slice(format!("{:x}\r\n", 8192).as_bytes());
        chunked.extend_from_slice(&[b' '; 8192]);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let r = raw(addr, &chunked);
    assert_json_error(&r, 413, "too_large");
    // Too many events in a body that fits.
    let many: Vec<_> = (0..501)
        .map(|i| json!({"id": format!("00000000-0000-4000-8000-{i:012x}"), "type": "view", "doc": "dieu-le", "at": now_rfc3339()}))
        .collect();
    let r = post_json(
        addr,
        "/api/v1/events",
        Some(&token),
        &json!({ "events": many }),
    );
    assert_json_error(&r, 413, "too_many_events");

    // Oversized heads: one huge header, and very many headers: 431, or the connection closed.
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
        let e = until_closed(addr, head.as_bytes(), &[], tick, HEADER_TIMEOUT + MARGIN);
        eprintln!("{name}: {:?} after {:?}", e.status(), e.after);
        assert!(
            matches!(e.status(), None | Some(431) | Some(414) | Some(400)),
            "{name}: {:?}",
            e.status()
        );
    }

    for t in threads {
        let (name, ended) = t.join().expect("client thread");
        eprintln!(
            "{name}: closed after {:.1} s (status {:?})",
            ended.after.as_secs_f64(),
            ended.status()
        );
        assert_eq!(
            ended.status(),
            Some(408),
            "{name}: {}",
            String::from_utf8_lossy(&ended.received)
        );
        let body = String::from_utf8_lossy(&ended.received);
        assert!(body.contains("\"code\":\"timeout\""), "{name}: {body}");
    }
    healthy(addr);
    assert!(env.server.alive());
    // Nothing of the unfinished bodies was stored.
    let db = rusqlite::Connection::open(&env.db).expect("db");
    let n: i64 = db
        .query_row("SELECT count(*) FROM events", [], |r| r.get(0))
        .expect("q");
    assert_eq!(n, 0);
}

/// Opens a connection that holds its place for the 30 s of a body that never comes.
fn hog(addr: SocketAddr) -> TcpStream {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.write_all(b"POST /api/v1/register HTTP/1.1\r\nhost: x\r\ncontent-length: 100\r\n\r\n")
        .expect("write");
    s
}

/// Whether the server has answered (or closed) a hog's connection, without waiting: a
/// refused hog got a 503.
fn answered(hog: &TcpStream) -> bool {
    let _ = hog.set_nonblocking(true);
    let mut byte = [0u8; 1];
    let seen = !matches!(hog.peek(&mut byte), Err(e) if e.kind() == ErrorKind::WouldBlock);
    let _ = hog.set_nonblocking(false);
    seen
}

/// Asks `/healthz` every 50 ms until it answers `status`; fails with `what` after 10 s.
fn health_until(addr: SocketAddr, status: u16, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match try_request(addr, "GET", "/healthz", &[], b"") {
            Ok(r) if r.status == status => return,
            other => assert!(
                Instant::now() < deadline,
                "{what}: {:?}",
                other.map(|r| r.status)
            ),
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_connection_flood_is_refused_with_503_and_the_server_recovers() {
    const LIMIT: usize = 16;
    let env = setup(&[], &[("SOTAY_MAX_CONNECTIONS", &LIMIT.to_string())]);
    let addr = env.server.addr;

    // Every place taken by a slow client: the others get a 503 in JSON, at once. A hog holds
    // its place until its body times out (BODY_TIMEOUT): on a machine so busy that the refused
    // clients' turn ends later than that, places came back on their own, and the round is run
    // again with new hogs (at most five rounds) rather than judged.
    for round in 1..=5 {
        // The connections of the health checks before have a moment to close.
        std::thread::sleep(Duration::from_millis(200));
        let hogs: Vec<TcpStream> = (0..LIMIT).map(|_| hog(addr)).collect();
        let since = Instant::now();
        // The server takes connections in the order they came: once one that came after the
        // hogs is refused, every hog that was not refused itself holds its place (a fixed
        // sleep was not always enough on a busy machine).
        health_until(addr, 503, "the hogs never took every place");
        // A hog is refused when a connection from before (the start-up's last health check,
        // still being closed on a busy machine) held a place as it came; that place comes
        // back during the round. Then the round is run again with new hogs.
        std::thread::sleep(Duration::from_millis(100));
        let refused_hogs = hogs.iter().filter(|h| answered(h)).count();
        if refused_hogs > 0 && round < 5 {
            eprintln!("round {round}: {refused_hogs} hogs were refused; again");
            drop(hogs);
            health_until(addr, 200, "no place came back");
            continue;
        }
        assert_eq!(
            refused_hogs, 0,
            "the server serves {LIMIT} connections at once"
        );
        let refused: Vec<_> = (0..8)
            .map(|_| {
                std::thread::spawn(move || {
                    (0..25)
                        .map(|_| try_request(addr, "GET", "/healthz", &[], b""))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let answers: Vec<_> = refused
            .into_iter()
            .flat_map(|t| t.join().expect("thread"))
            .collect();
        drop(hogs);
        if since.elapsed() + Duration::from_secs(5) >= BODY_TIMEOUT && round < 5 {
            eprintln!("round {round}: the hogs' bodies may have timed out; again");
            health_until(addr, 200, "no place came back");
            continue;
        }
        for r in &answers {
            let r = r
                .as_ref()
                .expect("a refused client gets an answer, not a reset");
            assert_json_error(r, 503, "overloaded");
            assert!(r.header("retry-after").is_some());
        }
        assert_eq!(answers.len(), 200);
        break;
    }

    // The places come back.
    health_until(addr, 200, "no place came back");

    // Many more clients than places, each with real requests: every one is answered, 200 or
    // 503 in JSON, never dropped, never 5xx otherwise.
    let clients: Vec<_> = (0..48)
        .map(|_| {
            std::thread::spawn(move || {
                let mut seen = (0usize, 0usize);
                for _ in 0..20 {
                    let r = try_request(addr, "GET", "/", &[], b"").expect("answered");
                    match r.status {
                        200 => seen.0 += 1,
                        503 => {
                            assert_json_error(&r, 503, "overloaded");
                            seen.1 += 1;
                        }
                        s => panic!("status {s}"),
                    }
                }
                seen
            })
        })
        .collect();
    let (mut ok, mut busy) = (0, 0);
    for c in clients {
        let (o, b) = c.join().expect("client");
        ok += o;
        busy += b;
    }
    eprintln!("flood of 48 clients x 20 requests, {LIMIT} places: {ok} served, {busy} refused");
    assert!(ok > 0);
    healthy(addr);
    let m = get(addr, "/metrics").text();
    assert!(m.contains("rate_limited"), "{m}");
}

/// Runs `n` requests at once (one thread each, released together).
fn at_once<T: Send + 'static>(
    n: usize,
    f: impl Fn(usize) -> T + Send + Sync + 'static,
) -> (Vec<T>, Duration) {
    let f = std::sync::Arc::new(f);
    let gate = std::sync::Arc::new(std::sync::Barrier::new(n + 1));
    let threads: Vec<_> = (0..n)
        .map(|i| {
            let (f, gate) = (f.clone(), gate.clone());
            std::thread::spawn(move || {
                gate.wait();
                f(i)
            })
        })
        .collect();
    gate.wait();
    let start = Instant::now();
    let out = threads
        .into_iter()
        .map(|t| t.join().expect("thread"))
        .collect();
    (out, start.elapsed())
}

/// Splits replies into those let through and those limited; checks each limited one and that
/// none is 5xx.
fn tally(replies: &[Reply]) -> usize {
    let mut through = 0;
    for r in replies {
        assert!(r.status < 500, "{} {}", r.status, r.text());
        if r.status == 429 {
            assert_json_error(r, 429, "rate_limited");
            let retry: u64 = r
                .header("retry-after")
                .and_then(|v| v.parse().ok())
                .expect("retry-after");
            assert!(retry >= 1);
        } else {
            through += 1;
        }
    }
    through
}

#[test]
fn rate_limits_hold_under_load() {
    // Registration from one address, with a limit set in the server's settings file (the
    // default is sized for thousands of phones behind one address): 10, then one every 6 s.
    let dir = tempfile::tempdir().expect("tmp");
    let settings = dir.path().join("server.yaml");
    std::fs::write(
        &settings,
        "limits:\n  register_per_address: {burst: 10, per_minute: 10}\n",
    )
    .expect("write");
    let env = setup(&["--config", &settings.display().to_string()], &[]);
    let addr = env.server.addr;
    let (replies, took) = at_once(60, move |i| {
        post_json(
            addr,
            "/api/v1/register",
            None,
            &json!({"card_number": format!("{:08}", 20_000_000 + i), "full_name": "Ai Đó", "birth_date": "1970-01-01", "unit_code": "CB1"}),
        )
    });
    let through = tally(&replies);
    let bound = 10 + (took.as_secs_f64() / 6.0).ceil() as usize;
    eprintln!("register, one address: 60 at once in {took:?}, {through} let through (burst 10)");
    assert!((10..=bound).contains(&through), "{through} of 60");
    assert!(replies.iter().all(|r| r.status == 429 || r.status == 401));

    // One card: 5 attempts, whoever sends them (a second server, with the default limits: the
    // address's, sized for a carrier's, stops none of them).
    let env2 = setup(&[], &[]);
    let addr2 = env2.server.addr;
    let token = register(addr2, 2);
    let (replies, _) = at_once(30, move |_| {
        let (card, name, birth, unit) = PEOPLE[1];
        post_json(
            addr2,
            "/api/v1/register",
            None,
            &json!({"card_number": card, "full_name": name, "birth_date": birth, "unit_code": unit}),
        )
    });
    let through = tally(&replies);
    eprintln!("register, one card: 30 at once, {through} let through (burst 5)");
    assert_eq!(through, 5);
    assert!(replies.iter().all(|r| r.status == 429 || r.status == 201));

    // Events of one member: 30, then 2 a second. Each accepted request stores its event.
    let now = now_rfc3339();
    let (replies, took) = at_once(150, move |i| {
        post_json(
            addr2,
            "/api/v1/events",
            Some(&token),
            &json!({"events": [{"id": format!("00000000-0000-4000-8000-{i:012x}"), "type": "view", "doc": "dieu-le", "at": now}]}),
        )
    });
    let through = tally(&replies);
    let bound = 30 + (took.as_secs_f64() * 2.0).ceil() as usize + 1;
    eprintln!("events, one member: 150 at once in {took:?}, {through} let through (burst 30, 2/s)");
    assert!((30..=bound).contains(&through), "{through} of 150");
    for r in replies.iter().filter(|r| r.status != 429) {
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.json()["results"][0]["status"], "stored", "{}", r.text());
    }
    let db = rusqlite::Connection::open(&env2.db).expect("db");
    let n: i64 = db
        .query_row("SELECT count(*) FROM events", [], |r| r.get(0))
        .expect("q");
    assert_eq!(n as usize, through);
    healthy(addr);
    healthy(addr2);
}

fn no_personal_data(r: &Reply, secrets: &[&str]) {
    let all = format!("{:?} {}", r.headers, r.text());
    for s in secrets {
        assert!(!all.contains(s), "{s:?} echoed in {all}");
    }
}

#[test]
fn tokens_see_only_what_they_are_entitled_to() {
    let env = setup(&[], &[]);
    let addr = env.server.addr;
    let admin_cb1 = admin(&db_url(&env.db), "CB1");
    let admin_cb2 = admin(&db_url(&env.db), "CB2");
    let an = register(addr, 0); // CB1
    let cuong = register(addr, 2); // CB2
    let now = now_rfc3339();
    // Cường (CB2) leaves a comment.
    let secret_text = "Ý kiến riêng của Cường về điều lệ";
    let r = post_json(
        addr,
        "/api/v1/events",
        Some(&cuong),
        &json!({"events": [{"id": "00000000-0000-4000-8000-0000000000c2", "type": "feedback", "doc": "dieu-le", "at": now, "text": secret_text}]}),
    );
    assert_eq!(r.json()["results"][0]["status"], "stored", "{}", r.text());

    // A member token is not an admin token, and vice versa.
    for path in [
        "/api/v1/reports/me",
        "/api/v1/reports/members?unit=CB1",
        "/api/v1/reports/feedback",
    ] {
        let r = request(
            addr,
            "GET",
            path,
            &[("authorization", &format!("Bearer {an}"))],
            b"",
        );
        assert_json_error(&r, 401, "unauthorized");
        no_personal_data(&r, &[&an, "Cường", "Bình", secret_text]);
    }
    let r = post_json(
        addr,
        "/api/v1/events",
        Some(&admin_cb1),
        &json!({"events": []}),
    );
    assert_json_error(&r, 401, "unauthorized");

    // An admin of CB1 sees CB1 and nothing above or beside it.
    let as_cb1 = |path: &str| {
        request(
            addr,
            "GET",
            path,
            &[("authorization", &format!("Bearer {admin_cb1}"))],
            b"",
        )
    };
    for unit in ["CB2", "DB1", "TU", "NOPE"] {
        for report in [
            "members",
            "usage",
            "usage.csv",
            "usage.xlsx",
            "coverage",
            "feedback",
            "trend",
            "year",
            "me",
        ] {
            let r = as_cb1(&format!("/api/v1/reports/{report}?unit={unit}"));
            if report == "me" {
                // `me` is the admin's own unit whatever is asked.
                assert!(r.status == 200 || r.status == 403, "{}", r.text());
            } else {
                assert_json_error(&r, 403, "forbidden");
            }
            no_personal_data(
                &r,
                &["Cường", "10000003", "1980-03-04", secret_text, &admin_cb1],
            );
        }
    }
    let r = as_cb1("/api/v1/reports/members?unit=CB1");
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.text().contains("Nguyễn Văn An"));
    no_personal_data(&r, &["Cường", "10000003", "1980-03-04"]);
    let r = as_cb1("/api/v1/reports/feedback");
    assert_eq!(r.status, 200, "{}", r.text());
    no_personal_data(&r, &["Cường", secret_text]);
    // CB2's own admin does see it (so the checks above are not vacuous).
    let r = request(
        addr,
        "GET",
        "/api/v1/reports/feedback",
        &[("authorization", &format!("Bearer {admin_cb2}"))],
        b"",
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.text().contains(secret_text), "{}", r.text());

    // A member cannot claim another member's event id, and learns nothing about it.
    let r = post_json(
        addr,
        "/api/v1/events",
        Some(&an),
        &json!({"events": [{"id": "00000000-0000-4000-8000-0000000000c2", "type": "view", "doc": "dieu-le", "at": now}]}),
    );
    assert_eq!(r.json()["results"][0]["status"], "rejected", "{}", r.text());
    no_personal_data(&r, &["Cường", "10000003", secret_text, "CB2"]);

    // Errors never echo tokens or personal data.
    let forged = format!("m_{}", "ab".repeat(32));
    let r = post_json(
        addr,
        "/api/v1/events",
        Some(&forged),
        &json!({"events": []}),
    );
    assert_json_error(&r, 401, "unauthorized");
    no_personal_data(&r, &[&forged]);
    let forged_admin = format!("a_{}", "cd".repeat(32));
    let r = request(
        addr,
        "GET",
        "/api/v1/reports/me",
        &[("authorization", &format!("Bearer {forged_admin}"))],
        b"",
    );
    assert_json_error(&r, 401, "unauthorized");
    no_personal_data(&r, &[&forged_admin]);
    // Right card, wrong name: refused without saying whose card it is.
    let r = post_json(
        addr,
        "/api/v1/register",
        None,
        &json!({"card_number": "10000002", "full_name": "Kẻ Mạo Danh", "birth_date": "1975-05-06", "unit_code": "CB1"}),
    );
    assert_json_error(&r, 401, "not_matched");
    no_personal_data(&r, &["Bình", "Kẻ Mạo Danh", "10000002", "1975-05-06"]);
    // Broken JSON carrying personal data: the error does not quote it.
    let r = request(
        addr,
        "POST",
        "/api/v1/register",
        &[("content-type", "application/json")],
        "{\"full_name\": \"Trần Thị Bình\", \"card_number\": 10000002,,}".as_bytes(),
    );
    assert_eq!(r.status, 400, "{}", r.text());
    no_personal_data(&r, &["Bình", "10000002"]);
    let r = post_json(
        addr,
        "/api/v1/events",
        Some(&an),
        &json!({"events": [{"id": "not-a-uuid-Trần Thị Bình", "type": "feedback", "doc": "dieu-le", "at": "hôm qua 10000002"}]}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let err = r.json()["results"][0]["error"]
        .as_str()
        .unwrap_or("")
        .to_string();
    assert!(!err.contains("10000002") && !err.contains("Bình"), "{err}");
}
