//! Running the install hook (spec: exit 0 installed, 10 installed and restart needed, anything
//! else failed with its last output line), bounded by a timeout.
//!
//! The hook runs in its own process group so a timeout kills everything it started (a hung
//! `dd`, a child script), not just the shell. It also gets SIGKILL when the agent dies
//! (PR_SET_PDEATHSIG), so a restarted agent never races a leftover hook on the same artifact.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt as _, BufReader};

/// Exit code meaning "installed, restart needed".
pub const RESTART_NEEDED: i32 = 10;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HookOutcome {
    Installed,
    RestartNeeded,
    Failed { status: String, last_line: String },
    TimedOut { after: Duration, last_line: String },
    NotStarted(String),
}

pub struct HookEnv<'a> {
    pub artifact: &'a Path,
    pub version: &'a str,
    pub package_id: &'a str,
    /// Seed 002's type: `FILE`, `JSON` (the artifact is the JSON object) or `URL_LIST` (the
    /// artifact is the signed list, the files are in `files_dir`).
    pub payload_type: &'a str,
    pub files_dir: Option<&'a Path>,
}

pub async fn run(cmd: &str, env: &HookEnv<'_>, timeout: Duration) -> HookOutcome {
    let mut c = tokio::process::Command::new("sh");
    c.arg("-c")
        .arg(cmd)
        .env("AIRLIFT_ARTIFACT", env.artifact)
        .env("AIRLIFT_VERSION", env.version)
        .env("AIRLIFT_PACKAGE_ID", env.package_id)
        .env("AIRLIFT_PAYLOAD_TYPE", env.payload_type)
        .env("AIRLIFT_FILES_DIR", env.files_dir.unwrap_or(Path::new("")))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    // SAFETY: prctl is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        c.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }
    let mut child = match c.spawn() {
        Ok(child) => child,
        Err(e) => return HookOutcome::NotStarted(format!("starting the install hook: {e}")),
    };
    let pgid = child.id();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    let out = child.stdout.take();
    let err = child.stderr.take();
    for pipe in [out.map(boxed), err.map(boxed)].into_iter().flatten() {
        let tx = tx.clone();
        tokio::spawn(async move {
            let mut lines = BufReader::new(pipe).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                let _ = tx.send(line);
            }
        });
    }
    drop(tx);
    let mut last = String::new();
    let waited = tokio::time::timeout(timeout, async {
        let status = child.wait().await;
        // The pipes close once every process holding them exited; a background child the
        // hook left running would keep them open, so the tail is read for a moment only.
        let _ = tokio::time::timeout(Duration::from_secs(2), async {
            while let Some(line) = rx.recv().await {
                note(&mut last, line);
            }
        })
        .await;
        status
    })
    .await;
    while let Ok(line) = rx.try_recv() {
        note(&mut last, line);
    }
    match waited {
        Ok(Ok(status)) => match status.code() {
            Some(0) => HookOutcome::Installed,
            Some(RESTART_NEEDED) => HookOutcome::RestartNeeded,
            _ => HookOutcome::Failed {
                status: status.to_string(),
                last_line: last,
            },
        },
        Ok(Err(e)) => HookOutcome::Failed {
            status: format!("wait failed: {e}"),
            last_line: last,
        },
        Err(_) => {
            if let Some(pid) = pgid.and_then(|p| i32::try_from(p).ok()) {
                // SAFETY: plain syscall; a negative pid addresses the hook's process group.
                unsafe {
                    libc::kill(-pid, libc::SIGKILL);
                }
            }
            let _ = child.wait().await;
            HookOutcome::TimedOut {
                after: timeout,
                last_line: last,
            }
        }
    }
}

type Pipe = Box<dyn tokio::io::AsyncRead + Unpin + Send>;

fn boxed<R: tokio::io::AsyncRead + Unpin + Send + 'static>(r: R) -> Pipe {
    Box::new(r)
}

/// Keeps the last non-blank line, and echoes every line to the agent's log.
fn note(last: &mut String, line: String) {
    crate::log::info(&format!("hook: {line}"));
    if !line.trim().is_empty() {
        *last = line.trim().to_owned();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> HookEnv<'static> {
        HookEnv {
            artifact: Path::new("/nonexistent"),
            version: "2.0.0",
            package_id: "pkg_1",
            payload_type: "FILE",
            files_dir: None,
        }
    }

    #[tokio::test]
    async fn exit_codes_and_last_line() {
        let t = Duration::from_secs(10);
        assert_eq!(run("exit 0", &env(), t).await, HookOutcome::Installed);
        assert_eq!(run("exit 10", &env(), t).await, HookOutcome::RestartNeeded);
        let r = run(
            "echo \"v=$AIRLIFT_VERSION\"; echo 'flash: no space' >&2; exit 3",
            &env(),
            t,
        )
        .await;
        assert!(
            matches!(&r, HookOutcome::Failed { last_line, .. } if last_line == "flash: no space"),
            "{r:?}"
        );
    }

    #[tokio::test]
    async fn a_hanging_hook_is_killed_with_its_children() {
        let started = std::time::Instant::now();
        let r = run(
            "echo waiting; sleep 30 & sleep 30",
            &env(),
            Duration::from_millis(500),
        )
        .await;
        assert!(
            matches!(&r, HookOutcome::TimedOut { last_line, .. } if last_line == "waiting"),
            "{r:?}"
        );
        assert!(started.elapsed() < Duration::from_secs(10));
    }
}
