//! Subtree updates of the roster from the dashboard's API (issue 22), on SQLite and again on
//! PostgreSQL (`mod postgres` at the end): an admin uploads its subtree's roster as Excel,
//! sees the data-quality report and what would change with nothing stored, applies it in one
//! transaction; registrations of members who stay are kept, also when they move cell, and
//! their reading counts in the new cell from the move on; a card of a unit outside the
//! subtree refuses the whole file; two admins applying at once to overlapping subtrees cannot
//! both win; every change is logged with the state before it; the data-quality view and its
//! export, filled in and uploaded back.

mod common;
use common::*;
use serde_json::{json, Value};

/// Two districts: DB1 (cells CB1, CB2) and DB2 (cell CB3).
pub const UNITS2: &str = "code,name,parent_code,kind\nTU,Đảng bộ tỉnh Mẫu,,tinh-uy\nDB1,Đảng bộ huyện A,TU,dang-bo\nCB1,Chi bộ thôn 1,DB1,chi-bo\nCB2,Chi bộ thôn 2,DB1,chi-bo\nDB2,Đảng bộ huyện B,TU,dang-bo\nCB3,Chi bộ thôn 3,DB2,chi-bo\n";
pub const MEMBERS2: &str = "card_number,full_name,birth_date,unit_code,status,role,smartphone\n10000001,Nguyễn Văn An,1960-01-02,CB1,chinh-thuc,bi-thu,co\n10000002,Trần Thị Bình,1975-05-06,CB1,chinh-thuc,dang-vien,co\n10000003,Lê Văn Cường,1980-03-04,CB2,du-bi,bi-thu,co\n10000004,Phạm Thị Dung,1970-07-08,CB3,chinh-thuc,bi-thu,co\n";

/// A workbook with the sheets "Đơn vị" (if `units` is given) and "Đảng viên", with a title
/// row above each header, dates as dd/mm/yyyy text.
fn workbook(units: Option<&[[&str; 4]]>, members: &[[&str; 7]]) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    if let Some(units) = units {
        let ws = wb.add_worksheet();
        ws.set_name("Đơn vị").expect("name");
        ws.merge_range(0, 0, 0, 3, "DANH SÁCH ĐƠN VỊ", &bold)
            .expect("merge");
        for (c, h) in ["Mã đơn vị", "Tên đơn vị", "Mã đơn vị cấp trên", "Loại"]
            .iter()
            .enumerate()
        {
            ws.write_string(1, c as u16, *h).expect("w");
        }
        for (r, row) in units.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                ws.write_string(2 + r as u32, c as u16, *v).expect("w");
            }
        }
    }
    let ws = wb.add_worksheet();
    ws.set_name("Đảng viên").expect("name");
    ws.merge_range(0, 0, 0, 6, "DANH SÁCH ĐẢNG VIÊN", &bold)
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
    for (r, row) in members.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            ws.write_string(2 + r as u32, c as u16, *v).expect("w");
        }
    }
    wb.save_to_buffer().expect("xlsx")
}

fn bearer(t: &str) -> String {
    format!("Bearer {t}")
}

fn upload(s: &Server, token: &str, unit: &str, body: &[u8]) -> Reply {
    request(
        s.addr,
        "POST",
        &format!("/api/v1/roster/uploads?unit={unit}&name=danh-sach.xlsx"),
        &[
            ("authorization", &bearer(token)),
            (
                "content-type",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ),
        ],
        body,
    )
}

fn apply(s: &Server, token: &str, id: &str) -> Reply {
    request(
        s.addr,
        "POST",
        &format!("/api/v1/roster/uploads/{id}/apply"),
        &[("authorization", &bearer(token))],
        b"",
    )
}

fn get_as(s: &Server, token: &str, path: &str) -> Reply {
    request(
        s.addr,
        "GET",
        path,
        &[("authorization", &bearer(token))],
        b"",
    )
}

fn usage(s: &Server, token: &str, unit: &str, from: &str, to: &str) -> Value {
    let r = get_as(
        s,
        token,
        &format!("/api/v1/reports/usage?unit={unit}&from={from}&to={to}"),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()
}

fn row<'a>(report: &'a Value, code: &str) -> &'a Value {
    report["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["unit_code"] == code)
        .unwrap_or_else(|| panic!("no row {code} in {report}"))
}

fn day(offset_days: i64) -> String {
    let d = time::OffsetDateTime::now_utc().to_offset(time::macros::offset!(+7))
        - time::Duration::days(offset_days);
    sotay_sync_server::model::format_date(d.date())
}

fn view_at(addr: std::net::SocketAddr, token: &str, id: u32, at: time::OffsetDateTime) -> Reply {
    let at = at
        .format(&time::format_description::well_known::Rfc3339)
        .expect("fmt");
    post_json(
        addr,
        "/api/v1/events",
        Some(token),
        &json!({"events": [{"id": format!("00000000-0000-4000-8000-{id:012}"), "type": "view", "doc": "dieu-le", "at": at}]}),
    )
}

/// DB1's file: CB4 is new; 10000002 moves from CB1 to CB2; 10000003 leaves; 10000005 joins
/// CB4; 10000001 is as before.
fn db1_update() -> Vec<u8> {
    workbook(
        Some(&[
            ["DB1", "Đảng bộ huyện A", "TU", "Đảng bộ"],
            ["CB1", "Chi bộ thôn 1", "DB1", "Chi bộ"],
            ["CB2", "Chi bộ thôn 2", "DB1", "Chi bộ"],
            ["CB4", "Chi bộ thôn 4", "DB1", "Chi bộ"],
        ]),
        &[
            [
                "10000001",
                "Nguyễn Văn An",
                "02/01/1960",
                "CB1",
                "Chính thức",
                "Bí thư",
                "Có",
            ],
            [
                "10000002",
                "Trần Thị Bình",
                "06/05/1975",
                "CB2",
                "Chính thức",
                "Bí thư",
                "Có",
            ],
            [
                "10000005",
                "Hoàng Văn Em",
                "09/09/1990",
                "CB4",
                "Dự bị",
                "Bí thư",
                "Không",
            ],
        ],
    )
}

#[test]
fn a_subtree_update_is_previewed_then_applied_and_moved_members_keep_their_registration() {
    let s = start_with(UNITS2, MEMBERS2);
    let a1 = admin(&s, "DB1");
    let root = admin(&s, "TU");
    // Member 2 registers and read yesterday, in CB1.
    let t2 = token(s.addr, "10000002");
    let yesterday = time::OffsetDateTime::now_utc() - time::Duration::days(1);
    let r = view_at(s.addr, &t2, 1, yesterday);
    assert_eq!(r.json()["results"][0]["status"], "stored", "{}", r.text());
    let version = s.count("SELECT value FROM meta WHERE key = 'roster_version'");

    // The preview: what changes, the registration kept, and nothing stored yet.
    let r = upload(&s, &a1, "DB1", &db1_update());
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    let c = &v["preview"]["counts"];
    assert_eq!(
        (
            &c["added"],
            &c["removed"],
            &c["moved"],
            &c["changed"],
            &c["unchanged"]
        ),
        (&json!(1), &json!(1), &json!(1), &json!(0), &json!(1)),
        "{v}"
    );
    assert_eq!(c["registrations_kept"], 1, "{v}");
    assert_eq!(c["units_added"], 1);
    let moved = &v["preview"]["moved"][0];
    assert_eq!(moved["card_number"], "10000002");
    assert_eq!(moved["from"]["code"], "CB1");
    assert_eq!(moved["to"]["code"], "CB2");
    assert_eq!(moved["fields"], json!(["role"]));
    assert_eq!(moved["registered"], true);
    assert_eq!(v["preview"]["removed"][0]["card_number"], "10000003");
    assert_eq!(v["preview"]["added"][0]["unit_name"], "Chi bộ thôn 4");
    assert_eq!(v["report"]["errors"], 0);
    assert_eq!(
        s.count("SELECT value FROM meta WHERE key = 'roster_version'"),
        version,
        "a preview stores nothing in the roster"
    );
    assert_eq!(
        s.count(
            "SELECT count(*) FROM members WHERE card_number = '10000002' AND unit_code = 'CB1'"
        ),
        1
    );
    let id = v["upload"]["id"].as_str().expect("id").to_string();

    // "Áp dụng".
    let r = apply(&s, &a1, &id);
    assert_eq!(r.status, 200, "{}", r.text());
    let applied = r.json();
    assert_eq!(applied["change"]["counts"]["moved"], 1);
    assert_eq!(s.count("SELECT count(*) FROM members WHERE card_number = '10000002' AND unit_code = 'CB2' AND active"), 1);
    assert_eq!(
        s.count("SELECT count(*) FROM members WHERE card_number = '10000003' AND active"),
        0
    );
    assert_eq!(
        s.count("SELECT count(*) FROM members WHERE card_number = '10000005' AND active"),
        1
    );
    assert_eq!(
        s.count(
            "SELECT count(*) FROM units WHERE code = 'CB4' AND path = '/TU/DB1/CB4/' AND active"
        ),
        1
    );
    assert_eq!(s.count("SELECT count(*) FROM members WHERE card_number = '10000004' AND unit_code = 'CB3' AND active"), 1, "outside the subtree nothing changes");
    assert_eq!(s.count("SELECT count(*) FROM member_moves WHERE card_number = '10000002' AND from_unit = 'CB1' AND to_unit = 'CB2'"), 1);
    // Applying it again changes nothing.
    let again = apply(&s, &a1, &id);
    assert_eq!(again.status, 409, "{}", again.text());
    assert_eq!(again.json()["error"]["code"], "already_applied");

    // The moved member's phone still works, and today's reading counts in CB2; yesterday's
    // stays with CB1.
    let r = view_at(s.addr, &t2, 2, time::OffsetDateTime::now_utc());
    assert_eq!(r.json()["results"][0]["status"], "stored", "{}", r.text());
    let both = usage(&s, &root, "DB1", &day(1), &day(0));
    assert_eq!(row(&both, "CB1")["views"], 1, "{both}");
    assert_eq!(row(&both, "CB1")["active"], 1);
    assert_eq!(row(&both, "CB1")["members"], 1);
    assert_eq!(row(&both, "CB2")["views"], 1);
    assert_eq!(
        row(&both, "CB2")["registered"],
        1,
        "the registration moved with the member"
    );
    assert_eq!(row(&both, "CB2")["members"], 1);
    assert_eq!(row(&both, "CB4")["members"], 1);
    assert_eq!(
        both["total"]["active"], 1,
        "one member, counted once: {both}"
    );
    assert_eq!(both["total"]["views"], 2);
    let today = usage(&s, &root, "DB1", &day(0), &day(0));
    assert_eq!(row(&today, "CB1")["views"], 0, "{today}");
    assert_eq!(row(&today, "CB2")["views"], 1);
    let before_move = usage(&s, &root, "DB1", &day(1), &day(1));
    assert_eq!(row(&before_move, "CB1")["active"], 1, "{before_move}");
    assert_eq!(row(&before_move, "CB2")["active"], 0);

    // The change log says who, when and how much; the state before is a workbook that reads
    // back (and could be uploaded to undo the change).
    let log = get_as(&s, &a1, "/api/v1/roster/changes");
    assert_eq!(log.status, 200, "{}", log.text());
    let entries = log.json()["changes"].as_array().expect("changes").clone();
    let mine = entries
        .iter()
        .find(|e| e["unit_code"] == "DB1")
        .unwrap_or_else(|| panic!("{entries:?}"));
    assert!(
        mine["who"].as_str().is_some_and(|w| w.contains("DB1")),
        "{mine}"
    );
    assert_eq!(mine["counts"]["added"], 1);
    assert_eq!(mine["source"], "danh-sach.xlsx");
    let before = get_as(
        &s,
        &a1,
        &format!("/api/v1/roster/changes/{}/before.xlsx", mine["id"]),
    );
    assert_eq!(before.status, 200, "{}", before.text());
    let (parsed, report) =
        sotay_sync_server::roster::parse_upload(before.body.clone(), "before.xlsx");
    assert_eq!(report.errors(), 0, "{:?}", report.problems);
    let parsed = parsed.expect("parsed");
    let cards: Vec<(String, String)> = parsed
        .members
        .items
        .iter()
        .map(|(_, m)| (m.card.to_string(), m.unit.to_string()))
        .collect();
    assert_eq!(
        cards,
        [
            ("10000001".to_string(), "CB1".to_string()),
            ("10000002".to_string(), "CB1".to_string()),
            ("10000003".to_string(), "CB2".to_string())
        ]
    );
    let undo = upload(&s, &a1, "DB1", &before.body);
    assert_eq!(undo.status, 200, "{}", undo.text());
    assert_eq!(
        undo.json()["preview"]["counts"]["moved"],
        1,
        "{}",
        undo.text()
    );
    assert_eq!(undo.json()["preview"]["counts"]["units_removed"], 1);
}

#[test]
fn a_card_or_a_cell_outside_the_subtree_refuses_the_whole_file() {
    let s = start_with(UNITS2, MEMBERS2);
    let a1 = admin(&s, "DB1");
    let version = s.count("SELECT value FROM meta WHERE key = 'roster_version'");
    let r = upload(
        &s,
        &a1,
        "DB1",
        &workbook(
            None,
            &[
                [
                    "10000001",
                    "Nguyễn Văn An",
                    "02/01/1960",
                    "CB1",
                    "Chính thức",
                    "Bí thư",
                    "Có",
                ],
                [
                    "10000004",
                    "Phạm Thị Dung",
                    "08/07/1970",
                    "CB2",
                    "Chính thức",
                    "Đảng viên",
                    "Có",
                ],
                [
                    "10000009",
                    "Vũ Văn Giang",
                    "01/01/1985",
                    "CB3",
                    "Chính thức",
                    "Đảng viên",
                    "Có",
                ],
            ],
        ),
    );
    assert_eq!(r.status, 422, "{}", r.text());
    let v = r.json();
    assert_eq!(v["error"]["code"], "roster_has_errors");
    let problems = v["report"]["problems"].as_array().expect("problems");
    let card = problems
        .iter()
        .find(|p| p["place"] == "Đảng viên!A4")
        .unwrap_or_else(|| panic!("{v}"));
    assert_eq!(
        card["message"],
        "số thẻ 10000004: đảng viên Phạm Thị Dung đang sinh hoạt tại Chi bộ thôn 3 (CB3), Đảng bộ huyện B: việc chuyển sinh hoạt do cấp trên thực hiện"
    );
    let cell = problems
        .iter()
        .find(|p| p["place"] == "Đảng viên!D5")
        .unwrap_or_else(|| panic!("{v}"));
    assert!(
        cell["message"]
            .as_str()
            .is_some_and(|m| m.contains("Chi bộ thôn 3 (CB3) không thuộc Đảng bộ huyện A")),
        "{cell}"
    );
    assert!(v.get("upload").is_none());
    assert_eq!(
        s.count("SELECT count(*) FROM roster_uploads"),
        0,
        "nothing kept"
    );
    assert_eq!(
        s.count("SELECT value FROM meta WHERE key = 'roster_version'"),
        version
    );

    // Units: a code used outside the subtree, and the top's parent changed.
    let r = upload(
        &s,
        &a1,
        "DB1",
        &workbook(
            Some(&[
                ["DB1", "Đảng bộ huyện A", "DB2", "Đảng bộ"],
                ["CB1", "Chi bộ thôn 1", "DB1", "Chi bộ"],
                ["CB3", "Chi bộ mới", "DB1", "Chi bộ"],
            ]),
            &[[
                "10000001",
                "Nguyễn Văn An",
                "02/01/1960",
                "CB1",
                "Chính thức",
                "Bí thư",
                "Có",
            ]],
        ),
    );
    assert_eq!(r.status, 422, "{}", r.text());
    let text = r.text();
    assert!(text.contains("Đơn vị!C3"), "{text}");
    assert!(text.contains("mã đơn vị CB3 đang là mã của Chi bộ thôn 3 (CB3), Đảng bộ huyện B, ngoài phạm vi Đảng bộ huyện A"), "{text}");

    // Another unit's subtree, an unknown unit, no token, a wrong token, a wrong method.
    let c1 = admin(&s, "CB1");
    assert_eq!(upload(&s, &c1, "DB1", &db1_update()).status, 403);
    assert_eq!(upload(&s, &c1, "NOPE", &db1_update()).status, 403);
    let anon = request(s.addr, "POST", "/api/v1/roster/uploads", &[], &db1_update());
    assert_eq!(anon.status, 401);
    assert_eq!(upload(&s, "a_00", "DB1", &db1_update()).status, 401);
    let get = get_as(&s, &a1, "/api/v1/roster/uploads");
    assert_eq!(get.status, 405);
    assert_eq!(get.header("allow"), Some("POST"));
    let empty = upload(&s, &a1, "DB1", b"");
    assert_eq!(empty.status, 400, "{}", empty.text());
    let junk = upload(&s, &a1, "DB1", b"PK\x03\x04 not really a zip");
    assert_eq!(junk.status, 422, "{}", junk.text());
    assert_eq!(
        apply(&s, &a1, "0123456789abcdef0123456789abcdef").status,
        404
    );
    assert_eq!(apply(&s, &a1, "../x").status, 404);
}

/// Applies the two uploads at once; returns their statuses.
fn race(s1: &Server, t1: &str, id1: &str, s2: &Server, t2: &str, id2: &str) -> (Reply, Reply) {
    std::thread::scope(|sc| {
        let a = sc.spawn(|| apply(s1, t1, id1));
        let b = sc.spawn(|| apply(s2, t2, id2));
        (a.join().expect("a"), b.join().expect("b"))
    })
}

fn two_admins_on(s1: &Server, s2: &Server) {
    let db1 = admin(s1, "DB1");
    let root = admin(s1, "TU");
    let db2 = admin(s1, "DB2");
    let is_in = |card: &str, cell: &str| {
        s1.count(&format!("SELECT count(*) FROM members WHERE card_number = '{card}' AND unit_code = '{cell}' AND active")) == 1
    };
    let m = |card: &'static str, cell: &'static str| -> [&'static str; 7] {
        let (name, birth, status, role) = match card {
            "10000001" => ("Nguyễn Văn An", "02/01/1960", "Chính thức", "Bí thư"),
            "10000002" => ("Trần Thị Bình", "06/05/1975", "Chính thức", "Đảng viên"),
            "10000003" => ("Lê Văn Cường", "04/03/1980", "Dự bị", "Bí thư"),
            _ => ("Phạm Thị Dung", "08/07/1970", "Chính thức", "Bí thư"),
        };
        [card, name, birth, cell, status, role, "Có"]
    };
    // Rounds of a race: the province's file moves 10000003 between CB2 and CB3, the
    // district's moves 10000002 between CB1 and CB2; both are previewed on the same roster,
    // then applied at once on the two servers. Their subtrees overlap: each round exactly one
    // wins, and the roster is the winner's.
    let mut wins = [0, 0];
    for round in 0..6 {
        let c2 = if is_in("10000002", "CB1") {
            "CB2"
        } else {
            "CB1"
        };
        let three_in_db1 = is_in("10000003", "CB2");
        let c3 = if three_in_db1 { "CB3" } else { "CB2" };
        let two_now = if c2 == "CB2" { "CB1" } else { "CB2" };
        let province = workbook(
            None,
            &[
                m("10000001", "CB1"),
                m("10000002", two_now),
                m("10000003", c3),
                m("10000004", "CB3"),
            ],
        );
        let mut district = vec![m("10000001", "CB1"), m("10000002", c2)];
        if three_in_db1 {
            district.push(m("10000003", "CB2"));
        }
        let district = workbook(None, &district);
        let p = upload(s1, &root, "TU", &province);
        assert_eq!(p.status, 200, "{}", p.text());
        let d = upload(s2, &db1, "DB1", &district);
        assert_eq!(d.status, 200, "{}", d.text());
        let (pid, did) = (
            p.json()["upload"]["id"].as_str().expect("id").to_string(),
            d.json()["upload"]["id"].as_str().expect("id").to_string(),
        );
        let (rp, rd) = race(s1, &root, &pid, s2, &db1, &did);
        let statuses = [rp.status, rd.status];
        assert!(
            statuses == [200, 409] || statuses == [409, 200],
            "round {round}: exactly one wins: {statuses:?} {} {}",
            rp.text(),
            rd.text()
        );
        let loser = if rp.status == 409 { &rp } else { &rd };
        assert_eq!(
            loser.json()["error"]["code"],
            "conflict",
            "{}",
            loser.text()
        );
        assert!(loser.text().contains("chưa áp dụng gì"), "{}", loser.text());
        // The database holds exactly the winner's roster.
        if rp.status == 200 {
            wins[0] += 1;
            assert!(
                is_in("10000003", c3) && is_in("10000002", two_now),
                "round {round}"
            );
        } else {
            wins[1] += 1;
            assert!(is_in("10000002", c2), "round {round}");
            assert!(is_in("10000003", if three_in_db1 { "CB2" } else { "CB3" }));
        }
    }
    assert_eq!(
        s1.count("SELECT count(*) FROM roster_changes WHERE NOT whole"),
        6,
        "one change per round: {wins:?}"
    );
    let moved3 = i64::from(is_in("10000003", "CB3"));

    // Subtrees that do not overlap: both apply, at once.
    let cb3 = workbook(
        None,
        &[
            [
                "10000004",
                "Phạm Thị Dung",
                "08/07/1970",
                "CB3",
                "Chính thức",
                "Bí thư",
                "Không",
            ],
            [
                "10000008",
                "Đỗ Văn Hải",
                "01/02/1991",
                "CB3",
                "Chính thức",
                "Đảng viên",
                "Có",
            ],
        ]
        .iter()
        .chain(if moved3 == 1 {
            [[
                "10000003",
                "Lê Văn Cường",
                "04/03/1980",
                "CB3",
                "Dự bị",
                "Đảng viên",
                "Có",
            ]]
            .iter()
        } else {
            [].iter()
        })
        .copied()
        .collect::<Vec<_>>(),
    );
    let cb1 = workbook(
        None,
        &[[
            "10000001",
            "Nguyễn Văn An",
            "02/01/1960",
            "CB1",
            "Chính thức",
            "Bí thư",
            "Không",
        ]],
    );
    let c1 = admin(s1, "CB1");
    let x = upload(s1, &db2, "DB2", &cb3);
    assert_eq!(x.status, 200, "{}", x.text());
    let y = upload(s2, &c1, "CB1", &cb1);
    assert_eq!(y.status, 200, "{}", y.text());
    let (rx, ry) = race(
        s1,
        &db2,
        x.json()["upload"]["id"].as_str().expect("id"),
        s2,
        &c1,
        y.json()["upload"]["id"].as_str().expect("id"),
    );
    assert_eq!(
        (rx.status, ry.status),
        (200, 200),
        "{} {}",
        rx.text(),
        ry.text()
    );
    assert_eq!(
        s1.count("SELECT count(*) FROM members WHERE card_number = '10000008' AND active"),
        1
    );
    assert_eq!(s1.count("SELECT count(*) FROM members WHERE card_number = '10000001' AND smartphone_answered AND NOT smartphone"), 1);
    // Both instances' reports see the roster as it is now.
    let (u1, u2) = (
        usage(s1, &root, "TU", &day(0), &day(0)),
        usage(s2, &root, "TU", &day(0), &day(0)),
    );
    assert_eq!(u1, u2);
    assert_eq!(
        u1["total"]["members"],
        s1.count("SELECT count(*) FROM members WHERE active")
    );
}

#[test]
fn two_admins_applying_at_once_to_overlapping_subtrees_cannot_both_win() {
    let s = start_with(UNITS2, MEMBERS2);
    two_admins_on(&s, &s);
}

#[test]
fn data_quality_view_drill_down_and_the_export_uploaded_back() {
    let units = "code,name,parent_code,kind\nTU,Đảng bộ tỉnh Mẫu,,tinh-uy\nDB1,Đảng bộ huyện A,TU,dang-bo\nCB1,Chi bộ thôn 1,DB1,chi-bo\nCB2,Chi bộ thôn 2,DB1,chi-bo\n";
    // CB2 has no secretary; 10000002 has no smartphone answer and a name in capitals;
    // 10000003 in CB2 has the same name and birth date as 10000001 in CB1.
    let members = "card_number,full_name,birth_date,unit_code,status,role,smartphone\n10000001,Nguyễn Văn An,1960-01-02,CB1,chinh-thuc,bi-thu,co\n10000002,TRẦN THỊ BÌNH,1975-05-06,CB1,chinh-thuc,dang-vien,\n10000003,Nguyễn Văn An,1960-01-02,CB2,chinh-thuc,dang-vien,khong\n";
    let s = start_with(units, members);
    let a = admin(&s, "DB1");
    let q = get_as(&s, &a, "/api/v1/roster/quality");
    assert_eq!(q.status, 200, "{}", q.text());
    let v = q.json();
    assert_eq!(v["unit"]["code"], "DB1");
    let f = &v["total"]["findings"];
    assert_eq!(
        (
            &f["smartphone_missing"],
            &f["name_form"],
            &f["same_name_birth"],
            &f["no_secretary"],
            &f["not_in_cell"]
        ),
        (&json!(1), &json!(1), &json!(2), &json!(1), &json!(0)),
        "{v}"
    );
    assert_eq!(v["total"]["members_to_fix"], 3);
    let cb1 = v["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["unit_code"] == "CB1")
        .expect("CB1");
    assert_eq!(cb1["members_to_fix"], 2);
    // Drill down to a cell: its members and what to fix.
    let cell = get_as(&s, &a, "/api/v1/roster/quality?unit=CB1").json();
    let m2 = cell["members"]
        .as_array()
        .expect("members")
        .iter()
        .find(|m| m["card_number"] == "10000002")
        .expect("m2")
        .clone();
    let kinds: Vec<&str> = m2["findings"]
        .as_array()
        .expect("f")
        .iter()
        .filter_map(|f| f["kind"].as_str())
        .collect();
    assert_eq!(kinds, ["smartphone_missing", "name_form"]);
    assert!(
        m2["findings"][1]["message"]
            .as_str()
            .is_some_and(|m| m.contains("\"Trần Thị Bình\"")),
        "{m2}"
    );
    let cb2 = get_as(&s, &a, "/api/v1/roster/quality?unit=CB2").json();
    assert_eq!(cb2["cell_findings"][0]["kind"], "no_secretary", "{cb2}");
    assert_eq!(get_as(&s, &a, "/api/v1/roster/quality?unit=TU").status, 403);

    // The unit's export, filled in (answer given, name fixed, a secretary for CB2) and
    // uploaded back.
    let x = get_as(&s, &a, "/api/v1/roster/quality.xlsx");
    assert_eq!(x.status, 200, "{}", x.text());
    assert!(x
        .header("content-disposition")
        .is_some_and(|d| d.contains("danh-sach-DB1.xlsx")));
    let (parsed, report) = sotay_sync_server::roster::parse_upload(x.body.clone(), "x.xlsx");
    assert_eq!(report.errors(), 0, "{:?}", report.problems);
    assert_eq!(parsed.expect("parsed").members.items.len(), 3);
    let fixed = workbook(
        Some(&[
            ["DB1", "Đảng bộ huyện A", "TU", "Đảng bộ"],
            ["CB1", "Chi bộ thôn 1", "DB1", "Chi bộ"],
            ["CB2", "Chi bộ thôn 2", "DB1", "Chi bộ"],
        ]),
        &[
            [
                "10000001",
                "Nguyễn Văn An",
                "02/01/1960",
                "CB1",
                "Chính thức",
                "Bí thư",
                "Có",
            ],
            [
                "10000002",
                "Trần Thị Bình",
                "06/05/1975",
                "CB1",
                "Chính thức",
                "Đảng viên",
                "Không",
            ],
            [
                "10000003",
                "Nguyễn Văn An",
                "02/01/1960",
                "CB2",
                "Chính thức",
                "Bí thư",
                "Không",
            ],
        ],
    );
    let up = upload(&s, &a, "DB1", &fixed);
    assert_eq!(up.status, 200, "{}", up.text());
    let up = up.json();
    assert_eq!(up["preview"]["counts"]["changed"], 2, "{up}");
    // The duplicate is still there and said so in the preview's report, at its cell.
    assert!(
        up["report"]["problems"]
            .as_array()
            .expect("p")
            .iter()
            .any(|p| p["place"] == "Đảng viên!B5"
                && p["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("trùng họ tên và ngày sinh"))),
        "{up}"
    );
    let r = apply(&s, &a, up["upload"]["id"].as_str().expect("id"));
    assert_eq!(r.status, 200, "{}", r.text());
    let after = get_as(&s, &a, "/api/v1/roster/quality").json();
    let f = &after["total"]["findings"];
    assert_eq!(
        (
            &f["smartphone_missing"],
            &f["name_form"],
            &f["same_name_birth"],
            &f["no_secretary"]
        ),
        (&json!(0), &json!(0), &json!(2), &json!(0)),
        "{after}"
    );
    // The template, for anyone with a token.
    let t = get_as(&s, &a, "/api/v1/roster/template.xlsx");
    assert_eq!(t.status, 200);
    assert!(t.body.starts_with(b"PK"));
}

/// The same tests with the server on PostgreSQL.
mod postgres {
    use super::common::on_postgres;

    #[test]
    fn a_subtree_update_is_previewed_then_applied_and_moved_members_keep_their_registration() {
        on_postgres(super::a_subtree_update_is_previewed_then_applied_and_moved_members_keep_their_registration)
    }
    #[test]
    fn a_card_or_a_cell_outside_the_subtree_refuses_the_whole_file() {
        on_postgres(super::a_card_or_a_cell_outside_the_subtree_refuses_the_whole_file)
    }
    #[test]
    fn two_admins_applying_at_once_to_overlapping_subtrees_cannot_both_win() {
        on_postgres(super::two_admins_applying_at_once_to_overlapping_subtrees_cannot_both_win)
    }
    /// Two server instances on one database, an admin on each.
    #[test]
    fn two_admins_on_two_instances_cannot_both_win() {
        on_postgres(|| {
            let a = super::common::start_with(super::UNITS2, super::MEMBERS2);
            let b = super::common::second_instance(&a, None);
            super::two_admins_on(&a, &b);
        })
    }
    #[test]
    fn data_quality_view_drill_down_and_the_export_uploaded_back() {
        on_postgres(super::data_quality_view_drill_down_and_the_export_uploaded_back)
    }
}
