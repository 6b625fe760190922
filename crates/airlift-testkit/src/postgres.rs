//! A real PostgreSQL 15 for the tests: Debian's `postgresql-15` binaries, a private cluster in
//! a temporary directory on a free loopback port, run as an unprivileged user (`initdb`
//! refuses root: as root, the cluster belongs to the `postgres` user the package creates and
//! its programs run through `runuser`). No system service is touched.
//!
//! [`Postgres::start`] gives a cluster of its own (stopped and removed on drop; a test can
//! [`Postgres::restart`] it). [`shared`] is one cluster per test process, and
//! [`database_for`] a database on it per key (a server's data directory), so a server
//! restarted on the same directory finds its data. A watchdog process removes a cluster when
//! the test process ends, however it ends.
//!
//! The server integration suite runs on PostgreSQL when `AIRLIFT_TEST_DATABASE=postgres`
//! ([`selected`]): the test harness then starts `airliftd` with [`server_args`].

use std::collections::HashMap;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Where Debian's `postgresql-15` puts its programs.
pub const BIN_DIR: &str = "/usr/lib/postgresql/15/bin";

/// The superuser of every test cluster (trusted on loopback: no password).
const USER: &str = "airlift";

/// Whether the test harness runs the server on PostgreSQL (`AIRLIFT_TEST_DATABASE=postgres`)
/// rather than SQLite (unset or `sqlite`).
pub fn selected() -> bool {
    match std::env::var("AIRLIFT_TEST_DATABASE").as_deref() {
        Ok("postgres") => true,
        Ok("sqlite") | Ok("") | Err(_) => false,
        Ok(other) => panic!("AIRLIFT_TEST_DATABASE={other:?}: use postgres or sqlite"),
    }
}

/// The `--database` arguments for a server (or `airliftd token`) on `data`: none on SQLite
/// (the default file under `--data`), else the database [`database_for`] `data`.
/// A database given with [`assign_database`] wins, whatever the switch says.
pub fn server_args(data: &Path) -> Vec<String> {
    if let Some(url) = by_key().get(data) {
        return vec!["--database".to_owned(), url.clone()];
    }
    if selected() {
        vec!["--database".to_owned(), database_for(data)]
    } else {
        Vec::new()
    }
}

/// Makes `url` the database of the server (and `airliftd token`) on `data`: a test that runs
/// PostgreSQL itself (to restart it) points the harness's server at it.
pub fn assign_database(data: &Path, url: &str) {
    by_key().insert(data.to_path_buf(), url.to_owned());
}

fn by_key() -> std::sync::MutexGuard<'static, HashMap<PathBuf, String>> {
    static BY_KEY: OnceLock<Mutex<HashMap<PathBuf, String>>> = OnceLock::new();
    BY_KEY
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner())
}

/// Runs `sql` with psql on the database at `url`; returns its output, unaligned and
/// tuples-only (columns separated by `|`, one row a line).
pub fn psql(url: &str, sql: &str) -> String {
    let out = Command::new(Path::new(BIN_DIR).join("psql"))
        .args([
            "-X",
            "-q",
            "-A",
            "-t",
            "-v",
            "ON_ERROR_STOP=1",
            "-d",
            url,
            "-c",
            sql,
        ])
        .output()
        .expect("run psql");
    assert!(
        out.status.success(),
        "psql {sql:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// Everything the database at `url` stores, as pg_dump writes it (to look for secrets).
pub fn dump(url: &str) -> Vec<u8> {
    let out = Command::new(Path::new(BIN_DIR).join("pg_dump"))
        .args(["--data-only", "-d", url])
        .output()
        .expect("run pg_dump");
    assert!(
        out.status.success(),
        "pg_dump failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// One cluster for the whole test process (removed by its watchdog when the process ends).
pub fn shared() -> &'static Postgres {
    static SHARED: OnceLock<Postgres> = OnceLock::new();
    SHARED.get_or_init(Postgres::start)
}

/// The URL of a database on [`shared`] that belongs to `key`, created on first use.
pub fn database_for(key: &Path) -> String {
    let mut map = by_key();
    map.entry(key.to_path_buf())
        .or_insert_with(|| shared().create_database())
        .clone()
}

/// A running cluster of its own.
pub struct Postgres {
    root: PathBuf,
    port: u16,
    server: Option<Child>,
    /// The watchdog and its stdin: when that closes (drop, or the test process ends) the
    /// watchdog stops the server and removes `root`.
    watchdog: Option<(Child, ChildStdin)>,
    owner: Option<(u32, u32)>,
    durable: bool,
    /// Whether the server takes TLS connections only ([`Postgres::start_tls`]).
    tls: bool,
}

impl Postgres {
    /// initdb in a new temporary directory, then the server on a free port, without fsync
    /// (test data need not survive a power cut).
    pub fn start() -> Postgres {
        Self::start_with(false, false)
    }

    /// [`Postgres::start`] with production durability, for benchmarks: every commit flushed
    /// to disk (`fsync`, `synchronous_commit`, `full_page_writes` on, PostgreSQL's defaults)
    /// and the shared buffers of bench/server/lib.sh's `start_postgres` (256 MB).
    pub fn start_durable() -> Postgres {
        Self::start_with(false, true)
    }

    /// A cluster that takes TLS connections only (`pg_hba.conf`: `hostssl` trusted, any other
    /// connection rejected), its certificate for 127.0.0.1 signed by a CA made for it:
    /// [`Postgres::ca_file`].
    pub fn start_tls() -> Postgres {
        Self::start_with(true, false)
    }

    /// The CA that signed a [`Postgres::start_tls`] cluster's certificate (PEM).
    pub fn ca_file(&self) -> PathBuf {
        self.root.join("tls").join("ca.pem")
    }

    fn start_with(tls: bool, durable: bool) -> Postgres {
        let root = new_root();
        let owner = unprivileged_owner();
        if let Some((uid, gid)) = owner {
            std::os::unix::fs::chown(&root, Some(uid), Some(gid)).expect("chown the cluster dir");
        }
        let watchdog = start_watchdog(&root);
        let mut pg = Postgres {
            port: 0,
            server: None,
            watchdog: Some(watchdog),
            owner,
            root,
            durable,
            tls,
        };
        let out = pg
            .command("initdb")
            .args(["-D"])
            .arg(pg.data_dir())
            .args([
                "-U",
                USER,
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-instructions",
            ])
            .args((!durable).then_some("--no-sync"))
            .output()
            .expect("run initdb (is postgresql-15 installed?)");
        assert!(
            out.status.success(),
            "initdb failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        if tls {
            pg.make_tls_only();
        }
        // A port taken between the probe and the bind: try another.
        for _ in 0..5 {
            pg.port = free_port();
            if pg.run_server() {
                return pg;
            }
        }
        panic!("PostgreSQL did not start; its log:\n{}", pg.log());
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `postgres://airlift@127.0.0.1:PORT/DB`.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://{USER}@127.0.0.1:{}/{database}", self.port)
    }

    /// A new, empty database; returns its URL.
    pub fn create_database(&self) -> String {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let name = format!(
            "t{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        self.psql("postgres", &format!("CREATE DATABASE {name}"));
        self.url(&name)
    }

    /// Runs `sql` with psql on `database` of this cluster (see [`psql`]).
    pub fn psql(&self, database: &str, sql: &str) -> String {
        psql(&self.url(database), sql)
    }

    /// Stops the server (fast shutdown: open connections are cut) and starts it again on the
    /// same directory and port, as an operator's restart would.
    pub fn restart(&mut self) {
        self.stop();
        self.resume();
    }

    /// Starts the stopped server again on the same directory and port.
    pub fn resume(&mut self) {
        assert!(
            self.run_server(),
            "PostgreSQL did not start again; its log:\n{}",
            self.log()
        );
    }

    /// Stops the server; the cluster stays on disk.
    pub fn stop(&mut self) {
        if let Some(pid) = self.postmaster_pid() {
            let _ = Command::new("kill")
                .args(["-INT", &pid.to_string()])
                .status();
            let deadline = Instant::now() + Duration::from_secs(30);
            while Path::new(&format!("/proc/{pid}")).exists() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        if let Some(mut child) = self.server.take() {
            let _ = child.wait();
        }
    }

    fn data_dir(&self) -> PathBuf {
        self.root.join("data")
    }

    fn log_path(&self) -> PathBuf {
        self.root.join("postgres.log")
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    /// The server's main process (its backends are its children), while it runs.
    pub fn postmaster_pid(&self) -> Option<u32> {
        let text = std::fs::read_to_string(self.data_dir().join("postmaster.pid")).ok()?;
        text.lines().next()?.trim().parse().ok()
    }

    /// The certificate (CA-signed, for 127.0.0.1) and the rules: TLS or nothing.
    fn make_tls_only(&self) {
        let dir = self.root.join("tls");
        std::fs::create_dir_all(&dir).expect("create the TLS folder");
        let (ca, ca_key) = make_ca(&dir, "ca");
        make_server_cert(&dir, &ca, &ca_key);
        std::fs::write(
            self.data_dir().join("pg_hba.conf"),
            "hostssl all all 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 reject\n",
        )
        .expect("write pg_hba.conf");
        if let Some((uid, gid)) = self.owner {
            for f in ["server.pem", "server.key"] {
                std::os::unix::fs::chown(dir.join(f), Some(uid), Some(gid))
                    .expect("chown the server's certificate");
            }
            std::os::unix::fs::chown(self.data_dir().join("pg_hba.conf"), Some(uid), Some(gid))
                .expect("chown pg_hba.conf");
            std::os::unix::fs::chown(&dir, Some(uid), Some(gid)).expect("chown the TLS folder");
        }
    }

    fn tls_settings(&self) -> Vec<String> {
        if !self.tls {
            return Vec::new();
        }
        let dir = self.root.join("tls");
        vec![
            "-c".into(),
            "ssl=on".into(),
            "-c".into(),
            format!("ssl_cert_file={}", dir.join("server.pem").display()),
            "-c".into(),
            format!("ssl_key_file={}", dir.join("server.key").display()),
        ]
    }

    /// One of PostgreSQL's programs, as the cluster's owner.
    fn command(&self, program: &str) -> Command {
        let path = Path::new(BIN_DIR).join(program);
        match self.owner {
            Some(_) => {
                let mut c = Command::new("runuser");
                c.args(["-u", "postgres", "--"]).arg(path);
                c
            }
            None => Command::new(path),
        }
    }

    /// Starts the server and waits until it takes connections; false if it exited first.
    fn run_server(&mut self) -> bool {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())
            .expect("open the PostgreSQL log");
        let settings: &[&str] = if self.durable {
            &[
                "shared_buffers=256MB",
                "fsync=on",
                "synchronous_commit=on",
                "full_page_writes=on",
            ]
        } else {
            // Test data need not survive a power cut: skip the fsyncs.
            &[
                "shared_buffers=32MB",
                "fsync=off",
                "synchronous_commit=off",
                "full_page_writes=off",
            ]
        };
        let child = self
            .command("postgres")
            .arg("-D")
            .arg(self.data_dir())
            .args(["-p", &self.port.to_string()])
            .args(["-c", "listen_addresses=127.0.0.1"])
            .args(["-c", "unix_socket_directories="])
            .args(["-c", "max_connections=300"])
            .args(["-c", "dynamic_shared_memory_type=mmap"])
            .args(settings.iter().flat_map(|s| ["-c", *s]))
            .args(self.tls_settings())
            .stdin(Stdio::null())
            .stdout(Stdio::from(log.try_clone().expect("log fd")))
            .stderr(Stdio::from(log))
            .spawn()
            .expect("start postgres");
        self.server = Some(child);
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Some(child) = self.server.as_mut() {
                if let Ok(Some(_)) = child.try_wait() {
                    self.server = None;
                    return false;
                }
            }
            let ready = Command::new(Path::new(BIN_DIR).join("pg_isready"))
                .args(["-q", "-h", "127.0.0.1", "-p", &self.port.to_string()])
                .args(["-U", USER])
                .status()
                .is_ok_and(|s| s.success());
            if ready {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.root);
        if let Some((mut child, stdin)) = self.watchdog.take() {
            drop(stdin);
            let _ = child.wait();
        }
    }
}

/// (uid, gid) of the `postgres` user when running as root (initdb refuses root).
fn unprivileged_owner() -> Option<(u32, u32)> {
    let uid = Command::new("id").arg("-u").output().ok()?;
    if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
        return None;
    }
    let id = |flag: &str| -> u32 {
        let out = Command::new("id")
            .args([flag, "postgres"])
            .output()
            .expect("run id");
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .expect("running as root needs the postgres user (Debian's postgresql-15 package)")
    };
    Some((id("-u"), id("-g")))
}

fn new_root() -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let root = std::env::temp_dir().join(format!(
        "airlift-pg-{}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos())
    ));
    std::fs::create_dir_all(&root).expect("create the cluster dir");
    root
}

/// A shell that waits for its stdin to close, then stops the cluster's server (its pid from
/// `postmaster.pid`) and removes the directory: the clean-up for a test process that exits
/// without dropping its cluster (a static, a panic, a kill).
fn start_watchdog(root: &Path) -> (Child, ChildStdin) {
    const SCRIPT: &str = r#"
cat >/dev/null
pid=$(head -n 1 "$1/data/postmaster.pid" 2>/dev/null)
if [ -n "$pid" ]; then
    kill -INT "$pid" 2>/dev/null
    n=0
    while kill -0 "$pid" 2>/dev/null && [ $n -lt 600 ]; do sleep 0.05; n=$((n+1)); done
fi
rm -rf "$1"
"#;
    let mut child = Command::new("sh")
        .args(["-c", SCRIPT, "airlift-pg-watchdog"])
        .arg(root)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the PostgreSQL watchdog");
    let stdin = child.stdin.take().expect("watchdog stdin");
    (child, stdin)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// A new CA in `dir` (`NAME.pem`, `NAME.key`), made with the openssl command: returns both
/// paths. A test makes a second one to present a CA that did not sign the server.
pub fn make_ca(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
    let (cert, key) = (
        dir.join(format!("{name}.pem")),
        dir.join(format!("{name}.key")),
    );
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-days",
        "2",
        "-subj",
        &format!("/CN=airlift test {name}"),
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
        "-keyout",
        path_str(&key),
        "-out",
        path_str(&cert),
    ]);
    (cert, key)
}

/// `server.pem` / `server.key` in `dir` for 127.0.0.1, signed by the CA; the key 0600 (the
/// server refuses a key others can read).
fn make_server_cert(dir: &Path, ca: &Path, ca_key: &Path) {
    make_server_cert_named(dir, "server", ca, ca_key);
}

/// `NAME.pem` / `NAME.key` in `dir`: a server certificate for 127.0.0.1 (and `localhost`)
/// signed by the CA, the key 0600; returns both paths. An HTTPS test makes its server's
/// certificate with it (and a second one to reload).
pub fn make_server_cert_named(
    dir: &Path,
    name: &str,
    ca: &Path,
    ca_key: &Path,
) -> (PathBuf, PathBuf) {
    let (csr, key, cert, ext) = (
        dir.join(format!("{name}.csr")),
        dir.join(format!("{name}.key")),
        dir.join(format!("{name}.pem")),
        dir.join(format!("{name}.ext")),
    );
    openssl(&[
        "req",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-subj",
        "/CN=127.0.0.1",
        "-keyout",
        path_str(&key),
        "-out",
        path_str(&csr),
    ]);
    std::fs::write(
        &ext,
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n\
         keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n",
    )
    .expect("write the certificate extensions");
    openssl(&[
        "x509",
        "-req",
        "-in",
        path_str(&csr),
        "-CA",
        path_str(ca),
        "-CAkey",
        path_str(ca_key),
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        path_str(&ext),
        "-out",
        path_str(&cert),
    ]);
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600))
        .expect("chmod the server key");
    (cert, key)
}

fn openssl(args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .output()
        .expect("run openssl (is it installed?)");
    assert!(
        out.status.success(),
        "openssl {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 temporary path")
}
