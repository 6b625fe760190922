//! Test harness: the real `airliftd` binary on loopback, driven over real HTTP.
#![allow(dead_code)] // each test binary uses a different subset

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use futures_util::StreamExt as _;
use md5::{Digest as _, Md5};
use reqwest::StatusCode;
use serde_json::{json, Value};

pub mod ota;

pub const BIN: &str = env!("CARGO_BIN_EXE_airliftd");
/// Marks a start without the harness's small `--min-chunk-bytes` (never passed to the server).
/// Seed 003's smallest chunk but the last (5 MiB): every test's upload obeys it.
pub const MIN_CHUNK: usize = 5 * 1024 * 1024;

/// A running server; killed on drop.
pub struct Server {
    child: Child,
    pub base: String,
    pub data: PathBuf,
    /// The metrics URL (`http://ADDR/metrics`) of a server started with `--metrics-listen`.
    pub metrics: Option<String>,
    /// A server started with `--tls-cert DIR/NAME.pem`: the CA certificates in `DIR/ca.pem`
    /// (the harness's convention), which [`Api::new`]'s clients trust.
    pub ca_pem: Option<Vec<u8>>,
}

impl Server {
    pub fn start(data: &Path) -> Server {
        Self::start_with(data, &[])
    }

    pub fn start_with(data: &Path, extra: &[&str]) -> Server {
        Self::spawn(data, extra, "warn", Stdio::inherit())
    }

    /// A server with `env` added to its environment (S3 credentials).
    pub fn start_with_env(data: &Path, extra: &[&str], env: &[(&str, &str)]) -> Server {
        Self::spawn_env(data, extra, "warn", Stdio::inherit(), env)
    }

    /// A server whose log (at `level`, e.g. "debug") goes to the file `log`.
    pub fn start_logging_to(data: &Path, level: &str, log: &Path) -> Server {
        let file = std::fs::File::create(log).expect("create the log file");
        Self::spawn(data, &[], level, Stdio::from(file))
    }

    /// [`Server::start_logging_to`] with more `serve` flags.
    pub fn start_logging_with(data: &Path, extra: &[&str], level: &str, log: &Path) -> Server {
        let file = std::fs::File::create(log).expect("create the log file");
        Self::spawn(data, extra, level, Stdio::from(file))
    }

    fn spawn(data: &Path, extra: &[&str], level: &str, stderr: Stdio) -> Server {
        Self::spawn_env(data, extra, level, stderr, &[])
    }

    fn spawn_env(
        data: &Path,
        extra: &[&str],
        level: &str,
        stderr: Stdio,
        env: &[(&str, &str)],
    ) -> Server {
        let mut child = Command::new(BIN)
            .arg("serve")
            .arg("--data")
            .arg(data)
            .args(["--listen", "127.0.0.1:0"])
            // AIRLIFT_TEST_DATABASE=postgres: a database of its own on the test cluster.
            .args(airlift_testkit::postgres::server_args(data))
            .args(extra)
            .env("RUST_LOG", level)
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("spawn airliftd");
        let stdout = child.stdout.take().expect("stdout");
        let mut stdout = BufReader::new(stdout);
        let mut line = String::new();
        stdout.read_line(&mut line).expect("read listening line");
        let base = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_owned();
        // `--metrics-listen`: the address actually bound is the second line.
        let metrics = extra.contains(&"--metrics-listen").then(|| {
            let mut line = String::new();
            stdout.read_line(&mut line).expect("read the metrics line");
            line.trim()
                .strip_prefix("metrics on ")
                .unwrap_or_else(|| panic!("unexpected second line {line:?}"))
                .to_owned()
        });
        let ca_pem = extra
            .iter()
            .position(|a| *a == "--tls-cert")
            .and_then(|i| extra.get(i + 1))
            .and_then(|cert| Path::new(cert).parent().map(|d| d.join("ca.pem")))
            .and_then(|ca| std::fs::read(ca).ok());
        Server {
            child,
            base,
            data: data.to_owned(),
            metrics,
            ca_pem,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL: no graceful shutdown, no cleanup (the crash tests' point).
    pub fn kill9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Waits for the process to exit by itself.
    pub fn wait_timeout(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let deadline = std::time::Instant::now() + limit;
        while std::time::Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Peak resident set size (VmHWM) of the server process, in KiB.
    pub fn peak_rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmHWM")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `airliftd token --create`: the JWT is the only stdout output (a fresh directory becomes a
/// deployment, as tests often mint a token before the server first starts).
pub fn token(data: &Path, tenant: &str, role: &str) -> String {
    let out = Command::new(BIN)
        .args(["token", "--create", "--data"])
        .arg(data)
        .args(airlift_testkit::postgres::server_args(data))
        .args(["--tenant", tenant, "--role", role])
        .env("RUST_LOG", "warn")
        .output()
        .expect("run airliftd token");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines.len(),
        1,
        "token printed more than one line: {stdout:?}"
    );
    lines[0].to_owned()
}

/// The database of the server on `data`, opened the way its backend allows: the SQLite file,
/// or psql on the PostgreSQL database the harness gave it (`AIRLIFT_TEST_DATABASE=postgres`).
/// Statements name values inline (ids are `[a-z0-9_]`), so they read the same on both.
pub enum Db {
    Sqlite(PathBuf),
    Postgres(String),
}

impl Db {
    pub fn of(data: &Path) -> Db {
        match airlift_testkit::postgres::server_args(data).get(1) {
            Some(url) if url.starts_with("postgres") => Db::Postgres(url.clone()),
            _ => Db::Sqlite(data.join("airlift.db")),
        }
    }

    /// The first row of `sql`, every column an integer.
    pub fn ints(&self, sql: &str) -> Vec<i64> {
        match self {
            Db::Sqlite(path) => {
                let c = rusqlite::Connection::open(path).expect("open the server's database");
                let mut stmt = c.prepare(sql).expect("prepare");
                let n = stmt.column_count();
                stmt.query_row([], |r| (0..n).map(|i| r.get(i)).collect())
                    .expect("one row")
            }
            Db::Postgres(url) => airlift_testkit::postgres::psql(url, sql)
                .lines()
                .next()
                .expect("one row")
                .split('|')
                .map(|v| v.parse().expect("an integer"))
                .collect(),
        }
    }

    /// Runs statements that change the database (what an older server left behind).
    pub fn execute(&self, sql: &str) {
        match self {
            Db::Sqlite(path) => rusqlite::Connection::open(path)
                .expect("open the server's database")
                .execute_batch(sql)
                .expect("execute"),
            Db::Postgres(url) => {
                airlift_testkit::postgres::psql(url, sql);
            }
        }
    }

    /// The deployment's JWT secret: the file under `data` with SQLite, the database's own on
    /// PostgreSQL.
    pub fn jwt_secret(&self, data: &Path) -> Vec<u8> {
        match self {
            Db::Sqlite(_) => {
                let text = std::fs::read_to_string(data.join("jwt-secret")).unwrap();
                STANDARD.decode(text.trim()).unwrap()
            }
            Db::Postgres(url) => hex::decode(airlift_testkit::postgres::psql(
                url,
                "SELECT encode(value, 'hex') FROM airlift_secrets WHERE name = 'jwt'",
            ))
            .unwrap(),
        }
    }

    /// Every byte the database stores (the SQLite file and its WAL, or a pg_dump).
    pub fn stored_bytes(&self) -> Vec<u8> {
        match self {
            Db::Sqlite(path) => {
                let mut bytes = std::fs::read(path).unwrap_or_default();
                let mut wal = path.as_os_str().to_owned();
                wal.push("-wal");
                bytes.extend(std::fs::read(PathBuf::from(wal)).unwrap_or_default());
                bytes
            }
            Db::Postgres(url) => airlift_testkit::postgres::dump(url),
        }
    }
}

pub fn tempdir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("airliftd-test")
        .tempdir()
        .unwrap()
}

/// A client acting as one user.
#[derive(Clone)]
pub struct Api {
    pub http: reqwest::Client,
    pub base: String,
    pub token: String,
}

pub struct Resp {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Resp {
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }

    #[track_caller]
    pub fn expect(self, status: u16) -> Value {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.body);
        self.body
    }

    #[track_caller]
    pub fn expect_error(self, status: u16, code: &str) -> Value {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.body);
        assert_eq!(self.code(), code, "body: {}", self.body);
        assert!(self.body["message"].as_str().is_some_and(|m| !m.is_empty()));
        self.body
    }
}

impl Api {
    pub fn new(server: &Server, token: &str) -> Api {
        let mut http = reqwest::Client::builder().timeout(Duration::from_secs(120));
        if let Some(pem) = &server.ca_pem {
            for ca in reqwest::Certificate::from_pem_bundle(pem).expect("the test's CA PEM") {
                http = http.add_root_certificate(ca);
            }
        }
        Api {
            http: http.build().unwrap(),
            base: server.base.clone(),
            token: token.to_owned(),
        }
    }

    pub fn for_tenant(server: &Server, tenant: &str, role: &str) -> Api {
        Api::new(server, &token(&server.data, tenant, role))
    }

    pub fn req(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token)
    }

    pub async fn send(&self, rb: reqwest::RequestBuilder) -> Resp {
        let r = rb.send().await.expect("request");
        let status = r.status();
        let headers = r.headers().clone();
        let bytes = r.bytes().await.expect("body");
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        Resp {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.send(self.req(reqwest::Method::GET, path)).await
    }

    pub async fn delete(&self, path: &str) -> Resp {
        self.send(self.req(reqwest::Method::DELETE, path)).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Resp {
        self.send(self.req(reqwest::Method::POST, path).json(&body))
            .await
    }

    pub async fn patch(&self, path: &str, body: Value) -> Resp {
        self.send(self.req(reqwest::Method::PATCH, path).json(&body))
            .await
    }

    /// Seed 003 chunk append (POST), with a correct Content-MD5.
    pub async fn post_chunk(&self, job: &str, data: &[u8]) -> Resp {
        self.send(
            self.req(
                reqwest::Method::POST,
                &format!("/api/v1/ota/upload-jobs/{job}/chunks"),
            )
            .header("content-md5", content_md5(data))
            .header("content-type", "binary/octet-stream")
            .body(data.to_vec()),
        )
        .await
    }

    /// Explicit part (PUT .../chunks/{n}), with a correct Content-MD5.
    pub async fn put_part(&self, job: &str, n: u32, data: &[u8]) -> Resp {
        self.send(
            self.req(
                reqwest::Method::PUT,
                &format!("/api/v1/ota/upload-jobs/{job}/chunks/{n}"),
            )
            .header("content-md5", content_md5(data))
            .body(data.to_vec()),
        )
        .await
    }

    pub async fn create_job(&self, name: &str) -> String {
        let body = self
            .post(
                "/api/v1/ota/upload-jobs",
                json!({"name": name, "description": "test"}),
            )
            .await
            .expect(201);
        body["id"].as_str().unwrap().to_owned()
    }

    /// Uploads `data` through a job in chunks of seed 003's minimum (5 MiB; most test images
    /// are one chunk) and completes it; returns the image.
    pub async fn upload_image(&self, name: &str, data: &[u8]) -> Value {
        self.upload_image_in(name, data, MIN_CHUNK).await
    }

    /// Uploads `data` through a job in `chunk`-sized POSTs and completes it; returns the image.
    pub async fn upload_image_in(&self, name: &str, data: &[u8], chunk: usize) -> Value {
        let job = self.create_job(name).await;
        for piece in data.chunks(chunk) {
            self.post_chunk(&job, piece).await.expect(201);
        }
        self.post_chunk(&job, b"").await.expect(201);
        let job_body = self
            .get(&format!("/api/v1/ota/upload-jobs/{job}"))
            .await
            .expect(200);
        let image_id = job_body["firmware_image_id"].as_str().unwrap();
        self.get(&format!("/api/v1/ota/images/{image_id}"))
            .await
            .expect(200)
    }

    /// Turns the tenant's signature requirement on or off (needs an admin token).
    pub async fn require_signatures(&self, on: bool) {
        self.patch("/api/v1/tenant", json!({"require_signatures": on}))
            .await
            .expect(200);
    }
}

pub fn content_md5(data: &[u8]) -> String {
    STANDARD.encode(Md5::digest(data))
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(sha256_raw(data))
}

pub fn sha256_raw(data: &[u8]) -> [u8; 32] {
    let mut h = airlift_server::hashing::Sha256::new();
    h.update(data);
    h.finish()
}

/// Deterministic pseudo-random bytes (xorshift), so artifacts are not trivially compressible
/// and every test's data differs by seed.
pub fn bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// A package request for `image` (fields as seed 000).
pub fn package_body(version: &str, artifact_uri: &str, sha256: &str, size: u64) -> Value {
    json!({
        "type": "fw",
        "version": version,
        "artifact_uri": artifact_uri,
        "sha256": sha256,
        "size_bytes": size,
        "compatibility": {"device_type": "temp-sensor", "min_version": "1.0.0"},
        "release_notes": "Fix sensor drift above 60C; reduce idle current."
    })
}

/// A tiny artifact host on loopback: serves `body` at any path. With `delay`, it sends the
/// first half, then stalls for `delay` before the rest (to catch the server mid-download).
pub struct ArtifactHost {
    pub addr: std::net::SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl ArtifactHost {
    pub async fn start(body: Vec<u8>, delay: Option<Duration>) -> ArtifactHost {
        use axum::response::IntoResponse as _;
        let body = bytes::Bytes::from(body);
        let app = axum::Router::new().fallback(move || {
            let body = body.clone();
            async move {
                match delay {
                    None => body.into_response(),
                    Some(d) => {
                        let half = body.len() / 2;
                        let (a, b) = (body.slice(..half), body.slice(half..));
                        let stream = futures_util::stream::iter([(a, Duration::ZERO), (b, d)])
                            .then(|(chunk, wait)| async move {
                                tokio::time::sleep(wait).await;
                                Ok::<_, std::io::Error>(chunk)
                            });
                        axum::body::Body::from_stream(stream).into_response()
                    }
                }
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        ArtifactHost { addr, task }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

impl Drop for ArtifactHost {
    fn drop(&mut self) {
        self.task.abort();
    }
}
