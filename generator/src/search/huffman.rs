//! Small-alphabet streams of the browser's index (`shards.rs`) in a canonical prefix
//! (Huffman) code made for the stream: a word's frequency buckets (0–3) and a term's values
//! (flags, forms) where their symbols are few and unevenly used. Two bits a bucket packed four
//! to a byte cost a word 2 bits a posting where the buckets' entropy is about 1.1; gzip, file
//! by file, takes little of that back (BENCHMARKS §11). A prefix code comes within a fraction
//! of a bit of the entropy and is read with one table lookup a posting, where the subsets that
//! come nearer cost a Golomb decoding (`shards::subset`).
//!
//! - The code's lengths: for an *alphabet* of `a` symbols (0 .. a − 1), `a` lengths; else
//!   varint `k`, the `k` symbols used (ascending: the first, then each one's distance to the
//!   one before, varints), and their `k` lengths. Lengths are 4 bits each, two to a byte, the
//!   first in the low half; 0 is a symbol not used.
//! - The codes are canonical: symbols in order of length, then of value, take consecutive
//!   codes (deflate's rule), so the lengths say everything.
//! - Then every item's code, its first bit first, bits filling each byte from its lowest bit
//!   (as [`docset`](super::docset) writes), the last byte padded with zeros.
//!
//! [`Code`] writes it; `search.js` (`readCode`) reads exactly this; [`read`] is the Rust reader.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// The longest code written: a stream whose code would be longer is not written this way, so
/// that a reader's table has at most 2^12 entries.
pub const MAX_LEN: u8 = 12;

/// At most this many distinct symbols are coded (the values of a word of many forms can have
/// more; they are then written another way).
pub const MAX_SYMBOLS: usize = 64;

/// A prefix code made for some items: the symbols they use (ascending) with each one's code
/// length and code, and how many bytes the items take in it.
pub struct Code {
    alphabet: Option<usize>,
    symbols: Vec<u64>,
    lens: Vec<u8>,
    /// Each symbol's code with its bits reversed: its first bit lowest, as it is written.
    rev: Vec<u64>,
    bytes: usize,
}

impl Code {
    /// The code of `items`; `None` when they have fewer than two distinct symbols (nothing to
    /// code), more than [`MAX_SYMBOLS`], or their code would pass [`MAX_LEN`]. `alphabet`:
    /// `Some(a)` when every item is below `a` (the lengths of all `a` symbols are written,
    /// not the symbols).
    pub fn of(items: &[u64], alphabet: Option<usize>) -> Option<Code> {
        // The symbols (few: a search of a short list beats sorting every item).
        let mut counts: Vec<(u64, usize)> = Vec::new();
        match alphabet {
            Some(a) => {
                let mut c = vec![0usize; a];
                for &v in items {
                    *c.get_mut(usize::try_from(v).ok()?)? += 1;
                }
                counts.extend((0..a as u64).zip(c).filter(|&(_, c)| c > 0));
            }
            None => {
                for &v in items {
                    let full = counts.len() == MAX_SYMBOLS;
                    match counts.iter_mut().find(|(s, _)| *s == v) {
                        Some((_, c)) => *c += 1,
                        None if full => return None,
                        None => counts.push((v, 1)),
                    }
                }
                counts.sort_unstable();
            }
        }
        if counts.len() < 2 {
            return None;
        }
        let lens = lengths(&counts.iter().map(|&(_, c)| c).collect::<Vec<_>>());
        if lens.iter().any(|&l| l > MAX_LEN) {
            return None;
        }
        let symbols: Vec<u64> = counts.iter().map(|&(v, _)| v).collect();
        let bits: usize = counts
            .iter()
            .zip(&lens)
            .map(|(&(_, c), &l)| c * usize::from(l))
            .sum();
        let table = match alphabet {
            Some(a) => a.div_ceil(2),
            None => {
                let mut head = Vec::new();
                symbols_head(&symbols, &mut head);
                head.len() + symbols.len().div_ceil(2)
            }
        };
        let rev = canonical(&lens)
            .iter()
            .zip(&lens)
            .map(|(&c, &l)| u64::from(c.reverse_bits() >> (32 - u32::from(l))))
            .collect();
        Some(Code {
            alphabet,
            symbols,
            lens,
            rev,
            bytes: table + bits.div_ceil(8),
        })
    }

    /// How many bytes [`Code::write`] appends.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Appends the code's lengths and `items`, those it was made of.
    pub fn write(&self, items: &[u64], out: &mut Vec<u8>) {
        let mut nibbles = Vec::new();
        match self.alphabet {
            Some(a) => {
                for s in 0..a as u64 {
                    let i = self.symbols.binary_search(&s);
                    nibbles.push(i.map_or(0, |i| self.lens[i]));
                }
            }
            None => {
                symbols_head(&self.symbols, out);
                nibbles.extend_from_slice(&self.lens);
            }
        }
        for pair in nibbles.chunks(2) {
            out.push(pair[0] | pair.get(1).copied().unwrap_or(0) << 4);
        }
        // Each symbol of an alphabet's code and length, by the symbol's value.
        let mut by_value = Vec::new();
        if let Some(a) = self.alphabet {
            by_value = vec![(0u64, 0u8); a];
            for (i, &s) in self.symbols.iter().enumerate() {
                by_value[s as usize] = (self.rev[i], self.lens[i]);
            }
        }
        // Codes of at most MAX_LEN bits, gathered in a word and written a byte at a time.
        let (mut acc, mut used) = (0u64, 0u32);
        for &v in items {
            // Every item is one of `symbols` (they were made from the items).
            let (code, len) = match by_value.get(v as usize) {
                Some(&e) if self.alphabet.is_some() => e,
                _ => {
                    let i = self.symbols.iter().position(|&s| s == v).unwrap_or(0);
                    (self.rev[i], self.lens[i])
                }
            };
            acc |= code << used;
            used += u32::from(len);
            while used >= 8 {
                out.push(acc as u8);
                acc >>= 8;
                used -= 8;
            }
        }
        if used > 0 {
            out.push(acc as u8);
        }
    }
}

/// The symbols of a code without an alphabet: their number, the first, then each one's
/// distance to the one before.
fn symbols_head(symbols: &[u64], out: &mut Vec<u8>) {
    super::varint::put(out, symbols.len() as u64);
    let mut last = 0;
    for (i, &s) in symbols.iter().enumerate() {
        super::varint::put(out, if i == 0 { s } else { s - last });
        last = s;
    }
}

/// Reads `m` items written by [`Code::write`] with the same `alphabet`, moving `*pos` past them;
/// `None` when the bytes end first or the lengths are not those of a prefix code.
pub fn read(b: &[u8], pos: &mut usize, m: usize, alphabet: Option<usize>) -> Option<Vec<u64>> {
    let symbols: Vec<u64> = match alphabet {
        Some(a) => (0..a as u64).collect(),
        None => {
            let k = usize::try_from(super::varint::get(b, pos)?).ok()?;
            if k > b.len() {
                return None;
            }
            let mut s = Vec::with_capacity(k);
            let mut last = 0u64;
            for i in 0..k {
                let d = super::varint::get(b, pos)?;
                last = if i == 0 { d } else { last.checked_add(d)? };
                s.push(last);
            }
            s
        }
    };
    let mut lens = Vec::with_capacity(symbols.len());
    for i in 0..symbols.len() {
        let byte = *b.get(*pos + i / 2)?;
        lens.push(if i % 2 == 0 { byte & 15 } else { byte >> 4 });
    }
    *pos += symbols.len().div_ceil(2);
    let (table, longest) = table(&lens)?;
    let start = *pos;
    let mut bit = 0usize;
    let mut out = Vec::with_capacity(m);
    for _ in 0..m {
        let mut peek = 0usize;
        for j in 0..longest as usize {
            let at = bit + j;
            let byte = b.get(start + at / 8).copied().unwrap_or(0);
            peek |= usize::from(byte >> (at % 8) & 1) << j;
        }
        let (i, len) = *table.get(peek)?;
        bit += usize::from(len);
        if start + bit.div_ceil(8) > b.len() {
            return None;
        }
        out.push(*symbols.get(i)?);
    }
    *pos = start + bit.div_ceil(8);
    Some(out)
}

/// Each symbol's code length, from how many items have it (each count at least 1): Huffman's
/// construction, ties broken by the order of the symbols so that a build is reproducible.
fn lengths(counts: &[usize]) -> Vec<u8> {
    // Nodes 0..k are the symbols; each merge makes a node whose parent is set later.
    let k = counts.len();
    let mut parent = vec![usize::MAX; 2 * k];
    let mut heap: BinaryHeap<Reverse<(usize, usize)>> = counts
        .iter()
        .enumerate()
        .map(|(i, &c)| Reverse((c, i)))
        .collect();
    let mut next = k;
    while let (Some(Reverse((ca, a))), Some(Reverse((cb, b)))) = (heap.pop(), heap.pop()) {
        parent[a] = next;
        parent[b] = next;
        heap.push(Reverse((ca + cb, next)));
        next += 1;
    }
    (0..k)
        .map(|i| {
            let mut depth = 0u8;
            let mut at = i;
            while parent[at] != usize::MAX {
                at = parent[at];
                depth = depth.saturating_add(1);
            }
            depth
        })
        .collect()
}

/// The canonical code of each symbol of lengths `lens` (0: not used): symbols ordered by
/// length, then by index, take consecutive codes.
pub(super) fn canonical(lens: &[u8]) -> Vec<u32> {
    let mut order: Vec<usize> = (0..lens.len()).filter(|&i| lens[i] > 0).collect();
    order.sort_by_key(|&i| (lens[i], i));
    let mut codes = vec![0u32; lens.len()];
    let (mut code, mut len) = (0u32, 0u8);
    for i in order {
        code <<= lens[i] - len;
        len = lens[i];
        codes[i] = code;
        code += 1;
    }
    codes
}

/// The reader's table for lengths `lens`: for every `longest` bits as read (first bit lowest),
/// the symbol whose code they start with and its length; `None` unless the lengths make a
/// complete prefix code of at most [`MAX_LEN`] bits.
fn table(lens: &[u8]) -> Option<(Vec<(usize, u8)>, u8)> {
    let longest = lens.iter().copied().max().unwrap_or(0);
    if longest == 0 || longest > MAX_LEN {
        return None;
    }
    let kraft: u64 = lens
        .iter()
        .filter(|&&l| l > 0)
        .map(|&l| 1u64 << (longest - l))
        .sum();
    if kraft != 1 << longest {
        return None;
    }
    let codes = canonical(lens);
    let mut table = vec![(0usize, 0u8); 1 << longest];
    for (i, (&code, &len)) in codes.iter().zip(lens).enumerate() {
        if len == 0 {
            continue;
        }
        let rev = (code.reverse_bits() >> (32 - u32::from(len))) as usize;
        for high in 0..1usize << (longest - len) {
            table[rev | high << len] = (i, len);
        }
    }
    Some((table, longest))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Appends `items` in a code made for them and returns `true`; returns `false`, writing
    /// nothing, when [`Code::of`] makes none.
    fn write(items: &[u64], alphabet: Option<usize>, out: &mut Vec<u8>) -> bool {
        match Code::of(items, alphabet) {
            Some(code) => {
                let start = out.len();
                code.write(items, out);
                assert_eq!(out.len() - start, code.bytes(), "the size it said");
                true
            }
            None => false,
        }
    }

    fn round_trip(items: &[u64], alphabet: Option<usize>) -> Option<usize> {
        let mut b = vec![0xAB];
        if !write(items, alphabet, &mut b) {
            return None;
        }
        b.push(0xCD);
        let mut pos = 1;
        assert_eq!(
            read(&b, &mut pos, items.len(), alphabet).as_deref(),
            Some(items)
        );
        assert_eq!(pos, b.len() - 1, "the reader stops where the writer did");
        Some(b.len() - 2)
    }

    #[test]
    fn streams_round_trip() {
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        // Buckets mostly of one value, spread evenly, and values of a few large symbols.
        let skewed: Vec<u64> = (0..999)
            .map(|_| if next() % 10 < 8 { 2 } else { next() % 4 })
            .collect();
        let bytes = round_trip(&skewed, Some(4)).expect("coded");
        assert!(
            bytes < 999 * 2 / 8,
            "under two bits a bucket: {bytes} bytes"
        );
        let even: Vec<u64> = (0..500).map(|_| next() % 4).collect();
        round_trip(&even, Some(4)).expect("coded");
        let values: Vec<u64> = (0..300)
            .map(|_| [4, 5, 8, 1 << 40, 7][(next() % 5) as usize])
            .collect();
        round_trip(&values, None).expect("coded");
        round_trip(&[3, 0], Some(4)).expect("two items");
    }

    #[test]
    fn what_is_not_coded() {
        assert_eq!(round_trip(&[2, 2, 2], Some(4)), None, "one symbol");
        assert_eq!(round_trip(&[], None), None, "nothing");
        assert_eq!(round_trip(&[1, 5], Some(4)), None, "outside the alphabet");
        let many: Vec<u64> = (0..=MAX_SYMBOLS as u64).collect();
        assert_eq!(round_trip(&many, None), None, "too many symbols");
        round_trip(&many[1..], None).expect("as many symbols as may be");
        // Fibonacci counts make a code as deep as there are symbols.
        let mut items = Vec::new();
        let (mut a, mut b) = (1usize, 1usize);
        for s in 0..16u64 {
            items.extend(std::iter::repeat_n(s, a));
            (a, b) = (b, a + b);
        }
        assert_eq!(round_trip(&items, None), None, "a code longer than MAX_LEN");
    }

    #[test]
    fn canonical_codes() {
        // Lengths 1, 2, 3, 3 give 0, 10, 110, 111.
        assert_eq!(canonical(&[1, 2, 3, 3]), [0b0, 0b10, 0b110, 0b111]);
        assert_eq!(canonical(&[2, 0, 1, 2]), [0b10, 0, 0b0, 0b11]);
        assert_eq!(
            lengths(&[5, 1, 1, 3])
                .iter()
                .map(|&l| u32::from(l))
                .sum::<u32>(),
            1 + 2 + 3 + 3
        );
    }

    #[test]
    fn bad_codes_are_refused() {
        // Lengths 1 and 1 and 1: no prefix code.
        let b = [0x11, 0x01, 0xFF];
        assert_eq!(read(&b, &mut 0, 3, Some(4)), None);
        // Lengths 1, 1 but no bytes for the codes.
        let b = [0x11, 0x00];
        assert_eq!(read(&b, &mut 0, 9, Some(4)), None);
        // Lengths 2, 2 (incomplete).
        assert_eq!(read(&[0x22, 0x00, 0x00], &mut 0, 1, Some(4)), None);
        // A symbol count larger than the bytes.
        assert_eq!(read(&[0x7F, 0x00], &mut 0, 1, None), None);
    }
}
