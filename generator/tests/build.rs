//! Building whole sites: what the pages contain, the feed, sitemap and catalog, determinism,
//! and how the output folder is written.

use sotay_generator::{generate, Output};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn site(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for (path, bytes) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, bytes).expect("write");
    }
    dir
}

fn text(files: &BTreeMap<String, Output>, path: &str) -> String {
    match files.get(path) {
        Some(Output::Bytes(b)) => String::from_utf8(b.clone()).expect("utf-8"),
        Some(Output::Copy(p)) => std::fs::read_to_string(p).expect("read"),
        None => panic!(
            "no output file {path}; have: {:?}",
            files.keys().collect::<Vec<_>>()
        ),
    }
}

fn sample_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

const DIEU_LE: &[u8] = "---\ntitle: Điều lệ mẫu\nid: dieu-le\nkind: dieu-le\n---\n::toc\n\n## Chương I. Đảng viên\n### Điều 1. Tiêu chuẩn\nNội dung.\n### Điều 5. Quyền của đảng viên\nĐược thông tin.\n## Chương II. Tổ chức\n### Điều 12a. Chi bộ\nChi bộ.\n".as_bytes();

#[test]
fn markdown_features_render() {
    let doc = "---
title: Hướng dẫn
kind: huong-dan
number: 08-HD/BTCTU
issuer: Ban Tổ chức Tỉnh ủy tỉnh Mẫu
issued: 2026-03-15
tags: [sinh hoạt chi bộ]
---
Đoạn đầu tiên có **chữ đậm** và chú thích[^1]. Họp lúc 7:30.

Xem [Điều 5](../dieu-le/index.md#dieu-5), :ref[Điều 12a]{to=\"dieu-le#dieu-12a\"} và :ref{to=dieu-le}.

:::warning{title=\"Lưu ý\"}
Không **bỏ** họp.
:::

::doc-list{kind=dieu-le}

::meeting{month=2026-11}

::form[Mẫu 1]{file=\"mau-01.docx\"}

| Chỉ tiêu | 2026 |
|---|---|
| Tỷ lệ | 100% |

- [x] việc đã làm

<script>alert(1)</script>

:::quiz{title=\"Tự kiểm tra\"}
1. Chi bộ họp mấy lần?
   - [ ] Hai tháng một lần
   - [x] Mỗi tháng một lần

   Vì Điều lệ quy định.
2. Chọn các ý đúng
   - [x] A
   - [x] B
   - [ ] C
:::

[^1]: Chú thích cuối trang.
";
    let meeting = "---\ntitle: Chuyên đề tháng 11\nkind: tai-lieu-sinh-hoat\nmeeting: 2026-11\nsummary: Tóm tắt chuyên đề.\n---\nNội dung.\n";
    let dir = site(&[
        ("content/dieu-le/index.md", DIEU_LE),
        ("content/hd/huong-dan.md", doc.as_bytes()),
        ("content/hd/mau-01.docx", &[0u8; 2048]),
        ("content/sh/thang-11.md", meeting.as_bytes()),
    ]);
    let site = generate(dir.path()).unwrap_or_else(|d| panic!("{:?}", d.sorted()));
    let html = text(&site.files, "hd/huong-dan/index.html");
    let expect = [
        "<h1>Hướng dẫn</h1>",
        "<dd>08-HD/BTCTU</dd>",
        "<a href=\"/co-quan/ban-to-chuc-tinh-uy-tinh-mau/\">Ban Tổ chức Tỉnh ủy tỉnh Mẫu</a>",
        "<dd>15/03/2026</dd>",
        "<a href=\"/dieu-le/#dieu-5\">Điều 5</a>",
        "<a class=\"ref\" href=\"/dieu-le/#dieu-12a\">Điều 12a</a>",
        "<a class=\"ref\" href=\"/dieu-le/\">Điều lệ mẫu</a>",
        "<aside class=\"callout callout-warning\"><p class=\"callout-title\">Lưu ý</p><div class=\"callout-body\">\n<p>Không <strong>bỏ</strong> họp.</p>\n</div></aside>",
        "<ul class=\"doc-list\"><li><a href=\"/dieu-le/\">Điều lệ mẫu</a></li></ul>",
        "<section class=\"meeting-card\" data-month=\"2026-11\" data-doc=\"sh/thang-11\" aria-label=\"Sinh hoạt chi bộ tháng 11/2026\"><p class=\"meeting-title\">Sinh hoạt chi bộ tháng 11/2026</p><ol><li><a href=\"/sh/thang-11/\">Chuyên đề tháng 11</a><br><span class=\"meta\">Tóm tắt chuyên đề.</span></li></ol></section>",
        "<p class=\"form-card\"><a href=\"/hd/mau-01.docx\" download><span class=\"form-name\">Mẫu 1</span> <span class=\"meta\">Word (DOCX) · 2 KB</span></a></p>",
        "<div class=\"table-wrap\" tabindex=\"0\"><table>",
        "<input disabled=\"\" type=\"checkbox\" checked=\"\"/>",
        "&lt;script&gt;alert(1)&lt;/script&gt;",
        "Họp lúc 7:30.",
        "<legend>Chi bộ họp mấy lần?</legend><label class=\"quiz-opt\"><input type=\"radio\" name=\"quiz-1-0\" value=\"0\"> <span>Hai tháng một lần</span></label><label class=\"quiz-opt\"><input type=\"radio\" name=\"quiz-1-0\" value=\"1\" data-correct> <span>Mỗi tháng một lần</span></label>",
        "<summary data-nosearch>Xem đáp án</summary><p data-nosearch><strong>Đáp án:</strong> Mỗi tháng một lần</p><p>Vì Điều lệ quy định.</p>",
        "<input type=\"checkbox\" name=\"quiz-1-1\" value=\"0\" data-correct>",
        "<strong>Đáp án:</strong> A; B</p>",
        "class=\"footnote-definition\"",
        "<a href=\"/chu-de/sinh-hoat-chi-bo/\">sinh hoạt chi bộ</a>",
    ];
    for e in expect {
        assert!(html.contains(e), "missing {e:?} in:\n{html}");
    }
    assert!(!html.contains("<script>alert"), "raw HTML must be escaped");

    let charter = text(&site.files, "dieu-le/index.html");
    for e in [
        "<h2 id=\"chuong-1\">Chương I. Đảng viên</h2>",
        "<h3 id=\"dieu-5\">Điều 5. Quyền của đảng viên</h3>",
        "<h3 id=\"dieu-12a\">Điều 12a. Chi bộ</h3>",
        "<nav class=\"toc\" aria-label=\"Mục lục\"><p class=\"toc-title\">Mục lục</p><ol><li><a href=\"#chuong-1\">Chương I. Đảng viên</a><ol><li><a href=\"#dieu-1\">Điều 1. Tiêu chuẩn</a></li>",
    ] {
        assert!(charter.contains(e), "missing {e:?} in:\n{charter}");
    }
    assert_eq!(text(&site.files, "hd/mau-01.docx").len(), 2048);

    // The month's printed packet: the agenda, the document in full, the attendance sheet;
    // the material's own page has the meeting panel for its month.
    let packet = text(&site.files, "ban-in/sinh-hoat-2026-11/index.html");
    for e in [
        "<h1>Tài liệu sinh hoạt chi bộ tháng 11/2026</h1>",
        "<li>Chuyên đề tháng 11<br><span class=\"meta\">Tóm tắt chuyên đề.</span></li>",
        "<h2 id=\"h-doc-1\">Tài liệu 1. Chuyên đề tháng 11</h2>",
        "<p>Nội dung.</p>",
        "data-packet data-month=\"2026-11\"",
        "<tbody data-sheet>",
        "/static/print.",
    ] {
        assert!(packet.contains(e), "missing {e:?} in:\n{packet}");
    }
    let material = text(&site.files, "sh/thang-11/index.html");
    assert!(
        material.contains("data-meeting-panel data-month=\"2026-11\""),
        "{material}"
    );
    assert!(
        !html.contains("data-meeting-panel"),
        "only meeting material has the panel"
    );
}

/// `::meeting` without a month, and the home page: the latest six months' material, the newest
/// shown (until the phone picks the month it is in), the others hidden; older months left out.
#[test]
fn this_months_meeting_carries_the_latest_months() {
    let mut files: Vec<(String, Vec<u8>)> = (1..=8)
        .map(|m| {
            (
                format!("content/sh/2026-{m:02}.md"),
                format!("---\ntitle: Chuyên đề tháng {m}\nmeeting: 2026-{m:02}\n---\nNội dung.\n")
                    .into_bytes(),
            )
        })
        .collect();
    files.push((
        "content/sh/_index.md".into(),
        b"---\ntitle: Sinh ho\xe1\xba\xa1t\n---\n## Th\xc3\xa1ng n\xc3\xa0y\n\n::meeting\n"
            .to_vec(),
    ));
    let refs: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(p, b)| (p.as_str(), b.as_slice()))
        .collect();
    let dir = site(&refs);
    let site = generate(dir.path()).unwrap_or_else(|d| panic!("{:?}", d.sorted()));
    let section = text(&site.files, "sh/index.html");
    assert!(
        section.contains("<div class=\"meeting-months\" data-meeting-months>"),
        "{section}"
    );
    let cards: Vec<&str> = section
        .match_indices("<section class=\"meeting-card\" data-month=\"")
        .map(|(i, _)| &section[i..i + 90])
        .collect();
    assert_eq!(cards.len(), 6, "{section}");
    for (card, month) in cards.iter().zip(["08", "07", "06", "05", "04", "03"]) {
        assert!(
            card.contains(&format!("data-month=\"2026-{month}\"")),
            "{card}"
        );
    }
    assert!(
        !section.contains("data-month=\"2026-02\""),
        "older months are left out"
    );
    assert!(
        section.contains("aria-label=\"Sinh hoạt chi bộ tháng 8/2026\"><p"),
        "the newest is shown: {section}"
    );
    assert_eq!(
        section
            .matches("\" hidden><p class=\"meeting-title\">")
            .count(),
        5,
        "the others hidden: {section}"
    );
    let home = text(&site.files, "index.html");
    assert!(home.contains("data-meeting-months"), "{home}");
    assert!(
        home.contains("Sinh hoạt chi bộ tháng 8/2026</h2>"),
        "{home}"
    );
    assert_eq!(home.matches("class=\"meeting-month\"").count(), 6, "{home}");
    assert!(
        home.contains("data-meeting-schedule"),
        "the cell's schedule has its place"
    );
}

#[test]
fn raw_html_is_kept_when_the_site_trusts_it() {
    let dir = site(&[
        ("sotay.yaml", b"allow_html: true\n"),
        (
            "content/a.md",
            b"---\ntitle: A\n---\n<div class=\"x\">ok</div>\n",
        ),
    ]);
    let site = generate(dir.path()).unwrap_or_else(|d| panic!("{:?}", d.sorted()));
    assert!(text(&site.files, "a/index.html").contains("<div class=\"x\">ok</div>"));
}

#[test]
fn sample_handbook_builds_completely() {
    let site = generate(&sample_root()).unwrap_or_else(|d| panic!("{:?}", d.sorted()));
    assert!(
        site.warnings.is_empty(),
        "{:?}",
        site.warnings.clone().sorted()
    );
    let docs = site.documents();
    assert!(
        docs >= 40,
        "the sample needs at least 40 documents, has {docs}"
    );

    // Every kind of page exists.
    for path in [
        "index.html",
        "404.html",
        "dieu-le/index.html",
        "dieu-le/dieu-le-mau/index.html",
        "loai/index.html",
        "loai/nghi-quyet/index.html",
        "chu-de/index.html",
        "co-quan/index.html",
        "nam/index.html",
        "moi-cap-nhat/index.html",
        "atom.xml",
        "sitemap.xml",
        "catalog.json",
        "meetings.json",
    ] {
        assert!(site.files.contains_key(path), "missing {path}");
    }
    let home = text(&site.files, "index.html");
    assert!(home.contains("<html lang=\"vi\">"));
    assert!(home.contains("class=\"skip\" href=\"#noi-dung\""));
    assert!(home.contains("Tài liệu mẫu"), "sample mark on every page");
    assert!(
        home.contains("Sinh hoạt chi bộ tháng 12/2026"),
        "latest meeting on the home page"
    );
    assert!(
        !home.contains("http://") || !home.contains("<script src=\"http"),
        "no external scripts"
    );

    // Superseded document shows a banner pointing to its replacement.
    let catalog: serde_json::Value =
        serde_json::from_str(&text(&site.files, "catalog.json")).expect("catalog is JSON");
    let list = catalog["documents"].as_array().expect("documents");
    assert_eq!(list.len(), docs);
    for d in list {
        for field in ["id", "url", "title", "hash"] {
            assert!(
                d[field].as_str().is_some_and(|s| !s.is_empty()),
                "catalog entry without {field}: {d}"
            );
        }
    }
    // The meeting page's documents (kept offline): the catalog's with a month, as it has them.
    let meetings: serde_json::Value =
        serde_json::from_str(&text(&site.files, "meetings.json")).expect("meetings is JSON");
    let of_meetings: Vec<&serde_json::Value> =
        list.iter().filter(|d| d["meeting"].is_string()).collect();
    assert!(of_meetings.len() >= 2, "the sample has meetings' material");
    assert_eq!(
        meetings["documents"]
            .as_array()
            .expect("documents")
            .iter()
            .collect::<Vec<_>>(),
        of_meetings
    );
    let old = list
        .iter()
        .find(|d| d["status"] == "superseded")
        .expect("a superseded document");
    let old_path = format!(
        "{}index.html",
        old["url"].as_str().expect("url").trim_start_matches('/')
    );
    let old_html = text(&site.files, &old_path);
    assert!(
        old_html.contains("Văn bản này đã được thay thế bởi <a href="),
        "superseded banner in {old_path}"
    );

    // Attachments are published, with type and size on the page.
    let forms: Vec<&String> = site
        .files
        .keys()
        .filter(|k| k.ends_with(".docx") || k.ends_with(".pdf"))
        .collect();
    assert!(forms.len() >= 5, "{forms:?}");
    let form_page = forms[0]
        .rsplit_once('/')
        .map(|(d, _)| format!("{d}/index.html"))
        .expect("dir");
    let fp = text(&site.files, &form_page);
    assert!(
        fp.contains("Tệp đính kèm") && (fp.contains("Word (DOCX)") || fp.contains("PDF")),
        "{form_page}"
    );

    // Feed and sitemap.
    let atom = text(&site.files, "atom.xml");
    assert!(atom.starts_with("<?xml") && atom.matches("<entry>").count() >= 10);
    let sitemap = text(&site.files, "sitemap.xml");
    assert!(sitemap.contains("<loc>http://localhost:8080/dieu-le/dieu-le-mau/</loc>"));
    assert!(!sitemap.contains("404.html"));
    let html_pages = site
        .files
        .keys()
        .filter(|k| k.ends_with(".html") && *k != "404.html")
        .count();
    assert_eq!(sitemap.matches("<url>").count(), html_pages);

    // Static assets have hashed names and every page links to existing ones.
    let css: Vec<&String> = site
        .files
        .keys()
        .filter(|k| k.starts_with("static/site.") && k.ends_with(".css"))
        .collect();
    assert_eq!(css.len(), 1);
    assert!(home.contains(&format!("href=\"/{}\"", css[0])));
}

#[test]
fn builds_are_deterministic_and_incremental_on_disk() {
    let root = sample_root();
    let out1 = tempfile::tempdir().expect("temp");
    let out2 = tempfile::tempdir().expect("temp");
    let a = out1.path().join("site");
    let b = out2.path().join("site");
    let s1 = sotay_generator::build(&root, &a).unwrap_or_else(|d| panic!("{:?}", d.sorted()));
    sotay_generator::build(&root, &b).unwrap_or_else(|d| panic!("{:?}", d.sorted()));
    let files = |dir: &Path| -> BTreeMap<PathBuf, Vec<u8>> {
        walkdir(dir)
            .into_iter()
            .map(|p| {
                (
                    p.strip_prefix(dir).expect("prefix").to_path_buf(),
                    std::fs::read(&p).expect("read"),
                )
            })
            .collect()
    };
    let fa = files(&a);
    assert_eq!(fa.len(), s1.files + 1, "every file plus the build manifest");
    assert!(fa == files(&b), "two builds of the same input differ");
    // A second build into the same folder writes nothing.
    let again = sotay_generator::build(&root, &a).unwrap_or_else(|d| panic!("{:?}", d.sorted()));
    assert_eq!((again.written, again.removed.len()), (0, 0));
}

#[test]
fn output_folder_is_cleaned_of_removed_pages_and_foreign_folders_are_refused() {
    let dir = site(&[
        ("content/a.md", b"---\ntitle: A\n---\n"),
        ("content/b.md", b"---\ntitle: B\n---\n"),
    ]);
    let out = dir.path().join("public");
    sotay_generator::build(dir.path(), &out).unwrap_or_else(|d| panic!("{:?}", d.sorted()));
    assert!(out.join("b/index.html").exists());
    std::fs::remove_file(dir.path().join("content/b.md")).expect("rm");
    let s = sotay_generator::build(dir.path(), &out).unwrap_or_else(|d| panic!("{:?}", d.sorted()));
    assert!(!out.join("b").exists(), "removed page's folder is gone");
    assert!(
        s.removed.iter().any(|p| p == "b/index.html"),
        "{:?}",
        s.removed
    );

    let foreign = dir.path().join("photos");
    std::fs::create_dir_all(&foreign).expect("mkdir");
    std::fs::write(foreign.join("keep.jpg"), b"x").expect("write");
    let err = sotay_generator::build(dir.path(), &foreign).expect_err("must refuse");
    assert!(err.sorted()[0].message.contains("refusing to write"));
    assert!(foreign.join("keep.jpg").exists());
}

fn walkdir(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read_dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// Copies the sample handbook into a new site root whose `sotay.yaml` says `base_url`.
fn sample_at(base_url: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let from = sample_root().join("content");
    for src in walkdir(&from) {
        let rel = src.strip_prefix(&from).expect("under content");
        let to = dir.path().join("content").join(rel);
        std::fs::create_dir_all(to.parent().expect("parent")).expect("mkdir");
        std::fs::copy(&src, &to).expect("copy");
    }
    let config = std::fs::read_to_string(sample_root().join("sotay.yaml")).expect("sotay.yaml");
    let config: String = config
        .lines()
        .map(|l| match l.starts_with("base_url:") {
            true => format!("base_url: {base_url}\n"),
            false => format!("{l}\n"),
        })
        .collect();
    assert!(config.contains(base_url), "the sample sets base_url");
    std::fs::write(dir.path().join("sotay.yaml"), config).expect("write");
    dir
}

/// The URLs (absolute, or absolute paths) written in a text file of the site: attribute
/// values, JSON strings, XML elements, CSS `url()`, and any `http(s)://` address.
fn urls_in(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (open, close) in [
        ("=\"", '"'),
        ("='", '\''),
        (":\"", '"'),
        ("<loc>", '<'),
        ("<id>", '<'),
        ("url(", ')'),
        ("[\"", '"'),
        (",\"", '"'),
    ] {
        let mut rest = text;
        while let Some(i) = rest.find(open) {
            rest = &rest[i + open.len()..];
            let value = rest.split(close).next().unwrap_or("");
            if value.starts_with('/') && !value.starts_with("//") || value.starts_with("http") {
                out.push(value.to_string());
            }
        }
    }
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let start = rest[..i]
            .rfind(|c: char| !c.is_ascii_alphabetic())
            .map_or(0, |j| j + 1);
        let end = rest[i..]
            .find(|c: char| c.is_whitespace() || "\"'<>)".contains(c))
            .map_or(rest.len(), |j| i + j);
        out.push(rest[start..end].to_string());
        rest = &rest[end.max(i + 3)..];
    }
    out
}

#[test]
fn a_site_under_a_path_links_only_to_its_own_files() {
    // A province publishing the handbook under a path of its party website.
    let origin = "https://dangbo.example.vn";
    let root = sample_at(&format!("{origin}/so-tay/"));
    let site = generate(root.path()).unwrap_or_else(|d| panic!("{:?}", d.sorted()));
    let resolves = |path: &str| {
        let path = path.split(['?', '#']).next().unwrap_or("");
        let Some(rel) = path.strip_prefix("/so-tay/") else {
            return false;
        };
        let file = match rel.is_empty() || rel.ends_with('/') {
            true => format!("{rel}index.html"),
            false => rel.to_string(),
        };
        site.files.contains_key(&file)
    };
    let (mut checked, mut absolute, mut bad) = (0, 0, Vec::new());
    for (name, out) in &site.files {
        let Output::Bytes(bytes) = out else { continue };
        let Ok(text) = std::str::from_utf8(bytes) else {
            continue;
        };
        // The browser's search index holds documents' URLs relative to the base path, as the
        // search API gives them; search.js puts the base path before them (the search tests
        // follow those links in Chromium).
        if name.starts_with("search/") {
            continue;
        }
        for url in urls_in(text) {
            let path = if let Some(rest) = url.strip_prefix(origin) {
                absolute += 1;
                rest.to_string()
            } else if url.starts_with('/') {
                url.clone()
            } else {
                // Other hosts: links the authors wrote, XML namespaces. None may be the
                // default base_url's.
                if url.contains("localhost") || url.contains("dangbo.example.vn") {
                    bad.push(format!("{name}: {url}"));
                }
                continue;
            };
            checked += 1;
            if !resolves(&path) {
                bad.push(format!("{name}: {url}"));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "{} URLs lead nowhere:\n{}",
        bad.len(),
        bad.join("\n")
    );
    // The feed, the sitemap, and every page's canonical link were among them.
    let pages = site.files.keys().filter(|k| k.ends_with(".html")).count();
    assert!(
        absolute > 2 * pages,
        "{absolute} absolute URLs for {pages} pages"
    );
    assert!(checked > absolute, "{checked} URLs checked");
    let doc = text(&site.files, "dieu-le/dieu-le-mau/index.html");
    assert!(
        doc.contains("<link rel=\"canonical\" href=\"https://dangbo.example.vn/so-tay/dieu-le/dieu-le-mau/\">"),
        "canonical link"
    );
    let atom = text(&site.files, "atom.xml");
    assert!(atom.contains("<id>https://dangbo.example.vn/so-tay/</id>"));
    assert!(atom.contains("<link href=\"https://dangbo.example.vn/so-tay/atom.xml\" rel=\"self\""));
    let sitemap = text(&site.files, "sitemap.xml");
    assert!(sitemap.contains("<loc>https://dangbo.example.vn/so-tay/dieu-le/dieu-le-mau/</loc>"));
}

/// A one-shot build does not fingerprint its pages (no build compares with it); if its builder
/// is run again all the same, every page is rendered again: an edit is written, and what did
/// not change is not given to the sink twice.
#[test]
fn a_one_shot_builder_run_again_writes_the_edit() {
    use sotay_generator::write::MemorySink;
    let dir = site(&[
        ("sotay.yaml", b"title: T\n"),
        ("content/a.md", "---\ntitle: A\n---\nBản cũ.\n".as_bytes()),
        (
            "content/b.md",
            "---\ntitle: B\n---\nKhông đổi.\n".as_bytes(),
        ),
    ]);
    let mut builder = sotay_generator::Builder::one_shot(dir.path());
    let first = MemorySink::default();
    builder
        .run(&first)
        .unwrap_or_else(|d| panic!("{:?}", d.sorted()));
    std::fs::write(
        dir.path().join("content/a.md"),
        "---\ntitle: A\n---\nBản mới.\n",
    )
    .expect("edit");
    let second = MemorySink::default();
    let run = builder
        .run(&second)
        .unwrap_or_else(|d| panic!("{:?}", d.sorted()));
    let files = second.files.into_inner().expect("sink");
    assert!(text(&files, "a/index.html").contains("Bản mới."));
    assert!(run.changed.contains(&"a/index.html".to_string()));
    assert!(
        !run.changed.contains(&"b/index.html".to_string()),
        "{:?}",
        run.changed
    );
}
