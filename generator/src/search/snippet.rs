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

/// How many words a window starts before the query word it is placed on.
pub const LEAD: usize = 3;

/// The window of `body` that best shows the query `seq` (its folded words, in order), marked.
///
/// A window of [`WINDOW`] words is tried [`LEAD`] words before each word of the text that the
/// query holds; the best has the most of the query's adjacent pairs side by side, then the
/// most distinct query words, then the most of them, then comes first. Words are folded one
/// at a time into a reused buffer: no allocation per word of the body.
pub fn snippet(body: &str, seq: &[&str]) -> String {
    let mut want: Vec<&str> = seq.to_vec();
    want.sort_unstable();
    want.dedup();
    let index = |w: &str| want.iter().position(|x| *x == w);
    let pairs: Vec<(usize, usize)> = seq
        .windows(2)
        .filter_map(|w| Some((index(w[0])?, index(w[1])?)))
        .collect();
    let toks = words(body, &want);
    if toks.is_empty() {
        return String::new();
    }
    let start = best_window(&toks, &pairs, want.len());
    window_html(body, &toks, start)
}

/// The words of `body`, each with its index in `want` (sorted, distinct folded words) if any.
fn words(body: &str, want: &[&str]) -> Vec<Word> {
    let index = |w: &str| want.iter().position(|x| *x == w);
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
            hit: index(&buf),
        });
    });
    toks
}

/// The first word of the best window (see [`snippet`]) of the non-empty `toks`; `pairs`: the
/// query's adjacent pairs as indexes of its `nwant` distinct words.
fn best_window(toks: &[Word], pairs: &[(usize, usize)], nwant: usize) -> usize {
    // Whether token i and the next are one of the query's pairs.
    let pair_at: Vec<bool> = (0..toks.len())
        .map(
            |i| match (toks[i].hit, toks.get(i + 1).and_then(|t| t.hit)) {
                (Some(a), Some(b)) => pairs.contains(&(a, b)),
                _ => false,
            },
        )
        .collect();
    let mut best: Option<(usize, usize, usize, std::cmp::Reverse<usize>)> = None;
    let mut best_start = 0;
    let mut seen = vec![false; nwant];
    let mut last = usize::MAX;
    for (i, t) in toks.iter().enumerate() {
        if t.hit.is_none() {
            continue;
        }
        // Full windows: near the end, the last WINDOW words.
        let start = i
            .saturating_sub(LEAD)
            .min(toks.len().saturating_sub(WINDOW));
        if start == last {
            continue;
        }
        last = start;
        let end = (start + WINDOW).min(toks.len());
        seen.iter_mut().for_each(|s| *s = false);
        let mut count = 0;
        let mut npairs = 0;
        for (j, t) in toks[start..end].iter().enumerate() {
            if let Some(h) = t.hit {
                seen[h] = true;
                count += 1;
            }
            if start + j + 1 < end && pair_at[start + j] {
                npairs += 1;
            }
        }
        let distinct = seen.iter().filter(|&&s| s).count();
        let key = (npairs, distinct, count, std::cmp::Reverse(start));
        if best.is_none_or(|b| key > b) {
            best = Some(key);
            best_start = start;
        }
    }
    best_start
}

/// The window of [`WINDOW`] words from word `best_start` as HTML: escaped, whitespace
/// collapsed, query words marked, `…` where the body goes on.
fn window_html(body: &str, toks: &[Word], best_start: usize) -> String {
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
        let s = snippet(&body, &["chi", "bo", "sinh", "hoat"]);
        assert!(
            s.contains("<mark>chi</mark> <mark>bộ</mark> <mark>sinh</mark>"),
            "{s}"
        );
        assert!(s.starts_with('…') && s.ends_with('…'), "{s}");
        // The window where the words stand together wins over an earlier one with them apart.
        let body = format!("bộ chi họp {filler} chi bộ {filler}");
        let s = snippet(&body, &["chi", "bo"]);
        assert!(
            s.starts_with("…tám chín mười <mark>chi</mark> <mark>bộ</mark>"),
            "{s}"
        );
    }
}
