//! Offline and installable, in real headless Chromium: the service worker saves the whole
//! handbook on the first visit; with the network cut every kind of page opens and search and
//! bookmarks work; an update downloads only what changed; removed documents disappear. And the
//! outbox: registration and reading offline reach the server exactly once when back online.

mod common;

use std::collections::BTreeSet;

#[test]
fn offline_reading_and_updates() {
    let root = common::sample_copy(&[]);
    let out = root.path().join("public");
    sotay_generator::build(root.path(), &out).unwrap_or_else(|d| panic!("{:?}", d.sorted()));
    let r = common::node(
        "offline.mjs",
        &[
            root.path().to_str().expect("utf-8"),
            out.to_str().expect("utf-8"),
            env!("CARGO_BIN_EXE_sotay"),
        ],
    );

    let first = &r["first"];
    assert_eq!(first["missing"], 0, "{r}");
    assert_eq!(
        first["total"], first["manifest"],
        "every precache entry saved: {r}"
    );
    assert!(first["total"].as_u64().unwrap_or(0) > 100);
    assert_eq!(r["controlled"], true);
    for (page, v) in r["offline"].as_object().expect("offline pages") {
        assert_eq!(v["status"], 200, "{page} offline: {v}");
        assert_ne!(v["h1"], "Không có mạng", "{page} was saved");
    }
    assert_eq!(
        r["search"]["first"], "/hoi-dap/dang-vien-du-bi/",
        "search works offline: {r}"
    );
    assert!(
        r["search"]["suggest"]
            .as_str()
            .unwrap_or("")
            .contains("đảng viên dự bị"),
        "typos are corrected offline: {r}"
    );
    assert_eq!(
        r["search"]["passage"], "/dieu-le/dieu-le-mau/#dieu-3",
        "hits land on their passage offline: {r}"
    );
    assert_eq!(r["bookmarks"]["title"], r["bookmarks"]["expected"]);
    // A page the handbook does not have: the saved "not found" page, not "no network".
    assert_eq!(r["unsaved"]["h1"], "Không tìm thấy trang", "{r}");
    assert_eq!(r["unsaved"]["status"], 404, "{r}");
    // A page it has that this phone could not save: "no network".
    assert_eq!(r["unsavedPage"]["h1"], "Không có mạng", "{r}");

    let up = &r["update"];
    let set = |v: &serde_json::Value| -> BTreeSet<String> {
        v.as_array()
            .expect("list")
            .iter()
            .map(|x| x.as_str().unwrap_or("").to_string())
            .collect()
    };
    let expected = set(&up["expected"]);
    assert!(expected.contains("/hoi-dap/mien-sinh-hoat-dang/"), "{up}");
    assert!(
        expected.len() < first["total"].as_u64().unwrap_or(0) as usize / 4,
        "a one-document change is a small update: {up}"
    );
    assert_eq!(
        set(&up["fetched"]),
        expected,
        "only changed entries are downloaded: {up}"
    );
    // A first install reads the precache list whole, in one download.
    let first_list = &r["firstList"];
    assert_eq!(
        first_list["fetched"],
        serde_json::json!([first_list["whole"]]),
        "the first install's list: {r}"
    );
    // The service worker's own files: its script, the precache list's root, and of the list's
    // parts exactly those that changed (the rest are the phone's already).
    let parts = &up["parts"];
    let changed = set(&parts["changed"]);
    assert_eq!(set(&parts["fetched"]), changed, "only changed parts: {up}");
    assert!(
        !changed.is_empty() && changed.len() < parts["all"].as_u64().unwrap_or(0) as usize,
        "a one-document change changes some parts of the list, not all: {up}"
    );
    let other = set(&up["other"]);
    assert!(
        other.contains("/sw.js")
            && other.iter().any(|u| u.starts_with("/precache."))
            && other.len() <= 3 + changed.len(),
        "{up}"
    );
    assert!(up["banner"]
        .as_str()
        .is_some_and(|b| b.contains("Có nội dung mới")));
    assert_eq!(
        up["bannerPlace"],
        serde_json::json!({"position": "fixed", "top": 0, "count": 1}),
        "at the top of the screen, once: {up}"
    );
    assert_eq!(
        r["later"],
        serde_json::json!({"hidden": true, "afterNavigation": true, "stillWaiting": true}),
        "'Để sau' puts it away for the visit: {r}"
    );
    assert_eq!(up["cachesAfter"], 1);
    assert_eq!(
        up["version"]["downloaded"].as_u64(),
        Some(expected.len() as u64),
        "{up}"
    );

    assert!(
        r["removedCached"].is_null(),
        "removed document still cached: {r}"
    );
    assert_eq!(r["removedOffline"], "Không tìm thấy trang");
    assert_eq!(r["errors"].as_array().map(Vec::len), Some(0), "{r}");
}

#[test]
fn outbox_delivers_offline_registration_and_reading_exactly_once() {
    let site = common::roster_site(
        &[],
        "code,name,parent_code,kind\nTU,Tỉnh,,tinh-uy\nCB1,Chi bộ 1,TU,chi-bo-co-so\n",
        "card_number,full_name,birth_date,unit_code,status,role\n30000001,Phạm Thị Thu,1968-09-02,CB1,chinh-thuc,bi-thu\n",
    );
    let server = common::SotayServer::start(&site.out, &site.db, &[]);
    let addr = server.addr.clone();
    let r = common::node("outbox.mjs", &[&format!("http://{addr}")]);
    drop(server);

    assert!(
        r["registerStatus"]
            .as_str()
            .is_some_and(|s| s.contains("lưu trên máy")),
        "{r}"
    );
    assert_eq!(r["member"]["card_number"], "30000001");
    assert_eq!(r["pendingAfter"], 0);
    assert!(
        r["line"]
            .as_str()
            .is_some_and(|l| l.contains("Phạm Thị Thu")),
        "{r}"
    );
    assert_eq!(
        r["problems"].as_array().map(Vec::len),
        Some(0),
        "no CSP violations or script errors: {r}"
    );
    let queued: Vec<(String, String, String)> = r["queued"]
        .as_array()
        .expect("queued")
        .iter()
        .map(|e| {
            (
                e["id"].as_str().unwrap_or("").into(),
                e["type"].as_str().unwrap_or("").into(),
                e["doc"].as_str().unwrap_or("").into(),
            )
        })
        .collect();
    assert_eq!(
        queued.iter().filter(|e| e.1 == "view").count(),
        3,
        "{queued:?}"
    );
    assert_eq!(
        queued.iter().filter(|e| e.1 == "read").count(),
        1,
        "{queued:?}"
    );

    // The outbox makes UUIDv7 ids: version 7, and the first 48 bits the time of the event (ms),
    // which is what lets the server append new events to the end of its table.
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    for (id, _, _) in &queued {
        assert_eq!(id.len(), 36, "{id}");
        assert_eq!(id.chars().nth(14), Some('7'), "version 7: {id}");
        let hex: String = id.chars().filter(|c| *c != '-').take(12).collect();
        let ms = u64::from_str_radix(&hex, 16).expect("hex");
        assert!(
            ms <= now_ms && now_ms - ms < 10 * 60 * 1000,
            "{id}: {ms} vs now {now_ms}"
        );
    }

    let conn = rusqlite::Connection::open(site.root.path().join("db.sqlite")).expect("db");
    let mut stmt = conn
        .prepare("SELECT id, type, doc FROM events WHERE card_number = '30000001' ORDER BY id")
        .expect("q");
    let mut stored: Vec<(String, String, String)> = stmt
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
        .expect("q")
        .map(|x| x.expect("row"))
        .collect();
    let mut want = queued.clone();
    want.sort();
    stored.sort();
    assert_eq!(
        stored, want,
        "every queued event arrived once, nothing else"
    );
    let devices: i64 = conn
        .query_row(
            "SELECT count(*) FROM devices WHERE card_number = '30000001'",
            [],
            |row| row.get(0),
        )
        .expect("q");
    assert_eq!(devices, 1, "the offline registration was sent once");
}
