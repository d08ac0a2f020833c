//! The committee's dashboard in real headless Chromium against the real server: an admin
//! token made with `sotay admin create`, the table and targets, drill-down to a cell and its
//! members, CSV export; screenshots are kept in target/test-artifacts/.

mod common;

use serde_json::json;
use sotay_sync_server::client::post_json;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn dashboard_login_drill_down_and_export() {
    let root = common::sample_copy(&[]);
    let out = root.path().join("public");
    sotay_generator::build(root.path(), &out).unwrap_or_else(|d| panic!("{:?}", d.sorted()));
    let sotay = env!("CARGO_BIN_EXE_sotay");
    let db = format!("sqlite://{}", root.path().join("db.sqlite").display());
    let roster = root.path().join("roster");
    assert!(Command::new(sotay)
        .args(["roster", "sample", "--members", "400", "--out"])
        .arg(&roster)
        .status()
        .expect("sample")
        .success());
    let st = Command::new(sotay)
        .args(["roster", "import", "--units"])
        .arg(roster.join("units.csv"))
        .arg("--members")
        .arg(roster.join("members.csv"))
        .args(["--db", &db])
        .output()
        .expect("import");
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    let admin = Command::new(sotay)
        .args(["admin", "create", "--unit", "TU", "--db", &db])
        .output()
        .expect("admin");
    assert!(
        admin.status.success(),
        "{}",
        String::from_utf8_lossy(&admin.stderr)
    );
    let token = String::from_utf8(admin.stdout)
        .expect("utf-8")
        .trim()
        .to_string();
    assert!(
        token.starts_with("a_") && token.len() == 66 && !token.contains('\n'),
        "admin create prints the token and nothing else: {token:?}"
    );

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().expect("addr");
    let mut server = Command::new(sotay)
        .args(["server", "--site"])
        .arg(&out)
        .args(["--db", &db, "--listen", &addr.to_string()])
        .env("SOTAY_LOG", "quiet")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("server");
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(addr).is_err() {
        assert!(Instant::now() < deadline, "server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    // The first member of the sample roster registers and reads.
    let members = std::fs::read_to_string(roster.join("members.csv")).expect("members");
    let first: Vec<&str> = members
        .lines()
        .nth(1)
        .expect("a member")
        .split(',')
        .collect();
    let r = post_json(
        addr,
        "/api/v1/register",
        None,
        &json!({"card_number": first[0], "full_name": first[1], "birth_date": first[2], "unit_code": first[3]}),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let t = r.json()["token"].as_str().expect("token").to_string();
    let now = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .expect("fmt");
    let ev = post_json(
        addr,
        "/api/v1/events",
        Some(&t),
        &json!({"events": [{"id": "00000000-0000-4000-8000-0000000000d1", "type": "view", "doc": "dieu-le", "at": now}]}),
    );
    assert_eq!(ev.status, 200);

    let artifacts = common::repo().join("target/test-artifacts");
    let v = common::node(
        "dashboard.mjs",
        &[
            &format!("http://{addr}"),
            &token,
            artifacts.to_str().expect("utf-8"),
        ],
    );
    let _ = server.kill();
    let _ = server.wait();

    assert!(
        v["top"]["crumbs"]
            .as_str()
            .is_some_and(|c| c.contains("Đảng bộ tỉnh Mẫu")),
        "{v}"
    );
    assert!(v["top"]["rows"].as_u64().unwrap_or(0) >= 1);
    assert!(
        v["top"]["targets"]
            .as_str()
            .is_some_and(|t| t.contains("Chưa đạt")),
        "{v}"
    );
    assert_eq!(
        v["top"]["bars"].as_u64(),
        Some(2 * v["top"]["rows"].as_u64().unwrap_or(0)),
        "one bar and its track per unit"
    );
    assert_eq!(v["top"]["trendPoints"], 12);
    let total = v["top"]["total"].as_array().expect("total");
    assert_eq!(
        total[0],
        json!((members.lines().count() - 1).to_string()),
        "total members: {v}"
    );
    assert_eq!(total[1], "1", "one registered: {v}");
    assert!(v["level2"]["crumbs"]
        .as_str()
        .is_some_and(|c| c.contains('›')));
    let cell_members = v["cell"]["members"].as_array().expect("members");
    assert!(!cell_members.is_empty());
    assert!(
        cell_members
            .iter()
            .any(|m| m.as_str().is_some_and(|s| s.contains("Chưa đăng ký"))),
        "{v}"
    );
    assert!(
        v["csv"]
            .as_str()
            .is_some_and(|c| c.starts_with('\u{feff}') && c.contains("Tổng cộng")),
        "{v}"
    );
    assert_eq!(v["problems"].as_array().map(Vec::len), Some(0), "{v}");
    assert!(artifacts.join("dashboard.png").exists());
}
