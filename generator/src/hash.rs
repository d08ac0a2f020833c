//! Content hashes: short, stable identifiers of bytes, for document versions, cache-busting
//! asset names and the service worker's precache manifest.

use sha2::{Digest, Sha256};

/// The first 16 hex digits of the SHA-256 of `bytes`.
pub fn short(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut s = String::with_capacity(16);
    for b in &digest[..8] {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// The hasher of fingerprints: foldhash's quality variant, with a fixed seed so that a
/// fingerprint is the same in every run. Several times faster than std's SipHash on the
/// front matter and page facts a rebuild hashes for every page; fingerprints are compared
/// only within one process (never stored), so no stability across versions is needed.
fn hasher() -> impl std::hash::Hasher {
    use std::hash::BuildHasher;
    foldhash::quality::FixedState::with_seed(0x736f_7461_7900_0001).build_hasher()
}

/// A fast 64-bit hash for fingerprints inside one process (not stored, not for security).
pub fn fast(bytes: &[u8]) -> u64 {
    use std::hash::Hasher;
    let mut h = hasher();
    h.write(bytes);
    h.finish()
}

/// Hashes anything hashable, for fingerprints.
pub fn of<T: std::hash::Hash + ?Sized>(v: &T) -> u64 {
    use std::hash::Hasher;
    let mut h = hasher();
    v.hash(&mut h);
    h.finish()
}
