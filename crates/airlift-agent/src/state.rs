//! What the agent must not forget across a power cut, in `STATE_DIR/state.json`, replaced
//! atomically (see `fsutil`) at every step that matters: the job it works on and how far it
//! got, the verdict it still owes the server, and the jobs already settled.

use std::path::{Path, PathBuf};

use airlift_core::payload::PayloadType;
use airlift_core::wire::{OtauFile, OtauPayload};
use airlift_device::proto::{AssignmentEncryption, CommandKind, OtaAssignment, OtaReport};
use serde::{Deserialize, Serialize};

use crate::fsutil::write_atomic;

/// How many settled jobs are remembered (enough to never redo a recent one).
const SETTLED_KEPT: usize = 32;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct State {
    pub job: Option<Job>,
    /// A final report not yet accepted by the server; sent again until it is.
    pub owed: Option<OtaReport>,
    /// `(rollout_id, package_id)` of jobs that reached a verdict, newest last.
    pub settled: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    pub rollout_id: String,
    pub package_id: String,
    pub version: String,
    pub size: u64,
    pub checksum: String,
    pub signature: Option<String>,
    pub kind: CommandKind,
    pub phase: Phase,
    /// Download cycles that ended without the artifact (reset by progress).
    #[serde(default)]
    pub download_failures: u32,
    /// Set for an encrypted package: the server sends stored segments, each decrypted on
    /// arrival; `committed` and `size` count plain bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encryption: Option<AssignmentEncryption>,
    /// Seed 002's package type (FILE for a state file written before payload types).
    #[serde(default)]
    pub payload_type: PayloadType,
    /// A URL list's files as `config_otau` names them (where to download each).
    #[serde(default)]
    pub files: Vec<OtauFile>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "phase", rename_all = "snake_case")]
pub enum Phase {
    /// `committed` bytes of `download.part` are durable (fsynced before this was written).
    Downloading { committed: u64 },
    /// The artifact is complete and verified; the hook was not started yet.
    Verified,
    /// The hook was started; if the agent finds this at start, it stopped while the hook ran.
    Installing,
    /// The hook exited 10: the new version shows once the device restarted.
    RestartPending { boot_id: String },
}

impl Job {
    pub fn from_assignment(a: &OtaAssignment) -> Self {
        Self {
            rollout_id: a.rollout_id.clone(),
            package_id: a.package_id.clone(),
            version: a.version.clone(),
            size: a.size_bytes,
            checksum: a.checksum.clone(),
            signature: a.signature.clone(),
            kind: a.command,
            phase: Phase::Downloading { committed: 0 },
            download_failures: 0,
            encryption: a.encryption.clone(),
            payload_type: a.config_otau.payload_type,
            files: match a.config_otau.payload() {
                Ok(OtauPayload::UrlList(files)) => files,
                _ => Vec::new(),
            },
        }
    }

    pub fn key(&self) -> (String, String) {
        (self.rollout_id.clone(), self.package_id.clone())
    }
}

impl State {
    pub fn path(dir: &Path) -> PathBuf {
        dir.join("state.json")
    }

    /// The saved state; none yet is the empty state. A file that does not parse is moved
    /// aside (kept for a post-mortem) rather than stopping the device from ever updating.
    pub fn load(dir: &Path) -> Result<Self, String> {
        let path = Self::path(dir);
        match std::fs::read(&path) {
            Ok(bytes) => match serde_json::from_slice(&bytes) {
                Ok(s) => Ok(s),
                Err(e) => {
                    let aside = dir.join("state.json.bad");
                    std::fs::rename(&path, &aside)
                        .map_err(|e| format!("moving {} aside: {e}", path.display()))?;
                    crate::log::warn(&format!(
                        "{} did not parse ({e}); moved to {} and starting afresh",
                        path.display(),
                        aside.display()
                    ));
                    Ok(Self::default())
                }
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(format!("{}: {e}", path.display())),
        }
    }

    pub fn save(&self, dir: &Path) -> Result<(), String> {
        let bytes = serde_json::to_vec_pretty(self).map_err(|e| e.to_string())?;
        write_atomic(&Self::path(dir), &bytes)
            .map_err(|e| format!("writing {}: {e}", Self::path(dir).display()))
    }

    pub fn is_settled(&self, rollout_id: &str, package_id: &str) -> bool {
        self.settled
            .iter()
            .any(|(r, p)| r == rollout_id && p == package_id)
    }

    /// Ends the current job with `verdict` owed to the server.
    pub fn settle(&mut self, verdict: OtaReport) {
        if let Some(job) = self.job.take() {
            self.settled.push(job.key());
            let over = self.settled.len().saturating_sub(SETTLED_KEPT);
            self.settled.drain(..over);
        }
        self.owed = Some(verdict);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_a_torn_file_is_set_aside() {
        let d = tempfile::tempdir().unwrap();
        assert_eq!(State::load(d.path()).unwrap(), State::default());
        let mut s = State::default();
        s.settled.push(("r".into(), "p".into()));
        s.save(d.path()).unwrap();
        assert_eq!(State::load(d.path()).unwrap(), s);
        std::fs::write(State::path(d.path()), b"{\"job\": ").unwrap();
        assert_eq!(State::load(d.path()).unwrap(), State::default());
        assert!(d.path().join("state.json.bad").exists());
    }
}
