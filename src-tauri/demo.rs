//! The local demo fleet: `airlift-sim demo` (found next to the app binary, then on PATH) runs a
//! local airliftd with a demo tenant, packages and simulated devices. Its first stdout line is
//! JSON with the server URL and an admin token, which stays in memory only.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use airlift_desk::secret::Secret;
use airlift_desk::signing::{KeyStore, SigningAlgorithm, StoredKey};
use airlift_desk::DeskError;
use serde::Deserialize;
use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::{Child, Command};

use crate::env::ENV_TOKEN;

pub const DEMO_NAME: &str = "Local demo fleet";
const STOP_GRACE: std::time::Duration = std::time::Duration::from_secs(15);
/// "A few hundred simulated devices on older firmware" (issue 5): enough to watch a canary
/// slice, an auto-pause and a rollback play out.
const DEVICES: &str = "300";

pub struct DemoFleet {
    pub url: String,
    /// The demo tenant's admin token (in memory only).
    pub token: Secret,
    child: Child,
}

impl DemoFleet {
    /// Stops the demo and waits until it has stopped its airliftd and devices; kills it if it
    /// has not exited after [`STOP_GRACE`]. (Dropping it only signals: a kill right behind the
    /// signal would leave its airliftd running.)
    pub async fn shutdown(mut self) {
        self.stop();
        if tokio::time::timeout(STOP_GRACE, self.child.wait())
            .await
            .is_err()
        {
            let _ = self.child.kill().await;
        }
    }

    /// Stops the demo with SIGTERM, so it stops its airliftd and devices too.
    pub fn stop(&mut self) {
        if let Some(pid) = self.child.id().and_then(|p| i32::try_from(p).ok()) {
            // SAFETY: kill(2) on our own child's pid; no memory is touched.
            unsafe {
                libc::kill(pid, libc::SIGTERM);
            }
        }
    }
}

impl Drop for DemoFleet {
    fn drop(&mut self) {
        self.stop();
    }
}

#[derive(Deserialize)]
struct DemoInfo {
    url: String,
    admin_token: String,
}

/// `airlift-sim` next to this executable, or on PATH.
pub fn sim_binary() -> Option<PathBuf> {
    let beside = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join("airlift-sim")))
        .filter(|p| p.is_file());
    beside.or_else(|| {
        let path = std::env::var_os("PATH")?;
        std::env::split_paths(&path)
            .map(|dir| dir.join("airlift-sim"))
            .find(|p| p.is_file())
    })
}

/// Starts the demo with its data under `data_dir` and waits for its first line.
pub async fn start(data_dir: &Path) -> Result<DemoFleet, DeskError> {
    let binary = sim_binary().ok_or_else(|| {
        DeskError::new(
            airlift_desk::DeskErrorCode::NotFound,
            "airlift-sim was not found next to the app or on PATH",
        )
    })?;
    let mut command = Command::new(&binary);
    // SAFETY: the closure only calls prctl(2), which is async-signal-safe.
    unsafe {
        command.pre_exec(|| {
            // If the app dies without stopping the demo (killed, crashed), the demo gets
            // SIGTERM and stops its airliftd: nothing is left running.
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = command
        .args(["demo", "--data"])
        .arg(data_dir)
        .args(["--devices", DEVICES])
        // The demo gets its own tokens; ours stay ours.
        .env_remove(ENV_TOKEN)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|err| DeskError::io("start", &binary, &err))?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| DeskError::internal("the demo's output is not readable"))?;
    let mut lines = BufReader::new(stdout).lines();
    let first = tokio::time::timeout(std::time::Duration::from_secs(120), lines.next_line())
        .await
        .map_err(|_| DeskError::internal("the demo fleet did not start within two minutes"))?
        .map_err(|err| DeskError::internal(format!("reading the demo's output failed: {err}")))?
        .ok_or_else(|| DeskError::internal("the demo fleet exited before it was ready"))?;
    let info: DemoInfo = serde_json::from_str(&first).map_err(|err| {
        DeskError::internal(format!("the demo's first line is not its JSON: {err}"))
    })?;
    // Keep draining its output so it never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Ok(DemoFleet {
        url: info.url,
        token: Secret::new(info.admin_token),
        child,
    })
}

/// The key the demo offers for signing at once: in this computer's key store like any other key
/// (encrypted, listed in Settings), created the first time the demo starts and registered with
/// the demo tenant, which requires signed packages.
pub const DEMO_KEY_NAME: &str = "Demo release key";

/// The demo key's passphrase. It is fixed on purpose: the key is trusted only by the local demo
/// fleet on this computer, and a newcomer should sign a first package without inventing and
/// remembering a passphrase. The app fills it in; any other key asks for its own.
pub const DEMO_KEY_PASSPHRASE: &str = "airlift local demo fleet";

/// Where the app notes which stored key is the demo's (its id).
fn demo_key_marker(data_dir: &Path) -> PathBuf {
    data_dir.join("demo-release-key.id")
}

/// The id of the demo key, if this app made one.
pub fn demo_key_id(data_dir: &Path) -> Option<String> {
    let id = std::fs::read_to_string(demo_key_marker(data_dir)).ok()?;
    Some(id.trim().to_owned()).filter(|id| !id.is_empty())
}

/// The demo key in the key store (created if missing) and registered with the demo tenant.
pub async fn ensure_release_key(
    data_dir: &Path,
    keys_dir: &Path,
    client: &airlift_desk::client::Client,
) -> Result<StoredKey, DeskError> {
    let (data_dir, keys_dir) = (data_dir.to_path_buf(), keys_dir.to_path_buf());
    // scrypt makes creating a key take a noticeable moment: off the async threads.
    let stored = tokio::task::spawn_blocking(move || {
        let store = KeyStore::open(&keys_dir)?;
        if let Some(key) = demo_key_id(&data_dir).and_then(|id| store.get(&id).ok()) {
            return Ok(key);
        }
        let key = store.create(
            DEMO_KEY_NAME,
            SigningAlgorithm::Ed25519,
            DEMO_KEY_PASSPHRASE,
        )?;
        let marker = demo_key_marker(&data_dir);
        std::fs::write(&marker, &key.key_id)
            .map_err(|err| DeskError::io("note the demo key in", &marker, &err))?;
        Ok::<_, DeskError>(key)
    })
    .await
    .map_err(|err| DeskError::internal(format!("creating the demo key stopped: {err}")))??;
    airlift_desk::signing::register(client, &stored).await?;
    Ok(stored)
}
