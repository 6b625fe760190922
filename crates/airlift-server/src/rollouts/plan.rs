//! Eligibility over a set of devices (spec: "Eligible devices"), with the skip reasons.

use std::collections::BTreeMap;

use airlift_core::eligibility::check_eligibility;
use airlift_core::error::ApiError;
use airlift_core::package::Compatibility;
use airlift_core::policy::canary_slice;
use airlift_core::wire::SkippedDevice;

use crate::store::{DeviceRecord, PackageRecord};

#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// Eligible devices in scheduling order (device id order: creation order).
    pub targets: Vec<String>,
    pub skipped: Vec<SkippedDevice>,
}

impl Plan {
    pub fn scheduled_count(&self, canary_percent: u32) -> u64 {
        canary_slice(self.targets.len() as u64, canary_percent)
    }

    pub fn skipped_by_reason(&self) -> BTreeMap<String, u64> {
        let mut out = BTreeMap::new();
        for s in &self.skipped {
            let key = serde_json::to_value(s.reason)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            *out.entry(key).or_insert(0) += 1;
        }
        out
    }
}

/// Splits `devices` into targets and skipped devices for `package` (`force`: reinstall the
/// same version; `allow_downgrade`: include devices on a newer version).
pub fn plan(
    package: &PackageRecord,
    devices: &[DeviceRecord],
    force: bool,
    allow_downgrade: bool,
) -> Result<Plan, ApiError> {
    let version = semver::Version::parse(&package.key.version)
        .map_err(|e| ApiError::internal(format!("stored package version is invalid: {e}")))?;
    let compat = Compatibility {
        device_type: package.key.device_type.clone(),
        min_version: semver::Version::parse(&package.min_version).map_err(|e| {
            ApiError::internal(format!("stored package min_version is invalid: {e}"))
        })?,
    };
    let mut sorted: Vec<&DeviceRecord> = devices.iter().collect();
    sorted.sort_by(|a, b| a.id.cmp(&b.id));
    let mut out = Plan::default();
    for d in sorted {
        match check_eligibility(
            &version,
            &compat,
            &d.device_type,
            d.firmware_version.trim(),
            force,
            allow_downgrade,
        ) {
            Ok(()) => out.targets.push(d.id.clone()),
            Err(reason) => out.skipped.push(SkippedDevice {
                device_id: d.id.clone(),
                reason,
            }),
        }
    }
    Ok(out)
}
