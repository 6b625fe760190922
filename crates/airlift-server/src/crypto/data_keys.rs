//! Data keys: one random AES-256 key and nonce prefix per encrypted image (and the upload job
//! that makes it), kept only wrapped by the server key ([`SealedDataKey`]); opened in memory
//! when bytes are encrypted, verified or handed to a device.

use std::sync::Arc;

use airlift_core::encryption::{
    self, SealedDataKey, SegmentCipher, SegmentEncryptor, SegmentLayout, KEY_BYTES,
    NONCE_PREFIX_BYTES, WRAP_NONCE_BYTES,
};
use airlift_core::error::ApiError;
use airlift_core::wire::AssignmentEncryption;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use super::ServerKeys;
use crate::error::AppError;

/// An opened data key (key and nonce prefix in plain, in memory only).
#[derive(Clone)]
pub struct DataKey {
    key: [u8; KEY_BYTES],
    nonce_prefix: [u8; NONCE_PREFIX_BYTES],
}

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(hidden)")
    }
}

impl DataKey {
    /// The same key with another nonce prefix (an encrypted upload part carries its own).
    pub fn with_prefix(&self, nonce_prefix: [u8; NONCE_PREFIX_BYTES]) -> Self {
        Self {
            key: self.key,
            nonce_prefix,
        }
    }

    /// A fresh random nonce prefix for a new stream under this key.
    pub fn fresh_prefix(&self) -> Result<Self, AppError> {
        Ok(self.with_prefix(random()?))
    }

    pub fn nonce_prefix(&self) -> [u8; NONCE_PREFIX_BYTES] {
        self.nonce_prefix
    }

    pub fn encryptor(&self) -> SegmentEncryptor {
        // Both lengths are fixed by the types: this cannot fail.
        SegmentEncryptor::new(&self.key, &self.nonce_prefix)
            .unwrap_or_else(|_| unreachable!("fixed-size key material"))
    }

    pub fn cipher(&self, plain_size: u64) -> SegmentCipher {
        SegmentCipher::new(
            &self.key,
            &self.nonce_prefix,
            SegmentLayout::new(plain_size),
        )
        .unwrap_or_else(|_| unreachable!("fixed-size key material"))
    }
}

/// Makes, seals and opens data keys under the server key.
#[derive(Clone, Debug)]
pub struct DataKeys {
    server: Arc<ServerKeys>,
}

fn random<const N: usize>() -> Result<[u8; N], AppError> {
    let mut out = [0u8; N];
    getrandom::fill(&mut out).map_err(|e| AppError::internal("drawing a data key", e))?;
    Ok(out)
}

impl DataKeys {
    pub fn new(server: ServerKeys) -> Self {
        Self {
            server: Arc::new(server),
        }
    }

    pub fn server_keys(&self) -> &ServerKeys {
        &self.server
    }

    /// A fresh data key, and its sealed form to store.
    pub fn create(&self) -> Result<(DataKey, SealedDataKey), AppError> {
        let key = DataKey {
            key: random()?,
            nonce_prefix: random()?,
        };
        let sealed = self.seal(&key, crate::ids::new_id("dk"))?;
        Ok((key, sealed))
    }

    /// `key` wrapped with the current server key, under the data key id `id`.
    pub fn seal(&self, key: &DataKey, id: String) -> Result<SealedDataKey, AppError> {
        let (server_id, server_key) = self.server.current();
        let wrap_nonce: [u8; WRAP_NONCE_BYTES] = random()?;
        Ok(SealedDataKey {
            id,
            algorithm: encryption::ALGORITHM.to_owned(),
            wrapped_key: STANDARD.encode(encryption::wrap_key(server_key, &wrap_nonce, &key.key)),
            server_key_id: server_id.to_owned(),
            nonce_prefix: STANDARD.encode(key.nonce_prefix),
        })
    }

    /// The data key inside `sealed`. A sealed key that no server key in the key file opens is
    /// an operator's problem (a lost or wrong key file): answered as an internal error naming
    /// the key it needs, and logged.
    pub fn open(&self, sealed: &SealedDataKey) -> Result<DataKey, AppError> {
        let fail = |why: &str| {
            AppError::internal(
                "opening an image's data key",
                format!(
                    "data key {} needs server key {} ({why}); is --encryption-key-file the \
                     deployment's key file?",
                    sealed.id, sealed.server_key_id
                ),
            )
        };
        let server_key = self
            .server
            .by_id(&sealed.server_key_id)
            .ok_or_else(|| fail("not in the key file"))?;
        let wrapped = STANDARD
            .decode(&sealed.wrapped_key)
            .map_err(|_| fail("the wrapped key is not base64"))?;
        let key =
            encryption::unwrap_key(server_key, &wrapped).map_err(|_| fail("it does not unwrap"))?;
        let nonce_prefix = STANDARD
            .decode(&sealed.nonce_prefix)
            .ok()
            .and_then(|p| p.try_into().ok())
            .ok_or_else(|| fail("the nonce prefix is malformed"))?;
        Ok(DataKey { key, nonce_prefix })
    }

    /// What a device assigned a package of `plain_size` bytes under `sealed` needs.
    pub fn assignment(
        &self,
        sealed: &SealedDataKey,
        plain_size: u64,
    ) -> Result<AssignmentEncryption, AppError> {
        let key = self.open(sealed)?;
        Ok(AssignmentEncryption {
            algorithm: encryption::ALGORITHM.to_owned(),
            key: STANDARD.encode(key.key),
            nonce_scheme: encryption::NONCE_SCHEME.to_owned(),
            nonce_prefix: STANDARD.encode(key.nonce_prefix),
            segment_bytes: encryption::STORED_SEGMENT,
            plain_segment_bytes: encryption::PLAIN_SEGMENT,
            tag_bytes: encryption::TAG_BYTES,
            stored_size_bytes: SegmentLayout::new(plain_size).stored_size(),
        })
    }
}

/// `datafile_encryption` as a form field: exactly `true` or `false` (default `false`), as the
/// API document says.
pub fn parse_flag(value: Option<&str>) -> Result<bool, ApiError> {
    match value {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(v) => Err(ApiError::invalid_argument(format!(
            "datafile_encryption must be true or false, got {v:?}"
        ))),
    }
}
