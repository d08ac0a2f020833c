//! Property-based fuzzing of everything an author writes: front matter, directives, Markdown
//! with links between pages and partials. Each case is a tiny site in a temporary folder, and
//! `check` must return (no panic, no hang) with every diagnostic at a real place: a file that
//! exists under the site root, a line within it (line 0, column 0 only for "the whole file";
//! the line after the last, column 1, for the end of input) and a column >= 1 within that line.
//!
//! The number of cases per property is `SOTAY_FUZZ_CASES` (default 64, for CI); run longer
//! with e.g. `SOTAY_FUZZ_CASES=5000 cargo test --release -p sotay-generator --test fuzz`.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError};
use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

fn cases() -> u32 {
    std::env::var("SOTAY_FUZZ_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(64)
}

fn config() -> Config {
    Config {
        // Failures are reported with their minimal input; no regression files are written
        // next to the tests (the interesting ones become #[test]s).
        failure_persistence: None,
        max_shrink_iters: 2000,
        ..Config::with_cases(cases())
    }
}

/// A valid page to link to, with headings whose anchors are `muc-tieu` and `dieu-1`.
const TARGET: &str =
    "---\ntitle: Điều lệ\nid: dieu-le\n---\n## Mục tiêu\nA.\n### Điều 1. Tên\nB.\n";
/// A partial that `::include{file="_doan.md"}` can pull in.
const PARTIAL: &str = "Đoạn dùng chung, xem [Điều 1](dieu-le.md#dieu-1).\n";

fn site(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for (path, text) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    }
    dir
}

/// Runs `check` on its own thread so that a hang fails the case instead of the whole run,
/// and a panic comes back with its message.
fn check_in_time(root: &Path) -> Result<sotay_generator::diagnostics::Diagnostics, TestCaseError> {
    let (tx, rx) = mpsc::channel();
    let root = root.to_path_buf();
    let t = std::thread::spawn(move || {
        let d = sotay_generator::check(&root);
        let _ = tx.send(d);
    });
    match rx.recv_timeout(Duration::from_secs(20)) {
        Ok(d) => {
            let _ = t.join();
            Ok(d)
        }
        Err(mpsc::RecvTimeoutError::Timeout) => {
            Err(TestCaseError::fail("check did not return within 20 s"))
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            let msg = match t.join() {
                Err(p) => p
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "non-string panic".into()),
                Ok(()) => "thread ended without an answer".into(),
            };
            Err(TestCaseError::fail(format!("check panicked: {msg}")))
        }
    }
}

/// Every diagnostic points at a real file and a real place in it.
fn check_site(files: &[(&str, &str)]) -> Result<(), TestCaseError> {
    let dir = site(files);
    let diags = check_in_time(dir.path())?;
    for d in diags.iter() {
        let path = dir.path().join(&d.file);
        prop_assert!(
            path.is_file(),
            "diagnostic names a file that is not in the site: {d}"
        );
        if d.line == 0 {
            prop_assert_eq!(d.column, 0, "line 0 (whole file) with a column: {}", d);
            continue;
        }
        let text = String::from_utf8_lossy(&std::fs::read(&path).expect("read")).into_owned();
        let lines: Vec<&str> = text.split('\n').collect();
        prop_assert!(d.column >= 1, "column 0 on a line: {}", d);
        // The end of input (a YAML parser's "end of stream") may be the line after the last.
        if d.line == lines.len() + 1 {
            prop_assert_eq!(d.column, 1, "past the end of the file: {}", d);
            continue;
        }
        prop_assert!(
            d.line <= lines.len(),
            "line past the end of the file ({} lines): {}",
            lines.len(),
            d
        );
        // Columns count characters as written (not in the NFC form the generator works on).
        let width = lines[d.line - 1].chars().count();
        prop_assert!(
            d.column <= width + 1,
            "column past the end of line {} ({} characters: {:?}): {}",
            d.line,
            width,
            lines[d.line - 1],
            d
        );
    }
    Ok(())
}

// ---- pieces of text ----

/// Short random text: printable Unicode, Vietnamese, and the characters parsers care about.
fn word() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{0,10}",
        "[a-z0-9:#{}\\[\\]\"'=/., \t-]{0,12}",
        Just("Nghị quyết số 21-NQ/TW".to_string()),
        Just("Đảng viên dự bị".to_string()),
        Just("Thông tư\u{301}".to_string()),
        Just("7:30".to_string()),
        Just("https://example.org/a?b=c#d".to_string()),
        Just("\u{feff}".to_string()),
        Just(String::new()),
    ]
}

fn fm_value() -> impl Strategy<Value = String> {
    prop_oneof![
        word(),
        Just("T".to_string()),
        Just("2024-02-29".to_string()),
        Just("2023-02-29".to_string()),
        Just("2024-13-01".to_string()),
        Just("2024-05".to_string()),
        Just("in-force".to_string()),
        Just("draft".to_string()),
        Just("nghi-quyet".to_string()),
        Just("[a, b, dieu-le]".to_string()),
        Just("[unclosed".to_string()),
        Just("{x: 1}".to_string()),
        Just("'unterminated".to_string()),
        Just("\"quoted: \\u00e9\"".to_string()),
        Just("|".to_string()),
        Just(">-".to_string()),
        Just("&anchor x".to_string()),
        Just("*alias".to_string()),
        Just("!!binary aGk=".to_string()),
        Just("~".to_string()),
        Just("null".to_string()),
        Just("1e999".to_string()),
        Just("-1".to_string()),
        Just("99999999999999999999".to_string()),
        Just("dieu-le".to_string()),
    ]
}

/// The front matter's own fields (kept in one place: `frontmatter::FIELDS`), and near misses.
fn keys() -> Vec<&'static str> {
    let mut k = sotay_generator::frontmatter::FIELDS.to_vec();
    k.extend(["titel", "Title", "tiêu đề", ""]);
    k
}

fn fm_line() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (prop::sample::select(keys()), fm_value()).prop_map(|(k, v)| format!("{k}: {v}")),
        1 => (prop::sample::select(keys()), fm_value()).prop_map(|(k, v)| format!("\t{k}:{v}")),
        1 => fm_value().prop_map(|v| format!("  - {v}")),
        1 => fm_value().prop_map(|v| format!("    {v}")),
        1 => word(),
        1 => Just("---".to_string()),
        1 => Just("...".to_string()),
        1 => Just("? complex".to_string()),
        1 => Just("title: a\ttitle: b".to_string()),
    ]
}

/// Front matter: usually well delimited, sometimes not.
fn front_matter() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(fm_line(), 0..8),
        prop::sample::select(&["---\n", "---\r\n", "", "--- \n", "\u{feff}---\n"][..]),
        prop::sample::select(&["---\n", "---\r\n", "", "...\n", "----\n"][..]),
        any::<bool>(),
    )
        .prop_map(|(lines, open, close, title)| {
            let mut s = open.to_string();
            if title {
                s.push_str("title: Trang thử\n");
            }
            for l in lines {
                s.push_str(&l);
                s.push('\n');
            }
            s.push_str(close);
            s
        })
}

const DIRECTIVE_NAMES: &[&str] = &[
    "note",
    "tip",
    "warning",
    "important",
    "quiz",
    "toc",
    "include",
    "doc-list",
    "meeting",
    "form",
    "ref",
    "notee",
    "",
    "Ghi-chú",
];

fn attrs() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("{}".to_string()),
        Just("{title=\"Lưu ý\"}".to_string()),
        Just("{file=\"_doan.md\"}".to_string()),
        Just("{file=\"khong-co.md\"}".to_string()),
        Just("{file=\"../../etc/passwd\"}".to_string()),
        Just("{to=\"dieu-le\"}".to_string()),
        Just("{to=\"khong-co\"}".to_string()),
        Just("{month=\"2024-05\"}".to_string()),
        Just("{month=\"2024-5\"}".to_string()),
        Just("{kind=\"nghi-quyet\" limit=\"3\" sort=\"-issued\"}".to_string()),
        Just("{limit=\"-1\"}".to_string()),
        Just("{limit=\"99999999999999999999999\"}".to_string()),
        Just("{title=\"unclosed}".to_string()),
        Just("{title=}".to_string()),
        Just("{=x}".to_string()),
        Just("{a=\"1\" a=\"2\"}".to_string()),
        Just("{".to_string()),
        word().prop_map(|w| format!("{{{w}}}")),
    ]
}

fn directive_line() -> impl Strategy<Value = String> {
    prop_oneof![
        (prop::sample::select(DIRECTIVE_NAMES), attrs()).prop_map(|(n, a)| format!("::{n}{a}")),
        (prop::sample::select(DIRECTIVE_NAMES), attrs()).prop_map(|(n, a)| format!(":::{n}{a}")),
        (prop::sample::select(DIRECTIVE_NAMES), attrs(), word())
            .prop_map(|(n, a, w)| format!("Xem :{n}[{w}]{a} nhé.")),
        Just(":::".to_string()),
        Just("::::".to_string()),
        Just("  :::note".to_string()),
        Just("\t::toc".to_string()),
        Just(":ref[Điều lệ]{to=\"dieu-le\"}".to_string()),
        Just(":ref[x]{to=\"dieu-le#muc-tieu\"}".to_string()),
        Just(":ref[".to_string()),
        Just("Họp lúc 7:30 sáng, tỉ lệ 2:1".to_string()),
        Just("Địa chỉ https://example.org:8080/a:b".to_string()),
        Just("`:::note` trong mã".to_string()),
        Just("```\n:::note\n```".to_string()),
        Just("> :::note\n> trích dẫn".to_string()),
        Just("- ::toc".to_string()),
        Just("::include{file=\"_doan.md\"}".to_string()),
        "[:a-z{}\\[\\]\"= ]{0,16}",
    ]
}

const LINK_TARGETS: &[&str] = &[
    "dieu-le.md",
    "dieu-le.md#muc-tieu",
    "dieu-le.md#dieu-1",
    "dieu-le.md#dieu-9",
    "dieu-le.md#",
    "./dieu-le.md",
    "khong-co.md",
    "../khong-co.md",
    "../../../etc/passwd",
    "#muc-tieu",
    "#khong-co",
    "#",
    "con/",
    "con/_index.md",
    "/dieu-le/",
    "https://example.org/x.md",
    "mailto:a@b.vn",
    "a.md",
    "_doan.md",
    "dieu-le.md?x=1#muc-tieu",
    "%E1%BB%81u.md",
    "dieu le.md",
    "",
];

fn markdown_line() -> impl Strategy<Value = String> {
    prop_oneof![
        (word(), prop::sample::select(LINK_TARGETS)).prop_map(|(w, t)| format!("Xem [{w}]({t}).")),
        (word(), prop::sample::select(LINK_TARGETS)).prop_map(|(w, t)| format!("![{w}]({t})")),
        prop::sample::select(LINK_TARGETS).prop_map(|t| format!("<{t}>")),
        prop::sample::select(LINK_TARGETS).prop_map(|t| format!("[x]: {t}\n\n[x]")),
        word().prop_map(|w| format!("## {w}")),
        word().prop_map(|w| format!("### Điều 1. {w}")),
        Just("## Mục tiêu".to_string()),
        Just("## Mục tiêu {#muc-tieu}".to_string()),
        Just("# ".to_string()),
        Just("| a | b |\n|---|---|\n| 1 | 2 |".to_string()),
        Just("```".to_string()),
        Just("<div>".to_string()),
        Just("<!--".to_string()),
        Just("[^1]\n\n[^1]: chú thích".to_string()),
        Just("- [ ] việc".to_string()),
        Just("***".to_string()),
        Just(String::new()),
        word(),
    ]
}

fn body() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![2 => markdown_line(), 2 => directive_line(), 1 => fm_line()],
        0..14,
    )
    .prop_map(|lines| lines.join("\n"))
}

fn eol() -> impl Strategy<Value = bool> {
    prop::bool::weighted(0.15)
}

fn crlf(s: String, yes: bool) -> String {
    if yes {
        s.replace('\n', "\r\n")
    } else {
        s
    }
}

/// Now and then a page saved in NFD (Vietnamese with combining marks, as some macOS editors
/// write it), whose diagnostics must still count columns as written.
fn nfd() -> impl Strategy<Value = bool> {
    prop::bool::weighted(0.25)
}

fn decompose(s: String, yes: bool) -> String {
    use unicode_normalization::UnicodeNormalization;
    if yes {
        s.nfd().collect()
    } else {
        s
    }
}

proptest! {
    #![proptest_config(config())]

    /// (a) Arbitrary front matter over a small body.
    #[test]
    fn front_matter_never_panics_and_errors_have_positions(
        fm in front_matter(), b in body(), cr in eol(), d in nfd()
    ) {
        let page = decompose(crlf(format!("{fm}{b}\n"), cr), d);
        check_site(&[
            ("content/a.md", &page),
            ("content/dieu-le.md", TARGET),
        ])?;
    }

    /// (b) Directive lines: containers (nested, unclosed), leaves, inline, near misses.
    #[test]
    fn directives_never_panic_and_errors_have_positions(
        lines in prop::collection::vec(prop_oneof![3 => directive_line(), 1 => markdown_line()], 0..16),
        cr in eol(),
        d in nfd(),
    ) {
        let page = decompose(crlf(format!("---\ntitle: T\n---\n{}\n", lines.join("\n")), cr), d);
        check_site(&[
            ("content/a.md", &page),
            ("content/dieu-le.md", TARGET),
            ("content/_doan.md", PARTIAL),
        ])?;
    }

    /// (c) Markdown with links to pages, anchors, sections and partials, existing or not; the
    /// partial and a section index are fuzzed too.
    #[test]
    fn markdown_links_never_panic_and_errors_have_positions(
        a in body(), partial in body(), index in body(), cr in eol(), d in nfd()
    ) {
        let page = decompose(crlf(format!("---\ntitle: T\n---\n{a}\n"), cr), d);
        let index = decompose(format!("---\ntitle: Mục con\n---\n{index}\n"), d);
        let partial = decompose(partial, d);
        check_site(&[
            ("content/a.md", &page),
            ("content/dieu-le.md", TARGET),
            ("content/_doan.md", &partial),
            ("content/con/_index.md", &index),
            ("content/con/b.md", "---\ntitle: B\n---\n::include{file=\"../_doan.md\"}\n[x](../a.md#muc-tieu)\n"),
        ])?;
    }

    /// Whole random files, Markdown-ish or not, in place of a page and of the site config.
    #[test]
    fn random_files_never_panic(page in "\\PC{0,200}", cfg in prop_oneof![Just(None), "\\PC{0,60}".prop_map(Some)]) {
        let mut files = vec![("content/a.md", page.as_str()), ("content/dieu-le.md", TARGET)];
        if let Some(c) = &cfg {
            files.push(("sotay.yaml", c.as_str()));
        }
        check_site(&files)?;
    }
}

/// The first diagnostic about `file`, as `(line, column, message)`.
fn first_diag(files: &[(&str, &str)], file: &str) -> (usize, usize, String) {
    let dir = site(files);
    let d = sotay_generator::check(dir.path())
        .sorted()
        .into_iter()
        .find(|d| d.file == file)
        .unwrap_or_else(|| panic!("no diagnostic for {file}"));
    (d.line, d.column, d.message)
}

// Position bug found by `random_files_never_panic`: every text file is put in NFC when it is
// read (content.rs `read_text`, config.rs), and diagnostics counted columns in that normalised
// text, not in the file as written. So a file that is not in NFC got columns that did not
// match what an editor shows: Vietnamese typed with combining marks (NFD, as some macOS and
// Windows keyboards write it) pointed one column early per decomposed letter before the error,
// and a character that NFC expands (U+0B5C, excluded from composition) pointed past the end of
// its line: sotay.yaml containing `'ଡ଼` (2 characters) gave
// "sotay.yaml:1:4: error: invalid YAML: found unexpected end of stream".
#[test]
fn columns_count_characters_as_written_not_after_nfc() {
    let expanded = first_diag(
        &[("content/dieu-le.md", TARGET), ("sotay.yaml", "'\u{b5c}")],
        "sotay.yaml",
    );
    // "Nguye\u{302}n :note[x]": the `n` of `note` is the 10th character as written.
    let decomposed = first_diag(
        &[
            ("content/dieu-le.md", TARGET),
            (
                "content/a.md",
                "---\ntitle: T\n---\nNguye\u{302}n :note[x]\n",
            ),
        ],
        "content/a.md",
    );
    assert_eq!(
        [(expanded.0, expanded.1), (decomposed.0, decomposed.1)],
        [(1, 3), (4, 10)],
        "{expanded:?} {decomposed:?}"
    );
}

// Found by `random_files_never_panic` (40,000 cases): YAML breaks lines at U+2028 (and U+0085,
// U+2029), so serde_yaml's line number for an error after one was past the end of the file as
// editors count lines: sotay.yaml " \u{2028}%" gave "sotay.yaml:2:2: error: invalid YAML:
// could not find expected directive name" for a file of one line.
#[test]
fn yaml_errors_after_a_unicode_line_separator_are_on_the_line_as_written() {
    let cfg = first_diag(
        &[("content/dieu-le.md", TARGET), ("sotay.yaml", " \u{2028}%")],
        "sotay.yaml",
    );
    let fm = first_diag(
        &[
            ("content/dieu-le.md", TARGET),
            ("content/a.md", "---\ntitle: T\u{2028}x: [\n---\n"),
        ],
        "content/a.md",
    );
    assert_eq!(
        [(cfg.0, cfg.1), (fm.0, fm.1)],
        [(1, 4), (3, 1)],
        "{cfg:?} {fm:?}"
    );
}
