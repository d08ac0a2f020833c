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
    let got = search_in_chromium(&out, &queries);

    for q in queries {
        let server = assert_agree(&index, &got, q);
        let browser = &got["results"][q];
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

/// What search.js answers to `queries` on the site in `out` (tests/browser/search.mjs).
fn search_in_chromium(out: &std::path::Path, queries: &[&str]) -> serde_json::Value {
    let qfile = out.with_file_name("queries.json");
    std::fs::write(&qfile, serde_json::to_string(queries).expect("json")).expect("write");
    common::node(
        "search.mjs",
        &[out.to_str().expect("utf-8"), qfile.to_str().expect("utf-8")],
    )
}

/// What search.js answered to `q` (in `got`, from search.mjs) is what the server's index
/// answers: the total, the suggestion, the top 10 with their scores and kinds. The server's.
fn assert_agree(
    index: &SearchIndex,
    got: &serde_json::Value,
    q: &str,
) -> sotay_generator::search::Results {
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
    server
}

/// Made-up documents with words of every frequency (Zipf-like draws from a list of syllables,
/// some with several diacritic forms of one folded word), titles and headings: terms in
/// nearly every document, in half, in a few, in one.
fn generated_documents(n: usize) -> Vec<(String, String)> {
    const WORDS: &[&str] = &[
        "đảng", "viên", "chi", "bộ", "sinh", "hoạt", "cường", "cương", "cuồng", "định", "đình",
        "đinh", "kiểm", "tra", "giám", "sát", "nghị", "quyết", "thực", "hiện", "tháng", "năm",
        "học", "tập", "công", "tác", "cán", "sự", "phát", "triển", "kinh", "tế", "xã", "hội",
        "văn", "hoá", "hóa", "an", "ninh", "quốc", "phòng", "tăng", "tầng", "dân", "vận", "mặt",
        "trận", "tổ", "quốc", "đoàn", "kết", "thống", "nhất", "điều", "lệ", "khoản", "mục",
    ];
    let mut seed = 0x0005_DEEC_E66D_u64;
    let mut next = move || {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        (seed >> 33) as usize
    };
    // Zipf-like: the i-th word about 1/(i+1) as often as the first.
    let weights: Vec<usize> = (0..WORDS.len()).map(|i| 10_000 / (i + 1)).collect();
    let total: usize = weights.iter().sum();
    let mut word = move || {
        let mut x = next() % total;
        for (w, &k) in WORDS.iter().zip(&weights) {
            if x < k {
                return *w;
            }
            x -= k;
        }
        WORDS[0]
    };
    (0..n)
        .map(|i| {
            let title: Vec<&str> = (0..3 + i % 4).map(|_| word()).collect();
            let mut body = String::new();
            if i % 3 == 0 {
                let h: Vec<&str> = (0..2 + i % 3).map(|_| word()).collect();
                body.push_str(&format!("## {}\n\n", h.join(" ")));
            }
            let len = 10 + (i * 7) % 70;
            let words: Vec<&str> = (0..len).map(|_| word()).collect();
            body.push_str(&words.join(" "));
            (
                format!("content/sinh-ra/tl-{i:04}.md"),
                format!("---\ntitle: {}\n---\n{body}.\n", title.join(" ")),
            )
        })
        .collect()
}

/// search.js reads every term of the browser's index as the Rust reader does: the documents
/// (Golomb-coded, of every density and parameter), frequency buckets, flags and forms, sparse
/// and dense, whole or cut by document range. 3,000 made-up documents besides the sample's.
#[test]
fn browser_reads_every_term_as_the_rust_reader() {
    let docs = generated_documents(3000);
    let extra: Vec<(&str, &str)> = docs.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect();
    let root = common::sample_copy(&extra);
    let out = root.path().join("public");
    sotay_generator::build(root.path(), &out).unwrap_or_else(|d| panic!("{:?}", d.sorted()));
    let page = std::fs::read_to_string(out.join("tim-kiem/index.html")).expect("search page");
    let at = page.find("data-index=\"/").expect("data-index") + "data-index=\"/".len();
    let root_file = &page[at..at + page[at..].find('"').expect("quote")];
    let off = sotay_generator::search::shards::OfflineIndex::open(root_file, |p| {
        std::fs::read(out.join(p)).ok()
    })
    .expect("offline index");
    let mut keys: Vec<&str> = off.keys().collect();
    keys.sort_unstable();
    let counts: Vec<usize> = keys.iter().map(|k| off.decode(k).0.len()).collect();
    let n = off.docs.len();
    assert!(n > 3000, "{n} documents");
    for (what, ok) in [
        ("in more than half", counts.iter().any(|&c| c * 2 > n)),
        (
            "in a tenth to a half",
            counts.iter().any(|&c| c * 10 > n && c * 2 <= n),
        ),
        ("in one", counts.contains(&1)),
    ] {
        assert!(ok, "some term is {what} of the documents");
    }
    // Common words are cut by document range (shards.rs `cut`): some range file exists, and
    // the readers below read those terms from it.
    let ranges = std::fs::read_dir(out.join("search/t"))
        .expect("search/t")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().matches('.').count() == 3)
        .count();
    assert!(ranges >= 2, "{ranges} range files");
    let keys_file = root.path().join("keys.json");
    std::fs::write(&keys_file, serde_json::to_vec(&keys).expect("json")).expect("write keys");
    let got = common::node(
        "decode.mjs",
        &[
            out.to_str().expect("utf-8"),
            keys_file.to_str().expect("utf-8"),
        ],
    );
    assert_eq!(got["errors"], serde_json::json!([]), "page errors");
    let mut multi = 0;
    for k in &keys {
        let (list, vars) = off.decode(k);
        multi += usize::from(vars.len() > 1 && list.iter().any(|p| p.2 != 1));
        let want = serde_json::json!({"list": list, "vars": vars});
        assert_eq!(got["decoded"][*k], want, "term {k:?}");
    }
    assert!(
        multi > 0,
        "some word has documents with other forms than its first"
    );
    // The terms came in every way a stream is written (shards.rs `encode_term`), so the
    // browser read each of them as the Rust reader does.
    assert_eq!(
        off.streams(),
        [
            "buckets coded",
            "buckets in subsets",
            "buckets packed",
            "no values",
            "values coded",
            "values dense",
            "values in planes",
            "values sparse"
        ],
        "ways of writing a stream met"
    );
    // Queries of common (cut) words, phrases and typos rank there as on the server.
    let queries = [
        "đảng viên dự bị",
        "dang vien",
        "cuong dinh",
        "cường định tăng",
        "\"sinh hoat chi bo\"",
        "\"đảng viên\" kiểm tra",
        "chi bo thang nam",
        "dang vien du bj",
        "cuongdinh",
        "kinh te xa hoi",
    ];
    let got = search_in_chromium(&out, &queries);
    let index = SearchIndex::open(&index_dir(&out)).expect("index");
    for q in queries {
        let server = assert_agree(&index, &got, q);
        assert!(server.total > 0, "{q:?} finds something");
    }
    assert_eq!(got["ui"]["errors"], serde_json::json!([]), "page errors");
}
