//! The rollout view's analytics: its progress over time (the chart) and its failure reasons
//! (the panel), each with how old the copy is.

use airlift_core::wire::{FailureReason, TimelinePoint};
use airlift_desk::ops::rollout_analytics::Seen;
use serde::Serialize;
use ts_rs::TS;

/// Device counts as they stood at the end of one minute.
#[derive(Debug, Clone, Serialize, TS)]
pub struct ProgressPoint {
    /// The minute (RFC 3339, seconds zero).
    pub at: String,
    pub succeeded: u64,
    /// Failed and timed out.
    pub failed: u64,
    /// Told and not decided yet.
    pub in_progress: u64,
    /// Not told yet.
    pub pending: u64,
}

/// A rollout's progress over time, oldest first (one point per minute in which it changed).
#[derive(Debug, Clone, Serialize, TS)]
pub struct RolloutProgress {
    pub points: Vec<ProgressPoint>,
    pub fresh: bool,
    /// When this copy was fetched; null offline when it never was.
    pub synced_at_ms: Option<i64>,
    pub offline_reason: Option<String>,
}

impl From<Seen<Vec<TimelinePoint>>> for RolloutProgress {
    fn from(s: Seen<Vec<TimelinePoint>>) -> Self {
        RolloutProgress {
            points: s
                .data
                .into_iter()
                .map(|p| ProgressPoint {
                    at: p.at,
                    succeeded: p.succeeded,
                    failed: p.failed,
                    in_progress: p.in_progress,
                    pending: p.pending,
                })
                .collect(),
            fresh: s.fresh,
            synced_at_ms: s.synced_at_ms,
            offline_reason: s.offline_reason,
        }
    }
}

/// Devices that failed for one reason (messages with numbers, paths and hex taken out).
#[derive(Debug, Clone, Serialize, TS)]
pub struct FailureGroup {
    pub reason: String,
    /// The report status (INSTALL_ERROR, DOWNLOAD_ERROR, …) or TIMED_OUT.
    pub status: String,
    pub count: u64,
    /// Up to five of the devices, first failed first.
    pub sample_device_ids: Vec<String>,
    /// The first failure's message as the device sent it (null: none, or a timeout).
    pub example_message: Option<String>,
}

/// A rollout's failure reasons, largest first.
#[derive(Debug, Clone, Serialize, TS)]
pub struct RolloutFailures {
    pub groups: Vec<FailureGroup>,
    pub fresh: bool,
    pub synced_at_ms: Option<i64>,
    pub offline_reason: Option<String>,
}

impl From<Seen<Vec<FailureReason>>> for RolloutFailures {
    fn from(s: Seen<Vec<FailureReason>>) -> Self {
        RolloutFailures {
            groups: s
                .data
                .into_iter()
                .map(|r| FailureGroup {
                    reason: r.reason,
                    status: r.status,
                    count: r.count,
                    sample_device_ids: r.sample_device_ids,
                    example_message: r.example_message,
                })
                .collect(),
            fresh: s.fresh,
            synced_at_ms: s.synced_at_ms,
            offline_reason: s.offline_reason,
        }
    }
}
