//! Profiling aid for the editors' loop: one `Builder` builds a site, then N times one document
//! is edited and the site rebuilt into the same output folder, as `sotay serve` does (without
//! the file watcher, the server and the tantivy index). Prints each rebuild's milliseconds.
//!
//!     rebuild ROOT OUT [N]
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (root, out) = (std::path::PathBuf::from(&args[1]), std::path::PathBuf::from(&args[2]));
    let n: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(10);
    let mut b = sotay_generator::Builder::new(&root);
    let t = Instant::now();
    sotay_generator::build_pages(&mut b, &out).expect("first build");
    eprintln!("first build: {} ms", t.elapsed().as_millis());
    let mut docs = Vec::new();
    for e in walk(&root.join("content")) {
        if e.extension().is_some_and(|x| x == "md") && !e.ends_with("_index.md") {
            docs.push(e);
        }
    }
    docs.sort();
    let mut times = Vec::new();
    for i in 0..n {
        let f = &docs[(i * 7919) % docs.len()];
        let mut text = std::fs::read_to_string(f).expect("read");
        text.push_str(&format!("\n\nThêm một câu {i}.\n"));
        std::fs::write(f, text).expect("write");
        let t = Instant::now();
        let (s, _) = sotay_generator::build_pages(&mut b, &out).expect("rebuild");
        let ms = t.elapsed().as_secs_f64() * 1000.0;
        eprintln!("rebuild {i}: {ms:.1} ms, {} files changed", s.changed.len());
        times.push(ms);
    }
    times.sort_by(|a, b| a.total_cmp(b));
    if !times.is_empty() {
        println!("p50 {:.1} ms, max {:.1} ms", times[times.len() / 2], times[times.len() - 1]);
    }
}

fn walk(d: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(d) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}
