//! Usage reports against a real server: a roster and events where every figure of the table
//! was computed by hand (a member with two phones, a member who changed cell, exempt and
//! probationary members, activity outside the period), the directive's targets, drill-down,
//! access control on every report endpoint, and the CSV and Excel forms.

mod common;
use common::*;
use serde_json::json;

const UNITS: &str = "code,name,parent_code,kind\nTU,Đảng bộ tỉnh Mẫu,,tinh-uy\nDB1,Đảng bộ huyện Một,TU,dang-bo\nCB1,Chi bộ thôn Một,DB1,chi-bo\nCB2,Chi bộ thôn Hai,DB1,chi-bo\nCB3,Chi bộ Sở Ba,TU,chi-bo-co-so\n";
const MEMBERS: &str = "card_number,full_name,birth_date,unit_code,status,role,smartphone
40000001,Nguyễn Văn An,1960-01-01,CB1,chinh-thuc,bi-thu,co
40000002,Trần Văn Bình,1961-01-01,CB1,chinh-thuc,dang-vien,co
40000003,Lê Thị Chi,1990-01-01,CB1,du-bi,dang-vien,co
40000004,Phạm Văn Dũng,1940-01-01,CB1,mien-sinh-hoat,dang-vien,khong
40000005,Hoàng Văn Em,1970-01-01,CB2,chinh-thuc,bi-thu,co
40000006,Vũ Thị Phương,1972-01-01,CB2,chinh-thuc,dang-vien,khong
40000007,Đỗ Văn Giang,1975-01-01,CB3,chinh-thuc,bi-thu,co
40000008,Bùi Thị Hà,1995-01-01,CB3,du-bi,dang-vien,co
";

fn ago(days: i64) -> String {
    (time::OffsetDateTime::now_utc().to_offset(time::macros::offset!(+7))
        - time::Duration::days(days))
    .replace_hour(10)
    .expect("hour")
    .format(&time::format_description::well_known::Rfc3339)
    .expect("fmt")
}

fn day(days: i64) -> String {
    ago(days)[..10].to_string()
}

fn reg(s: &Server, card: &str, device: Option<&str>) -> String {
    let (name, birth, unit) = match card {
        "40000001" => ("Nguyễn Văn An", "1960-01-01", "CB1"),
        "40000002" => ("Trần Văn Bình", "1961-01-01", "CB1"),
        "40000003" => ("Lê Thị Chi", "1990-01-01", "CB1"),
        "40000005" => ("Hoàng Văn Em", "1970-01-01", "CB2"),
        "40000007" => ("Đỗ Văn Giang", "1975-01-01", "CB3"),
        _ => ("Bùi Thị Hà", "1995-01-01", "CB3"),
    };
    let mut body =
        json!({"card_number": card, "full_name": name, "birth_date": birth, "unit_code": unit});
    if let Some(d) = device {
        body["device_id"] = json!(d);
    }
    let r = post_json(s.addr, "/api/v1/register", None, &body);
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()["token"].as_str().expect("token").to_string()
}

fn send(s: &Server, token: &str, events: serde_json::Value) {
    let r = post_json(
        s.addr,
        "/api/v1/events",
        Some(token),
        &json!({ "events": events }),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    for x in r.json()["results"].as_array().expect("results") {
        assert_eq!(x["status"], "stored", "{x}");
    }
}

fn id(n: u32) -> String {
    format!("00000000-0000-4000-8000-{n:012}")
}

fn get_with(s: &Server, path: &str, token: &str) -> Reply {
    request(
        s.addr,
        "GET",
        path,
        &[("authorization", &format!("Bearer {token}"))],
        b"",
    )
}

/// The roster, phones and events of the test, with H moved from CB3 to CB2 at the end.
fn scenario() -> Server {
    let s = start_with(UNITS, MEMBERS);
    let a1 = reg(&s, "40000001", Some("11111111-0000-4000-8000-000000000001"));
    let _a2 = reg(&s, "40000001", Some("11111111-0000-4000-8000-000000000002"));
    let b = reg(&s, "40000002", None);
    let _c = reg(&s, "40000003", None);
    let e = reg(&s, "40000005", None);
    let g = reg(&s, "40000007", None);
    let h = reg(&s, "40000008", None);
    send(
        &s,
        &a1,
        json!([
            {"id": id(1), "type": "view", "doc": "dieu-le", "at": ago(25)},
            {"id": id(2), "type": "view", "doc": "dieu-le", "at": ago(25)},
            {"id": id(3), "type": "read", "doc": "dieu-le", "at": ago(25), "ms": 120000},
            {"id": id(4), "type": "meeting_held", "doc": "dieu-le", "at": ago(20), "attendees": 3},
            {"id": id(5), "type": "feedback", "doc": "dieu-le", "at": ago(20), "text": "Đề nghị bổ sung ví dụ."}
        ]),
    );
    send(
        &s,
        &b,
        json!([{"id": id(6), "type": "view", "doc": "dieu-le", "at": ago(40)}]),
    );
    send(
        &s,
        &e,
        json!([
            {"id": id(7), "type": "view", "doc": "ct-so-tay-dien-tu", "at": ago(15)},
            {"id": id(8), "type": "meeting_held", "doc": "ct-so-tay-dien-tu", "at": ago(12), "attendees": 2}
        ]),
    );
    send(
        &s,
        &g,
        json!([{"id": id(9), "type": "view", "doc": "dieu-le", "at": ago(3)}]),
    );
    send(
        &s,
        &h,
        json!([
            {"id": id(10), "type": "view", "doc": "dieu-le", "at": ago(7)},
            {"id": id(11), "type": "read", "doc": "dieu-le", "at": ago(7)}
        ]),
    );
    // H moves to CB2: her reading goes with her.
    reimport(
        &s,
        UNITS,
        &MEMBERS.replace(
            "40000008,Bùi Thị Hà,1995-01-01,CB3",
            "40000008,Bùi Thị Hà,1995-01-01,CB2",
        ),
    );
    s
}

/// One row of the report form: its columns, in order.
#[allow(clippy::too_many_arguments)]
fn row(
    members: u64,
    registered: u64,
    pct: f64,
    nr: [u64; 3],
    active: u64,
    cells: u64,
    meeting: u64,
    mpct: f64,
    views: u64,
    smart: (u64, u64, bool),
    mmet: bool,
    apct: f64,
) -> serde_json::Value {
    json!({
        "members": members, "registered": registered, "registered_pct": pct,
        "not_registered_by_status": {"chinh-thuc": nr[0], "du-bi": nr[1], "mien-sinh-hoat": nr[2]},
        "active": active, "cells": cells, "cells_meeting": meeting, "cells_meeting_pct": mpct, "meeting_attendance_pct": apct, "views": views,
        "smartphone_members": smart.0, "smartphone_registered": smart.1,
        "registration_target_pct": if smart.0 == 0 { 0.0 } else { (smart.1 as f64 * 1000.0 / smart.0 as f64).round() / 10.0 },
        "registration_target_met": smart.2, "meeting_target_met": mmet,
        // Everyone active in these periods is registered: usage is active / registered.
        "usage_pct": if registered == 0 { 0.0 } else { (active as f64 * 1000.0 / registered as f64).round() / 10.0 },
        "usage_target_met": registered > 0 && active == registered,
        "active_registered": active,
    })
}

fn strip(mut r: serde_json::Value) -> serde_json::Value {
    if let Some(o) = r.as_object_mut() {
        o.remove("unit_code");
        o.remove("unit_name");
    }
    r
}

#[test]
fn the_table_computed_by_hand() {
    let s = scenario();
    let root = admin(&s, "TU");
    let q = format!("/api/v1/reports/usage?from={}&to={}", day(29), day(0));
    let r = get_with(&s, &q, &root);
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["unit"]["code"], "TU");
    assert_eq!(v["from"], day(29));
    let rows = v["rows"].as_array().expect("rows");
    assert_eq!(
        rows.iter()
            .map(|x| x["unit_code"].as_str().unwrap_or(""))
            .collect::<Vec<_>>(),
        ["CB3", "DB1"]
    );
    // CB3: G only (H moved away). G registered, viewed 3 days ago; no meeting.
    assert_eq!(
        strip(rows[0].clone()),
        row(
            1,
            1,
            100.0,
            [0, 0, 0],
            1,
            1,
            0,
            0.0,
            1,
            (1, 1, true),
            false,
            0.0
        )
    );
    // DB1: A (two phones), B (active only before the period), C, D (exempt, no phone),
    // E, F (no phone), H (moved in). Meetings in both cells: 3 of CB1's 4 members, 2 of
    // CB2's 2 (H joined it after): 5 of 6.
    assert_eq!(
        strip(rows[1].clone()),
        row(
            7,
            5,
            71.4,
            [1, 0, 1],
            3,
            2,
            2,
            100.0,
            4,
            (5, 5, true),
            true,
            83.3
        )
    );
    assert_eq!(
        strip(v["total"].clone()),
        row(
            8,
            6,
            75.0,
            [1, 0, 1],
            4,
            3,
            2,
            66.7,
            5,
            (6, 6, true),
            false,
            83.3
        )
    );

    // A period that ends before anyone registered counts nobody registered.
    let early = get_with(
        &s,
        &format!("/api/v1/reports/usage?from={}&to={}", day(60), day(30)),
        &root,
    )
    .json();
    assert_eq!(early["total"]["registered"], 0);
    assert_eq!(early["total"]["active"], 1, "B read 40 days ago");

    // Drill down to a cell: one row, and its members with who has not registered.
    let cell = get_with(
        &s,
        &format!(
            "/api/v1/reports/usage?unit=CB1&from={}&to={}",
            day(29),
            day(0)
        ),
        &root,
    )
    .json();
    assert_eq!(cell["rows"].as_array().map(Vec::len), Some(1));
    assert_eq!(cell["total"]["members"], 4);
    let m = get_with(
        &s,
        &format!(
            "/api/v1/reports/members?unit=CB1&from={}&to={}",
            day(29),
            day(0)
        ),
        &root,
    )
    .json();
    let names: Vec<(&str, bool)> = m["members"]
        .as_array()
        .expect("members")
        .iter()
        .map(|x| {
            (
                x["full_name"].as_str().unwrap_or(""),
                x["registered_on"].is_null(),
            )
        })
        .collect();
    assert_eq!(
        names,
        [
            ("Phạm Văn Dũng", true),
            ("Lê Thị Chi", false),
            ("Nguyễn Văn An", false),
            ("Trần Văn Bình", false)
        ],
        "unregistered first"
    );

    // Coverage of "dieu-le": A read it (CB1), H read it (now in CB2).
    let c = get_with(&s, "/api/v1/reports/coverage?doc=dieu-le", &root).json();
    assert_eq!(
        c["total"],
        json!({"members": 8, "read": 2, "read_pct": 25.0})
    );
    // Year view and trend answer for the unit; feedback is listed.
    let y = get_with(&s, "/api/v1/reports/year?unit=DB1", &root).json();
    assert_eq!(y["rows"].as_array().map(Vec::len), Some(3));
    let t = get_with(&s, "/api/v1/reports/trend?unit=TU&weeks=5", &root).json();
    let weeks: Vec<u64> = t["weeks"]
        .as_array()
        .expect("weeks")
        .iter()
        .map(|w| w["active"].as_u64().unwrap_or(99))
        .collect();
    // Oldest first: A (25 and 20 days ago), E (15 and 12), H (7), G (3); B (40) is too old.
    assert_eq!(weeks, [0, 1, 2, 2, 1]);
    let f = get_with(
        &s,
        &format!("/api/v1/reports/feedback?from={}&to={}", day(29), day(0)),
        &root,
    )
    .json();
    assert_eq!(f["feedback"][0]["text"], "Đề nghị bổ sung ví dụ.");
    assert_eq!(f["feedback"][0]["full_name"], "Nguyễn Văn An");
}

#[test]
fn admins_see_their_subtree_and_nothing_else() {
    let s = scenario();
    let db1 = admin(&s, "DB1");
    let member = reg(&s, "40000007", None);
    let endpoints = [
        "usage",
        "usage.csv",
        "usage.xlsx",
        "members",
        "year",
        "trend",
        "coverage?doc=dieu-le&x=1",
        "feedback",
    ];
    for e in endpoints {
        let sep = if e.contains('?') { '&' } else { '?' };
        let path = |unit: &str| format!("/api/v1/reports/{e}{sep}unit={unit}");
        assert_eq!(get_with(&s, &path("DB1"), &db1).status, 200, "{e} own unit");
        assert_eq!(
            get_with(&s, &path("CB2"), &db1).status,
            200,
            "{e} a cell below"
        );
        for outside in ["TU", "CB3", "NOPE"] {
            let r = get_with(&s, &path(outside), &db1);
            assert_eq!(
                (r.status, r.json()["error"]["code"].as_str()),
                (403, Some("forbidden")),
                "{e} {outside}"
            );
        }
        assert_eq!(get(s.addr, &path("DB1")).status, 401, "{e} without token");
        assert_eq!(
            get_with(&s, &path("DB1"), &format!("a_{}", "f".repeat(64))).status,
            401,
            "{e} unknown token"
        );
        assert_eq!(
            get_with(&s, &path("DB1"), &member).status,
            401,
            "{e} member token"
        );
    }
    // Nothing of another subtree leaks through lists.
    let m = get_with(&s, "/api/v1/reports/members", &db1).text();
    assert!(
        m.contains("Nguyễn Văn An") && !m.contains("Đỗ Văn Giang"),
        "{m}"
    );
    let f = get_with(
        &s,
        &format!(
            "/api/v1/reports/feedback?unit=CB2&from={}&to={}",
            day(29),
            day(0)
        ),
        &db1,
    )
    .json();
    assert_eq!(f["feedback"].as_array().map(Vec::len), Some(0));
    let me = get_with(&s, "/api/v1/reports/me", &db1).json();
    assert_eq!(me["unit"]["code"], "DB1");
    assert_eq!(
        get_with(&s, "/api/v1/reports/usage?from=2026-13-01", &db1).status,
        400
    );
    assert_eq!(
        get_with(
            &s,
            &format!("/api/v1/reports/usage?from={}&to={}", day(0), day(5)),
            &db1
        )
        .status,
        400
    );
}

#[test]
fn csv_and_excel_forms() {
    let s = scenario();
    let root = admin(&s, "TU");
    let q = format!("from={}&to={}", day(29), day(0));
    let csv = get_with(&s, &format!("/api/v1/reports/usage.csv?{q}"), &root);
    assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
    assert!(
        csv.body.starts_with(&[0xEF, 0xBB, 0xBF]),
        "UTF-8 BOM for Excel"
    );
    let text = String::from_utf8(csv.body[3..].to_vec()).expect("utf-8");
    let all: Vec<&str> = text.lines().collect();
    // The unit and the period first, so that a file on its own says what it counts.
    assert_eq!(all[0], "Đơn vị,Đảng bộ tỉnh Mẫu (TU)");
    let vi = |d: String| format!("{}/{}/{}", &d[8..10], &d[5..7], &d[..4]);
    assert_eq!(
        all[1],
        format!("Thời gian,từ ngày {} đến ngày {}", vi(day(29)), vi(day(0)))
    );
    let lines = &all[3..];
    assert_eq!(lines[0], "STT,Đơn vị,Tổng số đảng viên,Đã đăng ký,Tỷ lệ %,Chưa đăng ký: chính thức,Chưa đăng ký: dự bị,Chưa đăng ký: miễn sinh hoạt,Đang sử dụng,Số chi bộ,Số chi bộ sử dụng trong sinh hoạt,Tỷ lệ %,Lượt truy cập");
    assert_eq!(lines[1], "1,Chi bộ Sở Ba,1,1,100.0,0,0,0,1,1,0,0.0,1");
    assert_eq!(lines[2], "2,Đảng bộ huyện Một,7,5,71.4,1,0,1,3,2,2,100.0,4");
    assert_eq!(lines[3], ",Tổng cộng,8,6,75.0,1,0,1,4,3,2,66.7,5");
    let xlsx = get_with(&s, &format!("/api/v1/reports/usage.xlsx?{q}"), &root);
    assert_eq!(xlsx.status, 200);
    assert!(xlsx.body.starts_with(b"PK"), "an xlsx is a zip");
    assert!(xlsx
        .header("content-disposition")
        .is_some_and(|d| d.contains(".xlsx")));

    // A real spreadsheet program reads it: LibreOffice converts it to CSV, which must hold the
    // same figures as the JSON report.
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("report.xlsx");
    std::fs::write(&file, &xlsx.body).expect("write");
    let out = std::process::Command::new("soffice")
        .args(["--headless", "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76", "--outdir"])
        .arg(dir.path())
        .arg(&file)
        .env("HOME", dir.path())
        .output()
        .expect("LibreOffice (soffice) must be installed for this test: Debian package libreoffice-calc-nogui");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let converted = std::fs::read_to_string(dir.path().join("report.csv")).expect("converted csv");
    assert!(
        converted
            .contains("BẢNG THỐNG KÊ SỐ LƯỢNG ĐẢNG VIÊN ĐĂNG KÝ SỬ DỤNG SỔ TAY ĐẢNG VIÊN ĐIỆN TỬ"),
        "{converted}"
    );
    assert!(converted.contains("Đơn vị: Đảng bộ tỉnh Mẫu (TU)"));
    let json = get_with(&s, &format!("/api/v1/reports/usage?{q}"), &root).json();
    let body: Vec<Vec<String>> = converted
        .lines()
        .map(|l| {
            l.split(',')
                .map(|c| c.trim_matches('"').to_string())
                .collect()
        })
        .collect();
    let find = |name: &str| {
        body.iter()
            .find(|r| r.get(1).is_some_and(|c| c == name))
            .cloned()
            .unwrap_or_else(|| panic!("no row {name} in {converted}"))
    };
    for (name, r) in [
        ("Chi bộ Sở Ba", &json["rows"][0]),
        ("Đảng bộ huyện Một", &json["rows"][1]),
        ("Tổng cộng", &json["total"]),
    ] {
        let cells = find(name);
        let num = |i: usize| {
            cells[i]
                .replace(['.', ','], "")
                .parse::<u64>()
                .unwrap_or(u64::MAX)
        };
        assert_eq!(
            num(2),
            r["members"].as_u64().unwrap_or(0),
            "{name} members: {cells:?}"
        );
        assert_eq!(num(3), r["registered"].as_u64().unwrap_or(0));
        assert_eq!(
            cells[4].replace(',', "."),
            format!("{:.1}", r["registered_pct"].as_f64().unwrap_or(-1.0))
        );
        assert_eq!(num(8), r["active"].as_u64().unwrap_or(0));
        assert_eq!(num(9), r["cells"].as_u64().unwrap_or(0));
        assert_eq!(num(10), r["cells_meeting"].as_u64().unwrap_or(0));
        assert_eq!(num(12), r["views"].as_u64().unwrap_or(0));
    }
    assert!(converted.contains("NGƯỜI LẬP BIỂU"), "signature block");
}

/// Converts an xlsx file to CSV with LibreOffice: what a spreadsheet program reads in it.
fn libreoffice_csv(xlsx: &[u8]) -> String {
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("sheet.xlsx");
    std::fs::write(&file, xlsx).expect("write");
    let out = std::process::Command::new("soffice")
        .args(["--headless", "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76", "--outdir"])
        .arg(dir.path())
        .arg(&file)
        .env("HOME", dir.path())
        .output()
        .expect("LibreOffice (soffice) must be installed for this test: Debian package libreoffice-calc-nogui");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read_to_string(dir.path().join("sheet.csv")).expect("converted csv")
}

#[test]
fn annual_sheet_of_a_grassroots_organisation() {
    let s = scenario();
    let root = admin(&s, "TU");
    let year = &day(0)[..4];
    // CB3 (chi-bo-co-so): G registered with a phone (H moved away); G's one view 3 days ago
    // counts for usage if it fell in this month; no meeting.
    let r = get_with(
        &s,
        &format!("/api/v1/reports/annual?unit=CB3&year={year}"),
        &root,
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["as_of"], day(0));
    let month: u64 = day(0)[5..7].parse().expect("month");
    let used = u64::from(day(3)[..7] == day(0)[..7]);
    let c = |i: usize| {
        (
            v["criteria"][i]["part"].as_u64().unwrap_or(99),
            v["criteria"][i]["whole"].as_u64().unwrap_or(99),
            v["criteria"][i]["met"].as_bool().unwrap_or(true),
        )
    };
    assert_eq!(c(0), (1, 1, true), "{v}");
    assert_eq!(c(1), (used, 1, used == 1), "{v}");
    assert_eq!(c(2), (0, month, false), "{v}");
    assert_eq!(v["met"], false);
    assert_eq!(v["cells"][0]["unit_code"], "CB3");

    let csv = get_with(
        &s,
        &format!("/api/v1/reports/annual.csv?unit=CB3&year={year}"),
        &root,
    );
    assert_eq!(csv.status, 200);
    assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
    let text = String::from_utf8(csv.body[3..].to_vec()).expect("utf-8");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "Đơn vị,Chi bộ Sở Ba (CB3)");
    assert!(
        lines[1].starts_with(&format!("Kỳ báo cáo,Năm {year}")),
        "{text}"
    );
    assert!(text.contains(",1,1,100.0,100.0,Đạt"), "{text}");

    // The Excel form, read by LibreOffice: the same figures.
    let xlsx = get_with(
        &s,
        &format!("/api/v1/reports/annual.xlsx?unit=CB3&year={year}"),
        &root,
    );
    assert_eq!(xlsx.status, 200);
    assert!(xlsx
        .header("content-disposition")
        .is_some_and(|d| d.contains(&format!("danh-gia-so-tay-CB3-{year}.xlsx"))));
    let sheet = libreoffice_csv(&xlsx.body);
    assert!(
        sheet.contains("BIỂU TIÊU CHÍ SỔ TAY ĐẢNG VIÊN ĐIỆN TỬ"),
        "{sheet}"
    );
    assert!(sheet.contains("Đơn vị: Chi bộ Sở Ba (CB3)"), "{sheet}");
    assert!(sheet.contains("NGƯỜI LẬP BIỂU"), "{sheet}");
    let rows: Vec<Vec<String>> = sheet
        .lines()
        .map(|l| {
            l.split(',')
                .map(|c| c.trim_matches('"').to_string())
                .collect()
        })
        .collect();
    let crit = rows
        .iter()
        .find(|r| {
            r.get(1)
                .is_some_and(|c| c.starts_with("Đảng viên có điện thoại"))
        })
        .unwrap_or_else(|| panic!("no registration row in {sheet}"));
    let filled: Vec<&str> = crit
        .iter()
        .map(String::as_str)
        .filter(|c| !c.is_empty())
        .collect();
    assert_eq!(
        filled[filled.len() - 5..],
        ["1", "1", "100.0", "100.0", "Đạt"],
        "{crit:?}"
    );
    let cell = rows
        .iter()
        .find(|r| r.get(1).is_some_and(|c| c == "Chi bộ Sở Ba"))
        .unwrap_or_else(|| panic!("no cell row in {sheet}"));
    assert_eq!(
        cell.iter().filter(|c| *c == "-").count() as u64,
        month,
        "{cell:?}"
    );
    assert_eq!(cell.last().map(String::as_str), Some("Chưa đạt"));

    // Only grassroots organisations; within the token's scope; not a year to come.
    let not = get_with(&s, "/api/v1/reports/annual?unit=DB1", &root);
    assert_eq!(not.status, 404);
    assert_eq!(not.json()["error"]["code"], "no_annual_sheet");
    assert!(not.json()["error"]["message"]
        .as_str()
        .is_some_and(|m| m.contains("tổ chức cơ sở đảng")));
    let db1 = admin(&s, "DB1");
    assert_eq!(
        get_with(&s, "/api/v1/reports/annual.xlsx?unit=CB3", &db1).status,
        403
    );
    assert_eq!(
        get_with(&s, "/api/v1/reports/annual?unit=CB3", &db1).status,
        403
    );
    assert_eq!(
        get_with(&s, "/api/v1/reports/annual?unit=CB3&year=2099", &root).status,
        404
    );
    assert_eq!(
        get_with(&s, "/api/v1/reports/annual?unit=CB3&year=abc", &root).status,
        400
    );
}

/// The same tests with the server on PostgreSQL.
mod postgres {
    use super::common::on_postgres;

    #[test]
    fn the_table_computed_by_hand() {
        on_postgres(super::the_table_computed_by_hand)
    }
    #[test]
    fn admins_see_their_subtree_and_nothing_else() {
        on_postgres(super::admins_see_their_subtree_and_nothing_else)
    }
    #[test]
    fn csv_and_excel_forms() {
        on_postgres(super::csv_and_excel_forms)
    }
    #[test]
    fn annual_sheet_of_a_grassroots_organisation() {
        on_postgres(super::annual_sheet_of_a_grassroots_organisation)
    }
}
