//! Every problem an author can make, through the whole pipeline, with its exact position.
//! Each case is a tiny site (files and their text) and the exact diagnostics `check` gives.

use std::path::Path;

fn site(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for (path, text) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    }
    dir
}

fn check(root: &Path) -> Vec<String> {
    sotay_generator::check(root)
        .sorted()
        .iter()
        .map(|d| d.to_string())
        .collect()
}

const OK_DOC: &str = "---\ntitle: Điều lệ\nid: dieu-le\nkind: dieu-le\n---\n## Chương I. Chung\n### Điều 1. Tên\nA.\n### Điều 5. Quyền\nB.\n";

#[test]
fn error_table() {
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "unknown directive with suggestion",
            "---\ntitle: T\n---\nĐoạn.\n\n:::notee\nx\n:::\n",
            &["content/a.md:6:4: error: unknown directive \"notee\" (did you mean \"note\"?)"],
        ),
        (
            "unknown leaf directive",
            "---\ntitle: T\n---\n  ::tocc\n",
            &["content/a.md:4:5: error: unknown directive \"tocc\" (did you mean \"toc\"?)"],
        ),
        (
            "unknown attribute",
            "---\ntitle: T\n---\n:::note{titel=\"x\"}\ny\n:::\n",
            &["content/a.md:4:9: error: unknown attribute \"titel\" for \"note\" (did you mean \"title\"?)"],
        ),
        (
            "missing required attribute",
            "---\ntitle: T\n---\n::form\n",
            &["content/a.md:4:3: error: \"form\" needs the attribute file=..."],
        ),
        (
            "leaf used as container",
            "---\ntitle: T\n---\n:::toc\n:::\n",
            &["content/a.md:4:4: error: \"toc\" is a block directive: write ::toc{...} alone on its line"],
        ),
        (
            "container used inline",
            "---\ntitle: T\n---\nXem :note[x] nhé.\n",
            &["content/a.md:4:6: error: \"note\" is a container directive: write :::note on its own line, the content, then a line :::"],
        ),
        (
            "broken relative link",
            "---\ntitle: T\n---\nXem [Điều 5](../dieu-le/khong-co.md#dieu-5).\n",
            &["content/a.md:4:14: error: link \"../dieu-le/khong-co.md#dieu-5\" points outside content/"],
        ),
        (
            "link to a missing file",
            "---\ntitle: T\n---\n\nXem [văn bản](khong-co.md).\n",
            &["content/a.md:5:15: error: link \"khong-co.md\" points to content/khong-co.md, which does not exist"],
        ),
        (
            "link to a missing anchor in another page",
            "---\ntitle: T\n---\nXem [Điều 9](dieu-le.md#dieu-9).\n",
            &["content/a.md:4:14: error: content/dieu-le.md has no heading with anchor \"#dieu-9\" (did you mean \"dieu-1\"?)"],
        ),
        (
            "link to a missing anchor in the same page",
            "---\ntitle: T\n---\n## Mục tiêu\n[x](#muc-tieuu)\n",
            &["content/a.md:5:5: error: no heading with anchor \"#muc-tieuu\" in this page (did you mean \"muc-tieu\"?)"],
        ),
        (
            "ref to an unknown id",
            "---\ntitle: T\n---\nTheo :ref[Điều 5]{to=\"dieu-lee#dieu-5\"}.\n",
            &["content/a.md:4:23: error: no document has the id \"dieu-lee\" (did you mean \"dieu-le\"?)"],
        ),
        (
            "ref to a missing anchor",
            "---\ntitle: T\n---\nTheo :ref{to=dieu-le#dieu-7}.\n",
            &["content/a.md:4:14: error: content/dieu-le.md has no heading with anchor \"#dieu-7\" (did you mean \"dieu-1\"?)"],
        ),
        (
            "include of a missing partial",
            "---\ntitle: T\n---\n::include{file=\"_chung/x.md\"}\n",
            &["content/a.md:4:17: error: cannot include \"_chung/x.md\": content/_chung/x.md does not exist, or is not a partial (names starting with _)"],
        ),
        (
            "doc-list with an unknown kind",
            "---\ntitle: T\n---\n::doc-list{kind=nghi-quyett}\n",
            &["content/a.md:4:17: error: unknown kind \"nghi-quyett\" (did you mean \"nghi-quyet\"?)"],
        ),
        (
            "doc-list with a bad sort",
            "---\ntitle: T\n---\n::doc-list{sort=date}\n",
            &["content/a.md:4:17: error: unknown sort \"date\"; one of: issued, -issued, title, weight"],
        ),
        (
            "meeting with no material",
            "---\ntitle: T\n---\n::meeting{month=2026-11}\n",
            &["content/a.md:4:17: error: no document is meeting material for 2026-11 (front matter `meeting: 2026-11`)"],
        ),
        (
            "this month's meeting with no material at all",
            "---\ntitle: T\n---\n::meeting\n",
            &["content/a.md:4:3: error: no document is meeting material yet (front matter `meeting: YYYY-MM`)"],
        ),
        (
            "form with a missing file",
            "---\ntitle: T\n---\n::form[Mẫu]{file=\"mau.docx\"}\n",
            &["content/a.md:4:19: error: file \"mau.docx\" points to content/mau.docx, which does not exist"],
        ),
        (
            "quiz without a correct option",
            "---\ntitle: T\n---\n:::quiz\n1. Câu hỏi?\n   - [ ] a\n   - [ ] b\n:::\n",
            &["content/a.md:4:4: error: question 1 of the quiz has no correct option: mark it [x]"],
        ),
        (
            "quiz that is not a list",
            "---\ntitle: T\n---\n:::quiz\nChỉ là đoạn văn.\n:::\n",
            &["content/a.md:4:4: error: a quiz is a numbered list of questions (1. ...), each with options - [ ] / - [x]"],
        ),
        (
            "unclosed container",
            "---\ntitle: T\n---\n:::tip\nGợi ý.\n",
            &["content/a.md:4:1: error: container \"tip\" is never closed: add a line `:::` after its content"],
        ),
        (
            "stray closing line",
            "---\ntitle: T\n---\nĐoạn.\n:::\n",
            &["content/a.md:5:1: error: closing `:::` without an open container directive"],
        ),
        (
            "bad attribute syntax",
            "---\ntitle: T\n---\n::doc-list{kind=\"nghi-quyet}\n",
            &["content/a.md:4:17: error: this quoted value is never closed"],
        ),
        (
            "supersedes nothing",
            "---\ntitle: T\nsupersedes: [cu-2019]\n---\n",
            &["content/a.md:3:14: error: supersedes \"cu-2019\", but no document has that id"],
        ),
        (
            "duplicate id",
            "---\ntitle: T\nid: dieu-le\n---\n",
            &["content/dieu-le.md:3:1: error: duplicate id \"dieu-le\": also used by content/a.md"],
        ),
        (
            "javascript: link",
            "---\ntitle: T\n---\nBấm [vào đây](javascript:alert(1)) nhé.\n",
            &["content/a.md:4:15: error: link \"javascript:alert(1)\" uses the javascript: scheme, which is not allowed; link to a page or file in content/, or to an http(s), mailto: or tel: address"],
        ),
        (
            "javascript: link in capitals, with an entity for a tab",
            "---\ntitle: T\n---\n[x](JAVA&#9;SCRIPT:alert(1))\n",
            &["content/a.md:4:5: error: link \"JAVA\tSCRIPT:alert(1)\" uses the javascript: scheme, which is not allowed; link to a page or file in content/, or to an http(s), mailto: or tel: address"],
        ),
        (
            "javascript: autolink",
            "---\ntitle: T\n---\nXem <javascript:alert(1)>.\n",
            &["content/a.md:4:6: error: link \"javascript:alert(1)\" uses the javascript: scheme, which is not allowed; link to a page or file in content/, or to an http(s), mailto: or tel: address"],
        ),
        (
            "javascript: reference definition",
            "---\ntitle: T\n---\n[x]: javascript:alert(1)\n\nXem [x].\n",
            &["content/a.md:6:5: error: link \"javascript:alert(1)\" uses the javascript: scheme, which is not allowed; link to a page or file in content/, or to an http(s), mailto: or tel: address"],
        ),
        (
            "data: image",
            "---\ntitle: T\n---\n![ảnh](data:image/svg+xml,<svg/onload=alert(1)>)\n",
            &["content/a.md:4:8: error: link \"data:image/svg+xml,<svg/onload=alert(1)>\" uses the data: scheme, which is not allowed; link to a page or file in content/, or to an http(s), mailto: or tel: address"],
        ),
        (
            "heading attributes other than the anchor",
            "---\ntitle: T\n---\nĐoạn.\n\n## Mục tiêu {#muc-tieu .do onclick=alert(1)}\n",
            &["content/a.md:6:1: error: a heading may name only its anchor, as {#anchor}; found .do onclick"],
        ),
        (
            "plain text with colons is not a directive",
            "---\ntitle: T\n---\nHọp lúc 7:30, xem https://example.org/a:b. Ghi chú: tỷ lệ 1:2.\n\n```\n:::note\n```\n",
            &[],
        ),
    ];
    let mut failures = Vec::new();
    for (name, text, want) in cases {
        let dir = site(&[("content/a.md", text), ("content/dieu-le.md", OK_DOC)]);
        let got = check(dir.path());
        if &got != want {
            failures.push(format!("case {name}:\n  got:  {got:?}\n  want: {want:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_problem_in_one_run() {
    let dir = site(&[
        ("content/a.md", "---\ntitle: A\ntitel: x\n---\n::tocc\n"),
        (
            "content/b/c.md",
            "---\ntitle: C\nissued: 2026-13-01\n---\n[x](nowhere.md)\n",
        ),
        ("content/d.md", "no front matter\n"),
    ]);
    let got = check(dir.path());
    assert_eq!(
        got,
        [
            "content/a.md:3:1: error: unknown front matter field \"titel\" (did you mean \"title\"?)",
            "content/a.md:5:3: error: unknown directive \"tocc\" (did you mean \"toc\"?)",
            "content/b/c.md:3:9: error: \"issued\" must be a date written YYYY-MM-DD, found \"2026-13-01\"",
            "content/b/c.md:5:5: error: link \"nowhere.md\" points to content/b/nowhere.md, which does not exist",
            "content/d.md:1:1: error: missing front matter: start the file with a `---` line, `title: ...`, and a closing `---` line",
        ]
    );
}

#[test]
fn structural_errors() {
    let dir = site(&[
        ("content/loai/a.md", "---\ntitle: A\n---\n"),
        ("content/Nghị quyết 21.md", "---\ntitle: B\n---\n"),
        ("content/nghi-quyet-21.md", "---\ntitle: C\n---\n"),
        ("content/x/index.md", "---\ntitle: X\n---\n"),
        ("content/x/extra.md", "---\ntitle: Y\n---\n"),
        ("content/_p.md", "::include{file=\"_q.md\"}\n"),
        ("content/_q.md", "::include{file=\"_p.md\"}\n"),
        (
            "content/e.md",
            "---\ntitle: E\n---\n::include{file=\"_p.md\"}\n",
        ),
        (
            "content/bad.md",
            [0xffu8 as char].iter().collect::<String>().as_str(),
        ),
    ]);
    std::fs::write(dir.path().join("content/bad.md"), [0x2d, 0xff, 0xfe]).expect("write");
    let got = check(dir.path());
    assert_eq!(
        got,
        [
            "content/_q.md:1:17: error: include cycle: content/e.md -> content/_p.md -> content/_q.md -> content/_p.md",
            "content/bad.md: error: not valid UTF-8 text (at byte 1); save the file as UTF-8",
            "content/loai/a.md: error: the top-level name \"loai\" is reserved for generated pages; reserved names: loai, chu-de, co-quan, nam, moi-cap-nhat, tim-kiem, dang-ky, doc-sau, thong-bao, quan-tri, ngoai-tuyen, huong-dan-cai-dat, static, api",
            "content/nghi-quyet-21.md: error: its URL /nghi-quyet-21/ is already used by content/Nghị quyết 21.md; rename one of them",
            "content/x/extra.md: error: a page bundle (a folder with index.md) can hold only index.md and attachments; move this file out, or start its name with _ to make it a partial",
        ]
    );
}

#[test]
fn config_errors_have_positions() {
    let dir = site(&[
        ("sotay.yaml", "title: Sổ tay\nsample: có\nkindz: []\n"),
        ("content/a.md", "---\ntitle: A\n---\n"),
    ]);
    assert_eq!(
        check(dir.path()),
        [
            "sotay.yaml:2:1: error: \"sample\" must be true or false",
            "sotay.yaml:3:1: error: unknown sotay.yaml field \"kindz\" (did you mean \"kinds\"?)",
        ]
    );
}

#[test]
fn sections_and_documents_have_separate_ids() {
    let dir = site(&[
        (
            "content/dieu-le/_index.md",
            "---\ntitle: Điều lệ\n---\n::doc-list{section=dieu-le}\n",
        ),
        (
            "content/dieu-le/ban/index.md",
            "---\ntitle: Điều lệ mẫu\nid: dieu-le\n---\nXem :ref{to=dieu-le}.\n",
        ),
    ]);
    assert_eq!(check(dir.path()), Vec::<String>::new());
}

/// Files written in NFD (Vietnamese with combining marks, as some macOS editors save it):
/// columns count the characters as written, so each decomposed letter before the mistake
/// counts two or three. Each case gives the page's text in NFC (it is decomposed here) and the
/// diagnostics for the decomposed file.
#[test]
fn nfd_files_have_columns_as_written() {
    use unicode_normalization::UnicodeNormalization;
    let cases: &[(&str, &str, &[&str])] = &[
        (
            // "tiêu đề" is 7 characters in NFC, 8 in NFD (ê = e + ◌̂; đ does not decompose).
            "unknown front matter field",
            "---\ntitle: Nghị quyết\ntiêu đề: x\n---\n",
            &["content/a.md:3:1: error: unknown front matter field \"tiêu đề\""],
        ),
        (
            // "cu-2019" is at column 26 in NFC; "văn-bản-cũ" has three decomposed letters.
            "supersedes after decomposed ids",
            "---\ntitle: T\nsupersedes: [văn-bản-cũ, cu-2019]\n---\n",
            &[
                "content/a.md:3:14: error: supersedes \"văn-bản-cũ\", but no document has that id",
                "content/a.md:3:29: error: supersedes \"cu-2019\", but no document has that id",
            ],
        ),
        (
            // The value is pointed at where it starts (after the quote), as written.
            "bad date in decomposed text",
            "---\ntitle: Tiêu đề\nissued: \"Ngày 2026-13-01\"\n---\n",
            &["content/a.md:3:10: error: \"issued\" must be a date written YYYY-MM-DD, found \"Ngày 2026-13-01\""],
        ),
        (
            // serde_yaml's position (column 15 of the NFC line) is moved to the line as written:
            // "Điều lệ" has two letters with two marks each.
            "YAML syntax error after decomposed text",
            "---\ntitle: Điều lệ: x\n---\n",
            &["content/a.md:2:19: error: invalid YAML: mapping values are not allowed in this context"],
        ),
        (
            "YAML end of stream after decomposed text",
            "---\ntitle: Điều lệ\nsummary: \"Tóm tắt\n---\n",
            &["content/a.md:4:1: error: invalid YAML: found unexpected end of stream"],
        ),
        (
            "unknown inline directive",
            "---\ntitle: T\n---\nNguyễn Văn A xem :notee[x].\n",
            &["content/a.md:4:22: error: unknown directive \"notee\" (did you mean \"note\"?)"],
        ),
        (
            "ref to an unknown id after decomposed text",
            "---\ntitle: T\n---\nTheo :ref[Điều 5]{to=\"dieu-lee#dieu-5\"}.\n",
            &["content/a.md:4:25: error: no document has the id \"dieu-lee\" (did you mean \"dieu-le\"?)"],
        ),
        (
            "form file after a decomposed label",
            "---\ntitle: T\n---\n::form[Mẫu đơn]{file=\"mẫu.docx\"}\n",
            &["content/a.md:4:26: error: file \"mẫu.docx\" points to content/mẫu.docx, which does not exist"],
        ),
        (
            "unknown attribute in a container after decomposed text",
            "---\ntitle: T\n---\n:::note{title=\"Lưu ý\" kieu=x}\ny\n:::\n",
            &["content/a.md:4:25: error: unknown attribute \"kieu\" for \"note\""],
        ),
        (
            "attribute name that is not ASCII, after decomposed text",
            "---\ntitle: T\n---\n:::note{title=\"Lưu ý\" kiểu=x}\ny\n:::\n",
            &[
                "content/a.md:4:27: error: expected a space or `}` after the attribute",
                "content/a.md:6:1: error: closing `:::` without an open container directive",
            ],
        ),
        (
            "link to a missing anchor",
            "---\ntitle: T\n---\nXem [Điều 9](dieu-le.md#dieu-9).\n",
            &["content/a.md:4:16: error: content/dieu-le.md has no heading with anchor \"#dieu-9\" (did you mean \"dieu-1\"?)"],
        ),
        (
            "link to a missing file in a list item",
            "---\ntitle: T\n---\n- Văn bản: [Nghị quyết](khong-co.md)\n",
            &["content/a.md:4:30: error: link \"khong-co.md\" points to content/khong-co.md, which does not exist"],
        ),
        (
            "image of a page after decomposed alt text",
            "---\ntitle: T\n---\n![Ảnh chụp](dieu-le.md)\n",
            &["content/a.md:4:15: error: image \"dieu-le.md\" points to a page, not an image file"],
        ),
    ];
    let mut failures = Vec::new();
    for (name, text, want) in cases {
        let nfd: String = text.nfd().collect();
        assert_ne!(&nfd, text, "case {name} has nothing to decompose");
        let dir = site(&[("content/a.md", &nfd), ("content/dieu-le.md", OK_DOC)]);
        let got = check(dir.path());
        if &got != want {
            failures.push(format!("case {name}:\n  got:  {got:?}\n  want: {want:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn nfd_site_config_has_columns_as_written() {
    use unicode_normalization::UnicodeNormalization;
    // "Sổ tay" is 6 characters in NFC, 8 in NFD (ổ = o + ◌̂ + ◌̉).
    let cfg: String = "title: Sổ tay: mẫu\n".nfd().collect();
    let dir = site(&[
        ("sotay.yaml", &cfg),
        ("content/a.md", "---\ntitle: A\n---\n"),
    ]);
    assert_eq!(
        check(dir.path()),
        ["sotay.yaml:1:16: error: invalid YAML: mapping values are not allowed in this context"]
    );
}
