//! Cooperative cancellation shared between the UI thread and long-running work.
//!
//! Work checks the token between chunks (about 1 MiB), so cancelling takes effect within one
//! chunk's worth of I/O rather than at the end of an 8 GiB file.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::error::DeskError;

/// A cheap, clonable flag: every clone observes the same cancellation.
#[derive(Debug, Clone, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks every holder of a clone to stop. Idempotent.
    pub fn cancel(&self) {
        // Relaxed is enough: the flag carries no data, and workers re-check it every chunk.
        self.0.store(true, Ordering::Relaxed);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    /// `Err(CANCELLED)` naming `what` once cancelled, so workers can write `token.check("...")?`.
    pub fn check(&self, what: &str) -> Result<(), DeskError> {
        if self.is_cancelled() {
            Err(DeskError::cancelled(what))
        } else {
            Ok(())
        }
    }
}
