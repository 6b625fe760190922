//! Streaming one byte range of one object (the download URLs' `Range` requests): only that
//! object is opened, and its bytes flow through in the store's own pieces, never whole in
//! memory.

use airlift_core::error::ApiError;
use bytes::Bytes;
use futures_util::stream::BoxStream;
use object_store::path::Path;
use object_store::{GetOptions, GetRange};

use super::Artifacts;
use crate::error::AppError;

/// What a ranged read needs to know first.
#[derive(Debug, Clone)]
pub struct ObjectInfo {
    pub size: u64,
    pub e_tag: Option<String>,
}

impl Artifacts {
    /// The object's size and entity tag; `None` if there is no such object.
    pub async fn info(&self, key: &Path) -> Result<Option<ObjectInfo>, AppError> {
        match self.store.head(key).await {
            Ok(meta) => Ok(Some(ObjectInfo {
                size: meta.size,
                e_tag: meta.e_tag,
            })),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Bytes `range` of the object, as a stream. The object may have disappeared since
    /// [`Artifacts::info`]: that is a not-found error, not a short read.
    pub async fn stream_range(
        &self,
        key: &Path,
        range: std::ops::Range<u64>,
    ) -> Result<BoxStream<'static, Result<Bytes, object_store::Error>>, AppError> {
        let options = GetOptions {
            range: Some(GetRange::Bounded(range)),
            ..GetOptions::default()
        };
        let got = match self.store.get_opts(key, options).await {
            Ok(got) => got,
            Err(object_store::Error::NotFound { .. }) => {
                return Err(ApiError::not_found("the object of this URL no longer exists").into())
            }
            Err(e) => return Err(e.into()),
        };
        Ok(got.into_stream())
    }
}
