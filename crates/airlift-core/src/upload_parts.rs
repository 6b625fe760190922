//! Seed 003's part-size rule: every data chunk of an upload job but the last holds at least
//! the minimum (5 MiB on S3, where a shorter part fails the whole multipart upload only at its
//! end). A part shorter than the minimum is allowed only while it may still be the last; a
//! part after it proves it is not, and the job cannot complete.

use crate::error::ApiError;

/// Seed 003's minimum part size: 5 MiB.
pub const MIN_PART_BYTES: u64 = 5 * 1024 * 1024;

/// A part the server holds: its id (1-based) and length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartSize {
    pub id: u32,
    pub length: u64,
}

/// Checks a new part `id` against the parts already held (any order), as early as the
/// information allows: `length` is `None` before its bytes are read. Refused when a held short
/// part comes before it (that part is then not the last), or when the new part is short and a
/// held part comes after it.
pub fn check_new_part(
    held: &[PartSize],
    id: u32,
    length: Option<u64>,
    min: u64,
) -> Result<(), ApiError> {
    if let Some(short) = held
        .iter()
        .filter(|p| p.id < id && p.length < min)
        .min_by_key(|p| p.id)
    {
        return Err(short_part(short, min, Some(id)));
    }
    if let Some(length) = length.filter(|l| *l < min) {
        if let Some(later) = held.iter().filter(|p| p.id > id).min_by_key(|p| p.id) {
            return Err(short_part(&PartSize { id, length }, min, Some(later.id)));
        }
    }
    Ok(())
}

/// Checks a job's complete list of parts at completion: every part but the last (highest
/// id) holds at least `min` bytes.
pub fn check_complete(parts: &[PartSize], min: u64) -> Result<(), ApiError> {
    let last = parts.iter().map(|p| p.id).max().unwrap_or(0);
    match parts
        .iter()
        .filter(|p| p.id != last && p.length < min)
        .min_by_key(|p| p.id)
    {
        Some(short) => Err(short_part(short, min, None)),
        None => Ok(()),
    }
}

fn short_part(short: &PartSize, min: u64, followed_by: Option<u32>) -> ApiError {
    let why = match followed_by {
        Some(next) => format!("chunk {next} follows it, so it is not the last"),
        None => "it is not the last chunk".to_owned(),
    };
    ApiError::invalid_argument(format!(
        "chunk {} holds {} bytes, less than the minimum of {min} bytes for every chunk but the \
         last, and {why}; re-send chunk {} with at least {min} bytes (PUT .../chunks/{})",
        short.id, short.length, short.id, short.id
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: u64 = 10;

    fn p(id: u32, length: u64) -> PartSize {
        PartSize { id, length }
    }

    #[test]
    fn a_short_part_may_only_be_the_last() {
        assert!(check_complete(&[p(1, 10), p(2, 10), p(3, 1)], MIN).is_ok());
        assert!(check_complete(&[p(1, 1)], MIN).is_ok());
        let e = check_complete(&[p(1, 10), p(2, 9), p(3, 10)], MIN).unwrap_err();
        assert!(e.message.contains("chunk 2 holds 9 bytes"), "{}", e.message);
    }

    #[test]
    fn a_part_after_a_short_one_is_refused_at_once() {
        // Appending after a short part: known before the new part's bytes are read.
        let e = check_new_part(&[p(1, 10), p(2, 3)], 3, None, MIN).unwrap_err();
        assert!(e.message.contains("chunk 2 holds 3 bytes"), "{}", e.message);
        assert!(e.message.contains("chunk 3 follows it"), "{}", e.message);
        // A short part put before a held one: known once its length is.
        assert!(check_new_part(&[p(3, 10)], 1, None, MIN).is_ok());
        let e = check_new_part(&[p(3, 10)], 1, Some(4), MIN).unwrap_err();
        assert!(e.message.contains("chunk 1 holds 4 bytes"), "{}", e.message);
        // Parts that obey the rule, in any order, and a short one that may be the last.
        assert!(check_new_part(&[p(2, 10), p(3, 5)], 1, Some(10), MIN).is_ok());
        assert!(check_new_part(&[p(1, 10)], 2, Some(1), MIN).is_ok());
        // Re-sending the short part itself, longer, is how to repair it.
        assert!(check_new_part(&[p(1, 10), p(2, 3), p(3, 10)], 2, Some(10), MIN).is_ok());
    }
}
