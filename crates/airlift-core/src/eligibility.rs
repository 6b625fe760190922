//! Which devices of a profile a rollout targets (spec: "Eligible devices").
//!
//! Eligible = the package's device type, at or above `min_version`, not already on the
//! package's version unless the operator forces it, and not on a newer version unless the
//! operator allows downgrades. Ineligible devices are skipped, not failed, and the reason is
//! reported so an operator can see why a device was left out.

use serde::{Deserialize, Serialize};

use crate::package::Compatibility;

/// Why a device was left out of a rollout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// The device's type is not the package's `compatibility.device_type`.
    WrongDeviceType,
    /// The device's current version is below `compatibility.min_version`.
    BelowMinVersion,
    /// The device already runs the package's version and `force` was not set.
    AlreadyOnVersion,
    /// The device's current version is not semver, so it cannot be compared safely.
    UnparsableVersion,
    /// The device runs a newer version than the package's and `allow_downgrade` was not set.
    WouldDowngrade,
}

impl SkipReason {
    /// A sentence for UIs and logs.
    pub fn describe(&self) -> &'static str {
        match self {
            SkipReason::WrongDeviceType => "device type does not match the package's device type",
            SkipReason::BelowMinVersion => {
                "device firmware is below the package's minimum version"
            }
            SkipReason::AlreadyOnVersion => "device already runs the package's version",
            SkipReason::UnparsableVersion => {
                "device firmware version is not a semantic version, so compatibility cannot be checked"
            }
            SkipReason::WouldDowngrade => {
                "device runs a newer version than the package's (allow_downgrade to include it)"
            }
        }
    }
}

/// Decide whether one device is eligible for a package.
///
/// Checks run in a fixed order so the reported reason is stable: wrong type first (nothing else
/// matters then), then an unparsable version (we cannot compare), then below the minimum, then
/// already on the version, then newer than the package. `force` only overrides "already on the
/// version": it exists to reinstall the same build, never to push a build onto hardware it was
/// not made for. `allow_downgrade` only overrides "newer than the package": taking a device
/// back to an older build is a decision the operator makes explicitly, never by accident.
pub fn check_eligibility(
    package_version: &semver::Version,
    compat: &Compatibility,
    device_type: &str,
    device_firmware_version: &str,
    force: bool,
    allow_downgrade: bool,
) -> Result<(), SkipReason> {
    if device_type != compat.device_type {
        return Err(SkipReason::WrongDeviceType);
    }
    let current = semver::Version::parse(device_firmware_version)
        .map_err(|_| SkipReason::UnparsableVersion)?;
    if current < compat.min_version {
        return Err(SkipReason::BelowMinVersion);
    }
    if !force && current == *package_version {
        return Err(SkipReason::AlreadyOnVersion);
    }
    if !allow_downgrade && current > *package_version {
        return Err(SkipReason::WouldDowngrade);
    }
    Ok(())
}
