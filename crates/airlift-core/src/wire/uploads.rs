use serde::{Deserialize, Serialize};

/// `POST /api/v1/ota/upload-jobs` (seed 003): both fields default to "".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateUploadJob {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Store the image encrypted (seed 003's `datafile_encryption`); its parts are encrypted
    /// as they arrive.
    #[serde(default)]
    pub datafile_encryption: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UploadJobStatus {
    NotStarted,
    InProgress,
    /// The zero-length chunk arrived and the parts are being assembled and hashed; chunks are
    /// refused meanwhile. A server that stops here goes back to `in_progress` on restart.
    Completing,
    Completed,
}

impl UploadJobStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotStarted => "not_started",
            Self::InProgress => "in_progress",
            Self::Completing => "completing",
            Self::Completed => "completed",
        }
    }
}

/// An upload job, seed 003's shape plus `chunk_count` and `bytes_received` (what the server
/// holds, for a client deciding whether to resume).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadJob {
    pub id: String,
    pub object: String,
    pub name: String,
    pub description: String,
    pub status: UploadJobStatus,
    pub completed: bool,
    /// "" until the job completes.
    pub firmware_image_id: String,
    pub chunk_count: u64,
    pub bytes_received: u64,
    pub created_at: String,
    pub updated_at: String,
    pub etag: String,
    /// The job stores its parts, and its image, encrypted.
    #[serde(default)]
    pub datafile_encryption: bool,
}

/// One stored chunk (part) of an upload job. `hash` is the hex MD5 the client sent as
/// `Content-MD5`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadChunk {
    pub id: u32,
    pub length: u64,
    pub hash: String,
    pub created_at: String,
    pub updated_at: String,
    pub etag: String,
}

/// A firmware image: the assembled, hashed result of a completed upload job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirmwareImage {
    pub id: String,
    pub object: String,
    pub name: String,
    pub description: String,
    /// `airlift://images/{id}`: what a package's `artifact_uri` names to use this image.
    pub datafile: String,
    /// Lowercase hex SHA-256 of the assembled bytes.
    pub datafile_checksum: String,
    pub datafile_size: u64,
    /// Whether the stored bytes are encrypted (always `false` until encryption exists).
    #[serde(default)]
    pub datafile_encryption: bool,
    /// The upload job it came from; `""` for a single-shot upload (`POST /api/v1/ota/images`).
    pub upload_job_id: String,
    pub created_at: String,
    pub updated_at: String,
    pub etag: String,
}
