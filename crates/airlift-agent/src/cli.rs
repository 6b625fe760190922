//! The command line pinned by the spec ("Device agent"). Every flag can also come from the
//! environment (`AIRLIFT_AGENT_*`), which is how the packaged systemd unit reads
//! `/etc/airlift/agent.env`.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "airlift-agent",
    version,
    about = "OTA agent for devices managed by airliftd"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Poll, download, verify and install assigned packages until stopped.
    Run(AgentArgs),
    /// Validate the configuration and reach the server once; exit 0 when both are fine.
    Check(AgentArgs),
}

#[derive(Debug, Clone, Args)]
pub struct AgentArgs {
    /// The fleet server's base URL (http:// or https://).
    #[arg(long, env = "AIRLIFT_AGENT_SERVER")]
    pub server: String,
    #[arg(long, env = "AIRLIFT_AGENT_DEVICE_ID")]
    pub device_id: String,
    /// A file holding the device token (kept 0600; the token never goes on a command line).
    #[arg(long, env = "AIRLIFT_AGENT_TOKEN_FILE")]
    pub token_file: PathBuf,
    /// Where the agent keeps its state and the download in progress.
    #[arg(long, env = "AIRLIFT_AGENT_STATE_DIR")]
    pub state_dir: PathBuf,
    /// Holds the running version (semver); read at every start.
    #[arg(long, env = "AIRLIFT_AGENT_VERSION_FILE")]
    pub version_file: PathBuf,
    /// Run with `sh -c`; exit 0 installed, 10 installed and restart needed, else failed.
    #[arg(long, env = "AIRLIFT_AGENT_INSTALL_HOOK")]
    pub install_hook: String,
    /// Run with `sh -c` after a hook exited 10 and that was recorded and reported (e.g.
    /// `systemctl reboot`); without it, something else restarts the device.
    #[arg(long, env = "AIRLIFT_AGENT_RESTART_COMMAND")]
    pub restart_command: Option<String>,
    /// A PEM public key (file) a package must be signed with; repeatable.
    #[arg(
        long = "trusted-key",
        env = "AIRLIFT_AGENT_TRUSTED_KEYS",
        value_delimiter = ','
    )]
    pub trusted_keys: Vec<PathBuf>,
    /// Accept unsigned packages when no --trusted-key is given (development only).
    #[arg(long, env = "AIRLIFT_AGENT_ALLOW_UNSIGNED")]
    pub allow_unsigned: bool,
    /// A PEM CA certificate to trust for https:// besides the built-in roots (`--ca-cert`,
    /// the simulator's and the CLI's name, is taken too).
    #[arg(long, env = "AIRLIFT_AGENT_CA_FILE", alias = "ca-cert")]
    pub ca_file: Option<PathBuf>,
    /// Time between polls (jittered ±20 %).
    #[arg(long, env = "AIRLIFT_AGENT_POLL_INTERVAL", default_value = "60s", value_parser = humantime_secs)]
    pub poll_interval: Duration,
    /// The install hook is killed (with its process group) after this long.
    #[arg(long, env = "AIRLIFT_AGENT_HOOK_TIMEOUT", default_value = "1800s", value_parser = humantime_secs)]
    pub hook_timeout: Duration,
    /// Free space the state directory's file system must keep beyond the download.
    #[arg(long, env = "AIRLIFT_AGENT_MIN_FREE_BYTES", default_value_t = 16 * 1024 * 1024)]
    pub min_free_bytes: u64,
    /// Attempts per request before a cycle gives up (backoff with jitter in between).
    #[arg(long, env = "AIRLIFT_AGENT_RETRY_ATTEMPTS", default_value_t = 5)]
    pub retry_attempts: u32,
    /// The longest wait between retries (the backoff doubles from 0.5 s up to it). A server
    /// whose TLS certificate is not trusted is asked again only this often.
    #[arg(long, env = "AIRLIFT_AGENT_RETRY_MAX_DELAY", default_value = "60s", value_parser = humantime_secs)]
    pub retry_max_delay: Duration,
    /// Consecutive failed download cycles before DOWNLOAD_ERROR is reported.
    #[arg(long, env = "AIRLIFT_AGENT_MAX_DOWNLOAD_FAILURES", default_value_t = 5)]
    pub max_download_failures: u32,
    /// Fetch the package through the assignment's download URL (seed 001: straight from the
    /// S3 bucket when the server stores there) in 1 MiB ranges, instead of the server's
    /// 64 KiB chunk endpoint. An expired URL is renewed by polling.
    #[arg(long, env = "AIRLIFT_AGENT_DOWNLOAD_URL")]
    pub download_url: bool,
}

/// `250ms`, `30s`, `5m`, `1h`, or plain seconds.
fn humantime_secs(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (num, unit) = s
        .find(|c: char| !c.is_ascii_digit())
        .map_or((s, "s"), |i| s.split_at(i));
    let n: u64 = num
        .parse()
        .map_err(|_| format!("{s:?} is not a duration like 250ms, 30s, 5m or 1h"))?;
    match unit {
        "ms" => Ok(Duration::from_millis(n)),
        "s" => Ok(Duration::from_secs(n)),
        "m" => Ok(Duration::from_secs(n * 60)),
        "h" => Ok(Duration::from_secs(n * 3600)),
        _ => Err(format!("{s:?}: unit must be ms, s, m or h")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(humantime_secs("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(humantime_secs("90"), Ok(Duration::from_secs(90)));
        assert_eq!(humantime_secs("2m"), Ok(Duration::from_secs(120)));
        assert!(humantime_secs("2 weeks").is_err());
    }
}
