//! Seed 002's `config_otau` for a device's assignment, built in one place from the package and
//! the URLs the device downloads from, so where those URLs come from can change without
//! touching how the answer is shaped.

use airlift_core::payload::{PayloadType, UrlListEntry};
use airlift_core::wire::{ConfigOtau, OtauFile, OtauPayload};

use crate::store::PackageRecord;

/// Where a device downloads an assignment's bytes.
pub struct DownloadUrls {
    /// The package's stored bytes (a FILE package's artifact).
    pub package: String,
    /// A URL_LIST package's files, in list order (empty for other types).
    pub files: Vec<String>,
}

/// The device protocol's own download route for `device_id`: the package's stored bytes, or
/// (`file`) the n-th file of its list. Relative to the server's URL, which the device polls.
pub fn device_download_urls(device_id: &str, package: &PackageRecord) -> DownloadUrls {
    let base = format!(
        "/api/v1/devices/{device_id}/ota/download?package_id={}",
        package.id
    );
    DownloadUrls {
        files: (0..package.file_keys.len())
            .map(|n| format!("{base}&file={n}"))
            .collect(),
        package: base,
    }
}

/// `{"version", "name", "description", "type", "payload"}` for `package`: the download URL
/// (FILE), the object (JSON), or the list with the device's download URLs (URL_LIST).
pub fn config_otau(package: &PackageRecord, urls: DownloadUrls) -> ConfigOtau {
    let payload = match package.payload_type {
        PayloadType::File => OtauPayload::File(urls.package),
        PayloadType::Json => OtauPayload::Json(
            package
                .payload
                .as_deref()
                .and_then(|text| serde_json::from_str(text).ok())
                .unwrap_or_default(),
        ),
        PayloadType::UrlList => {
            let entries: Vec<UrlListEntry> = package
                .payload
                .as_deref()
                .and_then(|text| serde_json::from_str(text).ok())
                .unwrap_or_default();
            OtauPayload::UrlList(
                entries
                    .into_iter()
                    .zip(urls.files)
                    .map(|(e, url)| OtauFile {
                        url,
                        sha256: e.sha256,
                        size_bytes: e.size_bytes,
                        source_url: e.url,
                    })
                    .collect(),
            )
        }
    };
    ConfigOtau::new(
        &package.key.version,
        format!("{} {}", package.key.device_type, package.key.version),
        &package.release_notes,
        payload,
    )
}
