//! The HTTP contract against a real server on loopback: static files, search, registration,
//! events, health and metrics, and every bad input a client can send. Every test runs on
//! SQLite, and again on PostgreSQL (`mod postgres` at the end).

mod common;
use common::*;
use serde_json::json;
use std::time::Duration;

#[test]
fn static_files_headers_caching_and_compression() {
    let s = start();
    let home = get(s.addr, "/");
    assert_eq!(home.status, 200);
    assert_eq!(
        home.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(home.header("cache-control"), Some("no-cache"));
    assert!(home
        .header("content-security-policy")
        .is_some_and(|c| c.contains("script-src 'self'") && !c.contains("unsafe")));
    assert_eq!(home.header("x-content-type-options"), Some("nosniff"));
    let etag = home.header("etag").expect("etag").to_string();
    let again = request(s.addr, "GET", "/", &[("if-none-match", &etag)], b"");
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());

    // Hashed assets are kept a year; the page links them.
    let html = home.text();
    let css = html
        .split("href=\"")
        .find_map(|p| {
            p.split('"')
                .next()
                .filter(|u| u.starts_with("/static/site.") && u.ends_with(".css"))
        })
        .expect("css link")
        .to_string();
    let c = request(s.addr, "GET", &css, &[("accept-encoding", "gzip, br")], b"");
    assert_eq!(c.status, 200);
    assert_eq!(
        c.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    assert_eq!(c.header("content-encoding"), Some("br"));
    assert_eq!(c.header("content-type"), Some("text/css; charset=utf-8"));
    let g = request(s.addr, "GET", &css, &[("accept-encoding", "gzip")], b"");
    assert_eq!(g.header("content-encoding"), Some("gzip"));
    let plain = get(s.addr, &css);
    assert!(plain.header("content-encoding").is_none());
    let mut d = flate2::read::GzDecoder::new(&g.body[..]);
    let mut out = Vec::new();
    std::io::Read::read_to_end(&mut d, &mut out).expect("gunzip");
    assert_eq!(out, plain.body);

    let head = request(s.addr, "HEAD", "/", &[], b"");
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());

    let nf = get(s.addr, "/khong-co-trang-nay/");
    assert_eq!(nf.status, 404);
    assert!(nf.text().contains("Không tìm thấy trang"));
    let redirect = get(s.addr, "/nghi-quyet");
    assert_eq!(
        (redirect.status, redirect.header("location")),
        (301, Some("nghi-quyet/"))
    );
    let docx = s
        .dir
        .path()
        .join("public/bieu-mau/mau-01-don-xin-vao-dang/mau-01-don-xin-vao-dang.docx");
    let f = get(
        s.addr,
        "/bieu-mau/mau-01-don-xin-vao-dang/mau-01-don-xin-vao-dang.docx",
    );
    assert_eq!(f.status, 200);
    assert_eq!(
        f.header("content-type"),
        Some("application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    );
    assert_eq!(f.body, std::fs::read(docx).expect("docx"));
    let post = request(s.addr, "POST", "/", &[], b"x");
    assert_eq!(post.status, 405);
    assert_eq!(post.header("allow"), Some("GET, HEAD"));
}

#[test]
fn no_request_reads_outside_the_site() {
    let s = start();
    std::fs::write(s.dir.path().join("secret.txt"), "bí mật").expect("w");
    #[cfg(unix)]
    std::os::unix::fs::symlink(
        s.dir.path().join("secret.txt"),
        s.dir.path().join("public/link.txt"),
    )
    .expect("symlink");
    for path in [
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/static/%2E%2E/%2E%2E/secret.txt",
        "/..%2fsecret.txt",
        "/..%5csecret.txt",
        "/%2e%2e%5csecret.txt",
        "/a%00b",
        "/.sotay-build",
        "/link.txt",
        "/%c0%ae%c0%ae/secret.txt",
    ] {
        let r = raw(
            s.addr,
            format!("GET {path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").as_bytes(),
        );
        assert!(r.status == 400 || r.status == 404, "{path}: {}", r.status);
        assert!(!r.text().contains("bí mật"), "{path} leaked the file");
    }
}

#[test]
fn search_api() {
    let s = start();
    let r = get(s.addr, "/api/v1/search?q=dang+vien+du+bi&limit=3");
    assert_eq!(r.status, 200);
    let v = r.json();
    assert!(v["total"].as_u64().unwrap_or(0) >= 3);
    assert_eq!(v["hits"].as_array().map(Vec::len), Some(3));
    assert_eq!(v["hits"][0]["url"], "/hoi-dap/dang-vien-du-bi/");
    for k in ["id", "url", "title", "snippet", "score"] {
        assert!(!v["hits"][0][k].is_null(), "{k}");
    }
    let kind = get(s.addr, "/api/v1/search?q=dang+vien&kind=hoi-dap&limit=50").json();
    assert!(kind["hits"]
        .as_array()
        .expect("hits")
        .iter()
        .all(|h| h["kind"] == "hoi-dap"));
    for (path, code) in [
        ("/api/v1/search", "missing_query"),
        ("/api/v1/search?q=", "missing_query"),
        ("/api/v1/search?q=a&limit=x", "invalid_parameter"),
        ("/api/v1/search?q=a&limit=1000", "invalid_parameter"),
        ("/api/v1/search?q=a&year=abc", "invalid_parameter"),
    ] {
        let r = get(s.addr, path);
        assert_eq!(
            (r.status, r.json()["error"]["code"].as_str()),
            (400, Some(code)),
            "{path}"
        );
    }
    // Without JavaScript: the search page with the server's results in it, escaped.
    let page = get(s.addr, "/tim-kiem/?q=%C4%90i%E1%BB%81u+5");
    assert_eq!(page.status, 200);
    assert!(
        page.text()
            .contains("<ol class=\"results\"><li><a href=\"/dieu-le/dieu-le-mau/#dieu-5\">"),
        "{}",
        page.text()
    );
    let xss = get(s.addr, "/tim-kiem/?q=%3Cscript%3Ealert(1)%3C/script%3E");
    assert!(!xss.text().contains("<script>alert"));
}

#[test]
fn registration_matches_the_roster_and_says_nothing_about_why_not() {
    let s = start();
    let ok = register(
        s.addr,
        "10 000 001",
        "  nguyễn văn AN ",
        "1960-01-02",
        "CB1",
    );
    assert_eq!(ok.status, 201, "{}", ok.text());
    let v = ok.json();
    assert!(v["token"]
        .as_str()
        .is_some_and(|t| t.starts_with("m_") && t.len() == 66));
    assert_eq!(v["member"]["card_number"], "10000001");
    assert_eq!(v["member"]["full_name"], "Nguyễn Văn An");
    // A second phone for the same member.
    assert_eq!(
        register(s.addr, "10000001", "Nguyễn Văn An", "1960-01-02", "CB1").status,
        201
    );
    // NFD name, different case and spaces still match.
    assert_eq!(
        register(
            s.addr,
            "10000002",
            "TRA\u{302}\u{300}N THI\u{323}  BÌNH",
            "1975-05-06",
            "CB1"
        )
        .status,
        201
    );

    let wrong_name = register(s.addr, "10000003", "Lê Văn Hùng", "1980-03-04", "CB2");
    let wrong_date = register(s.addr, "10000003", "Lê Văn Cường", "1980-03-05", "CB2");
    let wrong_unit = register(s.addr, "10000003", "Lê Văn Cường", "1980-03-04", "CB1");
    let unknown = register(s.addr, "19999999", "Lê Văn Cường", "1980-03-04", "CB2");
    for r in [&wrong_name, &wrong_date, &wrong_unit, &unknown] {
        assert_eq!(r.status, 401);
        assert_eq!(r.body, wrong_name.body, "one generic answer");
    }
    let message = wrong_name.json()["error"]["message"]
        .as_str()
        .unwrap_or("")
        .to_string();
    assert!(
        message.contains("không khớp") && !message.contains("match") && !message.contains("roster"),
        "Vietnamese only: {message}"
    );
    // Malformed requests.
    for (body, code) in [
        (json!({"card_number": "10000003", "full_name": "A", "birth_date": "1960-01-02", "unit_code": "CB 1"}).to_string().into_bytes(), "invalid_unit_code"),
        (b"{nope".to_vec(), "invalid_json"),
        (b"[]".to_vec(), "invalid_request"),
        (json!({"card_number": 10000001, "full_name": "A", "birth_date": "1960-01-02", "unit_code": "CB1"}).to_string().into_bytes(), "invalid_request"),
        (json!({"card_number": "abc", "full_name": "A", "birth_date": "1960-01-02", "unit_code": "CB1"}).to_string().into_bytes(), "invalid_card_number"),
        (json!({"card_number": "10000003", "full_name": "A", "birth_date": "02/01/1960", "unit_code": "CB1"}).to_string().into_bytes(), "invalid_birth_date"),
        (vec![b' '; 10_000], "too_large"),
    ] {
        let r = request(s.addr, "POST", "/api/v1/register", &[("content-type", "application/json")], &body);
        assert_eq!(r.json()["error"]["code"].as_str(), Some(code), "{}", r.text());
        assert!(r.status == 400 || r.status == 413);
        if code.starts_with("invalid_") && code != "invalid_json" {
            // What the member typed wrong, said in Vietnamese.
            let m = r.json()["error"]["message"].as_str().unwrap_or("").to_string();
            assert!(
                m.contains("Số thẻ") || m.contains("Ngày sinh") || m.contains("Mã chi bộ") || m.contains("Thiếu"),
                "{code}: {m}"
            );
        }
    }
    assert_eq!(get(s.addr, "/api/v1/register").status, 405);

    // A phone that sends its registration twice is one phone; its newest token works.
    let body = json!({"card_number": "10000003", "full_name": "Lê Văn Cường", "birth_date": "1980-03-04", "unit_code": "CB2", "device_id": "6f1c2a4e-0000-4000-8000-00000000abcd"});
    let a = post_json(s.addr, "/api/v1/register", None, &body);
    let b = post_json(s.addr, "/api/v1/register", None, &body);
    assert_eq!((a.status, b.status), (201, 201));
    let phones = s.count("SELECT count(*) FROM devices WHERE card_number = '10000003'");
    assert_eq!(phones, 1);
    let ev = json!({"events": [{"id": "00000000-0000-4000-8000-0000000000aa", "type": "view", "doc": "dieu-le", "at": now_rfc3339()}]});
    assert_eq!(
        post_json(s.addr, "/api/v1/events", b.json()["token"].as_str(), &ev).status,
        200
    );
    assert_eq!(
        post_json(s.addr, "/api/v1/events", a.json()["token"].as_str(), &ev).status,
        401
    );
    let bad = json!({"card_number": "10000003", "full_name": "Lê Văn Cường", "birth_date": "1980-03-04", "unit_code": "CB2", "device_id": "phone-1"});
    assert_eq!(
        post_json(s.addr, "/api/v1/register", None, &bad).json()["error"]["code"],
        "invalid_device_id"
    );
}

#[test]
fn registration_accepts_what_phones_type() {
    let s = start();
    // What a phone keyboard gives (DESIGN.md, "Registration matching"): dots and spaces in the
    // card number, the cell code in any case with spaces around it (Android capitalises the
    // first letter), the name without diacritics, in capitals, with runs of spaces.
    for (card, name, unit) in [
        ("10.000.003", "Lê Văn Cường", "CB2"),
        ("10000003", "Le Van Cuong", "cb2"),
        ("1000 0003", "LE VAN CUONG", " Cb2 "),
        ("10000003", "lê  văn   cường", "cB2"),
        ("10000003", "Lê Văn Cương", "CB2"),
    ] {
        let r = register(s.addr, card, name, "1980-03-04", unit);
        assert_eq!(r.status, 201, "{card:?} {name:?} {unit:?}: {}", r.text());
        assert_eq!(
            r.json()["member"]["unit_code"],
            "CB2",
            "the roster's spelling"
        );
        assert_eq!(r.json()["member"]["unit_name"], "Chi bộ thôn 2");
        assert_eq!(r.json()["member"]["full_name"], "Lê Văn Cường");
    }

    // Folding stops at letters: half a name, or words joined differently, is not the name.
    // (Card 10000003 has had its five tries per quarter hour; these use member 2.)
    let half_name = register(s.addr, "10000002", "Trần Thị", "1975-05-06", "CB1");
    let joined_name = register(s.addr, "10000002", "Trầnthị Bình", "1975-05-06", "CB1");
    let wrong_date = register(s.addr, "10000002", "Tran Thi Binh", "1975-06-05", "cb1");
    for r in [&half_name, &joined_name, &wrong_date] {
        assert_eq!(r.status, 401, "{}", r.text());
        assert_eq!(r.body, half_name.body, "one generic answer");
    }
}

#[test]
fn registration_is_rate_limited_per_card() {
    let s = start();
    let mut statuses = Vec::new();
    for _ in 0..7 {
        statuses.push(register(s.addr, "10000003", "Sai Tên", "1980-03-04", "CB2").status);
    }
    assert_eq!(&statuses[..5], &[401; 5]);
    let limited = register(s.addr, "10000003", "Lê Văn Cường", "1980-03-04", "CB2");
    assert_eq!(
        limited.status, 429,
        "even the right details wait once the card is locked"
    );
    let retry: u64 = limited
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .expect("Retry-After in seconds");
    assert_eq!(limited.json()["error"]["code"], "rate_limited");
    // The member is told when to try again, in minutes (or seconds under a minute).
    let when = if retry < 60 {
        format!("sau {retry} giây")
    } else {
        format!("sau {} phút", retry.div_ceil(60))
    };
    let message = limited.json()["error"]["message"]
        .as_str()
        .unwrap_or("")
        .to_string();
    assert!(message.contains(&when), "{message} (Retry-After {retry})");
}

#[test]
fn events_are_validated_idempotent_and_private() {
    let s = start();
    let secretary = token(s.addr, "10000001");
    let member = token(s.addr, "10000002");
    let now = now_rfc3339();
    let id = |n: u32| format!("00000000-0000-4000-8000-{n:012}");
    let batch = json!({"events": [
        {"id": id(1), "type": "view", "doc": "dieu-le", "version": "abc", "at": now, "ms": 1200},
        {"id": id(2), "type": "read", "doc": "dieu-le", "at": now, "ms": 90000},
        {"id": id(3), "type": "feedback", "doc": "dieu-le", "at": now, "text": "Góp ý: nên có thêm ví dụ."},
        {"id": id(4), "type": "meeting_held", "doc": "dieu-le", "at": now, "attendees": 2},
        {"id": id(5), "type": "view", "doc": "khong-co", "at": now},
        {"id": "not-a-uuid", "type": "view", "doc": "dieu-le", "at": now},
        {"id": id(6), "type": "like", "doc": "dieu-le", "at": now},
        {"id": id(7), "type": "view", "doc": "dieu-le", "at": "hôm qua"},
        {"id": id(8), "type": "view", "doc": "dieu-le", "at": "2001-01-01T00:00:00Z"},
        {"id": id(9), "type": "view", "doc": "dieu-le", "at": now, "ms": -5},
        {"id": id(10), "type": "feedback", "doc": "dieu-le", "at": now},
        "not an object",
        {"id": id(1), "type": "view", "doc": "dieu-le", "at": now}
    ]});
    let r = post_json(s.addr, "/api/v1/events", Some(&secretary), &batch);
    assert_eq!(r.status, 200, "{}", r.text());
    let statuses: Vec<String> = r.json()["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|x| x["status"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(
        statuses,
        [
            "stored",
            "stored",
            "stored",
            "stored",
            "rejected",
            "rejected",
            "rejected",
            "rejected",
            "rejected",
            "rejected",
            "rejected",
            "rejected",
            "duplicate"
        ]
    );
    let results = r.json()["results"].clone();
    assert_eq!(results[4]["error"], "unknown document");
    assert_eq!(results[0]["id"], id(1));

    // The same batch again: nothing counted twice.
    let again = post_json(s.addr, "/api/v1/events", Some(&secretary), &batch);
    let statuses: Vec<String> = again.json()["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|x| x["status"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(&statuses[..4], &["duplicate"; 4]);
    // Another member cannot claim those ids, nor record a meeting.
    let other = post_json(
        s.addr,
        "/api/v1/events",
        Some(&member),
        &json!({"events": [
            {"id": id(1), "type": "view", "doc": "dieu-le", "at": now},
            {"id": id(20), "type": "meeting_held", "doc": "dieu-le", "at": now, "attendees": 3}
        ]}),
    );
    let res = other.json()["results"].clone();
    assert_eq!(res[0]["status"], "rejected");
    assert_eq!(res[1]["status"], "rejected");
    assert!(res[1]["error"]
        .as_str()
        .is_some_and(|e| e.contains("secretary")));

    let count = |sql: &str| -> i64 { s.count(sql) };
    assert_eq!(count("SELECT count(*) FROM events"), 4);
    assert_eq!(
        count("SELECT count(*) FROM events WHERE card_number = '10000001'"),
        4
    );
    assert_eq!(
        count("SELECT count(*) FROM meetings WHERE unit_code = 'CB1' AND present = 2"),
        1
    );
    assert_eq!(
        count("SELECT views FROM member_days WHERE card_number = '10000001'"),
        1
    );

    // Authentication and malformed requests.
    let anon = post_json(s.addr, "/api/v1/events", None, &json!({"events": []}));
    assert_eq!(
        (anon.status, anon.json()["error"]["code"].as_str()),
        (401, Some("unauthorized"))
    );
    let fake = format!("m_{}", "0".repeat(64));
    assert_eq!(
        post_json(
            s.addr,
            "/api/v1/events",
            Some(&fake),
            &json!({"events": []})
        )
        .status,
        401
    );
    let admin_shaped = format!("a_{}", "0".repeat(64));
    assert_eq!(
        post_json(
            s.addr,
            "/api/v1/events",
            Some(&admin_shaped),
            &json!({"events": []})
        )
        .status,
        401
    );
    let auth = format!("Bearer {member}");
    for (body, status, code) in [
        (b"{bad json".to_vec(), 400, "invalid_json"),
        (b"{\"events\": 5}".to_vec(), 400, "invalid_request"),
        (b"{}".to_vec(), 400, "invalid_request"),
        (
            json!({"events": vec![json!({}); 501]})
                .to_string()
                .into_bytes(),
            413,
            "too_many_events",
        ),
        (vec![b' '; 300 * 1024], 413, "too_large"),
    ] {
        let r = request(
            s.addr,
            "POST",
            "/api/v1/events",
            &[
                ("authorization", &auth),
                ("content-type", "application/json"),
            ],
            &body,
        );
        assert_eq!(
            (r.status, r.json()["error"]["code"].as_str()),
            (status, Some(code))
        );
    }
    // A body sent in chunks that grows past the limit is cut off too.
    let mut req = format!("POST /api/v1/events HTTP/1.1\r\nhost: x\r\nconnection: close\r\nauthorization: {auth}\r\ntransfer-encoding: chunked\r\n\r\n").into_bytes();
    for _ in 0..300 {
        req.extend_from_slice(format!("400\r\n{}\r\n", " ".repeat(1024)).as_bytes());
    }
    req.extend_from_slice(b"0\r\n\r\n");
    let r = raw(s.addr, &req);
    assert_eq!(r.status, 413);
}

#[test]
fn health_and_metrics() {
    let s = start();
    let h = get(s.addr, "/healthz").json();
    assert_eq!(h["status"], "ok");
    assert!(h["documents"].as_u64().unwrap_or(0) >= 40);
    assert_eq!(h["roster_loaded"], true);
    let t = token(s.addr, "10000001");
    post_json(
        s.addr,
        "/api/v1/events",
        Some(&t),
        &json!({"events": [{"id": "00000000-0000-4000-8000-000000000099", "type": "view", "doc": "dieu-le", "at": now_rfc3339()}]}),
    );
    let m = get(s.addr, "/metrics").text();
    assert!(m.contains("sotay_events_stored_total 1"), "{m}");
    assert!(m.contains("sotay_registrations_total 1"));
    assert!(m.contains("sotay_http_requests_total{route=\"events\",status=\"2xx\"} 1"));
    assert!(m.contains("sotay_write_queue_depth 0"));
    assert_eq!(
        get(s.addr, "/api/v1/nope").json()["error"]["code"],
        "not_found"
    );
}

/// A client that hangs up right after sending a batch must not leave the server's counters and
/// report aggregate behind what was committed.
#[test]
fn clients_hanging_up_do_not_unbalance_counters_and_reports() {
    let s = start();
    let t = token(s.addr, "10000001");
    let now = now_rfc3339();
    for b in 0..40 {
        let events: Vec<serde_json::Value> = (0..50).map(|i| json!({"id": format!("00000000-0000-4000-8000-{:012}", b * 100 + i), "type": "view", "doc": "dieu-le", "at": now})).collect();
        let body = json!({ "events": events }).to_string();
        let req = format!("POST /api/v1/events HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {t}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}", body.len());
        let mut c = std::net::TcpStream::connect(s.addr).expect("connect");
        std::io::Write::write_all(&mut c, req.as_bytes()).expect("write");
        let _ = c.shutdown(std::net::Shutdown::Both);
    }
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let rows = s.count("SELECT count(*) FROM events");
    let metrics = get(s.addr, "/metrics").text();
    assert!(
        metrics.contains(&format!("sotay_events_stored_total {rows}\n")),
        "stored {rows} rows; metrics: {}",
        metrics
            .lines()
            .find(|l| l.starts_with("sotay_events_stored_total"))
            .unwrap_or("")
    );
    let admin = admin(&s, "TU");
    let r = request(
        s.addr,
        "GET",
        "/api/v1/reports/usage",
        &[("authorization", &format!("Bearer {admin}"))],
        b"",
    )
    .json();
    assert_eq!(
        r["total"]["views"].as_i64(),
        Some(rows),
        "report views = stored views"
    );
}

/// Text PostgreSQL refuses (NUL) is refused at the door on both databases: a 400 for a
/// registration, a "rejected" event; never a 503 that a phone would retry forever. A
/// feedback text with control characters is stored (as JSON, escaped).
#[test]
fn nul_and_control_characters_never_reach_the_database_raw() {
    let s = start();
    let r = post_json(
        s.addr,
        "/api/v1/register",
        None,
        &json!({"card_number": "10000001", "full_name": "Nguyễn Văn An\u{0}", "birth_date": "1960-01-02", "unit_code": "CB1"}),
    );
    assert_eq!(r.status, 400, "{}", r.text());
    let t = token(s.addr, "10000001");
    let now = now_rfc3339();
    let r = post_json(
        s.addr,
        "/api/v1/events",
        Some(&t),
        &json!({"events": [
            {"id": "00000000-0000-4000-8000-000000000001", "type": "view", "doc": "dieu-le", "version": "v\u{0}1", "at": now},
            {"id": "00000000-0000-4000-8000-000000000002", "type": "feedback", "doc": "dieu-le", "text": "a\u{0}b\u{7}c", "at": now}
        ]}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let res = r.json()["results"].clone();
    assert_eq!(res[0]["status"], "rejected", "{res}");
    assert_eq!(res[1]["status"], "stored", "{res}");
    assert_eq!(s.count("SELECT count(*) FROM events"), 1);
}

/// A registration attempt with wrong details for a fresh card, sent with `headers`: its
/// status (401 when let through, 429 when limited).
fn attempt(s: &Server, n: &mut u32, headers: &[(&str, &str)]) -> u16 {
    *n += 1;
    let body = json!({"card_number": format!("{}", 30_000_000 + *n), "full_name": "Ai Đó", "birth_date": "1970-01-01", "unit_code": "CB1"});
    let mut h = vec![("content-type", "application/json")];
    h.extend_from_slice(headers);
    request(
        s.addr,
        "POST",
        "/api/v1/register",
        &h,
        body.to_string().as_bytes(),
    )
    .status
}

#[test]
fn clients_behind_a_trusted_proxy_are_limited_each_on_their_own() {
    let limits = || {
        let mut l = sotay_sync_server::limits::Limits::default();
        let rule = sotay_sync_server::limits::Rule {
            burst: 3.0,
            per_sec: 1e-6,
        };
        l.set("register_per_address", rule).expect("limit");
        l
    };
    let n = &mut 0;
    // The proxy (this test, on 127.0.0.1) names ten clients: each gets its own 3 attempts.
    let s = start_trusting(limits(), &["127.0.0.1/32"]);
    for c in 0..10 {
        let ip = format!("198.51.100.{c}");
        let got: Vec<u16> = (0..3)
            .map(|_| attempt(&s, n, &[("x-forwarded-for", &ip)]))
            .collect();
        assert_eq!(got, [401; 3], "client {ip}");
    }
    // The fourth of one client is limited, whatever it wrote left of what the proxy added,
    // in either header; an IPv6 client is limited by its /64.
    for h in [
        ("x-forwarded-for", "10.9.9.9, 198.51.100.0"),
        ("forwarded", "for=198.51.100.0;proto=https"),
    ] {
        assert_eq!(attempt(&s, n, &[h]), 429, "{h:?}");
    }
    for (i, ip) in [
        "2001:db8:5:6::1",
        "2001:db8:5:6::2",
        "2001:db8:5:6:ffff::3",
        "2001:db8:5:6::4",
    ]
    .iter()
    .enumerate()
    {
        let want = if i < 3 { 401 } else { 429 };
        assert_eq!(attempt(&s, n, &[("x-forwarded-for", ip)]), want, "{ip}");
    }
    // Headers the server cannot read count as the proxy's address: 3, then limited; the
    // member gets the same answers as anyone.
    let bad: Vec<u16> = ["nonsense", "198.51.100.77,", "unknown", "1.2.3.4:x"]
        .iter()
        .map(|v| attempt(&s, n, &[("x-forwarded-for", v)]))
        .collect();
    assert_eq!(bad, [401, 401, 401, 429]);
    assert_eq!(attempt(&s, n, &[("x-forwarded-for", "198.51.100.9")]), 429);
    assert_eq!(attempt(&s, n, &[("x-forwarded-for", "203.0.113.1")]), 401);

    // A server that trusts no proxy ignores the headers: every client is this test's address.
    let s = start_trusting(limits(), &[]);
    let got: Vec<u16> = (0..5)
        .map(|c| attempt(&s, n, &[("x-forwarded-for", &format!("198.51.100.{c}"))]))
        .collect();
    assert_eq!(got, [401, 401, 401, 429, 429]);
}

/// An early answer (413 for a body over the limit, 401 before the body is read, 400 for a bad
/// head, 405 where no body is read) reaches a client that is still sending its body, instead of
/// a connection reset: the server reads and discards what follows its answer, for a while,
/// before it closes ("lingering close", as nginx does). The cases and the client are shared
/// with tests/tls.rs (the same over TLS): `client::early_answers`, `client::send_then_read`.
#[test]
fn early_answers_reach_a_client_still_sending() {
    let s = start();
    let t = token(s.addr, "10000001");
    let target = Target::from(s.addr);
    let cases = early_answers(&t);
    for c in &cases {
        let mut seen: std::collections::BTreeMap<String, usize> = Default::default();
        for _ in 0..100 {
            let got = send_then_read(&target, &c.head, &c.body, 64 * 1024, Duration::ZERO);
            *seen
                .entry(match got {
                    Ok(st) => st.to_string(),
                    Err(e) => {
                        e.split(':').next().unwrap_or("").to_string()
                            + ": "
                            + e.rsplit(": ").next().unwrap_or("")
                    }
                })
                .or_default() += 1;
        }
        eprintln!("CASE {}: {seen:?}", c.name);
        assert_eq!(
            seen.get(&c.status.to_string()),
            Some(&100),
            "{}: expected {} in 100 of 100 tries, saw {seen:?}",
            c.name,
            c.status
        );
    }
    // A slow sender (a phone: the rest of its body arrives over seconds) gets its answer too:
    // 1 MB with a token to /api/v1/events, over the limit.
    let slow = &cases[0];
    let got = send_then_read(
        &target,
        &slow.head,
        &slow.body,
        32 * 1024,
        Duration::from_millis(30),
    );
    assert_eq!(got, Ok(413), "a slow sender");
    // The server is still serving, and nothing was stored.
    assert_eq!(get(s.addr, "/healthz").status, 200);
    assert_eq!(s.count("SELECT count(*) FROM events"), 0);
}

/// The same tests with the server on PostgreSQL.
mod postgres {
    #[test]
    fn clients_behind_a_trusted_proxy_are_limited_each_on_their_own() {
        on_postgres(super::clients_behind_a_trusted_proxy_are_limited_each_on_their_own)
    }
    #[test]
    fn nul_and_control_characters_never_reach_the_database_raw() {
        on_postgres(super::nul_and_control_characters_never_reach_the_database_raw)
    }
    use super::common::on_postgres;

    #[test]
    fn static_files_headers_caching_and_compression() {
        on_postgres(super::static_files_headers_caching_and_compression)
    }
    #[test]
    fn search_api() {
        on_postgres(super::search_api)
    }
    #[test]
    fn registration_matches_the_roster_and_says_nothing_about_why_not() {
        on_postgres(super::registration_matches_the_roster_and_says_nothing_about_why_not)
    }
    #[test]
    fn registration_is_rate_limited_per_card() {
        on_postgres(super::registration_is_rate_limited_per_card)
    }
    #[test]
    fn registration_accepts_what_phones_type() {
        on_postgres(super::registration_accepts_what_phones_type)
    }
    #[test]
    fn events_are_validated_idempotent_and_private() {
        on_postgres(super::events_are_validated_idempotent_and_private)
    }
    #[test]
    fn health_and_metrics() {
        on_postgres(super::health_and_metrics)
    }
    #[test]
    fn clients_hanging_up_do_not_unbalance_counters_and_reports() {
        on_postgres(super::clients_hanging_up_do_not_unbalance_counters_and_reports)
    }
}
