//! The `sotay` command line: parses arguments and calls the libraries. No logic lives here
//! beyond turning results into exit codes and output (programs read stdout, people stderr).
#![warn(clippy::too_many_lines)]

mod alloc;

use sotay_generator::diagnostics::{Diagnostic, Diagnostics};
use std::path::PathBuf;
use std::process::ExitCode;

#[global_allocator]
static ALLOCATOR: alloc::Split = alloc::Split;

const USAGE: &str = "\
sotay: sổ tay đảng viên điện tử (electronic Party member handbook)

Usage:
  sotay build [--root DIR] [--out DIR]        build the site from DIR/content into DIR/public
  sotay check [--root DIR] [--format text|json]
                                              check everything build would, write nothing
  sotay serve [--root DIR] [--port 8080] [--db PATH]
                                              build, then serve site, search and sync API on one
                                              port with embedded SQLite (loads the sample roster
                                              into an empty database)
  sotay server --site DIR --db URL [--listen ADDR] [--index DIR] [--trusted-proxy CIDR]...
               [--tls-cert FILE --tls-key FILE [--http-redirect ADDR [--acme-webroot DIR]]]
               [--push-contact mailto:ADDRESS] [--config FILE] [--no-rate-limits]
                                              production: serve a built site and the API;
                                              URL is sqlite://PATH or postgres://USER:PASS@HOST/DB;
                                              behind a proxy in a --trusted-proxy range (e.g.
                                              127.0.0.1/32) the client is the one its
                                              Forwarded / X-Forwarded-For names; with
                                              --tls-cert/--tls-key (PEM) it serves HTTPS itself,
                                              reloading them when they change, and plain HTTP on
                                              --http-redirect sends browsers there; FILE (YAML)
                                              holds the same settings and the rate limits;
                                              --push-contact turns on Web Push for new notices
  sotay roster import (--units FILE --members FILE | --workbook FILE) [--db URL] [--format text|json]
                                              import/replace the roster, with a data-quality report;
                                              FILE is CSV or Excel (.xlsx); a workbook has the sheets
                                              \"Đơn vị\" and \"Đảng viên\"
  sotay roster template --out FILE.xlsx        write the Excel template (headers and an example)
  sotay roster convert (--units FILE --members FILE | --workbook FILE) --out FILE.xlsx
                                              check a roster and write it as the Excel workbook
                                              staff keep (the template's layout)
  sotay roster sample --out DIR [--members N]  write a synthetic roster (units.csv, members.csv)
  sotay admin create --unit CODE [--name NAME] [--db URL]
                                              create an admin token for that unit's subtree (NAME:
                                              who it is for, shown in the roster's change log)
  sotay notice post --unit CODE --title TEXT --body-file FILE [--expires-on D] [--db URL]
                                              send a notice to the members of that unit's subtree
                                              (plain text, line breaks kept; prints it as JSON)
  sotay notice withdraw ID [--db URL]         withdraw a notice: phones stop showing it
  sotay report usage [--unit CODE] [--from D] [--to D] [--format table|csv|xlsx|json] [--db URL] [--out FILE]
                                              the per-unit usage report (dates YYYY-MM-DD; default
                                              this month; xlsx needs --out or a redirected stdout)
  sotay search QUERY [--root DIR] [--limit N] [--offset N] [--kind KIND] [--format text|json]
                                              search the built index (DIR/public.index)
  sotay db migrate --db URL                   create the database's schema or bring it up to date
  sotay db copy --from sqlite://PATH --to postgres://...
                                              copy everything into a new PostgreSQL database
  sotay help                                  this text

Exit codes: 0 success, 1 problems in the content, 2 wrong usage.
";

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("sotay: {e}");
            eprintln!("Try `sotay help`.");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<ExitCode, lexopt::Error> {
    use lexopt::prelude::*;
    let mut parser = lexopt::Parser::from_env();
    let cmd = match parser.next()? {
        Some(Value(v)) => v.string()?,
        Some(Long("help") | Short('h')) | None => {
            print!("{USAGE}");
            return Ok(ExitCode::SUCCESS);
        }
        Some(arg) => return Err(arg.unexpected()),
    };
    match cmd.as_str() {
        "build" => build(&mut parser),
        "check" => check(&mut parser),
        "search" => search(&mut parser),
        "serve" => serve(&mut parser),
        "server" => server(&mut parser),
        "roster" => roster(&mut parser),
        "db" => db(&mut parser),
        "report" => report(&mut parser),
        "notice" => notice(&mut parser),
        "admin" => admin(&mut parser),
        "help" => {
            print!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        other => Err(format!("unknown command \"{other}\"").into()),
    }
}

/// `sotay build`: its arguments, then [`run_build`].
fn build(parser: &mut lexopt::Parser) -> Result<ExitCode, lexopt::Error> {
    use lexopt::prelude::*;
    let mut root = PathBuf::from(".");
    let mut out = None;
    while let Some(arg) = parser.next()? {
        match arg {
            Long("root") => root = parser.value()?.into(),
            Long("out") => out = Some(PathBuf::from(parser.value()?)),
            _ => return Err(arg.unexpected()),
        }
    }
    let out = out.unwrap_or_else(|| root.join("public"));
    Ok(run_build(&root, &out))
}

/// `sotay check`: its arguments, then [`run_check`].
fn check(parser: &mut lexopt::Parser) -> Result<ExitCode, lexopt::Error> {
    use lexopt::prelude::*;
    let mut root = PathBuf::from(".");
    let mut json = false;
    while let Some(arg) = parser.next()? {
        match arg {
            Long("root") => root = parser.value()?.into(),
            Long("format") => json = format_is_json(parser.value()?.string()?)?,
            _ => return Err(arg.unexpected()),
        }
    }
    Ok(run_check(&root, json))
}

/// `sotay search`: its arguments, then [`run_search`].
fn search(parser: &mut lexopt::Parser) -> Result<ExitCode, lexopt::Error> {
    use lexopt::prelude::*;
    let mut root = PathBuf::from(".");
    let mut query: Option<String> = None;
    let mut limit = 10usize;
    let mut offset = 0usize;
    let mut json = false;
    let mut filter = sotay_generator::search::Filter::default();
    while let Some(arg) = parser.next()? {
        match arg {
            Long("root") => root = parser.value()?.into(),
            Long("limit") => limit = parser.value()?.parse()?,
            Long("offset") => offset = parser.value()?.parse()?,
            Long("kind") => filter.kind = Some(parser.value()?.string()?),
            Long("section") => filter.section = Some(parser.value()?.string()?),
            Long("year") => filter.year = Some(parser.value()?.parse()?),
            Long("format") => json = format_is_json(parser.value()?.string()?)?,
            Value(v) if query.is_none() => query = Some(v.string()?),
            _ => return Err(arg.unexpected()),
        }
    }
    let query = query.ok_or("missing QUERY")?;
    Ok(run_search(&root, &query, &filter, offset, limit, json))
}

/// `sotay serve`: the development server on one port.
fn serve(parser: &mut lexopt::Parser) -> Result<ExitCode, lexopt::Error> {
    use lexopt::prelude::*;
    let mut opts = sotay_sync_server::run::ServeOptions {
        root: PathBuf::from("."),
        port: 8080,
        db: None,
    };
    while let Some(arg) = parser.next()? {
        match arg {
            Long("root") => opts.root = parser.value()?.into(),
            Long("port") => opts.port = parser.value()?.parse()?,
            Long("db") => opts.db = Some(parser.value()?.into()),
            _ => return Err(arg.unexpected()),
        }
    }
    Ok(done(sotay_sync_server::run::serve(opts)))
}

/// `sotay server`: the production server, its settings from the flags over the config file.
fn server(parser: &mut lexopt::Parser) -> Result<ExitCode, lexopt::Error> {
    use lexopt::prelude::*;
    let mut flags = sotay_sync_server::config::ServerConfig::default();
    let mut file = None;
    while let Some(arg) = parser.next()? {
        match arg {
            Long("config") => file = Some(PathBuf::from(parser.value()?)),
            Long("site") => flags.site = Some(PathBuf::from(parser.value()?)),
            Long("db") => flags.db = Some(parser.value()?.string()?),
            Long("listen") => flags.listen = Some(parser.value()?.string()?),
            Long("index") => flags.index = Some(PathBuf::from(parser.value()?)),
            Long("trusted-proxy") => flags.trusted_proxies.push(parser.value()?.string()?),
            Long("no-rate-limits") => flags.rate_limits = Some(false),
            Long("tls-cert") => flags.tls_cert = Some(PathBuf::from(parser.value()?)),
            Long("tls-key") => flags.tls_key = Some(PathBuf::from(parser.value()?)),
            Long("http-redirect") => flags.http_redirect = Some(parser.value()?.string()?),
            Long("acme-webroot") => flags.acme_webroot = Some(PathBuf::from(parser.value()?)),
            Long("push-contact") => flags.push_contact = Some(parser.value()?.string()?),
            _ => return Err(arg.unexpected()),
        }
    }
    let settings = match file {
        Some(f) => match sotay_sync_server::config::ServerConfig::load(&f) {
            Ok(c) => c,
            Err(e) => return Ok(done(Err(e))),
        },
        None => sotay_sync_server::config::ServerConfig::default(),
    };
    let opts = settings.with_flags(flags).into_options()?;
    Ok(done(sotay_sync_server::run::server(opts)))
}

/// `sotay admin create`: prints a new admin token for a unit's subtree.
fn admin(parser: &mut lexopt::Parser) -> Result<ExitCode, lexopt::Error> {
    use lexopt::prelude::*;
    match parser.next()? {
        Some(Value(v)) if v == "create" => {}
        Some(arg) => return Err(arg.unexpected()),
        None => return Err("admin needs a subcommand: admin create --unit CODE".into()),
    }
    let (mut unit, mut db, mut name) = (None, None, None);
    while let Some(arg) = parser.next()? {
        match arg {
            Long("unit") => unit = Some(parser.value()?.string()?),
            Long("name") => name = Some(parser.value()?.string()?),
            Long("db") => db = Some(parser.value()?.string()?),
            _ => return Err(arg.unexpected()),
        }
    }
    let unit = unit.ok_or("--unit CODE is required")?;
    let db = db_or_default(db)?;
    match sotay_sync_server::run::create_admin(&db, &unit, name.as_deref()) {
        Ok(token) => {
            println!("{token}");
            eprintln!("admin token for unit {unit} created; it is shown only once, keep it safe");
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => Ok(done(Err(e))),
    }
}

fn print_text(diags: Vec<Diagnostic>) -> (usize, usize) {
    let errors = diags
        .iter()
        .filter(|d| d.severity == sotay_generator::diagnostics::Severity::Error)
        .count();
    for d in &diags {
        eprintln!("{d}");
    }
    (errors, diags.len() - errors)
}

/// Builds the site of `root` into `out`, diagnostics on stderr.
fn run_build(root: &std::path::Path, out: &std::path::Path) -> ExitCode {
    match sotay_generator::build(root, out) {
        Ok(summary) => {
            print_text(summary.warnings.clone().sorted());
            eprintln!("{summary}");
            ExitCode::SUCCESS
        }
        Err(diags) => {
            let (errors, _) = print_text(diags.sorted());
            eprintln!(
                "build failed: {errors} error{}",
                if errors == 1 { "" } else { "s" }
            );
            ExitCode::from(1)
        }
    }
}

/// Checks the site of `root`: diagnostics as text on stderr, or as JSON on stdout.
fn run_check(root: &std::path::Path, json: bool) -> ExitCode {
    let diags: Diagnostics = sotay_generator::check(root);
    let has_errors = diags.has_errors();
    let list = diags.sorted();
    if json {
        let errors = list
            .iter()
            .filter(|d| d.severity == sotay_generator::diagnostics::Severity::Error)
            .count();
        let doc = serde_json::json!({
            "ok": !has_errors,
            "errors": errors,
            "warnings": list.len() - errors,
            "diagnostics": list,
        });
        println!("{doc}");
    } else {
        let (errors, warnings) = print_text(list);
        if errors == 0 {
            eprintln!(
                "ok: no errors{}",
                if warnings > 0 {
                    format!(", {warnings} warnings")
                } else {
                    String::new()
                }
            );
        } else {
            eprintln!("{errors} error{}", if errors == 1 { "" } else { "s" });
        }
    }
    if has_errors {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn format_is_json(f: String) -> Result<bool, lexopt::Error> {
    match f.as_str() {
        "json" => Ok(true),
        "text" => Ok(false),
        other => Err(format!("unknown format \"{other}\" (text or json)").into()),
    }
}

/// Searches the built index of `root`: hits as text, or as JSON on stdout.
fn run_search(
    root: &std::path::Path,
    query: &str,
    filter: &sotay_generator::search::Filter,
    offset: usize,
    limit: usize,
    json: bool,
) -> ExitCode {
    let dir = sotay_generator::search::index::index_dir(&root.join("public"));
    let index = match sotay_generator::search::index::SearchIndex::open(&dir) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("sotay: {e}");
            return ExitCode::from(1);
        }
    };
    let results = index.search(query, filter, offset, limit);
    if json {
        say(format_args!(
            "{}",
            serde_json::to_string(&results).unwrap_or_default()
        ));
    } else {
        if let Some(sg) = &results.suggestion {
            eprintln!("no match for \"{query}\"; showing the results of \"{sg}\"");
        }
        eprintln!(
            "{} document{} found",
            results.total,
            if results.total == 1 { "" } else { "s" }
        );
        for (i, h) in results.hits.iter().enumerate() {
            say(format_args!(
                "{:>3}. {}  {}",
                offset + i + 1,
                h.title,
                h.url
            ));
            say(format_args!("     {}", plain(&h.snippet)));
        }
    }
    ExitCode::SUCCESS
}

/// Writes a line to standard output. A reader that went away (`sotay search … | head`) ends
/// the program quietly, as other command-line tools do, instead of a panic.
fn say(line: std::fmt::Arguments) {
    use std::io::Write;
    if let Err(e) = writeln!(std::io::stdout().lock(), "{line}") {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("sotay: {e}");
        std::process::exit(1);
    }
}

/// Snippet HTML as terminal text: marks become [brackets], entities are decoded.
fn plain(html: &str) -> String {
    html.replace("<mark>", "[")
        .replace("</mark>", "]")
        .replace("<strong>", "")
        .replace("</strong>", "")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

fn done(r: Result<(), String>) -> ExitCode {
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sotay: {e}");
            ExitCode::from(1)
        }
    }
}

fn db_or_default(db: Option<String>) -> Result<sotay_sync_server::run::DbUrl, lexopt::Error> {
    match db {
        Some(d) => Ok(sotay_sync_server::run::DbUrl::parse(&d)?),
        None => Ok(sotay_sync_server::run::DbUrl::Sqlite(
            sotay_sync_server::run::default_db(std::path::Path::new(".")),
        )),
    }
}

fn db(parser: &mut lexopt::Parser) -> Result<ExitCode, lexopt::Error> {
    use lexopt::prelude::*;
    let sub = match parser.next()? {
        Some(Value(v)) => v.string()?,
        Some(arg) => return Err(arg.unexpected()),
        None => return Err("db needs a subcommand: migrate or copy".into()),
    };
    let (mut db, mut from, mut to) = (None, None, None);
    while let Some(arg) = parser.next()? {
        match arg {
            Long("db") if sub == "migrate" => db = Some(parser.value()?.string()?),
            Long("from") if sub == "copy" => from = Some(parser.value()?.string()?),
            Long("to") if sub == "copy" => to = Some(parser.value()?.string()?),
            _ => return Err(arg.unexpected()),
        }
    }
    use sotay_sync_server::run;
    match sub.as_str() {
        "migrate" => {
            let db = db_or_default(db)?;
            Ok(done(run::db_migrate(&db).map(|m| eprintln!("{m}"))))
        }
        "copy" => {
            let from = run::DbUrl::parse(&from.ok_or("--from sqlite://PATH is required")?)?;
            let to = run::DbUrl::parse(&to.ok_or("--to postgres://... is required")?)?;
            Ok(done(run::db_copy(&from, &to).map(|tables| {
                for (t, n) in &tables {
                    println!("{t}\t{n}");
                }
                eprintln!("copied {from} into {to}; row counts checked on both sides");
            })))
        }
        other => Err(format!("unknown db subcommand \"{other}\" (migrate or copy)").into()),
    }
}

/// `sotay roster`: one of its subcommands.
fn roster(parser: &mut lexopt::Parser) -> Result<ExitCode, lexopt::Error> {
    use lexopt::prelude::*;
    let sub = match parser.next()? {
        Some(Value(v)) => v.string()?,
        Some(arg) => return Err(arg.unexpected()),
        None => {
            return Err("roster needs a subcommand: import, convert, template or sample".into())
        }
    };
    match sub.as_str() {
        "import" => roster_import(parser),
        "convert" => roster_convert(parser),
        "template" => roster_template(parser),
        "sample" => roster_sample(parser),
        other => Err(format!(
            "unknown roster subcommand \"{other}\" (import, convert, template or sample)"
        )
        .into()),
    }
}

/// `sotay roster import`: imports the files into the database and reports what it found.
fn roster_import(parser: &mut lexopt::Parser) -> Result<ExitCode, lexopt::Error> {
    use lexopt::prelude::*;
    let (mut units, mut members, mut workbook, mut db, mut json) = (None, None, None, None, false);
    while let Some(arg) = parser.next()? {
        match arg {
            Long("units") => units = Some(PathBuf::from(parser.value()?)),
            Long("members") => members = Some(PathBuf::from(parser.value()?)),
            Long("workbook") => workbook = Some(PathBuf::from(parser.value()?)),
            Long("db") => db = Some(parser.value()?.string()?),
            Long("format") => json = format_is_json(parser.value()?.string()?)?,
            _ => return Err(arg.unexpected()),
        }
    }
    let files = import_files(units, members, workbook)?;
    let db = db_or_default(db)?;
    let (report, result) = sotay_sync_server::run::import_roster(&db, &files);
    let imported = match &result {
        Ok(Some(s)) => Some(s.clone()),
        _ => None,
    };
    if json {
        println!(
            "{}",
            serde_json::json!({"imported": imported, "errors": report.errors(), "warnings": report.warnings(), "problems": report.problems, "error": result.as_ref().err()})
        );
    } else {
        for p in &report.problems {
            eprintln!("{p}");
        }
        match (&result, &imported) {
            (Err(e), _) => eprintln!("sotay: {e}"),
            (_, Some(s)) => eprintln!(
                "đã nhập {} đơn vị và {} đảng viên ({} mới, {} không còn trong danh sách, {} chuyển chi bộ, {} đổi thông tin; giữ đăng ký của {} đảng viên); {} cảnh báo; lần cập nhật số {}",
                s.units, s.members, s.members_added, s.members_removed, s.members_moved, s.members_changed, s.registrations_kept, report.warnings(), s.change_id
            ),
            (_, None) => eprintln!("chưa nhập gì: {} lỗi, {} cảnh báo; hãy sửa tệp rồi nhập lại", report.errors(), report.warnings()),
        }
    }
    Ok(if imported.is_some() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The files `sotay roster import` was given: a workbook, or a units file and a members file.
fn import_files(
    units: Option<PathBuf>,
    members: Option<PathBuf>,
    workbook: Option<PathBuf>,
) -> Result<sotay_sync_server::run::RosterFiles, lexopt::Error> {
    use sotay_sync_server::run::RosterFiles;
    match (units, members, workbook) {
        (None, None, Some(w)) => Ok(RosterFiles::Workbook(w)),
        (Some(units), Some(members), None) => Ok(RosterFiles::Pair { units, members }),
        (_, _, Some(_)) => {
            Err("--workbook FILE replaces --units and --members: give one or the other".into())
        }
        (None, _, None) => Err("--units FILE is required (or --workbook FILE)".into()),
        (_, None, None) => Err("--members FILE is required (or --workbook FILE)".into()),
    }
}

/// `sotay roster convert`: checks a roster and writes it as the staff's workbook.
fn roster_convert(parser: &mut lexopt::Parser) -> Result<ExitCode, lexopt::Error> {
    use lexopt::prelude::*;
    let (mut units, mut members, mut workbook, mut out) = (None, None, None, None);
    while let Some(arg) = parser.next()? {
        match arg {
            Long("units") => units = Some(PathBuf::from(parser.value()?)),
            Long("members") => members = Some(PathBuf::from(parser.value()?)),
            Long("workbook") => workbook = Some(PathBuf::from(parser.value()?)),
            Long("out") => out = Some(PathBuf::from(parser.value()?)),
            _ => return Err(arg.unexpected()),
        }
    }
    use sotay_sync_server::run::RosterFiles;
    let files = match (units, members, workbook) {
        (None, None, Some(w)) => RosterFiles::Workbook(w),
        (Some(units), Some(members), None) => RosterFiles::Pair { units, members },
        _ => return Err("give --units FILE --members FILE, or --workbook FILE (not both)".into()),
    };
    let out = out.ok_or("--out FILE.xlsx is required")?;
    let (report, result) = sotay_sync_server::run::roster_convert(&files, &out);
    for p in &report.problems {
        eprintln!("{p}");
    }
    match result {
        Ok(true) => {
            eprintln!(
                "đã ghi {}: {} đơn vị, {} đảng viên; {} cảnh báo",
                out.display(),
                report.units,
                report.members,
                report.warnings()
            );
            Ok(ExitCode::SUCCESS)
        }
        Ok(false) => {
            eprintln!(
                "chưa ghi gì: {} lỗi, {} cảnh báo; hãy sửa tệp rồi chạy lại",
                report.errors(),
                report.warnings()
            );
            Ok(ExitCode::from(1))
        }
        Err(e) => Ok(done(Err(e))),
    }
}

/// `sotay roster template`: writes the Excel template.
fn roster_template(parser: &mut lexopt::Parser) -> Result<ExitCode, lexopt::Error> {
    use lexopt::prelude::*;
    let mut out = None;
    while let Some(arg) = parser.next()? {
        match arg {
            Long("out") => out = Some(PathBuf::from(parser.value()?)),
            _ => return Err(arg.unexpected()),
        }
    }
    let out = out.ok_or("--out FILE.xlsx is required")?;
    Ok(done(sotay_sync_server::run::roster_template(&out)))
}

/// `sotay roster sample`: writes a synthetic roster as two CSV files.
fn roster_sample(parser: &mut lexopt::Parser) -> Result<ExitCode, lexopt::Error> {
    use lexopt::prelude::*;
    let (mut out, mut n) = (None, 30_000usize);
    while let Some(arg) = parser.next()? {
        match arg {
            Long("out") => out = Some(PathBuf::from(parser.value()?)),
            Long("members") => n = parser.value()?.parse()?,
            _ => return Err(arg.unexpected()),
        }
    }
    let out = out.ok_or("--out DIR is required")?;
    let (u, m) = sotay_sync_server::sample::generate(n);
    let write = || -> std::io::Result<()> {
        std::fs::create_dir_all(&out)?;
        std::fs::write(out.join("units.csv"), u)?;
        std::fs::write(out.join("members.csv"), m)
    };
    Ok(done(write().map_err(|e| format!("{}: {e}", out.display()))))
}

fn notice(parser: &mut lexopt::Parser) -> Result<ExitCode, lexopt::Error> {
    use lexopt::prelude::*;
    let sub = match parser.next()? {
        Some(Value(v)) if v == "post" || v == "withdraw" => v.string()?,
        Some(arg) => return Err(arg.unexpected()),
        None => {
            return Err(
                "notice needs a subcommand: notice post --unit CODE --title TEXT --body-file FILE, or notice withdraw ID"
                    .into(),
            )
        }
    };
    let (mut unit, mut title, mut body_file, mut expires, mut db, mut id) =
        (None, None, None, None, None, None);
    while let Some(arg) = parser.next()? {
        match arg {
            Long("unit") if sub == "post" => unit = Some(parser.value()?.string()?),
            Long("title") if sub == "post" => title = Some(parser.value()?.string()?),
            Long("body-file") if sub == "post" => body_file = Some(PathBuf::from(parser.value()?)),
            Long("expires-on") if sub == "post" => expires = Some(parser.value()?.string()?),
            Long("db") => db = Some(parser.value()?.string()?),
            Value(v) if sub == "withdraw" && id.is_none() => id = Some(v.string()?),
            _ => return Err(arg.unexpected()),
        }
    }
    let db = db_or_default(db)?;
    if sub == "withdraw" {
        let id = id.ok_or("notice withdraw needs the notice's id")?;
        return Ok(match sotay_sync_server::run::withdraw_notice(&db, &id) {
            Ok(()) => {
                eprintln!("notice {id} withdrawn");
                ExitCode::SUCCESS
            }
            Err(e) => done(Err(e)),
        });
    }
    let unit = unit.ok_or("--unit CODE is required")?;
    let title = title.ok_or("--title TEXT is required")?;
    let file = body_file.ok_or("--body-file FILE is required (the notice's text, UTF-8)")?;
    let body = match std::fs::read(&file) {
        Ok(b) => match String::from_utf8(b) {
            Ok(s) => s,
            Err(_) => return Ok(done(Err(format!("{}: not UTF-8 text", file.display())))),
        },
        Err(e) => return Ok(done(Err(format!("{}: {e}", file.display())))),
    };
    match sotay_sync_server::run::post_notice(&db, &unit, &title, &body, expires.as_deref()) {
        Ok(json) => {
            println!("{json}");
            eprintln!("notice posted to the members of unit {unit}");
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => Ok(done(Err(e))),
    }
}

fn report(parser: &mut lexopt::Parser) -> Result<ExitCode, lexopt::Error> {
    use lexopt::prelude::*;
    use sotay_sync_server::run::ReportFormat;
    match parser.next()? {
        Some(Value(v)) if v == "usage" => {}
        Some(arg) => return Err(arg.unexpected()),
        None => return Err("report needs a subcommand: report usage".into()),
    }
    let (mut unit, mut from, mut to, mut db, mut out) = (None, None, None, None, None);
    let mut format = ReportFormat::Table;
    while let Some(arg) = parser.next()? {
        match arg {
            Long("unit") => unit = Some(parser.value()?.string()?),
            Long("from") => from = Some(parser.value()?.string()?),
            Long("to") => to = Some(parser.value()?.string()?),
            Long("db") => db = Some(parser.value()?.string()?),
            Long("out") => out = Some(PathBuf::from(parser.value()?)),
            Long("format") => {
                format = match parser.value()?.string()?.as_str() {
                    "table" => ReportFormat::Table,
                    "csv" => ReportFormat::Csv,
                    "xlsx" => ReportFormat::Xlsx,
                    "json" => ReportFormat::Json,
                    other => {
                        return Err(format!(
                            "unknown format \"{other}\" (table, csv, xlsx or json)"
                        )
                        .into())
                    }
                }
            }
            _ => return Err(arg.unexpected()),
        }
    }
    let db = db_or_default(db)?;
    let bytes = match sotay_sync_server::run::report_usage(
        &db,
        unit.as_deref(),
        from.as_deref(),
        to.as_deref(),
        format,
    ) {
        Ok(b) => b,
        Err(e) => return Ok(done(Err(e))),
    };
    match out {
        Some(path) => Ok(done(
            std::fs::write(&path, bytes).map_err(|e| format!("{}: {e}", path.display())),
        )),
        None => {
            use std::io::{IsTerminal, Write};
            if format == ReportFormat::Xlsx && std::io::stdout().is_terminal() {
                return Ok(done(Err(
                    "an xlsx file is not for the terminal: add --out FILE".into(),
                )));
            }
            let mut stdout = std::io::stdout();
            Ok(done(
                stdout
                    .write_all(&bytes)
                    .and_then(|_| stdout.flush())
                    .map_err(|e| e.to_string()),
            ))
        }
    }
}
