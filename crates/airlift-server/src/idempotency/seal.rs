//! Sealing kept answers. A create's answer can carry secrets (`POST /devices` returns device
//! tokens, which are otherwise stored only as hashes), so the store keeps it encrypted
//! (ChaCha20-Poly1305) under a key derived from the installation secret and the
//! `Idempotency-Key` itself: the database alone, or the secret file alone, reads nothing, and
//! only a request carrying the key can open its answer.

use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, CHACHA20_POLY1305, NONCE_LEN};
use ring::hkdf::Prk;

fn key(root: &Prk, tenant_id: &str, idempotency_key: &str) -> LessSafeKey {
    let info = [
        b"idempotency answer".as_slice(),
        tenant_id.as_bytes(),
        &[0],
        idempotency_key.as_bytes(),
    ];
    // expand() fails only for an output longer than 255 hash lengths; 32 bytes never is.
    let okm = root
        .expand(&info, &CHACHA20_POLY1305)
        .expect("a 32-byte HKDF output is always available");
    LessSafeKey::new(UnboundKey::from(okm))
}

/// `nonce || ciphertext || tag`.
pub fn seal(
    root: &Prk,
    tenant_id: &str,
    idempotency_key: &str,
    plain: &[u8],
) -> anyhow::Result<Vec<u8>> {
    let mut nonce = [0u8; NONCE_LEN];
    getrandom::fill(&mut nonce).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    let mut buf = plain.to_vec();
    key(root, tenant_id, idempotency_key)
        .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::empty(), &mut buf)
        .map_err(|_| anyhow::anyhow!("sealing failed"))?;
    let mut out = nonce.to_vec();
    out.extend_from_slice(&buf);
    Ok(out)
}

/// The plain answer, or None if `sealed` was not sealed for this tenant and key (or the
/// installation secret changed).
pub fn open(root: &Prk, tenant_id: &str, idempotency_key: &str, sealed: &[u8]) -> Option<Vec<u8>> {
    if sealed.len() < NONCE_LEN {
        return None;
    }
    let (nonce, rest) = sealed.split_at(NONCE_LEN);
    let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
    let mut buf = rest.to_vec();
    let plain = key(root, tenant_id, idempotency_key)
        .open_in_place(nonce, Aad::empty(), &mut buf)
        .ok()?;
    Some(plain.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::hkdf::{Salt, HKDF_SHA256};

    #[test]
    fn only_the_same_tenant_and_key_open_an_answer() {
        let root = Salt::new(HKDF_SHA256, b"test").extract(b"secret");
        let sealed = seal(&root, "ten_a", "k1", b"{\"device_token\":\"s3cret\"}").unwrap();
        assert!(!sealed.windows(6).any(|w| w == b"s3cret"));
        assert_eq!(
            open(&root, "ten_a", "k1", &sealed).as_deref(),
            Some(&b"{\"device_token\":\"s3cret\"}"[..])
        );
        assert_eq!(open(&root, "ten_a", "k2", &sealed), None);
        assert_eq!(open(&root, "ten_b", "k1", &sealed), None);
        let other = Salt::new(HKDF_SHA256, b"test").extract(b"other secret");
        assert_eq!(open(&other, "ten_a", "k1", &sealed), None);
    }
}
