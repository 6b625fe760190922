//! The simulated fleet's verifier: airlift-device's checks (SHA-256, then the signature
//! against one of the tenant's public keys), shared by every device of the fleet.
//!
//! A verifier built with [`Verifier::fetching`] learns keys registered after the fleet started:
//! a signature that verifies with none of the known keys makes it fetch the tenant's keys again
//! (see [`crate::key_refresh`]) before the device gives up.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use airlift_core::signing::PublicKey;
use airlift_core::wire::SigningKey;
use airlift_device::verify::{checked_digest, verify_signature};
use tokio::time::Instant;

use crate::key_refresh::KeyRefresh;
use crate::user_api::UserApi;

pub use airlift_device::verify::VerifyError;

/// (digest, signature) pairs that verified.
type Verified = HashSet<([u8; 32], String)>;

/// The keys a device trusts. With no keys, signatures are not checked (the CLI warns).
///
/// A fleet shares one verifier (clones share keys, memo and refresh state). Every device
/// hashes its own bytes; a (digest, signature) pair that already verified is remembered, so
/// 10,000 devices holding the same bytes do not repeat the same public-key operation.
/// Corrupted bytes have another digest and miss it.
#[derive(Debug, Clone, Default)]
pub struct Verifier {
    keys: Arc<RwLock<Arc<[PublicKey]>>>,
    verified: Arc<Mutex<Verified>>,
    refresh: Option<Arc<KeyRefresh>>,
}

impl Verifier {
    /// Fixed keys (`--public-key`): never fetched again.
    pub fn new(keys: Vec<PublicKey>) -> Self {
        Self {
            keys: Arc::new(RwLock::new(keys.into())),
            verified: Arc::default(),
            refresh: None,
        }
    }

    /// The tenant's keys as listed by `GET /api/v1/signing-keys` (revoked ones included: a
    /// revocation stops new packages, it does not unsign the ones already published).
    pub fn from_listed(keys: &[SigningKey]) -> Result<Self, String> {
        parse_listed(keys).map(Self::new)
    }

    /// The tenant's keys fetched now with `api`, and fetched again when a signature verifies
    /// with none of them: at most once per `min_interval` across every clone, one fetch at a
    /// time (a device that meets the same unknown signature meanwhile waits for that fetch).
    pub async fn fetching(api: UserApi, min_interval: Duration) -> Result<Self, String> {
        let listed = api
            .signing_keys()
            .await
            .map_err(|e| format!("fetching the tenant's signing keys: {e}"))?;
        let mut v = Self::from_listed(&listed)?;
        v.refresh = Some(Arc::new(KeyRefresh::new(api, min_interval, Instant::now())));
        Ok(v)
    }

    /// A PEM SubjectPublicKeyInfo of either algorithm.
    pub fn parse_pem(pem: &str) -> Result<PublicKey, String> {
        airlift_device::verify::parse_pem(pem)
    }

    fn memo(&self) -> std::sync::MutexGuard<'_, Verified> {
        self.verified.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn current_keys(&self) -> Arc<[PublicKey]> {
        self.keys.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn install_keys(&self, keys: Vec<PublicKey>) {
        *self.keys.write().unwrap_or_else(|p| p.into_inner()) = keys.into();
    }

    pub fn key_count(&self) -> usize {
        self.current_keys().len()
    }

    /// How many times the tenant's keys were fetched again after a signature did not verify.
    pub fn refreshes(&self) -> u64 {
        self.refresh.as_ref().map_or(0, |r| r.fetches())
    }

    /// Checks `bytes` against the announced checksum and signature with the keys known now.
    pub fn check(
        &self,
        bytes: &[u8],
        checksum_hex: &str,
        signature: Option<&str>,
    ) -> Result<(), VerifyError> {
        let digest = checked_digest(bytes, checksum_hex)?;
        self.check_signature(&digest, signature)
    }

    /// Like [`Verifier::check`], but a signature that verifies with no known key is checked
    /// again against the tenant's keys as they are after `job_started` (the moment the device
    /// took the job: its package, and so the key that signed it, existed by then). Without a
    /// key source, the same as `check`.
    pub async fn check_learning(
        &self,
        bytes: &[u8],
        checksum_hex: &str,
        signature: Option<&str>,
        job_started: Instant,
    ) -> Result<(), VerifyError> {
        let digest = checked_digest(bytes, checksum_hex)?;
        let first = self.check_signature(&digest, signature);
        let Some(refresh) = &self.refresh else {
            return first;
        };
        let Err(VerifyError::Signature { keys }) = first else {
            return first;
        };
        refresh
            .fetched_since(job_started, |listed| {
                parse_listed(listed).map(|keys| self.install_keys(keys))
            })
            .await
            .map_err(|reason| VerifyError::KeysUnavailable { keys, reason })?;
        self.check_signature(&digest, signature)
    }

    fn check_signature(
        &self,
        digest: &[u8; 32],
        signature: Option<&str>,
    ) -> Result<(), VerifyError> {
        let keys = self.current_keys();
        if keys.is_empty() {
            return Ok(());
        }
        let memo = signature.map(|sig| (*digest, sig.trim().to_owned()));
        if memo.as_ref().is_some_and(|m| self.memo().contains(m)) {
            return Ok(());
        }
        verify_signature(&keys, digest, signature)?;
        if let Some(m) = memo {
            self.memo().insert(m);
        }
        Ok(())
    }
}

fn parse_listed(keys: &[SigningKey]) -> Result<Vec<PublicKey>, String> {
    keys.iter()
        .map(|k| {
            PublicKey::from_pem(k.algorithm, &k.public_key_pem)
                .map_err(|e| format!("signing key {}: {}", k.key_id, e.message))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signer::DemoSigner;
    use sha2::{Digest as _, Sha256};

    #[test]
    fn checksum_then_signature() {
        let signer = DemoSigner::from_seed([3; 32]);
        let data = b"firmware image".to_vec();
        let sha = hex::encode(Sha256::digest(&data));
        let sig = signer.sign(&data);
        let key = Verifier::parse_pem(&signer.public_key_pem().unwrap()).unwrap();
        let v = Verifier::new(vec![key]);
        assert_eq!(v.check(&data, &sha, Some(&sig)), Ok(()));
        assert_eq!(
            v.clone().check(&data, &sha, Some(&sig)),
            Ok(()),
            "remembered"
        );
        let mut bad = data.clone();
        bad[0] ^= 1;
        assert!(matches!(
            v.check(&bad, &sha, Some(&sig)),
            Err(VerifyError::Checksum { .. })
        ));
        assert_eq!(v.check(&data, &sha, None), Err(VerifyError::Unsigned));
        let other = DemoSigner::from_seed([4; 32]).sign(&data);
        assert_eq!(
            v.check(&data, &sha, Some(&other)),
            Err(VerifyError::Signature { keys: 1 })
        );
        // No keys: checksum only.
        assert_eq!(Verifier::default().check(&data, &sha, None), Ok(()));
    }

    #[tokio::test]
    async fn fixed_keys_are_not_fetched_again() {
        let signer = DemoSigner::from_seed([5; 32]);
        let data = b"image".to_vec();
        let sha = hex::encode(Sha256::digest(&data));
        let key = Verifier::parse_pem(&signer.public_key_pem().unwrap()).unwrap();
        let v = Verifier::new(vec![key]);
        let other = DemoSigner::from_seed([6; 32]).sign(&data);
        assert_eq!(
            v.check_learning(&data, &sha, Some(&other), Instant::now())
                .await,
            Err(VerifyError::Signature { keys: 1 })
        );
        assert_eq!(v.refreshes(), 0);
    }
}
