//! The `sotay` command line: parses arguments and calls the libraries. No logic lives here
//! beyond turning results into exit codes and output (programs read stdout, people stderr).

use sotay_generator::diagnostics::{Diagnostic, Diagnostics};
use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "\
sotay: sổ tay đảng viên điện tử (electronic Party member handbook)

Usage:
  sotay build [--root DIR] [--out DIR]        build the site from DIR/content into DIR/public
  sotay check [--root DIR] [--format text|json]
                                              check everything build would, write nothing
  sotay search QUERY [--root DIR] [--limit N] [--offset N] [--kind KIND] [--format text|json]
                                              search the built index (DIR/public.index)
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
        "build" => {
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
            Ok(build(&root, &out))
        }
        "check" => {
            let mut root = PathBuf::from(".");
            let mut json = false;
            while let Some(arg) = parser.next()? {
                match arg {
                    Long("root") => root = parser.value()?.into(),
                    Long("format") => json = format_is_json(parser.value()?.string()?)?,
                    _ => return Err(arg.unexpected()),
                }
            }
            Ok(check(&root, json))
        }
        "search" => {
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
            Ok(search(&root, &query, &filter, offset, limit, json))
        }
        "help" => {
            print!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        other => Err(format!("unknown command \"{other}\"").into()),
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

fn build(root: &std::path::Path, out: &std::path::Path) -> ExitCode {
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

fn check(root: &std::path::Path, json: bool) -> ExitCode {
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

fn search(
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
        println!("{}", serde_json::to_string(&results).unwrap_or_default());
    } else {
        eprintln!(
            "{} document{} found",
            results.total,
            if results.total == 1 { "" } else { "s" }
        );
        for (i, h) in results.hits.iter().enumerate() {
            println!("{:>3}. {}  {}", offset + i + 1, h.title, h.url);
            println!("     {}", plain(&h.snippet));
        }
    }
    ExitCode::SUCCESS
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
