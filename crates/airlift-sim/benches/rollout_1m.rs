//! Creating a rollout over 1,000,000 devices, against `sqlite3` doing the same writes with
//! INSERT … SELECT on the same database: the server's time should stay within 2× of the
//! database engine's own.
//!
//! A measurement, not a test: `cargo bench -p airlift-sim --bench rollout_1m` (bench/server-rollout.sh
//! runs it). `AIRLIFT_BENCH_DEVICES` overrides the fleet size.

#[path = "../tests/e2e/mod.rs"]
mod e2e;

use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::json;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let n: usize = std::env::var("AIRLIFT_BENCH_DEVICES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let canary = 10;
    let t = Instant::now();
    let env = e2e::env(n, 4096, &[]).await;
    eprintln!("provisioned {n} devices in {:.1?}", t.elapsed());

    let t = Instant::now();
    let created = env
        .create_rollout(json!({"canary_percent": canary, "failure_threshold_percent": 10}))
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

    // The reference runs on the same database file, with the server stopped.
    let db = env._dir.path().join("airlift.db");
    let e2e::Env { server, _dir, .. } = env;
    server.stop(Duration::from_secs(10)).await;
    let sql = reference_sql(&id, &env_profile(&db, &id), slice);
    let t = Instant::now();
    let out = Command::new("sqlite3")
        .arg(&db)
        .arg(&sql)
        .output()
        .expect("sqlite3 is installed (apt-get install sqlite3)");
    let reference = t.elapsed();
    assert!(
        out.status.success(),
        "sqlite3 failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let copied = Command::new("sqlite3")
        .arg(&db)
        .arg("SELECT COUNT(*) FROM rollout_targets WHERE rollout_id = 'ref_rollout'; SELECT COUNT(*) FROM device_commands WHERE rollout_id = 'ref_rollout';")
        .output()
        .expect("sqlite3");
    let counts = String::from_utf8_lossy(&copied.stdout).to_string();
    assert_eq!(
        counts.split_whitespace().collect::<Vec<_>>(),
        vec![n.to_string(), slice.to_string()],
        "the reference wrote the same rows"
    );
    drop(_dir);

    let ratio = ours.as_secs_f64() / reference.as_secs_f64();
    println!(
        "rollout over {n} devices ({canary}% canary, {slice} commands): ours {:.2} s, sqlite3 {:.2} s, ratio {ratio:.2} (target ≤ 2.0): {}",
        ours.as_secs_f64(),
        reference.as_secs_f64(),
        if ratio <= 2.0 { "met" } else { "missed" }
    );
}

fn env_profile(db: &std::path::Path, rollout: &str) -> String {
    let out = Command::new("sqlite3")
        .arg(db)
        .arg(format!(
            "SELECT target_profile_id FROM rollouts WHERE id = '{rollout}'"
        ))
        .output()
        .expect("sqlite3");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// The rows the server writes for a new rollout, as set-based SQL: the rollout row, every
/// eligible device as a target in id order, the slice scheduled (with history), and one
/// `ota_start` command per scheduled device (with history), in one transaction.
fn reference_sql(rollout: &str, profile: &str, slice: u64) -> String {
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
