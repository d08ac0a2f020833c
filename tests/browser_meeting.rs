//! A cell meeting end to end, in real headless Chromium against `sotay server`: the secretary
//! schedules it (the phone's calendar gets an .ics), a member sees the schedule and marks the
//! material read, the secretary goes offline, runs the meeting with the attendance list and
//! records it (through the outbox, saying so); back online it is stored once; the cell's
//! member sees the record, another cell's member does not. Then the printed packet: printed to
//! PDF by Chromium and read back with `pdftotext` (poppler-utils): A4, large type, the agenda,
//! the documents and the attendance sheet with the cell's names. Screenshots (360×740 and
//! 1280×800) are kept in target/test-artifacts/meeting/.

mod common;

use std::process::Command;

const UNITS: &str = "code,name,parent_code,kind\nTU,Tỉnh,,tinh-uy\nCB1,Chi bộ thôn Đông,TU,chi-bo-co-so\nCB2,Chi bộ thôn Tây,TU,chi-bo-co-so\n";
const MEMBERS: &str = "card_number,full_name,birth_date,unit_code,status,role,smartphone
30000001,Phạm Thị Thu,1968-09-02,CB1,chinh-thuc,bi-thu,co
30000002,Nguyễn Văn Hùng,1970-01-15,CB1,chinh-thuc,dang-vien,co
30000003,Lê Thị Lan,1948-03-08,CB1,chinh-thuc,dang-vien,khong
30000004,Trần Văn Minh,1985-07-20,CB2,chinh-thuc,dang-vien,co
";

fn run(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{cmd:?}: {e} (poppler-utils is installed by .ci/run)"));
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_cell_meeting_from_schedule_to_record_and_the_printed_packet() {
    // Material for this month (Vietnam's), whatever month the test runs in.
    let month = &sotay_sync_server::model::format_date(sotay_sync_server::model::today_vn())[..7];
    let extra = format!("---\ntitle: \"Thông tin thời sự tháng này (kiểm thử)\"\nkind: tai-lieu-sinh-hoat\nissued: 2026-11-20\nmeeting: {month}\nweight: 9\nsummary: Tài liệu thêm cho phép thử.\n---\n\nNội dung thời sự của tháng, để chi bộ thảo luận.\n");
    let site = common::roster_site(
        &[("content/sinh-hoat-chi-bo/kiem-thu-thang-nay.md", &extra)],
        UNITS,
        MEMBERS,
    );
    let admin = common::admin_token(&site.db, "TU");
    let server = common::SotayServer::start(&site.out, &site.db, &[]);
    let addr = server.addr.clone();
    let shots = common::repo().join("target/test-artifacts/meeting");
    std::fs::create_dir_all(&shots).expect("artifacts");
    let r = common::node(
        "meeting.mjs",
        &[
            &format!("http://{addr}"),
            month,
            shots.to_str().expect("utf-8"),
            &admin,
        ],
    );
    drop(server);

    let text = |k: &str| r[k].as_str().unwrap_or("").to_string();
    assert_eq!(
        r["problems"].as_array().map(Vec::len),
        Some(0),
        "no script errors or CSP violations: {r}"
    );
    let vi_today = text("viToday");
    // The schedule, on the material and on a member's home page; the calendar file.
    assert!(
        text("scheduled").contains("tại Nhà văn hóa thôn Đông"),
        "{r}"
    );
    assert!(text("homeSchedule").contains("19:30"), "{r}");
    let ics = text("ics");
    assert!(
        ics.starts_with("BEGIN:VCALENDAR\r\n") && ics.contains("\r\nBEGIN:VEVENT\r\n"),
        "{ics}"
    );
    let today = text("today");
    // 19:30 in Vietnam is 12:30 UTC.
    let start = format!("DTSTART:{}T123000Z", today.replace('-', ""));
    assert!(ics.contains(&start), "{start} in {ics}");
    assert!(ics.contains("LOCATION:Nhà văn hóa thôn Đông"), "{ics}");
    assert_eq!(text("icsName"), format!("sinh-hoat-chi-bo-{month}.ics"));
    // A member has no meeting tools, only "read".
    let member_buttons = r["memberButtons"].to_string();
    assert!(
        member_buttons.contains("Tôi đã đọc") && !member_buttons.contains("Bắt đầu"),
        "{member_buttons}"
    );

    // Offline: the meeting screen says so, has the agenda (documents open offline) and the
    // whole cell, with who read and who has no smartphone.
    assert!(text("offlineNote").contains("không có mạng"), "{r}");
    let docs = r["docs"].as_array().expect("docs");
    assert_eq!(
        r["agenda"].as_array().map(Vec::len),
        Some(docs.len()),
        "{r}"
    );
    let last = docs.last().expect("a document");
    assert_eq!(
        text("agendaTitle").trim(),
        last["title"].as_str().unwrap_or("")
    );
    let att: Vec<String> = r["attendance"]
        .as_array()
        .expect("attendance")
        .iter()
        .map(|x| x.as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(att.len(), 3, "{att:?}");
    assert!(
        att.iter()
            .any(|a| a.starts_with("Nguyễn Văn Hùng") && a.contains("đã đọc tài liệu")),
        "{att:?}"
    );
    assert!(
        att.iter()
            .any(|a| a.starts_with("Lê Thị Lan") && a.contains("không dùng điện thoại")),
        "{att:?}"
    );
    assert!(
        att.iter()
            .any(|a| a.starts_with("Phạm Thị Thu") && !a.contains("đã đọc")),
        "{att:?}"
    );
    assert!(
        att.iter()
            .all(|a| a.contains("Có mặt") && a.contains("Vắng có lý do")),
        "{att:?}"
    );
    assert_eq!(text("tally"), "Có mặt 2/3 · Vắng có lý do 1 · Vắng 0");
    assert_eq!(
        text("keptTally"),
        text("tally"),
        "a reload keeps the attendance"
    );
    let offline_done = text("offlineDone");
    assert!(
        offline_done.contains(&format!(
            "Chi bộ đã sinh hoạt ngày {vi_today}, 2/3 đảng viên dự"
        )) && offline_done.contains("sẽ gửi khi có mạng"),
        "{offline_done}"
    );
    assert!(
        text("offlineStatus").contains("lưu kết quả sinh hoạt trên máy"),
        "{r}"
    );
    assert_eq!(
        r["before"]["meeting"],
        serde_json::Value::Null,
        "nothing reached the server offline"
    );

    // Back online: stored once; the form gives way to the record, also after a reload.
    let want = format!("Chi bộ đã sinh hoạt ngày {vi_today}, 2/3 đảng viên dự.");
    assert!(text("onlineDone").contains(&want), "{r}");
    assert!(text("afterReload").contains(&want), "{r}");
    assert!(r["secButtons"].to_string().contains("Sửa kết quả"), "{r}");
    let conn = rusqlite::Connection::open(site.root.path().join("db.sqlite")).expect("db");
    let rows: Vec<(String, String, i64, i64, i64, String, String)> = conn
        .prepare("SELECT unit_code, month, present, excused, members, present_cards, recorded_by FROM meetings")
        .expect("q")
        .query_map([], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?, row.get(5)?, row.get(6)?))
        })
        .expect("q")
        .map(|x| x.expect("row"))
        .collect();
    assert_eq!(
        rows,
        [(
            "CB1".to_string(),
            month.to_string(),
            2,
            1,
            3,
            "[\"30000001\",\"30000002\"]".to_string(),
            "30000001".to_string()
        )],
        "one record"
    );
    let schedules: i64 = conn
        .query_row("SELECT count(*) FROM meeting_schedules", [], |row| {
            row.get(0)
        })
        .expect("q");
    assert_eq!(schedules, 1);
    let reads: i64 = conn
        .query_row(
            "SELECT count(*) FROM doc_reads WHERE card_number = '30000002'",
            [],
            |row| row.get(0),
        )
        .expect("q");
    assert!(
        reads >= docs.len() as i64,
        "Hùng's marking sent a read per document"
    );

    // The cell's member sees the record instead of the form; another cell sees none of it.
    assert!(text("memberHome").contains(&want), "{r}");
    let after = r["memberAfter"].to_string();
    assert!(
        !after.contains("Tôi đã đọc") && !after.contains("Bắt đầu"),
        "{after}"
    );
    let other = text("otherCell");
    assert!(
        !other.contains("Nhà văn hóa thôn Đông") && !other.contains("đã sinh hoạt"),
        "{other}"
    );
    assert!(other.contains("chưa có lịch sinh hoạt"), "{other}");

    // The printed packet.
    let pdf = text("pdf");
    let info = run(Command::new("pdfinfo").arg(&pdf));
    assert!(info.contains("(A4)"), "A4: {info}");
    let txt = run(Command::new("pdftotext").args(["-layout", &pdf, "-"]));
    let flat = txt.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains("CHI BỘ THÔN ĐÔNG") || flat.contains("Chi bộ thôn Đông"),
        "{flat}"
    );
    assert!(flat.contains("Chương trình sinh hoạt"), "{flat}");
    assert!(flat.contains("Danh sách đảng viên dự sinh hoạt"), "{flat}");
    for d in docs {
        let t = d["title"].as_str().unwrap_or("");
        assert!(
            flat.matches(t).count() >= 2,
            "{t} in the agenda and as a document: {flat}"
        );
    }
    assert!(
        flat.contains("Nội dung thời sự của tháng, để chi bộ thảo luận."),
        "{flat}"
    );
    for name in ["Phạm Thị Thu", "Nguyễn Văn Hùng", "Lê Thị Lan"] {
        assert!(
            flat.contains(name),
            "{name} on the attendance sheet: {flat}"
        );
    }
    assert!(
        !flat.contains("Trần Văn Minh"),
        "another cell's member is not on the sheet"
    );
    assert!(flat.contains("Tài liệu mẫu"), "the sample mark is printed");
    assert!(
        !flat.contains("Tìm kiếm") && !flat.contains("Đọc sau"),
        "no site chrome in print: {flat}"
    );
    // Large type: the body text's words are at least 14 pt tall (pdftotext's word boxes).
    let boxes = run(Command::new("pdftotext").args(["-bbox", &pdf, "-"]));
    let mut heights: Vec<f64> = boxes
        .lines()
        .filter(|l| l.trim_start().starts_with("<word "))
        .filter_map(|l| {
            let num = |k: &str| -> Option<f64> {
                let i = l.find(&format!("{k}=\""))? + k.len() + 2;
                l[i..].split('"').next()?.parse().ok()
            };
            Some(num("yMax")? - num("yMin")?)
        })
        .collect();
    assert!(heights.len() > 200, "{} words", heights.len());
    heights.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    let median = heights[heights.len() / 2];
    assert!(
        median >= 14.0,
        "median word height {median:.1} pt: not large type"
    );
    let pages: usize = info
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0);
    assert!(
        pages >= 2 + docs.len(),
        "agenda, each document and the sheet on pages of their own: {pages}"
    );
    // The dashboard: per cell, the meeting counted once with its attendance; the year's grid
    // has this month for CB1 and nothing for CB2.
    let d = &r["dashboard"];
    let head: Vec<&str> = d["head"]
        .as_array()
        .expect("head")
        .iter()
        .map(|h| h.as_str().unwrap_or(""))
        .collect();
    // A header is its name and what it counts ("Dự sinh hoạt %" is behind "Thêm cột").
    let col = |name: &str| {
        head.iter()
            .position(|h| h.starts_with(name))
            .unwrap_or_else(|| panic!("{name} in {head:?}"))
    };
    let (met, att) = (
        col("Chi bộ sinh hoạt có dùng sổ tay"),
        col("Dự sinh hoạt %"),
    );
    let rows = d["rows"].as_array().expect("rows");
    let row = |unit: &str| -> Vec<String> {
        rows.iter()
            .map(|r| {
                r.as_array()
                    .expect("row")
                    .iter()
                    .map(|c| c.as_str().unwrap_or("").to_string())
                    .collect::<Vec<_>>()
            })
            .find(|r| r[0] == unit)
            .unwrap_or_else(|| panic!("{unit} in {rows:?}"))
    };
    assert_eq!(
        (
            row("Chi bộ thôn Đông")[met].as_str(),
            row("Chi bộ thôn Đông")[att].as_str()
        ),
        ("1/1 (100,0%)", "66,7%"),
        "{d}"
    );
    assert_eq!(
        (
            row("Chi bộ thôn Tây")[met].as_str(),
            row("Chi bộ thôn Tây")[att].as_str()
        ),
        ("0/1 (0,0%)", "—"),
        "{d}"
    );
    let m: usize = month[5..].parse().expect("month");
    let year = d["year"].as_array().expect("year");
    let grid = |unit: &str| -> Vec<String> {
        year.iter()
            .map(|r| {
                r.as_array()
                    .expect("row")
                    .iter()
                    .map(|c| c.as_str().unwrap_or("").to_string())
                    .collect::<Vec<_>>()
            })
            .find(|r| r[0] == unit)
            .unwrap_or_else(|| panic!("{unit} in {year:?}"))
    };
    let east = grid("Chi bộ thôn Đông");
    assert_eq!(east[m], "✓", "{east:?}");
    assert_eq!(east.iter().filter(|c| *c == "✓").count(), 1, "{east:?}");
    assert!(grid("Chi bộ thôn Tây").iter().all(|c| c != "✓"), "{year:?}");
    for s in r["shots"].as_array().expect("shots") {
        assert!(
            std::path::Path::new(s.as_str().unwrap_or("")).exists(),
            "{s}"
        );
    }
}
