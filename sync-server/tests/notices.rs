//! Notices from committees against a real server (DESIGN.md, "Notices"): who may post and
//! withdraw (scope: 403 outside it, 401 without a token), bad input refused and never stored,
//! HTML kept as text, what each member receives (the units on their path only, newest first,
//! not withdrawn, not expired), conditional requests (`304` when nothing changed), the
//! `notice_read` event (on the path only, counted once per member however often it comes),
//! replies ("góp ý"), and the report held to a hand count, per child unit and in every admin's
//! scope. Every test runs on SQLite and on PostgreSQL; two instances on one PostgreSQL database
//! agree.

mod common;
use common::*;
use serde_json::{json, Value};

const UNITS3: &str = "code,name,parent_code,kind
TU,Đảng bộ tỉnh Mẫu,,tinh-uy
DB1,Đảng bộ huyện A,TU,dang-bo
CB1,Chi bộ thôn 1,DB1,chi-bo
CB2,Chi bộ thôn 2,DB1,chi-bo
DB2,Đảng bộ huyện B,TU,dang-bo
CB3,Chi bộ thôn 3,DB2,chi-bo
";

const MEMBERS3: &str = "card_number,full_name,birth_date,unit_code,status,role
10000001,Nguyễn Văn An,1960-01-02,CB1,chinh-thuc,bi-thu
10000002,Trần Thị Bình,1975-05-06,CB1,chinh-thuc,dang-vien
10000004,Đỗ Văn Dũng,1970-04-04,CB1,chinh-thuc,dang-vien
10000003,Lê Văn Cường,1980-03-04,CB2,du-bi,dang-vien
10000007,Vũ Thị Giang,1966-07-07,CB3,chinh-thuc,bi-thu
10000008,Hồ Văn Hải,1958-08-08,CB3,chinh-thuc,dang-vien
";

fn reg(s: &Server, card: &str) -> String {
    registered(s, MEMBERS3, card)
}

fn today() -> time::Date {
    sotay_sync_server::model::today_vn()
}

fn ymd(d: time::Date) -> String {
    sotay_sync_server::model::format_date(d)
}

/// Posts a notice; returns its id.
fn post(s: &Server, admin: &str, body: Value) -> String {
    let r = call(s, "POST", "/api/v1/notices", Some(admin), &body);
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()["notice"]["id"].as_str().expect("id").to_string()
}

/// The titles a member's phone receives, in order.
fn titles(s: &Server, member: &str) -> Vec<String> {
    let r = call(s, "GET", "/api/v1/notices", Some(member), &Value::Null);
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["notices"]
        .as_array()
        .expect("notices")
        .iter()
        .map(|n| n["title"].as_str().unwrap_or("").to_string())
        .collect()
}

fn notice_event(id: &str, notice: &str) -> Value {
    json!({"id": id, "type": "notice_read", "notice": notice, "at": now_rfc3339()})
}

/// Sends events; returns each one's status.
fn send(s: &Server, member: &str, events: Vec<Value>) -> Vec<String> {
    let r = post_json(
        s.addr,
        "/api/v1/events",
        Some(member),
        &json!({ "events": events }),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|x| x["status"].as_str().unwrap_or("").to_string())
        .collect()
}

fn report(s: &Server, admin: &str, query: &str) -> Reply {
    call(
        s,
        "GET",
        &format!("/api/v1/reports/notices{query}"),
        Some(admin),
        &Value::Null,
    )
}

/// The notice `id` of a report.
fn entry(r: &Reply, id: &str) -> Value {
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["notices"]
        .as_array()
        .expect("notices")
        .iter()
        .find(|n| n["id"] == id)
        .cloned()
        .unwrap_or_else(|| panic!("{id} not in {}", r.text()))
}

/// (code, recipients, read) per child unit of a report entry.
fn per_unit(n: &Value) -> Vec<(String, u64, u64)> {
    n["units"]
        .as_array()
        .expect("units")
        .iter()
        .map(|u| {
            (
                u["code"].as_str().unwrap_or("").to_string(),
                u["recipients"].as_u64().unwrap_or(99),
                u["read"].as_u64().unwrap_or(99),
            )
        })
        .collect()
}

/// Runs SQL on the server's database (for what the API cannot do: a notice whose day passed).
fn exec(s: &Server, sql: &str) {
    match &s.pg {
        Some(pg) => {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("rt");
            let (c, conn) = rt
                .block_on(tokio_postgres::connect(&pg.url, tokio_postgres::NoTls))
                .expect("connect");
            rt.spawn(conn);
            rt.block_on(c.batch_execute(sql)).expect(sql);
        }
        None => {
            rusqlite::Connection::open(s.dir.path().join("db.sqlite"))
                .expect("db")
                .execute_batch(sql)
                .expect(sql);
        }
    }
}

fn uuid(n: u32) -> String {
    format!("0190f0a0-0000-7000-8000-{n:012}")
}

#[test]
fn every_rule_on_sqlite() {
    every_rule();
}

#[test]
fn every_rule_on_postgres() {
    on_postgres(every_rule);
}

fn every_rule() {
    let s = start_with(UNITS3, MEMBERS3);
    let tu = admin(&s, "TU");
    let db1 = admin(&s, "DB1");
    let db2 = admin(&s, "DB2");
    let cb1 = admin(&s, "CB1");
    let an = reg(&s, "10000001");
    let binh = reg(&s, "10000002");
    let cuong = reg(&s, "10000003");
    let giang = reg(&s, "10000007");
    let notices_before = s.count("SELECT count(*) FROM notices");

    // Who may post: an admin token, to its unit or below; outside the scope (or a unit that
    // does not exist) 403; no token or a member's token 401.
    let ok = json!({"title": "Họp", "body": "Nội dung", "unit": "CB3"});
    let r = call(&s, "POST", "/api/v1/notices", Some(&db1), &ok);
    assert_eq!(
        (r.status, code(&r)),
        (403, "forbidden".into()),
        "{}",
        r.text()
    );
    let r = call(
        &s,
        "POST",
        "/api/v1/notices",
        Some(&cb1),
        &json!({"title": "Họp", "body": "x", "unit": "DB1"}),
    );
    assert_eq!(r.status, 403, "a cell's admin cannot post to its district");
    let r = call(
        &s,
        "POST",
        "/api/v1/notices",
        Some(&tu),
        &json!({"title": "Họp", "body": "x", "unit": "KHONGCO"}),
    );
    assert_eq!(
        r.status, 403,
        "an unknown unit is answered like one outside"
    );
    assert_eq!(call(&s, "POST", "/api/v1/notices", None, &ok).status, 401);
    assert_eq!(
        call(&s, "POST", "/api/v1/notices", Some(&binh), &ok).status,
        401
    );
    let fake = format!("a_{}", "0".repeat(64));
    assert_eq!(
        call(&s, "POST", "/api/v1/notices", Some(&fake), &ok).status,
        401
    );

    // Bad input: a JSON error in Vietnamese, nothing stored.
    let yesterday = ymd(today().previous_day().expect("d"));
    for (body, want) in [
        (json!({"title": "", "body": "x"}), "invalid_title"),
        (json!({"body": "x"}), "invalid_title"),
        (json!({"title": "Họp", "body": ""}), "invalid_body"),
        (json!({"title": "Họp", "body": " \n \n"}), "invalid_body"),
        (
            json!({"title": "Họp", "body": "ạ".repeat(20_000)}),
            "invalid_body",
        ),
        (
            json!({"title": "Họp", "body": "x", "expires_on": yesterday}),
            "expired",
        ),
        (
            json!({"title": "Họp", "body": "x", "expires_on": "31/12/2026"}),
            "invalid_expires_on",
        ),
        (
            json!({"title": "Họp", "body": "x", "unit": "a b"}),
            "invalid_unit",
        ),
        (json!([1, 2]), "invalid_request"),
    ] {
        let r = call(&s, "POST", "/api/v1/notices", Some(&tu), &body);
        assert_eq!((r.status, code(&r)), (400, want.to_string()), "{body}");
        let msg = r.json()["error"]["message"]
            .as_str()
            .unwrap_or("")
            .to_string();
        assert!(
            msg.chars()
                .any(|c| "ảạắằẳẵặấầẩẫậđẻẽẹếềểễệỉịỏọốồổỗộớờởỡợủụứừửữựỳỷỹỵ".contains(c)),
            "a Vietnamese message: {msg}"
        );
    }
    let r = request(
        s.addr,
        "POST",
        "/api/v1/notices",
        &[("authorization", &format!("Bearer {tu}"))],
        b"{not json",
    );
    assert_eq!((r.status, code(&r)), (400, "invalid_json".into()));
    assert_eq!(s.count("SELECT count(*) FROM notices"), notices_before);

    // Four notices: the province's (HTML and line breaks in the body: text, stored as given),
    // the district's (its last day today), the other district's, the cell's.
    let html = "Kính gửi các đồng chí,\n<b>Họp</b> lúc 7:30 <script>alert(1)</script>\nXem /dieu-le/ trước.";
    let r = call(
        &s,
        "POST",
        "/api/v1/notices",
        Some(&tu),
        &json!({"title": "  Thông báo   của Tỉnh ủy ", "body": html}),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let n1v = r.json()["notice"].clone();
    let n1 = n1v["id"].as_str().expect("id").to_string();
    assert_eq!(n1v["title"], "Thông báo của Tỉnh ủy");
    assert_eq!(n1v["body"], html, "HTML is kept as text, exactly");
    assert_eq!(
        n1v["unit"],
        json!({"code": "TU", "name": "Đảng bộ tỉnh Mẫu"})
    );
    assert_eq!(n1v["expires_on"], Value::Null);
    assert!(n1v["created_at"]
        .as_str()
        .is_some_and(|t| t.ends_with("+07:00")));
    let n2 = post(
        &s,
        &db1,
        json!({"title": "Huyện A", "body": "Hạn hôm nay", "expires_on": ymd(today())}),
    );
    let n3 = post(&s, &db2, json!({"title": "Huyện B", "body": "Chỉ huyện B"}));
    let n4 = post(
        &s,
        &cb1,
        json!({"title": "Chi bộ 1", "body": "Sinh hoạt tối thứ Năm", "unit": "CB1"}),
    );

    // Each member receives the notices of the units on their path, newest first; a member of
    // another subtree never sees one.
    assert_eq!(
        titles(&s, &binh),
        ["Chi bộ 1", "Huyện A", "Thông báo của Tỉnh ủy"]
    );
    assert_eq!(titles(&s, &cuong), ["Huyện A", "Thông báo của Tỉnh ủy"]);
    assert_eq!(titles(&s, &giang), ["Huyện B", "Thông báo của Tỉnh ủy"]);
    let r = call(&s, "GET", "/api/v1/notices", Some(&binh), &Value::Null);
    let first = r.json();
    assert_eq!(first["notices"][2]["body"], html);
    assert_eq!(first["notices"][2]["read"], false);
    assert_eq!(
        call(&s, "GET", "/api/v1/notices", None, &Value::Null).status,
        401
    );
    assert_eq!(
        call(&s, "GET", "/api/v1/notices", Some(&tu), &Value::Null).status,
        401
    );

    // Conditional requests: the same answer is not sent again.
    let tag = r.header("etag").expect("etag").to_string();
    assert!(r
        .header("cache-control")
        .is_some_and(|c| c.contains("no-cache")));
    let again = request(
        s.addr,
        "GET",
        "/api/v1/notices",
        &[
            ("authorization", &format!("Bearer {binh}")),
            ("if-none-match", &tag),
        ],
        b"",
    );
    assert_eq!(again.status, 304, "{}", again.text());
    assert!(again.body.is_empty());
    assert_eq!(again.header("etag"), Some(tag.as_str()));
    // Another member's answer differs, so their tag does not match this one's.
    let other = request(
        s.addr,
        "GET",
        "/api/v1/notices",
        &[
            ("authorization", &format!("Bearer {giang}")),
            ("if-none-match", &tag),
        ],
        b"",
    );
    assert_eq!(other.status, 200);

    // Reading: only a notice on the member's path; reading again is a new event, not a new
    // reader; the same event again is a duplicate.
    let st = send(
        &s,
        &binh,
        vec![
            notice_event(&uuid(1), &n1),
            notice_event(&uuid(2), &n3),
            notice_event(&uuid(3), "0190f0a0-0000-7000-8000-999999999999"),
            json!({"id": uuid(4), "type": "notice_read", "at": now_rfc3339()}),
            json!({"id": uuid(5), "type": "notice_read", "notice": n1, "doc": "dieu-le", "at": now_rfc3339()}),
            json!({"id": uuid(6), "type": "view", "notice": n1, "doc": "dieu-le", "at": now_rfc3339()}),
            notice_event(&uuid(7), &n1),
        ],
    );
    assert_eq!(
        st,
        ["stored", "rejected", "rejected", "rejected", "rejected", "rejected", "stored"]
    );
    assert_eq!(
        send(&s, &binh, vec![notice_event(&uuid(1), &n1)]),
        ["duplicate"]
    );
    // After the change, the tag no longer matches: the phone gets the new answer.
    let r = request(
        s.addr,
        "GET",
        "/api/v1/notices",
        &[
            ("authorization", &format!("Bearer {binh}")),
            ("if-none-match", &tag),
        ],
        b"",
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["notices"][2]["read"], true);
    assert_eq!(r.json()["notices"][1]["read"], false);
    // More readers: An twice (two phones' worth of events), Cường, Giang. Hand count of N1:
    // Bình, An, Cường in DB1 (CB1: 2 of 3, CB2: 1 of 1), Giang in DB2 (1 of 2): 4 of 6.
    assert_eq!(
        send(
            &s,
            &an,
            vec![
                notice_event(&uuid(10), &n1),
                notice_event(&uuid(11), &n1),
                notice_event(&uuid(12), &n4)
            ]
        ),
        ["stored", "stored", "stored"]
    );
    assert_eq!(
        send(
            &s,
            &cuong,
            vec![notice_event(&uuid(20), &n1), notice_event(&uuid(21), &n2)]
        ),
        ["stored", "stored"]
    );
    assert_eq!(
        send(
            &s,
            &giang,
            vec![notice_event(&uuid(30), &n1), notice_event(&uuid(31), &n3)]
        ),
        ["stored", "stored"]
    );
    assert_eq!(s.count("SELECT count(*) FROM notice_reads"), 7);

    // A reply ("góp ý") to a notice, beside the comments on documents.
    assert_eq!(
        send(
            &s,
            &binh,
            vec![
                json!({"id": uuid(40), "type": "feedback", "notice": n1, "text": "Đề nghị dời sang 8 giờ.", "at": now_rfc3339()}),
                json!({"id": uuid(41), "type": "feedback", "notice": n3, "text": "x", "at": now_rfc3339()}),
                json!({"id": uuid(42), "type": "feedback", "doc": "dieu-le", "text": "Rõ ràng.", "at": now_rfc3339()}),
            ]
        ),
        ["stored", "rejected", "stored"]
    );

    // The report at the root: every notice, newest first, with its reach per district.
    let r = report(&s, &tu, "");
    let list: Vec<String> = r.json()["notices"]
        .as_array()
        .expect("notices")
        .iter()
        .map(|n| n["id"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(list, [n4.clone(), n3.clone(), n2.clone(), n1.clone()]);
    let e1 = entry(&r, &n1);
    assert_eq!(
        (e1["recipients"].as_u64(), e1["read"].as_u64()),
        (Some(6), Some(4))
    );
    assert_eq!(per_unit(&e1), [("DB1".into(), 4, 3), ("DB2".into(), 2, 1)]);
    assert_eq!(e1["replies"], 1);
    assert_eq!(e1["state"], "shown");
    assert_eq!(e1["from_above"], false);
    let e2 = entry(&r, &n2);
    assert_eq!(
        (e2["recipients"].as_u64(), e2["read"].as_u64()),
        (Some(4), Some(1))
    );
    assert_eq!(per_unit(&e2), [("DB1".into(), 4, 1)]);
    let e4 = entry(&r, &n4);
    assert_eq!(
        (e4["recipients"].as_u64(), e4["read"].as_u64()),
        (Some(3), Some(1))
    );
    // A district's admin: its own notices and the province's, counted within the district.
    let r = report(&s, &db1, "");
    let ids: Vec<&str> = r.json()["notices"]
        .as_array()
        .expect("notices")
        .iter()
        .filter_map(|n| n["id"].as_str())
        .map(|x| {
            if x == n1 {
                "n1"
            } else if x == n2 {
                "n2"
            } else if x == n3 {
                "n3"
            } else {
                "n4"
            }
        })
        .collect();
    assert_eq!(ids, ["n4", "n2", "n1"], "no notice of the other district");
    let e1 = entry(&r, &n1);
    assert_eq!(e1["from_above"], true);
    assert_eq!(
        (e1["recipients"].as_u64(), e1["read"].as_u64()),
        (Some(4), Some(3))
    );
    assert_eq!(per_unit(&e1), [("CB1".into(), 3, 2), ("CB2".into(), 1, 1)]);
    assert_eq!(e1["replies"], 1);
    let r = report(&s, &db2, "");
    let e1 = entry(&r, &n1);
    assert_eq!(
        (e1["recipients"].as_u64(), e1["read"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(e1["replies"], 0, "the reply came from the other district");
    // A cell: itself as its only row.
    let r = report(&s, &cb1, "");
    assert_eq!(per_unit(&entry(&r, &n4)), [("CB1".into(), 3, 1)]);
    // Scope: another subtree is 403, as in every report; no token 401.
    assert_eq!(report(&s, &db1, "?unit=DB2").status, 403);
    assert_eq!(report(&s, &db1, "?unit=CB1").status, 200);
    assert_eq!(report(&s, &cb1, "?unit=TU").status, 403);
    assert_eq!(
        call(&s, "GET", "/api/v1/reports/notices", None, &Value::Null).status,
        401
    );
    assert_eq!(report(&s, &tu, "?limit=0").status, 400);
    // The replies beside the notice.
    let r = call(
        &s,
        "GET",
        &format!("/api/v1/reports/feedback?notice={n1}"),
        Some(&db1),
        &Value::Null,
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let fb = r.json()["feedback"].clone();
    assert_eq!(fb.as_array().map(Vec::len), Some(1), "{fb}");
    assert_eq!(fb[0]["notice"], n1.as_str());
    assert_eq!(fb[0]["doc"], Value::Null);
    assert_eq!(fb[0]["text"], "Đề nghị dời sang 8 giờ.");
    assert_eq!(fb[0]["full_name"], "Trần Thị Bình");
    let r = call(
        &s,
        "GET",
        &format!("/api/v1/reports/feedback?notice={n1}"),
        Some(&db2),
        &Value::Null,
    );
    assert_eq!(r.json()["feedback"], json!([]));
    let r = call(
        &s,
        "GET",
        "/api/v1/reports/feedback?notice=x",
        Some(&tu),
        &Value::Null,
    );
    assert_eq!(r.status, 400);
    // The plain list of comments has both, each saying what it is about.
    let r = call(
        &s,
        "GET",
        "/api/v1/reports/feedback",
        Some(&tu),
        &Value::Null,
    );
    let all = r.json()["feedback"].clone();
    assert_eq!(all.as_array().map(Vec::len), Some(2), "{all}");
    assert!(all
        .as_array()
        .expect("list")
        .iter()
        .any(|f| f["doc"] == "dieu-le" && f["notice"].is_null()));

    // Withdrawal: only by an admin whose subtree holds the notice's unit; phones stop
    // receiving it; the report keeps it, marked.
    let path = format!("/api/v1/notices/{n2}");
    assert_eq!(
        call(&s, "DELETE", &path, Some(&db2), &Value::Null).status,
        403
    );
    assert_eq!(
        call(&s, "DELETE", &path, Some(&cb1), &Value::Null).status,
        403
    );
    assert_eq!(call(&s, "DELETE", &path, None, &Value::Null).status, 401);
    assert_eq!(
        call(&s, "DELETE", &path, Some(&tu), &Value::Null).status,
        204
    );
    assert_eq!(
        call(&s, "DELETE", &path, Some(&db1), &Value::Null).status,
        204,
        "again: still withdrawn"
    );
    assert_eq!(
        call(
            &s,
            "DELETE",
            "/api/v1/notices/0190f0a0-0000-7000-8000-999999999999",
            Some(&tu),
            &Value::Null
        )
        .status,
        404
    );
    assert_eq!(
        call(&s, "DELETE", "/api/v1/notices/x", Some(&tu), &Value::Null).status,
        404
    );
    assert_eq!(titles(&s, &cuong), ["Thông báo của Tỉnh ủy"]);
    let e2 = entry(&report(&s, &tu, ""), &n2);
    assert_eq!(e2["state"], "withdrawn");
    assert!(e2["withdrawn_at"].is_string());
    // A notice whose last day has passed is no longer sent; the report says it expired.
    exec(
        &s,
        &format!("UPDATE notices SET expires_on = '{yesterday}' WHERE id = '{n4}'"),
    );
    assert_eq!(titles(&s, &binh), ["Thông báo của Tỉnh ủy"]);
    assert_eq!(entry(&report(&s, &tu, ""), &n4)["state"], "expired");
    // A late read of a notice the member received before it was withdrawn still counts.
    assert_eq!(
        send(&s, &binh, vec![notice_event(&uuid(50), &n2)]),
        ["stored"]
    );
    assert_eq!(entry(&report(&s, &tu, ""), &n2)["read"], 2);
    // Reading a notice makes the member active in the usage report, like any event.
    let r = call(
        &s,
        "GET",
        "/api/v1/reports/usage?unit=DB2",
        Some(&tu),
        &Value::Null,
    );
    assert_eq!(r.json()["total"]["active"], 1, "{}", r.text());
    // The methods and the 405s' Allow.
    let r = call(&s, "PUT", "/api/v1/notices", Some(&tu), &json!({}));
    assert_eq!((r.status, r.header("allow")), (405, Some("GET, POST")));
    let r = call(&s, "GET", &path, Some(&tu), &Value::Null);
    assert_eq!((r.status, r.header("allow")), (405, Some("DELETE")));
}

/// Two `sotay server` instances on one PostgreSQL database: a notice posted on one reaches
/// phones asking the other, reads sent to either are counted once in both reports, and a
/// withdrawal on one holds on the other.
#[test]
fn two_instances_on_one_database() {
    on_postgres(|| {
        let a = start_with(UNITS3, MEMBERS3);
        let b = second_instance(&a, None);
        let tu = admin(&a, "TU");
        let binh = reg(&a, "10000002");
        let giang = reg(&b, "10000007");
        // Both instances have loaded their reports before the notice exists.
        assert_eq!(report(&a, &tu, "").status, 200);
        assert_eq!(report(&b, &tu, "").status, 200);
        let n = post(&a, &tu, json!({"title": "Chung", "body": "Cho cả tỉnh"}));
        assert_eq!(titles(&b, &binh), ["Chung"]);
        assert_eq!(titles(&b, &giang), ["Chung"]);
        // The same read sent to both at once is stored once; another member's read on B.
        let ev = json!({"events": [notice_event(&uuid(1), &n)]});
        let (ra, rb) = std::thread::scope(|sc| {
            let ha = sc.spawn(|| post_json(a.addr, "/api/v1/events", Some(&binh), &ev));
            let hb = sc.spawn(|| post_json(b.addr, "/api/v1/events", Some(&binh), &ev));
            (ha.join().expect("a"), hb.join().expect("b"))
        });
        let mut st = [
            ra.json()["results"][0]["status"]
                .as_str()
                .unwrap_or("")
                .to_string(),
            rb.json()["results"][0]["status"]
                .as_str()
                .unwrap_or("")
                .to_string(),
        ];
        st.sort();
        assert_eq!(st, ["duplicate", "stored"]);
        assert_eq!(
            send(&b, &binh, vec![notice_event(&uuid(2), &n)]),
            ["stored"]
        );
        assert_eq!(
            send(&b, &giang, vec![notice_event(&uuid(3), &n)]),
            ["stored"]
        );
        for s in [&a, &b] {
            let e = entry(&report(s, &tu, ""), &n);
            assert_eq!(
                (e["recipients"].as_u64(), e["read"].as_u64()),
                (Some(6), Some(2))
            );
            assert_eq!(per_unit(&e), [("DB1".into(), 4, 1), ("DB2".into(), 2, 1)]);
        }
        assert_eq!(
            call(
                &b,
                "DELETE",
                &format!("/api/v1/notices/{n}"),
                Some(&tu),
                &Value::Null
            )
            .status,
            204
        );
        assert!(titles(&a, &binh).is_empty());
        assert_eq!(entry(&report(&a, &tu, ""), &n)["state"], "withdrawn");
    });
}
