//! Snippets: the part of a text that best matches a query, HTML-escaped, with the matched
//! words wrapped in `<mark>`. Nothing from the text reaches the HTML unescaped.

use crate::html::push_esc;
use crate::text;
use std::collections::HashSet;

/// How many words a snippet shows.
pub const WINDOW: usize = 28;

/// A word of the text: its byte range, and which query word it is, if any.
struct Word {
    start: usize,
    end: usize,
    hit: Option<usize>,
}

/// The window of `text` with the most distinct query words (folded), marked.
///
/// Words are folded one at a time into a reused buffer and compared with the query's few
/// words: no allocation per word of the body (bodies are long, and a page of results has ten).
pub fn snippet(body: &str, query_folded: &[&str]) -> String {
    let mut want: Vec<&str> = query_folded.to_vec();
    want.sort_unstable();
    want.dedup();
    let mut toks: Vec<Word> = Vec::new();
    let mut buf = String::new();
    text::for_each_word(body, |start, end| {
        buf.clear();
        for c in body[start..end].chars() {
            text::push_folded(c, &mut buf);
        }
        toks.push(Word {
            start,
            end,
            hit: want.iter().position(|w| *w == buf),
        });
    });
    if toks.is_empty() {
        return String::new();
    }
    // Best window: most distinct matched words, then most matches, then earliest.
    let mut best = (0usize, 0usize, 0usize);
    let mut best_start = 0;
    let first = toks.iter().position(|t| t.hit.is_some()).unwrap_or(0);
    // Start at the beginning when the first match is near it, else a few words before it.
    let mut start = if first < WINDOW / 2 { 0 } else { first - 4 };
    let mut seen = vec![false; want.len()];
    while start < toks.len() {
        let end = (start + WINDOW).min(toks.len());
        seen.iter_mut().for_each(|s| *s = false);
        let mut count = 0;
        for t in &toks[start..end] {
            if let Some(i) = t.hit {
                seen[i] = true;
                count += 1;
            }
        }
        let distinct = seen.iter().filter(|&&s| s).count();
        let key = (distinct, count, usize::MAX - start);
        if key > best {
            best = key;
            best_start = start;
        }
        if distinct == want.len() || end == toks.len() {
            break;
        }
        start += WINDOW / 2;
    }
    let end = (best_start + WINDOW).min(toks.len());
    let from = if best_start == 0 {
        0
    } else {
        toks[best_start].start
    };
    let to = if end == toks.len() {
        body.len()
    } else {
        toks[end - 1].end
    };
    let mut out = String::new();
    if best_start > 0 {
        out.push('…');
    }
    let mut pos = from;
    for t in &toks[best_start..end] {
        push_esc(&mut out, &collapse(&body[pos..t.start]));
        if t.hit.is_some() {
            out.push_str("<mark>");
            push_esc(&mut out, &body[t.start..t.end]);
            out.push_str("</mark>");
        } else {
            push_esc(&mut out, &body[t.start..t.end]);
        }
        pos = t.end;
    }
    push_esc(&mut out, collapse(&body[pos..to]).trim_end());
    if end < toks.len() {
        out.push('…');
    }
    out.trim().to_string()
}

/// Marks the query words in a short text (a title or summary), escaping the rest.
pub fn mark(s: &str, query_folded: &[&str]) -> String {
    let want: HashSet<&str> = query_folded.iter().copied().collect();
    let mut out = String::new();
    let mut pos = 0;
    text::for_each_token(s, |t| {
        push_esc(&mut out, &s[pos..t.start]);
        if want.contains(t.folded.as_str()) {
            out.push_str("<mark>");
            push_esc(&mut out, &s[t.start..t.end]);
            out.push_str("</mark>");
        } else {
            push_esc(&mut out, &s[t.start..t.end]);
        }
        pos = t.end;
    });
    push_esc(&mut out, &s[pos..]);
    out
}

/// Runs of whitespace become one space.
fn collapse(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in s.chars() {
        if c.is_whitespace() {
            space = true;
        } else {
            if space {
                out.push(' ');
            }
            space = false;
            out.push(c);
        }
    }
    if space {
        out.push(' ');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_and_escapes() {
        let s = snippet(
            "Mở đầu. <script>alert(1)</script> Đảng viên có quyền\n\nđược thông tin.",
            &["dang", "vien"],
        );
        assert_eq!(s, "Mở đầu. &lt;script&gt;alert(1)&lt;/script&gt; <mark>Đảng</mark> <mark>viên</mark> có quyền được thông tin.");
        assert_eq!(
            mark("Quyền của <b>đảng viên</b>", &["dang"]),
            "Quyền của &lt;b&gt;<mark>đảng</mark> viên&lt;/b&gt;"
        );
    }

    #[test]
    fn picks_the_best_window() {
        let filler = "một hai ba bốn năm sáu bảy tám chín mười ".repeat(10);
        let body = format!("{filler} chi bộ họp {filler} chi bộ sinh hoạt đảng viên {filler}");
        let s = snippet(&body, &["chi", "bo", "dang", "vien"]);
        assert!(s.contains("<mark>đảng</mark> <mark>viên</mark>"), "{s}");
        assert!(s.starts_with('…') && s.ends_with('…'), "{s}");
    }
}
