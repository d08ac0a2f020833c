//! ESLint over the theme's JavaScript (themes/default: static/*.js and sw.js) and the browser
//! test scripts (tests/browser/*.mjs), with the rules of tests/browser/eslint.config.mjs (one
//! modern style, lines of at most 120 characters, no HTML strings). ESLint comes from
//! tests/browser/node_modules (`npm ci` there, as .ci/run does): without it this test fails.

mod common;

use std::path::Path;
use std::process::Command;

/// Theme files not restyled yet, left out of the lint while others change them (issue 20).
const PENDING: &[&str] = &["themes/default/static/search.js"];

const CONFIG: &str = "tests/browser/eslint.config.mjs";

/// Runs ESLint from the repository's root with `args`; returns (exit code, stdout, stderr).
fn eslint(args: &[&str], stdin: Option<&str>) -> (Option<i32>, String, String) {
    let root = common::repo();
    let bin = root.join("tests/browser/node_modules/eslint/bin/eslint.js");
    assert!(
        bin.exists(),
        "ESLint is missing ({}): run `npm ci` in tests/browser (.ci/run does)",
        bin.display()
    );
    let mut cmd = Command::new("node");
    cmd.arg(&bin)
        .args(["--config", CONFIG, "--max-warnings", "0"])
        .args(args)
        .current_dir(&root)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().expect("node must be installed to run ESLint");
    {
        use std::io::Write;
        let mut input = child.stdin.take().expect("stdin");
        if let Some(text) = stdin {
            input.write_all(text.as_bytes()).expect("write to eslint");
        }
    }
    let out = child.wait_with_output().expect("eslint ran");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Every .js file below `dir`, relative to the repository's root, sorted.
fn js_files(dir: &Path, out: &mut Vec<String>) {
    for e in std::fs::read_dir(dir).expect("read theme dir") {
        let p = e.expect("entry").path();
        if p.is_dir() {
            js_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "js") {
            let rel = p
                .strip_prefix(common::repo())
                .expect("inside the repository");
            out.push(rel.to_string_lossy().into_owned());
        }
    }
}

#[test]
fn theme_javascript_passes_eslint() {
    let mut args = vec!["--format", "json"];
    for p in PENDING {
        args.extend(["--ignore-pattern", p]);
    }
    args.extend(["themes/default", "tests/browser"]);
    let (code, stdout, stderr) = eslint(&args, None);
    let report: serde_json::Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("ESLint printed no JSON ({e}):\n{stderr}\n{stdout}"));
    let files = report.as_array().expect("a list of files");
    let mut problems = String::new();
    for f in files {
        let path = f["filePath"].as_str().unwrap_or("?");
        for m in f["messages"].as_array().into_iter().flatten() {
            problems.push_str(&format!(
                "{path}:{}:{}: {} ({})\n",
                m["line"],
                m["column"],
                m["message"].as_str().unwrap_or("?"),
                m["ruleId"].as_str().unwrap_or("parse error")
            ));
        }
    }
    assert!(
        problems.is_empty() && code == Some(0),
        "ESLint found problems (exit {code:?}); fix them or run \
         `tests/browser/node_modules/.bin/eslint --config {CONFIG} --fix FILE` from the root:\n\
         {problems}{stderr}"
    );

    // Every theme file is linted, except the pending ones; a pending file that is linted
    // (or gone) must leave the list, so that the list stays true.
    let linted: Vec<String> = files
        .iter()
        .filter_map(|f| f["filePath"].as_str())
        .map(|p| {
            let rel = Path::new(p)
                .strip_prefix(common::repo())
                .unwrap_or(Path::new(p));
            rel.to_string_lossy().into_owned()
        })
        .collect();
    let mut theme = Vec::new();
    js_files(&common::repo().join("themes/default"), &mut theme);
    theme.sort();
    for f in &theme {
        assert!(
            linted.contains(f) || PENDING.contains(&f.as_str()),
            "{f} is not linted: {linted:?}"
        );
    }
    for p in PENDING {
        assert!(
            theme.contains(&p.to_string()),
            "{p} is in PENDING but no longer exists: take it off the list"
        );
    }
    assert!(
        linted.iter().any(|f| f.starts_with("tests/browser/")),
        "the browser test scripts are linted too: {linted:?}"
    );
}

/// The rules are on: old-style code in a theme file is refused, with the rule's name.
#[test]
fn eslint_refuses_the_old_style() {
    let old = "(function () {\n  var seen = 1;\n  document.body.innerHTML = \"<b>\" + seen + \"</b>\";\n  \
               if (seen == 2) window.x = [seen, seen, seen, seen, seen, seen, seen, seen, seen, seen, \
               seen, seen, seen, seen, seen, seen];\n  [seen].forEach(function (s) { return s; });\n})();\n";
    let (code, stdout, stderr) = eslint(
        &[
            "--format",
            "json",
            "--stdin",
            "--stdin-filename",
            "themes/default/static/old.js",
        ],
        Some(old),
    );
    assert_eq!(
        code,
        Some(1),
        "ESLint should refuse this:\n{stdout}\n{stderr}"
    );
    for rule in [
        "no-var",
        "eqeqeq",
        "max-len",
        "no-restricted-syntax",
        "prefer-arrow-callback",
    ] {
        assert!(
            stdout.contains(&format!("\"ruleId\":\"{rule}\"")),
            "{rule} did not fire:\n{stdout}"
        );
    }
}
