//! What a device may report (seed 002's installation statuses plus seed 000's `success` /
//! `failure`) and how each report moves the device's rollout state.
//!
//! The mapping is the spec's: `success`, or `INSTALLED_VERSION` naming the package's version,
//! is a success; `failure`, any `*_ERROR` and `INSTALL_ABORTED` are failures; everything else is
//! progress. `INSTALLED_VERSION` naming some other version is only an observation (e.g. a reboot
//! into the old build before the update starts), so it records the version and changes nothing.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::device_state::DeviceTrigger;
use crate::error::ApiError;
use crate::package::quoted;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum InstallStatus {
    Init,
    Test,
    TestStep,
    TestError,
    TestSuccess,
    Download,
    DownloadStep,
    DownloadSuccess,
    DownloadError,
    Install,
    InstallStep,
    InstallAborted,
    InstallError,
    InstallSuccess,
    InstalledVersion,
    /// Seed 000's final verdict, lowercase on the wire.
    #[serde(rename = "success")]
    Success,
    /// Seed 000's final verdict, lowercase on the wire.
    #[serde(rename = "failure")]
    Failure,
}

impl InstallStatus {
    pub const ALL: [InstallStatus; 17] = [
        InstallStatus::Init,
        InstallStatus::Test,
        InstallStatus::TestStep,
        InstallStatus::TestError,
        InstallStatus::TestSuccess,
        InstallStatus::Download,
        InstallStatus::DownloadStep,
        InstallStatus::DownloadSuccess,
        InstallStatus::DownloadError,
        InstallStatus::Install,
        InstallStatus::InstallStep,
        InstallStatus::InstallAborted,
        InstallStatus::InstallError,
        InstallStatus::InstallSuccess,
        InstallStatus::InstalledVersion,
        InstallStatus::Success,
        InstallStatus::Failure,
    ];

    /// The wire spelling, identical to the serde form.
    pub fn as_str(self) -> &'static str {
        match self {
            InstallStatus::Init => "INIT",
            InstallStatus::Test => "TEST",
            InstallStatus::TestStep => "TEST_STEP",
            InstallStatus::TestError => "TEST_ERROR",
            InstallStatus::TestSuccess => "TEST_SUCCESS",
            InstallStatus::Download => "DOWNLOAD",
            InstallStatus::DownloadStep => "DOWNLOAD_STEP",
            InstallStatus::DownloadSuccess => "DOWNLOAD_SUCCESS",
            InstallStatus::DownloadError => "DOWNLOAD_ERROR",
            InstallStatus::Install => "INSTALL",
            InstallStatus::InstallStep => "INSTALL_STEP",
            InstallStatus::InstallAborted => "INSTALL_ABORTED",
            InstallStatus::InstallError => "INSTALL_ERROR",
            InstallStatus::InstallSuccess => "INSTALL_SUCCESS",
            InstallStatus::InstalledVersion => "INSTALLED_VERSION",
            InstallStatus::Success => "success",
            InstallStatus::Failure => "failure",
        }
    }
}

impl fmt::Display for InstallStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for InstallStatus {
    type Err = ApiError;

    /// Exact wire spelling only: a device that sends `Success` or `install_error` has a bug we
    /// want to see, not paper over.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        InstallStatus::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = InstallStatus::ALL.iter().map(|st| st.as_str()).collect();
                ApiError::invalid_argument(format!(
                    "status must be one of {}; got {}",
                    names.join(", "),
                    quoted(s)
                ))
            })
    }
}

/// What a report means for the device's rollout state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportOutcome {
    /// Still working (test, download, install steps and their intermediate successes).
    Progress,
    /// The device runs the package's version.
    Succeeded,
    /// The device gave up or could not install.
    Failed,
    /// `INSTALLED_VERSION` naming another version: record it, change no state.
    Observed,
}

impl ReportOutcome {
    /// The per-device trigger this outcome fires, if any.
    pub fn trigger(self) -> Option<DeviceTrigger> {
        match self {
            ReportOutcome::Progress => Some(DeviceTrigger::Progress),
            ReportOutcome::Succeeded => Some(DeviceTrigger::Succeed),
            ReportOutcome::Failed => Some(DeviceTrigger::Fail),
            ReportOutcome::Observed => None,
        }
    }
}

/// Classify one report against the package being rolled out.
///
/// `reported_version` only matters for `INSTALLED_VERSION`; it is compared as semver (so
/// `2.0.0` and the package's `2.0.0` match) and a non-semver value (a git hash, say) never
/// matches a semver package version.
pub fn classify(
    status: InstallStatus,
    reported_version: &str,
    package_version: &semver::Version,
) -> ReportOutcome {
    use InstallStatus::*;
    match status {
        Success => ReportOutcome::Succeeded,
        InstalledVersion => match semver::Version::parse(reported_version.trim()) {
            Ok(v) if v == *package_version => ReportOutcome::Succeeded,
            _ => ReportOutcome::Observed,
        },
        Failure | TestError | DownloadError | InstallError | InstallAborted => {
            ReportOutcome::Failed
        }
        Init | Test | TestStep | TestSuccess | Download | DownloadStep | DownloadSuccess
        | Install | InstallStep | InstallSuccess => ReportOutcome::Progress,
    }
}
