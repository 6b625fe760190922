//! What `GET /devices/{id}/ota/download` serves: the assigned package's stored bytes (a FILE
//! package's artifact, a JSON or URL_LIST package's canonical payload) or one file of a URL
//! list, whole or one `Range`, streamed in bounded pieces whatever its size.

use std::ops::Range;

use airlift_core::error::ApiError;
use airlift_core::payload::UrlListEntry;
use bytes::Bytes;
use futures_util::Stream;

use crate::artifacts::Artifacts;
use crate::store::PackageRecord;

/// Bytes read from the store per piece of a streamed answer.
const PIECE: u64 = 1024 * 1024;

/// An object to serve and its length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Servable {
    pub key: String,
    pub size: u64,
}

/// The package's own bytes, or (`file`) the n-th file of its URL list.
pub fn servable(package: &PackageRecord, file: Option<usize>) -> Result<Servable, ApiError> {
    let Some(n) = file else {
        return Ok(Servable {
            key: package.storage_key.clone(),
            size: package.size_bytes,
        });
    };
    let entries: Vec<UrlListEntry> = package
        .payload
        .as_deref()
        .and_then(|text| serde_json::from_str(text).ok())
        .unwrap_or_default();
    match (package.file_keys.get(n), entries.get(n)) {
        (Some(key), Some(entry)) => Ok(Servable {
            key: key.clone(),
            size: entry.size_bytes,
        }),
        _ => Err(ApiError::not_found(format!(
            "the assigned package has no file {n} (it lists {} files)",
            package.file_keys.len()
        ))),
    }
}

/// A `Range` that is not one byte range inside the object (answered 416).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unsatisfiable;

/// A `Range` header (one `bytes=` range; RFC 9110) over `size` bytes: `Ok(None)` for the whole
/// object.
pub fn parse_range(header: Option<&str>, size: u64) -> Result<Option<Range<u64>>, Unsatisfiable> {
    let Some(h) = header else { return Ok(None) };
    let spec = h.trim().strip_prefix("bytes=").ok_or(Unsatisfiable)?;
    if spec.contains(',') {
        return Err(Unsatisfiable);
    }
    let (start, end) = spec.split_once('-').ok_or(Unsatisfiable)?;
    let range = match (start.trim(), end.trim()) {
        ("", suffix) => {
            let n: u64 = suffix.parse().map_err(|_| Unsatisfiable)?;
            size.saturating_sub(n)..size
        }
        (start, "") => start.parse().map_err(|_| Unsatisfiable)?..size,
        (start, end) => {
            let end: u64 = end.parse().map_err(|_| Unsatisfiable)?;
            start.parse().map_err(|_| Unsatisfiable)?..(end.saturating_add(1)).min(size)
        }
    };
    if range.start >= range.end {
        return Err(Unsatisfiable);
    }
    Ok(Some(range))
}

/// `range` of the object `key`, as a stream of pieces of at most [`PIECE`] bytes.
pub fn stream(
    artifacts: &Artifacts,
    key: String,
    range: Range<u64>,
) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static {
    let artifacts = artifacts.clone();
    futures_util::stream::try_unfold(range.start, move |offset| {
        let artifacts = artifacts.clone();
        let key = key.clone();
        let end = range.end;
        async move {
            if offset >= end {
                return Ok(None);
            }
            let upto = end.min(offset + PIECE);
            let bytes = artifacts
                .get_range(&key, offset..upto)
                .await
                .map_err(|_| std::io::Error::other("reading a stored object failed"))?;
            if bytes.is_empty() {
                return Err(std::io::Error::other(
                    "stored object is shorter than recorded",
                ));
            }
            let next = offset + bytes.len() as u64;
            Ok(Some((bytes, next)))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_single_and_inside_the_object() {
        assert_eq!(parse_range(None, 10), Ok(None));
        assert_eq!(parse_range(Some("bytes=0-3"), 10), Ok(Some(0..4)));
        assert_eq!(parse_range(Some("bytes=4-"), 10), Ok(Some(4..10)));
        assert_eq!(parse_range(Some("bytes=-3"), 10), Ok(Some(7..10)));
        assert_eq!(parse_range(Some("bytes=5-99"), 10), Ok(Some(5..10)));
        for bad in [
            "bytes=10-",
            "bytes=0-1,3-4",
            "items=0-1",
            "bytes=x-1",
            "bytes=5-2",
        ] {
            assert_eq!(parse_range(Some(bad), 10), Err(Unsatisfiable), "{bad}");
        }
    }
}
