//! Creating a rollout over 1,000,000 devices, against the database's own client doing the same
//! writes with set-based statements (INSERT … SELECT) on the same database: `sqlite3` on the
//! SQLite file (target: within 2×), or `psql` on PostgreSQL (`DATABASE=postgres`, a cluster
//! with production durability; target: within 1.5×).
//!
//! A measurement, not a test: `cargo bench -p airlift-sim --bench rollout_1m` (bench/server-rollout.sh
//! runs it). `AIRLIFT_BENCH_DEVICES` overrides the fleet size.

#[path = "../tests/e2e/mod.rs"]
mod e2e;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::json;

use e2e::Database;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let n: usize = std::env::var("AIRLIFT_BENCH_DEVICES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let database = Database::from_env();
    let canary = 10;
    // Creating a rollout over a million devices is long by design: its targets are one
    // statement over every device, in the one transaction that checks them. The server's
    // `--database-statement-timeout` (60 s by default, sized for requests) and the HTTP
    // client's 60 s are given room for it here; production keeps its defaults (docs/postgres.md).
    let long = Duration::from_secs(15 * 60);
    let extra: &[&str] = match database {
        Database::Postgres => &["--database-statement-timeout", "15m"],
        Database::Sqlite => &[],
    };
    let t = Instant::now();
    let env = e2e::env_on(database, n, 4096, extra, &[]).await;
    eprintln!("provisioned {n} devices in {:.1?}", t.elapsed());
    let patient = reqwest::Client::builder()
        .user_agent(airlift_sim::USER_AGENT)
        .timeout(long)
        .build()
        .expect("HTTP client");
    let api = airlift_sim::UserApi::new(
        airlift_sim::Http::with_client(&env.server.url, patient, 4),
        &env.token("acme", "admin").await,
    );

    let t = Instant::now();
    let created = env
        .create_rollout_with(
            &api,
            json!({"canary_percent": canary, "failure_threshold_percent": 10}),
        )
        .await;
    let ours = t.elapsed();
    let id = created["rollout_id"]
        .as_str()
        .expect("rollout id")
        .to_owned();
    assert_eq!(created["eligible_count"], n as u64, "{created}");
    let slice = created["scheduled_count"]
        .as_u64()
        .expect("scheduled_count");

    // The reference runs on the same database, with the server stopped.
    let db: Box<dyn Reference> = match env.postgres_url() {
        Some(url) => Box::new(Psql(url.to_owned())),
        None => Box::new(Sqlite3(env._dir.path().join("airlift.db"))),
    };
    let e2e::Env {
        server,
        _dir,
        postgres,
        ..
    } = env;
    server.stop(Duration::from_secs(10)).await;
    let profile = db.run(&format!(
        "SELECT target_profile_id FROM rollouts WHERE id = '{id}'"
    ));
    let sql = db.reference_sql(&id, &profile, slice);
    let t = Instant::now();
    db.run(&sql);
    let reference = t.elapsed();
    let counts = ["rollout_targets", "device_commands"].map(|table| {
        db.run(&format!(
            "SELECT COUNT(*) FROM {table} WHERE rollout_id = 'ref_rollout'"
        ))
    });
    assert_eq!(
        counts,
        [n.to_string(), slice.to_string()],
        "the reference wrote the same rows"
    );
    drop((postgres, _dir));

    let target = db.target_ratio();
    let ratio = ours.as_secs_f64() / reference.as_secs_f64();
    println!(
        "rollout over {n} devices on {} ({canary}% canary, {slice} commands): ours {:.2} s, {} {:.2} s, ratio {ratio:.2} (target ≤ {target}): {}",
        db.database(),
        ours.as_secs_f64(),
        db.client(),
        reference.as_secs_f64(),
        if ratio <= target { "met" } else { "missed" }
    );
}

/// The database's own client on the server's database.
trait Reference {
    fn database(&self) -> &'static str;
    fn client(&self) -> &'static str;
    fn target_ratio(&self) -> f64;
    /// Runs `sql`; its output, one value a line.
    fn run(&self, sql: &str) -> String;
    /// The rows the server writes for a new rollout, as set-based SQL: the rollout row, every
    /// eligible device as a target in id order, the slice scheduled (with history), and one
    /// `ota_start` command per scheduled device (with history), in one transaction.
    fn reference_sql(&self, rollout: &str, profile: &str, slice: u64) -> String;
}

/// `out`'s stdout, or a panic with its stderr.
fn output_of(what: &str, out: std::io::Result<std::process::Output>) -> String {
    let out = out.unwrap_or_else(|e| panic!("running {what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

struct Sqlite3(std::path::PathBuf);

impl Reference for Sqlite3 {
    fn database(&self) -> &'static str {
        "SQLite"
    }
    fn client(&self) -> &'static str {
        "sqlite3"
    }
    fn target_ratio(&self) -> f64 {
        2.0
    }
    fn run(&self, sql: &str) -> String {
        output_of(
            "sqlite3 (apt-get install sqlite3)",
            Command::new("sqlite3").arg(&self.0).arg(sql).output(),
        )
    }
    fn reference_sql(&self, rollout: &str, profile: &str, slice: u64) -> String {
        format!(
            "PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;
BEGIN IMMEDIATE;
CREATE TEMP TABLE r AS SELECT * FROM rollouts WHERE id = '{rollout}';
UPDATE r SET id = 'ref_rollout';
INSERT INTO rollouts SELECT * FROM r;
INSERT INTO rollout_targets (rollout_id, position, device_id, updated_at)
    SELECT 'ref_rollout', ROW_NUMBER() OVER (ORDER BY id) - 1, id, '2026-01-01T00:00:00Z'
    FROM devices WHERE profile_id = '{profile}' AND device_type = 'temp-sensor'
        AND firmware_version <> '2.0.0' ORDER BY id;
INSERT INTO device_history (tenant_id, device_id, kind, rollout_id, package_id, at)
    SELECT (SELECT tenant_id FROM r), device_id, 'assigned', rollout_id, (SELECT package_id FROM r), updated_at
    FROM rollout_targets WHERE rollout_id = 'ref_rollout' AND position < {slice} ORDER BY position;
UPDATE rollout_targets SET state = 'scheduled' WHERE rollout_id = 'ref_rollout' AND position < {slice};
INSERT INTO device_commands (id, tenant_id, device_id, rollout_id, kind, package_id, created_at)
    SELECT 'cmd_' || lower(hex(randomblob(13))), (SELECT tenant_id FROM r), device_id, rollout_id,
        'ota_start', (SELECT package_id FROM r), updated_at
    FROM rollout_targets WHERE rollout_id = 'ref_rollout' AND state = 'scheduled' ORDER BY position;
INSERT INTO device_history (tenant_id, device_id, kind, rollout_id, package_id, command_id, status, at)
    SELECT c.tenant_id, c.device_id, 'command', c.rollout_id, c.package_id, c.id, c.kind, c.created_at
    FROM rollout_targets t JOIN device_commands c ON c.device_id = t.device_id AND c.rollout_id = t.rollout_id
        AND c.kind = 'ota_start' AND c.acked_at IS NULL AND c.cancelled_at IS NULL
    WHERE t.rollout_id = 'ref_rollout' AND t.state = 'scheduled' ORDER BY t.position;
UPDATE rollout_targets SET state = 'command_sent', deadline_unix = 0
    WHERE rollout_id = 'ref_rollout' AND state = 'scheduled';
COMMIT;"
        )
    }
}

struct Psql(String);

impl Reference for Psql {
    fn database(&self) -> &'static str {
        "PostgreSQL"
    }
    fn client(&self) -> &'static str {
        "psql"
    }
    fn target_ratio(&self) -> f64 {
        1.5
    }
    fn run(&self, sql: &str) -> String {
        let psql = Path::new(airlift_testkit::postgres::BIN_DIR).join("psql");
        output_of(
            "psql",
            Command::new(psql)
                .args([
                    "-X",
                    "-q",
                    "-A",
                    "-t",
                    "-v",
                    "ON_ERROR_STOP=1",
                    "-d",
                    &self.0,
                ])
                .args(["-c", sql])
                .output(),
        )
    }
    /// The same statements as SQLite's, in PostgreSQL's words; the statement-level triggers
    /// that keep `device_polls` run as they do for the server's statements. The commands and
    /// their history are one statement (`WITH … RETURNING`), as the server writes them from
    /// one list: SQLite's join of the new commands back to the targets has no statistics
    /// inside the transaction on PostgreSQL, and its nested loop took 115 s for 20k commands.
    fn reference_sql(&self, rollout: &str, profile: &str, slice: u64) -> String {
        format!(
            "BEGIN;
CREATE TEMP TABLE r AS SELECT * FROM rollouts WHERE id = '{rollout}';
UPDATE r SET id = 'ref_rollout';
INSERT INTO rollouts SELECT * FROM r;
INSERT INTO rollout_targets (rollout_id, position, device_id, updated_at)
    SELECT 'ref_rollout', ROW_NUMBER() OVER (ORDER BY id) - 1, id, '2026-01-01T00:00:00Z'
    FROM devices WHERE profile_id = '{profile}' AND device_type = 'temp-sensor'
        AND firmware_version <> '2.0.0' ORDER BY id;
INSERT INTO device_history (tenant_id, device_id, kind, rollout_id, package_id, at)
    SELECT (SELECT tenant_id FROM r), device_id, 'assigned', rollout_id, (SELECT package_id FROM r), updated_at
    FROM rollout_targets WHERE rollout_id = 'ref_rollout' AND position < {slice} ORDER BY position;
UPDATE rollout_targets SET state = 'scheduled' WHERE rollout_id = 'ref_rollout' AND position < {slice};
WITH c AS (
    INSERT INTO device_commands (id, tenant_id, device_id, rollout_id, kind, package_id, created_at)
        SELECT 'cmd_' || substr(md5(random()::text), 1, 26), (SELECT tenant_id FROM r), device_id,
            rollout_id, 'ota_start', (SELECT package_id FROM r), updated_at
        FROM rollout_targets WHERE rollout_id = 'ref_rollout' AND state = 'scheduled' ORDER BY position
        RETURNING *)
INSERT INTO device_history (tenant_id, device_id, kind, rollout_id, package_id, command_id, status, at)
    SELECT c.tenant_id, c.device_id, 'command', c.rollout_id, c.package_id, c.id, c.kind, c.created_at
    FROM c ORDER BY c.id;
UPDATE rollout_targets SET state = 'command_sent', deadline_unix = 0
    WHERE rollout_id = 'ref_rollout' AND state = 'scheduled';
COMMIT;"
        )
    }
}
