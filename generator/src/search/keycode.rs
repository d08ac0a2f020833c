//! The keys of a group file's header (`shards.rs`) in a fixed code for folded Vietnamese: each
//! symbol in a prefix code chosen by the symbol before it (an order-1 model), the same in every
//! build and every site, so that a group's header costs what its keys say and not what gzip
//! makes of a few hundred bytes of text beside binary postings.
//!
//! A group's header was text that gzip, file by file, took to 5.5 bits a character: each file
//! pays for its own Huffman tables, and the text shares them with the postings' bytes, which
//! use all 256 values. In this code the headers of the 1,000 generated documents take 4.3 bits
//! a character and the group files are left as they are by gzip (BENCHMARKS §11).
//!
//! - Symbols: `a`–`z`, `0`–`9`, space, newline, tab, `#`, `=`, and *other*: any other byte,
//!   whose 8 bits follow its code (least significant first). A character of the exact forms
//!   ("chưa") is its UTF-8 bytes, each an *other*.
//! - The code of a symbol depends on the symbol before it (newline before the first): per
//!   preceding symbol, a row of [`MODEL`] gives every symbol's code length, and the codes are
//!   canonical (`huffman::canonical`: by length, then by symbol).
//! - Lines end in a newline; the header says how many lines there are. Codes are written
//!   first bit first, bits filling each byte from its lowest, the last byte padded with zeros.
//!
//! The model's lengths were counted from the distinct folded terms of the sample handbook
//! (`python3 bench/key_model.py content`, every count plus one so that every symbol has a
//! code after every other). They are fixed: another model would change every group file of
//! every site. `search.js` reads them from the site (`search/keys.<h>.json`, [`model_file`]).

use super::docset::Bits;
use super::huffman;
use std::sync::OnceLock;

/// The symbols with a code of their own, in order; any other byte is [`OTHER`].
const SYMBOLS: &[u8; 41] = b"abcdefghijklmnopqrstuvwxyz0123456789 \n\t#=";
/// The symbol of any byte not in [`SYMBOLS`], followed by its 8 bits.
const OTHER: usize = SYMBOLS.len();
/// How many symbols, and rows of the model.
const N: usize = OTHER + 1;
/// The newline: the context of a header's first symbol.
const NEWLINE: usize = 37;

/// Per preceding symbol (in [`SYMBOLS`] order, then [`OTHER`]), each symbol's code length as
/// one hexadecimal digit.
pub const MODEL: [&str; N] = [
    "bb4bb8ab4bbb4245b8b44aaa4aaaaaaaaaaa33aaaa",
    "1aaa7aaa2aaaaa3aaaa94aaaaaaaaaaaaaaa68aaaa",
    "3aaaaaa2aaa8aa3aaaa64aa7aaaaaaaaaaaa23a999",
    "2bbb47bb3bbbbb2bb9bb2bbbbbbbbaaaaaaa66aaaa",
    "b948a8bbabbb3245b9a33bb8bbbbbbbbbbbb34bbba",
    "466665663666665666666666666666666666346666",
    "4cccccc44bbbbb6bbbbb5bbbbbbbbbbbbbbb21bbbb",
    "2bb75bbb3bbbbb2bb8b83bbbbbbbbbbbbbbb43bbbb",
    "4c792cbc8cc98388cb9769cccacccccccccc22cccb",
    "666666666666666666665555555555555555555555",
    "aaaa3aa12aaaaaa999999999499999999999999999",
    "1bbb3bbb3bbaaa4aaaaa3aaa5aaaaaaaaaaaaaaaaa",
    "39a76aa94aaa9a38aaaa3aaaaaaaaaaaaaaa22aaaa",
    "5db85d227ccccc5c8ccb7ccccccccccccccc23cccc",
    "3d4daddd3ddd72d6d9d5dddddddddddccccc32cccc",
    "999589918998998999779999999999999999329999",
    "777477777777777777771777777777777777447766",
    "2aaa4a8a3aaa992aaa862aaa9aaaaaaaaaaaa8aaaa",
    "2aaa4aaa3aaaaa2aaa772aaaaaaaaaaaaaa9979999",
    "4cac6cc24cc8cc5ac2ca4ccc9ccccccccccc33cccc",
    "3b4a7bbb7bbba327bbb76bbb3bbbbbbbbbbb33bbbb",
    "1aaa4aaa2aaaaa48aaaa4aaa999999999999979999",
    "466636663666666666666666666666666666655555",
    "299929995999995899992999999988888888458888",
    "999929999999999888888888888888888888318888",
    "666666666666666666665555555555555555555555",
    "999999999999999999999999994425556655329988",
    "999999998888888888888888883437547754328888",
    "999999999999999999999999992454543566339988",
    "777777777777777777777777773456764557327777",
    "777777777777777777777777775457745777227776",
    "888888888888888888888888884888688877217777",
    "777777777777777777777777774747557757227776",
    "777777777777777777777777774557755757227766",
    "777777777777777777777777774757655557227776",
    "777777777777777777777777774557556757227776",
    "8433da547d455465575384a67c7668999898cccccc",
    "8433aa548d445475675374a68d7768899888dddddd",
    "666666666666666666665555555555555555555555",
    "666666666666666666665555555555555555555555",
    "666666666666666666665555555555555555555555",
    "666666666666666666665555555555555555555555",
];

/// The symbol of byte `b`.
fn symbol(b: u8) -> usize {
    SYMBOLS.iter().position(|&s| s == b).unwrap_or(OTHER)
}

/// Each row's code lengths and canonical codes, and, for reading, per row its symbols in
/// canonical order and how many codes each length has.
struct Model {
    lens: Vec<Vec<u8>>,
    codes: Vec<Vec<u32>>,
    order: Vec<Vec<usize>>,
    per_len: Vec<[u32; 16]>,
}

fn model() -> &'static Model {
    static MODEL_CODES: OnceLock<Model> = OnceLock::new();
    MODEL_CODES.get_or_init(|| {
        let lens: Vec<Vec<u8>> = MODEL
            .iter()
            .map(|row| {
                row.bytes()
                    .map(|c| (c as char).to_digit(16).unwrap_or(0) as u8)
                    .collect()
            })
            .collect();
        let codes = lens.iter().map(|l| huffman::canonical(l)).collect();
        let order = lens
            .iter()
            .map(|l| {
                let mut o: Vec<usize> = (0..l.len()).filter(|&i| l[i] > 0).collect();
                o.sort_by_key(|&i| (l[i], i));
                o
            })
            .collect();
        let per_len = lens
            .iter()
            .map(|l| {
                let mut c = [0u32; 16];
                for &x in l {
                    c[usize::from(x)] += 1;
                }
                c[0] = 0;
                c
            })
            .collect();
        Model {
            lens,
            codes,
            order,
            per_len,
        }
    })
}

/// Appends `lines` (each without its newline) in the code, starting a new byte.
pub fn write<'a>(lines: impl Iterator<Item = &'a str>, out: &mut Vec<u8>) {
    let m = model();
    let mut bits = Bits::new(out);
    let mut prev = NEWLINE;
    for line in lines {
        for &b in line.as_bytes().iter().chain(b"\n") {
            let s = symbol(b);
            let (code, len) = (m.codes[prev][s], m.lens[prev][s]);
            for j in (0..len).rev() {
                bits.push(code >> j & 1 != 0);
            }
            if s == OTHER {
                bits.push_low(u32::from(b), 8);
            }
            prev = s;
        }
    }
}

/// Reads `lines` lines written by [`write`] from `b` at `*pos`, moving `*pos` past them: the
/// text, each line ending in a newline. `None` when the bytes end first or are not UTF-8.
pub fn read(b: &[u8], pos: &mut usize, lines: usize) -> Option<String> {
    let m = model();
    let start = *pos;
    let mut bit = 0usize;
    let mut next = || -> Option<u32> {
        let byte = *b.get(start + bit / 8)?;
        let v = u32::from(byte >> (bit % 8) & 1);
        bit += 1;
        Some(v)
    };
    let mut text = Vec::new();
    let mut prev = NEWLINE;
    let mut seen = 0;
    while seen < lines {
        // Canonical decoding: the codes of each length follow those of the length before.
        let (mut code, mut first, mut index) = (0u32, 0u32, 0usize);
        let mut s = None;
        for len in 1..16 {
            code |= next()?;
            let count = m.per_len[prev][len];
            if code < first + count {
                s = m.order[prev].get(index + (code - first) as usize).copied();
                break;
            }
            index += count as usize;
            first = (first + count) << 1;
            code <<= 1;
        }
        let s = s?;
        if s == OTHER {
            let mut byte = 0u8;
            for i in 0..8 {
                byte |= (next()? as u8) << i;
            }
            text.push(byte);
        } else {
            text.push(SYMBOLS[s]);
            seen += usize::from(s == NEWLINE);
        }
        prev = s;
    }
    *pos = start + bit.div_ceil(8);
    String::from_utf8(text).ok()
}

/// The model as the browser reads it: a JSON array of [`MODEL`]'s rows.
pub fn model_file() -> Vec<u8> {
    serde_json::to_vec(&MODEL[..]).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_is_a_complete_code() {
        for (i, l) in model().lens.iter().enumerate() {
            assert_eq!(l.len(), N, "row {i}");
            let kraft: u64 = l.iter().map(|&x| 1u64 << (15 - x)).sum();
            assert!(l.iter().all(|&x| (1..=15).contains(&x)), "row {i}: {l:?}");
            assert_eq!(kraft, 1 << 15, "row {i} is a complete prefix code");
        }
    }

    #[test]
    fn headers_round_trip() {
        let lines = [
            "dang vien",
            "chua\tchưa",
            "#16 hd bdvtu",
            "2027\t=",
            "{\"split\": [1]}",
            "",
            "nghi quyet",
            "Ω ∑ 😀",
        ];
        let mut b = vec![0xAB];
        write(lines.iter().copied(), &mut b);
        b.push(0xCD);
        let mut pos = 1;
        let text = read(&b, &mut pos, lines.len()).expect("read");
        assert_eq!(text, lines.map(|l| format!("{l}\n")).concat());
        assert_eq!(pos, b.len() - 1, "the reader stops where the writer did");
        // Folded Vietnamese costs well under a byte a character.
        let words = "dang vien\nchi bo\nsinh hoat\nnghi quyet\nthuc hien\nquy dinh";
        let mut c = Vec::new();
        write(words.split('\n'), &mut c);
        assert!(c.len() * 8 < words.len() * 5, "{} bytes", c.len());
    }

    #[test]
    fn cut_bytes_are_refused() {
        let mut b = Vec::new();
        write(["dang vien", "chi bo"].into_iter(), &mut b);
        let mut pos = 0;
        assert_eq!(read(&b[..b.len() - 1], &mut pos, 2), None);
        assert_eq!(read(&[], &mut 0, 1), None);
        assert_eq!(read(&[], &mut 0, 0).as_deref(), Some(""));
    }
}
