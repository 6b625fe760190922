//! Range planning and reassembly of an artifact fetched in ranges of at most 64 KiB, in any
//! order, resumable: what has arrived is kept across link drops and only the missing bytes are
//! asked for again.

use rand::seq::SliceRandom as _;
use rand::Rng;

/// The server clamps every range to this (spec: `min(L, 65536)`).
pub const MAX_RANGE: u64 = 64 * 1024;

/// A byte range `[offset, offset + len)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    pub offset: u64,
    pub len: u64,
}

/// Why a received range cannot be placed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlaceError {
    #[error("range {offset}+{len} lies outside the artifact ({total} bytes)")]
    OutOfBounds { offset: u64, len: u64, total: u64 },
    #[error("the server answered for {got}, asked for {asked}")]
    WrongOffset { asked: u64, got: u64 },
}

/// An artifact being downloaded: a grid of `chunk`-sized slots, each filled from its start.
#[derive(Debug, Clone)]
pub struct Assembly {
    total: u64,
    chunk: u64,
    /// Bytes received from each slot's start (a contiguous prefix).
    filled: Vec<u64>,
    data: Vec<u8>,
}

impl Assembly {
    /// `chunk` is clamped to `1..=MAX_RANGE`.
    pub fn new(total: u64, chunk: u64) -> Result<Self, String> {
        let chunk = chunk.clamp(1, MAX_RANGE);
        let len = usize::try_from(total).map_err(|_| format!("{total} bytes do not fit"))?;
        let slots = total.div_ceil(chunk);
        let slots = usize::try_from(slots).map_err(|_| format!("{slots} ranges do not fit"))?;
        Ok(Self {
            total,
            chunk,
            filled: vec![0; slots],
            data: vec![0; len],
        })
    }

    /// Ranges of `len` bytes (at least 1), with no 64 KiB clamp: for a download URL, which
    /// serves any range.
    pub fn with_range_len(total: u64, len: u64) -> Result<Self, String> {
        let mut a = Self::new(total, MAX_RANGE)?;
        let chunk = len.max(1);
        let slots = usize::try_from(total.div_ceil(chunk))
            .map_err(|_| format!("{total} bytes in {chunk}-byte ranges do not fit"))?;
        a.chunk = chunk;
        a.filled = vec![0; slots];
        Ok(a)
    }

    pub fn total(&self) -> u64 {
        self.total
    }

    fn slot_len(&self, slot: usize) -> u64 {
        let start = slot as u64 * self.chunk;
        self.chunk.min(self.total - start)
    }

    /// What is still missing, one range per unfinished slot, in slot order.
    pub fn missing(&self) -> Vec<Range> {
        (0..self.filled.len())
            .filter_map(|slot| {
                let have = self.filled[slot];
                let want = self.slot_len(slot);
                (have < want).then(|| Range {
                    offset: slot as u64 * self.chunk + have,
                    len: want - have,
                })
            })
            .collect()
    }

    /// The missing ranges in a random order (the device's own shuffle).
    pub fn plan<R: Rng>(&self, rng: &mut R) -> Vec<Range> {
        let mut ranges = self.missing();
        ranges.shuffle(rng);
        ranges
    }

    /// Stores the bytes the server sent for a request that asked for `asked`. The server may
    /// send fewer bytes than asked (a smaller clamp); the rest stays missing.
    pub fn place(&mut self, asked: Range, got_offset: u64, bytes: &[u8]) -> Result<(), PlaceError> {
        if got_offset != asked.offset {
            return Err(PlaceError::WrongOffset {
                asked: asked.offset,
                got: got_offset,
            });
        }
        let len = bytes.len() as u64;
        let end = got_offset.checked_add(len);
        if len > asked.len || end.is_none_or(|e| e > self.total) {
            return Err(PlaceError::OutOfBounds {
                offset: got_offset,
                len,
                total: self.total,
            });
        }
        let slot = (got_offset / self.chunk) as usize;
        let slot_start = slot as u64 * self.chunk;
        // Only a continuation of the slot's prefix is accepted (that is what `missing` asks).
        if got_offset != slot_start + self.filled[slot] {
            return Err(PlaceError::WrongOffset {
                asked: slot_start + self.filled[slot],
                got: got_offset,
            });
        }
        let start = got_offset as usize;
        self.data[start..start + bytes.len()].copy_from_slice(bytes);
        self.filled[slot] += len;
        Ok(())
    }

    pub fn received(&self) -> u64 {
        self.filled.iter().sum()
    }

    pub fn is_complete(&self) -> bool {
        self.received() == self.total
    }

    /// Percentage received (0..=100).
    pub fn percent(&self) -> u32 {
        if self.total == 0 {
            return 100;
        }
        (self.received() * 100 / self.total) as u32
    }

    /// Flips one byte of what arrived (simulated corruption in transit).
    pub fn corrupt<R: Rng>(&mut self, rng: &mut R) {
        if !self.data.is_empty() {
            let at = rng.random_range(0..self.data.len());
            self.data[at] ^= 0xA5;
        }
    }

    /// The assembled bytes (meaningful once complete).
    pub fn into_bytes(self) -> Vec<u8> {
        self.data
    }

    pub fn bytes(&self) -> &[u8] {
        &self.data
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng as _;
    use rand_chacha::ChaCha8Rng;

    fn artifact(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i * 31 % 251) as u8).collect()
    }

    #[test]
    fn ranges_never_exceed_64_kib_and_cover_everything() {
        let a = Assembly::new(300_000, 1 << 20).unwrap();
        let m = a.missing();
        assert_eq!(m.len(), 5);
        assert!(m.iter().all(|r| r.len <= MAX_RANGE));
        assert_eq!(m.iter().map(|r| r.len).sum::<u64>(), 300_000);
        assert_eq!(
            m[4],
            Range {
                offset: 4 * 65536,
                len: 300_000 - 4 * 65536
            }
        );
    }

    #[test]
    fn download_url_ranges_are_not_clamped_to_64_kib() {
        let a = Assembly::with_range_len(3_000_000, 1 << 20).unwrap();
        let m = a.missing();
        assert_eq!(m.len(), 3);
        assert_eq!(m[0].len, 1 << 20);
        assert_eq!(m[2].len, 3_000_000 - 2 * (1 << 20));
    }

    #[test]
    fn out_of_order_with_a_drop_and_a_short_answer_reassembles() {
        let src = artifact(200_000);
        let mut a = Assembly::new(src.len() as u64, MAX_RANGE).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let plan = a.plan(&mut rng);
        assert_ne!(plan, a.missing(), "shuffled");
        // Two ranges arrive, the second one short (server clamped to 1000 bytes); then the
        // link drops and the rest of the plan is lost.
        for (i, r) in plan.iter().take(2).enumerate() {
            let n = if i == 1 { 1000 } else { r.len as usize };
            let o = r.offset as usize;
            a.place(*r, r.offset, &src[o..o + n]).unwrap();
        }
        assert!(!a.is_complete());
        let before = a.received();
        // Resume: only the missing bytes are asked for.
        let resumed = a.plan(&mut rng);
        assert_eq!(resumed.iter().map(|r| r.len).sum::<u64>(), 200_000 - before);
        for r in resumed {
            let o = r.offset as usize;
            a.place(r, r.offset, &src[o..o + r.len as usize]).unwrap();
        }
        assert!(a.is_complete());
        assert_eq!(a.percent(), 100);
        assert_eq!(a.into_bytes(), src);
    }

    #[test]
    fn misplaced_or_oversized_answers_are_refused() {
        let mut a = Assembly::new(100, 64).unwrap();
        let r = Range {
            offset: 64,
            len: 36,
        };
        assert!(a.place(r, 0, &[0; 36]).is_err());
        assert!(a.place(r, 64, &[0; 40]).is_err());
        assert!(a.place(r, 64, &[0; 36]).is_ok());
        assert!(Assembly::new(0, 10).unwrap().is_complete());
    }

    #[test]
    fn corruption_changes_the_bytes() {
        let src = artifact(1000);
        let mut a = Assembly::new(1000, 1000).unwrap();
        a.place(
            Range {
                offset: 0,
                len: 1000,
            },
            0,
            &src,
        )
        .unwrap();
        a.corrupt(&mut ChaCha8Rng::seed_from_u64(1));
        assert_ne!(a.bytes(), &src[..]);
    }
}
