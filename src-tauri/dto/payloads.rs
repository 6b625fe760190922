//! Seed 002's JSON and URL_LIST packages: what the package form sends and what it shows back.

use airlift_desk::ops::payloads::{FileCheck, UrlListFile};
use airlift_desk::upload::PackageSpec;
use airlift_desk::DeskError;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::catalog::{PackageKind, PackageSummary, PayloadKind};
use super::IpcError;

/// One file of a URL list as entered.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct UrlFile {
    pub url: String,
    pub sha256: String,
    pub size_bytes: u64,
}

/// A JSON package (`json`, the editor's text) or a URL_LIST package (`files`).
#[derive(Clone, Deserialize, TS)]
pub struct InlinePackageRequest {
    #[serde(rename = "type")]
    #[ts(rename = "type")]
    pub package_type: PackageKind,
    pub version: String,
    pub device_type: String,
    pub min_version: String,
    pub release_notes: String,
    pub payload_type: PayloadKind,
    /// JSON: the object's text.
    #[serde(default)]
    #[ts(optional)]
    pub json: Option<String>,
    /// URL_LIST: the files.
    #[serde(default)]
    pub files: Vec<UrlFile>,
    /// The key to sign with (`None`: unsigned).
    pub key_id: Option<String>,
    /// Unlocks `key_id` (not needed for the demo key).
    #[serde(default)]
    #[ts(optional)]
    pub passphrase: Option<String>,
}

impl InlinePackageRequest {
    pub fn spec(&self) -> PackageSpec {
        PackageSpec {
            package_type: self.package_type.into(),
            version: self.version.trim().to_owned(),
            device_type: self.device_type.trim().to_owned(),
            min_version: self.min_version.trim().to_owned(),
            release_notes: self.release_notes.clone(),
        }
    }

    pub fn url_files(&self) -> Vec<UrlListFile> {
        self.files
            .iter()
            .map(|f| UrlListFile {
                url: f.url.trim().to_owned(),
                sha256: f.sha256.trim().to_owned(),
                size_bytes: f.size_bytes,
            })
            .collect()
    }
}

/// A file's verdict from the server's answer.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum FileVerdict {
    /// Fetched by the server and matched its size and SHA-256.
    Verified,
    Refused {
        message: String,
    },
    /// Not looked at: something before it was refused.
    NotChecked,
}

impl From<FileCheck> for FileVerdict {
    fn from(c: FileCheck) -> Self {
        match c {
            FileCheck::Verified => FileVerdict::Verified,
            FileCheck::Refused(message) => FileVerdict::Refused { message },
            FileCheck::NotChecked => FileVerdict::NotChecked,
        }
    }
}

/// The package, or why there is none, and each listed file's verdict.
#[derive(Debug, Serialize, TS)]
pub struct InlinePackageOutcome {
    pub package: Option<PackageSummary>,
    pub error: Option<IpcError>,
    pub files: Vec<FileVerdict>,
}

impl InlinePackageOutcome {
    pub fn refused(error: &DeskError, files: usize) -> Self {
        InlinePackageOutcome {
            package: None,
            error: Some(IpcError {
                code: error.code().into(),
                message: error.message().to_owned(),
            }),
            files: vec![FileVerdict::NotChecked; files],
        }
    }
}
