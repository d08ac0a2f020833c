//! Varints (LEB128: seven bits a byte, least significant first, the high bit set on every
//! byte but the last), the integers of the browser's index files (`shards`, `huffman`).

/// Appends `v` as a varint.
pub fn put(out: &mut Vec<u8>, mut v: u64) {
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

/// Reads a varint at `*pos`, moving `*pos` past it; `None` when the bytes end first or it
/// passes 64 bits.
pub fn get(b: &[u8], pos: &mut usize) -> Option<u64> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_round_trip() {
        for v in [0u64, 1, 127, 128, 300, 16_384, u32::MAX as u64] {
            let mut b = Vec::new();
            put(&mut b, v);
            let mut pos = 0;
            assert_eq!(get(&b, &mut pos), Some(v));
            assert_eq!(pos, b.len());
        }
    }
}
