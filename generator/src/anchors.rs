//! Heading anchors that stay stable and readable in Vietnamese documents: "Điều 5. Quyền của
//! đảng viên" -> `dieu-5`, "Chương II" -> `chuong-2`, anything else -> its slug.
//!
//! Articles and chapters are what members cite ("Điều 5"), so their anchors survive edits to
//! the heading's wording.

use crate::text;
use std::collections::HashSet;

/// A heading of a page, for its table of contents and search.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Heading {
    pub level: u8,
    pub text: String,
    pub anchor: String,
    /// Where the heading's text starts in the page's plain text (`markdown::Rendered::text`,
    /// a byte offset): search cuts the body into passages there.
    pub at: usize,
}

/// Words that number the parts of a legal text.
const NUMBERED: &[&str] = &["dieu", "chuong", "muc", "phan", "khoan", "tiet", "phu-luc"];

/// The anchor of a heading with text `heading` (before de-duplication).
pub fn anchor(heading: &str) -> String {
    let s = text::slug(heading);
    for word in NUMBERED {
        let Some(rest) = s.strip_prefix(word).and_then(|r| r.strip_prefix('-')) else {
            continue;
        };
        let num = rest.split('-').next().unwrap_or("");
        if let Some(n) = number(num) {
            return format!("{word}-{n}");
        }
    }
    if s.is_empty() {
        "muc".to_string()
    } else {
        s
    }
}

/// "5", "12a", or a Roman numeral ("ii" -> 2) as the article's number.
fn number(s: &str) -> Option<String> {
    if s.is_empty() {
        return None;
    }
    if s.as_bytes()[0].is_ascii_digit() {
        let digits = s.bytes().take_while(u8::is_ascii_digit).count();
        let suffix = &s[digits..];
        return (suffix.len() <= 1 && suffix.bytes().all(|b| b.is_ascii_lowercase()))
            .then(|| s.to_string());
    }
    roman(s).map(|n| n.to_string())
}

fn roman(s: &str) -> Option<u32> {
    let value = |c: u8| match c {
        b'i' => Some(1),
        b'v' => Some(5),
        b'x' => Some(10),
        b'l' => Some(50),
        b'c' => Some(100),
        _ => None,
    };
    let vals: Vec<u32> = s.bytes().map(value).collect::<Option<_>>()?;
    let mut total = 0;
    for (i, v) in vals.iter().enumerate() {
        if vals.get(i + 1).is_some_and(|n| n > v) {
            total -= *v as i64;
        } else {
            total += *v as i64;
        }
    }
    u32::try_from(total).ok().filter(|&n| n > 0 && n < 400)
}

/// Hands out unique anchors within one page: a repeat gets `-2`, `-3`, ...
#[derive(Debug, Default, Clone)]
pub struct Anchors {
    used: HashSet<String>,
}

impl Anchors {
    /// Reserves `wanted`, or the first free `wanted-N`.
    pub fn claim(&mut self, wanted: &str) -> String {
        if self.used.insert(wanted.to_string()) {
            return wanted.to_string();
        }
        let mut n = 2;
        loop {
            let candidate = format!("{wanted}-{n}");
            if self.used.insert(candidate.clone()) {
                return candidate;
            }
            n += 1;
        }
    }

    pub fn contains(&self, anchor: &str) -> bool {
        self.used.contains(anchor)
    }

    pub fn into_set(self) -> HashSet<String> {
        self.used
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchor_table() {
        let cases = [
            ("Điều 5. Quyền của đảng viên", "dieu-5"),
            ("Điều 12a", "dieu-12a"),
            ("Chương II", "chuong-2"),
            ("CHƯƠNG IV. TỔ CHỨC CƠ SỞ ĐẢNG", "chuong-4"),
            ("Chương XIV", "chuong-14"),
            ("Mục 3", "muc-3"),
            ("Phần I", "phan-1"),
            ("Phụ lục 2", "phu-luc-2"),
            ("Những điểm mới", "nhung-diem-moi"),
            ("Điều lệ Đảng", "dieu-le-dang"),
            ("Chương trình hành động", "chuong-trinh-hanh-dong"),
            ("Mục tiêu", "muc-tieu"),
            ("I. TÌNH HÌNH", "i-tinh-hinh"),
            ("!!!", "muc"),
        ];
        for (h, want) in cases {
            assert_eq!(anchor(h), want, "anchor({h:?})");
        }
    }

    #[test]
    fn repeats_are_numbered() {
        let mut a = Anchors::default();
        assert_eq!(a.claim("muc-tieu"), "muc-tieu");
        assert_eq!(a.claim("muc-tieu"), "muc-tieu-2");
        assert_eq!(a.claim("muc-tieu"), "muc-tieu-3");
        assert!(a.contains("muc-tieu-2"));
    }
}
