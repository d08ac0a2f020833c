//! Registration as members type it, in real headless Chromium at 360×740 against `sotay
//! server` (tests/browser/register.mjs): what a phone keyboard gives is accepted; a mismatch,
//! a malformed cell code and a rate limit are each said in Vietnamese, with what to do, and
//! nothing claims to be "saved for later" when the server has answered. Screenshots of each
//! screen go to tests/artifacts/register-*.png.

mod common;
mod loopback;

const UNITS: &str = "code,name,parent_code,kind\nTU,Tỉnh ủy Mẫu,,tinh-uy\nTU.01,Đảng bộ huyện Đông,TU,dang-bo\nTU.01.01,Đảng bộ xã Hòa Bình,TU.01,dang-bo-co-so\nTU.01.01.01,Chi bộ thôn Đông,TU.01.01,chi-bo\n";
const MEMBERS: &str = "card_number,full_name,birth_date,unit_code,status,role\n20000001,Nguyễn Văn Đức,1961-09-02,TU.01.01.01,chinh-thuc,bi-thu\n20000002,Trần Thị Hằng,1970-12-25,TU.01.01.01,chinh-thuc,dang-vien\n20000003,Lê Quang Vinh,1985-03-08,TU.01.01.01,du-bi,dang-vien\n20000004,Phạm Thị Thu,1968-09-02,TU.01.01.01,chinh-thuc,dang-vien\n";

#[test]
fn registration_accepts_what_members_type_and_answers_in_vietnamese() {
    let dir = tempfile::tempdir().expect("tmp");
    let site = loopback::build_site(dir.path());
    let db = loopback::db_url(&dir.path().join("db.sqlite"));
    std::fs::write(dir.path().join("units.csv"), UNITS).expect("w");
    std::fs::write(dir.path().join("members.csv"), MEMBERS).expect("w");
    let out = std::process::Command::new(loopback::bin())
        .args(["roster", "import", "--units"])
        .arg(dir.path().join("units.csv"))
        .arg("--members")
        .arg(dir.path().join("members.csv"))
        .args(["--db", &db])
        .output()
        .expect("import");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let server = loopback::start(&site, &db, &[], &[]);
    let r = common::node("register.mjs", &[&format!("http://{}", server.addr)]);

    let accepted = r["accepted"].as_array().expect("accepted");
    assert_eq!(accepted.len(), 3, "{r}");
    for (a, (card, name)) in accepted.iter().zip([
        ("20000001", "Nguyễn Văn Đức"),
        ("20000002", "Trần Thị Hằng"),
        ("20000003", "Lê Quang Vinh"),
    ]) {
        assert_eq!(a["done"], true, "accepted: {a}");
        assert_eq!(a["formShown"], false, "the form is gone: {a}");
        assert_eq!(a["member"]["card_number"], card, "{a}");
        assert_eq!(a["member"]["unit_code"], "TU.01.01.01", "{a}");
        let who = a["who"].as_str().unwrap_or("");
        assert!(
            who.contains(name) && who.contains("Chi bộ thôn Đông") && who.contains("TU.01.01.01"),
            "who and which cell: {who}"
        );
        assert_eq!(
            a["again"]["done"], true,
            "still registered on the next visit: {a}"
        );
        assert_eq!(a["english"], false, "{a}");
    }

    let m = &r["refused"]["malformed"];
    let errors: Vec<&str> = m["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e.as_str())
        .collect();
    assert_eq!(
        errors.len(),
        2,
        "the date and the code, next to their fields: {m}"
    );
    assert!(errors.iter().any(|e| e.contains("Ngày sinh")), "{m}");
    assert!(errors.iter().any(|e| e.contains("Mã chi bộ")), "{m}");
    assert_eq!(
        m["invalid"],
        serde_json::json!(["r-birth", "r-unit"]),
        "marked for screen readers: {m}"
    );

    for case in ["malformed", "mismatch", "rate-limited"] {
        let c = &r["refused"][case];
        assert!(c["english"].is_null(), "{case}: English on the page: {c}");
        assert_eq!(c["done"], false, "{case}");
        assert!(
            !c["status"].as_str().unwrap_or("").contains("lưu trên máy"),
            "{case}: a refusal is not 'saved for later': {c}"
        );
    }
    let mismatch = r["refused"]["mismatch"]["status"].as_str().unwrap_or("");
    assert!(
        mismatch.contains("chưa khớp") && mismatch.contains("bí thư chi bộ"),
        "{mismatch}"
    );
    assert_eq!(
        r["refused"]["mismatch"]["kept"],
        serde_json::json!(["20000004", "Phạm Thị Thu", "03/09/1968", "TU.01.01.01"]),
        "what was typed stays to be corrected"
    );
    let limited = &r["refused"]["rate-limited"];
    let status = limited["status"].as_str().unwrap_or("");
    assert!(
        status.contains("thử lại sau 12 phút") && status.contains("(sau "),
        "says when to try again: {status}"
    );
    assert!(
        limited["pending"].is_null(),
        "not kept to send again: {limited}"
    );
    assert_eq!(limited["stored"]["status"], 429, "{limited}");
    // The planned meeting on the home page's card.
    assert_eq!(r["schedulePut"], 200, "{r}");
    let schedule = r["schedule"].as_str().unwrap_or("");
    assert!(
        schedule.contains("19:30") && schedule.contains("Nhà văn hóa thôn Đông"),
        "{schedule}"
    );
    assert_eq!(
        r["scheduleOffline"], r["schedule"],
        "kept on the phone: {r}"
    );
    assert_eq!(
        r["problems"].as_array().map(Vec::len),
        Some(0),
        "no script errors: {r}"
    );
}
