//! The real `airliftd` on loopback for end-to-end fleet tests, found (or built) by
//! airlift-testkit and started on 127.0.0.1:0 over a temporary data directory.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use airlift_sim::airliftd::{self, Server};
use airlift_sim::publish::{ensure_package, ensure_signing_key, PackageSpec};
use airlift_sim::signer::DemoSigner;
use airlift_sim::{Fleet, Http, ProvisionSpec, RunConfig, UserApi, Verifier};
use serde_json::{json, Value};

/// The real airliftd binary (see airlift-testkit).
pub fn airliftd_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| airlift_testkit::bin("airliftd"))
}

/// Tests of one binary share two cores: run them one at a time.
pub async fn serial() -> tokio::sync::MutexGuard<'static, ()> {
    static LOCK: OnceLock<tokio::sync::Mutex<()>> = OnceLock::new();
    LOCK.get_or_init(|| tokio::sync::Mutex::new(()))
        .lock()
        .await
}

/// Where the server keeps its rows: SQLite under `--data` (the default), or a PostgreSQL 15
/// cluster of its own with production durability (airlift-testkit's `start_durable`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Database {
    Sqlite,
    Postgres,
}

impl Database {
    /// A bench's choice: `DATABASE=postgres` or `DATABASE=sqlite` (the default).
    pub fn from_env() -> Database {
        match std::env::var("DATABASE").as_deref() {
            Ok("postgres") => Database::Postgres,
            Ok("sqlite") | Ok("") | Err(_) => Database::Sqlite,
            Ok(other) => panic!("DATABASE={other:?}: use sqlite or postgres"),
        }
    }
}

/// A server with a tenant, a profile of `n` devices on 1.4.2, a signing key, the 2.0.0
/// package and its 1.4.2 rollback package.
pub struct Env {
    pub server: Server,
    pub api: UserApi,
    pub profile_id: String,
    pub fleet: Fleet,
    pub package_id: String,
    pub rollback_id: String,
    pub verifier: Verifier,
    /// `--database URL` when the server runs on PostgreSQL (for `airliftd token` too).
    pub database_args: Vec<String>,
    pub _dir: tempfile::TempDir,
    /// The server's PostgreSQL (stopped and removed on drop, after the server).
    pub postgres: Option<airlift_testkit::postgres::Postgres>,
}

pub async fn env(n: usize, artifact_size: usize, extra: &[&str]) -> Env {
    env_with(n, artifact_size, extra, &[]).await
}

/// [`env`] on a server with `vars` added to its environment (S3 credentials).
pub async fn env_with(
    n: usize,
    artifact_size: usize,
    extra: &[&str],
    vars: &[(&str, &str)],
) -> Env {
    env_on(Database::Sqlite, n, artifact_size, extra, vars).await
}

/// [`env_with`] on `database`.
pub async fn env_on(
    database: Database,
    n: usize,
    artifact_size: usize,
    extra: &[&str],
    vars: &[(&str, &str)],
) -> Env {
    let bin = airliftd_bin();
    let dir = tempfile::Builder::new()
        .prefix("airlift-sim-e2e")
        .tempdir()
        .unwrap();
    let postgres =
        (database == Database::Postgres).then(airlift_testkit::postgres::Postgres::start_durable);
    let database_args = match &postgres {
        Some(pg) => vec!["--database".to_owned(), pg.create_database()],
        None => Vec::new(),
    };
    let mut args: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
    args.extend(database_args.iter().cloned());
    let server = Server::start_with_env(bin, dir.path(), "127.0.0.1:0", &args, vars)
        .await
        .unwrap();
    let token = airliftd::token_with(bin, dir.path(), &database_args, "acme", "admin", 3600)
        .await
        .unwrap();
    let api = UserApi::new(
        Http::new(&server.url, 16, airlift_sim::USER_AGENT).unwrap(),
        &token,
    );
    let profile = api.ensure_profile("sensors", "temp-sensor").await.unwrap();
    let signer = DemoSigner::from_seed([1; 32]);
    ensure_signing_key(&api, &signer, "release").await.unwrap();
    let spec = |version: &str| PackageSpec {
        device_type: "temp-sensor".into(),
        version: version.into(),
        min_version: "1.0.0".into(),
        size: artifact_size,
        release_notes: String::new(),
    };
    let new = ensure_package(&api, &signer, &spec("2.0.0")).await.unwrap();
    let old = ensure_package(&api, &signer, &spec("1.4.1")).await.unwrap();
    let fleet = Fleet::provision(
        &api,
        &ProvisionSpec {
            profile_id: profile.profile_id.clone(),
            device_type: "temp-sensor".into(),
            firmware_version: "1.4.2".into(),
            count: n,
            name_prefix: "sim".into(),
            first_number: 0,
        },
    )
    .await
    .unwrap();
    let verifier = Verifier::from_listed(&api.signing_keys().await.unwrap()).unwrap();
    Env {
        server,
        api,
        profile_id: profile.profile_id,
        fleet,
        package_id: new.package_id,
        rollback_id: old.package_id,
        verifier,
        database_args,
        _dir: dir,
        postgres,
    }
}

impl Env {
    /// A token for `tenant` / `role` from `airliftd token` on the server's database.
    pub async fn token(&self, tenant: &str, role: &str) -> String {
        airliftd::token_with(
            airliftd_bin(),
            self._dir.path(),
            &self.database_args,
            tenant,
            role,
            3600,
        )
        .await
        .unwrap()
    }

    /// The server's PostgreSQL database URL, when it runs on one.
    pub fn postgres_url(&self) -> Option<&str> {
        self.postgres
            .as_ref()
            .map(|_| self.database_args[1].as_str())
    }

    /// A fast device configuration for tests.
    pub fn config(&self, seed: u64, poll: Duration) -> RunConfig {
        let mut c = RunConfig::new(&self.server.url);
        c.seed = seed;
        c.poll_interval = poll;
        c.install_time = Duration::from_millis(50);
        c.reboot_time = Duration::from_millis(100);
        c.progress_step = 50;
        c.verifier = self.verifier.clone();
        c
    }

    pub async fn create_rollout(&self, body: Value) -> Value {
        self.create_rollout_with(&self.api, body).await
    }

    /// [`Env::create_rollout`] through `api` (a client with other timeouts).
    pub async fn create_rollout_with(&self, api: &UserApi, body: Value) -> Value {
        let mut body = body;
        body["package_id"] = json!(self.package_id);
        body["target_profile_id"] = json!(self.profile_id);
        body["rollback_package_id"] = json!(self.rollback_id);
        api.post("/api/v1/ota/rollouts", &body)
            .await
            .unwrap_or_else(|e| panic!("create rollout: {e}"))
    }

    pub async fn rollout(&self, id: &str) -> Value {
        self.api
            .get(&format!("/api/v1/ota/rollouts/{id}"))
            .await
            .unwrap_or_else(|e| panic!("get rollout: {e}"))
    }

    /// Polls the rollout until `pred` holds (or panics after `limit`).
    pub async fn wait_for(
        &self,
        id: &str,
        limit: Duration,
        what: &str,
        pred: impl Fn(&Value) -> bool,
    ) -> Value {
        let deadline = Instant::now() + limit;
        loop {
            let r = self.rollout(id).await;
            if pred(&r) {
                return r;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}: status {} counters {}",
                r["status"],
                r["counters"]
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// Every device row of a rollout.
    pub async fn rollout_devices(&self, id: &str) -> Vec<Value> {
        self.api
            .list_all(
                &format!("/api/v1/ota/rollouts/{id}/devices"),
                |d: &Value| d["position"].to_string(),
            )
            .await
            .unwrap()
    }

    pub async fn device(&self, id: &str) -> Value {
        self.api
            .get(&format!("/api/v1/devices/{id}"))
            .await
            .unwrap()
    }

    pub async fn history(&self, id: &str) -> Vec<Value> {
        let v: Value = self
            .api
            .get(&format!("/api/v1/devices/{id}/history?limit=1000"))
            .await
            .unwrap();
        v["data"].as_array().cloned().unwrap_or_default()
    }
}

pub fn counter(r: &Value, name: &str) -> u64 {
    r["counters"][name].as_u64().unwrap_or(0)
}
