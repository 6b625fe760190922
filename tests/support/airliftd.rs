//! A real `airliftd` on loopback for the end-to-end tests: found (or built) by airlift-testkit, started on a free
//! port with its own data folder, killed on drop.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The real airliftd binary (see airlift-testkit).
pub fn binary() -> PathBuf {
    airlift_testkit::bin("airliftd")
}

pub struct Airliftd {
    child: Child,
    pub url: String,
    pub data: PathBuf,
    /// `http://ADDR/metrics` when started with `--metrics-listen`.
    pub metrics: Option<String>,
}

impl Airliftd {
    pub fn start(data: &Path) -> Airliftd {
        Self::start_with(data, &[])
    }

    /// [`Airliftd::start`] with more `serve` options (e.g. `--allow-artifact-host`).
    pub fn start_with(data: &Path, extra: &[&str]) -> Airliftd {
        let mut child = Command::new(binary())
            .args(["serve", "--data"])
            .arg(data)
            .args(["--listen", "127.0.0.1:0"])
            .args(extra)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start airliftd");
        let mut line = String::new();
        let stdout = child.stdout.take().expect("airliftd stdout");
        let mut stdout = BufReader::new(stdout);
        stdout.read_line(&mut line).expect("airliftd's first line");
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line from airliftd: {line:?}"))
            .to_owned();
        // `--metrics-listen`: the address bound is the second line.
        let metrics = extra.contains(&"--metrics-listen").then(|| {
            let mut line = String::new();
            stdout
                .read_line(&mut line)
                .expect("airliftd's metrics line");
            line.trim()
                .strip_prefix("metrics on ")
                .unwrap_or_else(|| panic!("unexpected second line from airliftd: {line:?}"))
                .to_owned()
        });
        Airliftd {
            child,
            url,
            data: data.to_path_buf(),
            metrics,
        }
    }

    /// A JWT for `tenant` with `role` (admin, release-manager, support).
    pub fn token(&self, tenant: &str, role: &str) -> String {
        let out = Command::new(binary())
            .args(["token", "--data"])
            .arg(&self.data)
            .args(["--tenant", tenant, "--role", role])
            .output()
            .expect("airliftd token");
        assert!(out.status.success(), "airliftd token failed");
        String::from_utf8(out.stdout)
            .expect("utf-8 token")
            .trim()
            .to_owned()
    }

    /// Stops the server (the app should go offline).
    pub fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Airliftd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The passphrase of the key [`release_key`] creates.
pub const KEY_PASSPHRASE: &str = "correct horse battery staple";

/// Creates an Ed25519 key named "release" in the app's key store (`<data>/keys`, cheap scrypt
/// so a debug build unlocks it quickly) and registers its public half with the tenant, which
/// requires signed packages.
pub async fn release_key(app_data: &Path, url: &str, token: &str) {
    use airlift_desk::signing::{KeyStore, SigningAlgorithm};
    let store = KeyStore::open_with_cost(&app_data.join("keys"), 10).expect("key store");
    let key = store
        .create("release", SigningAlgorithm::Ed25519, KEY_PASSPHRASE)
        .expect("create a signing key");
    let api = airlift_desk::client::Client::new(
        url,
        Some(airlift_desk::secret::Secret::new(token)),
        Default::default(),
    )
    .expect("API client");
    api.create_signing_key(&airlift_core::wire::CreateSigningKey {
        name: key.name.clone(),
        algorithm: key.algorithm.as_str().to_owned(),
        public_key_pem: key.public_key_pem.clone(),
    })
    .await
    .expect("register the key with the tenant");
}
