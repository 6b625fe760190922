//! Running the real `airliftd`: finding the binary, `airliftd serve` (reading the address it
//! prints first) and `airliftd token`.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{bail, Context as _};
use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::{Child, Command};

/// `explicit`, else `airliftd` next to the current executable (or one directory up, for test
/// binaries under `target/debug/deps`), else `airliftd` on `PATH`.
pub fn locate(explicit: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(p) = explicit {
        if p.is_file() {
            return Ok(p.to_owned());
        }
        bail!("--airliftd {}: no such file", p.display());
    }
    let name = format!("airliftd{}", std::env::consts::EXE_SUFFIX);
    if let Ok(exe) = std::env::current_exe() {
        let mut dir = exe.parent().map(Path::to_path_buf);
        for _ in 0..2 {
            if let Some(d) = dir {
                let candidate = d.join(&name);
                if candidate.is_file() {
                    return Ok(candidate);
                }
                dir = d.parent().map(Path::to_path_buf);
            }
        }
    }
    if let Some(paths) = std::env::var_os("PATH") {
        for d in std::env::split_paths(&paths) {
            let candidate = d.join(&name);
            if candidate.is_file() {
                return Ok(candidate);
            }
        }
    }
    bail!("cannot find airliftd next to this executable nor on PATH; pass --airliftd PATH")
}

/// A running `airliftd serve`, killed when dropped.
pub struct Server {
    child: Child,
    pub url: String,
}

impl Server {
    /// Starts `bin serve --data DATA --listen LISTEN`; `RUST_LOG` defaults to `warn` so
    /// per-request logs of a large fleet do not flood the terminal.
    pub async fn start(
        bin: &Path,
        data: &Path,
        listen: &str,
        extra: &[String],
    ) -> anyhow::Result<Server> {
        Self::start_with_env(bin, data, listen, extra, &[]).await
    }

    /// [`Server::start`] with `env` added to the server's environment (S3 credentials).
    pub async fn start_with_env(
        bin: &Path,
        data: &Path,
        listen: &str,
        extra: &[String],
        env: &[(&str, &str)],
    ) -> anyhow::Result<Server> {
        let mut cmd = Command::new(bin);
        cmd.envs(env.iter().copied());
        cmd.arg("serve")
            .arg("--data")
            .arg(data)
            .arg("--listen")
            .arg(listen)
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        if std::env::var_os("RUST_LOG").is_none() {
            cmd.env("RUST_LOG", "warn");
        }
        let mut child = cmd
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let stdout = child.stdout.take().context("airliftd stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let first = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
            .await
            .context("airliftd did not say where it listens within 60 s")??
            .context("airliftd exited before listening")?;
        let url = first
            .trim()
            .strip_prefix("listening on ")
            .with_context(|| format!("unexpected first line from airliftd: {first:?}"))?
            .to_owned();
        // Keep draining stdout so the server never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(Server { child, url })
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// SIGTERM (graceful), then SIGKILL after `grace`.
    pub async fn stop(mut self, grace: Duration) {
        if let Some(pid) = self.child.id() {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(pid.to_string())
                .status()
                .await;
            if tokio::time::timeout(grace, self.child.wait()).await.is_ok() {
                return;
            }
        }
        let _ = self.child.kill().await;
    }
}

/// `airliftd token`: a JWT for TENANT/ROLE (the only line it prints).
pub async fn token(
    bin: &Path,
    data: &Path,
    tenant: &str,
    role: &str,
    ttl_secs: u64,
) -> anyhow::Result<String> {
    token_with(bin, data, &[], tenant, role, ttl_secs).await
}

/// [`token`] with `extra` arguments: the `--database URL` of a server on PostgreSQL.
pub async fn token_with(
    bin: &Path,
    data: &Path,
    extra: &[String],
    tenant: &str,
    role: &str,
    ttl_secs: u64,
) -> anyhow::Result<String> {
    let out = Command::new(bin)
        .arg("token")
        .arg("--data")
        .arg(data)
        .args(extra)
        .args(["--tenant", tenant, "--role", role, "--ttl"])
        .arg(format!("{ttl_secs}s"))
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .await
        .with_context(|| format!("running {} token", bin.display()))?;
    if !out.status.success() {
        bail!(
            "airliftd token failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let s = String::from_utf8(out.stdout).context("airliftd token printed non-UTF-8")?;
    let t = s.trim();
    if t.is_empty() || t.contains('\n') {
        bail!("airliftd token printed something other than one token");
    }
    Ok(t.to_owned())
}
