//! The committee's dashboard in real headless Chromium against the real server, at 1280×800
//! and on a 360×740 phone: an admin token made with `sotay admin create`, the key figures and
//! the first data row in the first screen, at most 8 columns, sorting, charts with whole labels,
//! a y-axis and dd/mm dates, axe-core, drill-down to a cell and its members, CSV export;
//! screenshots are kept in target/test-artifacts/.

mod common;

use serde_json::json;
use sotay_sync_server::client::post_json;
use std::process::Command;

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
    let token = common::admin_token(&db, "TU");
    assert!(
        token.starts_with("a_") && token.len() == 66 && !token.contains('\n'),
        "admin create prints the token and nothing else: {token:?}"
    );

    let server = common::SotayServer::start(&out, &db, &[]);
    let addr: std::net::SocketAddr = server.addr.parse().expect("addr");
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
    drop(server);

    let total_members = (members.lines().count() - 1).to_string();
    // The login page: no member header, whom to ask, no shell command.
    let login = &v["loginPage"];
    assert_eq!(login["header"], 0, "{login}");
    let text = login["text"].as_str().unwrap_or("");
    assert!(
        text.contains("cấp ủy cấp trên") && !text.contains("sotay admin"),
        "{text}"
    );
    assert_eq!(login["axe"].as_array().map(Vec::len), Some(0), "{login}");
    for (name, m, h) in [("wide", &v["wide"], 800), ("narrow", &v["narrow"], 740)] {
        assert_eq!(m["header"], false, "{name}: no member site header: {m}");
        assert_eq!(
            m["axe"].as_array().map(Vec::len),
            Some(0),
            "{name} axe: {}",
            m["axe"]
        );
        let kpis = m["kpis"].as_array().expect("kpis");
        assert_eq!(kpis.len(), 3, "{name}: {m}");
        assert!(
            kpis[0]
                .as_str()
                .is_some_and(|k| k.contains(&format!("1/{}", fmt_vi(&total_members)))
                    && k.contains("Mục tiêu ≥ 100,0%")
                    && k.contains("Chưa đạt")),
            "{name}: registered x/y, the target and the verdict: {kpis:?}"
        );
        assert!(
            m["kpisBottom"].as_i64().is_some_and(|b| b <= h),
            "{name}: key figures inside the first screen: {m}"
        );
        let first = if name == "wide" {
            &m["firstRowBottom"]
        } else {
            &m["firstCardBottom"]
        };
        assert!(
            first.as_i64().is_some_and(|b| b <= h),
            "{name}: first data row inside the first screen: {m}"
        );
        // Chart labels: the full unit names, nothing cut, readable.
        let labels = m["labels"].as_array().expect("labels");
        assert!(!labels.is_empty());
        for l in labels {
            assert_eq!(l["cut"], false, "{name}: cut chart label {l}");
            assert!(l["px"].as_f64().is_some_and(|p| p >= 14.0), "{name}: {l}");
        }
        let texts = m["texts"].as_array().expect("texts");
        for t in texts {
            assert_eq!(
                t["inside"], true,
                "{name}: chart text outside the chart {t}"
            );
            assert!(
                t["px"].as_f64().is_some_and(|p| p >= 13.5),
                "{name}: chart text size {t}"
            );
        }
        assert_eq!(
            m["overlap"], false,
            "{name}: date labels overlap: {texts:?}"
        );
        let dates = texts
            .iter()
            .filter(|t| {
                t["text"].as_str().is_some_and(|s| {
                    s.len() == 5
                        && s.as_bytes()[2] == b'/'
                        && s.bytes().filter(u8::is_ascii_digit).count() == 4
                })
            })
            .count();
        assert!(dates >= 3, "{name}: dd/mm dates on the x-axis: {texts:?}");
        let ticks = texts
            .iter()
            .filter(|t| {
                t["text"].as_str().is_some_and(|s| {
                    !s.is_empty() && s.chars().all(|c| c.is_ascii_digit() || c == '.')
                })
            })
            .count();
        assert!(ticks >= 2, "{name}: a y-axis with values: {texts:?}");
        assert_eq!(m["trendPoints"], 12);
        assert_eq!(
            m["dataTables"],
            json!([labels.len(), 12]),
            "{name}: each chart's data as a table"
        );
        assert!(
            m["scrollWidth"].as_i64() <= m["viewport"]["w"].as_i64(),
            "{name}: no horizontal scroll: {m}"
        );
        assert!(
            m["legend"].as_str().is_some_and(|l| l.contains("≥ 100,0%")),
            "thresholds shown: {m}"
        );
    }
    let wide = &v["wide"];
    assert!(
        wide["title"]
            .as_str()
            .is_some_and(|c| c.contains("Đảng bộ tỉnh Mẫu") && c.contains("tháng ")),
        "{v}"
    );
    let cols = wide["columns"].as_array().expect("columns");
    assert!(cols.len() <= 8 && cols.len() >= 6, "{cols:?}");
    assert!(
        cols.iter()
            .any(|c| c.as_str().is_some_and(|c| c.contains("Đăng ký %")
                && c.contains("trên ĐV có điện thoại")
                && c.contains("mục tiêu ≥ 100,0%"))),
        "headers say what each percentage is of, and the threshold: {cols:?}"
    );
    assert!(wide["allColumns"].as_u64() > Some(cols.len() as u64), "{v}");
    assert_eq!(wide["stickyHead"], "sticky");
    let rows = wide["rows"].as_array().expect("rows");
    assert!(!rows.is_empty());
    assert!(
        rows.iter()
            .all(|r| r[7].as_str().is_some_and(|v| v.starts_with("Chưa đạt"))),
        "every unit falls short (one member registered): {rows:?}"
    );
    assert_eq!(
        wide["total"][0],
        json!(fmt_vi(&total_members)),
        "total members: {v}"
    );
    assert_eq!(wide["total"][1], "1", "one registered: {v}");
    for (key, dir, asc) in [
        ("sortedAsc", "ascending", true),
        ("sortedDesc", "descending", false),
    ] {
        let s = &wide[key];
        assert_eq!(s["aria"], dir, "{s}");
        let vals: Vec<f64> = s["values"]
            .as_array()
            .expect("values")
            .iter()
            .filter_map(|x| x.as_f64())
            .collect();
        assert_eq!(vals.len(), rows.len());
        assert!(
            vals.windows(2)
                .all(|w| if asc { w[0] <= w[1] } else { w[0] >= w[1] }),
            "{key}: {vals:?}"
        );
    }
    assert!(
        wide["yearTitle"]
            .as_str()
            .is_some_and(|t| t.contains("năm ")),
        "{v}"
    );
    assert!(
        wide["quarterTitle"]
            .as_str()
            .is_some_and(|t| t.contains("quý ")),
        "{v}"
    );
    // Tokens from the dashboard.
    let t = &wide["tokens"];
    let created = t["created"].as_str().unwrap_or("");
    assert!(created.starts_with("a_") && created.len() == 66, "{t}");
    assert!(
        t["options"].as_array().is_some_and(|o| o.len() >= 2),
        "the unit and its children: {t}"
    );
    assert_eq!(t["before"], 200, "a new token works at once: {t}");
    assert_eq!(t["after"], 401, "a revoked token is refused at once: {t}");
    let log = t["log"].as_str().unwrap_or("");
    assert!(
        log.contains("được cấp bởi mã") && log.contains("bị thu hồi bởi mã"),
        "{log}"
    );
    assert!(
        !t["rows"].to_string().contains(created),
        "the list never shows a token: {t}"
    );
    assert_eq!(t["axe"].as_array().map(Vec::len), Some(0), "{t}");
    let narrow = &v["narrow"];
    assert!(
        narrow["cards"]
            .as_array()
            .is_some_and(|c| c.len() == rows.len() + 1),
        "one card per unit and the total: {narrow}"
    );
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
    assert!(v["cell"]["scrollWidth"].as_i64() <= Some(360), "{v}");
    assert!(
        v["csv"]
            .as_str()
            .is_some_and(|c| c.starts_with('\u{feff}') && c.contains("Tổng cộng")),
        "{v}"
    );
    assert_eq!(v["problems"].as_array().map(Vec::len), Some(0), "{v}");
    for f in [
        "dashboard-1280.png",
        "dashboard-360.png",
        "dashboard-login.png",
    ] {
        assert!(artifacts.join(f).exists(), "{f}");
    }
}

/// A whole number as Vietnamese write it: 1.234.
fn fmt_vi(n: &str) -> String {
    let mut out = String::new();
    for (i, c) in n.chars().enumerate() {
        if i > 0 && (n.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    out
}
