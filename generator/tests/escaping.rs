//! Nothing an author writes becomes markup. A site whose every author-controlled string is
//! hostile (front matter, sotay.yaml, directive attributes and bodies, link texts and URLs,
//! image alts, headings, table cells, raw HTML, folder and attachment names) is built, and
//! every HTML page is read tag by tag: no element or attribute the author injected, no inline
//! script or style, no `javascript:` URL. The feed and sitemap stay well-formed XML,
//! catalog.json and the web app manifest valid JSON holding the strings as text, and the
//! offline search documents hold text that search.js escapes when it shows results.
//!
//! The sample handbook is read the same way: no page needs an inline script or style, so a
//! strict Content-Security-Policy (`script-src 'self'; style-src 'self'`) holds for it.

use sotay_generator::{generate, Output};
use std::collections::BTreeMap;
use std::path::Path;

/// Every way of breaking out of text or an attribute that the checks below would see. Each
/// use carries its own tag so that a failure says where the string came from.
fn hostile(tag: &str) -> String {
    format!(
        "\"'><script>alert('{tag}')</script><img src=x onerror=alert('{tag}')>\
         <style>*{{color:red}}</style><b style=\"x\" onclick=\"y\">{tag}</b>\
         <iframe src=javascript:alert(1)></iframe><svg onload=alert(1)>\
         {{{{ config }}}}{{% raw %}}&amp;&lt;&#x3c;script&#x3e;</textarea></title>"
    )
}

/// The same in a form that fits where `"` cannot appear (directive attribute values).
fn hostile_unquoted(tag: &str) -> String {
    hostile(tag).replace('"', "'")
}

/// YAML double-quoted scalar (JSON strings are YAML).
fn y(s: &str) -> String {
    serde_json::to_string(s).expect("json string")
}

fn hostile_site(allow_html: bool) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let cfg = format!(
        "title: {}\ndescription: {}\norganization: {}\nallow_html: {allow_html}\nkinds:\n  nghi-quyet: {}\n  huong-dan: {}\n",
        y(&hostile("site-title")),
        y(&hostile("site-description")),
        y(&hostile("organization")),
        y(&hostile("kind-label")),
        y(&hostile("kind-label-2")),
    );
    let doc = format!(
        "---\ntitle: {title}\nid: nq-01\nkind: nghi-quyet\nnumber: {number}\nissuer: {issuer}\nissued: 2026-01-05\ntags: [{tag1}, {tag2}]\nsummary: {summary}\nmeeting: 2026-02\n---\n\
::toc\n\n\
## {h2}\n\n\
Đoạn {p} có **{strong}** và `{code}` và chú thích[^1].\n\n\
### Điều 1. {h3}\n\n\
### Tên riêng {{#\"onclick=\"alert(1)}}\n\n\
Xem [{linktext}](b.md#dieu-1), [{linktext2}](https://example.org/a\"onmouseover=\"alert(1)), \
[{linktext3}](<https://example.org/a b'><script>alert(1)</script>>), \
<https://example.org/\"onclick=\"alert(1)> và <mailto:a@b.vn>.\n\n\
![{alt}](anh.png \"{imgtitle}\")\n\n\
| {th1} | {th2} |\n|---|---|\n| {td1} | {td2} |\n\n\
:::note{{title=\"{note_title}\"}}\n{note_body}\n:::\n\n\
:::warning\n{warn_body}\n:::\n\n\
Theo :ref[{reftext}]{{to=\"b#dieu-1\"}} và :ref{{to=b}}.\n\n\
::form[{formtext}]{{file=\"{attachment}\"}}\n\n\
::doc-list{{kind=huong-dan}}\n\n\
:::quiz{{title=\"{quiz_title}\"}}\n1. {question}\n   - [ ] {opt1}\n   - [x] {opt2}\n\n   {explain}\n:::\n\n\
<div onclick=\"alert(1)\"><script>alert('raw-block')</script></div>\n\n\
<style>body{{display:none}}</style>\n\n\
Nội tuyến <span style=\"color:red\" onmouseover=\"alert(1)\">x</span> <img src=\"x\" onerror=\"alert('raw-inline')\">.\n\n\
```html\n{codeblock}\n```\n\n\
[^1]: {footnote}\n",
        title = y(&hostile("title")),
        number = y(&hostile("number")),
        issuer = y(&hostile("issuer")),
        tag1 = y(&hostile("tag-1")),
        tag2 = y("<script>alert('tag-2')</script>"),
        summary = y(&hostile("summary")),
        h2 = hostile("h2"),
        p = hostile("paragraph"),
        strong = hostile("strong"),
        code = hostile("code").replace('`', "'"),
        h3 = hostile("h3"),
        linktext = hostile("link-text"),
        linktext2 = "<b onclick=x>t2</b>",
        linktext3 = "<i>t3</i>",
        alt = hostile("alt").replace(['[', ']'], ""),
        imgtitle = "x\\\" onerror=\\\"alert(1)",
        th1 = hostile("th").replace('|', "/"),
        th2 = "<script>alert('th2')</script>",
        td1 = hostile("td").replace('|', "/"),
        td2 = "<img src=x onerror=alert('td2')>",
        note_title = hostile_unquoted("note-title"),
        note_body = hostile("note-body"),
        warn_body = hostile("warning-body"),
        // Inline HTML would end the text an inline directive is read from: escaped here.
        reftext = hostile("ref-text").replace(['[', ']'], "").replace('<', "\\<"),
        formtext = hostile("form-text").replace(['[', ']'], ""),
        attachment = ATTACHMENT,
        quiz_title = hostile_unquoted("quiz-title"),
        question = hostile("question"),
        opt1 = hostile("option-1"),
        opt2 = hostile("option-2"),
        explain = hostile("explanation"),
        codeblock = hostile("code-block"),
        footnote = hostile("footnote"),
    );
    let target = format!(
        "---\ntitle: {}\nid: b\nkind: huong-dan\nsummary: {}\nissued: 2026-01-04\n---\n## Điều 1. {}\nNội dung.\n",
        y(&hostile("b-title")),
        y(&hostile("b-summary")),
        hostile("b-heading"),
    );
    let section = format!(
        "---\ntitle: {}\nsummary: {}\n---\n{}\n",
        y(&hostile("section-title")),
        y(&hostile("section-summary")),
        hostile("section-body"),
    );
    let home = format!(
        "---\ntitle: {}\n---\n{}\n",
        y(&hostile("home-title")),
        hostile("home-body")
    );
    let files: Vec<(String, Vec<u8>)> = vec![
        ("sotay.yaml".into(), cfg.into_bytes()),
        ("content/_index.md".into(), home.into_bytes()),
        ("content/van-ban/_index.md".into(), section.into_bytes()),
        ("content/van-ban/a.md".into(), doc.into_bytes()),
        ("content/van-ban/b.md".into(), target.into_bytes()),
        (
            "content/van-ban/anh.png".into(),
            b"\x89PNG\r\n\x1a\n".to_vec(),
        ),
        (format!("content/van-ban/{ATTACHMENT}"), vec![0u8; 100]),
        // A section named only by its folder: its title comes from the folder's name.
        (
            format!("content/{FOLDER}/c.md"),
            b"---\ntitle: C\n---\nC.\n".to_vec(),
        ),
    ];
    for (path, bytes) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, bytes).expect("write");
    }
    dir
}

/// A file name with markup in it (legal on Linux; `"` kept out because a directive's
/// attribute value cannot hold it).
const ATTACHMENT: &str = "<img src=x onerror=alert('file')>'&.pdf";
const FOLDER: &str = "<svg onload=alert('folder')>Mục & 'x'";

fn text(files: &BTreeMap<String, Output>, path: &str) -> String {
    match files.get(path) {
        Some(Output::Bytes(b)) => String::from_utf8_lossy(b).into_owned(),
        Some(Output::Copy(p)) => {
            String::from_utf8_lossy(&std::fs::read(p).expect("read")).into_owned()
        }
        None => panic!("no output file {path}"),
    }
}

// ---- reading HTML ----

/// A start tag: its lowercase name and attributes (lowercase names, decoded only as far as
/// the checks need: entities in values are left as written).
#[derive(Debug)]
struct Tag {
    name: String,
    attrs: Vec<(String, String)>,
    at: usize,
}

/// The start tags of an HTML document, read the way an HTML5 tokenizer reads them: text up to
/// `<` followed by a letter, comments, doctype, and the raw text of script, style, title and
/// textarea elements skipped to their end tag. Errs on what a browser would read differently
/// from what was meant (an unterminated tag or quoted value).
fn tags(html: &str) -> Result<Vec<Tag>, String> {
    let b = html.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'<' {
            i += 1;
            continue;
        }
        let rest = &html[i..];
        if rest.starts_with("<!--") {
            let end = rest.find("-->").ok_or("unterminated comment")?;
            i += end + 3;
            continue;
        }
        if rest.starts_with("<!") || rest.starts_with("<?") {
            i += rest.find('>').ok_or("unterminated declaration")? + 1;
            continue;
        }
        let end_tag = rest.starts_with("</");
        let name_start = i + if end_tag { 2 } else { 1 };
        if !b.get(name_start).is_some_and(u8::is_ascii_alphabetic) {
            // A `<` that starts no tag is text to a browser too.
            i += 1;
            continue;
        }
        let mut j = name_start;
        while j < b.len() && !b[j].is_ascii_whitespace() && b[j] != b'>' && b[j] != b'/' {
            j += 1;
        }
        let name = html[name_start..j].to_ascii_lowercase();
        // Attributes.
        let mut attrs = Vec::new();
        loop {
            while j < b.len() && (b[j].is_ascii_whitespace() || b[j] == b'/') {
                j += 1;
            }
            if j >= b.len() {
                return Err(format!("unterminated tag <{name} at byte {i}"));
            }
            if b[j] == b'>' {
                j += 1;
                break;
            }
            let a0 = j;
            while j < b.len() && !b[j].is_ascii_whitespace() && !matches!(b[j], b'>' | b'/' | b'=')
            {
                j += 1;
            }
            let an = html[a0..j].to_ascii_lowercase();
            while j < b.len() && b[j].is_ascii_whitespace() {
                j += 1;
            }
            let mut value = String::new();
            if j < b.len() && b[j] == b'=' {
                j += 1;
                while j < b.len() && b[j].is_ascii_whitespace() {
                    j += 1;
                }
                match b.get(j) {
                    Some(&q) if q == b'"' || q == b'\'' => {
                        let close = html[j + 1..]
                            .find(q as char)
                            .ok_or(format!("unterminated value of {an} in <{name}"))?;
                        value = html[j + 1..j + 1 + close].to_string();
                        j += close + 2;
                    }
                    _ => {
                        let v0 = j;
                        while j < b.len() && !b[j].is_ascii_whitespace() && b[j] != b'>' {
                            j += 1;
                        }
                        value = html[v0..j].to_string();
                    }
                }
            }
            attrs.push((an, value));
        }
        if !end_tag {
            out.push(Tag {
                name: name.clone(),
                attrs,
                at: i,
            });
            if matches!(name.as_str(), "script" | "style" | "title" | "textarea") {
                let close = format!("</{name}");
                let end = html[j..]
                    .to_ascii_lowercase()
                    .find(&close)
                    .ok_or(format!("<{name}> never closed"))?;
                j += end;
            }
        }
        i = j;
    }
    Ok(out)
}

/// Decodes the few entities that could hide a scheme (`&#58;`, `&colon;`, `&#x3a;`).
fn decode_for_scheme(v: &str) -> String {
    let mut s = v.to_ascii_lowercase();
    for (e, c) in [
        ("&colon;", ":"),
        ("&#58;", ":"),
        ("&#x3a;", ":"),
        ("&tab;", ""),
        ("&#9;", ""),
        ("&#x9;", ""),
        ("&newline;", ""),
        ("&#10;", ""),
        ("&#xa;", ""),
        ("&amp;", "&"),
    ] {
        s = s.replace(e, c);
    }
    s.chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .collect()
}

/// Elements the theme and the Markdown renderer never write, so that seeing one means an
/// author's markup got through.
const FOREIGN: &[&str] = &[
    "iframe", "object", "embed", "svg", "math", "marquee", "base", "frame", "frameset", "applet",
    "template", "style", "b", "i", "marquee",
];

/// Everything wrong with one page, as messages.
fn problems(path: &str, html: &str, assets: &str, trusted: bool) -> Vec<String> {
    let tags = match tags(html) {
        Ok(t) => t,
        Err(e) => return vec![format!("{path}: cannot be read as HTML: {e}")],
    };
    let mut out = Vec::new();
    let ctx = |t: &Tag| {
        let end = (t.at + 120).min(html.len());
        let mut e = end;
        while !html.is_char_boundary(e) {
            e -= 1;
        }
        format!("{path} at byte {}: {:?}", t.at, &html[t.at..e])
    };
    for t in &tags {
        match t.name.as_str() {
            "script" => {
                let own = t
                    .attrs
                    .iter()
                    .any(|(n, v)| n == "src" && v.starts_with(assets));
                if !own {
                    out.push(format!(
                        "script that is not one of the site's files: {}",
                        ctx(t)
                    ));
                }
            }
            n if !trusted && FOREIGN.contains(&n) => {
                out.push(format!(
                    "element <{n}> that the site does not write: {}",
                    ctx(t)
                ));
            }
            "style" => out.push(format!("<style> element: {}", ctx(t))),
            _ => {}
        }
        for (n, v) in &t.attrs {
            if n.starts_with("on") {
                out.push(format!("event handler attribute {n}: {}", ctx(t)));
            }
            if n == "style" {
                out.push(format!("style attribute: {}", ctx(t)));
            }
            if n == "srcdoc"
                || n == "formaction"
                || (n == "http-equiv" && v.eq_ignore_ascii_case("refresh"))
            {
                out.push(format!("attribute {n}: {}", ctx(t)));
            }
            if matches!(
                n.as_str(),
                "href" | "src" | "action" | "xlink:href" | "poster" | "data"
            ) {
                let v = decode_for_scheme(v);
                if ["javascript:", "vbscript:", "data:"]
                    .iter()
                    .any(|s| v.starts_with(s))
                {
                    out.push(format!("{n} with a script URL: {}", ctx(t)));
                }
            }
        }
        if !trusted && t.name == "img" {
            // Images are the site's own files (and the theme's icons).
            let own = t
                .attrs
                .iter()
                .any(|(n, v)| n == "src" && v.starts_with('/'));
            if !own {
                out.push(format!(
                    "image that is not one of the site's files: {}",
                    ctx(t)
                ));
            }
        }
    }
    out
}

// ---- reading XML ----

/// Checks that `xml` is well-formed: one root element, tags that nest and match, quoted
/// attributes, no `<` or stray `&` in text or values, only the XML entities.
fn well_formed_xml(xml: &str) -> Result<(), String> {
    let body = xml.trim_start_matches('\u{feff}');
    let body = match body.strip_prefix("<?xml") {
        Some(r) => &r[r.find("?>").ok_or("unterminated declaration")? + 2..],
        None => body,
    };
    let mut stack: Vec<String> = Vec::new();
    let mut roots = 0;
    let mut rest = body;
    let check_text = |t: &str| -> Result<(), String> {
        let mut s = t;
        while let Some(i) = s.find('&') {
            let after = &s[i + 1..];
            let end = after.find(';').ok_or(format!("stray & in {t:?}"))?;
            let ent = &after[..end];
            let ok = matches!(ent, "amp" | "lt" | "gt" | "quot" | "apos")
                || ent
                    .strip_prefix("#x")
                    .map(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_hexdigit()))
                    .unwrap_or(false)
                || ent
                    .strip_prefix('#')
                    .map(|d| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit()))
                    .unwrap_or(false);
            if !ok {
                return Err(format!("unknown entity &{ent}; in {t:?}"));
            }
            s = &after[end + 1..];
        }
        Ok(())
    };
    while let Some(lt) = rest.find('<') {
        let text = &rest[..lt];
        if stack.is_empty() && !text.trim().is_empty() {
            return Err(format!("text outside the root: {text:?}"));
        }
        check_text(text)?;
        rest = &rest[lt..];
        if let Some(r) = rest.strip_prefix("<!--") {
            rest = &r[r.find("-->").ok_or("unterminated comment")? + 3..];
            continue;
        }
        if let Some(r) = rest.strip_prefix("<![CDATA[") {
            rest = &r[r.find("]]>").ok_or("unterminated CDATA")? + 3..];
            continue;
        }
        let gt = rest.find('>').ok_or("unterminated tag")?;
        let tag = &rest[1..gt];
        rest = &rest[gt + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            match stack.pop() {
                Some(open) if open == name.trim() => {}
                other => return Err(format!("</{name}> closes {other:?}")),
            }
            continue;
        }
        let self_closing = tag.ends_with('/');
        let tag = tag.trim_end_matches('/');
        let name_end = tag.find(|c: char| c.is_whitespace()).unwrap_or(tag.len());
        let name = &tag[..name_end];
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_alphanumeric() || ":-_.".contains(c))
        {
            return Err(format!("bad element name {name:?}"));
        }
        // Attributes: name="value" pairs, nothing else.
        let mut a = tag[name_end..].trim_start();
        while !a.is_empty() {
            let eq = a
                .find('=')
                .ok_or(format!("attribute without value in <{tag}>"))?;
            let q = a[eq + 1..].chars().next().ok_or("no value")?;
            if q != '"' && q != '\'' {
                return Err(format!("unquoted attribute in <{tag}>"));
            }
            let v = &a[eq + 2..];
            let close = v
                .find(q)
                .ok_or(format!("unterminated attribute in <{tag}>"))?;
            if v[..close].contains('<') {
                return Err(format!("< in an attribute of <{tag}>"));
            }
            check_text(&v[..close])?;
            a = v[close + 1..].trim_start();
        }
        if stack.is_empty() {
            roots += 1;
        }
        if !self_closing {
            stack.push(name.to_string());
        }
    }
    if !rest.trim().is_empty() {
        return Err(format!("text after the root: {rest:?}"));
    }
    if !stack.is_empty() || roots != 1 {
        return Err(format!("unclosed {stack:?} or {roots} roots"));
    }
    Ok(())
}

// ---- the tests ----

/// The pages' problems over a whole generated site.
fn page_problems(files: &BTreeMap<String, Output>, base: &str, trusted: bool) -> Vec<String> {
    let assets = format!("{base}static/");
    let mut all = Vec::new();
    for path in files.keys().filter(|p| p.ends_with(".html")) {
        all.extend(problems(path, &text(files, path), &assets, trusted));
    }
    all
}

#[test]
fn hostile_strings_stay_text() {
    let dir = hostile_site(false);
    let site = generate(dir.path()).unwrap_or_else(|d| panic!("{:#?}", d.sorted()));
    let pages = site.files.keys().filter(|p| p.ends_with(".html")).count();
    assert!(pages > 15, "only {pages} pages");
    let all = page_problems(&site.files, "/", false);
    assert!(all.is_empty(), "{}", all.join("\n"));

    // The strings are on the pages, as text.
    let doc = text(&site.files, "van-ban/a/index.html");
    for needle in [
        // Through the templates (Tera escapes ' too) and through Markdown (which need not).
        "&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt;",
        "&lt;script&gt;alert(&#39;issuer&#39;)&lt;/script&gt;",
        "&lt;script&gt;alert('h2')&lt;/script&gt;",
        "&lt;script&gt;alert('note-body')&lt;/script&gt;",
        "&lt;script&gt;alert('option-2')&lt;/script&gt;",
        "&lt;script&gt;alert('raw-block')&lt;/script&gt;",
        "&lt;img src=x onerror=alert('td')&gt;",
    ] {
        assert!(
            doc.contains(needle),
            "{needle} not shown as text in the document page:\n{doc}"
        );
    }

    // Feed and sitemap: well-formed XML.
    for f in ["atom.xml", "sitemap.xml"] {
        if let Err(e) = well_formed_xml(&text(&site.files, f)) {
            panic!("{f} is not well-formed: {e}\n{}", text(&site.files, f));
        }
    }
    // catalog.json and the web app manifest: JSON that holds the strings exactly.
    let catalog: serde_json::Value =
        serde_json::from_str(&text(&site.files, "catalog.json")).expect("catalog.json is JSON");
    let titles: Vec<&str> = catalog["documents"]
        .as_array()
        .expect("documents")
        .iter()
        .filter_map(|d| d["title"].as_str())
        .collect();
    assert!(titles.contains(&hostile("title").as_str()), "{titles:?}");
    let manifest: serde_json::Value =
        serde_json::from_str(&text(&site.files, "manifest.webmanifest")).expect("manifest is JSON");
    assert_eq!(
        manifest["name"].as_str(),
        Some(hostile("site-title").as_str())
    );
    // sw.js names only the site's own paths.
    let sw = text(&site.files, "sw.js");
    assert!(!sw.contains("alert("), "{sw}");

    // The offline search documents: the strings as text (not HTML); search.js escapes them.
    // (A display shard holds its cards column by column.)
    let root = search_root(&site.files);
    let title = site
        .files
        .keys()
        .filter(|p| p.starts_with("search/d/"))
        .find_map(|p| {
            let cols: serde_json::Value =
                serde_json::from_str(&text(&site.files, p)).expect("cards");
            let ids = cols["id"].as_array().expect("ids");
            let at = ids.iter().position(|id| id == "nq-01")?;
            Some(cols["title"][at].clone())
        })
        .expect("document nq-01 in the offline index");
    assert_eq!(title.as_str(), Some(hostile("title").as_str()));
    search_js_escapes(&site.files, &root);
}

/// The path of the browser index's root, as the search page names it.
fn search_root(files: &BTreeMap<String, Output>) -> String {
    files
        .keys()
        .find(|p| p.starts_with("search/index.") && p.ends_with(".json"))
        .expect("offline index root")
        .clone()
}

/// Runs the theme's search.js in Node (its index read from the site's files, no DOM: the page
/// itself is tested in Chromium by tests/browser_search.rs) on queries that hit the hostile
/// document, and reads the HTML that search.js makes for the results list — the marked
/// title, the snippet, the snippet of a passage whose heading and text are hostile — tag by
/// tag. Needs `node` (as the browser tests do; `.ci/run` installs it): without it the test
/// fails and says so.
fn search_js_escapes(files: &BTreeMap<String, Output>, root: &str) {
    let Some(js_path) = files
        .keys()
        .find(|p| p.starts_with("static/search.") && p.ends_with(".js"))
        .cloned()
    else {
        panic!("no search.js in the site");
    };
    let dir = tempfile::tempdir().expect("temp dir");
    for (p, o) in files {
        if p.starts_with("search/") {
            let bytes = match o {
                Output::Bytes(b) => b.clone(),
                Output::Copy(c) => std::fs::read(c).expect("read"),
            };
            let f = dir.path().join("site").join(p);
            std::fs::create_dir_all(f.parent().expect("parent")).expect("mkdir");
            std::fs::write(f, bytes).expect("write");
        }
    }
    std::fs::write(dir.path().join("search.js"), text(files, &js_path)).expect("write js");
    std::fs::write(dir.path().join("hostile.txt"), hostile("passage")).expect("write");
    let harness = r#"
const fs = require("fs");
const path = require("path");
const [root, query] = process.argv.slice(2);
globalThis.window = globalThis;
globalThis.location = new URL("http://localhost/tim-kiem/");
globalThis.document = { readyState: "complete", querySelector() { return null; } };
globalThis.fetch = async (url) => {
  const file = path.join("site", new URL(url, "http://localhost/").pathname);
  const b = fs.readFileSync(file);
  return { ok: true, arrayBuffer: async () => b.buffer.slice(b.byteOffset, b.byteOffset + b.length) };
};
require("./search.js");
(async () => {
  const idx = await window.SotaySearch.load("/" + root);
  const r = await idx.search(query, {}, 0, 10);
  const bad = fs.readFileSync("hostile.txt", "utf8");
  let out = "<ol>";
  for (const h of r.hits) {
    const passage = idx.snippetOf([{ anchor: "x", heading: bad, text: bad }], 0, r.seq);
    out += `<li><a>${idx.mark(h.title, r.seq)}</a><p>${passage}</p></li>`;
  }
  process.stdout.write(out + "</ol>");
})().catch((e) => { console.error(e); process.exit(1); });
"#;
    std::fs::write(dir.path().join("harness.js"), harness).expect("write harness");
    let mut ran = 0;
    for q in ["alert script title", "alert", "alert h2", "heading"] {
        let out = match std::process::Command::new("node")
            .current_dir(dir.path())
            .arg("harness.js")
            .arg(root)
            .arg(q)
            .output()
        {
            Ok(o) => o,
            Err(e) => panic!(
                "this test runs the theme's search.js in Node.js, which is missing ({e}): install nodejs (.ci/run does)"
            ),
        };
        assert!(
            out.status.success(),
            "node: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let html = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(html.contains("<li"), "query {q:?} found nothing: {html:?}");
        assert!(
            html.replace("<mark>", "")
                .replace("</mark>", "")
                .contains("&lt;script&gt;alert("),
            "query {q:?}: the hostile text is not in the results as text: {html}"
        );
        let bad = problems(
            &format!("search results for {q:?}"),
            &html,
            "/static/",
            false,
        );
        assert!(bad.is_empty(), "{}\n{html}", bad.join("\n"));
        let tags = tags(&html).expect("results are HTML");
        for t in &tags {
            assert!(
                matches!(
                    t.name.as_str(),
                    "ol" | "li" | "a" | "span" | "p" | "mark" | "strong"
                ),
                "search results hold <{}>: {html}",
                t.name
            );
        }
        ran += 1;
    }
    assert_eq!(ran, 4);
}

#[test]
fn hostile_strings_with_trusted_html() {
    // With `allow_html: true` the site trusts its authors' raw HTML: it passes as written,
    // while everything else (front matter, attributes, names) is still text.
    let dir = hostile_site(true);
    let site = generate(dir.path()).unwrap_or_else(|d| panic!("{:#?}", d.sorted()));
    let doc = text(&site.files, "van-ban/a/index.html");
    assert!(doc.contains("<script>alert('raw-block')</script>"), "{doc}");
    assert!(
        doc.contains("<img src=\"x\" onerror=\"alert('raw-inline')\">"),
        "{doc}"
    );
    // Everything that is not raw HTML in Markdown is still escaped: the page's head and
    // header, the lists, the feed.
    let home = text(&site.files, "index.html");
    let bad = problems("index.html", &home, "/static/", true);
    // The home page's own body is the author's Markdown (raw HTML allowed); only its head
    // and the theme's parts are checked here, by taking the page up to <main>.
    let head = &home[..home.find("<main").expect("main")];
    let bad_head = problems("index.html head", head, "/static/", false);
    assert!(bad_head.is_empty(), "{}", bad_head.join("\n"));
    assert!(
        !bad.is_empty(),
        "the home page's raw HTML should pass when trusted"
    );
    for f in ["atom.xml", "sitemap.xml"] {
        well_formed_xml(&text(&site.files, f)).unwrap_or_else(|e| panic!("{f}: {e}"));
    }
}

#[test]
fn raw_html_is_escaped_by_default() {
    assert!(!sotay_generator::config::Config::default().allow_html);
}

#[test]
fn sample_handbook_needs_no_inline_script_or_style() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let site = generate(&root).unwrap_or_else(|d| panic!("{:?}", d.sorted()));
    let base = site.config.base_path.clone();
    let all = page_problems(&site.files, &base, false);
    assert!(all.is_empty(), "{}", all.join("\n"));
    for f in ["atom.xml", "sitemap.xml"] {
        well_formed_xml(&text(&site.files, f)).unwrap_or_else(|e| panic!("{f}: {e}"));
    }
}

#[test]
fn the_checks_see_what_they_look_for() {
    // The readers above must catch each kind of injection, or the tests prove nothing.
    for (html, what) in [
        ("<p>x</p><script>alert(1)</script>", "script"),
        ("<script src=\"https://evil/x.js\"></script>", "script"),
        ("<p onclick=\"x\">", "event handler"),
        ("<p ONMOUSEOVER=x>", "event handler"),
        ("<p style='color:red'>", "style attribute"),
        ("<style>p{}</style>", "<style>"),
        ("<a href=\" jav&#x9;ascript&colon;alert(1)\">", "script URL"),
        ("<img src=x>", "image"),
        ("<iframe src=x></iframe>", "<iframe>"),
        ("<svg onload=x>", "<svg>"),
        ("<p title=\"x>", "cannot be read"),
    ] {
        let got = problems("t", html, "/static/", false).join("\n");
        assert!(got.contains(what), "{html}: {got:?}");
    }
    assert!(problems(
        "t",
        "<!doctype html><p title=\"&lt;script&gt;\">&lt;b onclick=x&gt;</p><script src=\"/static/app.1.js\"></script>",
        "/static/",
        false
    )
    .is_empty());
    assert!(well_formed_xml("<?xml version=\"1.0\"?><a x=\"1\"><b/>t &amp; u</a>").is_ok());
    for bad in [
        "<a><b></a>",
        "<a>x & y</a>",
        "<a x=1/>",
        "<a>1</a><b/>",
        "<a>&nbsp;</a>",
        "<a x=\"<\"/>",
    ] {
        assert!(well_formed_xml(bad).is_err(), "{bad}");
    }
}
