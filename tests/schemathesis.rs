//! schemathesis (a property-based API tester, from PyPI) against a live `sotay server` on
//! loopback: it reads /api/v1/openapi.json, generates valid and invalid requests for every
//! operation (with a member token and an admin token, so the authorized paths run too) and
//! runs all its checks: no 5xx, every status, content type, header and body as described,
//! invalid requests refused, valid ones accepted, 401 without a token, 405 with `Allow`.
//!
//! The server runs with `--no-rate-limits` (its switch for load tests): otherwise the fuzzer's
//! stream of registrations would be answered 429 after the tenth, and nothing behind the
//! limits would be tested.
//!
//! schemathesis is found at $SOTAY_SCHEMATHESIS, else in the virtualenv .ci/run makes
//! (~/.cache/sotay/schemathesis-VERSION). It is never skipped: without it the test fails and
//! says how to install it. SOTAY_SCHEMATHESIS_EXAMPLES sets the examples per operation.

mod loopback;

use loopback::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// The version .ci/run installs; the test says so if another one is found.
const VERSION: &str = "4.32.5";
const EXAMPLES: &str = "100";
const SEED: &str = "20261127";

fn schemathesis() -> PathBuf {
    let install = format!(
        "python3 -m venv ~/.cache/sotay/schemathesis-{VERSION} && ~/.cache/sotay/schemathesis-{VERSION}/bin/pip install schemathesis=={VERSION} (what .ci/run does), or set SOTAY_SCHEMATHESIS to a schemathesis executable"
    );
    let path = match std::env::var_os("SOTAY_SCHEMATHESIS") {
        Some(p) => PathBuf::from(p),
        None => {
            let home =
                std::env::var_os("HOME").unwrap_or_else(|| panic!("HOME is not set; {install}"));
            Path::new(&home).join(format!(
                ".cache/sotay/schemathesis-{VERSION}/bin/schemathesis"
            ))
        }
    };
    let out = Command::new(&path)
        .arg("--version")
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "schemathesis is not installed ({}: {e}); install it: {install}",
                path.display()
            )
        });
    let version = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{} --version failed; install it: {install}",
        path.display()
    );
    if !version.contains(VERSION) {
        eprintln!(
            "note: {} is {}; .ci/run pins {VERSION}",
            path.display(),
            version.trim()
        );
    }
    path
}

#[test]
fn schemathesis_finds_nothing() {
    let dir = tempfile::tempdir().expect("tmp");
    let db = db_url(&dir.path().join("db.sqlite"));
    run_schemathesis(&dir, &db);
}

/// The same, with the server on PostgreSQL (a database of its own on the server at
/// `SOTAY_TEST_PG`, made and dropped with `psql`), which refuses some text SQLite keeps.
#[test]
fn schemathesis_finds_nothing_on_postgres() {
    let base = std::env::var("SOTAY_TEST_PG")
        .unwrap_or_else(|_| "postgres://sotay:sotay@127.0.0.1:5432/postgres".into());
    let name = format!("sotay_st_{}", std::process::id());
    let psql = |sql: &str| {
        let out = Command::new("psql")
            .args([&base, "-qc", sql])
            .output()
            .unwrap_or_else(|e| panic!("psql (PostgreSQL's client, .ci/run installs it): {e}"));
        assert!(
            out.status.success(),
            "{sql}: {} (the PostgreSQL tests need a server: run .ci/run or set SOTAY_TEST_PG)",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    psql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
    psql(&format!("CREATE DATABASE {name}"));
    struct Cleanup<F: FnMut()>(F);
    impl<F: FnMut()> Drop for Cleanup<F> {
        fn drop(&mut self) {
            (self.0)()
        }
    }
    let _drop = Cleanup(|| psql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")));
    let db = match base.rsplit_once('/') {
        Some((head, _)) => format!("{head}/{name}"),
        None => panic!("SOTAY_TEST_PG has no database part: {base}"),
    };
    let dir = tempfile::tempdir().expect("tmp");
    run_schemathesis(&dir, &db);
}

fn run_schemathesis(dir: &tempfile::TempDir, db: &str) {
    let st = schemathesis();
    let d = dir.path();
    let site = build_site(d);
    import_roster(d, db);
    let admin = admin(db, "TU");
    assert!(admin.starts_with("a_"), "{admin}");
    let log = d.join("server.log");
    let server = start_logged(&site, db, &["--no-rate-limits"], &[], Some(&log));
    let addr = server.addr;
    // The secretary of CB1: events of every type, meetings included, can be stored.
    let member = register(addr, 0);

    // Tokens go to the security schemes the description names; everything else is flags.
    let config = d.join("schemathesis.toml");
    let hooks = repo().join("tests/schemathesis_hooks.py");
    std::fs::write(
        &config,
        format!(
            r#"# What the description cannot say (see tests/schemathesis_hooks.py).
hooks = "{}"

# More than 500 events is refused with 413 too_many_events (described): a rejection too.
[checks.negative_data_rejection]
expected-statuses = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429", "5xx"]

# Recording and scheduling a cell meeting follow rules OpenAPI cannot state (the cards are
# members of the secretary's cell in the roster; the day is in the month and not after today;
# the month not before last month): a schema-valid body may be refused with their described 400.
# Every other check still runs on these operations; sync-server/tests/meetings.rs holds each rule.
[[operations]]
include-path-regex = "^/api/v1/meetings/"
include-method = "PUT"
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "400", "401", "403", "404", "409", "429", "5xx"]

# An uploaded roster file is checked for what no schema says (a readable workbook or UTF-8 CSV,
# with the header, values, tree and scope rules of the roster): a schema-valid body (any bytes)
# is refused with the described 400 (empty) or 422 (the report). Every other check still runs;
# sync-server/tests/roster_updates.rs and tests/roster_excel.rs hold each rule.
[[operations]]
include-path-regex = "^/api/v1/roster/uploads$"
include-method = "POST"
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "400", "401", "403", "404", "409", "422", "429", "5xx"]

[auth.openapi.memberToken]
bearer = "${{SOTAY_MEMBER_TOKEN}}"

[auth.openapi.adminToken]
bearer = "${{SOTAY_ADMIN_TOKEN}}"
"#,
            hooks.display()
        ),
    )
    .expect("w");
    let examples = std::env::var("SOTAY_SCHEMATHESIS_EXAMPLES").unwrap_or_else(|_| EXAMPLES.into());
    let started = Instant::now();
    let out = Command::new(&st)
        .arg("--config-file")
        .arg(&config)
        .args(["--no-color", "run"])
        .arg(format!("http://{addr}/api/v1/openapi.json"))
        .args(["--url", &format!("http://{addr}")])
        .args([
            "--checks",
            "all",
            "--max-examples",
            &examples,
            "--seed",
            SEED,
        ])
        // One worker: Python 3.11's parser is not thread-safe where Hypothesis describes its
        // strategies ("AST constructor recursion depth mismatch"); the server is fast anyway.
        .args(["--workers", "1", "--phases", "examples,coverage,fuzzing"])
        .args(["--generation-database", "none", "--request-timeout", "30"])
        .arg("--report-dir")
        .arg(d.join("report"))
        .env("SOTAY_MEMBER_TOKEN", &member)
        .env("SOTAY_ADMIN_TOKEN", &admin)
        .current_dir(d)
        .output()
        .expect("run schemathesis");
    let took = started.elapsed();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // The summary, for whoever reads the test's output (cargo test -- --nocapture).
    let summary = stdout.find("SUMMARY").map_or("", |i| &stdout[i..]);
    eprintln!(
        "schemathesis {} in {:.0} s ({examples} examples per operation):\n{summary}",
        VERSION,
        took.as_secs_f64()
    );
    let log = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        out.status.success(),
        "schemathesis found problems (seed {SEED}):\n{stdout}\n{stderr}\nserver log:\n{log}"
    );
    // The server is still up and never panicked.
    let h = try_request(addr, "GET", "/healthz", &[], b"").expect("the server still answers");
    assert_eq!(h.status, 200);
    assert!(!log.contains("panicked"), "{log}");
    drop(server);
}
