//! Passages: where in a document the query's words stand. A document's body is cut at its
//! headings (levels 1 to 4); the passage holding most of the query's adjacent pairs, then most
//! of its distinct words (then the first), is the one a hit links to (`/dieu-le/#dieu-5`) and
//! takes its snippet from. The browser's `search.js` does the same on the page's text.

use super::snippet;
use crate::text;

/// One passage of a document's body text.
#[derive(Debug, Clone, PartialEq)]
pub struct Passage<'a> {
    /// The anchor of its heading (none for the text before the first heading).
    pub anchor: Option<&'a str>,
    pub heading: Option<&'a str>,
    /// Its text, without the heading's line.
    pub text: &'a str,
}

/// The passages of a body text, given its headings as (anchor, text, byte offset).
pub fn passages<'a>(body: &'a str, headings: &'a [(String, String, u32)]) -> Vec<Passage<'a>> {
    let mut out = Vec::with_capacity(headings.len() + 1);
    let at = |i: usize| -> usize {
        headings
            .get(i)
            .map_or(body.len(), |h| (h.2 as usize).min(body.len()))
    };
    let first = at(0);
    out.push(Passage {
        anchor: None,
        heading: None,
        text: body.get(..first).unwrap_or(""),
    });
    for (i, (anchor, heading, _)) in headings.iter().enumerate() {
        let (s, e) = (at(i), at(i + 1).max(at(i)));
        let whole = body.get(s..e).unwrap_or("");
        // The heading's own line comes first.
        let text = whole.find('\n').map_or("", |nl| &whole[nl + 1..]);
        out.push(Passage {
            anchor: Some(anchor),
            heading: Some(heading),
            text,
        });
    }
    out
}

/// Which passage holds the query best (see the module's comment); 0 if none holds any word.
/// `seq`: the query's folded words, in order. The heading counts as part of its passage.
pub fn best(passages: &[Passage], seq: &[&str]) -> usize {
    let mut best = (0usize, 0usize);
    let mut buf = String::new();
    for (i, p) in passages.iter().enumerate() {
        let mut seen = vec![false; seq.len()];
        let mut pairs = vec![false; seq.len().saturating_sub(1)];
        let mut prev: Option<String> = None;
        let mut visit = |s: &str| {
            prev = None;
            text::for_each_word(s, |a, b| {
                text::fold_into(&s[a..b], &mut buf);
                for (k, w) in seq.iter().enumerate() {
                    if *w == buf {
                        seen[k] = true;
                        if k > 0 && prev.as_deref() == Some(seq[k - 1]) {
                            pairs[k - 1] = true;
                        }
                    }
                }
                prev = Some(buf.clone());
            });
        };
        if let Some(h) = p.heading {
            visit(h);
        }
        visit(p.text);
        // Each distinct word and each distinct pair once.
        let mut words: Vec<&str> = Vec::new();
        for (k, w) in seq.iter().enumerate() {
            if seen[k] && !words.contains(w) {
                words.push(w);
            }
        }
        let mut found_pairs: Vec<(&str, &str)> = Vec::new();
        for (k, &f) in pairs.iter().enumerate() {
            if f && !found_pairs.contains(&(seq[k], seq[k + 1])) {
                found_pairs.push((seq[k], seq[k + 1]));
            }
        }
        let score = 4 * found_pairs.len() + words.len();
        if score > best.1 {
            best = (i, score);
        }
    }
    best.0
}

/// Whether `text` holds every word of `seq`.
pub fn holds_all(text: &str, seq: &[&str]) -> bool {
    let mut words = Vec::new();
    text::for_each_word(text, |a, b| words.push(text::fold(&text[a..b])));
    seq.iter().all(|w| words.iter().any(|x| x == w))
}

/// The snippet of a hit shown at passage `i`: its heading in bold, then the best window of its
/// text, the query's words marked. A passage with no text of its own (a heading right before
/// another, a document that starts with its first heading) shows the text that follows.
pub fn snippet_of(passages: &[Passage], i: usize, seq: &[&str]) -> String {
    let text = passages
        .get(i..)
        .unwrap_or(&[])
        .iter()
        .map(|p| p.text)
        .find(|t| !t.trim().is_empty())
        .unwrap_or("");
    let body = snippet::snippet(text, seq);
    match passages.get(i).and_then(|p| p.heading) {
        Some(h) => format!("<strong>{}</strong> {body}", snippet::mark(h, seq)),
        None => body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn heads(body: &str, hs: &[(&str, &str)]) -> Vec<(String, String, u32)> {
        hs.iter()
            .map(|(a, t)| {
                let at = body.find(t).expect("heading in body") as u32;
                (a.to_string(), t.to_string(), at)
            })
            .collect()
    }

    #[test]
    fn the_passage_with_the_words_together_wins() {
        let body = "Mở đầu về đảng viên.\nĐiều 1. Quyền\nĐảng viên có quyền biểu quyết, dự bị.\nĐiều 2. Đảng viên dự bị\nĐảng viên dự bị có quyền như đảng viên chính thức, trừ quyền biểu quyết.\n";
        let hs = heads(
            body,
            &[
                ("dieu-1", "Điều 1. Quyền"),
                ("dieu-2", "Điều 2. Đảng viên dự bị"),
            ],
        );
        let ps = passages(body, &hs);
        assert_eq!(ps.len(), 3);
        assert_eq!(ps[0].text, "Mở đầu về đảng viên.\n");
        assert_eq!(ps[1].text, "Đảng viên có quyền biểu quyết, dự bị.\n");
        let q = ["dang", "vien", "du", "bi", "co", "quyen", "bieu", "quyet"];
        assert_eq!(best(&ps, &q), 2);
        assert_eq!(best(&ps, &["mo", "dau"]), 0);
        assert_eq!(best(&ps, &["khong", "co"]), 1);
        let s = snippet_of(&ps, 2, &q[..4]);
        assert!(s.starts_with("<strong>Điều 2. <mark>Đảng</mark>"), "{s}");
        // A passage with no text of its own shows the next one's.
        let body = "Điều 1. Chung\nĐiều 2. Riêng\nNội dung riêng.\n";
        let hs = heads(
            body,
            &[("dieu-1", "Điều 1. Chung"), ("dieu-2", "Điều 2. Riêng")],
        );
        let ps = passages(body, &hs);
        assert_eq!(snippet_of(&ps, 0, &["noi"]), "<mark>Nội</mark> dung riêng.");
        assert_eq!(
            snippet_of(&ps, 1, &["noi"]),
            "<strong>Điều 1. Chung</strong> <mark>Nội</mark> dung riêng."
        );
    }
}
