//! A whole deployment on loopback, from real processes: a private PostgreSQL 15, the S3 test
//! server (s3s-fs) with one bucket, N `airliftd` servers on both, and optionally nginx in front
//! of them. What `cargo xtask cluster` runs and what the cluster tests start.
//!
//! Every server gets the same `--database`, `--storage`, `--s3-endpoint` and
//! `--encryption-key-file` (the one secret that is a file: it must never be in the database),
//! and a data directory of its own. The JWT secret lives in the database, so a token minted
//! with [`LocalCluster::token`] is valid on every server.

use std::io::{BufRead as _, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::nginx::Nginx;
use crate::postgres::Postgres;
use crate::s3::S3Server;

/// The bucket the servers store in.
pub const BUCKET: &str = "airlift";

/// Where a server's log goes.
#[derive(Debug, Clone)]
pub enum Logs {
    /// The test's own stderr, at `warn`.
    Inherit,
    /// `node-N.log` files in the cluster's directory, at `info`.
    Files,
}

pub struct LocalCluster {
    // Fields drop in this order: the load balancer and the servers before what they use.
    nginx: Option<Nginx>,
    nodes: Vec<Option<Node>>,
    pub postgres: Postgres,
    /// The database every server uses.
    pub database_url: String,
    pub s3: S3Server,
    dir: tempfile::TempDir,
    /// Each server's address once it first started (a restart listens there again: nginx
    /// names it).
    addresses: Vec<Option<String>>,
    /// Arguments every server also gets (`--device-timeout 2s`, ...).
    extra: Vec<String>,
    logs: Logs,
    /// The load balancer's port, chosen before the servers start (their `--public-url`).
    nginx_port: Option<u16>,
}

/// One running `airliftd`; killed on drop.
pub struct Node {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
}

impl Node {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl LocalCluster {
    /// PostgreSQL, s3s-fs and `nodes` servers started one after the other (the first migrates
    /// the database), nginx in front of them when `with_nginx`.
    pub fn start(nodes: usize, with_nginx: bool, extra: &[&str], logs: Logs) -> LocalCluster {
        Self::start_on(Postgres::start(), nodes, with_nginx, extra, logs)
    }

    /// [`LocalCluster::start`] on a PostgreSQL the caller started: a benchmark's
    /// [`Postgres::start_durable`] (every commit flushed, as in production) instead of the
    /// tests' cluster without fsync.
    pub fn start_on(
        postgres: Postgres,
        nodes: usize,
        with_nginx: bool,
        extra: &[&str],
        logs: Logs,
    ) -> LocalCluster {
        let database_url = postgres.create_database();
        let s3 = S3Server::start();
        s3.create_bucket(BUCKET);
        let dir = tempfile::Builder::new()
            .prefix("airlift-cluster")
            .tempdir()
            .expect("a temporary directory for the cluster");
        let mut cluster = LocalCluster {
            postgres,
            database_url,
            s3,
            dir,
            nodes: (0..nodes).map(|_| None).collect(),
            addresses: vec![None; nodes],
            extra: extra.iter().map(|s| (*s).to_owned()).collect(),
            logs,
            nginx_port: with_nginx.then(free_port),
            nginx: None,
        };
        for i in 0..nodes {
            cluster.start_node(i);
        }
        if let Some(port) = cluster.nginx_port {
            let upstreams: Vec<String> = cluster
                .nodes
                .iter()
                .flatten()
                .map(|n| n.base.trim_start_matches("http://").to_owned())
                .collect();
            cluster.nginx = Some(Nginx::start_on(port, &upstreams));
        }
        cluster
    }

    /// The cluster's directory: each server's data directory, the shared key file, logs.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Server `i`'s data directory.
    pub fn data_dir(&self, i: usize) -> PathBuf {
        self.dir.path().join(format!("node-{i}"))
    }

    /// The key file every server shares (encrypted images' data keys are wrapped with it).
    pub fn encryption_key_file(&self) -> PathBuf {
        self.dir.path().join("encryption-key")
    }

    /// What server `i` runs with after `airliftd serve`.
    pub fn serve_args(&self, i: usize) -> Vec<String> {
        let mut args = vec![
            "--data".to_owned(),
            self.data_dir(i).display().to_string(),
            "--listen".to_owned(),
            self.addresses[i]
                .clone()
                .unwrap_or_else(|| "127.0.0.1:0".to_owned()),
            "--database".to_owned(),
            self.database_url.clone(),
            "--storage".to_owned(),
            format!("s3://{BUCKET}"),
            "--s3-endpoint".to_owned(),
            self.s3.endpoint(),
            "--encryption-key-file".to_owned(),
            self.encryption_key_file().display().to_string(),
        ];
        if let Some(port) = self.nginx_port {
            args.push("--public-url".to_owned());
            args.push(format!("http://127.0.0.1:{port}"));
        }
        args.extend(self.extra.iter().cloned());
        args
    }

    /// Starts server `i` (again: after [`LocalCluster::kill9`], on the same port).
    pub fn start_node(&mut self, i: usize) {
        let args = self.serve_args(i);
        let (level, stderr) = match self.logs {
            Logs::Inherit => ("warn", Stdio::inherit()),
            Logs::Files => {
                let log = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(self.dir.path().join(format!("node-{i}.log")))
                    .expect("open the server's log");
                ("info", Stdio::from(log))
            }
        };
        self.nodes[i] = None;
        let mut child = Command::new(crate::bin("airliftd"))
            .arg("serve")
            .args(&args)
            .env("RUST_LOG", level)
            .envs(self.s3.credentials())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("spawn airliftd");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the listening line");
        let base = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("airliftd node {i} did not start: {line:?}"))
            .to_owned();
        self.addresses[i] = Some(base.trim_start_matches("http://").to_owned());
        self.nodes[i] = Some(Node { child, base });
    }

    /// SIGKILL to server `i`: no shutdown, no clean-up, its leases left to expire.
    pub fn kill9(&mut self, i: usize) {
        if let Some(mut node) = self.nodes[i].take() {
            let _ = node.child.kill();
            let _ = node.child.wait();
        }
    }

    pub fn node(&self, i: usize) -> &Node {
        self.nodes[i].as_ref().expect("that server is not running")
    }

    /// `http://127.0.0.1:PORT` of server `i`.
    pub fn base(&self, i: usize) -> String {
        self.node(i).base.clone()
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// nginx's URL when it runs, else server 0's.
    pub fn url(&self) -> String {
        match &self.nginx {
            Some(n) => n.url(),
            None => self.base(0),
        }
    }

    pub fn nginx(&self) -> Option<&Nginx> {
        self.nginx.as_ref()
    }

    /// `airliftd token --create` against the cluster's database: valid on every server.
    pub fn token(&self, tenant: &str, role: &str) -> String {
        let out = Command::new(crate::bin("airliftd"))
            .args(["token", "--create", "--data"])
            .arg(self.data_dir(0))
            .args(["--database", &self.database_url])
            .args(["--tenant", tenant, "--role", role])
            .env("RUST_LOG", "warn")
            .output()
            .expect("run airliftd token");
        assert!(
            out.status.success(),
            "airliftd token: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}
