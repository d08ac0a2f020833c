//! A member's first minutes on a cheap phone, in real headless Chromium at 360×740
//! (deviceScaleFactor 2, touch), on the sample site (tests/browser/ui.mjs): the home page's
//! first screen and the month its meeting card shows (the phone's clock, at view time), the
//! menu, tap targets of at least 44×44 px, a long document's contents and back-to-top, read
//! aloud from the article on the screen (a fake Vietnamese voice; and none), bookmarks that
//! can be removed, the offline mark, a cached 404, and axe-core with no serious or critical
//! violation. Screenshots of every screen go to tests/artifacts/ui-*.png.

mod common;

use serde_json::Value;

fn run() -> Value {
    let root = common::sample_copy(&[]);
    let out = root.path().join("public");
    sotay_generator::build(root.path(), &out).unwrap_or_else(|d| panic!("{:?}", d.sorted()));
    common::node("ui.mjs", &[out.to_str().expect("utf-8")])
}

#[test]
fn first_minutes_on_a_phone() {
    let r = run();
    let first = &r["home"]["first"];
    // On the first screen: search, this month's material, continue reading, the prompts.
    for part in [
        "search",
        "meeting",
        "meetingItems",
        "continueReading",
        "register",
        "install",
        "sample",
    ] {
        assert_eq!(
            first["inside"][part], true,
            "{part} on the first screen of 360×740: {first}"
        );
    }
    assert_eq!(first["scrollWidth"], 360, "no sideways scrolling: {first}");
    assert_eq!(
        first["sampleOneLine"], true,
        "sample mark on one line: {first}"
    );
    assert!(
        first["parts"]["header"]["bottom"].as_i64().unwrap_or(999) <= 130,
        "a header that leaves room: {first}"
    );
    assert_eq!(first["meetingMonth"], "2026-12", "{first}");
    assert_eq!(first["meetingTitle"], "Sinh hoạt chi bộ tháng 12/2026");
    assert_eq!(first["recentHeadings"], 1, "'Mới cập nhật' once: {first}");
    assert!(
        first["screens"].as_f64().unwrap_or(99.0) < 5.0,
        "a shorter home page: {first}"
    );
    assert!(
        first["parts"]["continueReading"]["text"]
            .as_str()
            .is_some_and(|t| t.contains("Điều lệ") && t.contains('%')),
        "{first}"
    );
    let on_page = r["home"]["sectionsOnPage"].as_array().expect("sections");
    assert!(
        on_page.len() >= 8 && on_page.iter().all(|v| v == true),
        "{r}"
    );
    let menu = &r["home"]["menu"];
    let sections = menu["sections"].as_array().expect("menu sections");
    assert!(sections.len() >= 8, "{menu}");
    for s in sections {
        assert_eq!(s["inside"], true, "every section in the menu, in view: {s}");
    }
    assert_eq!(menu["scrollWidth"], 360, "{menu}");
    assert_eq!(r["home"]["menuClosedByEscape"], true);
    let done = &r["home"]["done"];
    assert_eq!(
        done["register"], false,
        "no register prompt once registered: {done}"
    );
    assert_eq!(
        done["install"], false,
        "no install prompt once installed: {done}"
    );
    assert_eq!(done["menuRegister"], false, "{done}");
    assert!(
        done["member"]
            .as_str()
            .is_some_and(|m| m.contains("Nguyễn Văn Đức") && m.contains("Chi bộ thôn Đông")),
        "who and which cell, at the top of the menu: {done}"
    );

    // "This month" on the phone, whenever the site was built.
    assert_eq!(r["months"]["oct"]["month"], "2026-10", "{}", r["months"]);
    assert_eq!(
        r["months"]["oct"]["title"],
        "Sinh hoạt chi bộ tháng 10/2026"
    );
    assert!(r["months"]["oct"]["note"].is_null());
    assert_eq!(
        r["months"]["oct"]["section"],
        serde_json::json!(["2026-10"])
    );
    assert_eq!(r["months"]["dec"]["month"], "2026-12");
    assert_eq!(r["months"]["jan"]["month"], "2026-12", "the newest before");
    assert!(
        r["months"]["jan"]["note"]
            .as_str()
            .is_some_and(|n| n.contains("tháng 1/2027")),
        "{}",
        r["months"]
    );
    assert_eq!(
        r["months"]["jan"]["section"],
        serde_json::json!(["2026-12"])
    );
    for m in ["oct", "jan", "dec"] {
        assert_eq!(r["months"][m]["visiblePanels"], 1, "{}", r["months"]);
    }

    // Tap targets.
    for page in ["home", "doc", "search", "speech", "register", "bookmarks"] {
        assert_eq!(
            r["targets"][page].as_array().map(Vec::len),
            Some(0),
            "targets under 44×44 px on {page}: {}",
            r["targets"][page]
        );
    }

    // A long document.
    let doc = &r["doc"];
    assert_eq!(
        doc["dockAtTop"], false,
        "the dock waits for the text: {doc}"
    );
    for e in doc["toc"].as_array().expect("toc") {
        assert_eq!(e["marker"], "none", "no list number to wrap apart: {e}");
        assert_eq!(e["top"], 0, "{e}");
        assert!(e["h"].as_i64().unwrap_or(0) >= 44, "{e}");
    }
    assert!(
        doc["toc"]
            .as_array()
            .expect("toc")
            .iter()
            .any(|e| e["lines"].as_i64().unwrap_or(0) > 1),
        "some entry wraps at 360 px (what the bug needed): {doc}"
    );
    assert_eq!(doc["dock"]["fixed"], "fixed", "{doc}");
    assert!(doc["dock"]["bottom"].as_i64().unwrap_or(-1) >= 0, "{doc}");
    assert!(
        doc["contents"]["entries"].as_u64().unwrap_or(0) > 20,
        "{doc}"
    );
    assert!(
        doc["contents"]["current"]
            .as_str()
            .is_some_and(|c| c.starts_with("Điều 12")),
        "the heading being read is marked: {doc}"
    );
    assert_eq!(doc["jumped"]["open"], false, "{doc}");
    assert_eq!(doc["jumped"]["hash"], "#dieu-20", "{doc}");
    assert!(
        doc["jumped"]["top"]
            .as_i64()
            .is_some_and(|t| (-5..=60).contains(&t)),
        "{doc}"
    );
    assert_eq!(doc["backToTop"], true);

    // Read aloud.
    let sp = &r["speech"];
    let heads = sp["headings"].as_array().expect("headings");
    assert_eq!(
        sp["first"], heads[0],
        "starts at the article on the screen: {sp}"
    );
    assert_eq!(sp["second"], sp["firstParagraph"], "then its text: {sp}");
    assert_eq!(sp["next"], heads[1], "next article: {sp}");
    assert_eq!(sp["prev"], heads[0], "previous article: {sp}");
    assert_eq!(sp["paused"]["speaking"], false, "{sp}");
    assert_eq!(sp["resumed"], heads[0], "resumes where it paused: {sp}");
    assert_ne!(sp["fromTop"], heads[0], "{sp}");
    assert!(
        sp["label"].as_str().is_some_and(|l| l.contains("Điều 5")),
        "{sp}"
    );
    assert_eq!(sp["stopped"], true);
    assert!(
        sp["noVoice"]["text"]
            .as_str()
            .is_some_and(|t| t.contains("chưa có giọng đọc tiếng Việt")),
        "{sp}"
    );
    assert_eq!(sp["noVoice"]["href"], "/huong-dan-cai-dat/#giong-doc");
    assert!(
        sp["guide"]
            .as_str()
            .is_some_and(|g| g.contains("giọng đọc")),
        "{sp}"
    );

    // Bookmarks that can be removed.
    let bm = &r["bookmarks"];
    assert_eq!(bm["before"].as_array().map(Vec::len), Some(2), "{bm}");
    assert_eq!(bm["after"].as_array().map(Vec::len), Some(1), "{bm}");
    assert_eq!(bm["after"][0], bm["before"][1], "{bm}");
    assert_eq!(bm["emptyShown"], true);

    // Offline.
    let off = &r["offline"];
    assert_eq!(off["markOnline"], true, "no mark while online: {off}");
    assert!(
        off["mark"]["text"]
            .as_str()
            .is_some_and(|t| t.starts_with("Ngoại tuyến")),
        "{off}"
    );
    assert!(
        off["mark"]["h"].as_i64().unwrap_or(999) <= 32,
        "one quiet line: {off}"
    );
    assert!(
        off["mark"]["top"].as_i64() < off["mark"]["headerBottom"].as_i64(),
        "in the header, seen on every page: {off}"
    );
    assert_eq!(off["missing"]["status"], 404, "{off}");
    assert_eq!(off["missing"]["h1"], "Không tìm thấy trang", "{off}");
    assert_eq!(off["noSlash"]["status"], 200, "{off}");
    assert_ne!(off["noSlash"]["h1"], "Không tìm thấy trang", "{off}");
    assert_eq!(off["markGone"], true);

    // Accessibility.
    for page in [
        "home",
        "doc",
        "contents",
        "speech",
        "search",
        "register",
        "bookmarks",
    ] {
        assert_eq!(
            r["axe"][page].as_array().map(Vec::len),
            Some(0),
            "axe-core, serious or critical, on {page}: {}",
            r["axe"][page]
        );
    }
    assert_eq!(
        r["errors"].as_array().map(Vec::len),
        Some(0),
        "script errors: {}",
        r["errors"]
    );
}
