//! Device tokens: 32 random bytes, shown once at provisioning, stored only as SHA-256.
//!
//! A plain (unsalted) SHA-256 is enough here, unlike for passwords: the token has 256 bits of
//! entropy, so there is nothing to brute-force, and an unsalted hash can be looked up by index.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

/// The prefix makes a leaked token recognisable to secret scanners and to people.
pub const PREFIX: &str = "adt_";

pub fn generate() -> anyhow::Result<String> {
    let mut raw = [0u8; 32];
    getrandom::fill(&mut raw).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    Ok(format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(raw)))
}

/// What the database keeps (hex SHA-256 of the whole token string).
pub fn hash(token: &str) -> String {
    crate::hashing::sha256_hex(token.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unique_and_hash_stably() {
        let a = generate().unwrap();
        let b = generate().unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with(PREFIX));
        assert_eq!(hash(&a), hash(&a));
        assert_eq!(hash(&a).len(), 64);
    }
}
