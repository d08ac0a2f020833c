//! `sotay db copy`: a province's SQLite database moved into a new PostgreSQL database loses
//! nothing — every table's rows, the roster version, tokens that still work, the same
//! reports — and refuses to copy into a database that is not empty.

mod common;
use common::*;
use serde_json::json;
use sotay_sync_server::storage::DbUrl;
use sotay_sync_server::storage::Storage;

#[test]
fn sqlite_to_postgres_keeps_everything() {
    // A server on SQLite with registrations, events of every kind and an admin (and Web Push).
    let push = sotay_sync_server::push::PushConfig::new("mailto:ops@example.vn", true);
    let s = start_full(UNITS, MEMBERS, None, Some(push));
    let t1 = token(s.addr, "10000001");
    let t3 = token(s.addr, "10000003");
    let now = now_rfc3339();
    let r = post_json(
        s.addr,
        "/api/v1/events",
        Some(&t1),
        &json!({"events": [
            {"id": "00000000-0000-4000-8000-000000000001", "type": "view", "doc": "dieu-le", "at": now},
            {"id": "00000000-0000-4000-8000-000000000002", "type": "read", "doc": "dieu-le", "at": now, "ms": 60000},
            {"id": "00000000-0000-4000-8000-000000000003", "type": "meeting_held", "doc": "dieu-le", "at": now, "attendees": 2},
            {"id": "00000000-0000-4000-8000-000000000004", "type": "feedback", "doc": "dieu-le", "at": now, "text": "Góp ý: thêm ví dụ."}
        ]}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let r = post_json(
        s.addr,
        "/api/v1/events",
        Some(&t3),
        &json!({"events": [{"id": "00000000-0000-4000-8000-000000000005", "type": "view", "doc": "dieu-le", "at": now}]}),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    // A schedule and a record with lists (which replaces the event's).
    let month = &now[..7];
    let put = |path: String, body: serde_json::Value| {
        let r = request(
            s.addr,
            "PUT",
            &path,
            &[("authorization", &format!("Bearer {t1}"))],
            body.to_string().as_bytes(),
        );
        assert_eq!(r.status, 200, "{}", r.text());
    };
    put(
        format!("/api/v1/meetings/{month}/schedule"),
        json!({"starts_at": format!("{}T19:30", &now[..10]), "place": "Nhà văn hóa"}),
    );
    let today = sotay_sync_server::model::format_date(sotay_sync_server::model::today_vn());
    put(
        format!("/api/v1/meetings/{}", &today[..7]),
        json!({"held_on": today, "present": ["10000001"], "excused": ["10000002"], "docs": ["dieu-le"]}),
    );
    let root = admin(&s, "TU");
    // A roster update from the dashboard: 10000002 moves to CB2 (a move, a change log entry
    // with the state before, an applied upload).
    let moved = "card_number,full_name,birth_date,unit_code,status,role\n10000001,Nguyễn Văn An,1960-01-02,CB1,chinh-thuc,bi-thu\n10000002,Trần Thị Bình,1975-05-06,CB2,chinh-thuc,dang-vien\n10000003,Lê Văn Cường,1980-03-04,CB2,du-bi,dang-vien\n";
    let apply_csv = |srv: &Server, csv: &str| {
        let auth = format!("Bearer {root}");
        let r = request(
            srv.addr,
            "POST",
            "/api/v1/roster/uploads?unit=DB1&name=ds.csv",
            &[("authorization", &auth)],
            csv.as_bytes(),
        );
        assert_eq!(r.status, 200, "{}", r.text());
        let id = r.json()["upload"]["id"].as_str().expect("id").to_string();
        let r = request(
            srv.addr,
            "POST",
            &format!("/api/v1/roster/uploads/{id}/apply"),
            &[("authorization", &auth)],
            b"",
        );
        assert_eq!(r.status, 200, "{}", r.text());
        r.json()["change"]["id"].as_i64().expect("change id")
    };
    assert_eq!(apply_csv(&s, moved), 2, "the import was change 1");
    // A notice, read once.
    let r = request(
        s.addr,
        "POST",
        "/api/v1/notices",
        &[("authorization", &format!("Bearer {root}"))],
        r#"{"title": "Thông báo", "body": "Nội dung"}"#.as_bytes(),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let notice = r.json()["notice"]["id"].as_str().expect("id").to_string();
    let r = post_json(
        s.addr,
        "/api/v1/events",
        Some(&t3),
        &json!({"events": [{"id": "00000000-0000-4000-8000-000000000006", "type": "notice_read", "notice": notice, "at": now}]}),
    );
    assert_eq!(r.json()["results"][0]["status"], "stored", "{}", r.text());
    // The push key (made when first asked for) and a phone's subscription: a new key after the
    // move would silently end every subscription.
    assert_eq!(
        request(s.addr, "GET", "/api/v1/push/key", &[], b"").status,
        200
    );
    let r = request(
        s.addr,
        "PUT",
        "/api/v1/push/subscription",
        &[("authorization", &format!("Bearer {t1}"))],
        json!({"endpoint": "https://fcm.googleapis.com/fcm/send/x", "keys": {
            "p256dh": "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM",
            "auth": "tBHItJI5svbpez7KI4CCXg"}})
        .to_string()
        .as_bytes(),
    );
    assert_eq!(r.status, 204, "{}", r.text());
    let report = |srv: &Server| {
        let r = request(
            srv.addr,
            "GET",
            "/api/v1/reports/usage",
            &[("authorization", &format!("Bearer {root}"))],
            b"",
        );
        assert_eq!(r.status, 200, "{}", r.text());
        r.json()
    };
    let before = report(&s);
    assert_eq!(before["total"]["views"], 2);

    let pg = std::sync::Arc::new(PgDb::new());
    let from = DbUrl::Sqlite(s.dir.path().join("db.sqlite"));
    let to = DbUrl::Postgres(pg.url.clone());
    let copied = sotay_sync_server::run::db_copy(&from, &to).expect("copy");
    let n = |t: &str| copied.iter().find(|(name, _)| *name == t).map(|x| x.1);
    for t in [
        "units",
        "members",
        "devices",
        "events",
        "member_days",
        "meetings",
        "meeting_schedules",
        "doc_reads",
        "admin_tokens",
        "member_moves",
        "roster_changes",
        "roster_uploads",
        "notices",
        "notice_reads",
        "push_keys",
        "push_subscriptions",
    ] {
        assert_eq!(
            n(t),
            Some(s.count(&format!("SELECT count(*) FROM {t}")) as u64),
            "{t}"
        );
        assert_eq!(
            pg.count(&format!("SELECT count(*) FROM {t}")),
            s.count(&format!("SELECT count(*) FROM {t}")),
            "{t}"
        );
    }
    assert_eq!(n("events"), Some(6));
    assert_eq!(n("notice_reads"), Some(1));
    assert_eq!(
        (n("push_keys"), n("push_subscriptions")),
        (Some(1), Some(1))
    );
    assert_eq!(
        pg.count("SELECT count(*) FROM push_keys WHERE length(private_key) = 43"),
        1,
        "the key itself, not only a row"
    );
    assert_eq!(
        pg.count("SELECT value FROM meta WHERE key = 'roster_version'"),
        s.count("SELECT value FROM meta WHERE key = 'roster_version'")
    );

    // A server on the copy: the same report, the same tokens, the same feedback; a phone
    // resending an event it sent before the move gets "duplicate".
    let p = on_database(&pg);
    assert_eq!(report(&p), before);
    let notices = |srv: &Server| {
        let r = request(
            srv.addr,
            "GET",
            "/api/v1/reports/notices",
            &[("authorization", &format!("Bearer {root}"))],
            b"",
        );
        assert_eq!(r.status, 200, "{}", r.text());
        r.json()
    };
    let n = notices(&s);
    assert_eq!(n["notices"][0]["read"], 1, "{n}");
    assert_eq!(
        notices(&p),
        n,
        "the notice and who read it moved as they were"
    );
    let meeting = |srv: &Server| {
        let r = request(
            srv.addr,
            "GET",
            &format!("/api/v1/meetings/{}", &today[..7]),
            &[("authorization", &format!("Bearer {t1}"))],
            b"",
        );
        assert_eq!(r.status, 200, "{}", r.text());
        r.json()
    };
    let m = meeting(&s);
    assert_eq!(m["meeting"]["excused_cards"], json!(["10000002"]), "{m}");
    assert_eq!(meeting(&p), m, "the record and schedule moved as they were");
    let again = post_json(
        p.addr,
        "/api/v1/events",
        Some(&t1),
        &json!({"events": [{"id": "00000000-0000-4000-8000-000000000001", "type": "view", "doc": "dieu-le", "at": now}]}),
    );
    assert_eq!(
        again.json()["results"][0]["status"],
        "duplicate",
        "{}",
        again.text()
    );
    let fb = request(
        p.addr,
        "GET",
        "/api/v1/reports/feedback",
        &[("authorization", &format!("Bearer {root}"))],
        b"",
    );
    assert_eq!(fb.status, 200, "{}", fb.text());
    assert!(fb.text().contains("Góp ý: thêm ví dụ."), "{}", fb.text());

    // The change log goes on from where it was.
    let back = moved.replace(
        "10000002,Trần Thị Bình,1975-05-06,CB2",
        "10000002,Trần Thị Bình,1975-05-06,CB1",
    );
    assert_eq!(apply_csv(&p, &back), 3);
    assert_eq!(pg.count("SELECT count(*) FROM member_moves"), 2);

    // Copying again into the now non-empty database is refused, and changes nothing.
    let err = sotay_sync_server::run::db_copy(&from, &to).expect_err("second copy");
    assert!(err.contains("not empty"), "{err}");
    assert_eq!(pg.count("SELECT count(*) FROM events"), 6);

    // Only sqlite -> postgres.
    let err = sotay_sync_server::run::db_copy(&to, &from).expect_err("wrong way");
    assert!(err.contains("from sqlite://"), "{err}");
}

/// A server on an existing PostgreSQL database (its roster already there).
fn on_database(pg: &std::sync::Arc<PgDb>) -> Server {
    let s = start_on_pg(pg.clone());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("rt");
    assert!(!rt
        .block_on(s.app.store().roster_is_empty())
        .expect("roster"));
    s
}
