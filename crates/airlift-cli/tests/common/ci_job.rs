//! A CI job's environment for the project's binaries: no TTY, one temporary home, the server,
//! the token (and the server's CA, if it has its own) in the standard variables.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

pub struct CiJob {
    pub home: tempfile::TempDir,
    pub base: String,
    pub token: String,
    /// The CA that signed the server's certificate, given as `AIRLIFT_CA_CERT`.
    pub ca: Option<PathBuf>,
}

impl CiJob {
    pub fn command(&self, program: &Path) -> Command {
        let home = self.home.path();
        let mut cmd = Command::new(program);
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", home)
            .env("XDG_DATA_HOME", home.join("data"))
            .env("XDG_CACHE_HOME", home.join("cache"))
            .env("XDG_CONFIG_HOME", home.join("config"))
            .env("AIRLIFT_SERVER_URL", &self.base)
            .env("AIRLIFT_TOKEN", &self.token)
            .env("AIRLIFT_KEY_PASSPHRASE", "pipeline secret")
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null());
        if let Some(ca) = &self.ca {
            cmd.env("AIRLIFT_CA_CERT", ca);
        }
        cmd
    }

    /// `airlift-cli --json ARGS`: (exit code, stdout as JSON, stderr).
    pub fn cli(&self, args: &[&str]) -> (i32, serde_json::Value, String) {
        let out = self
            .command(Path::new(super::CLI))
            .arg("--json")
            .args(args)
            .output()
            .expect("run airlift-cli");
        super::parse(out)
    }
}

/// The real `airlift-sim`.
pub fn sim() -> PathBuf {
    airlift_testkit::bin("airlift-sim")
}

/// A child process (the simulated fleet) killed when the test ends, pass or fail.
pub struct KillOnDrop(pub Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
