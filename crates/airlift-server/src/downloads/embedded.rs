//! Download URLs of the server itself (embedded storage): `{public_url}/api/v1/{key}?
//! expires=UNIX&signature=HEX`, where the signature is HMAC-SHA256, under a key of the server,
//! of the object key and the expiry. A URL opens only the object it names, only until it
//! expires, and any change to its path or query breaks the signature.

use ring::hmac;

use crate::artifacts::keys;

/// The route prefix the URLs' paths start with (then the object key).
pub const ROUTE_PREFIX: &str = "/api/v1/";

pub struct EmbeddedSigner {
    key: hmac::Key,
    /// `--public-url` without a trailing slash.
    base: String,
}

/// Why a URL is refused (each answers 403).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The signature is not the server's for this object and expiry.
    BadSignature,
    Expired,
    /// The key is not one download URLs are handed out for.
    NotDownloadable,
}

impl EmbeddedSigner {
    pub fn new(secret: &[u8], public_url: &url::Url) -> Self {
        Self {
            key: hmac::Key::new(hmac::HMAC_SHA256, secret),
            base: public_url.as_str().trim_end_matches('/').to_owned(),
        }
    }

    fn mac(&self, object_key: &str, expires_at: u64) -> hmac::Tag {
        hmac::sign(&self.key, &message(object_key, expires_at))
    }

    /// The URL of `object_key` (a `firmware/…` key) valid until `expires_at` (unix seconds).
    pub fn url(&self, object_key: &str, expires_at: u64) -> String {
        let signature = hex::encode(self.mac(object_key, expires_at).as_ref());
        format!(
            "{}{ROUTE_PREFIX}{object_key}?expires={expires_at}&signature={signature}",
            self.base
        )
    }

    /// Checks a request for `object_key` carrying `expires` and `signature`, at unix second
    /// `now`. The signature is checked first (in constant time), so an altered expiry is
    /// "altered", not "expired".
    pub fn check(
        &self,
        object_key: &str,
        expires_at: u64,
        signature: &str,
        now: u64,
    ) -> Result<(), Refusal> {
        if !is_downloadable(object_key) {
            return Err(Refusal::NotDownloadable);
        }
        let tag = hex::decode(signature).map_err(|_| Refusal::BadSignature)?;
        hmac::verify(&self.key, &message(object_key, expires_at), &tag)
            .map_err(|_| Refusal::BadSignature)?;
        if now >= expires_at {
            return Err(Refusal::Expired);
        }
        Ok(())
    }
}

/// Only verified packages get download URLs: never upload parts, images or staging.
pub fn is_downloadable(object_key: &str) -> bool {
    object_key
        .strip_prefix(keys::FIRMWARE)
        .is_some_and(|rest| rest.starts_with('/'))
}

/// What is signed: a purpose label, so the tag can never be mistaken for another MAC of the
/// same key, then the key and the expiry.
fn message(object_key: &str, expires_at: u64) -> Vec<u8> {
    format!("airliftd download v1\nGET\n{object_key}\n{expires_at}").into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer() -> EmbeddedSigner {
        EmbeddedSigner::new(
            &[7u8; 32],
            &url::Url::parse("http://127.0.0.1:8080/").unwrap(),
        )
    }

    #[test]
    fn a_url_opens_its_object_until_it_expires() {
        let s = signer();
        let key = "firmware/t1/1.0.0/ab.bin";
        let url = s.url(key, 1000);
        assert!(url.starts_with(
            "http://127.0.0.1:8080/api/v1/firmware/t1/1.0.0/ab.bin?expires=1000&signature="
        ));
        let sig = url.rsplit_once("signature=").unwrap().1;
        assert_eq!(s.check(key, 1000, sig, 999), Ok(()));
        assert_eq!(s.check(key, 1000, sig, 1000), Err(Refusal::Expired));
        assert_eq!(s.check(key, 1001, sig, 999), Err(Refusal::BadSignature));
        assert_eq!(
            s.check("firmware/t1/1.0.0/cd.bin", 1000, sig, 999),
            Err(Refusal::BadSignature)
        );
        assert_eq!(s.check(key, 1000, "zz", 999), Err(Refusal::BadSignature));
        assert_eq!(
            s.check("images/t1/x.bin", 1000, sig, 999),
            Err(Refusal::NotDownloadable)
        );
    }
}
