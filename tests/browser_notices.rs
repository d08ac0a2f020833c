//! Notices from committees end to end: `sotay notice post` (and what it refuses), then real
//! headless Chromium against `sotay server` (tests/browser/notices.mjs): a notice posted while
//! the phone is online appears with an unread badge; asked again, the server answers 304; the
//! phone goes offline and still opens it, its body shown as text (HTML as written, links only to
//! the handbook's pages); reading it offline is counted once after the phone is back online;
//! the member's reply reaches the committee; a withdrawn notice leaves the phone; another
//! cell's member never sees it. The committee's page shows the notice's reach per unit and the
//! reply, refuses a bad notice, sends one and withdraws one. Screenshots (360×740, 1280×800) are
//! kept in target/test-artifacts/notices/.

mod common;

const UNITS: &str = "code,name,parent_code,kind\nTU,Tỉnh,,tinh-uy\nCB1,Chi bộ thôn Đông,TU,chi-bo-co-so\nCB2,Chi bộ thôn Tây,TU,chi-bo-co-so\n";
const MEMBERS: &str = "card_number,full_name,birth_date,unit_code,status,role,smartphone
30000001,Phạm Thị Thu,1968-09-02,CB1,chinh-thuc,bi-thu,co
30000002,Nguyễn Văn Hùng,1970-01-15,CB1,chinh-thuc,dang-vien,co
30000004,Trần Văn Minh,1985-07-20,CB2,chinh-thuc,dang-vien,co
";

#[test]
fn a_notice_reaches_the_phone_and_is_read_offline() {
    let site = common::roster_site(&[], UNITS, MEMBERS);
    let (root, out, db) = (&site.root, &site.out, &site.db);
    let admin = common::admin_token(db, "TU");

    // What the command line refuses: no text, too much text, a past day, an unknown unit,
    // missing arguments — each with a message, nothing stored.
    let body = root.path().join("body.txt");
    let post = |unit: &str, extra: &[&str]| {
        let mut a = vec![
            "notice",
            "post",
            "--unit",
            unit,
            "--title",
            "Thông báo",
            "--body-file",
            body.to_str().expect("utf-8"),
            "--db",
            db,
        ];
        a.extend_from_slice(extra);
        common::sotay(&a)
    };
    std::fs::write(&body, " \n\n ").expect("w");
    let r = post("CB1", &[]);
    assert_eq!(r.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&r.stderr).contains("Cần nội dung"),
        "{r:?}"
    );
    std::fs::write(&body, "ạ".repeat(20_000)).expect("w");
    let r = post("CB1", &[]);
    assert_eq!(r.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&r.stderr).contains("tối đa 5000"),
        "{r:?}"
    );
    std::fs::write(&body, "Nội dung").expect("w");
    let r = post("CB1", &["--expires-on", "2020-01-01"]);
    assert_eq!(r.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&r.stderr).contains("đã qua"),
        "{r:?}"
    );
    let r = post("KHONGCO", &[]);
    assert_eq!(r.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&r.stderr).contains("no unit KHONGCO"),
        "{r:?}"
    );
    let r = common::sotay(&["notice", "post", "--unit", "CB1", "--db", db]);
    assert_eq!(r.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&r.stderr).contains("--title"),
        "{r:?}"
    );
    let r = common::sotay(&[
        "notice",
        "withdraw",
        "0190f0a0-0000-7000-8000-000000000001",
        "--db",
        db,
    ]);
    assert_eq!(r.status.code(), Some(1));
    let conn = rusqlite::Connection::open(root.path().join("db.sqlite")).expect("db");
    let count = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).expect(sql) };
    assert_eq!(count("SELECT count(*) FROM notices"), 0);

    let server = common::SotayServer::start(out, db, &[]);
    let addr = server.addr.clone();
    let shots = common::repo().join("target/test-artifacts/notices");
    std::fs::create_dir_all(&shots).expect("artifacts");
    let r = common::node(
        "notices.mjs",
        &[
            &format!("http://{addr}"),
            env!("CARGO_BIN_EXE_sotay"),
            db,
            &admin,
            shots.to_str().expect("utf-8"),
        ],
    );
    drop(server);

    let text = |k: &str| r[k].as_str().unwrap_or("").to_string();
    assert_eq!(
        r["problems"].as_array().map(Vec::len),
        Some(0),
        "no script errors or CSP violations: {r}"
    );
    assert_eq!(r["english"], serde_json::Value::Null, "{r}");
    // Before any notice: the link, no count. After: one unread, said in words too.
    assert_eq!(r["before"]["count"], "", "{r}");
    assert_eq!(r["online"]["count"], "1", "{r}");
    assert!(
        r["online"]["label"]
            .as_str()
            .is_some_and(|l| l.contains("1 thông báo chưa đọc")),
        "{r}"
    );
    assert_eq!(r["otherStatus"], 201);
    // The first answer carried the notice; asked again, 304.
    let statuses: Vec<u64> = r["statuses"]
        .as_array()
        .expect("statuses")
        .iter()
        .filter_map(|s| s.as_u64())
        .collect();
    assert_eq!(statuses.first(), Some(&200), "{statuses:?}");
    assert_eq!(statuses.last(), Some(&304), "{statuses:?}");
    // Offline: the list (only the cell's own notice) and the notice itself.
    let list = r["list"].to_string();
    assert!(
        list.contains("Họp chi bộ bất thường") && list.contains("Chưa đọc"),
        "{list}"
    );
    assert!(!list.contains("thôn Tây"), "{list}");
    let view = &r["view"];
    assert_eq!(view["title"], "Họp chi bộ bất thường");
    assert!(
        view["meta"]
            .as_str()
            .is_some_and(|m| m.starts_with("Chi bộ thôn Đông")),
        "{view}"
    );
    let shown = view["text"].as_str().unwrap_or("");
    assert!(
        shown.contains("tại <b>Nhà văn hóa</b> <script>alert(1)</script>."),
        "HTML shown as text: {shown}"
    );
    assert!(shown.contains("http://evil.example/x"), "{shown}");
    let elements: Vec<&str> = view["elements"]
        .as_array()
        .expect("elements")
        .iter()
        .filter_map(|e| e.as_str())
        .collect();
    assert!(
        elements.iter().all(|e| *e == "p" || *e == "a"),
        "only paragraphs and links: {elements:?}"
    );
    assert_eq!(
        view["links"],
        serde_json::json!([format!("http://{addr}/dieu-le/")]),
        "{view}"
    );
    assert_eq!(view["lines"], 4, "a paragraph per line: {view}");
    assert_eq!(r["queuedOffline"], 1, "opened twice, queued once: {r}");
    assert_eq!(r["offlineBadge"]["count"], "", "read on the phone: {r}");
    // The server heard of the reading only once the phone was back online, and counts it once.
    assert_eq!(r["serverOffline"]["read"], 0, "{r}");
    assert_eq!(r["serverOnline"]["read"], 1, "{r}");
    assert_eq!(r["serverOnline"]["recipients"], 2, "{r}");
    assert_eq!(
        count("SELECT count(*) FROM events WHERE type = 'notice_read'"),
        1,
        "one event: opened three times on the phone"
    );
    assert_eq!(count("SELECT count(*) FROM notice_reads"), 1);
    // The reply, and the other cell's member.
    assert_eq!(
        r["replies"][0]["text"], "Đề nghị chi bộ chuẩn bị thêm ghế.",
        "{r}"
    );
    assert_eq!(r["replies"][0]["full_name"], "Phạm Thị Thu");
    assert_eq!(
        r["minhList"],
        serde_json::json!(["Chỉ cho thôn Tây"]),
        "{r}"
    );
    // The committee's page: the notice's reach (1 of the cell's 2), per unit, the reply.
    assert_eq!(r["dashEnglish"], serde_json::Value::Null, "{r}");
    let card = &r["card"];
    assert_eq!(card["reach"], "Đã đọc: 1/2 đảng viên (50.0%)", "{r}");
    assert_eq!(
        card["rows"],
        serde_json::json!([["Chi bộ thôn Đông", "2", "1", "50.0"]]),
        "{r}"
    );
    assert_eq!(card["state"], "Đang hiển thị");
    assert_eq!(card["html"], 0, "the body is text on the dashboard too");
    assert!(
        card["text"]
            .as_str()
            .is_some_and(|t| t.contains("<script>alert(1)</script>")),
        "{r}"
    );
    assert!(
        text("replyShown").contains("Phạm Thị Thu") && text("replyShown").contains("thêm ghế"),
        "{r}"
    );
    assert_eq!(r["units"], serde_json::json!(["TU", "CB1", "CB2"]), "{r}");
    assert!(text("refused").contains("Cần tiêu đề"), "{r}");
    assert!(text("sent").contains("Lịch họp tháng"), "{r}");
    assert!(
        r["dashWide"].as_u64().is_some_and(|w| w <= 360),
        "no sideways scrolling at 360: {r}"
    );
    // Withdrawn from the dashboard: gone from the phone; the new one arrived.
    assert_eq!(
        r["afterWithdraw"],
        serde_json::json!(["Lịch họp tháng"]),
        "{r}"
    );
    assert_eq!(
        count("SELECT count(*) FROM notices WHERE withdrawn_at IS NOT NULL"),
        1
    );
    assert_eq!(r["posted"]["unit"]["code"], "CB1");
}
