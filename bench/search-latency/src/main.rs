//! Times sotay's server-side search in-process, as the sync server calls it.
//!
//!     sotay-search-latency INDEX_DIR QUERIES_JSON [--reps N] [--budget-secs S] [--recall]
//!     sotay-search-latency --index-write ROOT DIR
//!     sotay-search-latency --known INDEX_DIR KNOWN_JSON OUT_JSON
//!
//! QUERIES_JSON is bench/search-queries.json: {"latency": [query, ...], "recall": [[with
//! diacritics, without], ...]}. The index is opened once (`SearchIndex::open`), every latency
//! query is run once to warm up, then the whole list is run REPS times in rounds (interleaved,
//! so one query's data does not stay hot in the CPU caches for the next call of the same query),
//! each call being `search(q, &Filter::default(), 0, 10)`: ranking every match plus the
//! snippets of the first page, which is what `/api/search` does per request. Rounds stop early
//! when BUDGET seconds are spent (at least 3 rounds are always run).
//!
//! With --recall, for each recall pair it also lists the ids of every document that matches the
//! query with and without diacritics (`SearchIndex::rank`, all matches, no paging).
//!
//! With --known, KNOWN_JSON is what bench/known_item.py `queries` wrote: each query is searched
//! once (`search(q, &Filter::default(), 0, 3)`, typos corrected as the API does) and OUT_JSON
//! gets the URLs of its first three hits and its time, for `known_item.py score`.
//!
//! Prints one JSON object on stdout; times are milliseconds.

use sotay_generator::search::index::SearchIndex;
use sotay_generator::search::{Filter, Query};
use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    // Nearest rank.
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn stats(samples: &[f64]) -> serde_json::Value {
    let mut s = samples.to_vec();
    s.sort_by(f64::total_cmp);
    let mean = s.iter().sum::<f64>() / s.len().max(1) as f64;
    serde_json::json!({
        "n": s.len(),
        "p50": pct(&s, 50.0),
        "p90": pct(&s, 90.0),
        "p99": pct(&s, 99.0),
        "max": s.last().copied().unwrap_or(f64::NAN),
        "mean": mean,
    })
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// `--index-write ROOT DIR`: builds ROOT in memory (`generate`), then times writing its tantivy
/// index into DIR (`search::index::write`, the last step of `sotay build`) on its own.
fn index_write(root: &str, dir: &str) {
    let t = Instant::now();
    let site = match sotay_generator::generate(std::path::Path::new(root)) {
        Ok(s) => s,
        Err(_) => {
            eprintln!("{root}: the site does not build (run `sotay check`)");
            std::process::exit(1);
        }
    };
    let generate_s = t.elapsed().as_secs_f64();
    let dir = PathBuf::from(dir);
    let _ = std::fs::remove_dir_all(&dir);
    let t = Instant::now();
    if let Err(e) = sotay_generator::search::index::write(&site.search_docs, &dir, None) {
        eprintln!("{e}");
        std::process::exit(1);
    }
    let write_s = t.elapsed().as_secs_f64();
    println!(
        "{}",
        serde_json::json!({"documents": site.search_docs.len(), "generate_s": generate_s, "index_write_s": write_s})
    );
}

/// `--known INDEX_DIR KNOWN_JSON OUT_JSON`: the first three hits of each known-item query.
fn known(dir: &str, queries: &str, out: &str) {
    let idx = SearchIndex::open(std::path::Path::new(dir)).unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(1);
    });
    let spec: serde_json::Value =
        serde_json::from_slice(&std::fs::read(queries).expect("read queries")).expect("JSON");
    let qs: Vec<&str> = spec["queries"]
        .as_array()
        .expect("queries: [...]")
        .iter()
        .map(|q| q["q"].as_str().expect("q"))
        .collect();
    let filter = Filter::default();
    let mut results = Vec::with_capacity(qs.len());
    let mut times = Vec::with_capacity(qs.len());
    for q in &qs {
        let t = Instant::now();
        let r = idx.search(q, &filter, 0, 3);
        times.push(ms(t.elapsed()));
        results.push(r.hits.into_iter().map(|h| h.url).collect::<Vec<_>>());
    }
    let v = serde_json::json!({"system": "sotay (server)", "results": results, "ms": times});
    std::fs::write(out, v.to_string()).expect("write results");
    println!("{}", serde_json::json!({"queries": qs.len(), "latency": stats(&times)}));
}

fn main() {
    if std::env::args().nth(1).as_deref() == Some("--known") {
        let a: Vec<String> = std::env::args().skip(2).collect();
        if a.len() != 3 {
            eprintln!("usage: sotay-search-latency --known INDEX_DIR KNOWN_JSON OUT_JSON");
            std::process::exit(2);
        }
        return known(&a[0], &a[1], &a[2]);
    }
    if std::env::args().nth(1).as_deref() == Some("--index-write") {
        let a: Vec<String> = std::env::args().skip(2).collect();
        if a.len() != 2 {
            eprintln!("usage: sotay-search-latency --index-write ROOT DIR");
            std::process::exit(2);
        }
        return index_write(&a[0], &a[1]);
    }
    let mut args = std::env::args().skip(1);
    let mut pos = Vec::new();
    let mut reps = 30usize;
    let mut budget = 300.0f64;
    let mut recall = false;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--reps" => reps = args.next().and_then(|v| v.parse().ok()).expect("--reps N"),
            "--budget-secs" => {
                budget = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .expect("--budget-secs S")
            }
            "--recall" => recall = true,
            _ => pos.push(a),
        }
    }
    if pos.len() != 2 {
        eprintln!("usage: sotay-search-latency INDEX_DIR QUERIES_JSON [--reps N] [--budget-secs S] [--recall]");
        std::process::exit(2);
    }
    let dir = PathBuf::from(&pos[0]);
    let spec: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&pos[1]).expect("read queries")).expect("queries JSON");
    let queries: Vec<String> = spec["latency"]
        .as_array()
        .expect("latency: [...]")
        .iter()
        .map(|v| v.as_str().expect("query string").to_string())
        .collect();

    let t = Instant::now();
    let idx = match SearchIndex::open(&dir) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    let open_ms = ms(t.elapsed());
    let filter = Filter::default();

    // Warm-up: one call per query; the very first call is reported on its own (cold caches).
    let mut first = Vec::new();
    let mut totals = Vec::new();
    let mut tops = Vec::new();
    for q in &queries {
        let t = Instant::now();
        let r = idx.search(q, &filter, 0, 10);
        first.push(ms(t.elapsed()));
        totals.push(r.total);
        tops.push(r.hits.iter().take(3).map(|h| h.id.clone()).collect::<Vec<_>>());
    }

    let mut per: Vec<Vec<f64>> = vec![Vec::new(); queries.len()];
    let start = Instant::now();
    let mut rounds = 0;
    while rounds < reps && (rounds < 3 || start.elapsed().as_secs_f64() < budget) {
        for (i, q) in queries.iter().enumerate() {
            let t = Instant::now();
            let r = idx.search(black_box(q), &filter, 0, 10);
            let d = t.elapsed();
            black_box(&r);
            per[i].push(ms(d));
        }
        rounds += 1;
    }
    let all: Vec<f64> = per.iter().flatten().copied().collect();

    let per_query: Vec<serde_json::Value> = queries
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let mut v = stats(&per[i]);
            v["q"] = q.clone().into();
            v["total"] = totals[i].into();
            v["first"] = first[i].into();
            v["top"] = serde_json::json!(tops[i]);
            v
        })
        .collect();

    let mut out = serde_json::json!({
        "index": dir.display().to_string(),
        "docs": idx.docs().len(),
        "open_ms": open_ms,
        "first_call_ms": first.first().copied().unwrap_or(f64::NAN),
        "rounds": rounds,
        "overall": stats(&all),
        "queries": per_query,
    });

    if recall {
        let pairs = spec["recall"].as_array().cloned().unwrap_or_default();
        let ids = |q: &str| -> Vec<String> {
            idx.rank(&Query::parse(q), &filter)
                .iter()
                .map(|r| idx.docs()[r.ord as usize].id.clone())
                .collect()
        };
        out["recall"] = pairs
            .iter()
            .map(|p| {
                let with = p[0].as_str().expect("pair");
                let without = p[1].as_str().expect("pair");
                serde_json::json!({"with": with, "without": without,
                    "with_ids": ids(with), "without_ids": ids(without)})
            })
            .collect::<Vec<_>>()
            .into();
    }
    println!("{out}");
}
