//! `device_polls` (schema V5) against the `device_assignments` view it materializes: every
//! kind of change to targets and rollout status keeps the two equal, and the poll's reads stay
//! point reads.

use rusqlite::OptionalExtension as _;

/// A tenant, two packages, a profile and devices `d1`..`dN`: the ground for the
/// `device_polls` tests.
fn fleet(devices: u32) -> rusqlite::Connection {
    let mut c = rusqlite::Connection::open_in_memory().unwrap();
    super::schema::migrations().to_latest(&mut c).unwrap();
    c.execute_batch(&format!(
        "INSERT INTO tenants VALUES ('t', 'acme', 1, 'now');
         INSERT INTO packages (id, tenant_id, type, version, device_type, min_version,
             artifact_uri, sha256, size_bytes, release_notes, storage_key, created_at)
         VALUES ('new', 't', 'fw', '2.0.0', 'x', '1.0.0', 'u', 's', 1, '', 'k', 'now'),
                ('old', 't', 'fw', '1.0.0', 'x', '1.0.0', 'u', 's', 1, '', 'k', 'now');
         INSERT INTO profiles VALUES ('pr', 't', 'n', 'x', 'now');
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {devices})
         INSERT INTO devices (id, tenant_id, profile_id, name, device_type, firmware_version,
             token_hash, created_at)
         SELECT 'd' || i, 't', 'pr', 'n', 'x', '1.0.0', 'h' || i, 'now' FROM n;"
    ))
    .unwrap();
    c
}

fn rollout(c: &rusqlite::Connection, id: &str, kind: &str) {
    c.execute(
        "INSERT INTO rollouts (id, tenant_id, package_id, rollback_package_id, target_kind,
             strategy, status, canary_percent, failure_threshold_percent, force,
             device_timeout_seconds, version, change_seq, created_by,
             created_at, updated_at)
         VALUES (?1, 't', 'new', 'old', ?2, 'canary', 'active', 10, 10, 0, 10, 1, 1,
             'x', 'now', 'now')",
        [id, kind],
    )
    .unwrap();
}

fn target(c: &rusqlite::Connection, rollout: &str, device: &str, state: Option<&str>) {
    c.execute(
        "INSERT INTO rollout_targets (rollout_id, position, device_id, state, updated_at)
         VALUES (?1, (SELECT count(*) FROM rollout_targets WHERE rollout_id = ?1), ?2, ?3, 'now')",
        rusqlite::params![rollout, device, state],
    )
    .unwrap();
}

/// `d`'s row of `device_polls` as (rollout, package, command), after checking that the
/// whole table equals the `device_assignments` view it materializes.
fn polled(c: &rusqlite::Connection, d: &str) -> Option<(String, String, String)> {
    let differ: i64 = c
        .query_row(
            "SELECT (SELECT count(*) FROM (SELECT * FROM device_polls EXCEPT SELECT * FROM device_assignments))
                  + (SELECT count(*) FROM (SELECT * FROM device_assignments EXCEPT SELECT * FROM device_polls))",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(differ, 0, "device_polls disagrees with device_assignments");
    c.query_row(
        "SELECT rollout_id, package_id, command FROM device_polls WHERE device_id = ?1",
        [d],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
    .optional()
    .unwrap()
}

fn is(r: &str, p: &str, cmd: &str) -> Option<(String, String, String)> {
    Some((r.into(), p.into(), cmd.into()))
}

#[test]
fn device_polls_follow_targets_and_rollout_status() {
    let c = fleet(3);
    rollout(&c, "r1", "profile");
    target(&c, "r1", "d1", None);
    target(&c, "r1", "d2", Some("command_sent"));
    assert_eq!(
        polled(&c, "d1"),
        None,
        "a target not yet in the slice is told nothing"
    );
    assert_eq!(polled(&c, "d2"), is("r1", "new", "ota_start"));

    let set = |state: &str, d: &str| {
        c.execute(
            "UPDATE rollout_targets SET state = ?1 WHERE rollout_id = 'r1' AND device_id = ?2",
            [state, d],
        )
        .unwrap();
    };
    set("command_sent", "d1");
    assert_eq!(
        polled(&c, "d1"),
        is("r1", "new", "ota_start"),
        "slice widened"
    );
    set("in_progress", "d1");
    assert_eq!(polled(&c, "d1"), is("r1", "new", "ota_start"));
    set("successful", "d1");
    assert_eq!(polled(&c, "d1"), None, "done: nothing more to install");

    let status = |s: &str| {
        c.execute("UPDATE rollouts SET status = ?1 WHERE id = 'r1'", [s])
            .unwrap();
    };
    status("paused");
    assert_eq!(
        polled(&c, "d2"),
        is("r1", "new", "ota_start"),
        "paused keeps the assignment"
    );
    status("rolling_back");
    c.execute(
        "UPDATE rollout_targets SET rollback_state = 'command_sent' WHERE rollout_id = 'r1' AND device_id = 'd1'",
        [],
    )
    .unwrap();
    assert_eq!(polled(&c, "d1"), is("r1", "old", "ota_rollback"));
    assert_eq!(polled(&c, "d2"), None, "not yet sent its rollback");
    status("completed");
    assert_eq!(polled(&c, "d1"), None);
    assert_eq!(polled(&c, "d2"), None);
}

#[test]
fn device_level_beats_profile_level_and_the_newest_wins() {
    let c = fleet(2);
    rollout(&c, "r1", "profile");
    rollout(&c, "r2", "devices");
    rollout(&c, "r3", "profile");
    target(&c, "r1", "d1", Some("command_sent"));
    assert_eq!(polled(&c, "d1"), is("r1", "new", "ota_start"));
    target(&c, "r2", "d1", Some("command_sent"));
    target(&c, "r3", "d1", Some("command_sent"));
    assert_eq!(
        polled(&c, "d1"),
        is("r2", "new", "ota_start"),
        "device-level first"
    );
    c.execute(
        "UPDATE rollouts SET status = 'completed' WHERE id = 'r2'",
        [],
    )
    .unwrap();
    assert_eq!(
        polled(&c, "d1"),
        is("r3", "new", "ota_start"),
        "then the newest"
    );
    c.execute(
        "UPDATE rollouts SET status = 'rolling_back' WHERE id = 'r1'",
        [],
    )
    .unwrap();
    c.execute(
        "UPDATE rollout_targets SET rollback_state = 'command_sent' WHERE rollout_id = 'r1'",
        [],
    )
    .unwrap();
    assert_eq!(
        polled(&c, "d1"),
        is("r3", "new", "ota_start"),
        "r3 is newer than r1"
    );
    c.execute(
        "UPDATE rollout_targets SET state = 'failed' WHERE rollout_id = 'r3'",
        [],
    )
    .unwrap();
    assert_eq!(
        polled(&c, "d1"),
        is("r1", "old", "ota_rollback"),
        "back to r1's rollback"
    );
}

/// A rollout's status change rewrites the rows of its own devices only, through indexes:
/// other devices' rows stay as they were.
#[test]
fn a_status_change_touches_only_its_rollouts_devices() {
    let c = fleet(2000);
    rollout(&c, "r1", "profile");
    rollout(&c, "r2", "profile");
    c.execute_batch(
        "INSERT INTO rollout_targets (rollout_id, position, device_id, state, updated_at)
         SELECT 'r1', rowid, id, 'command_sent', 'now' FROM devices;
         INSERT INTO rollout_targets (rollout_id, position, device_id, state, updated_at)
         SELECT 'r2', rowid, id, CASE WHEN rowid % 10 = 0 THEN 'command_sent' END, 'now' FROM devices;",
    )
    .unwrap();
    assert_eq!(polled(&c, "d10"), is("r2", "new", "ota_start"));
    assert_eq!(polled(&c, "d11"), is("r1", "new", "ota_start"));
    c.execute(
        "UPDATE rollouts SET status = 'completed' WHERE id = 'r2'",
        [],
    )
    .unwrap();
    assert_eq!(polled(&c, "d10"), is("r1", "new", "ota_start"));
    let rows: i64 = c
        .query_row(
            "SELECT count(*) FROM device_polls WHERE rollout_id = 'r1'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(rows, 2000);
}

/// The poll's reads stay point reads: one primary-key lookup for the assignment, one index
/// range for the open commands (a plan regression would show up as a scan). The commands
/// index does not cover `delivery_count` on purpose: the once-a-second flush of delivery
/// counts then updates table rows only, not index entries too (that cost 5× more).
#[test]
fn the_polls_reads_use_their_indexes() {
    let c = fleet(1);
    let plan = |q: &str| -> String {
        let mut s = c.prepare(&format!("EXPLAIN QUERY PLAN {q}")).unwrap();
        let rows = s.query_map([], |r| r.get::<_, String>(3)).unwrap();
        rows.map(Result::unwrap).collect::<Vec<_>>().join("; ")
    };
    assert_eq!(
        plan("SELECT rollout_id, package_id, command FROM device_polls WHERE device_id = 'd1' AND tenant_id = 't'"),
        "SEARCH device_polls USING PRIMARY KEY (device_id=?)"
    );
    assert_eq!(
        plan("SELECT id, kind, rollout_id, package_id, created_at, delivery_count FROM device_commands
              WHERE device_id = 'd1' AND tenant_id = 't' AND acked_at IS NULL AND cancelled_at IS NULL ORDER BY id"),
        "SEARCH device_commands USING INDEX device_commands_pending (device_id=?)"
    );
}
