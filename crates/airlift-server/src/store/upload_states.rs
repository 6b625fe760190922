//! What an upload job's stored state allows (seed 003), the same for every adapter: the
//! status column read back, whether a job takes chunks, and whether its parts form an image.

use airlift_core::wire::UploadJobStatus;

use crate::store::{ApiError, ChunkRecord, StoreResult};

pub fn status_of(s: &str) -> UploadJobStatus {
    match s {
        "in_progress" => UploadJobStatus::InProgress,
        "completing" => UploadJobStatus::Completing,
        "completed" => UploadJobStatus::Completed,
        _ => UploadJobStatus::NotStarted,
    }
}

/// Refuses chunks for jobs that can no longer take them (seed 003: a completed job is 400).
pub fn ensure_open(status: UploadJobStatus) -> StoreResult<()> {
    match status {
        UploadJobStatus::Completed => {
            Err(ApiError::invalid_argument("the upload job is already completed").into())
        }
        UploadJobStatus::Completing => Err(ApiError::failed_precondition(
            "the upload job is being completed and takes no more chunks",
        )
        .into()),
        UploadJobStatus::NotStarted | UploadJobStatus::InProgress => Ok(()),
    }
}

/// The job's parts (ascending) make an image: at least one, and 1..=N with no gap (parts may
/// arrive in any order). INVALID_ARGUMENT with no data; FAILED_PRECONDITION naming gaps.
pub fn check_complete(chunks: &[ChunkRecord]) -> StoreResult<()> {
    if chunks.is_empty() {
        return Err(ApiError::invalid_argument(
            "the upload job has no data: the first chunk cannot be empty",
        )
        .into());
    }
    let missing: Vec<u32> = missing_parts(chunks.iter().map(|c| c.chunk_id));
    if !missing.is_empty() {
        let shown: Vec<String> = missing.iter().take(20).map(u32::to_string).collect();
        return Err(ApiError::failed_precondition(format!(
            "cannot complete: parts missing before part {}: {}{}",
            chunks.last().map_or(0, |c| c.chunk_id),
            shown.join(", "),
            if missing.len() > 20 { ", ..." } else { "" }
        ))
        .into());
    }
    Ok(())
}

/// Part numbers absent from 1..=max of the (ascending) ids given.
fn missing_parts(ids: impl Iterator<Item = u32>) -> Vec<u32> {
    let mut missing = Vec::new();
    let mut expected = 1u32;
    for id in ids {
        while expected < id {
            missing.push(expected);
            expected += 1;
        }
        expected = id.saturating_add(1);
    }
    missing
}

#[cfg(test)]
mod tests {
    use super::missing_parts;

    #[test]
    fn gaps_are_reported() {
        assert!(missing_parts([1, 2, 3].into_iter()).is_empty());
        assert_eq!(missing_parts([2, 4].into_iter()), vec![1, 3]);
    }
}
