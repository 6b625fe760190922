//! Encrypted packages (an image uploaded with `datafile_encryption`): the assignment's
//! `encryption` object checked against the one format airlift-core defines, and the stored
//! bytes decrypted range by range. Stored segment `i` is the device protocol's 64 KiB range `i`,
//! so each range decrypts alone, in any order, as it arrives.

use airlift_core::encryption::{
    self, DecryptError, SegmentCipher, SegmentLayout, KEY_BYTES, NONCE_PREFIX_BYTES,
};
use airlift_core::wire::AssignmentEncryption;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

/// Why an encrypted package cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecryptFailure {
    /// The assignment describes a format this device does not speak.
    #[error("unsupported encryption: {0}")]
    Unsupported(String),
    /// A segment did not authenticate: wrong key, or bytes altered, cut or reordered.
    #[error("decryption failed: {0}")]
    Segment(#[from] DecryptError),
}

impl DecryptFailure {
    /// A stable code for logs, reports and state files.
    pub fn code(&self) -> &'static str {
        match self {
            DecryptFailure::Unsupported(_) => "UNSUPPORTED_ENCRYPTION",
            DecryptFailure::Segment(_) => "DECRYPT_FAILED",
        }
    }
}

/// An assigned package's decryption: its key and layout.
#[derive(Debug, Clone)]
pub struct Decryption {
    cipher: SegmentCipher,
}

impl Decryption {
    /// Checks `enc` (for a package of `plain_size` bytes) and builds its decryption.
    pub fn from_assignment(
        enc: &AssignmentEncryption,
        plain_size: u64,
    ) -> Result<Self, DecryptFailure> {
        let unsupported = |what: String| Err(DecryptFailure::Unsupported(what));
        if enc.algorithm != encryption::ALGORITHM {
            return unsupported(format!("algorithm {:?}", enc.algorithm));
        }
        if enc.nonce_scheme != encryption::NONCE_SCHEME {
            return unsupported(format!("nonce scheme {:?}", enc.nonce_scheme));
        }
        if (enc.segment_bytes, enc.plain_segment_bytes, enc.tag_bytes)
            != (
                encryption::STORED_SEGMENT,
                encryption::PLAIN_SEGMENT,
                encryption::TAG_BYTES,
            )
        {
            return unsupported(format!(
                "segments of {} bytes ({} plain, {}-byte tags)",
                enc.segment_bytes, enc.plain_segment_bytes, enc.tag_bytes
            ));
        }
        let layout = SegmentLayout::new(plain_size);
        if layout.stored_size() != enc.stored_size_bytes {
            return unsupported(format!(
                "{} stored bytes for {plain_size} plain bytes (expected {})",
                enc.stored_size_bytes,
                layout.stored_size()
            ));
        }
        let key = STANDARD.decode(&enc.key).unwrap_or_default();
        let prefix = STANDARD.decode(&enc.nonce_prefix).unwrap_or_default();
        if key.len() != KEY_BYTES || prefix.len() != NONCE_PREFIX_BYTES {
            return unsupported(format!(
                "a key of {KEY_BYTES} bytes and a nonce prefix of {NONCE_PREFIX_BYTES} bytes in base64 were expected"
            ));
        }
        Ok(Self {
            cipher: SegmentCipher::new(&key, &prefix, layout)?,
        })
    }

    /// What the chunk endpoint serves: the download's total.
    pub fn stored_size(&self) -> u64 {
        self.cipher.layout().stored_size()
    }

    pub fn layout(&self) -> SegmentLayout {
        self.cipher.layout()
    }

    /// Whole stored segments starting at `offset` (a multiple of 64 KiB), decrypted.
    pub fn decrypt_range(&self, offset: u64, stored: &[u8]) -> Result<Vec<u8>, DecryptFailure> {
        Ok(self.cipher.decrypt_range(offset, stored)?)
    }

    /// The whole stored object decrypted (each segment alone, so a wrong segment is named).
    pub fn decrypt_all(&self, stored: &[u8]) -> Result<Vec<u8>, DecryptFailure> {
        if stored.len() as u64 != self.stored_size() {
            return Err(DecryptFailure::Segment(DecryptError::SegmentLength {
                index: self.layout().segments().saturating_sub(1),
                got: stored.len() as u64,
                expected: self.stored_size(),
            }));
        }
        self.decrypt_range(0, stored)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use airlift_core::encryption::SegmentEncryptor;

    fn assignment(plain: u64) -> AssignmentEncryption {
        AssignmentEncryption {
            algorithm: "AES-256-GCM".into(),
            key: STANDARD.encode([3u8; 32]),
            nonce_scheme: "STREAM-BE32".into(),
            nonce_prefix: STANDARD.encode([4u8; 7]),
            segment_bytes: 65536,
            plain_segment_bytes: 65520,
            tag_bytes: 16,
            stored_size_bytes: SegmentLayout::new(plain).stored_size(),
        }
    }

    #[test]
    fn an_assignment_decrypts_its_ranges_and_refuses_what_it_does_not_speak() {
        let plain: Vec<u8> = (0..150_000u32).map(|i| (i % 253) as u8).collect();
        let mut e = SegmentEncryptor::new(&[3u8; 32], &[4u8; 7]).unwrap();
        let mut stored = e.push(&plain).unwrap();
        stored.extend(e.finish().unwrap());
        let d = Decryption::from_assignment(&assignment(150_000), 150_000).unwrap();
        assert_eq!(d.stored_size(), stored.len() as u64);
        assert_eq!(d.decrypt_all(&stored).unwrap(), plain);
        assert_eq!(
            d.decrypt_range(65536, &stored[65536..131072]).unwrap(),
            &plain[65520..131040]
        );
        let mut bad = stored.clone();
        bad[70_000] ^= 0x10;
        assert_eq!(d.decrypt_all(&bad).unwrap_err().code(), "DECRYPT_FAILED");
        assert!(d.decrypt_all(&stored[..stored.len() - 1]).is_err());
        let mut other = assignment(150_000);
        other.algorithm = "ChaCha20".into();
        assert_eq!(
            Decryption::from_assignment(&other, 150_000)
                .unwrap_err()
                .code(),
            "UNSUPPORTED_ENCRYPTION"
        );
        assert!(Decryption::from_assignment(&assignment(150_000), 150_001).is_err());
        let mut wrong = assignment(150_000);
        wrong.key = STANDARD.encode([9u8; 32]);
        let d = Decryption::from_assignment(&wrong, 150_000).unwrap();
        assert_eq!(d.decrypt_all(&stored).unwrap_err().code(), "DECRYPT_FAILED");
    }
}
