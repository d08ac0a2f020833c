//! Web Push for notices on the phone, end to end in headless Chromium against `sotay server
//! --push-contact` (tests/browser/push.mjs): the notices page offers notifications; a push for
//! a new notice, delivered to the service worker through the DevTools protocol (no push service
//! is reachable from the test machines; the server's side is tested against a local receiver
//! in sync-server/tests/push.rs), shows a notification and keeps the notice; offline, tapping it
//! opens the notice. Screenshots (360×740) go to target/test-artifacts/push/.

mod common;

const UNITS: &str =
    "code,name,parent_code,kind\nTU,Tỉnh,,tinh-uy\nCB1,Chi bộ thôn Đông,TU,chi-bo-co-so\n";
const MEMBERS: &str = "card_number,full_name,birth_date,unit_code,status,role,smartphone
30000001,Phạm Thị Thu,1968-09-02,CB1,chinh-thuc,bi-thu,co
";

#[test]
fn a_push_shows_the_notice_and_opens_it_offline() {
    let site = common::roster_site(&[], UNITS, MEMBERS);
    let (out, db) = (&site.out, &site.db);
    // A contact that is not one is refused before anything starts.
    let bad = common::sotay(&[
        "server",
        "--site",
        out.to_str().expect("utf-8"),
        "--db",
        db,
        "--push-contact",
        "vanphong",
    ]);
    assert_eq!(bad.status.code(), Some(2), "{bad:?}");
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("--push-contact wants mailto:"),
        "{bad:?}"
    );

    let server = common::SotayServer::start(
        out,
        db,
        &["--push-contact", "mailto:vanphong@tinhuy.example.vn"],
    );
    let shots = common::repo().join("target/test-artifacts/push");
    std::fs::create_dir_all(&shots).expect("artifacts");
    let r = common::node(
        "push.mjs",
        &[
            &server.url(),
            env!("CARGO_BIN_EXE_sotay"),
            db,
            shots.to_str().expect("utf-8"),
        ],
    );
    let addr = server.addr.clone();
    drop(server);

    assert_eq!(
        r["problems"].as_array().map(Vec::len),
        Some(0),
        "no script errors or CSP violations: {r}"
    );
    assert_eq!(r["english"], serde_json::Value::Null, "{r}");
    let id = r["posted"]["id"].as_str().expect("id");
    // The offer, then Chromium's push service (unreachable) refusing: said, nothing stored.
    assert_eq!(r["offer"]["state"], "offer", "{r}");
    assert!(
        r["offer"]["text"]
            .as_str()
            .is_some_and(|t| t.contains("Bật nhận thông báo")),
        "{r}"
    );
    // Chromium here has no reachable push service: subscribing fails (AbortError), the page
    // says so in Vietnamese, offers again, and gives the server nothing.
    assert_eq!(r["afterClick"]["state"], "offer", "{r}");
    assert_eq!(r["afterClick"]["error"], "AbortError", "{r}");
    assert!(
        r["afterClick"]["text"]
            .as_str()
            .is_some_and(|t| t.starts_with("Chưa bật được")),
        "{r}"
    );
    assert_eq!(r["puts"], serde_json::json!([]), "{r}");
    // The notification: the notice's title, the committee, a link to the notice.
    let shown = r["shown"].as_array().expect("shown");
    assert_eq!(shown.len(), 1, "{r}");
    assert_eq!(shown[0]["title"], "Họp chi bộ bất thường");
    assert_eq!(shown[0]["body"], "Chi bộ thôn Đông");
    assert_eq!(
        shown[0]["url"],
        format!("http://{addr}/thong-bao/?id={id}"),
        "{r}"
    );
    assert!(
        shown[0]["icon"]
            .as_str()
            .is_some_and(|i| i.contains("icon-192")),
        "{r}"
    );
    // Kept by the service worker, counted unread on the home page.
    assert_eq!(
        r["kept"],
        serde_json::json!(["Họp chi bộ bất thường"]),
        "{r}"
    );
    assert_eq!(r["badge"], "1", "{r}");
    // Tapped offline: the notice, from what the phone kept; the notification closed.
    assert_eq!(r["opened"]["url"], format!("/thong-bao/?id={id}"), "{r}");
    assert_eq!(r["opened"]["title"], "Họp chi bộ bất thường");
    assert!(
        r["opened"]["text"]
            .as_str()
            .is_some_and(|t| t.contains("19:30 thứ Năm")),
        "{r}"
    );
    assert_eq!(r["closed"], 0, "{r}");
    assert_eq!(
        r["generic"],
        serde_json::json!([{"title": "Thông báo mới của cấp ủy", "body": "Mở sổ tay để xem thông báo."}]),
        "{r}"
    );
    assert_eq!(
        r["noContent"],
        serde_json::json!({"answer": {}, "waiting": null}),
        "a 204 answer kept as an error, or the request left waiting: {r}"
    );
    // A push whose JSON is `null` (the worker threw on it before: no notification of ours).
    assert_eq!(r["genericNull"], r["generic"], "{r}");
}
