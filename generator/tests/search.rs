//! Search on the sample handbook and on small fixtures: folding, adjacency, phrases, typos,
//! passages, numbers, snippets, filters; the ranking held to its documented formula computed
//! from the texts directly; the server index (tantivy) and the browser's index held to each
//! other; and an edit that changes only the browser index's files it touches.

use sotay_generator::search::correct;
use sotay_generator::search::index::{index_dir, SearchIndex};
use sotay_generator::search::shards::{self, OfflineIndex};
use sotay_generator::search::{rank, DocInfo, Filter, Query};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

struct Built {
    _dir: tempfile::TempDir,
    out: PathBuf,
    index: SearchIndex,
}

fn build(root: &Path) -> Built {
    let dir = tempfile::tempdir().expect("temp");
    let out = dir.path().join("public");
    sotay_generator::build(root, &out).unwrap_or_else(|d| panic!("{:?}", d.sorted()));
    let index = SearchIndex::open(&index_dir(&out)).expect("open index");
    Built {
        _dir: dir,
        out,
        index,
    }
}

fn sample_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn sample() -> &'static Built {
    static S: OnceLock<Built> = OnceLock::new();
    S.get_or_init(|| build(&sample_root()))
}

/// A site of its own for a test: (path, text) of its files.
fn site(files: &[(&str, &str)]) -> Built {
    let dir = tempfile::tempdir().expect("temp");
    write_files(dir.path(), files);
    let b = build(dir.path());
    std::mem::forget(dir);
    b
}

/// Writes (path, text) files under `root`.
fn write_files(root: &Path, files: &[(&str, &str)]) {
    for (p, t) in files {
        let f = root.join(p);
        std::fs::create_dir_all(f.parent().expect("parent")).expect("mkdir");
        std::fs::write(f, t).expect("write");
    }
}

fn doc(title: &str, body: &str) -> String {
    format!("---\ntitle: {title}\n---\n{body}\n")
}

fn urls(b: &Built, q: &str, n: usize) -> Vec<String> {
    b.index
        .search(q, &Filter::default(), 0, n)
        .hits
        .into_iter()
        .map(|h| h.url)
        .collect()
}

fn ids(b: &Built, q: &str) -> Vec<String> {
    b.index
        .search_with(q, &Filter::default(), 0, 100, false)
        .hits
        .into_iter()
        .map(|h| h.id)
        .collect()
}

/// The root of the browser's index, as the search page names it.
/// The server's index and the browser's (read in Rust) rank `q` alike and suggest the same
/// correction.
fn assert_ranks_alike(b: &Built, off: &OfflineIndex, q: &str) {
    let query = Query::parse(q);
    let server = b.index.rank(&query, &Filter::default());
    let browser = rank(&query, &off.docs, off, &Filter::default());
    assert_eq!(server, browser, "query {q:?}");
    let s = b.index.search(q, &Filter::default(), 0, 10);
    let o = correct::suggest(&query, browser.len(), off).map(|c| correct::display(&c, off));
    assert_eq!(s.suggestion, o, "suggestion for {q:?}");
}

fn offline(b: &Built) -> OfflineIndex {
    let page = std::fs::read_to_string(b.out.join("tim-kiem/index.html")).expect("search page");
    let at = page.find("data-index=\"/").expect("data-index") + "data-index=\"/".len();
    let root = &page[at..at + page[at..].find('"').expect("quote")];
    let out = b.out.clone();
    OfflineIndex::open(root, |p| std::fs::read(out.join(p)).ok()).expect("offline index")
}

#[test]
fn ranking_table_on_the_sample() {
    // (query, the URL that must come first)
    let cases = [
        ("dang vien du bi", "/hoi-dap/dang-vien-du-bi/"),
        ("Đảng viên dự bị", "/hoi-dap/dang-vien-du-bi/"),
        ("Điều 5", "/dieu-le/dieu-le-mau/#dieu-5"),
        ("dieu 5", "/dieu-le/dieu-le-mau/#dieu-5"),
        ("05-NQ/TU", "/nghi-quyet/nq-05-2026-sinh-hoat-chi-bo/"),
        ("05-nq/tu", "/nghi-quyet/nq-05-2026-sinh-hoat-chi-bo/"),
        ("12-CT/TU", "/chi-thi/ct-12-2026-so-tay-dien-tu/"),
        ("mien sinh hoat", "/hoi-dap/mien-sinh-hoat-dang/"),
        ("khen thưởng", "/hoi-dap/khen-thuong/"),
        ("ket nap lai", "/hoi-dap/ket-nap-lai/"),
        // The guide holds the words more often than the question and answer.
        (
            "chuyen sinh hoat dang",
            "/huong-dan/hd-05-chuyen-sinh-hoat-dang/",
        ),
        (
            "thu tuc chuyen sinh hoat dang gom nhung gi",
            "/hoi-dap/thu-tuc-chuyen-sinh-hoat-dang/",
        ),
        ("quyen cua dang vien", "/dieu-le/dieu-le-mau/#dieu-3"),
    ];
    let mut failures = Vec::new();
    for (q, want) in cases {
        let got = urls(sample(), q, 3);
        if got.first().map(String::as_str) != Some(want) {
            failures.push(format!("{q:?}: want {want} first, got {got:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Together > scattered, in order > reversed, more often > once, title > heading > body.
#[test]
fn adjacency_frequency_and_fields_rank() {
    let filler = "Một đoạn văn bình thường về công tác chung của cơ quan. ";
    let files = [
        (
            "content/together.md",
            doc(
                "Văn bản một",
                &format!("{filler}Kết nạp đảng viên dự bị trong năm. {filler}"),
            ),
        ),
        (
            "content/scattered.md",
            doc(
                "Văn bản hai",
                &format!("Đảng ủy họp. {filler}Một viên chức dự họp. {filler}Chuẩn bị tài liệu."),
            ),
        ),
        (
            "content/reversed.md",
            doc(
                "Văn bản ba",
                &format!("{filler}Chuẩn bị dự họp, viên chức của đảng. {filler}"),
            ),
        ),
        (
            "content/near.md",
            doc(
                "Văn bản bốn",
                &format!("{filler}Đảng viên và dự bị. {filler}"),
            ),
        ),
        (
            "content/often.md",
            doc(
                "Văn bản năm",
                "Tài liệu tài liệu tài liệu tài liệu học tập.",
            ),
        ),
        ("content/once.md", doc("Văn bản sáu", "Tài liệu học tập.")),
        (
            "content/in-title.md",
            doc("Hướng dẫn kiểm điểm", "Nội dung chung."),
        ),
        (
            "content/in-heading.md",
            doc("Văn bản bảy", "## Kiểm điểm\n\nNội dung chung."),
        ),
        (
            "content/in-body.md",
            doc("Văn bản tám", "Nội dung chung về kiểm điểm."),
        ),
    ];
    let files: Vec<(&str, &str)> = files.iter().map(|(p, t)| (*p, t.as_str())).collect();
    let b = site(&files);
    let got = ids(&b, "dang vien du bi");
    assert_eq!(got[0], "together", "{got:?}");
    let pos = |id: &str| got.iter().position(|g| g == id).expect(id);
    assert!(
        pos("near") < pos("scattered"),
        "adjacent pairs count: {got:?}"
    );
    assert!(pos("together") < pos("reversed"), "{got:?}");
    assert_eq!(ids(&b, "tai lieu hoc tap"), ["often", "once"]);
    assert_eq!(ids(&b, "kiem diem"), ["in-title", "in-heading", "in-body"]);
}

#[test]
fn quoted_phrases_are_phrases() {
    let b = site(&[
        ("content/a.md", &doc("A", "Đảng viên dự bị được dự họp.")),
        (
            "content/b.md",
            &doc("B", "Đảng viên được dự họp, chuẩn bị tài liệu."),
        ),
        ("content/c.md", &doc("C", "Nộp đảng phí hằng tháng.")),
        ("content/d.md", &doc("D", "Dang phi la tieng khong dau.")),
    ]);
    let r = b
        .index
        .search("\"dang vien du bi\"", &Filter::default(), 0, 10);
    assert_eq!(r.total, 1);
    assert_eq!(r.hits[0].id, "a");
    assert_eq!(ids(&b, "dang vien du bi"), ["a", "b"]);
    // Folded when typed without diacritics, exact when typed with them.
    assert_eq!(ids(&b, "\"dang phi\""), ["c", "d"]);
    assert_eq!(ids(&b, "\"đảng phí\""), ["c"]);
    // A phrase inside a longer query still has to stand together.
    assert_eq!(ids(&b, "\"du bi\" dang"), ["a"]);
    assert_eq!(
        b.index
            .search_with("\"vien du bi\"", &Filter::default(), 0, 10, false)
            .total,
        1
    );
}

/// The indexes know pairs, not positions: a document holding every pair of a run of three
/// words apart, often, and in its title would outrank the one holding the run once; the
/// text of the first documents is read to put the run first, and to hold quoted phrases of
/// three words or more to the letter.
#[test]
fn runs_of_three_words_are_checked_in_the_text() {
    let scattered = "Sinh hoạt chi bộ. Chi bộ đảng. Bộ đảng viên. Đảng viên mới. ";
    let b = site(&[
        (
            "content/a.md",
            &doc("Đảng viên, chi bộ đảng", &scattered.repeat(6)),
        ),
        (
            "content/b.md",
            &doc("Ghi chép", "Hôm nay chi bộ đảng viên họp thường kỳ."),
        ),
        ("content/c.md", &doc("Khác", "Không có các từ ấy.")),
    ]);
    // Without the check, the scattered one is first (title, frequency).
    let by_index: Vec<String> = b
        .index
        .rank(&Query::parse("chi bo dang vien"), &Filter::default())
        .iter()
        .map(|r| b.index.docs()[r.ord as usize].id.clone())
        .collect();
    assert_eq!(by_index, ["a", "b"]);
    assert_eq!(ids(&b, "chi bo dang vien"), ["b", "a"]);
    assert_eq!(ids(&b, "chi bộ đảng viên"), ["b", "a"]);
    // Reversed, nobody holds the run: the index's order stays.
    assert_eq!(
        ids(&b, "vien dang bo chi").first().map(String::as_str),
        Some("a")
    );
    // Quoted, only the document that holds the words in a row, and `total` says so.
    let r = b
        .index
        .search("\"chi bo dang vien\"", &Filter::default(), 0, 10);
    assert_eq!((r.total, r.hits.len()), (1, 1));
    assert_eq!(r.hits[0].id, "b");
}

#[test]
fn typos_are_corrected_with_a_suggestion() {
    let b = sample();
    for (typed, want) in [
        ("dang vien du bj", "đảng viên dự bị"),
        ("dang vien du bii", "đảng viên dự bị"),
        ("dangphi", "đảng phí"),
        ("dang vi en du bi", "đảng viên dự bị"),
        ("đảng viên dự bj", "đảng viên dự bị"),
    ] {
        let r = b.index.search(typed, &Filter::default(), 0, 3);
        assert_eq!(r.suggestion.as_deref(), Some(want), "{typed:?}");
        assert!(r.total > 0, "{typed:?} shows the results of {want:?}");
        let exact = b.index.search(want, &Filter::default(), 0, 3);
        let urls = |r: &sotay_generator::search::Results| -> Vec<String> {
            r.hits.iter().map(|h| h.url.clone()).collect()
        };
        assert_eq!(urls(&r), urls(&exact), "{typed:?}");
        assert_eq!(r.total, exact.total, "{typed:?}");
    }
    // Nothing to correct; or correction turned off.
    for q in ["dang vien du bi", "Điều lệ", "sinh hoat chi bo"] {
        assert_eq!(
            b.index.search(q, &Filter::default(), 0, 3).suggestion,
            None,
            "{q}"
        );
    }
    let r = b
        .index
        .search_with("dang vien du bj", &Filter::default(), 0, 3, false);
    assert_eq!((r.total, r.suggestion), (0, None));
    // A word no document has and nothing near it: no suggestion, nothing found.
    let r = b.index.search("qqqqzzzz", &Filter::default(), 0, 3);
    assert_eq!((r.total, r.suggestion), (0, None));
}

#[test]
fn passages_name_the_article_and_show_its_text() {
    let b = sample();
    let r = b.index.search(
        "đảng viên dự bị có quyền biểu quyết không",
        &Filter::default(),
        0,
        5,
    );
    let charter = r
        .hits
        .iter()
        .find(|h| h.id.starts_with("dieu-le"))
        .expect("the charter is among the hits");
    assert!(charter.url.contains('#'), "{charter:?}");
    let passage = charter.passage.as_deref().expect("a passage");
    assert!(passage.starts_with("Điều"), "{passage}");
    assert!(
        charter
            .snippet
            .contains("<mark>biểu</mark> <mark>quyết</mark>"),
        "{}",
        charter.snippet
    );
    // A heading's words: the hit links to that heading.
    let r = b.index.search("Điều 5", &Filter::default(), 0, 1);
    assert_eq!(r.hits[0].url, "/dieu-le/dieu-le-mau/#dieu-5");
    assert!(r.hits[0]
        .snippet
        .starts_with("<strong><mark>Điều</mark> <mark>5</mark>"));
}

#[test]
fn diacritics_case_and_unicode_forms_do_not_matter_for_recall() {
    let b = sample();
    let sorted = |q: &str| -> Vec<String> {
        let mut v = ids(b, q);
        v.sort();
        v
    };
    let base = sorted("dang vien");
    assert!(base.len() > 20);
    for q in [
        "Đảng viên",
        "ĐẢNG VIÊN",
        "đảng viên",
        "D\u{0323}ang vie\u{0302}n",
        "\u{0110}a\u{0309}ng vie\u{0302}n",
    ] {
        assert_eq!(sorted(q), base, "query {q:?}");
    }
    assert_eq!(sorted("hoà giải"), sorted("hòa giải"));
    assert!(!sorted("hòa giải").is_empty());
    // NFD with a phrase, exactly as NFC.
    assert_eq!(
        ids(
            b,
            "\"\u{0111}a\u{0309}ng vie\u{0302}n du\u{031B}\u{0323} bi\u{0323}\""
        ),
        ids(b, "\"đảng viên dự bị\"")
    );
}

#[test]
fn exact_forms_rank_first_when_typed_with_diacritics() {
    // "đảng" and "đang" fold to the same word; typed with diacritics, the exact one wins.
    let b = site(&[
        ("content/a.md", &doc("Văn bản A", "Chúng tôi đang họp.")),
        ("content/b.md", &doc("Văn bản B", "Công tác đảng.")),
    ]);
    assert_eq!(ids(&b, "đảng")[0], "b");
    assert_eq!(ids(&b, "đang")[0], "a");
    assert_eq!(b.index.search("dang", &Filter::default(), 0, 10).total, 2);
}

#[test]
fn snippets_are_escaped() {
    let b = site(&[(
        "content/x.md",
        &doc(
            "Ghi chú kỹ thuật",
            "Đoạn mã `<script>alert(1)</script>` không được chạy. Chi bộ họp.",
        ),
    )]);
    let r = b.index.search("script alert", &Filter::default(), 0, 5);
    assert_eq!(r.total, 1);
    let s = &r.hits[0].snippet;
    assert!(
        s.contains("&lt;<mark>script</mark>&gt;<mark>alert</mark>(1)&lt;/<mark>script</mark>&gt;"),
        "{s}"
    );
    assert!(!s.contains("<script"), "{s}");
}

#[test]
fn filters_and_pages() {
    let b = sample();
    let all = b.index.search("dang vien", &Filter::default(), 0, 1000);
    let page2 = b.index.search("dang vien", &Filter::default(), 5, 5);
    assert_eq!(page2.total, all.total);
    assert_eq!(page2.hits, all.hits[5..10].to_vec());
    let kind = Filter {
        kind: Some("hoi-dap".into()),
        ..Filter::default()
    };
    let r = b.index.search("dang vien", &kind, 0, 1000);
    assert!(r.total > 0 && r.total < all.total);
    assert!(r.hits.iter().all(|h| h.kind.as_deref() == Some("hoi-dap")));
    let section = Filter {
        section: Some("sinh-hoat-chi-bo".into()),
        ..Filter::default()
    };
    let r = b.index.search("dang vien", &section, 0, 1000);
    assert!(
        r.total > 0
            && r.hits
                .iter()
                .all(|h| h.url.starts_with("/sinh-hoat-chi-bo/"))
    );
    let year = Filter {
        year: Some(2019),
        ..Filter::default()
    };
    assert!(b.index.search("sinh hoat", &year, 0, 100).total >= 1);
    assert_eq!(b.index.search("", &Filter::default(), 0, 10).total, 0);
}

const QUERIES: &[&str] = &[
    "dang vien",
    "Đảng viên dự bị",
    "đảng viên đảng viên",
    "Điều 5",
    "05-NQ/TU",
    "\"chi bộ\" \"sinh hoạt\"",
    "\"sinh hoạt chi bộ\" nghị quyết",
    "\"đảng viên xyzzy\"",
    "chi bo sinh hoat dang",
    "hoà giải",
    "hòa giải",
    "quyền của đảng viên",
    "NGHỊ QUYẾT",
    "sổ tay điện tử",
    "tu phe binh va phe binh",
    "\"tự phê bình\"",
    "2025",
    "chuong ii",
    "xyzzy",
    "đảng",
    "đang",
    "19:30",
    "bí thư chi bộ",
    "vien dang",
];

/// The browser's index holds the same facts as the tantivy index: every query ranks the same
/// and gets the same correction.
#[test]
fn offline_index_ranks_and_corrects_exactly_like_the_server_index() {
    let b = sample();
    let off = offline(b);
    assert_eq!(off.docs.len(), b.index.docs().len());
    let typos = [
        "dang vien du bj",
        "dang vien du bii",
        "dangphi",
        "dang vi en",
        "sinh hoat chi bo thang muoi hai",
        "kiem tra giam sat cua chi bo",
    ];
    for q in QUERIES.iter().chain(typos.iter()) {
        assert_ranks_alike(b, &off, q);
    }
}

/// The facts of one document, computed from its texts directly, with nothing of the index.
struct Facts {
    tf: HashMap<String, u32>,
    title: BTreeSet<String>,
    heading: BTreeSet<String>,
    pairs: BTreeSet<(String, String)>,
    title_pairs: BTreeSet<(String, String)>,
    heading_pairs: BTreeSet<(String, String)>,
    exact: BTreeSet<String>,
    number: Vec<String>,
}

fn folded(s: &str) -> Vec<String> {
    sotay_generator::text::tokens(s)
        .into_iter()
        .map(|t| t.folded)
        .collect()
}

fn facts(d: &sotay_generator::search::index::SearchDoc) -> Facts {
    let mut f = Facts {
        tf: HashMap::new(),
        title: folded(&d.info.title).into_iter().collect(),
        heading: BTreeSet::new(),
        pairs: BTreeSet::new(),
        title_pairs: BTreeSet::new(),
        heading_pairs: BTreeSet::new(),
        exact: BTreeSet::new(),
        number: d.info.number.as_deref().map(folded).unwrap_or_default(),
    };
    let segments = [
        Some(d.info.title.as_str()),
        d.info.number.as_deref(),
        d.issuer.as_deref(),
        Some(d.body()),
    ];
    for s in segments.into_iter().flatten() {
        let toks = sotay_generator::text::tokens(s);
        for t in &toks {
            *f.tf.entry(t.folded.clone()).or_default() += 1;
            f.exact.insert(t.exact.clone());
        }
        for w in toks.windows(2) {
            f.pairs.insert((w[0].folded.clone(), w[1].folded.clone()));
        }
    }
    for w in folded(&d.info.title).windows(2) {
        f.title_pairs.insert((w[0].clone(), w[1].clone()));
    }
    for h in d.rendered.headings.iter().filter(|h| h.level <= 4) {
        let ws = folded(&h.text);
        f.heading.extend(ws.iter().cloned());
        for w in ws.windows(2) {
            f.heading_pairs.insert((w[0].clone(), w[1].clone()));
        }
    }
    f
}

/// The score of `rank`'s documentation, from the facts of each document's texts.
fn direct(query: &Query, docs: &[DocInfo], facts: &[Facts], filter: &Filter) -> Vec<(u32, f64)> {
    if query.terms.is_empty() {
        return Vec::new();
    }
    let n = docs.len() as f64;
    let mut distinct: Vec<&sotay_generator::search::QueryTerm> = Vec::new();
    for t in &query.terms {
        if !distinct
            .iter()
            .any(|d| d.folded == t.folded && d.exact == t.exact)
        {
            distinct.push(t);
        }
    }
    let df = |w: &str| facts.iter().filter(|f| f.tf.contains_key(w)).count() as f64;
    let idf_of = |w: &str| (1.0 + (n - df(w) + 0.5) / (df(w) + 0.5)).ln();
    let idf: Vec<f64> = distinct.iter().map(|t| idf_of(&t.folded)).collect();
    let sum_idf: f64 = idf.iter().sum();
    let seq: Vec<String> = query.terms.iter().map(|t| t.folded.clone()).collect();
    let pair = |i: usize| (seq[i].clone(), seq[i + 1].clone());
    let mut out = Vec::new();
    for (ord, (d, f)) in docs.iter().zip(facts).enumerate() {
        let section_ok = filter.section.as_ref().is_none_or(|s| {
            d.section
                .as_ref()
                .is_some_and(|ds| ds == s || ds.starts_with(&format!("{s}/")))
        });
        let phrases_ok = query.phrases.iter().all(|&(a, b)| {
            (a..b).all(|i| {
                (i + 1 >= b || f.pairs.contains(&pair(i)))
                    && (!query.terms[i].accented || f.exact.contains(&query.terms[i].exact))
            })
        });
        if !seq.iter().all(|w| f.tf.contains_key(w))
            || !phrases_ok
            || filter
                .kind
                .as_ref()
                .is_some_and(|k| d.kind.as_ref() != Some(k))
            || filter.year.is_some_and(|y| d.year != Some(y))
            || !section_ok
        {
            continue;
        }
        let mut s = 0.0;
        for (i, t) in distinct.iter().enumerate() {
            let tf = f.tf[&t.folded];
            let bucket = match tf {
                1 => 0.0,
                2..=3 => 1.0,
                4..=7 => 2.0,
                _ => 3.0,
            };
            s += idf[i] * (1.0 + 0.5 * bucket);
            if f.title.contains(&t.folded) {
                s += 2.0 * idf[i];
            }
            if f.heading.contains(&t.folded) {
                s += idf[i];
            }
            if t.accented && f.exact.contains(&t.exact) {
                s += idf[i];
            }
        }
        if seq.len() >= 2 {
            let (mut all, mut title, mut heading) = (true, true, true);
            for i in 0..seq.len() - 1 {
                let p = pair(i);
                if f.pairs.contains(&p) {
                    s += idf_of(&p.0) + idf_of(&p.1);
                    title &= f.title_pairs.contains(&p);
                    heading &= f.heading_pairs.contains(&p);
                } else {
                    (all, title, heading) = (false, false, false);
                }
            }
            if all {
                s += 4.0 * sum_idf;
            }
            if title {
                s += 3.0 * sum_idf;
            }
            if heading {
                s += 2.0 * sum_idf;
            }
        }
        if !f.number.is_empty() && f.number == seq {
            s += 10.0 * sum_idf;
        }
        if d.inactive() {
            s *= 0.7;
        }
        out.push((ord as u32, (s * 1e6).round() / 1e6));
    }
    out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    out
}

/// `rank` answers from postings; this is its documented formula computed from each document's
/// texts. Both must give the same scores to the last bit and the same order, and `top(k)`
/// must be the first `k` of `rank`.
#[test]
fn ranking_is_the_documented_formula() {
    let site = sotay_generator::generate(&sample_root()).unwrap_or_else(|d| panic!("{d:?}"));
    let docs: Vec<DocInfo> = site.search_docs.iter().map(|d| (*d.info).clone()).collect();
    let all_facts: Vec<Facts> = site.search_docs.iter().map(facts).collect();
    let b = sample();
    assert_eq!(b.index.docs(), docs.as_slice());
    let filters = [
        Filter::default(),
        Filter {
            kind: Some("hoi-dap".into()),
            ..Filter::default()
        },
        Filter {
            section: Some("sinh-hoat-chi-bo".into()),
            ..Filter::default()
        },
        Filter {
            year: Some(2026),
            ..Filter::default()
        },
    ];
    let mut compared = 0;
    for q in QUERIES {
        let query = Query::parse(q);
        for f in &filters {
            let want = direct(&query, &docs, &all_facts, f);
            let got: Vec<(u32, f64)> = b
                .index
                .rank(&query, f)
                .into_iter()
                .map(|r| (r.ord, r.score))
                .collect();
            assert_eq!(got, want, "query {q:?} with {f:?}");
            compared += want.len();
        }
    }
    assert!(
        compared > 500,
        "the queries match enough documents to test: {compared}"
    );
    let off = offline(b);
    for q in QUERIES {
        let query = Query::parse(q);
        let all = rank(&query, &off.docs, &off, &Filter::default());
        for k in [0, 1, 3, 10] {
            let (total, first) =
                sotay_generator::search::top(&query, &off.docs, &off, &Filter::default(), k);
            assert_eq!(total, all.len(), "total for {q:?}");
            assert_eq!(first, all[..k.min(all.len())].to_vec(), "top {k} for {q:?}");
        }
    }
}

/// `sotay build` gives tantivy the terms it already made for the browser's index; `sotay serve`'s
/// updater analyses a changed document again. Both must make the same index: every term of
/// the sample finds the same documents with the same flags in both.
#[test]
fn tantivy_index_from_the_terms_equals_the_analysed_one() {
    let dir = tempfile::tempdir().expect("temp");
    let mut builder = sotay_generator::Builder::new(&sample_root());
    let (_, docs) = sotay_generator::build_pages(&mut builder, &dir.path().join("public"))
        .unwrap_or_else(|d| panic!("{:?}", d.sorted()));
    let (a, b) = (dir.path().join("from-terms"), dir.path().join("analysed"));
    sotay_generator::search::index::write(&docs, &a, Some(builder.terms())).expect("write");
    sotay_generator::search::index::write(&docs, &b, None).expect("write");
    // A large site's index is written in one segment per thread: the same index to a reader.
    let c = dir.path().join("in-segments");
    sotay_generator::search::index::write_in(&docs, &c, Some(builder.terms()), 3).expect("write");
    let segments = std::fs::read_dir(&c)
        .expect("index")
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "store"))
        })
        .count();
    assert_eq!(segments, 3);
    // Postings written from the terms (`inverted`) are tantivy's own from the lines, term for
    // term and document for document, in every indexed field; in three segments too.
    let (pa, pb, pc) = (postings_of(&a), postings_of(&b), postings_of(&c));
    assert!(pa.len() > 5000, "{} terms", pa.len());
    for field in ["ord", "id", "w", "x"] {
        assert!(pa.keys().any(|(f, _)| f == field), "no {field} terms");
    }
    assert!(pa == pb, "{}", first_difference(&pa, &pb));
    assert!(pa == pc, "{}", first_difference(&pa, &pc));
    let (a, b, c) = (
        SearchIndex::open(&a).expect("open"),
        SearchIndex::open(&b).expect("open"),
        SearchIndex::open(&c).expect("open"),
    );
    let keys = builder.terms();
    assert!(keys.len() > 5000, "{} terms", keys.len());
    let mut found = 0;
    for k in keys.iter().step_by(3) {
        let q = Query::parse(k);
        let (x, y) = (
            a.rank(&q, &Filter::default()),
            b.rank(&q, &Filter::default()),
        );
        assert_eq!(x, y, "{k:?}");
        assert_eq!(x, c.rank(&q, &Filter::default()), "{k:?} in segments");
        found += usize::from(!x.is_empty());
    }
    assert!(
        found > keys.len() / 6,
        "{found} of {} terms found",
        keys.len() / 3
    );
    // Passages and snippets come from the stored bodies, in whichever segment.
    for q in [
        "đảng viên dự bị",
        "\"sinh hoat chi bo\"",
        "dang vien du bj",
        "kỷ luật",
    ] {
        let (x, y) = (
            a.search(q, &Filter::default(), 0, 10),
            c.search(q, &Filter::default(), 0, 10),
        );
        assert!(!x.hits.is_empty(), "{q}");
        assert_eq!(
            serde_json::to_string(&x).expect("json"),
            serde_json::to_string(&y).expect("json"),
            "{q}"
        );
    }
}

/// A "word" longer than tantivy takes (65,530 bytes) is left out of the index written from the
/// terms as `SegmentWriter` leaves it out of the analysed one; the rest of its document is found.
#[test]
fn a_word_too_long_for_tantivy_is_left_out_alike() {
    let dir = tempfile::tempdir().expect("temp");
    let root = dir.path().join("site");
    let long = doc(
        "Văn bản dài",
        &format!("Đảng viên {} sinh hoạt", "a".repeat(70_000)),
    );
    let short = doc("Văn bản ngắn", "Chi bộ sinh hoạt");
    write_files(&root, &[("content/a.md", &long), ("content/b.md", &short)]);
    let mut builder = sotay_generator::Builder::new(&root);
    let (_, docs) = sotay_generator::build_pages(&mut builder, &dir.path().join("public"))
        .unwrap_or_else(|d| panic!("{:?}", d.sorted()));
    let (a, b) = (dir.path().join("from-terms"), dir.path().join("analysed"));
    sotay_generator::search::index::write(&docs, &a, Some(builder.terms())).expect("write");
    sotay_generator::search::index::write(&docs, &b, None).expect("write");
    let (pa, pb) = (postings_of(&a), postings_of(&b));
    assert!(pa == pb, "{}", first_difference(&pa, &pb));
    assert!(pa.keys().all(|(_, t)| t.len() <= 65_530));
    let index = SearchIndex::open(&a).expect("open");
    let found = index.search("dang vien sinh hoat", &Filter::default(), 0, 10);
    assert_eq!(found.total, 1, "{found:?}");
}

/// Every term of every indexed field of the tantivy index in `dir`, with the ordinals of its
/// documents (a segment's documents follow the previous segments').
fn postings_of(dir: &Path) -> BTreeMap<(String, Vec<u8>), Vec<u32>> {
    use tantivy::schema::IndexRecordOption;
    let index = tantivy::Index::open_in_dir(dir).expect("open");
    let schema = index.schema();
    let searcher = index.reader().expect("reader").searcher();
    let mut all: BTreeMap<(String, Vec<u8>), Vec<u32>> = BTreeMap::new();
    let mut first = 0;
    for segment in searcher.segment_readers() {
        for (field, entry) in schema.fields().filter(|(_, e)| e.is_indexed()) {
            let inverted = segment.inverted_index(field).expect("inverted index");
            let mut terms = inverted.terms().stream().expect("terms");
            while terms.advance() {
                let mut block = inverted
                    .read_block_postings_from_terminfo(terms.value(), IndexRecordOption::Basic)
                    .expect("postings");
                let docs = all
                    .entry((entry.name().to_string(), terms.key().to_vec()))
                    .or_default();
                while !block.docs().is_empty() {
                    docs.extend(block.docs().iter().map(|d| first + d));
                    block.advance();
                }
            }
        }
        first += segment.max_doc();
    }
    all
}

fn first_difference(
    a: &BTreeMap<(String, Vec<u8>), Vec<u32>>,
    b: &BTreeMap<(String, Vec<u8>), Vec<u32>>,
) -> String {
    let show = |k: &(String, Vec<u8>)| {
        let t: String = String::from_utf8_lossy(&k.1).chars().take(60).collect();
        format!("{} {t:?} ({} bytes)", k.0, k.1.len())
    };
    for (k, v) in a {
        match b.get(k) {
            None => return format!("{} only in the first", show(k)),
            Some(w) if w != v => return format!("{}: {v:?} against {w:?}", show(k)),
            _ => {}
        }
    }
    match b.keys().find(|k| !a.contains_key(*k)) {
        Some(k) => format!("{} only in the second", show(k)),
        None => "the same".into(),
    }
}

/// What the browser's index is made of after an edit: only the groups of the terms the edit
/// touched, their directories, the edited document's display shard and the root are new files.
#[test]
fn an_edit_changes_only_the_shards_it_touches() {
    let dir = tempfile::tempdir().expect("temp");
    let root = dir.path().join("site");
    copy_dir(&sample_root().join("content"), &root.join("content"));
    std::fs::copy(sample_root().join("sotay.yaml"), root.join("sotay.yaml")).expect("config");
    let files = |out: &Path| -> BTreeMap<String, Vec<u8>> {
        let mut m = BTreeMap::new();
        for e in walkdir(out.join("search")) {
            let rel = e
                .strip_prefix(out)
                .expect("prefix")
                .to_string_lossy()
                .into_owned();
            m.insert(rel, std::fs::read(&e).expect("read"));
        }
        m
    };
    let terms_of = |out: &Path, id: &str| -> BTreeMap<String, u8> {
        let site = sotay_generator::generate(out).unwrap_or_else(|d| panic!("{d:?}"));
        let d = site
            .search_docs
            .iter()
            .find(|d| d.info.id == id)
            .expect("doc");
        d.analyze()
            .terms()
            .map(|(k, m)| (k.to_string(), m))
            .collect()
    };
    let out1 = dir.path().join("one");
    sotay_generator::build(&root, &out1).unwrap_or_else(|d| panic!("{:?}", d.sorted()));
    let before = files(&out1);
    let t1 = terms_of(&root, "hoi-dap/dang-vien-du-bi");
    let path = root.join("content/hoi-dap/dang-vien-du-bi.md");
    let mut text = std::fs::read_to_string(&path).expect("doc");
    text.push_str("\nChi bộ tổ chức kết nạp đúng quy trình, bảo đảm khách quan.\n");
    std::fs::write(&path, text).expect("write");
    let out2 = dir.path().join("two");
    sotay_generator::build(&root, &out2).unwrap_or_else(|d| panic!("{:?}", d.sorted()));
    let after = files(&out2);
    let t2 = terms_of(&root, "hoi-dap/dang-vien-du-bi");
    // The terms whose postings changed: added, removed, or with other flags.
    let touched: BTreeSet<&String> = t1
        .keys()
        .chain(t2.keys())
        .filter(|k| t1.get(*k) != t2.get(*k))
        .collect();
    assert!(!touched.is_empty());
    let off = offline(&Built {
        _dir: tempfile::tempdir().expect("temp"),
        index: SearchIndex::open(&index_dir(&out2)).expect("index"),
        out: out2.clone(),
    });
    let groups = shards::groups_for(off.docs.len());
    let want: BTreeSet<u32> = touched
        .iter()
        .map(|k| shards::group_of(k, groups))
        .collect();
    let new: Vec<&String> = after.keys().filter(|k| !before.contains_key(*k)).collect();
    let new_groups = new.iter().filter(|k| k.starts_with("search/t/")).count();
    assert_eq!(new_groups, want.len(), "new group files: {new:?}");
    // The directories of those groups (each names DIR_GROUPS groups' files).
    let want_dirs: BTreeSet<u32> = want.iter().map(|g| g / shards::DIR_GROUPS as u32).collect();
    let new_dirs = new.iter().filter(|k| k.starts_with("search/g/")).count();
    assert_eq!(new_dirs, want_dirs.len(), "new directories: {new:?}");
    let others: Vec<&&String> = new
        .iter()
        .filter(|k| !k.starts_with("search/t/") && !k.starts_with("search/g/"))
        .collect();
    // The root, and the vocabulary of a letter if the edit brought a new word.
    assert!(
        others.iter().any(|k| k.starts_with("search/index.")),
        "{others:?}"
    );
    assert!(
        others
            .iter()
            .all(|k| k.starts_with("search/index.") || k.starts_with("search/v/")),
        "{others:?}"
    );
}

fn walkdir(dir: PathBuf) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read dir") {
        let p = e.expect("entry").path();
        let dest = to.join(p.file_name().expect("name"));
        if p.is_dir() {
            copy_dir(&p, &dest);
        } else {
            std::fs::copy(&p, &dest).expect("copy");
        }
    }
}

/// On the sample's real text the check matters: a quoted phrase's pairs are held by more
/// documents than the phrase ("của", "đảng viên" apart), and runs reorder the first results.
#[test]
fn runs_matter_on_the_sample() {
    let b = sample();
    let by_index = |q: &str| b.index.rank(&Query::parse(q), &Filter::default());
    let quoted = "\"cua dang vien\"";
    let checked = b
        .index
        .search_with(quoted, &Filter::default(), 0, 10, false);
    assert!(checked.total < by_index(quoted).len(), "{}", checked.total);
    for h in &checked.hits {
        let d = b
            .index
            .docs()
            .iter()
            .position(|d| d.id == h.id)
            .expect("hit");
        assert!(
            by_index(quoted).iter().any(|r| r.ord as usize == d),
            "{} is one of the index's candidates",
            h.id
        );
    }
    let q = "nhiem vu cua dang vien";
    let first: Vec<String> = by_index(q)
        .iter()
        .take(10)
        .map(|r| b.index.docs()[r.ord as usize].id.clone())
        .collect();
    assert_ne!(ids(b, q)[..10], first[..], "{q:?}");
}

/// In a site of more than 1,024 documents the postings of common words are cut by document
/// range (shards.rs `cut`), each range in a file of its own: the browser's index still ranks
/// every term and query (exact forms, flags, frequencies, phrases, typos) as the server's.
#[test]
fn terms_cut_by_document_range_rank_as_on_the_server() {
    // Words of several forms, drawn in any of them: a mask bit for each form in every posting
    // makes these the largest terms.
    const WORDS: &[&str] = &[
        "cường", "cương", "cuồng", "định", "đình", "đinh", "tăng", "tầng", "đảng", "viên", "chi",
        "bộ", "sinh", "hoạt", "kiểm", "tra", "nghị", "quyết", "thực", "hiện", "tháng", "năm",
        "học", "tập", "công", "tác", "phát", "triển", "kinh", "tế", "văn", "hoá", "hóa", "dân",
        "vận", "thống", "nhất", "điều", "lệ", "khoản",
    ];
    // Enough documents for the largest terms to pass 2 KB (`SPLIT_BYTES`) however compactly
    // their flags, forms and frequencies are coded: 4 ranges of 1,024.
    const DOCS: usize = 4000;
    let mut seed = 0x51CE_2026_u64;
    let mut next = move |m: usize| {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        (seed >> 33) as usize % m
    };
    let docs: Vec<(String, String)> = (0..DOCS)
        .map(|i| {
            // Skewed: the first words in nearly every document, the last in a few.
            let mut word = || WORDS[next(WORDS.len()).min(next(WORDS.len()))];
            let title: Vec<&str> = (0..3 + i % 3).map(|_| word()).collect();
            let mut body = String::new();
            if i % 4 == 0 {
                let h: Vec<&str> = (0..3).map(|_| word()).collect();
                body.push_str(&format!("## {}\n\n", h.join(" ")));
            }
            let words: Vec<&str> = (0..20 + i % 40).map(|_| word()).collect();
            body.push_str(&words.join(" "));
            (
                format!("content/vb/vb-{i:04}.md"),
                doc(&title.join(" "), &format!("{body}.")),
            )
        })
        .collect();
    let files: Vec<(&str, &str)> = docs.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect();
    let b = site(&files);
    let ranges = walkdir(b.out.join("search/t"))
        .iter()
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().matches('.').count() == 3)
        })
        .count();
    assert!(ranges >= 2, "{ranges} range files: no term is cut");
    let off = offline(&b);
    assert_eq!(off.docs.len(), DOCS);
    let mut keys: Vec<&str> = off.keys().filter(|k| !k.starts_with('#')).collect();
    keys.sort_unstable();
    let mut queries: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
    queries.extend(
        [
            "cường",
            "cuồng định",
            "tầng",
            "\"cuong dinh\"",
            "đảng viên thực hiện",
            "tang cuong",
            "dinh cuonf",
            "dangvien",
            "\"nghị quyết\" kiểm tra",
        ]
        .map(String::from),
    );
    for q in &queries {
        assert_ranks_alike(&b, &off, q);
    }
}
