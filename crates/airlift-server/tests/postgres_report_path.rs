//! The report path on PostgreSQL at scale (issue 17), where a 1M-device run found what the
//! small rollouts of the other tests do not show.
//!
//! A report's cost must not grow with the rollout: the statement that
//! ends a device's command, and the trigger that refreshes the device's `device_polls` row,
//! reach rows by key. Checked on a rollout large enough for the planner to prefer a scan when
//! the SQL leaves it no key (40,000 targets, 10,000 in flight), by the scans the transaction
//! made (`pg_stat_xact_user_tables`, counted before they are flushed), and repeated past the
//! five calls after which PL/pgSQL may switch a statement to its generic plan.

use std::time::Duration;

use airlift_server::store::postgres::{PgOptions, PgStore};
use airlift_server::store::{DeviceAgent, DeviceProtocolStore, DeviceSeen};
use airlift_testkit::postgres::{psql, shared};

const FLEET: &str = "
INSERT INTO tenants VALUES ('t1', 'bench', false, '2026-01-01T00:00:00Z');
INSERT INTO profiles VALUES ('p1', 't1', 'fleet', 'sensor', '2026-01-01T00:00:00Z');
INSERT INTO packages (id, tenant_id, type, version, device_type, min_version, artifact_uri,
    sha256, size_bytes, release_notes, storage_key, created_at)
VALUES ('pkg1', 't1', 'fw', '2.0.0', 'sensor', '0.0.0', 'x', 'ab', 1, '', 'k', '2026-01-01T00:00:00Z');
INSERT INTO devices (id, tenant_id, profile_id, name, device_type, firmware_version, token_hash,
    created_at)
SELECT 'dev' || lpad(i::text, 6, '0'), 't1', 'p1', 'd' || i, 'sensor', '1.0.0', 'h' || i,
    '2026-01-01T00:00:00Z'
FROM generate_series(1, 50000) i;
INSERT INTO rollouts (id, tenant_id, package_id, target_profile_id, target_kind, strategy, status,
    canary_percent, failure_threshold_percent, force, device_timeout_seconds, version,
    change_seq, created_by, created_at, updated_at, target_count)
VALUES ('r1', 't1', 'pkg1', 'p1', 'profile', 'canary', 'active', 25, 100, false, 3600, 1, 1,
    'test', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 40000);
INSERT INTO rollout_targets (rollout_id, position, device_id, state, updated_at)
SELECT 'r1', i, 'dev' || lpad(i::text, 6, '0'),
       CASE WHEN i <= 10000 THEN 'command_sent' END, '2026-01-01T00:00:00Z'
FROM generate_series(1, 40000) i;
ANALYZE;
";

/// Ends the command of devices `first..first + count` one statement each (as reports do), and
/// returns the scans of `rollout_targets` the transaction made: `seq|idx`.
fn end_commands(url: &str, first: u32, count: u32) -> String {
    let updates: String = (first..first + count)
        .map(|i| {
            format!(
                "UPDATE rollout_targets SET state = 'successful', updated_at = 'now'
                 WHERE rollout_id = 'r1' AND device_id = 'dev{i:06}';"
            )
        })
        .collect();
    psql(
        url,
        &format!(
            "BEGIN; {updates}
             SELECT seq_scan || '|' || idx_scan FROM pg_stat_xact_user_tables
             WHERE relname = 'rollout_targets';
             COMMIT;"
        ),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn ending_a_command_reaches_targets_by_key_on_a_large_rollout() {
    let url = shared().create_database();
    // Opening the store applies the schema.
    drop(PgStore::open(&url, PgOptions::default()).await.unwrap());
    psql(&url, FLEET);
    assert_eq!(psql(&url, "SELECT count(*) FROM device_polls"), "10000");

    let scans = end_commands(&url, 1, 12);
    let (seq, idx) = scans.split_once('|').expect("seq|idx");
    assert_eq!(
        seq, "0",
        "a report's refresh scanned rollout_targets: {scans}"
    );
    assert!(idx.parse::<u32>().unwrap() >= 12, "{scans}");

    // The refresh did its work: the twelve devices have nothing to install any more, the
    // others still do.
    assert_eq!(
        psql(
            &url,
            "SELECT count(*) FROM device_polls WHERE device_id <= 'dev000012'"
        ),
        "0"
    );
    assert_eq!(psql(&url, "SELECT count(*) FROM device_polls"), "9988");
    let differ = psql(
        &url,
        "SELECT (SELECT count(*) FROM (SELECT * FROM device_polls
                     EXCEPT SELECT * FROM device_assignments) a)
              + (SELECT count(*) FROM (SELECT * FROM device_assignments
                     EXCEPT SELECT * FROM device_polls) b)",
    );
    assert_eq!(
        differ, "0",
        "device_polls disagrees with device_assignments"
    );
}

/// The writers of devices' last contacts and agents never wait for a device row that a report
/// holds: a report batch locks device rows in its reports' order, and a writer that waited
/// closed a lock cycle with it (found at 1M: reports stalled for minutes, deadlocks answered
/// 500). The held device is skipped and returned, the others are written; once the report
/// commits, the skipped one is written by the next call.
#[tokio::test(flavor = "multi_thread")]
async fn contact_writers_skip_a_device_row_a_report_holds() {
    let url = shared().create_database();
    let store = PgStore::open(&url, PgOptions::default()).await.unwrap();
    psql(
        &url,
        "INSERT INTO tenants VALUES ('t1', 'acme', false, 'now');
         INSERT INTO profiles VALUES ('p1', 't1', 'fleet', 'sensor', 'now');
         INSERT INTO devices (id, tenant_id, profile_id, name, device_type, firmware_version,
             token_hash, created_at)
         VALUES ('held', 't1', 'p1', 'a', 'sensor', '1.0.0', 'h1', 'now'),
                ('free', 't1', 'p1', 'b', 'sensor', '1.0.0', 'h2', 'now');",
    );
    let (report, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    report
        .batch_execute("BEGIN; UPDATE devices SET firmware_version = '2.0.0' WHERE id = 'held'")
        .await
        .unwrap();

    let seen = |id: &str| DeviceSeen {
        tenant_id: "t1".into(),
        device_id: id.into(),
        at_unix: 1_800_000_000,
    };
    let agent = |id: &str| DeviceAgent {
        tenant_id: "t1".into(),
        device_id: id.into(),
        user_agent: "airlift-agent/1.0".into(),
    };
    let within = Duration::from_secs(10);
    let skipped = tokio::time::timeout(
        within,
        store.store_last_seen(vec![seen("held"), seen("free")]),
    )
    .await
    .expect("the last-seen writer waited for the report's row")
    .unwrap();
    assert_eq!(skipped, vec!["held".to_owned()]);
    let skipped = tokio::time::timeout(
        within,
        store.store_device_agents(vec![agent("held"), agent("free")]),
    )
    .await
    .expect("the agent writer waited for the report's row")
    .unwrap();
    assert_eq!(skipped, vec!["held".to_owned()]);
    let stored = "SELECT id || '=' || coalesce(last_seen_unix::text, '-') || ','
                      || coalesce(user_agent, '-') FROM devices ORDER BY id";
    assert_eq!(
        psql(&url, stored),
        "free=1800000000,airlift-agent/1.0\nheld=-,-"
    );

    report.batch_execute("COMMIT").await.unwrap();
    assert!(store
        .store_last_seen(vec![seen("held")])
        .await
        .unwrap()
        .is_empty());
    assert!(store
        .store_device_agents(vec![agent("held")])
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        psql(&url, stored),
        "free=1800000000,airlift-agent/1.0\nheld=1800000000,airlift-agent/1.0"
    );
}
