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
//! `search.js` (`readCode`) reads exactly this; [`read`] is the Rust reader.

use super::docset::Bits;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// The longest code written: a stream whose code would be longer is not written this way, so
/// that a reader's table has at most 2^12 entries.
pub const MAX_LEN: u8 = 12;

/// At most this many distinct symbols are coded (the values of a word of many forms can have
/// more; they are then written another way).
pub const MAX_SYMBOLS: usize = 64;

/// Appends `items` in a code made for them and returns `true`; returns `false`, writing
/// nothing, when they have fewer than two distinct symbols (nothing to code), more than
/// [`MAX_SYMBOLS`], or their code would pass [`MAX_LEN`]. `alphabet`: `Some(a)` when every item is below `a` (the lengths of
/// all `a` symbols are written, not the symbols).
pub fn write(items: &[u64], alphabet: Option<usize>, out: &mut Vec<u8>) -> bool {
    // The symbols (few: a search of a short list beats sorting every item).
    let mut counts: Vec<(u64, usize)> = Vec::new();
    for &v in items {
        match counts.iter_mut().find(|(s, _)| *s == v) {
            Some((_, c)) => *c += 1,
            None => counts.push((v, 1)),
        }
        if counts.len() > MAX_SYMBOLS {
            return false;
        }
    }
    counts.sort_unstable();
    if counts.len() < 2 || alphabet.is_some_and(|a| counts.iter().any(|&(v, _)| v >= a as u64)) {
        return false;
    }
    let lens = lengths(&counts.iter().map(|&(_, c)| c).collect::<Vec<_>>());
    if lens.iter().any(|&l| l > MAX_LEN) {
        return false;
    }
    let symbols: Vec<u64> = counts.iter().map(|&(v, _)| v).collect();
    let mut nibbles = Vec::new();
    match alphabet {
        Some(a) => {
            for s in 0..a as u64 {
                nibbles.push(symbols.binary_search(&s).map_or(0, |i| lens[i]));
            }
        }
        None => {
            super::varint::put(out, symbols.len() as u64);
            let mut last = 0;
            for (i, &s) in symbols.iter().enumerate() {
                super::varint::put(out, if i == 0 { s } else { s - last });
                last = s;
            }
            nibbles.extend_from_slice(&lens);
        }
    }
    for pair in nibbles.chunks(2) {
        out.push(pair[0] | pair.get(1).copied().unwrap_or(0) << 4);
    }
    let codes = canonical(&lens);
    let mut bits = Bits::new(out);
    for v in items {
        // Every item is one of `symbols` (they were made from the items).
        let i = symbols.iter().position(|s| s == v).unwrap_or(0);
        let (code, len) = (codes[i], lens[i]);
        for j in (0..len).rev() {
            bits.push(code >> j & 1 != 0);
        }
    }
    true
}

/// Reads `m` items written by [`write`] with the same `alphabet`, moving `*pos` past them;
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
