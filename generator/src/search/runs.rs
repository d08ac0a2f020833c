//! Runs of three words or more, checked in the documents' text. Both indexes know which two
//! words stand side by side (pairs), not where: a document can hold "chi bộ", "bộ đảng" and
//! "đảng viên" in three places and never "chi bộ đảng viên". So, of the first [`RUN_CHECKED`]
//! documents in rank order, the ones that hold every pair of the query are read whole (title,
//! number, then body), until [`HOLDERS`] hold the query's words in a row: those come first,
//! in rank order;
//! and a quoted phrase of three words or more that a document does not hold in a row (its
//! exact forms where typed with diacritics) removes it, of the first [`CHECKED`], and `total`
//! counts one less.
//!
//! Why not positions in the indexes: they would double the browser's index (every word's
//! postings would carry where it stands), which a phone downloads and keeps; the pairs decide
//! most queries, and the documents to read are few and precached. The server reads its stored
//! text; `search.js` does the same on the page (`checkRuns`), and tests hold them to it.

use super::{DocInfo, Query, QueryTerm, Ranked};
use crate::text;

/// How many of the first documents in rank order are read for a quoted phrase (which removes
/// the documents that do not hold it).
pub const CHECKED: usize = 20;
/// How many are read, at most, to bring the holders of an unquoted query's words in a row
/// first. On the known-item benchmark's queries (sample handbook, 1,000 and 10,000 documents)
/// 10 gives the same hit@3 as 20; each page is a read from the phone's cache, and the slowest
/// searches read all 20 (BENCHMARKS.md §11).
pub const RUN_CHECKED: usize = 10;
/// Without a quoted phrase, reading stops when this many hold the run (the first results a
/// member sees): on real text the first documents mostly do, and a phone reads few pages.
pub const HOLDERS: usize = 3;

/// Reorders (and for quoted phrases, filters) the first [`CHECKED`] of `ranked`, which is in
/// rank order and holds at least the first `CHECKED + k` documents when `k` are wanted.
/// `body(ord)` gives a document's stored text.
pub fn check(
    query: &Query,
    docs: &[DocInfo],
    total: &mut usize,
    ranked: &mut Vec<Ranked>,
    mut body: impl FnMut(u32) -> String,
) {
    let phrases: Vec<&[QueryTerm]> = query
        .phrases
        .iter()
        .filter(|(a, b)| b - a >= 3)
        .filter_map(|&(a, b)| query.terms.get(a..b))
        .collect();
    let run = query.terms.len() >= 3;
    if phrases.is_empty() && !run {
        return;
    }
    let checked = if phrases.is_empty() {
        RUN_CHECKED
    } else {
        CHECKED
    };
    let mut head = ranked.drain(..checked.min(ranked.len())).peekable();
    let (mut holders, mut others) = (Vec::new(), Vec::new());
    while head.peek().is_some() {
        if phrases.is_empty() && holders.len() == HOLDERS {
            break;
        }
        let Some(r) = head.next() else { break };
        let read = !phrases.is_empty() || r.together;
        let words = match docs.get(r.ord as usize) {
            Some(d) if read => Words::of(d, &body(r.ord)),
            _ => {
                others.push(r);
                continue;
            }
        };
        if !phrases.iter().all(|p| words.hold(p, true)) {
            *total = total.saturating_sub(1);
            continue;
        }
        if run && r.together && words.hold(&query.terms, false) {
            holders.push(r);
        } else {
            others.push(r);
        }
    }
    holders.append(&mut others);
    holders.extend(head);
    holders.append(ranked);
    *ranked = holders;
}

/// A document's words, folded and exact: its title's, its number's ("05-NQ/TU") and its
/// body's apart (a run does not go from one into the next).
struct Words {
    parts: [Vec<text::Token>; 3],
}

impl Words {
    fn of(d: &DocInfo, body: &str) -> Words {
        Words {
            parts: [
                text::tokens(&d.title),
                text::tokens(d.number.as_deref().unwrap_or("")),
                text::tokens(body),
            ],
        }
    }

    /// Whether the title or the body holds these words in a row: folded, and with `exact`,
    /// the exact form of each word typed with diacritics.
    fn hold(&self, run: &[QueryTerm], exact: bool) -> bool {
        let same = |t: &text::Token, q: &QueryTerm| {
            t.folded == q.folded && (!exact || !q.accented || t.exact == q.exact)
        };
        self.parts.iter().any(|words| {
            words
                .windows(run.len())
                .any(|w| w.iter().zip(run).all(|(t, q)| same(t, q)))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(title: &str) -> DocInfo {
        DocInfo {
            id: "a".into(),
            url: "/a/".into(),
            title: title.into(),
            number: None,
            kind: None,
            section: None,
            year: None,
            status: "in-force".into(),
            date: None,
            summary: String::new(),
            headings: Vec::new(),
        }
    }

    fn ranked(ords: &[u32]) -> Vec<Ranked> {
        ords.iter()
            .map(|&ord| Ranked {
                ord,
                score: 1.0,
                together: true,
            })
            .collect()
    }

    #[test]
    fn holders_of_the_run_come_first_and_unquoted_scattered_ones_stay() {
        let docs = vec![doc("Một"), doc("Hai"), doc("Ba")];
        let bodies = [
            "chi bộ họp; bộ đảng; đảng viên",
            "nghị quyết chi bộ đảng viên mới",
            "không có gì",
        ];
        let q = Query::parse("chi bo dang vien");
        let mut r = ranked(&[0, 1, 2]);
        r[2].together = false;
        let mut total = 3;
        check(&q, &docs, &mut total, &mut r, |o| bodies[o as usize].into());
        assert_eq!(r.iter().map(|r| r.ord).collect::<Vec<_>>(), [1, 0, 2]);
        assert_eq!(total, 3);
    }

    #[test]
    fn reading_stops_when_enough_hold_the_run() {
        let docs: Vec<DocInfo> = (0..6).map(|_| doc("Tên")).collect();
        let bodies = [
            "chi bộ; bộ đảng",
            "chi bộ đảng",
            "chi bộ đảng",
            "chi bộ đảng",
            "",
            "chi bộ đảng",
        ];
        let q = Query::parse("chi bo dang");
        let mut r = ranked(&[0, 1, 2, 3, 4, 5]);
        let mut total = 6;
        let mut read = Vec::new();
        check(&q, &docs, &mut total, &mut r, |o| {
            read.push(o);
            bodies[o as usize].into()
        });
        assert_eq!(
            r.iter().map(|r| r.ord).collect::<Vec<_>>(),
            [1, 2, 3, 0, 4, 5]
        );
        assert_eq!(read, [0, 1, 2, 3]);
    }

    #[test]
    fn a_quoted_phrase_not_held_in_a_row_removes_the_document() {
        let docs = vec![doc("Một"), doc("Hai")];
        let bodies = ["đảng viên dự họp, dự bị", "quyền của đảng viên dự bị"];
        let q = Query::parse("\"dang vien du bi\"");
        let mut r = ranked(&[0, 1]);
        let mut total = 2;
        check(&q, &docs, &mut total, &mut r, |o| bodies[o as usize].into());
        assert_eq!(r.iter().map(|r| r.ord).collect::<Vec<_>>(), [1]);
        assert_eq!(total, 1);
        // Typed with diacritics, the exact forms must stand there too.
        let q = Query::parse("\"đảng viên dư bị\"");
        let mut r = ranked(&[1]);
        let mut total = 1;
        check(&q, &docs, &mut total, &mut r, |o| bodies[o as usize].into());
        assert!(r.is_empty() && total == 0);
    }

    #[test]
    fn an_unquoted_run_reads_the_first_ten_and_a_quoted_phrase_the_first_twenty() {
        // 25 documents with every pair of "chi bộ đảng" but not the run, but for the 12th and
        // the 22nd, which hold it.
        let n = CHECKED + 5;
        let docs: Vec<DocInfo> = (0..n).map(|_| doc("Tên")).collect();
        let body = |o: u32| match o {
            11 | 21 => "chi bộ đảng".to_string(),
            _ => "chi bộ; bộ đảng".to_string(),
        };
        let ords: Vec<u32> = (0..n as u32).collect();
        // The documents read, the order after the check, and `total`.
        let run = |q: &str| {
            let (mut r, mut total, mut read) = (ranked(&ords), n, Vec::new());
            check(&Query::parse(q), &docs, &mut total, &mut r, |o| {
                read.push(o);
                body(o)
            });
            (read, r.iter().map(|r| r.ord).collect::<Vec<_>>(), total)
        };

        let (read, order, total) = run("chi bo dang");
        assert_eq!(read, (0..RUN_CHECKED as u32).collect::<Vec<_>>());
        assert_eq!(order, ords);
        assert_eq!(total, n);

        let (read, order, total) = run("\"chi bo dang\"");
        assert_eq!(read, (0..CHECKED as u32).collect::<Vec<_>>());
        let kept: Vec<u32> = [11].into_iter().chain(CHECKED as u32..n as u32).collect();
        assert_eq!(order, kept);
        assert_eq!(total, n - (CHECKED - 1));
    }

    #[test]
    fn the_title_and_the_body_are_read_apart() {
        let docs = vec![doc("Điều lệ chi bộ"), doc("Điều lệ")];
        let bodies = ["đảng viên", "chi bộ đảng viên"];
        let q = Query::parse("chi bo dang vien");
        let mut r = ranked(&[0, 1]);
        let mut total = 2;
        check(&q, &docs, &mut total, &mut r, |o| bodies[o as usize].into());
        assert_eq!(r[0].ord, 1);
    }
}
