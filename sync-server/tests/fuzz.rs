//! Property-based fuzzing of what enters the sync server: every request body of the API
//! (`POST /api/v1/register`, `POST /api/v1/events`), the query strings of the GET endpoints,
//! and the roster CSV reader.
//!
//! - The server answers every request: 2xx with a JSON body for valid input, otherwise 4xx
//!   with a JSON body `{"error": {"code": ...}}`; never 5xx, never a dropped connection; and
//!   `/healthz` is fine after the run.
//! - `roster::read` never panics; it gives a roster exactly when it reports no error, and
//!   every problem has a line of its file (line 0 only for the few whole-file problems).
//!
//! The number of cases per property is `SOTAY_FUZZ_CASES` (default 64, for CI); run longer
//! with e.g. `SOTAY_FUZZ_CASES=5000 cargo test --release -p sotay-sync-server --test fuzz`.

mod common;

use common::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{json, Value};
use sotay_sync_server::limits::Limits;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Mutex;

/// How many answers of each status the API properties saw, printed at the end (so that a
/// run that only ever reaches one error path shows it).
static SEEN: Mutex<BTreeMap<(&'static str, u16), usize>> = Mutex::new(BTreeMap::new());

fn seen(what: &'static str, status: u16) {
    *SEEN
        .lock()
        .expect("lock")
        .entry((what, status))
        .or_default() += 1;
}

fn cases() -> u32 {
    std::env::var("SOTAY_FUZZ_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(64)
}

fn config() -> Config {
    Config {
        failure_persistence: None,
        max_shrink_iters: 1000,
        ..Config::with_cases(cases())
    }
}

/// Like `common::start`, without rate limits: the fuzzer sends many requests from one
/// address, and each must reach the parsers rather than be turned away with 429.
fn start_unlimited() -> Server {
    start_with_limits(UNITS, MEMBERS, Some(Limits::off()))
}

/// Sends one request and holds the answer to the contract.
fn expect_answer(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Result<(), TestCaseError> {
    let r = try_request(addr, method, path, headers, body)
        .map_err(|e| TestCaseError::fail(format!("{method} {path}: no answer: {e}")))?;
    seen(if method == "POST" { "POST" } else { "other" }, r.status);
    prop_assert!(
        r.status < 500,
        "{} {}: server error {}: {}",
        method,
        path,
        r.status,
        r.text()
    );
    let v: Value = serde_json::from_slice(&r.body).map_err(|e| {
        TestCaseError::fail(format!(
            "{method} {path}: {} with a body that is not JSON ({e}): {}",
            r.status,
            r.text()
        ))
    })?;
    if (200..300).contains(&r.status) {
        prop_assert!(
            v.is_object(),
            "{} {}: {} with {}",
            method,
            path,
            r.status,
            v
        );
    } else {
        prop_assert!(
            (400..500).contains(&r.status),
            "{} {}: unexpected status {}: {}",
            method,
            path,
            r.status,
            v
        );
        prop_assert!(
            v["error"]["code"].is_string(),
            "{} {}: {} without an error code: {}",
            method,
            path,
            r.status,
            v
        );
    }
    Ok(())
}

// ---- JSON bodies ----

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{0,16}",
        "[0-9]{0,12}",
        Just("10000001".to_string()),
        Just("10000002".to_string()),
        Just("Nguyễn Văn An".to_string()),
        Just("Nguyê\u{302}n Va\u{306}n An".to_string()),
        Just("1960-01-02".to_string()),
        Just("1960-02-30".to_string()),
        Just("CB1".to_string()),
        Just("TU".to_string()),
        Just("dieu-le".to_string()),
        Just("view".to_string()),
        Just("feedback".to_string()),
        Just("meeting_held".to_string()),
        Just("read".to_string()),
        Just("bookmark".to_string()),
        Just("00000000-0000-4000-8000-0000000000aa".to_string()),
        Just("2026-11-27T08:30:00+07:00".to_string()),
        Just("9999-12-31T23:59:59Z".to_string()),
        Just("0000-01-01T00:00:00Z".to_string()),
        Just(" ".to_string()),
        Just("\u{0}".to_string()),
        Just("a".repeat(300)),
    ]
}

const KEYS: &[&str] = &[
    "card_number",
    "full_name",
    "birth_date",
    "unit_code",
    "device_id",
    "events",
    "id",
    "type",
    "doc",
    "version",
    "at",
    "ms",
    "text",
    "attendees",
    "",
    "__proto__",
];

fn number() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        Just(json!(0)),
        Just(json!(-1)),
        Just(json!(86_400_001)),
        Just(json!(1000)),
        Just(json!(1001)),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        number(),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec(
                (
                    prop_oneof![3 => prop::sample::select(KEYS).prop_map(str::to_string), 1 => "\\PC{0,6}"],
                    inner
                ),
                0..6
            )
            .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

fn now_rfc3339_offset(secs: i64) -> String {
    (time::OffsetDateTime::now_utc() + time::Duration::seconds(secs))
        .format(&time::format_description::well_known::Rfc3339)
        .expect("fmt")
}

/// A register body: valid, with some fields replaced by random values or removed.
fn register_body() -> impl Strategy<Value = Value> {
    (
        prop::collection::vec((prop::sample::select(KEYS), prop::option::of(json_value())), 0..4),
        any::<bool>(),
    )
        .prop_map(|(changes, second)| {
            let mut v = if second {
                json!({"card_number": "10000002", "full_name": "Trần Thị Bình", "birth_date": "1975-05-06", "unit_code": "CB1", "device_id": "00000000-0000-4000-8000-000000000001"})
            } else {
                json!({"card_number": "10000003", "full_name": "Lê Văn Cường", "birth_date": "1980-03-04", "unit_code": "CB2"})
            };
            for (k, new) in changes {
                match new {
                    Some(x) => v[k] = x,
                    None => {
                        v.as_object_mut().expect("object").remove(k);
                    }
                }
            }
            v
        })
}

fn one_event() -> impl Strategy<Value = Value> {
    (
        prop::sample::select(
            &[
                "view",
                "read",
                "bookmark",
                "feedback",
                "meeting_held",
                "Read",
                "",
            ][..],
        ),
        any::<u32>(),
        prop::sample::select(&[0i64, -60, 3600, 90_000, -400 * 86_400 - 1][..]),
        prop::collection::vec(
            (prop::sample::select(KEYS), prop::option::of(json_value())),
            0..3,
        ),
    )
        .prop_map(|(kind, n, dt, changes)| {
            let mut e = json!({
                "id": format!("00000000-0000-4000-8000-{n:012x}"),
                "type": kind,
                "doc": "dieu-le",
                "at": now_rfc3339_offset(dt),
                "ms": 1200,
                "text": "Góp ý: nên có thêm ví dụ.",
                "attendees": 12,
            });
            for (k, new) in changes {
                match new {
                    Some(x) => e[k] = x,
                    None => {
                        e.as_object_mut().expect("object").remove(k);
                    }
                }
            }
            e
        })
}

fn events_body() -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => prop::collection::vec(one_event(), 0..8).prop_map(|es| json!({ "events": es })),
        1 => prop::collection::vec(json_value(), 0..4).prop_map(|es| json!({ "events": es })),
        1 => json_value(),
        1 => json_value().prop_map(|v| json!({ "events": v })),
    ]
}

/// A JSON text turned into bytes, then possibly broken: truncated, a byte replaced, bytes
/// inserted (including invalid UTF-8), or replaced by a hostile classic.
fn mutate(base: BoxedStrategy<Value>) -> impl Strategy<Value = Vec<u8>> {
    (
        base,
        prop_oneof![
            6 => Just(None),
            1 => (any::<prop::sample::Index>(), Just(0u8), Just(0usize)).prop_map(Some),
            1 => (any::<prop::sample::Index>(), any::<u8>(), Just(1usize)).prop_map(Some),
            1 => (any::<prop::sample::Index>(), any::<u8>(), Just(2usize)).prop_map(Some),
        ],
        prop::option::weighted(0.25, hostile()),
    )
        .prop_map(|(v, m, h)| {
            if let Some(h) = h {
                return h;
            }
            let mut b = v.to_string().into_bytes();
            if let Some((i, byte, how)) = m {
                let at = i.index(b.len() + 1);
                match how {
                    0 => b.truncate(at),
                    1 if at < b.len() => b[at] = byte,
                    _ => b.insert(at, byte),
                }
            }
            b
        })
}

/// Bodies no parser should choke on.
fn hostile() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..200),
        (1usize..3000).prop_map(|n| format!("{}{}", "[".repeat(n), "]".repeat(n)).into_bytes()),
        (1usize..3000).prop_map(|n| "{\"events\":".repeat(n).into_bytes()),
        (1usize..3000).prop_map(|n| "[".repeat(n).into_bytes()),
        (1usize..1000)
            .prop_map(|n| format!("{{\"events\":[],\"ms\":{}}}", "9".repeat(n)).into_bytes()),
        Just(b"1e999999999".to_vec()),
        Just(b"-0".to_vec()),
        Just(b"{\"events\":[{\"ms\":1e400}]}".to_vec()),
        Just(b"{\"card_number\":\"\\ud800\"}".to_vec()),
        Just(b"{\"card_number\":\"\xff\xfe\"}".to_vec()),
        Just(b"\xef\xbb\xbf{}".to_vec()),
        Just(b"{\"a\":1,\"a\":2}".to_vec()),
        Just(b"".to_vec()),
        Just(b"null".to_vec()),
        Just(vec![b' '; 5000]),
    ]
}

#[derive(Debug, Clone, Copy)]
enum Auth {
    Member,
    None,
    Garbage,
    Admin,
}

fn auth() -> impl Strategy<Value = Auth> {
    prop_oneof![
        6 => Just(Auth::Member),
        1 => Just(Auth::None),
        1 => Just(Auth::Garbage),
        1 => Just(Auth::Admin),
    ]
}

fn content_type() -> impl Strategy<Value = Option<&'static str>> {
    prop_oneof![
        4 => Just(Some("application/json")),
        1 => Just(None),
        1 => Just(Some("text/plain; charset=latin1")),
        1 => Just(Some("application/json; charset=utf-16")),
    ]
}

#[test]
fn api_answers_every_body_with_json_and_never_5xx() {
    let s = start_unlimited();
    let member = token(s.addr, "10000001");
    let admin = admin(&s, "TU");

    let mut runner = TestRunner::new(config());
    runner
        .run(
            &(mutate(register_body().boxed()), content_type()),
            |(body, ct)| {
                let mut h = vec![];
                if let Some(ct) = ct {
                    h.push(("content-type", ct));
                }
                expect_answer(s.addr, "POST", "/api/v1/register", &h, &body)
            },
        )
        .unwrap_or_else(|e| panic!("register: {e}"));

    let mut runner = TestRunner::new(config());
    runner
        .run(
            &(mutate(events_body().boxed()), auth(), content_type()),
            |(body, who, ct)| {
                let bearer = match who {
                    Auth::Member => Some(format!("Bearer {member}")),
                    Auth::Admin => Some(format!("Bearer {admin}")),
                    Auth::Garbage => Some("Bearer m_Ω0000".to_string()),
                    Auth::None => None,
                };
                let mut h = vec![];
                if let Some(ct) = ct {
                    h.push(("content-type", ct));
                }
                if let Some(b) = &bearer {
                    h.push(("authorization", b.as_str()));
                }
                expect_answer(s.addr, "POST", "/api/v1/events", &h, &body)
            },
        )
        .unwrap_or_else(|e| panic!("events: {e}"));

    // Every other method and API path, with a body.
    let mut runner = TestRunner::new(config());
    runner
        .run(
            &(
                prop::sample::select(&["PUT", "DELETE", "PATCH", "POST", "GET"][..]),
                prop::sample::select(
                    &[
                        "/api/v1/register",
                        "/api/v1/events",
                        "/api/v1/search",
                        "/api/v1/reports/usage",
                        "/api/v1/reports/me",
                        "/api/v1/nope",
                        "/api/",
                    ][..],
                ),
                hostile(),
            ),
            |(m, p, body)| {
                let bearer = format!("Bearer {admin}");
                expect_answer(s.addr, m, p, &[("authorization", &bearer)], &body)
            },
        )
        .unwrap_or_else(|e| panic!("methods: {e}"));

    // Query strings of the GET endpoints.
    let mut runner = TestRunner::new(config());
    runner
        .run(
            &(
                prop::sample::select(
                    &[
                        "/api/v1/search",
                        "/api/v1/reports/usage",
                        "/api/v1/reports/members",
                        "/api/v1/reports/year",
                        "/api/v1/reports/trend",
                        "/api/v1/reports/coverage",
                        "/api/v1/reports/me",
                    ][..],
                ),
                prop::collection::vec(
                    (
                        prop::sample::select(
                            &[
                                "q", "limit", "offset", "kind", "year", "unit", "from", "to",
                                "month", "format", "doc", "x",
                            ][..],
                        ),
                        prop_oneof![
                            "[a-zA-Z0-9%+&=._-]{0,12}",
                            Just("%FF%FE".to_string()),
                            Just("%".to_string()),
                            Just("99999999999999999999999".to_string()),
                            Just("-1".to_string()),
                            Just("2026".to_string()),
                            Just("2026-02-30".to_string()),
                            Just("CB1".to_string()),
                            Just("xlsx".to_string()),
                            Just("csv".to_string()),
                            Just("dang+vi%E1%BB%87n".to_string()),
                        ],
                    ),
                    0..5,
                ),
                any::<bool>(),
            ),
            |(p, params, as_admin)| {
                let q: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
                let path = format!("{p}?{}", q.join("&"));
                let bearer = format!("Bearer {}", if as_admin { &admin } else { &member });
                let r = try_request(s.addr, "GET", &path, &[("authorization", &bearer)], b"")
                    .map_err(|e| TestCaseError::fail(format!("GET {path}: no answer: {e}")))?;
                seen("GET query", r.status);
                prop_assert!(r.status < 500, "GET {}: {}: {}", path, r.status, r.text());
                if r.status >= 400 {
                    let v: Value = serde_json::from_slice(&r.body).map_err(|e| {
                        TestCaseError::fail(format!(
                            "GET {path}: {} not JSON ({e}): {}",
                            r.status,
                            r.text()
                        ))
                    })?;
                    prop_assert!(
                        v["error"]["code"].is_string(),
                        "GET {}: {}: {}",
                        path,
                        r.status,
                        v
                    );
                }
                Ok(())
            },
        )
        .unwrap_or_else(|e| panic!("queries: {e}"));

    eprintln!(
        "answers seen (what, status) -> count: {:?}",
        SEEN.lock().expect("lock")
    );
    let h = get(s.addr, "/healthz");
    assert_eq!(h.status, 200, "{}", h.text());
    // The member's token still works after all that.
    let ok = post_json(
        s.addr,
        "/api/v1/events",
        Some(&member),
        &json!({"events": [{"id": "00000000-0000-4000-8000-00000000fffe", "type": "view", "doc": "dieu-le", "at": now_rfc3339()}]}),
    );
    assert_eq!(ok.status, 200, "{}", ok.text());
    assert_eq!(ok.json()["results"][0]["status"], "stored", "{}", ok.text());
}

// ---- the roster CSV reader ----

fn field() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{0,8}",
        "[A-Za-z0-9 ,\"\r\n-]{0,8}",
        Just("TU".to_string()),
        Just("DB1".to_string()),
        Just("CB1".to_string()),
        Just("CB2".to_string()),
        Just("tinh-uy".to_string()),
        Just("dang-bo".to_string()),
        Just("chi-bo".to_string()),
        Just("10000001".to_string()),
        Just("Nguyễn Văn An".to_string()),
        Just("Nguyê\u{302}n Văn An".to_string()),
        Just("1960-01-02".to_string()),
        Just("1960-02-30".to_string()),
        Just("02/01/1960".to_string()),
        Just("chinh-thuc".to_string()),
        Just("du-bi".to_string()),
        Just("bi-thu".to_string()),
        Just("dang-vien".to_string()),
        Just("co".to_string()),
        Just("\"".to_string()),
        Just(String::new()),
    ]
}

fn csv_row(width: usize) -> impl Strategy<Value = String> {
    (
        prop::collection::vec((field(), any::<bool>()), width.saturating_sub(1)..width + 2),
        prop::option::weighted(0.05, "\\PC{0,20}"),
    )
        .prop_map(|(fields, raw)| {
            if let Some(r) = raw {
                return r;
            }
            fields
                .into_iter()
                .map(|(f, quote)| {
                    if quote {
                        format!("\"{}\"", f.replace('"', "\"\""))
                    } else {
                        f
                    }
                })
                .collect::<Vec<_>>()
                .join(",")
        })
}

fn csv_file(header: &'static [&'static str], good: &'static str) -> impl Strategy<Value = Vec<u8>> {
    let headers = prop_oneof![
        4 => Just(header.join(",")),
        1 => Just(header.join(",").to_uppercase()),
        1 => Just(header[..header.len() - 1].join(",")),
        1 => Just(format!("{},extra", header.join(","))),
        1 => Just(header.join(";")),
        1 => Just(format!("\"{}", header.join(","))),
        1 => Just(String::new()),
    ];
    (
        prop::sample::select(&["", "\u{feff}"][..]),
        headers,
        prop::collection::vec(
            prop_oneof![
                3 => csv_row(header.len()),
                2 => prop::sample::select(good.lines().skip(1).collect::<Vec<_>>()).prop_map(str::to_string),
            ],
            0..8,
        ),
        prop::sample::select(&["\n", "\r\n", "\r"][..]),
        any::<bool>(),
        prop::option::weighted(0.05, prop::collection::vec(any::<u8>(), 0..40)),
    )
        .prop_map(|(bom, h, rows, eol, trailing, bytes)| {
            if let Some(b) = bytes {
                return b;
            }
            let mut s = format!("{bom}{h}{eol}{}", rows.join(eol));
            if trailing {
                s.push_str(eol);
            }
            s.into_bytes()
        })
}

const UNIT_COLUMNS: &[&str] = &["code", "name", "parent_code", "kind"];
const MEMBER_COLUMNS: &[&str] = &[
    "card_number",
    "full_name",
    "birth_date",
    "unit_code",
    "status",
    "role",
];

/// The whole-file problems, which have line 0.
const FILE_LEVEL: &[&str] = &[
    "không phải văn bản UTF-8",
    "không đọc được tệp",
    "không có đơn vị gốc",
    "không có cột \"Điện thoại thông minh\"",
    "chưa có bí thư",
    "chưa có đảng viên",
    "tệp không có",
];

proptest! {
    #![proptest_config(config())]

    #[test]
    fn roster_reader_never_panics_and_errors_have_lines(
        units in csv_file(UNIT_COLUMNS, UNITS),
        members in csv_file(MEMBER_COLUMNS, MEMBERS),
    ) {
        let dir = tempfile::tempdir().expect("tmp");
        let (u, m) = (dir.path().join("units.csv"), dir.path().join("members.csv"));
        std::fs::write(&u, &units).expect("w");
        std::fs::write(&m, &members).expect("w");
        let read = std::panic::catch_unwind(|| sotay_sync_server::roster::read(&u, &m));
        let (roster, report) = match read {
            Ok(r) => r,
            Err(p) => {
                let msg = p
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                return Err(TestCaseError::fail(format!("roster::read panicked: {msg}")));
            }
        };
        prop_assert_eq!(roster.is_some(), report.errors() == 0, "{:?}", report.problems);
        for p in &report.problems {
            let bytes = if p.file == u.display().to_string() {
                &units
            } else {
                prop_assert_eq!(&p.file, &m.display().to_string(), "unknown file in {}", p);
                &members
            };
            if p.line == 0 {
                prop_assert!(
                    FILE_LEVEL.iter().any(|f| p.message.contains(f)),
                    "problem without a line: {}", p
                );
                continue;
            }
            // Lines as the csv reader counts them (\n ends a line; a lone \r too).
            let text = String::from_utf8_lossy(bytes).replace("\r\n", "\n").replace('\r', "\n");
            let lines = text.split('\n').count();
            prop_assert!(p.line <= lines, "line past the end ({} lines): {}", lines, p);
        }
    }
}

fn read_roster(units: &str, members: &str) -> sotay_sync_server::roster::Report {
    let dir = tempfile::tempdir().expect("tmp");
    let (u, m) = (dir.path().join("units.csv"), dir.path().join("members.csv"));
    std::fs::write(&u, units).expect("w");
    std::fs::write(&m, members).expect("w");
    sotay_sync_server::roster::read(&u, &m).1
}

// Found by the roster property: a row with fewer fields than the header made `roster::read`
// panic ("no entry found for key") instead of reporting the row. Regression tests.
#[test]
fn roster_member_row_shorter_than_the_header_is_an_error_with_its_line() {
    let report = read_roster(
        "code,name,parent_code,kind\n",
        "card_number,full_name,birth_date,unit_code,status,role\n,,,,a",
    );
    assert!(report.errors() > 0, "{:?}", report.problems);
    assert!(
        report.problems.iter().any(|p| p.line == 2),
        "{:?}",
        report.problems
    );
}

#[test]
fn roster_unit_row_shorter_than_the_header_is_an_error_with_its_line() {
    let report = read_roster(
        "code,name,parent_code,kind\nTU,Đảng bộ tỉnh Mẫu\n",
        "card_number,full_name,birth_date,unit_code,status,role\n",
    );
    assert!(report.errors() > 0, "{:?}", report.problems);
    assert!(
        report.problems.iter().any(|p| p.line == 2),
        "{:?}",
        report.problems
    );
}

/// The same request fuzzing with the server on PostgreSQL, which refuses some text SQLite
/// keeps (NUL characters): it must still answer every body with JSON and never 5xx.
#[test]
fn api_answers_every_body_with_json_and_never_5xx_on_postgres() {
    on_postgres(api_answers_every_body_with_json_and_never_5xx)
}

/// A valid workbook (the roster template) with bytes changed, cut short or spliced: what a
/// broken download or a hostile admin could upload.
fn mangled_workbook() -> impl Strategy<Value = Vec<u8>> {
    let template = sotay_sync_server::roster::xlsx::template().expect("template");
    let len = template.len();
    (
        prop::collection::vec((0..len, any::<u8>()), 0..12),
        prop::option::weighted(0.3, 0..len),
        prop::option::weighted(0.2, prop::collection::vec(any::<u8>(), 0..64)),
    )
        .prop_map(move |(flips, cut, tail)| {
            let mut b = template.clone();
            for (i, x) in flips {
                b[i] = x;
            }
            if let Some(c) = cut {
                b.truncate(c.max(4));
            }
            if let Some(t) = tail {
                b.extend(t);
            }
            b
        })
}

proptest! {
    #![proptest_config(config())]

    /// `roster::parse_upload` (what the dashboard's upload runs first) never panics on a
    /// damaged workbook; whatever it reads, every problem it reports is placed in the file.
    #[test]
    fn roster_uploads_never_panic(bytes in mangled_workbook()) {
        let read = std::panic::catch_unwind(|| sotay_sync_server::roster::parse_upload(bytes, "x.xlsx"));
        let (parsed, report) = match read {
            Ok(r) => r,
            Err(_) => return Err(TestCaseError::fail("parse_upload panicked")),
        };
        if parsed.is_none() {
            prop_assert!(report.errors() > 0, "nothing read and no error: {:?}", report.problems);
        }
        for p in &report.problems {
            prop_assert_eq!(&p.file, "x.xlsx");
            prop_assert!(p.line > 0 || p.place.is_empty(), "{}", p);
        }
    }
}
