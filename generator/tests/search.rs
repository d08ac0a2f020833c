//! Search on the sample handbook and on small fixtures: folding, ranking, phrases, numbers,
//! snippets, filters, and agreement between the server index (tantivy) and the offline index.

use sotay_generator::search::index::{index_dir, SearchIndex};
use sotay_generator::search::offline::OfflineIndex;
use sotay_generator::search::{rank, FactsTable, Filter, Query};
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

fn sample() -> &'static Built {
    static S: OnceLock<Built> = OnceLock::new();
    S.get_or_init(|| build(&Path::new(env!("CARGO_MANIFEST_DIR")).join("..")))
}

fn top(b: &Built, q: &str) -> Vec<String> {
    b.index
        .search(q, &Filter::default(), 0, 3)
        .hits
        .into_iter()
        .map(|h| h.url)
        .collect()
}

fn offline(b: &Built) -> OfflineIndex {
    let dir = b.out.join("search");
    let file = std::fs::read_dir(&dir)
        .expect("search dir")
        .next()
        .expect("index file")
        .expect("entry")
        .path();
    OfflineIndex::parse(std::fs::read(file).expect("read")).expect("parse")
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
        (
            "chuyen sinh hoat dang",
            "/hoi-dap/thu-tuc-chuyen-sinh-hoat-dang/",
        ),
    ];
    let mut failures = Vec::new();
    for (q, want) in cases {
        let got = top(sample(), q);
        if got.first().map(String::as_str) != Some(want) {
            failures.push(format!("{q:?}: want {want} first, got {got:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn diacritics_case_and_unicode_forms_do_not_matter_for_recall() {
    let b = sample();
    let ids = |q: &str| -> Vec<String> {
        let mut v: Vec<String> = b
            .index
            .search(q, &Filter::default(), 0, 1000)
            .hits
            .into_iter()
            .map(|h| h.id)
            .collect();
        v.sort();
        v
    };
    let base = ids("dang vien");
    assert!(base.len() > 20);
    for q in [
        "Đảng viên",
        "ĐẢNG VIÊN",
        "đảng viên",
        "D\u{0323}ang vie\u{0302}n",
        "\u{0110}a\u{0309}ng vie\u{0302}n",
    ] {
        assert_eq!(ids(q), base, "query {q:?}");
    }
    assert_eq!(ids("hoà giải"), ids("hòa giải"));
    assert!(!ids("hòa giải").is_empty());
}

#[test]
fn exact_forms_rank_first_when_typed_with_diacritics() {
    // "đảng" and "đang" fold to the same word; typed with diacritics, the exact one wins.
    let dir = tempfile::tempdir().expect("temp");
    let w = |p: &str, t: &str| {
        let f = dir.path().join(p);
        std::fs::create_dir_all(f.parent().expect("parent")).expect("mkdir");
        std::fs::write(f, t).expect("write");
    };
    w(
        "content/a.md",
        "---\ntitle: Văn bản A\n---\nChúng tôi đang họp.\n",
    );
    w(
        "content/b.md",
        "---\ntitle: Văn bản B\n---\nCông tác đảng.\n",
    );
    let b = build(dir.path());
    let first = |q: &str| {
        b.index.search(q, &Filter::default(), 0, 1).hits[0]
            .id
            .clone()
    };
    assert_eq!(first("đảng"), "b");
    assert_eq!(first("đang"), "a");
    assert_eq!(b.index.search("dang", &Filter::default(), 0, 10).total, 2);
}

#[test]
fn phrases_snippets_and_escaping() {
    let dir = tempfile::tempdir().expect("temp");
    let w = |p: &str, t: &str| {
        let f = dir.path().join(p);
        std::fs::create_dir_all(f.parent().expect("parent")).expect("mkdir");
        std::fs::write(f, t).expect("write");
    };
    w("content/x.md", "---\ntitle: Ghi chú kỹ thuật\n---\nĐoạn mã `<script>alert(1)</script>` không được chạy. Chi bộ họp.\n");
    w(
        "content/y.md",
        "---\ntitle: Sinh hoạt chi bộ\n---\nBộ chi tiêu. Chi bộ sinh hoạt.\n",
    );
    w(
        "content/z.md",
        "---\ntitle: Khác\n---\nBộ phận chi trả, hoạt động sinh động.\n",
    );
    let b = build(dir.path());
    let r = b.index.search("script alert", &Filter::default(), 0, 5);
    assert_eq!(r.total, 1);
    let s = &r.hits[0].snippet;
    assert!(
        s.contains("&lt;<mark>script</mark>&gt;<mark>alert</mark>(1)&lt;/<mark>script</mark>&gt;"),
        "{s}"
    );
    assert!(!s.contains("<script"), "{s}");

    // The title holding the words in order ranks first; a quoted phrase found nowhere as a
    // phrase counts half.
    let r = b
        .index
        .search("\"sinh hoat chi bo\"", &Filter::default(), 0, 5);
    assert_eq!(
        r.hits.iter().map(|h| h.id.as_str()).collect::<Vec<_>>(),
        ["y", "z"]
    );
    assert!(r.hits[0].score > 2.0 * r.hits[1].score);
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
    assert_eq!(
        b.index
            .search("zzzkhongco", &Filter::default(), 0, 10)
            .total,
        0
    );
}

/// The offline index holds the same facts as the tantivy index: every query ranks the same.
#[test]
fn offline_index_ranks_exactly_like_the_server_index() {
    let b = sample();
    let off = offline(b);
    assert_eq!(off.docs, b.index.docs());
    let queries = [
        "dang vien",
        "Đảng viên dự bị",
        "Điều 5",
        "05-NQ/TU",
        "chi bo sinh hoat",
        "\"so tay dien tu\"",
        "đảng phí",
        "hoà giải",
        "sổ tay",
        "kiểm tra giám sát",
        "19:30",
        "nghị quyết",
        "ĐẢNG",
        "đang",
        "bí thư chi bộ",
        "quyen cua dang vien",
    ];
    for q in queries {
        let query = Query::parse(q);
        let server = b.index.rank(&query, &Filter::default());
        let browser = rank(
            &query,
            &off.docs,
            &FactsTable::new(&off.docs),
            &off,
            &Filter::default(),
        );
        assert_eq!(server, browser, "query {q:?}");
        assert!(!server.is_empty(), "query {q:?} finds something");
    }
}
