//! The offline search index: one file in the site (`search/index.<hash>.bin`) that the
//! browser downloads once and searches with no network, with the same ranking as the server.
//!
//! Format (all integers little-endian; varints are LEB128):
//! ```text
//! "STX1"  u32 header_len  header (JSON)  postings...
//! header   = {"n": N, "docs": [DocInfo], "terms": [folded word], "variants": [[exact form]],
//!             "fold": {char: [folded, base, tone]}}
//! postings = for each term, in header order:
//!            varint byte_len, then: varint count, count x (varint doc gap [, varint mask])
//! ```
//! `variants[i]` lists the exact forms of term i found in the documents, most frequent first;
//! when it has more than one, each posting carries a bit mask of the forms that document
//! holds. `fold` is the normaliser's table, generated from `crate::text`, so that the browser
//! folds queries exactly as the server does without a second implementation to keep in step.

use super::index::{SearchDoc, TermCache};
use super::{DocInfo, Postings};
use std::collections::{BTreeMap, HashMap};

const MAGIC: &[u8; 4] = b"STX1";
/// At most this many exact forms per folded word carry a mask bit; rarer ones are dropped
/// from the offline index (and so from ranking on both sides, see `exact_docs`).
pub const MAX_VARIANTS: usize = 32;

/// Builds the offline index file from the documents' interned words. `passes` (at least 1):
/// how many times the documents' words are read, each time for a slice of the terms; more
/// passes take longer and hold fewer postings at once (a one-shot build's peak memory).
pub fn build(
    docs: &[SearchDoc],
    cache: &TermCache,
    kinds: &[crate::config::Kind],
    passes: usize,
) -> Vec<u8> {
    let words = &cache.words;
    // Postings per folded word: counted first, so that each group of words gets one flat array
    // of (exact id, doc) pairs, in document order within each word, that never grows.
    let mut counts = vec![0usize; words.len()];
    for d in docs {
        for &(f, _) in d.words.iter() {
            counts[f as usize] += 1;
        }
    }
    let mut terms: Vec<u32> = (0..words.len() as u32)
        .filter(|&t| counts[t as usize] > 0)
        .collect();
    terms.sort_unstable_by(|&a, &b| words[a as usize].cmp(&words[b as usize]));
    let total: usize = counts.iter().sum();
    // The words in groups (consecutive in header order), each filled by its own pass over the
    // documents: with 4 passes the flat array is a quarter of all postings, which keeps a full
    // build's peak memory down (it is the largest thing alive at this point).
    let group_target = total.div_ceil(passes.max(1)).max(1 << 20);
    let mut names = Vec::with_capacity(terms.len());
    let mut variants: Vec<Vec<&str>> = Vec::with_capacity(terms.len());
    let mut body = Vec::new();
    let mut p = Vec::new();
    // Term id -> its place in the current group's flat array (usize::MAX: not in the group).
    let mut slot = vec![usize::MAX; words.len()];
    let mut flat: Vec<(u32, u32)> = Vec::new();
    let mut g0 = 0;
    while g0 < terms.len() {
        let mut g1 = g0;
        let mut size = 0;
        while g1 < terms.len() && (g1 == g0 || size + counts[terms[g1] as usize] <= group_target) {
            slot[terms[g1] as usize] = size;
            size += counts[terms[g1] as usize];
            g1 += 1;
        }
        let group = &terms[g0..g1];
        flat.clear();
        flat.resize(size, (0, 0));
        for (ord, d) in docs.iter().enumerate() {
            for &(f, e) in d.words.iter() {
                let at = &mut slot[f as usize];
                if *at != usize::MAX {
                    flat[*at] = (e, ord as u32);
                    *at += 1;
                }
            }
        }
        let mut start = 0;
        for &t in group {
            let n = counts[t as usize];
            slot[t as usize] = usize::MAX;
            let postings = &flat[start..start + n];
            start += n;
            // Forms of the word, most frequent first, then alphabetical.
            let mut forms: Vec<(u32, usize)> = Vec::new();
            for &(e, _) in postings {
                match forms.iter_mut().find(|(x, _)| *x == e) {
                    Some(f) => f.1 += 1,
                    None => forms.push((e, 1)),
                }
            }
            forms.sort_by(|a, b| {
                b.1.cmp(&a.1)
                    .then_with(|| words[a.0 as usize].cmp(&words[b.0 as usize]))
            });
            forms.truncate(MAX_VARIANTS);
            let bit = |e: u32| {
                forms
                    .iter()
                    .position(|(x, _)| *x == e)
                    .map_or(0, |i| 1u32 << i)
            };
            let multi = forms.len() > 1;
            // Documents come in order; a document's forms are next to each other.
            p.clear();
            let count = postings.windows(2).filter(|w| w[0].1 != w[1].1).count()
                + usize::from(!postings.is_empty());
            varint(&mut p, count as u64);
            let mut prev: Option<u32> = None;
            let mut i = 0;
            while i < postings.len() {
                let d = postings[i].1;
                // Documents whose only forms were dropped still contain the folded word.
                let mut mask = 0u32;
                while i < postings.len() && postings[i].1 == d {
                    mask |= bit(postings[i].0);
                    i += 1;
                }
                varint(
                    &mut p,
                    u64::from(match prev {
                        None => d,
                        Some(x) => d - x,
                    }),
                );
                prev = Some(d);
                if multi {
                    varint(&mut p, u64::from(mask));
                }
            }
            varint(&mut body, p.len() as u64);
            body.extend_from_slice(&p);
            names.push(words[t as usize].as_str());
            variants.push(
                forms
                    .iter()
                    .map(|(e, _)| words[*e as usize].as_str())
                    .collect(),
            );
        }
        g0 = g1;
    }
    drop(flat);
    #[derive(serde::Serialize)]
    struct Header<'a> {
        n: usize,
        docs: Vec<&'a DocInfo>,
        terms: Vec<&'a str>,
        variants: Vec<Vec<&'a str>>,
        fold: BTreeMap<String, (String, String, u8)>,
        kinds: BTreeMap<&'a str, &'a str>,
    }
    let header = Header {
        n: docs.len(),
        docs: docs.iter().map(|d| &*d.info).collect(),
        terms: names,
        variants,
        fold: fold_table(),
        kinds: kinds
            .iter()
            .map(|k| (k.id.as_str(), k.label.as_str()))
            .collect(),
    };
    let header = serde_json::to_vec(&header).unwrap_or_default();
    let mut out = Vec::with_capacity(8 + header.len() + body.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&(header.len() as u32).to_le_bytes());
    out.extend_from_slice(&header);
    out.extend_from_slice(&body);
    out
}

/// For every letter the browser may meet in Vietnamese or other Latin text: its folded form,
/// and its base (vowel marks kept, tone removed) with the tone digit. Generated from
/// `crate::text`, the one implementation.
pub fn fold_table() -> BTreeMap<String, (String, String, u8)> {
    let ranges = [
        '\u{00C0}'..='\u{024F}',
        '\u{1E00}'..='\u{1EFF}',
        '\u{0300}'..='\u{036F}',
    ];
    let mut t = BTreeMap::new();
    for c in ranges.into_iter().flatten() {
        let lower: String = c.to_lowercase().collect();
        let mut folded = String::new();
        for lc in lower.chars() {
            crate::text::push_folded(lc, &mut folded);
        }
        let exact = crate::text::exact(&lower);
        let (base, tone) = match exact.chars().last() {
            Some(d @ '1'..='5') if !lower.ends_with(d) => {
                (exact[..exact.len() - 1].to_string(), d as u8 - b'0')
            }
            _ => (exact, 0),
        };
        if folded != lower || base != lower || tone != 0 {
            t.insert(c.to_string(), (folded, base, tone));
        }
    }
    t
}

fn varint(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return;
        } else {
            out.push(b | 0x80);
        }
    }
}

fn read_varint(b: &[u8], pos: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    let mut shift = 0;
    loop {
        let byte = *b.get(*pos)?;
        *pos += 1;
        v |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some(v);
        }
        shift += 7;
        if shift > 63 {
            return None;
        }
    }
}

/// A reader of the offline index in Rust: what the browser does, for tests and tools.
pub struct OfflineIndex {
    pub docs: Vec<DocInfo>,
    terms: HashMap<String, (usize, Vec<String>)>,
    bytes: Vec<u8>,
    n: u32,
}

#[derive(serde::Deserialize)]
struct Header {
    n: u32,
    docs: Vec<DocInfo>,
    terms: Vec<String>,
    variants: Vec<Vec<String>>,
}

impl OfflineIndex {
    pub fn parse(bytes: Vec<u8>) -> Result<OfflineIndex, String> {
        if bytes.get(..4) != Some(MAGIC) {
            return Err("not an offline index".into());
        }
        let len = u32::from_le_bytes(
            bytes
                .get(4..8)
                .ok_or("truncated")?
                .try_into()
                .map_err(|_| "truncated")?,
        ) as usize;
        let header: Header = serde_json::from_slice(bytes.get(8..8 + len).ok_or("truncated")?)
            .map_err(|e| e.to_string())?;
        let mut pos = 8 + len;
        let mut terms = HashMap::new();
        for (name, vars) in header.terms.into_iter().zip(header.variants) {
            let blen = read_varint(&bytes, &mut pos).ok_or("truncated postings")? as usize;
            terms.insert(name, (pos, vars));
            pos += blen;
        }
        Ok(OfflineIndex {
            docs: header.docs,
            terms,
            bytes,
            n: header.n,
        })
    }

    /// (doc, mask) pairs of a folded word.
    fn postings(&self, folded: &str) -> (Vec<(u32, u32)>, &[String]) {
        let Some((start, vars)) = self.terms.get(folded) else {
            return (Vec::new(), &[]);
        };
        let mut pos = *start;
        let b = &self.bytes;
        let count = read_varint(b, &mut pos).unwrap_or(0);
        let mut out = Vec::with_capacity(count as usize);
        let mut doc = 0u32;
        for i in 0..count {
            let gap = read_varint(b, &mut pos).unwrap_or(0) as u32;
            doc = if i == 0 { gap } else { doc + gap };
            let mask = if vars.len() > 1 {
                read_varint(b, &mut pos).unwrap_or(0) as u32
            } else {
                1
            };
            out.push((doc, mask));
        }
        (out, vars)
    }
}

impl Postings for OfflineIndex {
    fn num_docs(&self) -> u32 {
        self.n
    }
    fn docs(&self, folded: &str) -> Vec<u32> {
        self.postings(folded)
            .0
            .into_iter()
            .map(|(d, _)| d)
            .collect()
    }
    fn exact_docs(&self, exact: &str, folded: &str) -> Vec<u32> {
        let (list, vars) = self.postings(folded);
        match vars.iter().position(|v| v == exact) {
            Some(bit) => list
                .into_iter()
                .filter(|(_, m)| m & (1 << bit) != 0)
                .map(|(d, _)| d)
                .collect(),
            None => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_round_trip() {
        for v in [0u64, 1, 127, 128, 300, 16_384, u32::MAX as u64] {
            let mut b = Vec::new();
            varint(&mut b, v);
            let mut pos = 0;
            assert_eq!(read_varint(&b, &mut pos), Some(v));
            assert_eq!(pos, b.len());
        }
    }

    #[test]
    fn fold_table_covers_vietnamese() {
        let t = fold_table();
        assert_eq!(t["Đ"], ("d".to_string(), "đ".to_string(), 0));
        assert_eq!(t["ả"], ("a".to_string(), "a".to_string(), 3));
        assert_eq!(t["Ệ"], ("e".to_string(), "ê".to_string(), 5));
        assert_eq!(t["ờ"], ("o".to_string(), "ơ".to_string(), 2));
        assert_eq!(t["\u{0301}"], (String::new(), String::new(), 1));
    }
}
