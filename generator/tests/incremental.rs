//! Incremental builds are exact: a long pseudo-random sequence of edits, creations, deletions
//! and renames is applied to a site, and after every step the incremental build (one `Builder`
//! kept across steps) must equal a clean full build of the same files, byte for byte, and its
//! search index, updated in place as `sotay serve` does, must answer like the clean build's.
//! Small edits must also stay small: a body edit re-renders a handful of pages, not the site.

use sotay_generator::search::index::{index_dir, IndexUpdater, SearchIndex};
use sotay_generator::search::Filter;
use sotay_generator::{build, build_pages, build_with, Builder};
use std::collections::BTreeMap;
use std::path::Path;

struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
    std::fs::write(p, text).expect("write");
}

fn doc(title: &str, kind: &str, tag: &str, day: u32, body: &str) -> String {
    format!("---\ntitle: {title}\nkind: {kind}\ntags: [{tag}]\nissued: 2026-{:02}-{:02}\nsummary: Tóm tắt {title}\n---\n## Mục một\n{body}\n\nXem [trung tâm](../hub.md#dieu-1) và :ref{{to=hub}}.\n\n::include{{file=\"../_chung/ghi-chu.md\"}}\n", 1 + day % 12, 1 + day % 28)
}

fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read_dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(
                    p.strip_prefix(dir)
                        .expect("prefix")
                        .to_string_lossy()
                        .into_owned(),
                    std::fs::read(&p).expect("read"),
                );
            }
        }
    }
    out
}

#[test]
fn random_edits_match_clean_builds() {
    let root = tempfile::tempdir().expect("tmp");
    let r = root.path();
    write(
        r,
        "content/hub.md",
        "---\ntitle: Trung tâm\nid: hub\nkind: dieu-le\n---\n### Điều 1. Chung\nNội dung.\n",
    );
    write(
        r,
        "content/_chung/ghi-chu.md",
        "Ghi chú chung, phiên bản 0.\n",
    );
    write(
        r,
        "content/lists.md",
        "---\ntitle: Danh sách\n---\n::doc-list{kind=nghi-quyet sort=-issued limit=5}\n",
    );
    let kinds = ["nghi-quyet", "chi-thi", "huong-dan"];
    let tags = ["a", "b", "c"];
    let sections = ["s1", "s2", "s3"];
    let mut docs: Vec<String> = Vec::new();
    for i in 0..24 {
        let rel = format!("content/{}/d{i:02}.md", sections[i % 3]);
        write(
            r,
            &rel,
            &doc(
                &format!("Văn bản {i}"),
                kinds[i % 3],
                tags[i % 3],
                i as u32,
                "Thân bài.",
            ),
        );
        docs.push(rel);
    }
    write(
        r,
        "content/s1/bundle/index.md",
        "---\ntitle: Biểu mẫu\n---\n::form[Mẫu]{file=\"mau.docx\"}\n",
    );
    write(r, "content/s1/bundle/mau.docx", "phiên bản 0");

    let work = tempfile::tempdir().expect("tmp");
    let inc_out = work.path().join("inc");
    let mut builder = Builder::new(r);
    build_with(&mut builder, &inc_out).unwrap_or_else(|d| panic!("{:?}", d.sorted()));
    // The index a large site's build writes, in segments side by side, its postings written
    // from the build's terms: updated in place too.
    let (_, first_docs) =
        build_pages(&mut builder, &inc_out).unwrap_or_else(|d| panic!("{:?}", d.sorted()));
    std::fs::remove_dir_all(index_dir(&inc_out)).expect("remove index");
    sotay_generator::search::index::write_in(
        &first_docs,
        &index_dir(&inc_out),
        Some(builder.terms()),
        2,
    )
    .expect("index in segments");
    let mut updater = IndexUpdater::new(&index_dir(&inc_out));

    let mut rng = Lcg(42);
    let mut next_id = 100;
    for step in 0..60 {
        let what = rng.below(9);
        let pick = if docs.is_empty() {
            None
        } else {
            Some(rng.below(docs.len()))
        };
        // What the file watcher of `sotay serve` would report, given to the builder on odd
        // steps (it then reads only those files when they are text edits); even steps look
        // at every file.
        let mut touched: Vec<std::path::PathBuf> = Vec::new();
        let action = match (what, pick) {
            (0 | 1, Some(i)) => {
                touched.push(docs[i].clone().into());
                let p = r.join(&docs[i]);
                let mut t = std::fs::read_to_string(&p).expect("read");
                t.push_str(&format!("\nĐoạn thêm ở bước {step}.\n"));
                std::fs::write(&p, t).expect("write");
                "edit body"
            }
            (2, Some(i)) => {
                touched.push(docs[i].clone().into());
                let p = r.join(&docs[i]);
                let t = std::fs::read_to_string(&p).expect("read");
                let t = t.replacen("title: ", &format!("title: (sửa {step}) "), 1);
                std::fs::write(&p, t).expect("write");
                "retitle"
            }
            (3, _) => {
                let rel = format!("content/{}/moi-{next_id}.md", sections[rng.below(3)]);
                write(
                    r,
                    &rel,
                    &doc(
                        &format!("Văn bản mới {next_id}"),
                        kinds[rng.below(3)],
                        tags[rng.below(3)],
                        next_id,
                        "Mới.",
                    ),
                );
                touched.push(rel.clone().into());
                docs.push(rel);
                next_id += 1;
                "create"
            }
            (4, Some(i)) if docs.len() > 5 => {
                touched.push(docs[i].clone().into());
                std::fs::remove_file(r.join(docs.remove(i))).expect("rm");
                "delete"
            }
            (5, Some(i)) => {
                let from = docs[i].clone();
                let to = format!("content/{}/doi-ten-{next_id}.md", sections[rng.below(3)]);
                next_id += 1;
                std::fs::rename(r.join(&from), r.join(&to)).expect("rename");
                touched.push(from.into());
                touched.push(to.clone().into());
                docs[i] = to;
                "rename"
            }
            (6, _) => {
                touched.push("content/_chung/ghi-chu.md".into());
                write(
                    r,
                    "content/_chung/ghi-chu.md",
                    &format!("Ghi chú chung, phiên bản {step}.\n"),
                );
                "partial"
            }
            (7, Some(i)) => {
                touched.push(docs[i].clone().into());
                let p = r.join(&docs[i]);
                let t = std::fs::read_to_string(&p).expect("read");
                let t = t
                    .replacen(
                        &format!("kind: {}", kinds[0]),
                        &format!("kind: {}", kinds[1]),
                        1,
                    )
                    .replacen("tags: [a]", "tags: [b, c]", 1);
                std::fs::write(&p, t).expect("write");
                "kind and tags"
            }
            (8, _) if step % 2 == 0 => {
                touched.push("sotay.yaml".into());
                write(r, "sotay.yaml", &format!("title: Sổ tay bước {step}\n"));
                "config"
            }
            _ => {
                touched.push("content/s1/bundle/mau.docx".into());
                // An editor's temporary file, come and gone.
                touched.push("content/s1/.mau.docx.tmp".into());
                write(r, "content/s1/bundle/mau.docx", &"x".repeat(step + 1));
                "attachment"
            }
        };
        if step % 2 == 1 {
            builder.changed(touched);
        }
        let (inc, search_docs) = build_pages(&mut builder, &inc_out)
            .unwrap_or_else(|d| panic!("step {step} ({action}): {:?}", d.sorted()));
        updater
            .update(&search_docs)
            .unwrap_or_else(|e| panic!("step {step} ({action}): index update: {e}"));
        let clean_out = work.path().join(format!("clean-{step}"));
        build(r, &clean_out).unwrap_or_else(|d| panic!("clean {step}: {:?}", d.sorted()));
        let (a, b) = (tree(&inc_out), tree(&clean_out));
        let diff: Vec<&String> = a
            .keys()
            .chain(b.keys())
            .filter(|k| a.get(*k) != b.get(*k))
            .collect();
        assert!(
            diff.is_empty(),
            "step {step} ({action}): incremental differs from a clean build in {diff:?}"
        );
        assert!(inc.written <= inc.files, "{inc:?}");
        let (si, sc) = (
            SearchIndex::open(&index_dir(&inc_out)).expect("updated index"),
            SearchIndex::open(&index_dir(&clean_out)).expect("clean index"),
        );
        assert_eq!(si.docs(), sc.docs(), "step {step} ({action}): docs.json");
        for q in [
            "trung tâm",
            "tom tat",
            "ghi chú chung",
            "mục một",
            "noi dung",
            "\"phiên bản\"",
            "điều",
        ] {
            let (a, b) = (
                si.search(q, &Filter::default(), 0, 100),
                sc.search(q, &Filter::default(), 0, 100),
            );
            assert_eq!(a, b, "step {step} ({action}): search {q:?}");
        }
        std::fs::remove_dir_all(&clean_out).expect("cleanup");
        std::fs::remove_dir_all(index_dir(&clean_out)).expect("cleanup index");
    }
}

#[test]
fn a_body_edit_renders_a_few_pages() {
    let root = tempfile::tempdir().expect("tmp");
    let r = root.path();
    write(
        r,
        "content/hub.md",
        "---\ntitle: Trung tâm\nid: hub\n---\n### Điều 1. Chung\nNội dung.\n",
    );
    write(r, "content/_chung/ghi-chu.md", "Ghi chú.\n");
    for i in 0..40 {
        write(
            r,
            &format!("content/s{}/d{i:02}.md", i % 4),
            &doc(&format!("Văn bản {i}"), "nghi-quyet", "a", i, "Thân bài."),
        );
    }
    let mut builder = Builder::new(r);
    let sink = sotay_generator::write::NullSink;
    let first = builder
        .run(&sink)
        .unwrap_or_else(|d| panic!("{:?}", d.sorted()));
    assert!(first.pages_rendered > 60);
    let again = builder
        .run(&sink)
        .unwrap_or_else(|d| panic!("{:?}", d.sorted()));
    assert_eq!(
        (
            again.markdown_rendered,
            again.pages_rendered,
            again.changed.len()
        ),
        (0, 0, 0),
        "nothing changed, nothing done"
    );
    let p = r.join("content/s1/d05.md");
    let t = std::fs::read_to_string(&p).expect("read") + "\nMột câu mới.\n";
    std::fs::write(&p, t).expect("write");
    let edit = builder
        .run(&sink)
        .unwrap_or_else(|d| panic!("{:?}", d.sorted()));
    assert_eq!(edit.markdown_rendered, 1);
    assert_eq!(
        edit.pages_rendered, 2,
        "the document and the search page (new index URL); its summary is unchanged"
    );
    assert!(
        edit.changed.contains(&"s1/d05/index.html".to_string()),
        "{:?}",
        edit.changed
    );
    // The browser's search index changes in the groups of the terms the edit touched (held
    // exactly to that by tests/search.rs), its vocabulary when a word is new, and its root.
    let shard = |p: &String| {
        ["search/t/", "search/v/", "search/d/", "precache/"]
            .iter()
            .any(|d| p.starts_with(d))
    };
    let others: Vec<&String> = edit.changed.iter().filter(|p| !shard(p)).collect();
    assert!(
        others.len() <= 7,
        "the page, the search page and root, catalog, feed, precache root, sw: {others:?}"
    );
}

/// Link anchors are checked again only where they can have changed (the pages rendered again,
/// or every page when one of them has other headings than before): after every step the
/// incremental build finds exactly the problems a clean check finds.
#[test]
fn anchor_checks_in_rebuilds_match_clean_checks() {
    let root = tempfile::tempdir().expect("tmp");
    let r = root.path();
    let hub =
        |headings: &str| format!("---\ntitle: Trung tâm\nid: hub\n---\n{headings}\nNội dung.\n");
    let linker = |anchor: &str, extra: &str| {
        format!(
            "---\ntitle: Văn bản\n---\n## Mục một\nXem [trung tâm](../hub.md#{anchor}).\n{extra}\n"
        )
    };
    write(r, "content/hub.md", &hub("### Điều 1. Chung"));
    write(r, "content/s/d0.md", &linker("dieu-1", ""));
    write(r, "content/s/d1.md", &linker("dieu-1", "Thân bài."));
    let mut builder = Builder::new(r);
    let sink = sotay_generator::write::NullSink;
    let errors = |res: Result<
        sotay_generator::pipeline::Run,
        sotay_generator::diagnostics::Diagnostics,
    >|
     -> Vec<String> {
        match res {
            Ok(run) => run
                .warnings
                .sorted()
                .iter()
                .map(|d| d.to_string())
                .collect(),
            Err(d) => d.sorted().iter().map(|d| d.to_string()).collect(),
        }
    };
    let steps: Vec<(&str, &str, String, bool)> = vec![
        (
            "start",
            "content/s/d1.md",
            linker("dieu-1", "Thân bài."),
            true,
        ),
        (
            "a target loses its heading",
            "content/hub.md",
            hub("### Điều 2. Chung"),
            false,
        ),
        (
            "body edit elsewhere while broken",
            "content/s/d1.md",
            linker("dieu-2", "Sửa."),
            false,
        ),
        (
            "the heading comes back",
            "content/hub.md",
            hub("### Điều 1. Chung\n### Điều 2. Chung"),
            true,
        ),
        (
            "a page links to a missing anchor",
            "content/s/d0.md",
            linker("khong-co", ""),
            false,
        ),
        (
            "fixed",
            "content/s/d0.md",
            linker("dieu-1", "Đã sửa."),
            true,
        ),
        (
            "body edit, same headings",
            "content/hub.md",
            hub("### Điều 1. Chung\n### Điều 2. Chung\n\nThêm."),
            true,
        ),
        (
            "a target loses a heading a page links to",
            "content/hub.md",
            hub("### Điều 1. Chung"),
            false,
        ),
        (
            "the page that linked moves on",
            "content/s/d1.md",
            linker("dieu-1", "Lại."),
            true,
        ),
    ];
    for (label, file, text, ok) in steps {
        write(r, file, &text);
        let inc = errors(builder.run(&sink));
        let clean: Vec<String> = sotay_generator::check(r)
            .sorted()
            .iter()
            .map(|d| d.to_string())
            .collect();
        assert_eq!(inc, clean, "{label}");
        assert_eq!(
            clean.iter().all(|e| !e.contains("error")),
            ok,
            "{label}: {clean:?}"
        );
    }
}
