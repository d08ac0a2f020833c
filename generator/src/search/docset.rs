//! The documents of one term in the browser's index (`shards.rs`), Golomb-coded: a term in
//! `count` of `n` documents costs about `count · (log₂(n/count) + 1.5)` bits, near what a
//! random set of that size needs, where the varint gaps and bitmaps before cost 10% more even
//! after gzip (measured at 10,000 documents: 1,616 KB gzip, now 1,436 KB; Golomb-coded bits
//! are left as they are by gzip).
//!
//! - A term in more than half of the documents stores the documents that do *not* hold it.
//! - The stored documents, in order, as gaps: the first document, then each one's distance to
//!   the one before less one.
//! - Each gap `g` in the Golomb code of parameter `b` (see [`parameter`], made from `n` and
//!   the stored count alone, so nothing but the count is stored): `g / b` one-bits and a
//!   zero-bit, then the remainder `r = g % b` in `k − 1` or `k` bits (`k = ⌈log₂ b⌉`, `s =
//!   2^k − b`): `r < s` as `k − 1` bits; else `t = r − s` as `s + t / 2` in `k − 1` bits and
//!   then `t % 2` in one. (Truncated binary, with its long codes' extra bit last, so that every
//!   number is read least significant bit first: `search.js` reads several bits at once.)
//! - Bits fill each byte from its lowest bit; the last byte is padded with zeros.
//!
//! `search.js` (`readDocs`) decodes exactly this; [`read`] is the Rust decoder the tests and
//! `OfflineIndex` use.

/// The Golomb parameter of `stored` gaps among `n` documents: ⌊0.69 · n / stored⌋, at least
/// 1 (near the optimal ⌈log(2 − p) / −log(1 − p)⌉ for density p = stored / n, in integers so
/// that `search.js` computes the same).
pub fn parameter(stored: usize, n: usize) -> u32 {
    if stored == 0 {
        return 1;
    }
    let b = (69u64 * n as u64) / (100 * stored as u64);
    b.clamp(1, u64::from(u32::MAX >> 1)) as u32
}

/// Whether the documents that do not hold a term in `count` of `n` are stored instead.
pub fn complement(count: usize, n: usize) -> bool {
    count.saturating_mul(2) > n
}

/// Bits appended to a byte vector, each byte filled from its lowest bit (the last padded
/// with zeros).
pub(super) struct Bits<'a> {
    out: &'a mut Vec<u8>,
    used: u32,
}

impl<'a> Bits<'a> {
    /// Bits from the end of `out`, starting a new byte.
    pub(super) fn new(out: &'a mut Vec<u8>) -> Self {
        Bits { out, used: 0 }
    }

    pub(super) fn push(&mut self, bit: bool) {
        if self.used == 0 {
            self.out.push(0);
        }
        if bit {
            if let Some(last) = self.out.last_mut() {
                *last |= 1 << self.used;
            }
        }
        self.used = (self.used + 1) % 8;
    }

    /// The low `k` bits of `v`, least significant first.
    pub(super) fn push_low(&mut self, v: u32, k: u32) {
        for i in 0..k {
            self.push(v >> i & 1 != 0);
        }
    }
}

/// Appends the code of `docs` (ascending, distinct, each below `n`) to `out`.
pub fn write(docs: &[u32], n: usize, out: &mut Vec<u8>) {
    let flip = complement(docs.len(), n);
    let without;
    let stored: &[u32] = if flip {
        without = others(docs, n);
        &without
    } else {
        docs
    };
    let b = parameter(stored.len(), n);
    let k = 32 - (b - 1).leading_zeros();
    let short = (1u32 << k) - b;
    let mut bits = Bits::new(out);
    let mut next = 0u32;
    for &d in stored {
        let g = d.saturating_sub(next);
        next = d + 1;
        for _ in 0..g / b {
            bits.push(true);
        }
        bits.push(false);
        let r = g % b;
        let low = k.saturating_sub(1);
        if k > 0 && r < short {
            bits.push_low(r, low);
        } else if k > 0 {
            let t = r - short;
            bits.push_low(short + t / 2, low);
            bits.push(t & 1 != 0);
        }
    }
}

/// Reads the documents of a term in `count` of `n` documents from `b` at `*pos`, moving `*pos`
/// past them; `None` when the bytes end first or the code runs past `n`.
pub fn read(b: &[u8], pos: &mut usize, count: usize, n: usize) -> Option<Vec<u32>> {
    let flip = complement(count, n);
    let stored = if flip { n.checked_sub(count)? } else { count };
    let p = parameter(stored, n);
    let k = 32 - (p - 1).leading_zeros();
    let short = (1u32 << k) - p;
    let mut bit = 0usize;
    let start = *pos;
    let mut next_bit = || -> Option<u32> {
        let byte = *b.get(start + bit / 8)?;
        let v = u32::from(byte >> (bit % 8) & 1);
        bit += 1;
        Some(v)
    };
    let mut docs = Vec::with_capacity(stored);
    let mut next = 0u64;
    for _ in 0..stored {
        let mut q = 0u64;
        while next_bit()? == 1 {
            q += 1;
            if q > n as u64 {
                return None;
            }
        }
        let mut r = 0u32;
        for i in 0..k.saturating_sub(1) {
            r |= next_bit()? << i;
        }
        if k > 0 && r >= short {
            r = short + 2 * (r - short) + next_bit()?;
        }
        let d = next + q * u64::from(p) + u64::from(r);
        if d >= n as u64 {
            return None;
        }
        docs.push(d as u32);
        next = d + 1;
    }
    *pos = start + bit.div_ceil(8);
    Some(if flip { others(&docs, n) } else { docs })
}

/// The documents below `n` that are not in `docs` (ascending).
fn others(docs: &[u32], n: usize) -> Vec<u32> {
    let mut out = Vec::with_capacity(n.saturating_sub(docs.len()));
    let mut it = docs.iter().peekable();
    for d in 0..n as u32 {
        if it.peek() == Some(&&d) {
            it.next();
        } else {
            out.push(d);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(docs: &[u32], n: usize) -> usize {
        let mut b = vec![0xAB];
        write(docs, n, &mut b);
        b.push(0xCD);
        let mut pos = 1;
        assert_eq!(
            read(&b, &mut pos, docs.len(), n).as_deref(),
            Some(docs),
            "n {n}"
        );
        assert_eq!(b.get(pos), Some(&0xCD), "the code ends where it says");
        b.len() - 2
    }

    #[test]
    fn sets_round_trip() {
        // Made-up sets of every density, from a small deterministic generator.
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for n in [1usize, 2, 3, 7, 8, 9, 51, 1000, 10_000] {
            for per_mille in [0u64, 1, 10, 100, 300, 499, 500, 501, 700, 990, 1000] {
                let docs: Vec<u32> = (0..n as u32)
                    .filter(|_| next() % 1000 < per_mille)
                    .collect();
                round_trip(&docs, n);
            }
        }
        round_trip(&[0], 1);
        round_trip(&[9_999], 10_000);
        round_trip(&(0..10_000).collect::<Vec<_>>(), 10_000);
    }

    #[test]
    fn near_what_a_random_set_needs() {
        // A term in every 10th document of 10,000: entropy 10,000 · H(0.1) = 4,690 bits.
        let docs: Vec<u32> = (0..1000).map(|i| i * 10 + (i * 7) % 10).collect();
        let bytes = round_trip(&docs, 10_000);
        assert!(bytes < 700, "{bytes} bytes");
        // One document of 10,000: two bytes, as a varint was.
        assert_eq!(round_trip(&[4321], 10_000), 2);
        // In every document: nothing stored.
        assert_eq!(round_trip(&(0..500).collect::<Vec<_>>(), 500), 0);
    }

    #[test]
    fn bad_codes_are_refused() {
        // Runs past the bytes.
        assert_eq!(read(&[0xFF], &mut 0, 3, 10_000), None);
        // A document past n.
        assert_eq!(read(&[0xFF, 0xFF, 0xFF], &mut 0, 1, 4), None);
        // More documents than the site has.
        assert_eq!(read(&[0], &mut 0, 11, 10), None);
    }

    #[test]
    fn parameters() {
        assert_eq!(parameter(1, 10_000), 6900);
        assert_eq!(parameter(5000, 10_000), 1);
        assert_eq!(parameter(1000, 10_000), 6);
        assert_eq!(parameter(0, 10), 1);
        assert!(complement(6, 10) && !complement(5, 10));
    }
}
