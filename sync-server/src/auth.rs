//! Tokens: random, shown once, stored only as a SHA-256 hash. Member tokens start with `m_`,
//! admin tokens with `a_`, so a token pasted in the wrong place is recognised.

use sha2::{Digest, Sha256};

/// A new random token with `prefix` ("m_" or "a_"): 32 random bytes in hex.
pub fn new_token(prefix: &str) -> Result<String, String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| format!("no randomness available: {e}"))?;
    let mut s = String::with_capacity(prefix.len() + 64);
    s.push_str(prefix);
    for b in bytes {
        s.push_str(&format!("{b:02x}"));
    }
    Ok(s)
}

/// The stored form of a token.
pub fn hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// The public id of a token, from its stored hash: the first 8 bytes in hex. Shown on the
/// dashboard and in logs; it tells nothing about the token itself.
pub fn public_id(hash: &[u8]) -> String {
    hash.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// The token of an `Authorization: Bearer ...` header, if it is well formed.
pub fn bearer(header: Option<&str>, prefix: &str) -> Option<String> {
    let h = header?.trim();
    let t = h
        .strip_prefix("Bearer ")
        .or_else(|| h.strip_prefix("bearer "))?
        .trim();
    (t.starts_with(prefix)
        && t.len() == prefix.len() + 64
        && t[prefix.len()..].bytes().all(|b| b.is_ascii_hexdigit()))
    .then(|| t.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens() {
        let t = new_token("m_").expect("token");
        assert_eq!(t.len(), 66);
        assert_ne!(t, new_token("m_").expect("token"));
        assert_eq!(bearer(Some(&format!("Bearer {t}")), "m_"), Some(t.clone()));
        assert_eq!(bearer(Some(&format!("Bearer {t}")), "a_"), None);
        assert_eq!(bearer(Some("Bearer m_123"), "m_"), None);
        assert_eq!(hash(&t).len(), 32);
    }
}
