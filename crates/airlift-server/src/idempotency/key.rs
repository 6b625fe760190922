//! The `Idempotency-Key` header's rules, and the hashes a key and a request are stored as.

use airlift_core::error::ApiError;
use axum::http::{HeaderValue, Method};

use crate::hashing::Sha256;

/// The header, as axum names it (case-insensitive on the wire).
pub const HEADER: &str = "idempotency-key";
const MAX_LEN: usize = 255;

/// A valid key: 1–255 visible ASCII characters (`!` to `~`, no space).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn parse(value: &HeaderValue) -> Result<Self, ApiError> {
        let bytes = value.as_bytes();
        let visible = bytes.iter().all(|b| (0x21..=0x7e).contains(b));
        if bytes.is_empty() || bytes.len() > MAX_LEN || !visible {
            return Err(ApiError::invalid_argument(format!(
                "Idempotency-Key must be 1 to {MAX_LEN} visible ASCII characters (no spaces or \
                 control characters); got {} byte(s)",
                bytes.len()
            )));
        }
        Ok(Self(String::from_utf8_lossy(bytes).into_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What the store keeps instead of the key: SHA-256 of the tenant id and the key.
    pub fn hash(&self, tenant_id: &str) -> String {
        let mut h = Sha256::new();
        h.update(tenant_id.as_bytes());
        h.update(&[0]);
        h.update(self.0.as_bytes());
        hex::encode(h.finish())
    }
}

/// SHA-256 of what makes two requests "the same": method, path and body bytes.
pub fn fingerprint(method: &Method, path: &str, body: &[u8]) -> String {
    let mut print = RequestPrint::new(method, path);
    print.update(body);
    print.finish()
}

/// [`fingerprint`] taken piece by piece, for a body that streams past instead of being held.
pub struct RequestPrint(Sha256);

impl RequestPrint {
    pub fn new(method: &Method, path: &str) -> Self {
        let mut h = Sha256::new();
        h.update(method.as_str().as_bytes());
        h.update(&[0]);
        h.update(path.as_bytes());
        h.update(&[0]);
        Self(h)
    }

    pub fn update(&mut self, body_piece: &[u8]) {
        self.0.update(body_piece);
    }

    pub fn finish(self) -> String {
        hex::encode(self.0.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &[u8]) -> Result<IdempotencyKey, ApiError> {
        IdempotencyKey::parse(&HeaderValue::from_bytes(s).unwrap())
    }

    #[test]
    fn visible_ascii_from_1_to_255_characters() {
        assert_eq!(
            parse(b"rollout-start:abc/1").unwrap().as_str(),
            "rollout-start:abc/1"
        );
        assert!(parse(&[b'k'; 255]).is_ok());
        assert!(parse(&[b'k'; 256]).is_err());
        assert!(parse(b"").is_err());
        assert!(parse(b"two words").is_err());
        assert!(parse(b"tab\there").is_err());
        assert!(parse("caf\u{e9}".as_bytes()).is_err());
    }

    #[test]
    fn hashes_separate_tenants_and_requests() {
        let k = parse(b"k1").unwrap();
        assert_ne!(k.hash("ten_a"), k.hash("ten_b"));
        let p = fingerprint(&Method::POST, "/api/v1/profiles", b"{}");
        assert_eq!(p, fingerprint(&Method::POST, "/api/v1/profiles", b"{}"));
        assert_ne!(p, fingerprint(&Method::POST, "/api/v1/profiles", b"{ }"));
        assert_ne!(p, fingerprint(&Method::POST, "/api/v1/devices", b"{}"));
    }

    #[test]
    fn a_streamed_body_prints_as_the_whole_body() {
        let mut print = RequestPrint::new(&Method::POST, "/api/v1/ota/images");
        for piece in [&b"--b\r\nContent-"[..], b"Disposition", b": form-data\r\n"] {
            print.update(piece);
        }
        assert_eq!(
            print.finish(),
            fingerprint(
                &Method::POST,
                "/api/v1/ota/images",
                b"--b\r\nContent-Disposition: form-data\r\n"
            )
        );
    }
}
