//! What a run produced: per-device outcomes and the final JSON summary.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::faults::DeviceFaults;
use crate::state::DeviceState;

/// How one job (one command, or one assignment without commands) ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobResult {
    /// Installed; runs the package's version (reported INSTALLED_VERSION).
    Installed,
    /// The download broke off (DOWNLOAD_ERROR).
    DownloadError,
    /// The bytes failed the SHA-256 or signature check (DOWNLOAD_ERROR / INSTALL_ABORTED);
    /// nothing was installed.
    Rejected,
    /// The install failed (INSTALL_ERROR).
    InstallError,
    /// The device went silent after taking the command.
    Hung,
    /// The assignment changed or vanished mid-job (e.g. the rollout rolled back).
    Superseded,
    /// The run stopped before the job ended.
    Interrupted,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobOutcome {
    pub rollout_id: String,
    pub package_id: String,
    pub version: String,
    /// `ota_start`, `ota_rollback`, or `none` when the server sent no command.
    pub command: String,
    pub result: JobResult,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Link drops survived while downloading (resumed each time).
    pub resumes: u32,
}

/// One device at the end of the run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceOutcome {
    pub index: u64,
    pub device_id: String,
    pub faults: DeviceFaults,
    pub state: DeviceState,
    pub firmware_version: String,
    pub jobs: Vec<JobOutcome>,
    /// Calls that failed (after retries), by kind; a healthy run has none.
    pub errors: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

/// The final report of [`crate::Fleet::run`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub devices: u64,
    pub seed: u64,
    pub elapsed_ms: u64,
    /// Devices per final state (zero counts omitted).
    pub states: BTreeMap<DeviceState, u64>,
    /// Jobs per result, over all devices.
    pub jobs: BTreeMap<JobResult, u64>,
    /// Devices per injected fault.
    pub faults: BTreeMap<String, u64>,
    /// Devices per firmware version at the end.
    pub firmware: BTreeMap<String, u64>,
    /// Times the tenant's signing keys were fetched again because a signature verified with
    /// none of the keys known (a key registered after the start).
    #[serde(default)]
    pub key_refreshes: u64,
    /// Calls that still failed after their retries, over all devices (a healthy run has none).
    #[serde(default)]
    pub errors: u64,
    /// Every device's outcome, when asked for (`--per-device`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub per_device: Option<Vec<DeviceOutcome>>,
    /// Always kept for embedding code; not serialized unless `per_device` is set.
    #[serde(skip)]
    pub outcomes: Vec<DeviceOutcome>,
}

impl Summary {
    pub fn build(
        seed: u64,
        elapsed_ms: u64,
        outcomes: Vec<DeviceOutcome>,
        per_device: bool,
    ) -> Self {
        let mut states = BTreeMap::new();
        let mut jobs = BTreeMap::new();
        let mut faults = BTreeMap::new();
        let mut firmware = BTreeMap::new();
        let mut errors = 0;
        for o in &outcomes {
            errors += o.errors;
            *states.entry(o.state).or_insert(0) += 1;
            for j in &o.jobs {
                *jobs.entry(j.result).or_insert(0) += 1;
            }
            if let Some(f) = o.faults.fault {
                *faults.entry(f.as_str().to_owned()).or_insert(0) += 1;
            }
            if o.faults.offline {
                *faults.entry("offline".to_owned()).or_insert(0) += 1;
            }
            *firmware.entry(o.firmware_version.clone()).or_insert(0) += 1;
        }
        Self {
            devices: outcomes.len() as u64,
            seed,
            elapsed_ms,
            states,
            jobs,
            faults,
            firmware,
            key_refreshes: 0,
            errors,
            per_device: per_device.then(|| outcomes.clone()),
            outcomes,
        }
    }

    pub fn count(&self, state: DeviceState) -> u64 {
        self.states.get(&state).copied().unwrap_or(0)
    }

    pub fn jobs_with(&self, result: JobResult) -> u64 {
        self.jobs.get(&result).copied().unwrap_or(0)
    }

    /// Device ids whose jobs include `result`, in index order.
    pub fn devices_with(&self, result: JobResult) -> Vec<String> {
        self.outcomes
            .iter()
            .filter(|o| o.jobs.iter().any(|j| j.result == result))
            .map(|o| o.device_id.clone())
            .collect()
    }
}
