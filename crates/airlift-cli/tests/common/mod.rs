//! Running `airlift-cli` against a real airliftd (see airlift-desk's tests/support).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use airlift_core::wire::CreateSigningKey;
use airlift_desk::client::Client;
use airlift_desk::signing::KeyStore;

pub mod ci_job;

pub const CLI: &str = env!("CARGO_BIN_EXE_airlift-cli");
pub const KEY_PASSPHRASE: &str = "correct horse";

/// A CLI invocation's isolated world: cache, keys, config under one temp dir.
pub struct World {
    pub dir: tempfile::TempDir,
    pub base: String,
    pub token: String,
}

impl World {
    pub fn new(base: &str, token: &str) -> Self {
        Self {
            dir: tempfile::Builder::new()
                .prefix("airlift-cli-test")
                .tempdir()
                .expect("tempdir"),
            base: base.to_owned(),
            token: token.to_owned(),
        }
    }

    pub fn cache_dir(&self) -> PathBuf {
        self.dir.path().join("cache")
    }

    /// This world's cache file: the one for its server and its token's tenant.
    pub fn cache_path(&self) -> PathBuf {
        let tenant =
            airlift_desk::role::tenant_of(&airlift_desk::secret::Secret::new(self.token.as_str()))
                .expect("a token with a tenant");
        airlift_desk::cache::location::cache_file(&self.cache_dir(), &self.base, &tenant)
    }

    pub fn keys_dir(&self) -> PathBuf {
        self.dir.path().join("keys")
    }

    /// `airlift-cli --json --server BASE ...` with the token in $AIRLIFT_TEST_TOKEN.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(CLI);
        cmd.arg("--json")
            .args(["--server", &self.base, "--token-env", "AIRLIFT_TEST_TOKEN"])
            .arg("--cache-dir")
            .arg(self.cache_dir())
            .arg("--keys-dir")
            .arg(self.keys_dir())
            .arg("--config")
            .arg(self.dir.path().join("connections.json"))
            .args(args)
            .env("AIRLIFT_TEST_TOKEN", &self.token)
            .env("AIRLIFT_KEY_PASSPHRASE", KEY_PASSPHRASE)
            .env("HOME", self.dir.path());
        cmd
    }

    pub fn run(&self, args: &[&str]) -> (i32, serde_json::Value, String) {
        parse(self.command(args).output().expect("run airlift-cli"))
    }

    /// Creates an Ed25519 key in this world's key store (cheap scrypt) named `name`; registers
    /// its public key with the server when `client` is given.
    pub async fn signing_key(&self, name: &str, client: Option<&Client>) {
        let keys = KeyStore::open_with_cost(&self.keys_dir(), 10).expect("keys");
        let stored = keys
            .create(
                name,
                airlift_core::signing::SigningAlgorithm::Ed25519,
                KEY_PASSPHRASE,
            )
            .expect("create key");
        if let Some(client) = client {
            client
                .create_signing_key(&CreateSigningKey {
                    name: name.to_owned(),
                    algorithm: "ed25519".to_owned(),
                    public_key_pem: stored.public_key_pem,
                })
                .await
                .expect("register key");
        }
    }
}

pub fn parse(out: Output) -> (i32, serde_json::Value, String) {
    let code = out.status.code().unwrap_or(-1);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let json = serde_json::from_str(&stdout).unwrap_or_else(|err| {
        panic!("stdout is not one JSON document ({err}): {stdout:?}\nstderr: {stderr}")
    });
    (code, json, stderr)
}

/// `sha256sum FILE`'s hex digest.
pub fn sha256sum(path: &Path) -> String {
    let out = Command::new("sha256sum")
        .arg(path)
        .output()
        .expect("run sha256sum (coreutils)");
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .expect("digest")
        .to_owned()
}

/// A JWT-shaped token naming `tenant_id` (unsigned: for a server that cannot be reached, where
/// only the CLI reads the claims).
pub fn unsigned_token(tenant_id: &str) -> String {
    use base64::Engine as _;
    let enc = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    format!(
        "{}.{}.c2ln",
        enc(r#"{"alg":"HS256","typ":"JWT"}"#),
        enc(&format!(
            r#"{{"iss":"airliftd","sub":"ci","tid":"{tenant_id}","tenant":"t","role":"admin","exp":4102444800}}"#
        ))
    )
}
