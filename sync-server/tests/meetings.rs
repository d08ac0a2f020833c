//! Cell meetings against a real server (DESIGN.md, "Cell meetings"): every rule of the
//! contract — who may write and read, cards of the cell only, not in both lists, the day in
//! the month and not in the future, not before last month — one record per cell and month (a
//! later PUT replaces it, two secretaries at once leave one), the schedule, the attendance
//! list with who read the month's material, the old `meeting_held` event, and the report
//! counting a cell once with its attendance. Every test runs on SQLite and on PostgreSQL.

mod common;
use common::*;
use serde_json::{json, Value};

const MEMBERS: &str = "card_number,full_name,birth_date,unit_code,status,role,smartphone
10000001,Nguyễn Văn An,1960-01-02,CB1,chinh-thuc,bi-thu,co
10000002,Trần Thị Bình,1975-05-06,CB1,chinh-thuc,dang-vien,co
10000004,Đỗ Văn Dũng,1970-04-04,CB1,chinh-thuc,pho-bi-thu,co
10000005,Hà Thị Hoa,1945-05-05,CB1,chinh-thuc,dang-vien,khong
10000003,Lê Văn Cường,1980-03-04,CB2,du-bi,dang-vien,co
10000006,Phạm Văn Em,1972-06-06,CB2,chinh-thuc,bi-thu,co
";

fn reg(s: &Server, card: &str) -> String {
    registered(s, MEMBERS, card)
}

fn today() -> time::Date {
    sotay_sync_server::model::today_vn()
}

fn ymd(d: time::Date) -> String {
    sotay_sync_server::model::format_date(d)
}

fn month(d: time::Date) -> String {
    ymd(d)[..7].to_string()
}

/// The first day of the month after `d`'s.
fn next_month(d: time::Date) -> time::Date {
    let last = d.replace_day(d.month().length(d.year())).expect("last day");
    last.next_day().expect("next")
}

/// The last day of the month before `d`'s.
fn last_month(d: time::Date) -> time::Date {
    d.replace_day(1)
        .expect("first")
        .previous_day()
        .expect("prev")
}

fn error_code(r: &Reply) -> String {
    r.json()["error"]["code"].as_str().unwrap_or("").to_string()
}

/// The month's material of the sample content, as the server knows it (the catalog).
fn docs_of(s: &Server, m: &str) -> Vec<String> {
    s.app.docs_of_month(m)
}

#[test]
fn every_rule_of_the_contract() {
    let s = start_with(UNITS, MEMBERS);
    let sec = reg(&s, "10000001");
    let member = reg(&s, "10000002");
    let deputy = reg(&s, "10000004");
    let other_cell = reg(&s, "10000003");
    let other_sec = reg(&s, "10000006");
    let t = today();
    let m = month(t);
    let path = format!("/api/v1/meetings/{m}");
    // Any published documents do: the rule is only that they exist.
    let docs = vec!["dieu-le".to_string(), "ct-so-tay-dien-tu".to_string()];
    let body = json!({"held_on": ymd(t), "place": "  Nhà văn hóa  thôn 1 ", "present": ["10000001", "10 000 002", "10000004"], "excused": ["10000005"], "docs": docs});

    // Nothing yet: the member of the cell reads nulls.
    let r = call(&s, "GET", &path, Some(&member), &Value::Null);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json(), json!({"meeting": null, "schedule": null}));

    // Who may write: the secretary and the deputy; not a member, not another cell's member;
    // no token or an unknown one is 401.
    assert_eq!(call(&s, "PUT", &path, Some(&member), &body).status, 403);
    assert_eq!(
        error_code(&call(&s, "PUT", &path, Some(&member), &body)),
        "not_secretary"
    );
    assert_eq!(call(&s, "PUT", &path, Some(&other_cell), &body).status, 403);
    assert_eq!(call(&s, "PUT", &path, None, &body).status, 401);
    let fake = format!("m_{}", "0".repeat(64));
    assert_eq!(call(&s, "PUT", &path, Some(&fake), &body).status, 401);
    assert_eq!(call(&s, "GET", &path, None, &Value::Null).status, 401);

    let r = call(&s, "PUT", &path, Some(&sec), &body);
    assert_eq!(r.status, 200, "{}", r.text());
    let rec = r.json()["meeting"].clone();
    assert_eq!(rec["month"], m);
    assert_eq!(rec["cell"], json!({"code": "CB1", "name": "Chi bộ thôn 1"}));
    assert_eq!(rec["held_on"], ymd(t));
    assert_eq!(rec["place"], "Nhà văn hóa thôn 1");
    assert_eq!(
        (
            &rec["present"],
            &rec["excused"],
            &rec["absent"],
            &rec["members"]
        ),
        (&json!(3), &json!(1), &json!(0), &json!(4))
    );
    assert_eq!(
        rec["present_cards"],
        json!(["10000001", "10000002", "10000004"])
    );
    assert_eq!(rec["excused_cards"], json!(["10000005"]));
    assert_eq!(rec["docs"], json!(docs));
    assert_eq!(rec["recorded_by"], "Nguyễn Văn An");
    assert!(
        rec["recorded_at"]
            .as_str()
            .is_some_and(|a| a.ends_with("+07:00")),
        "{rec}"
    );

    // Every member of the cell reads it; another cell reads its own (nothing).
    let r = call(&s, "GET", &path, Some(&member), &Value::Null).json();
    assert_eq!(r["meeting"], rec);
    let r = call(&s, "GET", &path, Some(&other_cell), &Value::Null).json();
    assert_eq!(r, json!({"meeting": null, "schedule": null}));

    // Refused with 400 and a JSON error (in Vietnamese), nothing stored.
    let mut bad = Vec::new();
    let with = |k: &str, v: Value| {
        let mut b = body.clone();
        b[k] = v;
        b
    };
    bad.push((
        path.clone(),
        with("present", json!(["10000001", "10000003"])),
        "not_in_cell",
    ));
    bad.push((
        path.clone(),
        with("excused", json!(["19999999"])),
        "not_in_cell",
    ));
    bad.push((
        path.clone(),
        with("excused", json!(["10000001"])),
        "card_in_both_lists",
    ));
    bad.push((
        path.clone(),
        with("present", json!(["12ab"])),
        "invalid_card_number",
    ));
    bad.push((
        path.clone(),
        with("present", json!("10000001")),
        "invalid_request",
    ));
    bad.push((
        path.clone(),
        with("held_on", json!(ymd(last_month(t)))),
        "held_on_outside_month",
    ));
    bad.push((
        path.clone(),
        with("held_on", json!("10/12/2026")),
        "invalid_held_on",
    ));
    bad.push((
        path.clone(),
        with("docs", json!(["khong-co-tai-lieu-nay"])),
        "invalid_docs",
    ));
    bad.push((path.clone(), with("place", json!(5)), "invalid_place"));
    bad.push((
        path.clone(),
        with("place", json!("x".repeat(201))),
        "invalid_place",
    ));
    // The coming month's first day is in its month, but in the future.
    let next = next_month(t);
    bad.push((
        format!("/api/v1/meetings/{}", month(next)),
        with("held_on", json!(ymd(next))),
        "held_on_in_future",
    ));
    // The month before last month is closed.
    let before_last = last_month(last_month(t));
    bad.push((
        format!("/api/v1/meetings/{}", month(before_last)),
        with("held_on", json!(ymd(before_last))),
        "month_closed",
    ));
    bad.push((
        "/api/v1/meetings/2026-13".into(),
        body.clone(),
        "invalid_month",
    ));
    bad.push((
        "/api/v1/meetings/thang-12".into(),
        body.clone(),
        "invalid_month",
    ));
    for (p, b, code) in &bad {
        let r = call(&s, "PUT", p, Some(&sec), b);
        assert_eq!(
            (r.status, error_code(&r)),
            (400, code.to_string()),
            "{p} {b}: {}",
            r.text()
        );
        let msg = r.json()["error"]["message"]
            .as_str()
            .unwrap_or("")
            .to_string();
        assert!(!msg.is_empty(), "{code}: a message for the secretary");
    }
    let r = call(&s, "PUT", &path, Some(&sec), &json!([1]));
    assert_eq!(r.status, 400);
    let r = request(
        s.addr,
        "PUT",
        &path,
        &[("authorization", &format!("Bearer {sec}"))],
        b"{nope",
    );
    assert_eq!((r.status, error_code(&r)), (400, "invalid_json".into()));
    // Nothing of that changed the record.
    assert_eq!(
        call(&s, "GET", &path, Some(&member), &Value::Null).json()["meeting"],
        rec
    );

    // Last month is still open, with a day in it.
    let lm = last_month(t);
    let r = call(
        &s,
        "PUT",
        &format!("/api/v1/meetings/{}", month(lm)),
        Some(&deputy),
        &json!({"held_on": ymd(lm), "present": ["10000002"], "excused": [], "docs": []}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["meeting"]["recorded_by"], "Đỗ Văn Dũng");
    assert_eq!(r.json()["meeting"]["place"], Value::Null);

    // A correction replaces the record: still one per cell and month.
    let fixed =
        json!({"held_on": ymd(t), "present": ["10000001", "10000002"], "excused": [], "docs": []});
    let r = call(&s, "PUT", &path, Some(&deputy), &fixed);
    assert_eq!(r.status, 200, "{}", r.text());
    let got = call(&s, "GET", &path, Some(&member), &Value::Null).json()["meeting"].clone();
    assert_eq!(
        (
            &got["present"],
            &got["excused"],
            &got["absent"],
            &got["members"]
        ),
        (&json!(2), &json!(0), &json!(2), &json!(4))
    );
    assert_eq!(
        s.count("SELECT count(*) FROM meetings WHERE unit_code = 'CB1'"),
        2
    );
    assert_eq!(
        s.count(&format!(
            "SELECT count(*) FROM meetings WHERE unit_code = 'CB1' AND month = '{m}'"
        )),
        1
    );

    // The old event: accepted with attendees up to the cell's members, else rejected; it
    // does not replace a record with lists; another cell's event makes its record.
    let now = now_rfc3339();
    let ev = |n: u32, attendees: u32| json!({"id": format!("00000000-0000-4000-8000-{n:012}"), "type": "meeting_held", "doc": "dieu-le", "at": now, "attendees": attendees});
    let r = post_json(
        s.addr,
        "/api/v1/events",
        Some(&sec),
        &json!({"events": [ev(1, 200), ev(2, 4)]}),
    );
    let res = r.json()["results"].clone();
    assert_eq!(res[0]["status"], "rejected", "{res}");
    assert!(
        res[0]["error"]
            .as_str()
            .is_some_and(|e| e.contains("4 members")),
        "{res}"
    );
    assert_eq!(res[1]["status"], "stored", "{res}");
    let got = call(&s, "GET", &path, Some(&member), &Value::Null).json()["meeting"].clone();
    assert_eq!(
        got["present_cards"],
        json!(["10000001", "10000002"]),
        "kept: {got}"
    );
    let r = post_json(
        s.addr,
        "/api/v1/events",
        Some(&other_sec),
        &json!({"events": [ev(3, 3)]}),
    );
    assert_eq!(
        r.json()["results"][0]["status"],
        "rejected",
        "CB2 has 2 members"
    );
    let r = post_json(
        s.addr,
        "/api/v1/events",
        Some(&other_sec),
        &json!({"events": [ev(4, 2)]}),
    );
    assert_eq!(r.json()["results"][0]["status"], "stored");
    let cb2 = call(&s, "GET", &path, Some(&other_cell), &Value::Null).json()["meeting"].clone();
    assert_eq!(cb2["cell"]["code"], "CB2");
    assert_eq!(
        (&cb2["present"], &cb2["members"], &cb2["absent"]),
        (&json!(2), &json!(2), &json!(0))
    );
    assert_eq!(cb2["present_cards"], Value::Null, "a record without lists");
    assert_eq!(cb2["recorded_by"], "Phạm Văn Em");

    // The report counts each cell once, with the attendance of its record.
    let admin = admin(&s, "TU");
    let usage = request(
        s.addr,
        "GET",
        &format!(
            "/api/v1/reports/usage?unit=DB1&from={}&to={}",
            ymd(t.replace_day(1).expect("d")),
            ymd(t)
        ),
        &[("authorization", &format!("Bearer {admin}"))],
        b"",
    )
    .json();
    let rows = usage["rows"].as_array().expect("rows");
    assert_eq!(rows[0]["unit_code"], "CB1");
    assert_eq!(
        (
            &rows[0]["cells_meeting"],
            &rows[0]["meeting_attendance_pct"]
        ),
        (&json!(1), &json!(50.0))
    );
    assert_eq!(
        (
            &rows[1]["cells_meeting"],
            &rows[1]["meeting_attendance_pct"]
        ),
        (&json!(1), &json!(100.0))
    );
    assert_eq!(
        (
            &usage["total"]["cells"],
            &usage["total"]["cells_meeting"],
            &usage["total"]["meeting_attendance_pct"]
        ),
        (&json!(2), &json!(2), &json!(66.7)),
        "(2 + 2) / (4 + 2): {usage}"
    );
    // A period with both of CB1's months still counts the cell once.
    let both = request(
        s.addr,
        "GET",
        &format!(
            "/api/v1/reports/usage?unit=CB1&from={}&to={}",
            ymd(lm.replace_day(1).expect("d")),
            ymd(t)
        ),
        &[("authorization", &format!("Bearer {admin}"))],
        b"",
    )
    .json();
    assert_eq!(both["total"]["cells_meeting"], 1, "{both}");

    // Methods.
    let r = call(&s, "DELETE", &path, Some(&sec), &Value::Null);
    assert_eq!((r.status, r.header("allow")), (405, Some("GET, PUT")));
    let r = call(
        &s,
        "GET",
        &format!("{path}/schedule"),
        Some(&sec),
        &Value::Null,
    );
    assert_eq!((r.status, r.header("allow")), (405, Some("PUT")));
    let r = call(
        &s,
        "PUT",
        &format!("{path}/members"),
        Some(&sec),
        &json!({}),
    );
    assert_eq!((r.status, r.header("allow")), (405, Some("GET")));
    assert_eq!(
        call(&s, "GET", "/api/v1/meetings/", Some(&sec), &Value::Null).status,
        404
    );
    assert_eq!(
        call(&s, "GET", &format!("{path}/khac"), Some(&sec), &Value::Null).status,
        404
    );
}

#[test]
fn the_schedule_is_the_cells_own() {
    let s = start_with(UNITS, MEMBERS);
    let sec = reg(&s, "10000001");
    let member = reg(&s, "10000002");
    let other_cell = reg(&s, "10000003");
    let t = today();
    let m = month(t);
    let path = format!("/api/v1/meetings/{m}/schedule");
    let starts = format!("{}T19:30", ymd(t.replace_day(1).expect("d")));
    let body = json!({"starts_at": starts, "place": "Nhà văn hóa thôn 1"});
    assert_eq!(call(&s, "PUT", &path, Some(&member), &body).status, 403);
    assert_eq!(call(&s, "PUT", &path, None, &body).status, 401);
    let r = call(&s, "PUT", &path, Some(&sec), &body);
    assert_eq!(r.status, 200, "{}", r.text());
    let sch = r.json()["schedule"].clone();
    assert_eq!(
        (
            &sch["month"],
            &sch["starts_at"],
            &sch["place"],
            &sch["set_by"]
        ),
        (
            &json!(m),
            &json!(starts),
            &json!("Nhà văn hóa thôn 1"),
            &json!("Nguyễn Văn An")
        )
    );
    let r = call(
        &s,
        "GET",
        &format!("/api/v1/meetings/{m}"),
        Some(&member),
        &Value::Null,
    )
    .json();
    assert_eq!(r["schedule"], sch);
    assert_eq!(r["meeting"], Value::Null);
    let r = call(
        &s,
        "GET",
        &format!("/api/v1/meetings/{m}"),
        Some(&other_cell),
        &Value::Null,
    )
    .json();
    assert_eq!(r["schedule"], Value::Null, "another cell does not see it");

    // A new time replaces the old one.
    let later = json!({"starts_at": format!("{}T08:00", ymd(t)), "place": "Hội trường UBND xã"});
    assert_eq!(call(&s, "PUT", &path, Some(&sec), &later).status, 200);
    let r = call(
        &s,
        "GET",
        &format!("/api/v1/meetings/{m}"),
        Some(&member),
        &Value::Null,
    )
    .json();
    assert_eq!(r["schedule"]["place"], "Hội trường UBND xã");
    assert_eq!(s.count("SELECT count(*) FROM meeting_schedules"), 1);

    let next = next_month(t);
    for (b, code) in [
        (
            json!({"starts_at": format!("{}T08:00", ymd(next)), "place": "x"}),
            "starts_at_outside_month",
        ),
        (
            json!({"starts_at": format!("{}T08:00", ymd(t))}),
            "invalid_place",
        ),
        (
            json!({"starts_at": format!("{}T08:00", ymd(t)), "place": "   "}),
            "invalid_place",
        ),
        (
            json!({"starts_at": format!("{} 08:00", ymd(t)), "place": "x"}),
            "invalid_starts_at",
        ),
        (
            json!({"starts_at": format!("{}T25:00", ymd(t)), "place": "x"}),
            "invalid_starts_at",
        ),
        (json!({"place": "x"}), "invalid_starts_at"),
    ] {
        let r = call(&s, "PUT", &path, Some(&sec), &b);
        assert_eq!(
            (r.status, error_code(&r)),
            (400, code.to_string()),
            "{b}: {}",
            r.text()
        );
    }
    // A schedule for next month may be set ahead; not one for the month before last.
    let r = call(
        &s,
        "PUT",
        &format!("/api/v1/meetings/{}/schedule", month(next)),
        Some(&sec),
        &json!({"starts_at": format!("{}T08:00", ymd(next)), "place": "x"}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let old = last_month(last_month(t));
    let r = call(
        &s,
        "PUT",
        &format!("/api/v1/meetings/{}/schedule", month(old)),
        Some(&sec),
        &json!({"starts_at": format!("{}T08:00", ymd(old)), "place": "x"}),
    );
    assert_eq!(error_code(&r), "month_closed");
}

#[test]
fn the_attendance_list_shows_the_cell_and_who_read_the_material() {
    let s = start_with(UNITS, MEMBERS);
    let sec = reg(&s, "10000001");
    let member = reg(&s, "10000002");
    let other_sec = reg(&s, "10000006");
    // The sample's latest month of material.
    let m = "2026-12";
    let docs = docs_of(&s, m);
    assert!(docs.len() >= 2, "the sample has material for {m}: {docs:?}");
    // Bình marks the month's material read (a read event per document); An reads one.
    let now = now_rfc3339();
    let evs: Vec<Value> = docs
        .iter()
        .enumerate()
        .map(|(i, d)| json!({"id": format!("00000000-0000-4000-8000-{:012}", 100 + i), "type": "read", "doc": d, "at": now}))
        .collect();
    let r = post_json(
        s.addr,
        "/api/v1/events",
        Some(&member),
        &json!({ "events": evs }),
    );
    assert!(
        r.json()["results"]
            .as_array()
            .expect("r")
            .iter()
            .all(|x| x["status"] == "stored"),
        "{}",
        r.text()
    );
    let r = post_json(
        s.addr,
        "/api/v1/events",
        Some(&sec),
        &json!({"events": [{"id": "00000000-0000-4000-8000-000000000200", "type": "read", "doc": docs[0], "at": now}]}),
    );
    assert_eq!(r.json()["results"][0]["status"], "stored");

    let path = format!("/api/v1/meetings/{m}/members");
    assert_eq!(
        call(&s, "GET", &path, Some(&member), &Value::Null).status,
        403
    );
    assert_eq!(call(&s, "GET", &path, None, &Value::Null).status, 401);
    let r = call(&s, "GET", &path, Some(&sec), &Value::Null);
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["month"], m);
    assert_eq!(v["cell"], json!({"code": "CB1", "name": "Chi bộ thôn 1"}));
    assert_eq!(v["docs"], json!(docs));
    let rows: Vec<(String, bool, bool, u64, bool)> = v["members"]
        .as_array()
        .expect("members")
        .iter()
        .map(|x| {
            (
                x["full_name"].as_str().unwrap_or("").to_string(),
                x["smartphone"].as_bool().unwrap_or(true),
                x["registered"].as_bool().unwrap_or(false),
                x["read_docs"].as_u64().unwrap_or(99),
                x["read"].as_bool().unwrap_or(false),
            )
        })
        .collect();
    // By given name, as a Vietnamese list is: An, Bình, Dũng, Hoa (who has no smartphone).
    assert_eq!(
        rows,
        [
            ("Nguyễn Văn An".to_string(), true, true, 1, false),
            (
                "Trần Thị Bình".to_string(),
                true,
                true,
                docs.len() as u64,
                true
            ),
            ("Đỗ Văn Dũng".to_string(), true, false, 0, false),
            ("Hà Thị Hoa".to_string(), false, false, 0, false),
        ]
    );
    // Another cell's secretary sees their own cell only.
    let v = call(&s, "GET", &path, Some(&other_sec), &Value::Null).json();
    let names: Vec<&str> = v["members"]
        .as_array()
        .expect("members")
        .iter()
        .map(|x| x["full_name"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(names, ["Lê Văn Cường", "Phạm Văn Em"]);
    // A month with no material: nobody has read it.
    let v = call(
        &s,
        "GET",
        "/api/v1/meetings/2020-01/members",
        Some(&sec),
        &Value::Null,
    )
    .json();
    assert_eq!(v["docs"], json!([]));
    assert!(v["members"]
        .as_array()
        .expect("m")
        .iter()
        .all(|x| x["read"] == false));
}

/// Two secretaries of one cell (the secretary and the deputy) record the same month at the
/// same moment, many times over: one record remains, one of theirs, counted once.
#[test]
fn two_secretaries_at_once_leave_one_record() {
    let s = start_with_limits(
        UNITS,
        MEMBERS,
        Some(sotay_sync_server::limits::Limits::off()),
    );
    let sec = reg(&s, "10000001");
    let deputy = reg(&s, "10000004");
    let t = today();
    let path = format!("/api/v1/meetings/{}", month(t));
    let bodies = [
        json!({"held_on": ymd(t), "present": ["10000001", "10000002"], "excused": ["10000005"], "docs": []}),
        json!({"held_on": ymd(t), "present": ["10000001", "10000002", "10000004"], "excused": [], "docs": ["dieu-le"]}),
    ];
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(8));
    let statuses: Vec<u16> = std::thread::scope(|sc| {
        let handles: Vec<_> = (0..8)
            .map(|i| {
                let (tok, body) = if i % 2 == 0 {
                    (&sec, &bodies[0])
                } else {
                    (&deputy, &bodies[1])
                };
                let (s, path, barrier) = (&s, &path, barrier.clone());
                sc.spawn(move || {
                    barrier.wait();
                    let mut st = Vec::new();
                    for _ in 0..5 {
                        st.push(call(s, "PUT", path, Some(tok), body).status);
                    }
                    st
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("thread"))
            .collect()
    });
    assert!(statuses.iter().all(|&st| st == 200), "{statuses:?}");
    assert_eq!(s.count("SELECT count(*) FROM meetings"), 1);
    let got = call(&s, "GET", &path, Some(&sec), &Value::Null).json()["meeting"].clone();
    let present = got["present"].as_u64().expect("present");
    assert!(
        (present == 2 && got["recorded_by"] == "Nguyễn Văn An")
            || (present == 3 && got["recorded_by"] == "Đỗ Văn Dũng"),
        "one of the two, whole: {got}"
    );
    let admin = admin(&s, "TU");
    let r = request(
        s.addr,
        "GET",
        "/api/v1/reports/usage?unit=CB1",
        &[("authorization", &format!("Bearer {admin}"))],
        b"",
    )
    .json();
    assert_eq!(r["total"]["cells_meeting"], 1, "{r}");
    let want = if present == 2 { 50.0 } else { 75.0 };
    assert_eq!(
        r["total"]["meeting_attendance_pct"],
        json!(want),
        "the report has the record that stayed: {r}"
    );
}

/// The same tests with the server on PostgreSQL.
mod postgres {
    use super::common::on_postgres;

    #[test]
    fn every_rule_of_the_contract() {
        on_postgres(super::every_rule_of_the_contract)
    }
    #[test]
    fn the_schedule_is_the_cells_own() {
        on_postgres(super::the_schedule_is_the_cells_own)
    }
    #[test]
    fn the_attendance_list_shows_the_cell_and_who_read_the_material() {
        on_postgres(super::the_attendance_list_shows_the_cell_and_who_read_the_material)
    }
    #[test]
    fn two_secretaries_at_once_leave_one_record() {
        on_postgres(super::two_secretaries_at_once_leave_one_record)
    }
}
