//! Upload progress: bytes, rate and time left.

use std::time::{Duration, Instant};

use serde::Serialize;

/// A snapshot of an upload, sent to the progress callback several times a second.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UploadProgress {
    pub total_bytes: u64,
    /// Bytes the server holds: parts sent now plus parts it already had (resume).
    pub done_bytes: u64,
    /// Bytes read and hashed so far (the SHA-256 runs alongside the upload).
    pub hashed_bytes: u64,
    pub parts_total: u32,
    pub parts_done: u32,
    /// Sending rate this session, bytes per second (0 until something was sent).
    pub bytes_per_sec: f64,
    /// Estimated seconds left, once a rate is known.
    pub eta_secs: Option<u64>,
}

/// Accumulates counters and derives rate and ETA.
#[derive(Debug)]
pub(crate) struct Tracker {
    started: Instant,
    pub total_bytes: u64,
    pub parts_total: u32,
    pub sent_bytes: u64,
    pub skipped_bytes: u64,
    pub hashed_bytes: u64,
    pub parts_sent: u32,
    pub parts_skipped: u32,
}

impl Tracker {
    pub fn new(total_bytes: u64, parts_total: u32) -> Self {
        Self {
            started: Instant::now(),
            total_bytes,
            parts_total,
            sent_bytes: 0,
            skipped_bytes: 0,
            hashed_bytes: 0,
            parts_sent: 0,
            parts_skipped: 0,
        }
    }

    pub fn snapshot(&self) -> UploadProgress {
        self.snapshot_at(self.started.elapsed())
    }

    fn snapshot_at(&self, elapsed: Duration) -> UploadProgress {
        let secs = elapsed.as_secs_f64();
        let rate = if secs > 0.0 && self.sent_bytes > 0 {
            self.sent_bytes as f64 / secs
        } else {
            0.0
        };
        let done = self.sent_bytes + self.skipped_bytes;
        let left = self.total_bytes.saturating_sub(done);
        let eta_secs = (rate > 0.0).then(|| (left as f64 / rate).ceil() as u64);
        UploadProgress {
            total_bytes: self.total_bytes,
            done_bytes: done,
            hashed_bytes: self.hashed_bytes,
            parts_total: self.parts_total,
            parts_done: self.parts_sent + self.parts_skipped,
            bytes_per_sec: rate,
            eta_secs,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_and_eta() {
        let mut t = Tracker::new(1000, 10);
        assert_eq!(t.snapshot_at(Duration::from_secs(1)).eta_secs, None);
        t.sent_bytes = 200;
        t.skipped_bytes = 300;
        t.parts_sent = 2;
        t.parts_skipped = 3;
        let p = t.snapshot_at(Duration::from_secs(2));
        assert_eq!(p.done_bytes, 500);
        assert_eq!(p.parts_done, 5);
        assert!((p.bytes_per_sec - 100.0).abs() < 1e-9);
        assert_eq!(p.eta_secs, Some(5));
    }
}
