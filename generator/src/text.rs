//! Vietnamese text normalisation: the one implementation used for slugs, anchors, the search
//! index and search queries, so that what is indexed and what is asked always meet.
//!
//! Three forms of a word:
//! - NFC, the stored form of all text (`nfc`);
//! - folded: lowercase, every diacritic removed and `đ` -> `d` ("Đảng" -> "dang"), for recall when
//!   members type without diacritics (`fold`, `slug`);
//! - exact: lowercase with vowel marks kept and the tone written as a trailing digit
//!   ("hòa" and "hoà" -> "hoa2", "Đảng" -> "đang3"), so old and new tone placement agree and a
//!   query typed with diacritics can rank exact matches first (`exact`).

use std::borrow::Cow;
use unicode_normalization::char::{compose, decompose_canonical};
use unicode_normalization::{is_nfc_quick, IsNormalized, UnicodeNormalization};

/// `s` in Unicode NFC, borrowed when it already is.
pub fn nfc(s: &str) -> Cow<'_, str> {
    if is_nfc_yes(s) {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(s.nfc().collect())
    }
}

/// A byte range of NFC text and how many characters it had as written: `(start, end, written)`.
pub type Stretch = (usize, usize, usize);

/// `s` in NFC, with the stretches whose length in characters NFC changed: each is
/// `(start, end, written)`, a byte range of the NFC text and how many characters it had as
/// written. `None` when `s` is already NFC (the common case: nothing is built).
///
/// The text is cut before every character that nothing before it can combine with (a starter
/// that NFC keeps as it is, such as ASCII) and after every line break, and each piece is
/// normalised on its own; together they are the NFC of the whole, so a piece's place in the NFC text is
/// known. Should that ever not hold, the whole is normalised and no stretch is given.
pub fn nfc_stretches(s: &str) -> Option<(String, Vec<Stretch>)> {
    if is_nfc_yes(s) {
        return None;
    }
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    let mut stretches = Vec::new();
    let mut piece_start = 0;
    // Also cut after every line break (nothing combines with one), so that no piece spans
    // two lines.
    let cuts = s
        .char_indices()
        .filter(|&(i, c)| i > 0 && (is_boundary(c) || s.as_bytes()[i - 1] == b'\n'))
        .map(|(i, _)| i)
        .chain(std::iter::once(s.len()));
    for cut in cuts {
        let piece = &s[piece_start..cut];
        piece_start = cut;
        if piece.is_ascii() || is_nfc_quick(piece.chars()) == IsNormalized::Yes {
            out.push_str(piece);
            continue;
        }
        let start = out.len();
        out.extend(piece.nfc());
        let written = piece.chars().count();
        if out[start..].chars().count() != written {
            stretches.push((start, out.len(), written));
        }
    }
    let whole: String = s.nfc().collect();
    if out != whole {
        return Some((whole, Vec::new()));
    }
    Some((out, stretches))
}

/// Whether `s` is NFC by the quick check (`is_nfc_quick` gives `Yes`), without a table lookup
/// for the characters of Vietnamese text: ASCII, Latin-1 and Latin Extended-A and B (below
/// U+0250) and Latin Extended Additional (U+1E00-U+1EFF) are all starters that NFC keeps as
/// they are. Only the runs of other characters are checked, each on its own: a starter
/// before a run leaves the check as it would be at the start. Those characters are told by
/// their UTF-8 bytes, without decoding: every byte below C9 is ASCII, a continuation byte or
/// the lead of U+0080–U+023F, so the scan skips them at one comparison a byte; of the
/// others, C9 with a second byte below 90 leads U+0240–U+024F, E1 with B8–BB U+1E00–U+1EFF.
/// Between runs, whole blocks of such characters are passed at a time ([`plain_prefix`]):
/// nearly every text is little else.
fn is_nfc_yes(s: &str) -> bool {
    let b = s.as_bytes();
    let next = |i: usize| b.get(i + 1).copied().unwrap_or(0);
    let quick = |from: usize, to: usize| is_nfc_quick(s[from..to].chars()) == IsNormalized::Yes;
    let mut run: Option<usize> = None;
    let mut i = 0;
    // Below this offset blocks are not tried: the one tried last has another character.
    let mut blocked = 0;
    while i < b.len() {
        if run.is_none() && i >= blocked {
            i += plain_prefix(&b[i..]);
            blocked = i + PLAIN_BLOCK;
            if i >= b.len() {
                break;
            }
        }
        if b[i] < 0xC9 {
            // At a character's first byte: whatever run came before ends here.
            if let Some(from) = run.take() {
                if !quick(from, i) {
                    return false;
                }
            }
            i += b[i..]
                .iter()
                .position(|&x| x >= 0xC9)
                .unwrap_or(b.len() - i);
            continue;
        }
        let (plain, len) = match b[i] {
            0xC9 => (next(i) < 0x90, 2),
            0xCA..=0xDF => (false, 2),
            0xE1 => ((0xB8..=0xBB).contains(&next(i)), 3),
            0xE0..=0xEF => (false, 3),
            _ => (false, 4),
        };
        match (plain, run) {
            (false, None) => run = Some(i),
            (true, Some(from)) => {
                if !quick(from, i) {
                    return false;
                }
                run = None;
            }
            _ => {}
        }
        i += len;
    }
    run.is_none_or(|from| quick(from, b.len()))
}

/// The bytes [`plain_prefix`] tests at a time.
const PLAIN_BLOCK: usize = 64;

/// How many bytes at the start of `b` (a UTF-8 text) are characters that [`is_nfc_yes`]
/// passes without a lookup, counted in blocks of 64 bytes, each tested with no branch per
/// byte (the compiler makes it a few vector instructions), and ending at a character's
/// start. A byte is of another character when it is a lead byte from C9 on, other than C9
/// before a byte below 90 and E1 before B8–BB (continuation bytes are all below C0).
fn plain_prefix(b: &[u8]) -> usize {
    const BLOCK: usize = PLAIN_BLOCK;
    let mut i = 0;
    while i + BLOCK < b.len() {
        let (x, y) = (&b[i..i + BLOCK], &b[i + 1..i + BLOCK + 1]);
        let mut other = false;
        for k in 0..BLOCK {
            let (x, y) = (x[k], y[k]);
            let latin_b = (x == 0xC9) & (y < 0x90);
            let latin_extra = (x == 0xE1) & (y.wrapping_sub(0xB8) < 4);
            other |= (x >= 0xC9) & !latin_b & !latin_extra;
        }
        if other {
            break;
        }
        i += BLOCK;
    }
    while i > 0 && i < b.len() && (0x80..0xC0).contains(&b[i]) {
        i -= 1;
    }
    i
}

/// Whether NFC can never combine `c` with what comes before it (canonical combining class 0
/// and NFC_Quick_Check=Yes), so that the text may be normalised in pieces cut before `c`.
fn is_boundary(c: char) -> bool {
    c.is_ascii()
        || (unicode_normalization::char::canonical_combining_class(c) == 0
            && is_nfc_quick(std::iter::once(c)) == IsNormalized::Yes)
}

/// The Vietnamese tones, as the combining marks that write them.
const TONES: [(char, u8); 5] = [
    ('\u{0301}', 1), // sắc
    ('\u{0300}', 2), // huyền
    ('\u{0309}', 3), // hỏi
    ('\u{0303}', 4), // ngã
    ('\u{0323}', 5), // nặng
];

fn is_combining(c: char) -> bool {
    matches!(c, '\u{0300}'..='\u{036F}' | '\u{1AB0}'..='\u{1AFF}' | '\u{1DC0}'..='\u{1DFF}' | '\u{20D0}'..='\u{20FF}' | '\u{FE20}'..='\u{FE2F}')
}

/// The forms of one precomposed Latin letter (Vietnamese letters are all among them),
/// computed once by the general code below: folding a text is mostly table lookups.
struct Latin {
    folded: String,
    base: String,
    tone: u8,
}

fn latin(c: char) -> Option<&'static Latin> {
    static TABLE: std::sync::OnceLock<Vec<Latin>> = std::sync::OnceLock::new();
    let u = c as u32;
    let i = match u {
        0xC0..=0x24F => (u - 0xC0) as usize,
        0x1E00..=0x1EFF => (u - 0x1E00) as usize + (0x250 - 0xC0),
        _ => return None,
    };
    let t = TABLE.get_or_init(|| {
        ('\u{C0}'..='\u{24F}')
            .chain('\u{1E00}'..='\u{1EFF}')
            .map(|c| {
                let mut folded = String::new();
                push_folded_slow(c, &mut folded);
                let (base, tone) = exact_slow(&c.to_string());
                Latin { folded, base, tone }
            })
            .collect()
    });
    t.get(i)
}

/// Pushes the folded form of one character: lowercase, no diacritics, `đ` -> `d`.
/// Characters that are not letters or digits are pushed unchanged (lowercased).
pub fn push_folded(c: char, out: &mut String) {
    if c.is_ascii() {
        out.push(c.to_ascii_lowercase());
    } else if let Some(l) = latin(c) {
        out.push_str(&l.folded);
    } else {
        push_folded_slow(c, out);
    }
}

fn push_folded_slow(c: char, out: &mut String) {
    for lc in c.to_lowercase() {
        if lc == 'đ' {
            out.push('d');
            continue;
        }
        decompose_canonical(lc, |d| {
            if !is_combining(d) {
                out.push(d);
            }
        });
    }
}

/// Folded form of a whole text: "Đảng viên" -> "dang vien".
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    fold_into(s, &mut out);
    out
}

/// Writes [`fold`]`(s)` into `out` (cleared first), reusing its allocation.
pub fn fold_into(s: &str, out: &mut String) {
    out.clear();
    if s.is_ascii() {
        out.push_str(s);
        out.make_ascii_lowercase();
        return;
    }
    for c in s.chars() {
        push_folded(c, out);
    }
}

/// A URL slug: folded, with every run of other characters turned into one `-`.
/// "Nghị quyết 21" -> "nghi-quyet-21". May be empty if `s` has no letters or digits.
pub fn slug(s: &str) -> String {
    let mut folded = String::with_capacity(s.len());
    for c in s.chars() {
        push_folded(c, &mut folded);
    }
    let mut out = String::with_capacity(folded.len());
    for c in folded.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if c.is_alphanumeric() {
            // Letters of other scripts stay, so a slug is never silently empty for them.
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    out
}

/// The exact form of one word (a run of letters and digits): lowercase, vowel marks and `đ`
/// kept, tone removed and written as a trailing digit 1-5. Tone placement does not matter:
/// "hoà" and "hòa" both give "hoa2".
pub fn exact(word: &str) -> String {
    let mut out = String::with_capacity(word.len() + 1);
    exact_into(word, &mut out);
    out
}

/// Writes [`exact`]`(word)` into `out` (cleared first), reusing its allocation.
pub fn exact_into(word: &str, out: &mut String) {
    out.clear();
    if word.is_ascii() {
        out.push_str(word);
        out.make_ascii_lowercase();
        return;
    }
    // Precomposed text (what NFC gives for Vietnamese): one table lookup per letter.
    let mut tone = 0u8;
    let mut fast = true;
    for c in word.chars() {
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
        } else if let Some(l) = latin(c) {
            out.push_str(&l.base);
            if l.tone != 0 {
                tone = l.tone;
            }
        } else {
            fast = false;
            break;
        }
    }
    if fast {
        if tone != 0 {
            out.push(char::from(b'0' + tone));
        }
        return;
    }
    let (base, tone) = exact_slow(word);
    out.clear();
    out.push_str(&base);
    if tone != 0 {
        out.push(char::from(b'0' + tone));
    }
}

/// A word written again from its exact form, with the tone mark placed by the usual rule
/// ("đang3" -> "đảng", "quyêt1" -> "quyết", "hoa2" -> "hòa"): for showing a corrected query.
/// A form without a tone digit, or whose letters hold no vowel, is returned as it is.
pub fn display_form(exact: &str) -> String {
    const VOWELS: &str = "aăâeêioôơuưy";
    const MARKED: &str = "ăâêôơư";
    let mut chars: Vec<char> = exact.chars().collect();
    let tone = match chars.last() {
        Some(&d @ '1'..='5') if !chars[..chars.len() - 1].iter().any(char::is_ascii_digit) => {
            d as u8 - b'0'
        }
        _ => return exact.to_string(),
    };
    chars.pop();
    let is_vowel = |i: usize| {
        let c = chars[i];
        VOWELS.contains(c)
            // "qu": the u is a consonant; "gi" before a vowel: the i is.
            && !(c == 'u' && i > 0 && chars[i - 1] == 'q')
            && !(c == 'i'
                && i > 0
                && chars[i - 1] == 'g'
                && chars.get(i + 1).is_some_and(|n| VOWELS.contains(*n)))
    };
    let vowels: Vec<usize> = (0..chars.len()).filter(|&i| is_vowel(i)).collect();
    let Some(&last) = vowels.last() else {
        return exact.to_string();
    };
    let at = match vowels.iter().rev().find(|&&i| MARKED.contains(chars[i])) {
        Some(&i) => i,
        None if vowels.len() == 1 || last + 1 < chars.len() => last,
        None if vowels.len() >= 3 => vowels[1],
        None => vowels[0],
    };
    let mark = TONES[usize::from(tone - 1)].0;
    let mut out = String::new();
    for (i, c) in chars.iter().enumerate() {
        out.push(*c);
        if i == at {
            out.push(mark);
        }
    }
    nfc(&out).into_owned()
}

/// The exact form's letters and tone, by decomposition (any input, NFD included).
fn exact_slow(word: &str) -> (String, u8) {
    let mut tone = 0u8;
    let mut base = String::with_capacity(word.len());
    for c in word.chars() {
        for lc in c.to_lowercase() {
            decompose_canonical(lc, |d| {
                if let Some(&(_, t)) = TONES.iter().find(|(m, _)| *m == d) {
                    tone = t;
                } else {
                    base.push(d);
                }
            });
        }
    }
    (recompose(&base), tone)
}

fn recompose(decomposed: &str) -> String {
    let mut out = String::with_capacity(decomposed.len());
    let mut last: Option<char> = None;
    for c in decomposed.chars() {
        if let Some(l) = last {
            if let Some(composed) = compose(l, c) {
                last = Some(composed);
                continue;
            }
            out.push(l);
        }
        last = Some(c);
    }
    if let Some(l) = last {
        out.push(l);
    }
    out
}

/// One word of a text, with its byte range in that text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub start: usize,
    pub end: usize,
    /// Folded form ("dang").
    pub folded: String,
    /// Exact form ("đang3").
    pub exact: String,
}

/// Splits NFC text into words (Vietnamese syllables, numbers, codes such as "NQ") and gives
/// each its folded and exact forms. Combining marks stay with their word, so NFD input
/// splits the same way as NFC.
pub fn tokens(text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    for_each_token(text, |t| out.push(t));
    out
}

/// Like [`tokens`], without collecting them.
pub fn for_each_token(text: &str, mut f: impl FnMut(Token)) {
    for_each_word(text, |s, e| {
        let word = &text[s..e];
        f(Token {
            start: s,
            end: e,
            folded: fold(word),
            exact: exact(word),
        })
    });
}

/// The byte ranges of the words of `text` (what [`tokens`] splits on), without their forms:
/// for callers that need only one of them.
pub fn for_each_word(text: &str, mut f: impl FnMut(usize, usize)) {
    let mut from = 0;
    while let Some((s, e)) = next_word(text, from) {
        f(s, e);
        from = e;
    }
}

/// The first word of `text` at or after byte `from` (a char boundary), as a byte range: what
/// [`for_each_word`] calls back with, one at a time, for a caller that pulls words (a tokenizer).
pub fn next_word(text: &str, from: usize) -> Option<(usize, usize)> {
    let rest = text.get(from..)?;
    let mut start: Option<usize> = None;
    for (i, c) in rest.char_indices() {
        let in_word = if c.is_ascii() {
            c.is_ascii_alphanumeric()
        } else if latin(c).is_some() {
            // All letters, but the multiplication and division signs.
            c != '\u{D7}' && c != '\u{F7}'
        } else {
            c.is_alphanumeric() || (start.is_some() && is_combining(c))
        };
        match (in_word, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => return Some((from + s, from + i)),
            _ => {}
        }
    }
    start.map(|s| (from + s, text.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The quick check without table lookups for Vietnamese letters says what the library's
    /// says, on strings of letters, marks and other scripts in every order.
    #[test]
    fn nfc_yes_is_the_quick_check() {
        let pieces = [
            "a",
            "đ",
            "ả",
            "Ẫ",
            "ơ",
            "\u{301}",
            "\u{323}",
            "\u{300}\u{323}",
            "\u{323}\u{300}",
            "“",
            "ε",
            "\u{344}",
            "\u{1100}",
            "\u{1161}",
            "한",
            "ǅ",
            "\u{24F}",
            "\u{250}",
            "\u{1EF9}",
            "\n",
            "\u{7F}",
            "\u{80}",
            "\u{C0}",
            "\u{1DFF}",
            "\u{1E00}",
            "\u{1EFF}",
            "\u{1F00}",
            "\u{1F71}",
            "\u{340}",
            "\u{374}",
            "\u{2126}",
            "\u{FFFD}",
            "\u{1D15E}",
            "😀",
        ];
        let mut seed = 7u64;
        for _ in 0..20_000 {
            let mut s = String::new();
            for _ in 0..(seed % 6 + 1) {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                s.push_str(pieces[(seed >> 33) as usize % pieces.len()]);
            }
            let lib = is_nfc_quick(s.chars()) == IsNormalized::Yes;
            assert_eq!(is_nfc_yes(&s), lib, "{s:?}");
        }
        // Long texts of Vietnamese with now and then another piece, at every offset from
        // the blocks [`plain_prefix`] passes.
        let plain = [
            "đảng viên ",
            "a",
            "Ẫ",
            "ơ",
            "\u{24F}",
            "\u{1EF9}",
            "\n",
            "\u{C0}",
        ];
        let mut yes = 0;
        for _ in 0..5_000 {
            let mut s = String::new();
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let len = 20 + (seed >> 33) as usize % 100;
            for _ in 0..len {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let r = (seed >> 33) as usize;
                if r % 50 == 0 {
                    s.push_str(pieces[r / 50 % pieces.len()]);
                } else {
                    s.push_str(plain[r % plain.len()]);
                }
            }
            let lib = is_nfc_quick(s.chars()) == IsNormalized::Yes;
            assert_eq!(is_nfc_yes(&s), lib, "{s:?}");
            yes += usize::from(lib);
        }
        assert!((500..4_500).contains(&yes), "{yes} of 5,000 NFC");
    }

    #[test]
    fn folding_table() {
        let cases = [
            ("Đảng viên", "dang vien"),
            ("ĐẢNG VIÊN", "dang vien"),
            ("dang vien", "dang vien"),
            ("Nghị quyết", "nghi quyet"),
            ("chi bộ", "chi bo"),
            ("Ương ương ươ", "uong uong uo"),
            ("hoà hòa", "hoa hoa"),
            ("21-NQ/TW", "21-nq/tw"),
            // NFD input: "Đảng" written with combining marks
            ("\u{110}a\u{309}ng", "dang"),
        ];
        for (input, want) in cases {
            assert_eq!(fold(input), want, "fold({input:?})");
        }
    }

    #[test]
    fn slug_table() {
        let cases = [
            ("Nghị quyết 21", "nghi-quyet-21"),
            ("Nghị quyết", "nghi-quyet"),
            (
                "  Điều 5. Quyền của đảng viên ",
                "dieu-5-quyen-cua-dang-vien",
            ),
            ("21-NQ/TW", "21-nq-tw"),
            ("---", ""),
            (
                "Sinh hoạt chi bộ (tháng 11/2026)",
                "sinh-hoat-chi-bo-thang-11-2026",
            ),
        ];
        for (input, want) in cases {
            assert_eq!(slug(input), want, "slug({input:?})");
        }
    }

    #[test]
    fn exact_forms_ignore_tone_placement() {
        assert_eq!(exact("hòa"), "hoa2");
        assert_eq!(exact("hoà"), "hoa2");
        assert_eq!(exact("Đảng"), "đang3");
        assert_eq!(exact("ĐẢNG"), "đang3");
        assert_eq!(exact("viên"), "viên");
        assert_eq!(exact("thuỷ"), exact("thủy"));
        assert_eq!(exact("\u{110}a\u{309}ng"), "đang3");
        assert_eq!(exact("dang"), "dang");
    }

    #[test]
    fn display_forms_place_the_tone() {
        let cases = [
            ("đang3", "đảng"),
            ("viên", "viên"),
            ("dư5", "dự"),
            ("bi5", "bị"),
            ("phi1", "phí"),
            ("quyêt1", "quyết"),
            ("giai3", "giải"),
            ("gi2", "gì"),
            ("nghia4", "nghĩa"),
            ("hoa2", "hòa"),
            ("ngoai1", "ngoái"),
            ("toan1", "toán"),
            ("đươc5", "được"),
            ("21", "21"),
            ("nq21", "nq21"),
            ("x2", "x2"),
        ];
        for (exact_form, want) in cases {
            assert_eq!(display_form(exact_form), want, "{exact_form}");
            if !want.is_ascii() {
                assert_eq!(exact(want), exact_form, "round trip of {want}");
            }
        }
    }

    #[test]
    fn table_and_decomposition_agree() {
        for c in ('\u{C0}'..='\u{24F}').chain('\u{1E00}'..='\u{1EFF}') {
            let mut slow = String::new();
            push_folded_slow(c, &mut slow);
            let mut fast = String::new();
            push_folded(c, &mut fast);
            assert_eq!(fast, slow, "fold {c:?}");
            let word = format!("a{c}b");
            let (base, tone) = exact_slow(&word);
            let want = if tone == 0 {
                base
            } else {
                format!("{base}{tone}")
            };
            assert_eq!(exact(&word), want, "exact {word:?}");
        }
        assert_eq!(tokens("×÷").len(), 0);
    }

    #[test]
    fn tokens_of_nfc_and_nfd_agree() {
        let nfc_text = "Đảng viên, chi bộ: 21-NQ/TW";
        let nfd_text: String = nfc_text.nfd().collect();
        let a: Vec<_> = tokens(nfc_text).into_iter().map(|t| t.exact).collect();
        let b: Vec<_> = tokens(&nfd_text).into_iter().map(|t| t.exact).collect();
        assert_eq!(a, ["đang3", "viên", "chi", "bô5", "21", "nq", "tw"]);
        assert_eq!(a, b);
        let t = &tokens(nfc_text)[1];
        assert_eq!(&nfc_text[t.start..t.end], "viên");
    }
}
