//! Search on the sample handbook and on small fixtures: folding, ranking, phrases, numbers,
//! snippets, filters, and agreement between the server index (tantivy) and the offline index.

use sotay_generator::search::index::{index_dir, SearchIndex};
use sotay_generator::search::offline::OfflineIndex;
use sotay_generator::search::{rank, FactsTable, Filter, Postings, Query};
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

/// `rank` answers its tests from inverted facts; this is the formula of its documentation
/// applied to each candidate directly, on strings (as the browser's port does). Both must give
/// the same scores to the last bit, the same headings and the same order, and `top(k)` must
/// be the first `k` of `rank`.
fn direct(
    query: &Query,
    docs: &[sotay_generator::search::DocInfo],
    postings: &impl Postings,
    filter: &Filter,
) -> Vec<(u32, f64, Option<usize>)> {
    use sotay_generator::search::folded_words;
    if query.terms.is_empty() {
        return Vec::new();
    }
    let n = f64::from(postings.num_docs());
    let mut distinct = Vec::new();
    for t in &query.terms {
        if !distinct
            .iter()
            .any(|d: &&sotay_generator::search::QueryTerm| {
                d.folded == t.folded && d.exact == t.exact
            })
        {
            distinct.push(t);
        }
    }
    let lists: Vec<Vec<u32>> = distinct.iter().map(|t| postings.docs(&t.folded)).collect();
    let idf: Vec<f64> = lists
        .iter()
        .map(|l| {
            let df = l.len() as f64;
            (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
        })
        .collect();
    let sum_idf: f64 = idf.iter().sum();
    let seq: Vec<String> = query.terms.iter().map(|t| t.folded.clone()).collect();
    let contains = |hay: &[String], needle: &[String]| {
        hay.len() >= needle.len() && hay.windows(needle.len()).any(|w| w == needle)
    };
    let mut out = Vec::new();
    for (ord, d) in docs.iter().enumerate() {
        let ord = ord as u32;
        let section_ok = filter.section.as_ref().is_none_or(|s| {
            d.section
                .as_ref()
                .is_some_and(|ds| ds == s || ds.starts_with(&format!("{s}/")))
        });
        if !lists.iter().all(|l| l.contains(&ord))
            || filter
                .kind
                .as_ref()
                .is_some_and(|k| d.kind.as_ref() != Some(k))
            || filter.year.is_some_and(|y| d.year != Some(y))
            || !section_ok
        {
            continue;
        }
        let title = folded_words(&d.title);
        let headings: Vec<Vec<String>> = d.headings.iter().map(|(_, h)| folded_words(h)).collect();
        let number = d.number.as_deref().map(folded_words).unwrap_or_default();
        let kp = |a: &str, b: &str| d.keyphrases.iter().any(|k| *k == format!("{a} {b}"));
        let mut s = 0.0;
        for (i, t) in distinct.iter().enumerate() {
            s += idf[i];
            if title.contains(&t.folded) {
                s += 2.0 * idf[i];
            }
            if t.accented && postings.exact_docs(&t.exact, &t.folded).contains(&ord) {
                s += idf[i];
            }
        }
        let mut heading = None;
        if seq.len() >= 2 {
            if contains(&title, &seq) {
                s += 3.0 * sum_idf;
            }
            if let Some(i) = headings.iter().position(|h| contains(h, &seq)) {
                s += 2.0 * sum_idf;
                heading = Some(i);
            }
            let hit = seq.windows(2).filter(|w| kp(&w[0], &w[1])).count();
            s += 1.5 * sum_idf * hit as f64 / (seq.len() - 1) as f64;
        }
        if number == seq {
            s += 10.0 * sum_idf;
        }
        for &(a, b) in &query.phrases {
            let p = &seq[a..b];
            let found = contains(&title, p)
                || headings.iter().any(|h| contains(h, p))
                || p.windows(2).all(|w| kp(&w[0], &w[1]));
            if !found {
                s *= 0.5;
            }
        }
        if d.status == "expired" || d.status == "superseded" {
            s *= 0.7;
        }
        out.push((ord, (s * 1e6).round() / 1e6, heading));
    }
    out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    out
}

#[test]
fn ranking_is_the_documented_formula() {
    let b = sample();
    let off = offline(b);
    let facts = FactsTable::new(&off.docs);
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
    // Words from titles, headings, bodies only, numbers; repeated words; phrases, some found
    // in no title, heading or key phrase; words no document has.
    let queries = [
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
    ];
    let mut compared = 0;
    for q in queries {
        let query = Query::parse(q);
        for f in &filters {
            let want = direct(&query, &off.docs, &off, f);
            let got: Vec<(u32, f64, Option<usize>)> = rank(&query, &off.docs, &facts, &off, f)
                .into_iter()
                .map(|r| (r.ord, r.score, r.heading))
                .collect();
            assert_eq!(got, want, "query {q:?} with {f:?}");
            for k in [0, 1, 3, 10] {
                let (total, first) =
                    sotay_generator::search::top(&query, &off.docs, &facts, &off, f, k);
                assert_eq!(total, want.len(), "total for {q:?} with {f:?}");
                let first: Vec<u32> = first.iter().map(|r| r.ord).collect();
                let expect: Vec<u32> = want.iter().take(k).map(|r| r.0).collect();
                assert_eq!(first, expect, "top {k} for {q:?} with {f:?}");
            }
            compared += want.len();
        }
    }
    assert!(
        compared > 500,
        "the queries match enough documents to test: {compared}"
    );
}

/// `sotay build` gives tantivy the words it already made for the offline index instead of
/// tokenizing every document again; the index must be the one tokenizing gives. Every word of
/// the sample, folded and exact, finds the same documents in both.
#[test]
fn tantivy_index_from_the_words_equals_the_tokenized_one() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let dir = tempfile::tempdir().expect("temp");
    let mut builder = sotay_generator::Builder::new(&root);
    let (_, docs) = sotay_generator::build_pages(&mut builder, &dir.path().join("public"))
        .unwrap_or_else(|d| panic!("{:?}", d.sorted()));
    let (a, b) = (dir.path().join("from-words"), dir.path().join("tokenized"));
    sotay_generator::search::index::write(&docs, &a, Some(builder.terms())).expect("write");
    sotay_generator::search::index::write(&docs, &b, None).expect("write");
    let (a, b) = (
        SearchIndex::open(&a).expect("open"),
        SearchIndex::open(&b).expect("open"),
    );
    let words = builder.terms();
    assert!(words.len() > 1000, "{} words", words.len());
    let mut found = 0;
    for w in words {
        let (x, y) = (
            a.search(w, &Filter::default(), 0, 1000),
            b.search(w, &Filter::default(), 0, 1000),
        );
        assert_eq!(x, y, "{w:?}");
        found += usize::from(x.total > 0);
    }
    assert!(
        found > words.len() / 2,
        "{found} of {} words found",
        words.len()
    );
}
