//! Offline search in real headless Chromium gives the same results as the server's index, and
//! the search page shows them as the member types, without running anything from the content.

mod common;

use sotay_generator::search::index::{index_dir, SearchIndex};
use sotay_generator::search::Filter;

const XSS_DOC: &str = "---\ntitle: Kiểm tra an toàn <img src=x onerror=\"window.__xss=true\">\nsummary: Tóm tắt <script>window.__xss=true</script> an toàn\n---\nNội dung có <img src=x onerror=\"window.__xss=true\"> và <script>window.__xss=true</script> an toàn.\n";

#[test]
fn browser_and_server_agree_and_nothing_from_content_runs() {
    let root = common::sample_copy(&[("content/thu-nghiem/an-toan.md", XSS_DOC)]);
    let out = root.path().join("public");
    sotay_generator::build(root.path(), &out).unwrap_or_else(|d| panic!("{:?}", d.sorted()));
    let index = SearchIndex::open(&index_dir(&out)).expect("index");

    let queries = [
        "img onerror an toan",
        "dang vien",
        "Đảng viên dự bị",
        "Điều 5",
        "05-NQ/TU",
        "chi bo sinh hoat",
        "\"so tay dien tu\"",
        "\"dang vien du bi\"",
        "\"đảng viên dự bị\" quyền",
        // Runs the pairs do not decide: checked in the pages' text (runs.rs, checkRuns).
        "chi bo dang vien",
        "cap uy co so",
        "nhiem vu cua dang vien",
        "\"chi bo dang vien\"",
        "\"cua dang vien\"",
        "\"hoạt động của chi bộ\"",
        "đảng phí",
        "hoà giải",
        "ĐẢNG VIÊN",
        "kiểm tra giám sát",
        "bí thư",
        "quyền của đảng viên",
        "đảng viên dự bị có quyền biểu quyết không",
        "19:30",
        "đang",
        "dang vien du bj",
        "dang vien du bii",
        "dangphi",
        "dang vi en du bi",
        "ket nap dang vien moii",
        "\u{0111}a\u{0309}ng vie\u{0302}n du\u{031B}\u{0323} bi\u{0323}",
        // A character outside the BMP (two UTF-16 units in the browser) between words, and a
        // mark that composes with nothing.
        "đảng\u{1F600}viên dự bị",
        "chi \u{0301}bộ",
    ];
    let qfile = root.path().join("queries.json");
    std::fs::write(&qfile, serde_json::to_string(&queries).expect("json")).expect("write");
    let got = common::node(
        "search.mjs",
        &[out.to_str().expect("utf-8"), qfile.to_str().expect("utf-8")],
    );

    for q in queries {
        let server = index.search(q, &Filter::default(), 0, 10);
        let browser = &got["results"][q];
        assert_eq!(
            browser["total"].as_u64(),
            Some(server.total as u64),
            "total for {q:?}"
        );
        assert_eq!(
            browser["suggestion"].as_str(),
            server.suggestion.as_deref(),
            "suggestion for {q:?}"
        );
        // Each hit's kind too: the browser reads it from the filter table, not the card.
        let b: Vec<(String, f64, Option<String>)> = browser["hits"]
            .as_array()
            .expect("hits")
            .iter()
            .map(|h| {
                (
                    h["id"].as_str().unwrap_or("").to_string(),
                    h["score"].as_f64().unwrap_or(-1.0),
                    h["kind"].as_str().map(str::to_string),
                )
            })
            .collect();
        let s: Vec<(String, f64, Option<String>)> = server
            .hits
            .iter()
            .map(|h| (h.id.clone(), h.score, h.kind.clone()))
            .collect();
        assert_eq!(b, s, "top 10 for {q:?}");
        // The top 3 land on the same passage, with the same snippet.
        for (i, h) in server.hits.iter().take(3).enumerate() {
            let bh = &browser["hits"][i];
            assert_eq!(
                bh["url"].as_str(),
                Some(h.url.as_str()),
                "passage of {q:?} #{i}"
            );
            assert_eq!(
                bh["passage"].as_str(),
                h.passage.as_deref(),
                "heading of {q:?} #{i}"
            );
            assert_eq!(
                bh["snippet"].as_str(),
                Some(h.snippet.as_str()),
                "snippet of {q:?} #{i}"
            );
        }
        assert!(server.total > 0, "{q:?} finds something");
    }

    let ui = &got["ui"];
    assert!(
        ui["count"].as_u64().unwrap_or(0) >= 1,
        "results appear as you type: {ui}"
    );
    assert_eq!(ui["first"].as_str(), Some("/thu-nghiem/an-toan/"), "{ui}");
    assert!(
        ui["marks"].as_u64().unwrap_or(0) >= 1,
        "matched words are marked: {ui}"
    );
    let suggest = ui["suggest"].as_str().unwrap_or("");
    assert!(
        suggest.contains("Có phải đồng chí muốn tìm: đảng viên dự bị?"),
        "{ui}"
    );
    assert_eq!(
        ui["suggestFirst"].as_str(),
        Some("/hoi-dap/dang-vien-du-bi/"),
        "{ui}"
    );
    assert!(
        ui["asTyped"]
            .as_str()
            .unwrap_or("")
            .starts_with("Không tìm thấy"),
        "{ui}"
    );
    assert!(
        ui["question"].as_str().unwrap_or("").contains("#dieu-"),
        "{ui}"
    );
    assert_eq!(
        ui["xss"].as_bool(),
        Some(false),
        "markup from content must not run: {ui}"
    );
    assert_eq!(
        ui["errors"].as_array().map(Vec::len),
        Some(0),
        "no script errors: {ui}"
    );
}
