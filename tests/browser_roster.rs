//! The member database page (/quan-tri/danh-sach/) in real headless Chromium against the real
//! server: the data-quality table and drill-down, an upload refused with its problems at their
//! cells, the good upload's preview and "Áp dụng" (a registered member moved between cells
//! keeps the registration), the change log and the state before; screenshots at 1280×800 and
//! 360×740 in target/test-artifacts/, and no serious or critical axe-core finding on any screen
//! at either width.

mod common;

use serde_json::json;
use sotay_sync_server::client::post_json;
use std::collections::HashMap;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A CSV line of the sample roster (no quoted fields there).
fn fields(line: &str) -> Vec<String> {
    line.split(',').map(str::to_string).collect()
}

fn workbook(rows: &[Vec<String>], path: &std::path::Path) {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("Đảng viên").expect("name");
    ws.merge_range(
        0,
        0,
        0,
        6,
        "DANH SÁCH ĐẢNG VIÊN",
        &rust_xlsxwriter::Format::new().set_bold(),
    )
    .expect("merge");
    for (c, h) in [
        "Số thẻ đảng viên",
        "Họ và tên",
        "Ngày sinh",
        "Mã chi bộ",
        "Tình trạng",
        "Chức vụ",
        "Điện thoại thông minh",
    ]
    .iter()
    .enumerate()
    {
        ws.write_string(1, c as u16, *h).expect("w");
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            ws.write_string(2 + r as u32, c as u16, v).expect("w");
        }
    }
    wb.save(path).expect("save");
}

/// A member row of members.csv as the workbook has it (the date as dd/mm/yyyy).
fn as_row(m: &[String]) -> Vec<String> {
    let d: Vec<&str> = m[2].split('-').collect();
    vec![
        m[0].clone(),
        m[1].clone(),
        format!("{}/{}/{}", d[2], d[1], d[0]),
        m[3].clone(),
        m[4].clone(),
        m[5].clone(),
        m.get(6).cloned().unwrap_or_default(),
    ]
}

#[test]
fn upload_preview_apply_on_the_member_database_page() {
    let root = common::sample_copy(&[]);
    let out = root.path().join("public");
    sotay_generator::build(root.path(), &out).unwrap_or_else(|d| panic!("{:?}", d.sorted()));
    let sotay = env!("CARGO_BIN_EXE_sotay");
    let db_path = root.path().join("db.sqlite");
    let db = format!("sqlite://{}", db_path.display());
    let roster = root.path().join("roster");
    assert!(Command::new(sotay)
        .args(["roster", "sample", "--members", "400", "--out"])
        .arg(&roster)
        .status()
        .expect("sample")
        .success());
    // Things to fix, as real rosters have: no smartphone answer (the first three members), a
    // name in capitals (the fourth), a cell whose secretary is not marked (the last bi-thu).
    let text = std::fs::read_to_string(roster.join("members.csv")).expect("members");
    let mut lines: Vec<Vec<String>> = text.lines().map(fields).collect();
    for l in lines.iter_mut().skip(1).take(3) {
        l[6] = String::new();
    }
    lines[4][1] = lines[4][1].to_uppercase();
    if let Some(l) = lines.iter_mut().rev().find(|l| l[5] == "bi-thu") {
        l[5] = "dang-vien".into();
    }
    let text: String = lines.iter().map(|l| l.join(",") + "\n").collect();
    std::fs::write(roster.join("members.csv"), text).expect("members");
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
        .args([
            "admin",
            "create",
            "--unit",
            "TU",
            "--name",
            "Nguyễn Thị Hoa",
            "--db",
            &db,
        ])
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

    // The unit to update: a commune (dang-bo-co-so) with two cells of a few members each.
    let units_csv = std::fs::read_to_string(roster.join("units.csv")).expect("units");
    let members_csv = std::fs::read_to_string(roster.join("members.csv")).expect("members");
    let units: Vec<Vec<String>> = units_csv.lines().skip(1).map(fields).collect();
    let members: Vec<Vec<String>> = members_csv.lines().skip(1).map(fields).collect();
    let parent: HashMap<&str, &str> = units
        .iter()
        .map(|u| (u[0].as_str(), u[2].as_str()))
        .collect();
    let mut by_cell: HashMap<&str, Vec<&Vec<String>>> = HashMap::new();
    for m in &members {
        by_cell.entry(m[3].as_str()).or_default().push(m);
    }
    let commune = units
        .iter()
        .find(|u| {
            u[3] == "dang-bo-co-so"
                && units
                    .iter()
                    .filter(|c| {
                        c[2] == u[0] && by_cell.get(c[0].as_str()).is_some_and(|m| m.len() >= 3)
                    })
                    .count()
                    >= 2
        })
        .expect("a commune with two cells");
    let cells: Vec<&str> = units
        .iter()
        .filter(|c| c[2] == commune[0])
        .map(|c| c[0].as_str())
        .collect();
    let mut path = vec![commune[0].as_str()];
    while let Some(p) = parent.get(path[0]).filter(|p| **p != "TU" && !p.is_empty()) {
        path.insert(0, p);
    }
    let (c1, c2) = (cells[0], cells[1]);
    // The member who moves (not the secretary), registered; the one who leaves.
    let mover = by_cell[c1]
        .iter()
        .find(|m| m[5] == "dang-vien")
        .expect("a member of c1");
    let leaver = by_cell[c2]
        .iter()
        .rev()
        .find(|m| m[5] == "dang-vien")
        .expect("a member of c2");
    let mut rows: Vec<Vec<String>> = Vec::new();
    for c in &cells {
        for m in by_cell.get(c).into_iter().flatten() {
            if m[0] == leaver[0] {
                continue;
            }
            let mut r = as_row(m);
            if m[0] == mover[0] {
                r[3] = c2.to_string();
            }
            rows.push(r);
        }
    }
    rows.push(vec![
        "99999901".into(),
        "Hoàng Văn Mới".into(),
        "15/08/1995".into(),
        c1.into(),
        "Dự bị".into(),
        "Đảng viên".into(),
        "Có".into(),
    ]);
    let good = root.path().join("cap-nhat.xlsx");
    workbook(&rows, &good);
    // The bad file: an impossible date on its second row (C4), and a card of another commune.
    let mut bad_rows = rows.clone();
    bad_rows[1][2] = "31/02/1980".into();
    let stranger = members
        .iter()
        .find(|m| !cells.contains(&m[3].as_str()))
        .expect("a member elsewhere");
    let mut s = as_row(stranger);
    s[3] = c1.to_string();
    bad_rows.insert(2, s);
    let bad = root.path().join("co-loi.xlsx");
    workbook(&bad_rows, &bad);

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
    let r = post_json(
        addr,
        "/api/v1/register",
        None,
        &json!({"card_number": mover[0], "full_name": mover[1], "birth_date": mover[2], "unit_code": mover[3]}),
    );
    assert_eq!(r.status, 201, "{}", r.text());

    let artifacts = common::repo().join("target/test-artifacts");
    let v = common::node(
        "roster.mjs",
        &[
            &format!("http://{addr}"),
            &token,
            &path.join(","),
            bad.to_str().expect("utf-8"),
            good.to_str().expect("utf-8"),
            artifacts.to_str().expect("utf-8"),
        ],
    );
    let _ = server.kill();
    let _ = server.wait();

    for (shot, wide) in v["wide"].as_object().expect("wide") {
        assert_eq!(
            wide,
            &json!([]),
            "{shot}: wider than a 360 px screen: {wide}"
        );
    }
    assert_eq!(v["problems"].as_array().map(Vec::len), Some(0), "{v}");
    let access = v["access"].as_object().expect("axe-core results");
    assert_eq!(access.len(), 10, "five screens at two widths: {v}");
    for (shot, found) in access {
        assert_eq!(
            found.as_array().map(Vec::len),
            Some(0),
            "axe-core, serious or critical, on {shot}: {found}"
        );
    }
    assert!(
        v["top"]["crumbs"]
            .as_str()
            .is_some_and(|c| c.contains("Đảng bộ tỉnh Mẫu")),
        "{v}"
    );
    assert!(
        v["top"]["head"]
            .as_array()
            .is_some_and(|h| h.iter().any(|x| x == "Chi bộ chưa có bí thư")),
        "{v}"
    );
    assert_eq!(
        v["top"]["total"][0],
        json!(members.len().to_string()),
        "total members: {v}"
    );
    // Members to fix: three without an answer and a name in capitals; one cell without a
    // secretary (the columns follow the kinds: no answer, name, duplicates, not in a cell,
    // no secretary, no members).
    let total: Vec<&str> = v["top"]["total"]
        .as_array()
        .expect("total")
        .iter()
        .filter_map(|x| x.as_str())
        .collect();
    assert_eq!(&total[1..4], ["4", "3", "1"], "{v}");
    assert_eq!(total[6], "1", "{v}");
    assert_eq!(v["noFile"], "Chưa chọn tệp");
    assert_eq!(v["chosen"], "co-loi.xlsx");
    assert!(v["cell"]["members"].as_u64().unwrap_or(0) >= 3, "{v}");
    assert_eq!(v["updateUnit"], json!(commune[1]), "{v}");
    // Refused: nothing to apply, the problems at their cells.
    assert_eq!(v["refused"]["previewHidden"], true, "{v}");
    assert!(
        v["refused"]["status"]
            .as_str()
            .is_some_and(|s| s.contains("chưa lưu gì")),
        "{v}"
    );
    let places: Vec<&str> = v["refused"]["places"]
        .as_array()
        .expect("places")
        .iter()
        .filter_map(|p| p.as_str())
        .collect();
    assert!(places.contains(&"Đảng viên!C4"), "{v}");
    assert!(places.contains(&"Đảng viên!A5"), "{v}");
    assert!(
        v["refused"]["messages"]
            .as_array()
            .expect("messages")
            .iter()
            .any(|m| m
                .as_str()
                .is_some_and(|m| m.contains("việc chuyển sinh hoạt do cấp trên thực hiện"))),
        "{v}"
    );
    // The preview, then applied.
    let c = &v["preview"]["counts"];
    assert_eq!(
        (&c["added"], &c["removed"], &c["moved"]),
        (&json!(1), &json!(1), &json!(1)),
        "{v}"
    );
    assert_eq!(c["registrations_kept"], 1, "the mover registered: {v}");
    assert!(
        v["preview"]["moved"]
            .as_str()
            .is_some_and(|m| m.contains(&mover[1]) && m.contains("Giữ nguyên")),
        "{v}"
    );
    assert!(
        v["applied"]["status"]
            .as_str()
            .is_some_and(|s| s.contains("Đã cập nhật danh sách")),
        "{v}"
    );
    assert_eq!(v["applied"]["applyHidden"], true);
    let h = v["history"].as_array().expect("history");
    assert!(
        h[1].as_str().is_some_and(|w| w.contains("Nguyễn Thị Hoa")),
        "who: {v}"
    );
    assert_eq!(h[2], json!(commune[1]));
    assert_eq!(h[3], "cap-nhat.xlsx");
    assert_eq!(
        (&h[4], &h[5], &h[6]),
        (&json!("1"), &json!("1"), &json!("1")),
        "{v}"
    );
    // What the database holds now.
    let conn = rusqlite::Connection::open(&db_path).expect("db");
    let unit_of = |card: &str| -> (String, i64) {
        conn.query_row(
            "SELECT unit_code, active FROM members WHERE card_number = ?1",
            [card],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("member")
    };
    assert_eq!(unit_of(&mover[0]), (c2.to_string(), 1));
    assert_eq!(unit_of(&leaver[0]).1, 0);
    assert_eq!(unit_of("99999901"), (c1.to_string(), 1));
    let devices: i64 = conn
        .query_row(
            "SELECT count(*) FROM devices WHERE card_number = ?1",
            [&mover[0]],
            |r| r.get(0),
        )
        .expect("devices");
    assert_eq!(devices, 1, "the registration is kept");
    // The state before, downloaded from the change log, is the commune as it was.
    let before = std::fs::read(v["before"].as_str().expect("before")).expect("before file");
    let (parsed, report) = sotay_sync_server::roster::parse_upload(before, "before.xlsx");
    assert_eq!(report.errors(), 0, "{:?}", report.problems);
    let parsed = parsed.expect("parsed");
    assert!(parsed
        .members
        .items
        .iter()
        .any(|(_, m)| m.card.as_str() == mover[0] && m.unit.as_str() == c1));
    for shot in [
        "roster-quality",
        "roster-cell",
        "roster-refused",
        "roster-preview",
        "roster-history",
    ] {
        for suffix in ["", "-360"] {
            assert!(
                artifacts.join(format!("{shot}{suffix}.png")).exists(),
                "{shot}{suffix}"
            );
        }
    }
}
