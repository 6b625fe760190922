//! Images stored encrypted (seed 003's `datafile_encryption`): the one definition of the stored
//! format, shared by the server (which writes it) and every device (which reads it).
//!
//! - **Cipher**: AES-256-GCM under a random 32-byte *data key* per image.
//! - **Segments**: the plain bytes are cut into segments of [`PLAIN_SEGMENT`] (65,520) bytes,
//!   the last one possibly shorter; each is stored as its ciphertext followed by its 16-byte
//!   tag, so every stored segment but the last is exactly [`STORED_SEGMENT`] = 64 KiB, the
//!   device protocol's range. A device that fetches stored range `[i × 64 KiB, (i + 1) × 64 KiB)`
//!   holds segment `i` whole and decrypts it alone, in any order.
//! - **Nonces**: STREAM (Hoang, Reyhanitabar, Rogaway, Vizár 2015) as RustCrypto's
//!   `StreamBE32` builds it: a random 7-byte *nonce prefix* per image ‖ the segment index as a
//!   32-bit big-endian counter ‖ one byte, `1` for the final segment and `0` otherwise. A segment
//!   moved to another index, a segment of another image, or a stream cut after a non-final
//!   segment fails authentication.
//! - **Key wrapping**: a data key is kept only wrapped by the server's key (AES-256-GCM, random
//!   12-byte nonce, [`WRAP_AAD`] as associated data): `nonce ‖ ciphertext ‖ tag`, 60 bytes.
//!
//! Nothing here draws randomness or does I/O: callers hand in keys and nonces.

use aes_gcm::aead::stream::{NewStream as _, StreamBE32, StreamPrimitive as _};
use aes_gcm::aead::{Aead as _, KeyInit as _, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use serde::{Deserialize, Serialize};

/// The algorithm's name in the device's assignment and the image's metadata.
pub const ALGORITHM: &str = "AES-256-GCM";
/// The nonce construction's name in the device's assignment.
pub const NONCE_SCHEME: &str = "STREAM-BE32";
/// A stored segment: ciphertext and tag, the device protocol's 64 KiB range.
pub const STORED_SEGMENT: u64 = 64 * 1024;
/// The AES-GCM tag after each segment's ciphertext.
pub const TAG_BYTES: u64 = 16;
/// Plain bytes per segment (every segment but the last holds exactly this many).
pub const PLAIN_SEGMENT: u64 = STORED_SEGMENT - TAG_BYTES;
pub const KEY_BYTES: usize = 32;
pub const NONCE_PREFIX_BYTES: usize = 7;
pub const WRAP_NONCE_BYTES: usize = 12;
/// A wrapped data key: wrap nonce ‖ encrypted key ‖ tag.
pub const WRAPPED_KEY_BYTES: usize = WRAP_NONCE_BYTES + KEY_BYTES + TAG_BYTES as usize;
/// Associated data of a wrapped key: a wrapped key is never mistaken for anything else.
pub const WRAP_AAD: &[u8] = b"airlift data key v1";

/// Why stored bytes could not be decrypted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecryptError {
    #[error("segment {index} does not authenticate: wrong key, or the stored bytes were altered, truncated or reordered")]
    Segment { index: u64 },
    #[error("segment {index} has {got} stored bytes, the layout says {expected}")]
    SegmentLength { index: u64, got: u64, expected: u64 },
    #[error("segment {index} is past the last segment ({segments} segments)")]
    NoSuchSegment { index: u64, segments: u64 },
    #[error("the key is not {KEY_BYTES} bytes or the nonce prefix not {NONCE_PREFIX_BYTES}")]
    BadKeyMaterial,
    #[error("the wrapped data key does not unwrap with this server key")]
    Unwrap,
}

/// How an image of `plain_size` bytes is segmented when stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentLayout {
    pub plain_size: u64,
}

impl SegmentLayout {
    pub fn new(plain_size: u64) -> Self {
        Self { plain_size }
    }

    /// At least one segment: an empty plain text still has its (final) tag.
    pub fn segments(&self) -> u64 {
        self.plain_size.div_ceil(PLAIN_SEGMENT).max(1)
    }

    pub fn stored_size(&self) -> u64 {
        self.plain_size + self.segments() * TAG_BYTES
    }

    /// The plain size of a stored size, if some plain size gives it.
    pub fn from_stored_size(stored: u64) -> Option<Self> {
        let segments = stored.div_ceil(STORED_SEGMENT).max(1);
        let plain = stored.checked_sub(segments * TAG_BYTES)?;
        let layout = Self::new(plain);
        (layout.stored_size() == stored).then_some(layout)
    }

    pub fn is_last(&self, index: u64) -> bool {
        index + 1 == self.segments()
    }

    /// Plain bytes `[start, end)` of segment `index`.
    pub fn plain_range(&self, index: u64) -> std::ops::Range<u64> {
        let start = (index * PLAIN_SEGMENT).min(self.plain_size);
        start..(start + PLAIN_SEGMENT).min(self.plain_size)
    }

    /// Stored bytes `[start, end)` of segment `index`.
    pub fn stored_range(&self, index: u64) -> std::ops::Range<u64> {
        let plain = self.plain_range(index);
        let start = index * STORED_SEGMENT;
        start..start + (plain.end - plain.start) + TAG_BYTES
    }

    /// The segment holding stored byte `offset`.
    pub fn segment_of_stored(&self, offset: u64) -> u64 {
        offset / STORED_SEGMENT
    }

    /// The segment holding plain byte `offset`.
    pub fn segment_of_plain(&self, offset: u64) -> u64 {
        offset / PLAIN_SEGMENT
    }

    fn check_index(&self, index: u64) -> Result<u32, DecryptError> {
        let segments = self.segments();
        if index >= segments {
            return Err(DecryptError::NoSuchSegment { index, segments });
        }
        // The STREAM counter is 32 bits: 2^32 segments of 64 KiB = 256 TiB, beyond any image.
        u32::try_from(index).map_err(|_| DecryptError::NoSuchSegment { index, segments })
    }
}

/// An image's data key and nonce prefix: encrypts and decrypts its segments.
#[derive(Clone)]
pub struct SegmentCipher {
    stream: std::sync::Arc<StreamBE32<Aes256Gcm>>,
    layout: SegmentLayout,
}

impl std::fmt::Debug for SegmentCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SegmentCipher({:?}, key hidden)", self.layout)
    }
}

impl SegmentCipher {
    pub fn new(
        key: &[u8],
        nonce_prefix: &[u8],
        layout: SegmentLayout,
    ) -> Result<Self, DecryptError> {
        if key.len() != KEY_BYTES || nonce_prefix.len() != NONCE_PREFIX_BYTES {
            return Err(DecryptError::BadKeyMaterial);
        }
        let aead = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key));
        let stream = StreamBE32::from_aead(aead, nonce_prefix.into());
        Ok(Self {
            stream: std::sync::Arc::new(stream),
            layout,
        })
    }

    pub fn layout(&self) -> SegmentLayout {
        self.layout
    }

    /// Segment `index` of the plain text (`plain` must be that segment's plain bytes) as it is
    /// stored: ciphertext ‖ tag.
    pub fn encrypt_segment(&self, index: u64, plain: &[u8]) -> Result<Vec<u8>, DecryptError> {
        let position = self.layout.check_index(index)?;
        let expected = self.layout.plain_range(index);
        if plain.len() as u64 != expected.end - expected.start {
            return Err(DecryptError::SegmentLength {
                index,
                got: plain.len() as u64,
                expected: expected.end - expected.start,
            });
        }
        let mut buffer = Vec::with_capacity(plain.len() + TAG_BYTES as usize);
        buffer.extend_from_slice(plain);
        self.stream
            .encrypt_in_place(position, self.layout.is_last(index), &[], &mut buffer)
            .map_err(|_| DecryptError::Segment { index })?;
        Ok(buffer)
    }

    /// Stored segment `index` (ciphertext ‖ tag, exactly as stored) back to its plain bytes.
    pub fn decrypt_segment(&self, index: u64, stored: &[u8]) -> Result<Vec<u8>, DecryptError> {
        let position = self.layout.check_index(index)?;
        let expected = self.layout.stored_range(index);
        if stored.len() as u64 != expected.end - expected.start {
            return Err(DecryptError::SegmentLength {
                index,
                got: stored.len() as u64,
                expected: expected.end - expected.start,
            });
        }
        let mut buffer = stored.to_vec();
        self.stream
            .decrypt_in_place(position, self.layout.is_last(index), &[], &mut buffer)
            .map_err(|_| DecryptError::Segment { index })?;
        Ok(buffer)
    }

    /// Every stored segment in `[offset, offset + stored.len())` decrypted, in order. `offset`
    /// must be a segment's start and `stored` whole segments (the last may be the final,
    /// shorter one): what a device holds after fetching any run of 64 KiB ranges.
    pub fn decrypt_range(&self, offset: u64, stored: &[u8]) -> Result<Vec<u8>, DecryptError> {
        let first = self.layout.segment_of_stored(offset);
        let mut plain = Vec::with_capacity(stored.len());
        let mut at = 0usize;
        let mut index = first;
        if !offset.is_multiple_of(STORED_SEGMENT) {
            return Err(DecryptError::SegmentLength {
                index,
                got: stored.len() as u64,
                expected: self.layout.stored_range(index).end - offset,
            });
        }
        while at < stored.len() {
            let r = self.layout.stored_range(index);
            let len = (r.end - r.start) as usize;
            let end = (at + len).min(stored.len());
            plain.extend(self.decrypt_segment(index, &stored[at..end])?);
            at = end;
            index += 1;
        }
        Ok(plain)
    }
}

/// Encrypts a plain stream piece by piece, its length unknown until [`SegmentEncryptor::finish`]:
/// push any pieces, take the stored segments as they complete. A full segment is held until a
/// byte after it arrives (only then is it known not to be the last); at most one segment is
/// buffered.
pub struct SegmentEncryptor {
    stream: StreamBE32<Aes256Gcm>,
    pending: Vec<u8>,
    next: u32,
    plain_len: u64,
}

impl std::fmt::Debug for SegmentEncryptor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SegmentEncryptor(segment {}, key hidden)", self.next)
    }
}

impl SegmentEncryptor {
    pub fn new(key: &[u8], nonce_prefix: &[u8]) -> Result<Self, DecryptError> {
        if key.len() != KEY_BYTES || nonce_prefix.len() != NONCE_PREFIX_BYTES {
            return Err(DecryptError::BadKeyMaterial);
        }
        let aead = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key));
        Ok(Self {
            stream: StreamBE32::from_aead(aead, nonce_prefix.into()),
            pending: Vec::with_capacity(PLAIN_SEGMENT as usize),
            next: 0,
            plain_len: 0,
        })
    }

    /// Plain bytes pushed so far.
    pub fn plain_len(&self) -> u64 {
        self.plain_len
    }

    fn seal(&mut self, last: bool) -> Result<Vec<u8>, DecryptError> {
        let index = u64::from(self.next);
        let mut buffer = std::mem::replace(
            &mut self.pending,
            Vec::with_capacity(PLAIN_SEGMENT as usize),
        );
        buffer.reserve(TAG_BYTES as usize);
        self.stream
            .encrypt_in_place(self.next, last, &[], &mut buffer)
            .map_err(|_| DecryptError::Segment { index })?;
        self.next = self
            .next
            .checked_add(1)
            .ok_or(DecryptError::NoSuchSegment {
                index: index + 1,
                segments: u64::from(u32::MAX),
            })?;
        Ok(buffer)
    }

    /// Adds plain bytes; returns the stored bytes of every segment now known not to be last.
    pub fn push(&mut self, mut plain: &[u8]) -> Result<Vec<u8>, DecryptError> {
        let mut out = Vec::new();
        self.plain_len += plain.len() as u64;
        while !plain.is_empty() {
            if self.pending.len() == PLAIN_SEGMENT as usize {
                out.extend(self.seal(false)?);
            }
            let take = (PLAIN_SEGMENT as usize - self.pending.len()).min(plain.len());
            self.pending.extend_from_slice(&plain[..take]);
            plain = &plain[take..];
        }
        Ok(out)
    }

    /// The final segment (for an empty plain text, one empty segment: its tag).
    pub fn finish(mut self) -> Result<Vec<u8>, DecryptError> {
        self.seal(true)
    }
}

/// Decrypts stored bytes arriving in order, in pieces of any size: each complete segment is
/// checked and handed out; [`SegmentDecryptor::finish`] refuses a stream that stopped early.
#[derive(Debug)]
pub struct SegmentDecryptor {
    cipher: SegmentCipher,
    pending: Vec<u8>,
    next: u64,
}

impl SegmentDecryptor {
    pub fn new(cipher: SegmentCipher) -> Self {
        Self {
            cipher,
            pending: Vec::with_capacity(STORED_SEGMENT as usize),
            next: 0,
        }
    }

    pub fn push(&mut self, mut stored: &[u8]) -> Result<Vec<u8>, DecryptError> {
        let mut out = Vec::new();
        let segments = self.cipher.layout.segments();
        while !stored.is_empty() {
            if self.next >= segments {
                return Err(DecryptError::NoSuchSegment {
                    index: self.next,
                    segments,
                });
            }
            let want = self.cipher.layout.stored_range(self.next);
            let want = (want.end - want.start) as usize;
            let take = (want - self.pending.len()).min(stored.len());
            self.pending.extend_from_slice(&stored[..take]);
            stored = &stored[take..];
            if self.pending.len() == want {
                out.extend(self.cipher.decrypt_segment(self.next, &self.pending)?);
                self.pending.clear();
                self.next += 1;
            }
        }
        Ok(out)
    }

    pub fn finish(self) -> Result<(), DecryptError> {
        let segments = self.cipher.layout.segments();
        if self.next == segments {
            Ok(())
        } else {
            Err(DecryptError::SegmentLength {
                index: self.next,
                got: self.pending.len() as u64,
                expected: {
                    let r = self.cipher.layout.stored_range(self.next);
                    r.end - r.start
                },
            })
        }
    }
}

/// Wraps a data key under the server's key (`wrap_nonce` must be fresh and random).
pub fn wrap_key(
    server_key: &[u8; KEY_BYTES],
    wrap_nonce: &[u8; WRAP_NONCE_BYTES],
    data_key: &[u8; KEY_BYTES],
) -> Vec<u8> {
    let aead = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(server_key));
    let sealed = aead
        .encrypt(
            Nonce::from_slice(wrap_nonce),
            Payload {
                msg: data_key,
                aad: WRAP_AAD,
            },
        )
        // AES-GCM encryption fails only for messages over 64 GiB.
        .unwrap_or_default();
    let mut out = Vec::with_capacity(WRAPPED_KEY_BYTES);
    out.extend_from_slice(wrap_nonce);
    out.extend(sealed);
    out
}

/// The data key inside `wrapped`, if `server_key` wrapped it.
pub fn unwrap_key(
    server_key: &[u8; KEY_BYTES],
    wrapped: &[u8],
) -> Result<[u8; KEY_BYTES], DecryptError> {
    if wrapped.len() != WRAPPED_KEY_BYTES {
        return Err(DecryptError::Unwrap);
    }
    let (nonce, sealed) = wrapped.split_at(WRAP_NONCE_BYTES);
    let aead = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(server_key));
    let key = aead
        .decrypt(
            Nonce::from_slice(nonce),
            Payload {
                msg: sealed,
                aad: WRAP_AAD,
            },
        )
        .map_err(|_| DecryptError::Unwrap)?;
    key.try_into().map_err(|_| DecryptError::Unwrap)
}

/// What the server keeps about an encrypted image (and each package made from it): the
/// wrapped data key, the id of the server key that wrapped it, and the nonce prefix. Stored as
/// JSON beside the row; never contains the data key in plain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedDataKey {
    /// The data key's own id (`dk_…`): an image and the packages made from it share one.
    pub id: String,
    pub algorithm: String,
    /// Base64 of [`WRAPPED_KEY_BYTES`] bytes.
    pub wrapped_key: String,
    /// The server key that wrapped it (see the server's key file).
    pub server_key_id: String,
    /// Base64 of [`NONCE_PREFIX_BYTES`] bytes.
    pub nonce_prefix: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: [u8; 32] = [7; 32];
    const PREFIX: [u8; 7] = [1, 2, 3, 4, 5, 6, 7];

    fn plain(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i * 131 % 251) as u8).collect()
    }

    fn encrypt_all(data: &[u8], piece: usize) -> Vec<u8> {
        let mut e = SegmentEncryptor::new(&KEY, &PREFIX).unwrap();
        let mut out = Vec::new();
        for p in data.chunks(piece.max(1)) {
            out.extend(e.push(p).unwrap());
        }
        out.extend(e.finish().unwrap());
        out
    }

    fn cipher(n: u64) -> SegmentCipher {
        SegmentCipher::new(&KEY, &PREFIX, SegmentLayout::new(n)).unwrap()
    }

    #[test]
    fn layout_maps_sizes_and_offsets() {
        let l = SegmentLayout::new(PLAIN_SEGMENT * 2 + 5);
        assert_eq!(l.segments(), 3);
        assert_eq!(l.stored_size(), PLAIN_SEGMENT * 2 + 5 + 3 * TAG_BYTES);
        assert_eq!(l.stored_range(1), STORED_SEGMENT..2 * STORED_SEGMENT);
        assert_eq!(
            l.stored_range(2),
            2 * STORED_SEGMENT..2 * STORED_SEGMENT + 5 + TAG_BYTES
        );
        assert_eq!(l.segment_of_stored(STORED_SEGMENT - 1), 0);
        assert_eq!(l.segment_of_plain(PLAIN_SEGMENT), 1);
        for n in [
            0,
            1,
            PLAIN_SEGMENT - 1,
            PLAIN_SEGMENT,
            PLAIN_SEGMENT + 1,
            10 * PLAIN_SEGMENT,
        ] {
            let l = SegmentLayout::new(n);
            assert_eq!(
                SegmentLayout::from_stored_size(l.stored_size()),
                Some(l),
                "{n}"
            );
        }
        assert_eq!(SegmentLayout::new(PLAIN_SEGMENT).segments(), 1);
        assert_eq!(SegmentLayout::new(0).segments(), 1);
        assert_eq!(SegmentLayout::from_stored_size(10), None);
    }

    #[test]
    fn round_trip_whatever_the_piece_sizes() {
        for n in [0usize, 1, 65_519, 65_520, 65_521, 200_000, 3 * 65_520] {
            let data = plain(n);
            let stored = encrypt_all(&data, 7_777);
            assert_eq!(
                stored,
                encrypt_all(&data, 1 << 20),
                "pieces change nothing ({n})"
            );
            assert_eq!(
                stored.len() as u64,
                SegmentLayout::new(n as u64).stored_size()
            );
            let mut d = SegmentDecryptor::new(cipher(n as u64));
            let mut back = Vec::new();
            for p in stored.chunks(1000) {
                back.extend(d.push(p).unwrap());
            }
            d.finish().unwrap();
            assert_eq!(back, data, "{n}");
            assert!(!stored.windows(16).any(|w| n >= 16 && w == &data[..16]));
        }
    }

    #[test]
    fn any_64_kib_range_decrypts_alone_in_any_order() {
        let data = plain(300_000);
        let stored = encrypt_all(&data, 4096);
        let c = cipher(300_000);
        let l = c.layout();
        for index in (0..l.segments()).rev() {
            let r = l.stored_range(index);
            let got = c
                .decrypt_range(r.start, &stored[r.start as usize..r.end as usize])
                .unwrap();
            let p = l.plain_range(index);
            assert_eq!(got, &data[p.start as usize..p.end as usize]);
        }
        // Two ranges at once, from the middle.
        let r = l.stored_range(1).start..l.stored_range(2).end;
        let got = c
            .decrypt_range(r.start, &stored[r.start as usize..r.end as usize])
            .unwrap();
        assert_eq!(
            got,
            &data[PLAIN_SEGMENT as usize..3 * PLAIN_SEGMENT as usize]
        );
        assert!(
            c.decrypt_range(5, &stored[5..100]).is_err(),
            "not a segment start"
        );
    }

    #[test]
    fn truncation_reordering_tampering_and_wrong_keys_fail() {
        let n = 3 * 65_520;
        let data = plain(n);
        let stored = encrypt_all(&data, 65_520);
        let c = cipher(n as u64);
        let seg = STORED_SEGMENT as usize;
        // Reordered: segment 0's bytes at index 1.
        assert_eq!(
            c.decrypt_segment(1, &stored[..seg]),
            Err(DecryptError::Segment { index: 1 })
        );
        // Truncated after a full non-final segment: the stream of a 2-segment image ends where
        // segment 1 is not flagged final.
        let short = SegmentCipher::new(&KEY, &PREFIX, SegmentLayout::new(2 * 65_520)).unwrap();
        assert_eq!(
            short.decrypt_segment(1, &stored[seg..2 * seg]),
            Err(DecryptError::Segment { index: 1 })
        );
        let mut d = SegmentDecryptor::new(c.clone());
        d.push(&stored[..2 * seg]).unwrap();
        assert!(d.finish().is_err(), "a stream that stops early is refused");
        // One flipped bit.
        let mut bad = stored.clone();
        bad[seg + 10] ^= 1;
        assert_eq!(
            c.decrypt_segment(1, &bad[seg..2 * seg]),
            Err(DecryptError::Segment { index: 1 })
        );
        // Another key or another image's prefix.
        let other = SegmentCipher::new(&[8; 32], &PREFIX, c.layout()).unwrap();
        assert!(other.decrypt_segment(0, &stored[..seg]).is_err());
        let other = SegmentCipher::new(&KEY, &[0; 7], c.layout()).unwrap();
        assert!(other.decrypt_segment(0, &stored[..seg]).is_err());
        assert!(
            c.decrypt_segment(3, &stored[..seg]).is_err(),
            "past the end"
        );
        assert!(SegmentCipher::new(&[0; 31], &PREFIX, c.layout()).is_err());
    }

    #[test]
    fn wrapped_keys_unwrap_only_with_their_server_key() {
        let wrapped = wrap_key(&[1; 32], &[2; 12], &KEY);
        assert_eq!(wrapped.len(), WRAPPED_KEY_BYTES);
        assert_eq!(unwrap_key(&[1; 32], &wrapped), Ok(KEY));
        assert_eq!(unwrap_key(&[9; 32], &wrapped), Err(DecryptError::Unwrap));
        let mut bad = wrapped.clone();
        bad[20] ^= 1;
        assert_eq!(unwrap_key(&[1; 32], &bad), Err(DecryptError::Unwrap));
        assert_eq!(
            unwrap_key(&[1; 32], &wrapped[1..]),
            Err(DecryptError::Unwrap)
        );
    }

    #[test]
    fn the_encryptor_matches_segment_by_segment_encryption() {
        let data = plain(2 * 65_520 + 3);
        let c = cipher(data.len() as u64);
        let mut expected = Vec::new();
        for i in 0..3 {
            let r = c.layout().plain_range(i);
            expected.extend(
                c.encrypt_segment(i, &data[r.start as usize..r.end as usize])
                    .unwrap(),
            );
        }
        assert_eq!(encrypt_all(&data, 999), expected);
        assert!(
            c.encrypt_segment(0, &data[..10]).is_err(),
            "a short non-final segment"
        );
    }
}
