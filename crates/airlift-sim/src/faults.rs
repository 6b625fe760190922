//! Failure injection: which devices misbehave, and how.
//!
//! The exclusive faults (install error, download error, corruption in transit, hang) partition
//! one uniform draw per device: with `--fail-install 0.3 --corrupt 0.1`, a device whose draw is
//! below 0.3 fails its install and one in [0.3, 0.4) receives corrupted bytes. Going offline is
//! an independent draw, so an offline device may also have one of the other faults. Both draws
//! come from the device's own ChaCha stream, so the set of misbehaving devices is a pure
//! function of (seed, device index, fractions): the same seed picks the same devices, and
//! raising a fraction only adds devices to its set.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::rng::{unit_draw, Stream};

/// What goes wrong on a device (at most one of these per device).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// The install step exits with an error (`INSTALL_ERROR` with the configured message).
    Install,
    /// The download breaks off for good (`DOWNLOAD_ERROR`).
    Download,
    /// Bytes are flipped after they arrive; SHA-256 verification must catch it.
    Corrupt,
    /// The device takes its command and then never says anything again.
    Hang,
    /// An encrypted package is decrypted with a key other than the assignment's; decryption
    /// must refuse it (`DOWNLOAD_ERROR`, never installed). No effect on a plain package.
    WrongKey,
}

impl FaultKind {
    pub const ALL: [FaultKind; 5] = [
        Self::Install,
        Self::Download,
        Self::Corrupt,
        Self::Hang,
        Self::WrongKey,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Install => "install",
            Self::Download => "download",
            Self::Corrupt => "corrupt",
            Self::Hang => "hang",
            Self::WrongKey => "wrong-key",
        }
    }
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for FaultKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                format!("unknown fault {s:?} (install, download, corrupt, hang, wrong-key)")
            })
    }
}

/// The default install failure message (seed 002's example).
pub const DEFAULT_FAIL_MESSAGE: &str = "Not enough memory (required: 1024MB, available: 512MB).";

/// Fractions and per-device overrides.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultPlan {
    pub fail_install: f64,
    pub fail_download: f64,
    pub corrupt: f64,
    pub hang: f64,
    pub offline: f64,
    /// How long an offline device stays away.
    pub offline_for: Duration,
    /// What a failed install reports.
    pub fail_message: String,
    /// Faults forced on devices by index, overriding the fractions.
    pub by_index: BTreeMap<u64, FaultKind>,
}

impl Default for FaultPlan {
    fn default() -> Self {
        Self {
            fail_install: 0.0,
            fail_download: 0.0,
            corrupt: 0.0,
            hang: 0.0,
            offline: 0.0,
            offline_for: Duration::from_secs(30),
            fail_message: DEFAULT_FAIL_MESSAGE.to_owned(),
            by_index: BTreeMap::new(),
        }
    }
}

/// What one device will do wrong.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceFaults {
    pub fault: Option<FaultKind>,
    /// Goes offline (mid-download when there is more than one range) for `offline_for`.
    pub offline: bool,
}

impl FaultPlan {
    /// Fractions must lie in [0, 1] and the exclusive ones must not add up to more than 1.
    pub fn validate(&self) -> Result<(), String> {
        let named = [
            ("--fail-install", self.fail_install),
            ("--fail-download", self.fail_download),
            ("--corrupt", self.corrupt),
            ("--hang", self.hang),
            ("--offline", self.offline),
        ];
        for (name, f) in named {
            if !(0.0..=1.0).contains(&f) {
                return Err(format!("{name} must be a fraction in [0, 1], got {f}"));
            }
        }
        let exclusive = self.fail_install + self.fail_download + self.corrupt + self.hang;
        if exclusive > 1.0 + 1e-9 {
            return Err(format!(
                "--fail-install, --fail-download, --corrupt and --hang add up to {exclusive}, more than 1"
            ));
        }
        Ok(())
    }

    /// The faults of device `index` under `seed`: a pure function of its arguments.
    pub fn for_device(&self, seed: u64, index: u64) -> DeviceFaults {
        let fault = match self.by_index.get(&index) {
            Some(k) => Some(*k),
            None => {
                let u = unit_draw(seed, index, Stream::Fault);
                let mut edge = 0.0;
                let mut pick = None;
                for (kind, f) in [
                    (FaultKind::Install, self.fail_install),
                    (FaultKind::Download, self.fail_download),
                    (FaultKind::Corrupt, self.corrupt),
                    (FaultKind::Hang, self.hang),
                ] {
                    edge += f;
                    if u < edge {
                        pick = Some(kind);
                        break;
                    }
                }
                pick
            }
        };
        let offline = self.offline > 0.0 && unit_draw(seed, index, Stream::Offline) < self.offline;
        DeviceFaults { fault, offline }
    }
}

/// Parses `INDEX=KIND` (as in `--device-fault 3=corrupt`).
pub fn parse_device_fault(s: &str) -> Result<(u64, FaultKind), String> {
    let (idx, kind) = s
        .split_once('=')
        .ok_or_else(|| format!("expected INDEX=KIND, got {s:?}"))?;
    let idx = idx
        .trim()
        .parse::<u64>()
        .map_err(|_| format!("device index must be a number, got {idx:?}"))?;
    Ok((idx, kind.trim().parse()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(install: f64) -> FaultPlan {
        FaultPlan {
            fail_install: install,
            ..FaultPlan::default()
        }
    }

    fn failing(p: &FaultPlan, seed: u64, n: u64) -> Vec<u64> {
        (0..n)
            .filter(|&i| p.for_device(seed, i).fault.is_some())
            .collect()
    }

    #[test]
    fn same_seed_same_devices_and_fraction_is_respected() {
        let p = plan(0.3);
        let a = failing(&p, 42, 1000);
        assert_eq!(a, failing(&p, 42, 1000));
        assert_ne!(a, failing(&p, 43, 1000));
        assert!((250..350).contains(&a.len()), "{} of 1000", a.len());
        assert!(failing(&plan(0.0), 42, 1000).is_empty());
        assert_eq!(failing(&plan(1.0), 42, 1000).len(), 1000);
    }

    #[test]
    fn raising_a_fraction_only_adds_devices() {
        let small = failing(&plan(0.1), 9, 500);
        let big = failing(&plan(0.3), 9, 500);
        assert!(small.iter().all(|i| big.contains(i)));
    }

    #[test]
    fn exclusive_faults_partition_and_overrides_win() {
        let mut p = FaultPlan {
            fail_install: 0.25,
            fail_download: 0.25,
            corrupt: 0.25,
            hang: 0.25,
            ..FaultPlan::default()
        };
        p.by_index.insert(5, FaultKind::Hang);
        assert!((0..200).all(|i| p.for_device(1, i).fault.is_some()));
        assert_eq!(p.for_device(1, 5).fault, Some(FaultKind::Hang));
        assert!(p.validate().is_ok());
        p.corrupt = 0.5;
        assert!(p.validate().is_err());
        assert_eq!(
            parse_device_fault("12=corrupt"),
            Ok((12, FaultKind::Corrupt))
        );
        assert!(parse_device_fault("x=corrupt").is_err());
        assert!(parse_device_fault("1=melt").is_err());
    }
}
