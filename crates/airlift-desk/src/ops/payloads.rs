//! Creating a JSON or URL_LIST package (seed 002), for the app's package form and any other
//! front. The payload is checked with airlift-core's rules before anything is sent (the same
//! rules the server applies), signed over its canonical JSON's SHA-256 when a key is given,
//! and sent once; the server fetches and verifies a URL list's files before the package
//! exists. [`file_checks`] turns the server's answer into one verdict per file of the list.

use airlift_core::payload::{parse_inline, PayloadType};
use airlift_core::wire::{CompatibilitySpec, CreatePackage, Package};
use serde::{Deserialize, Serialize};

use crate::client::Client;
use crate::error::{DeskError, DeskErrorCode};
use crate::signing::SigningKey;
use crate::upload::PackageSpec;

/// One file of a URL list as the person enters it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UrlListFile {
    pub url: String,
    pub sha256: String,
    pub size_bytes: u64,
}

/// What the package carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InlinePayload {
    /// The JSON editor's text (an object).
    Json(String),
    UrlList(Vec<UrlListFile>),
}

/// One file's verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileCheck {
    /// Fetched by the server and matched its size and SHA-256.
    Verified,
    /// Refused, with the server's (or the local rule's) words.
    Refused(String),
    /// Not looked at: an earlier file or another field was refused first.
    NotChecked,
}

/// The package (or why there is none) and, for a URL list, each file's verdict.
#[derive(Debug)]
pub struct InlineOutcome {
    pub package: Result<Package, DeskError>,
    pub files: Vec<FileCheck>,
}

/// The JSON editor's text as a value; a syntax error names its line and column.
pub fn parse_json_text(text: &str) -> Result<serde_json::Value, DeskError> {
    serde_json::from_str(text).map_err(|e| {
        DeskError::new(
            DeskErrorCode::InvalidArgument,
            format!(
                "payload is not valid JSON: line {}, column {}: {e}",
                e.line(),
                e.column()
            ),
        )
    })
}

/// Checks, signs and creates the package. Never retried: the server creates it once.
pub async fn create_inline_package(
    client: &Client,
    spec: &PackageSpec,
    payload: &InlinePayload,
    signer: Option<&SigningKey>,
) -> InlineOutcome {
    let count = match payload {
        InlinePayload::Json(_) => 0,
        InlinePayload::UrlList(files) => files.len(),
    };
    let package = send(client, spec, payload, signer).await;
    let files = file_checks(count, package.as_ref().err());
    InlineOutcome { package, files }
}

async fn send(
    client: &Client,
    spec: &PackageSpec,
    payload: &InlinePayload,
    signer: Option<&SigningKey>,
) -> Result<Package, DeskError> {
    let (payload_type, value) = match payload {
        InlinePayload::Json(text) => (PayloadType::Json, parse_json_text(text)?),
        InlinePayload::UrlList(files) => (
            PayloadType::UrlList,
            serde_json::to_value(files).map_err(|e| DeskError::internal(e.to_string()))?,
        ),
    };
    let inline = parse_inline(payload_type, Some(&value))?;
    let signature = signer
        .map(|key| key.sign_digest(&inline.digest()))
        .transpose()?;
    let req = CreatePackage {
        package_type: spec.package_type,
        version: spec.version.trim().to_owned(),
        payload_type,
        artifact_uri: None,
        sha256: None,
        signature,
        size_bytes: None,
        payload: Some(value),
        compatibility: CompatibilitySpec {
            device_type: spec.device_type.trim().to_owned(),
            min_version: spec.min_version.trim().to_owned(),
        },
        release_notes: spec.release_notes.clone(),
    };
    client.create_package(&req).await
}

/// One verdict per file of a `count`-file list from the answer: success verifies every file;
/// `payload[N] (URL): …` means files before N were fetched and matched and N failed (the
/// server fetches in order); any other `payload[N]…` refused N before anything was fetched;
/// another error leaves every file unchecked.
pub fn file_checks(count: usize, error: Option<&DeskError>) -> Vec<FileCheck> {
    let Some(error) = error else {
        return vec![FileCheck::Verified; count];
    };
    let message = error.message();
    let Some((index, fetched)) = refused_entry(message) else {
        return vec![FileCheck::NotChecked; count];
    };
    (0..count)
        .map(|i| match i.cmp(&index) {
            std::cmp::Ordering::Less if fetched => FileCheck::Verified,
            std::cmp::Ordering::Equal => FileCheck::Refused(message.to_owned()),
            _ => FileCheck::NotChecked,
        })
        .collect()
}

/// The entry a message names (`payload[N]`), and whether it was refused while fetching.
fn refused_entry(message: &str) -> Option<(usize, bool)> {
    let start = message.find("payload[")? + "payload[".len();
    let rest = &message[start..];
    let end = rest.find(']')?;
    let index = rest[..end].parse().ok()?;
    Some((index, rest[end + 1..].starts_with(" (")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(message: &str) -> DeskError {
        DeskError::new(DeskErrorCode::InvalidArgument, message)
    }

    #[test]
    fn each_file_gets_the_verdict_the_answer_implies() {
        use FileCheck::*;
        assert_eq!(file_checks(2, None), vec![Verified, Verified]);
        let fetch = "payload[1] (http://h/b.bin): checksum mismatch: the file's SHA-256 is …";
        assert_eq!(
            file_checks(3, Some(&err(fetch))),
            vec![Verified, Refused(fetch.to_owned()), NotChecked]
        );
        let rule = "payload[2].url: artifact host h is not on this server's allow-list";
        assert_eq!(
            file_checks(3, Some(&err(rule))),
            vec![NotChecked, NotChecked, Refused(rule.to_owned())]
        );
        assert_eq!(
            file_checks(2, Some(&err("version must be a semantic version"))),
            vec![NotChecked, NotChecked]
        );
    }

    #[test]
    fn a_json_syntax_error_names_line_and_column() {
        let e = parse_json_text("{\n  \"a\": 1,\n  \"b\" 2\n}").unwrap_err();
        assert!(e.message().contains("line 3, column 7"), "{}", e.message());
    }
}
