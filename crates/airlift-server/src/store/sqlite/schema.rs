//! Versioned, embedded schema migrations (tracked in SQLite's `user_version`).
//!
//! Append new migrations; never edit one that has shipped.

use rusqlite::Transaction;
use rusqlite_migration::{HookError, HookResult, Migrations, M};

pub fn migrations() -> Migrations<'static> {
    Migrations::new(vec![
        M::up(V1),
        M::up(V2),
        M::up(V3),
        M::up(V4),
        M::up(V5),
        M::up(V6_ROLLOUT_OUTCOME),
        M::up(V7_IDEMPOTENCY_KEYS),
        M::up(V8_PACKAGE_PAYLOADS),
        M::up(V9_DATA_KEYS),
        M::up_with_hook(V10_SCHEDULES_CANCEL_AUDIT, widen_status_and_command_checks),
        M::up(V11_DEVICE_AGENTS),
        M::up(V12_API_TOKENS),
        M::up(V13_BOOTSTRAP_TOKENS),
        M::up(V14_LAST_SEEN),
        M::up(V15_FAILED_TARGETS_REASON),
        M::up(V16_SKIPPED_BESIDE_THE_ROW),
    ])
}

const V1: &str = r#"
CREATE TABLE tenants (
    id                 TEXT PRIMARY KEY,
    name               TEXT NOT NULL UNIQUE,
    require_signatures INTEGER NOT NULL DEFAULT 1,
    created_at         TEXT NOT NULL
) STRICT;

CREATE TABLE profiles (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    name        TEXT NOT NULL,
    device_type TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    UNIQUE (tenant_id, name)
) STRICT;
CREATE INDEX profiles_by_tenant ON profiles (tenant_id, id);

CREATE TABLE devices (
    id               TEXT PRIMARY KEY,
    tenant_id        TEXT NOT NULL REFERENCES tenants(id),
    profile_id       TEXT NOT NULL REFERENCES profiles(id),
    name             TEXT NOT NULL,
    device_type      TEXT NOT NULL,
    firmware_version TEXT NOT NULL,
    token_hash       TEXT NOT NULL UNIQUE,
    created_at       TEXT NOT NULL
) STRICT;
CREATE INDEX devices_by_tenant ON devices (tenant_id, id);
CREATE INDEX devices_by_profile ON devices (profile_id);

CREATE TABLE upload_jobs (
    id                TEXT PRIMARY KEY,
    tenant_id         TEXT NOT NULL REFERENCES tenants(id),
    name              TEXT NOT NULL,
    description       TEXT NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('not_started', 'in_progress', 'completing', 'completed')),
    firmware_image_id TEXT,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
) STRICT;
CREATE INDEX upload_jobs_by_tenant ON upload_jobs (tenant_id, id);
CREATE INDEX upload_jobs_by_name ON upload_jobs (tenant_id, name);

-- One row per stored part. A part's bytes live in `object_key` (unique per upload attempt),
-- so replacing a part never overwrites bytes a row still points at.
CREATE TABLE upload_chunks (
    job_id     TEXT NOT NULL REFERENCES upload_jobs(id) ON DELETE CASCADE,
    chunk_id   INTEGER NOT NULL CHECK (chunk_id >= 1),
    length     INTEGER NOT NULL CHECK (length >= 0),
    md5_hex    TEXT NOT NULL,
    object_key TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (job_id, chunk_id)
) STRICT;

CREATE TABLE images (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL REFERENCES tenants(id),
    name          TEXT NOT NULL,
    description   TEXT NOT NULL,
    object_key    TEXT NOT NULL,
    sha256        TEXT NOT NULL,
    size          INTEGER NOT NULL,
    upload_job_id TEXT NOT NULL,
    created_at    TEXT NOT NULL
) STRICT;
CREATE INDEX images_by_tenant ON images (tenant_id, id);
CREATE INDEX images_by_name ON images (tenant_id, name);

CREATE TABLE signing_keys (
    id             TEXT PRIMARY KEY,
    tenant_id      TEXT NOT NULL REFERENCES tenants(id),
    name           TEXT NOT NULL,
    algorithm      TEXT NOT NULL,
    public_key_pem TEXT NOT NULL,
    fingerprint    TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    revoked_at     TEXT
) STRICT;
CREATE INDEX signing_keys_by_tenant ON signing_keys (tenant_id, id);

-- A row exists only for a verified package: verification happens before the insert.
CREATE TABLE packages (
    id                TEXT PRIMARY KEY,
    tenant_id         TEXT NOT NULL REFERENCES tenants(id),
    type              TEXT NOT NULL CHECK (type IN ('fw', 'sw')),
    version           TEXT NOT NULL,
    device_type       TEXT NOT NULL,
    min_version       TEXT NOT NULL,
    artifact_uri      TEXT NOT NULL,
    sha256            TEXT NOT NULL,
    signature         TEXT,
    signing_key_id    TEXT REFERENCES signing_keys(id),
    size_bytes        INTEGER NOT NULL,
    release_notes     TEXT NOT NULL,
    storage_key       TEXT NOT NULL,
    status            TEXT NOT NULL DEFAULT 'available',
    checksum_verified INTEGER NOT NULL DEFAULT 1,
    created_at        TEXT NOT NULL,
    UNIQUE (tenant_id, type, version, device_type)
) STRICT;
CREATE INDEX packages_by_tenant ON packages (tenant_id, id);
CREATE INDEX packages_by_storage_key ON packages (storage_key);
"#;

/// Packages are immutable once created (seed 000): the database refuses to change one, so no
/// future code path can alter a verified package's bytes or metadata by accident.
const V2: &str = r#"
CREATE TRIGGER packages_are_immutable BEFORE UPDATE ON packages
BEGIN
    SELECT RAISE(ABORT, 'packages are immutable');
END;
"#;

/// Part 2: rollouts, per-device rollout state, persistent commands, reports, device history,
/// persisted events, and incremental-sync cursors (`change_seq`).
const V3: &str = r#"
-- One global, monotonically increasing change counter feeds every `change_seq`.
CREATE TABLE change_counter (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    n  INTEGER NOT NULL
) STRICT;
INSERT INTO change_counter (id, n) VALUES (1, (SELECT COUNT(*) FROM devices));

ALTER TABLE devices ADD COLUMN change_seq INTEGER NOT NULL DEFAULT 0;
UPDATE devices SET change_seq = rowid;
UPDATE change_counter SET n = (SELECT COALESCE(MAX(change_seq), 0) FROM devices) WHERE id = 1;
CREATE INDEX devices_by_change ON devices (tenant_id, change_seq);
CREATE TRIGGER devices_change_on_insert AFTER INSERT ON devices
BEGIN
    UPDATE change_counter SET n = n + 1 WHERE id = 1;
    UPDATE devices SET change_seq = (SELECT n FROM change_counter WHERE id = 1) WHERE id = NEW.id;
END;
CREATE TRIGGER devices_change_on_update AFTER UPDATE OF name, profile_id, device_type, firmware_version ON devices
BEGIN
    UPDATE change_counter SET n = n + 1 WHERE id = 1;
    UPDATE devices SET change_seq = (SELECT n FROM change_counter WHERE id = 1) WHERE id = NEW.id;
END;

CREATE TABLE rollouts (
    id                        TEXT PRIMARY KEY,
    tenant_id                 TEXT NOT NULL REFERENCES tenants(id),
    package_id                TEXT NOT NULL REFERENCES packages(id),
    rollback_package_id       TEXT REFERENCES packages(id),
    target_profile_id         TEXT,
    target_kind               TEXT NOT NULL CHECK (target_kind IN ('profile', 'devices')),
    strategy                  TEXT NOT NULL CHECK (strategy IN ('canary', 'rolling', 'all_at_once')),
    status                    TEXT NOT NULL CHECK (status IN ('active', 'paused', 'rolling_back', 'completed')),
    canary_percent            INTEGER NOT NULL,
    failure_threshold_percent INTEGER NOT NULL,
    batch_percent             INTEGER,
    min_batch_success_percent INTEGER,
    force                     INTEGER NOT NULL,
    device_timeout_seconds    INTEGER NOT NULL,
    skipped_json              TEXT NOT NULL,
    version                   INTEGER NOT NULL,
    change_seq                INTEGER NOT NULL,
    created_by                TEXT NOT NULL,
    created_at                TEXT NOT NULL,
    updated_at                TEXT NOT NULL
) STRICT;
CREATE INDEX rollouts_by_tenant ON rollouts (tenant_id, id);
CREATE INDEX rollouts_by_change ON rollouts (tenant_id, change_seq);
CREATE INDEX rollouts_by_profile ON rollouts (target_profile_id, status);

-- Every eligible device, in scheduling order. `state` is NULL until the slice covers it.
CREATE TABLE rollout_targets (
    rollout_id       TEXT NOT NULL REFERENCES rollouts(id),
    position         INTEGER NOT NULL,
    device_id        TEXT NOT NULL REFERENCES devices(id),
    state            TEXT,
    rollback_state   TEXT,
    progress         INTEGER,
    last_status      TEXT,
    last_message     TEXT,
    reported_version TEXT,
    deadline_unix    INTEGER,
    updated_at       TEXT NOT NULL,
    PRIMARY KEY (rollout_id, device_id),
    UNIQUE (rollout_id, position)
) STRICT;
CREATE INDEX rollout_targets_by_device ON rollout_targets (device_id);
CREATE INDEX rollout_targets_by_deadline ON rollout_targets (deadline_unix) WHERE deadline_unix IS NOT NULL;

CREATE TABLE rollout_transitions (
    rollout_id     TEXT NOT NULL REFERENCES rollouts(id),
    seq            INTEGER NOT NULL,
    from_status    TEXT,
    to_status      TEXT NOT NULL,
    trigger        TEXT NOT NULL,
    actor          TEXT NOT NULL,
    actor_role     TEXT NOT NULL,
    canary_percent INTEGER NOT NULL,
    at             TEXT NOT NULL,
    PRIMARY KEY (rollout_id, seq)
) STRICT;

-- Persistent commands: kept until acknowledged.
CREATE TABLE device_commands (
    id             TEXT PRIMARY KEY,
    tenant_id      TEXT NOT NULL,
    device_id      TEXT NOT NULL REFERENCES devices(id),
    rollout_id     TEXT NOT NULL REFERENCES rollouts(id),
    kind           TEXT NOT NULL CHECK (kind IN ('ota_start', 'ota_rollback')),
    package_id     TEXT NOT NULL REFERENCES packages(id),
    created_at     TEXT NOT NULL,
    delivery_count INTEGER NOT NULL DEFAULT 0,
    acked_at       TEXT,
    cancelled_at   TEXT
) STRICT;
CREATE INDEX device_commands_pending ON device_commands (device_id, id) WHERE acked_at IS NULL AND cancelled_at IS NULL;

-- Accepted reports, for idempotency.
CREATE TABLE device_reports (
    device_id  TEXT NOT NULL,
    report_id  TEXT NOT NULL,
    rollout_id TEXT NOT NULL,
    status     TEXT NOT NULL,
    at         TEXT NOT NULL,
    PRIMARY KEY (device_id, report_id)
) STRICT;

CREATE TABLE device_history (
    seq              INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id        TEXT NOT NULL,
    device_id        TEXT NOT NULL,
    kind             TEXT NOT NULL,
    rollout_id       TEXT,
    package_id       TEXT,
    command_id       TEXT,
    status           TEXT,
    message          TEXT,
    progress         INTEGER,
    firmware_version TEXT,
    at               TEXT NOT NULL
) STRICT;
CREATE INDEX device_history_by_device ON device_history (device_id, seq);

-- Rollout events, replayable with Last-Event-ID: `id` increases per tenant.
CREATE TABLE events (
    tenant_id  TEXT NOT NULL,
    id         INTEGER NOT NULL,
    subject    TEXT NOT NULL,
    rollout_id TEXT NOT NULL,
    payload    TEXT NOT NULL,
    at         TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
) STRICT;
"#;

/// A rollout keeps its target count and per-state counters on its row, so a device report
/// reads and writes one rollout row and one target row instead of counting the whole rollout.
/// The indexes serve the set-based changes (send every `scheduled` device its command,
/// withdraw a rollout's open commands) and the rollback's open-command check.
const V4: &str = r#"
ALTER TABLE rollouts ADD COLUMN target_count   INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rollouts ADD COLUMN n_scheduled    INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rollouts ADD COLUMN n_command_sent INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rollouts ADD COLUMN n_in_progress  INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rollouts ADD COLUMN n_successful   INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rollouts ADD COLUMN n_failed       INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rollouts ADD COLUMN n_timed_out    INTEGER NOT NULL DEFAULT 0;
UPDATE rollouts SET
    target_count   = (SELECT COUNT(*) FROM rollout_targets t WHERE t.rollout_id = rollouts.id),
    n_scheduled    = (SELECT COUNT(*) FROM rollout_targets t WHERE t.rollout_id = rollouts.id AND t.state = 'scheduled'),
    n_command_sent = (SELECT COUNT(*) FROM rollout_targets t WHERE t.rollout_id = rollouts.id AND t.state = 'command_sent'),
    n_in_progress  = (SELECT COUNT(*) FROM rollout_targets t WHERE t.rollout_id = rollouts.id AND t.state = 'in_progress'),
    n_successful   = (SELECT COUNT(*) FROM rollout_targets t WHERE t.rollout_id = rollouts.id AND t.state = 'successful'),
    n_failed       = (SELECT COUNT(*) FROM rollout_targets t WHERE t.rollout_id = rollouts.id AND t.state = 'failed'),
    n_timed_out    = (SELECT COUNT(*) FROM rollout_targets t WHERE t.rollout_id = rollouts.id AND t.state = 'timed_out');
CREATE INDEX rollout_targets_by_state ON rollout_targets (rollout_id, state);
CREATE INDEX rollout_targets_by_rollback_state ON rollout_targets (rollout_id, rollback_state)
    WHERE rollback_state IS NOT NULL;
CREATE INDEX device_commands_open_by_rollout ON device_commands (rollout_id, kind)
    WHERE acked_at IS NULL AND cancelled_at IS NULL;
"#;

/// The device poll's answer, kept per device: a poll reads one row by primary key instead of
/// joining the device's rollout targets, their rollouts and packages (about nine b-tree
/// descents) on every request of every device. Triggers keep it, so no write path can forget
/// to: a target entering or leaving `command_sent`/`in_progress` (way up or rollback) changes
/// its device's row; a rollout's status change (other than active ↔ paused, which assigns the
/// same) changes the rows of the devices it touches. `device_assignments` is the one
/// definition of "what a device is told to install"; the table is that view, materialized
/// (the store's tests check they agree after every kind of change).
const V5: &str = r#"
-- Every assignment a device has now (one per rollout that has something to tell it)...
CREATE VIEW assignment_candidates AS
SELECT t.device_id, r.tenant_id, r.id AS rollout_id,
       CASE WHEN r.status = 'rolling_back' THEN r.rollback_package_id ELSE r.package_id END AS package_id,
       CASE WHEN r.status = 'rolling_back' THEN 'ota_rollback' ELSE 'ota_start' END AS command,
       r.target_kind = 'devices' AS device_level
FROM rollout_targets t JOIN rollouts r ON r.id = t.rollout_id
WHERE (r.status IN ('active', 'paused') AND t.state IN ('command_sent', 'in_progress'))
   OR (r.status = 'rolling_back' AND t.rollback_state IN ('command_sent', 'in_progress'));

-- ...and the one it is told: a device-level assignment beats a profile-level one, then the
-- newest rollout wins. (A correlated pick rather than a window function, so a filter on
-- device_id, or a join to a list of devices, reaches the rollout_targets_by_device index.)
CREATE VIEW device_assignments AS
SELECT c.device_id, c.tenant_id, c.rollout_id, c.package_id, c.command
FROM assignment_candidates c
WHERE c.rollout_id = (SELECT b.rollout_id FROM assignment_candidates b WHERE b.device_id = c.device_id
                      ORDER BY b.device_level DESC, b.rollout_id DESC LIMIT 1);

CREATE TABLE device_polls (
    device_id  TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL,
    rollout_id TEXT NOT NULL,
    package_id TEXT NOT NULL,
    command    TEXT NOT NULL CHECK (command IN ('ota_start', 'ota_rollback'))
) STRICT, WITHOUT ROWID;
CREATE INDEX device_polls_by_rollout ON device_polls (rollout_id);
INSERT INTO device_polls SELECT * FROM device_assignments;

CREATE TRIGGER device_polls_on_target_insert AFTER INSERT ON rollout_targets
WHEN NEW.state IN ('command_sent', 'in_progress') OR NEW.rollback_state IN ('command_sent', 'in_progress')
BEGIN
    DELETE FROM device_polls WHERE device_id = NEW.device_id;
    INSERT INTO device_polls SELECT * FROM device_assignments WHERE device_id = NEW.device_id;
END;

CREATE TRIGGER device_polls_on_target_update AFTER UPDATE OF state, rollback_state ON rollout_targets
WHEN coalesce(OLD.state IN ('command_sent', 'in_progress'), 0) != coalesce(NEW.state IN ('command_sent', 'in_progress'), 0)
  OR coalesce(OLD.rollback_state IN ('command_sent', 'in_progress'), 0) != coalesce(NEW.rollback_state IN ('command_sent', 'in_progress'), 0)
BEGIN
    DELETE FROM device_polls WHERE device_id = NEW.device_id;
    INSERT INTO device_polls SELECT * FROM device_assignments WHERE device_id = NEW.device_id;
END;

CREATE TRIGGER device_polls_on_rollout_status AFTER UPDATE OF status ON rollouts
WHEN OLD.status != NEW.status AND NOT (OLD.status IN ('active', 'paused') AND NEW.status IN ('active', 'paused'))
BEGIN
    -- The devices this rollout answers for now, and those it may answer for from now on.
    INSERT OR REPLACE INTO device_polls
    SELECT * FROM device_assignments WHERE device_id IN (
        SELECT device_id FROM device_polls WHERE rollout_id = NEW.id
        UNION
        SELECT device_id FROM rollout_targets WHERE rollout_id = NEW.id AND state IN ('command_sent', 'in_progress')
        UNION
        SELECT device_id FROM rollout_targets WHERE rollout_id = NEW.id AND rollback_state IN ('command_sent', 'in_progress'));
    -- Rows still naming this rollout for a device it no longer assigns anything to.
    DELETE FROM device_polls WHERE rollout_id = NEW.id AND NOT EXISTS (
        SELECT 1 FROM device_assignments a WHERE a.device_id = device_polls.device_id AND a.rollout_id = NEW.id);
END;

"#;

/// Rollouts that finish and say how (issue 24): how a completed rollout ended, which rollout
/// a retry of failed devices came from, and whether devices on a newer version were included.
/// Rollouts completed before this migration ended by all devices succeeding or by a finished
/// rollback; their transitions tell which. (The one-unfinished-rollout-per-device check at
/// creation reads V3's `rollout_targets_by_device`: a point read per target device.)
const V6_ROLLOUT_OUTCOME: &str = r#"
ALTER TABLE rollouts ADD COLUMN outcome TEXT
    CHECK (outcome IS NULL OR outcome IN ('succeeded', 'some_failed', 'rolled_back'));
ALTER TABLE rollouts ADD COLUMN retry_of TEXT REFERENCES rollouts(id);
ALTER TABLE rollouts ADD COLUMN allow_downgrade INTEGER NOT NULL DEFAULT 0;
UPDATE rollouts SET outcome = CASE
        WHEN EXISTS (SELECT 1 FROM rollout_transitions tr
                     WHERE tr.rollout_id = rollouts.id AND tr.trigger = 'rollback_finished')
        THEN 'rolled_back' ELSE 'succeeded' END
    WHERE status = 'completed';
"#;

/// Safe retries (spec): one row per tenant and `Idempotency-Key` (its SHA-256: the key itself
/// is not kept), held while the first request runs (`in_flight`) and then keeping its answer
/// (`answered`, the body sealed: see `crate::idempotency`) for 24 hours after `created_at`.
const V7_IDEMPOTENCY_KEYS: &str = r#"
CREATE TABLE idempotency_keys (
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    key_hash     TEXT NOT NULL,
    fingerprint  TEXT NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('in_flight', 'answered')),
    status       INTEGER,
    content_type TEXT,
    location     TEXT,
    sealed_body  BLOB,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, key_hash)
) STRICT;
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
"#;

/// Seed 002's payload types: `payload` holds a JSON or URL_LIST package's canonical JSON (what
/// its `sha256` covers), `file_keys` a URL_LIST package's stored files as a JSON array of
/// object keys (read by start-up recovery as references, like `storage_key`).
const V8_PACKAGE_PAYLOADS: &str = r#"
ALTER TABLE packages ADD COLUMN payload_type TEXT NOT NULL DEFAULT 'FILE'
    CHECK (payload_type IN ('FILE', 'JSON', 'URL_LIST'));
ALTER TABLE packages ADD COLUMN payload TEXT
    CHECK ((payload_type = 'FILE') = (payload IS NULL));
ALTER TABLE packages ADD COLUMN file_keys TEXT
    CHECK ((payload_type = 'URL_LIST') = (file_keys IS NOT NULL));
"#;

/// Images stored encrypted (seed 003's `datafile_encryption`): each encrypted image's data key,
/// sealed by the server key (JSON of `airlift_core::encryption::SealedDataKey`; never the key in
/// plain), named by the image, the packages made from it and the upload job that makes it. A
/// rotation of the server key rewrites `sealed` only, so packages stay immutable.
const V9_DATA_KEYS: &str = r#"
CREATE TABLE data_keys (
    id         TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL REFERENCES tenants(id),
    sealed     TEXT NOT NULL,
    created_at TEXT NOT NULL
) STRICT;
ALTER TABLE images ADD COLUMN data_key_id TEXT REFERENCES data_keys(id);
ALTER TABLE packages ADD COLUMN data_key_id TEXT REFERENCES data_keys(id);
ALTER TABLE upload_jobs ADD COLUMN data_key_id TEXT REFERENCES data_keys(id);
"#;

/// Rollouts for real fleets (issue 20): a rollout may be `scheduled` (with `start_at`, and
/// `start_at_unix` for the start sweep's index) or `cancelled`; a phased rollout keeps its plan
/// (`phases_json`), its slice's last verdict time and its next automatic advance (the advance
/// sweep's index), and a cancelled rollout's
/// devices get `ota_cancel` commands (both CHECKs are widened by
/// [`widen_status_and_command_checks`]). The audit log keeps every change a user or token made,
/// with its tenant: ids sort by time (newest-first pages walk `audit_by_tenant` backwards),
/// `at_micros` serves `?since=`, and the actor and action filters have their own indexes.
const V10_SCHEDULES_CANCEL_AUDIT: &str = r#"
ALTER TABLE rollouts ADD COLUMN start_at TEXT;
ALTER TABLE rollouts ADD COLUMN start_at_unix INTEGER;
CREATE INDEX rollouts_to_start ON rollouts (start_at_unix) WHERE status = 'scheduled';
ALTER TABLE rollouts ADD COLUMN phases_json TEXT;
ALTER TABLE rollouts ADD COLUMN last_verdict_unix INTEGER;
ALTER TABLE rollouts ADD COLUMN next_advance_unix INTEGER;
ALTER TABLE rollouts ADD COLUMN min_devices INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rollouts ADD COLUMN retry_max_attempts INTEGER;
ALTER TABLE rollouts ADD COLUMN retry_backoff_seconds INTEGER;
ALTER TABLE rollout_targets ADD COLUMN attempts INTEGER NOT NULL DEFAULT 1;
ALTER TABLE rollout_targets ADD COLUMN retry_at_unix INTEGER;
ALTER TABLE rollouts ADD COLUMN window_json TEXT;
-- Failure reasons, counted as devices fail (GET /rollouts/{id}/failures reads these rows).
CREATE TABLE rollout_failure_reasons (
    rollout_id TEXT NOT NULL REFERENCES rollouts(id),
    reason     TEXT NOT NULL,
    status     TEXT NOT NULL,
    count      INTEGER NOT NULL,
    samples    TEXT NOT NULL,
    PRIMARY KEY (rollout_id, reason, status)
) STRICT;
-- A rollout's device counts per minute, the last change of each minute (the timeline).
CREATE TABLE rollout_timeline (
    rollout_id  TEXT NOT NULL REFERENCES rollouts(id),
    minute_unix INTEGER NOT NULL,
    succeeded   INTEGER NOT NULL,
    failed      INTEGER NOT NULL,
    in_progress INTEGER NOT NULL,
    pending     INTEGER NOT NULL,
    PRIMARY KEY (rollout_id, minute_unix)
) STRICT;
-- Devices per (type, firmware version), kept by triggers as devices come and change.
CREATE TABLE fleet_versions (
    tenant_id        TEXT NOT NULL,
    device_type      TEXT NOT NULL,
    firmware_version TEXT NOT NULL,
    devices          INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, device_type, firmware_version)
) STRICT;
INSERT INTO fleet_versions
    SELECT tenant_id, device_type, firmware_version, count(*) FROM devices GROUP BY 1, 2, 3;
CREATE TRIGGER fleet_versions_on_insert AFTER INSERT ON devices
BEGIN
    INSERT OR IGNORE INTO fleet_versions VALUES (NEW.tenant_id, NEW.device_type, NEW.firmware_version, 0);
    UPDATE fleet_versions SET devices = devices + 1
        WHERE tenant_id = NEW.tenant_id AND device_type = NEW.device_type
          AND firmware_version = NEW.firmware_version;
END;
CREATE TRIGGER fleet_versions_on_update AFTER UPDATE OF device_type, firmware_version ON devices
WHEN OLD.device_type != NEW.device_type OR OLD.firmware_version != NEW.firmware_version
BEGIN
    UPDATE fleet_versions SET devices = devices - 1
        WHERE tenant_id = OLD.tenant_id AND device_type = OLD.device_type
          AND firmware_version = OLD.firmware_version;
    INSERT OR IGNORE INTO fleet_versions VALUES (NEW.tenant_id, NEW.device_type, NEW.firmware_version, 0);
    UPDATE fleet_versions SET devices = devices + 1
        WHERE tenant_id = NEW.tenant_id AND device_type = NEW.device_type
          AND firmware_version = NEW.firmware_version;
END;
CREATE TRIGGER fleet_versions_on_delete AFTER DELETE ON devices
BEGIN
    UPDATE fleet_versions SET devices = devices - 1
        WHERE tenant_id = OLD.tenant_id AND device_type = OLD.device_type
          AND firmware_version = OLD.firmware_version;
END;
CREATE INDEX rollouts_to_advance ON rollouts (next_advance_unix)
    WHERE status = 'active' AND next_advance_unix IS NOT NULL;

CREATE TABLE audit_log (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    at          TEXT NOT NULL,
    at_micros   INTEGER NOT NULL,
    actor       TEXT NOT NULL,
    role        TEXT NOT NULL,
    action      TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id   TEXT NOT NULL,
    summary     TEXT NOT NULL
) STRICT;
CREATE INDEX audit_by_tenant ON audit_log (tenant_id, id);
CREATE INDEX audit_by_actor ON audit_log (tenant_id, actor, id);
CREATE INDEX audit_by_action ON audit_log (tenant_id, action, id);
"#;

/// The CHECKs of V1 that name every rollout status and command kind, and what they become.
const WIDENED_CHECKS: [(&str, &str, &str); 2] = [
    (
        "rollouts",
        "CHECK (status IN ('active', 'paused', 'rolling_back', 'completed'))",
        "CHECK (status IN ('scheduled', 'active', 'paused', 'rolling_back', 'completed', 'cancelled'))",
    ),
    (
        "device_commands",
        "CHECK (kind IN ('ota_start', 'ota_rollback'))",
        "CHECK (kind IN ('ota_start', 'ota_rollback', 'ota_cancel'))",
    ),
];

/// Widens V1's CHECK constraints in place, by SQLite's documented procedure for schema changes
/// that do not touch the stored rows (lang_altertable.html, "making other kinds of table
/// schema changes"): rewrite the table's SQL under `writable_schema` and bump
/// `schema_version`. Every stored row satisfies the wider CHECK, so nothing is rebuilt (a
/// rebuild of `rollouts` would drop its triggers and fight the foreign keys that name it).
/// A table whose SQL does not hold the expected CHECK stops the migration.
fn widen_status_and_command_checks(tx: &Transaction) -> HookResult {
    let version: i64 = tx.query_row("PRAGMA schema_version", [], |r| r.get(0))?;
    tx.execute_batch("PRAGMA writable_schema = ON")?;
    for (table, old, new) in WIDENED_CHECKS {
        let changed = tx.execute(
            "UPDATE sqlite_master SET sql = replace(sql, ?2, ?3)
             WHERE type = 'table' AND name = ?1 AND instr(sql, ?2) > 0",
            [table, old, new],
        )?;
        if changed != 1 {
            tx.execute_batch("PRAGMA writable_schema = OFF")?;
            return Err(HookError::Hook(format!(
                "table {table} does not have the CHECK this migration widens ({old})"
            )));
        }
    }
    tx.execute_batch(&format!("PRAGMA schema_version = {}", version + 1))?;
    tx.execute_batch("PRAGMA writable_schema = OFF")?;
    let check: String = tx.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
    if check != "ok" {
        return Err(HookError::Hook(format!(
            "integrity check after widening the CHECKs: {check}"
        )));
    }
    Ok(())
}

/// Each device's `User-Agent` (issue 22: the app's device page names the agent and its
/// version). Written only when it changes (`device_protocol::last_seen`), never by the poll
/// itself; `devices_change_on_update` does not list the column, so it moves no `change_seq`.
const V11_DEVICE_AGENTS: &str = r#"
ALTER TABLE devices ADD COLUMN user_agent TEXT;
"#;

/// API tokens: made by an admin with a role and an expiry; only the token's SHA-256 is kept.
/// A revoked token keeps its row (`revoked_at`), so the list still says when it was last used.
const V12_API_TOKENS: &str = r#"
CREATE TABLE api_tokens (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    name         TEXT NOT NULL,
    role         TEXT NOT NULL CHECK (role IN ('admin', 'release-manager', 'support')),
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at   TEXT
) STRICT;
CREATE INDEX api_tokens_by_tenant ON api_tokens (tenant_id, id);
"#;

/// The JWTs `airliftd token` prints, one row each (the JWT's `jti` is the id; the JWT itself
/// is not kept): a JWT without a live row is refused, so each can be revoked
/// (`airliftd token-revoke`).
const V13_BOOTSTRAP_TOKENS: &str = r#"
CREATE TABLE bootstrap_tokens (
    id         TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL REFERENCES tenants(id),
    role       TEXT NOT NULL CHECK (role IN ('admin', 'release-manager', 'support')),
    label      TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    revoked_at TEXT
) STRICT;
CREATE INDEX bootstrap_tokens_by_tenant ON bootstrap_tokens (tenant_id, id);
"#;

/// Each device's last contact (Unix seconds), kept so that every server of a deployment, and a
/// server after its restart, answers it: written by `device_protocol::last_seen` once a
/// minute per device at most, never by the poll itself, never back in time. Not in
/// `devices_change_on_update`'s list, so it moves no `change_seq`.
const V14_LAST_SEEN: &str = r#"
ALTER TABLE devices ADD COLUMN last_seen_unix INTEGER;
"#;

/// Each failed target keeps the failure reason it was counted under (`count_failure`), so the
/// devices of one group of `GET /rollouts/{id}/failures` are listed by an index over the failed
/// devices only. Targets that failed before this migration have none (their groups list no
/// devices; the counts stay). Each group keeps its first failure's message as its example.
const V15_FAILED_TARGETS_REASON: &str = r#"
ALTER TABLE rollout_targets ADD COLUMN failure_reason TEXT;
ALTER TABLE rollout_targets ADD COLUMN failure_status TEXT;
ALTER TABLE rollout_failure_reasons ADD COLUMN example TEXT;
CREATE INDEX rollout_targets_by_failure
    ON rollout_targets (rollout_id, failure_reason, failure_status, position)
    WHERE failure_reason IS NOT NULL;
"#;

/// A rollout's skipped-device list (2.3 MB of JSON for 30k skipped devices) moves out of the
/// rollout row, which every report reads and rewrites (SQLite rewrites a row's overflow pages
/// whole), into a table of its own read by the rollout's view only; the row keeps the count.
const V16_SKIPPED_BESIDE_THE_ROW: &str = r#"
CREATE TABLE rollout_skipped (
    rollout_id   TEXT PRIMARY KEY REFERENCES rollouts(id),
    devices_json TEXT NOT NULL
);
INSERT INTO rollout_skipped (rollout_id, devices_json) SELECT id, skipped_json FROM rollouts;
ALTER TABLE rollouts ADD COLUMN skipped_count INTEGER NOT NULL DEFAULT 0;
UPDATE rollouts SET skipped_count = json_array_length(skipped_json);
ALTER TABLE rollouts DROP COLUMN skipped_json;
"#;

#[cfg(test)]
mod tests {
    #[test]
    fn migrations_are_valid() {
        super::migrations().validate().unwrap();
    }

    #[test]
    fn packages_cannot_be_updated() {
        let mut c = rusqlite::Connection::open_in_memory().unwrap();
        super::migrations().to_latest(&mut c).unwrap();
        c.execute_batch(
            "INSERT INTO tenants VALUES ('t', 'acme', 1, 'now');
             INSERT INTO packages (id, tenant_id, type, version, device_type, min_version,
                 artifact_uri, sha256, size_bytes, release_notes, storage_key, created_at)
             VALUES ('p', 't', 'fw', '1.0.0', 'x', '1.0.0', 'u', 's', 1, '', 'k', 'now');",
        )
        .unwrap();
        let err = c
            .execute("UPDATE packages SET sha256 = 'evil' WHERE id = 'p'", [])
            .unwrap_err();
        assert!(err.to_string().contains("immutable"), "{err}");
    }

    /// V10 widened the status and command-kind CHECKs: the new values are stored, anything
    /// else is still refused.
    /// A rollout stored before V16 keeps its skipped devices: moved beside the row, counted.
    #[test]
    fn skipped_devices_move_beside_the_rollout_row() {
        let mut c = rusqlite::Connection::open_in_memory().unwrap();
        super::migrations().to_version(&mut c, 15).unwrap();
        c.execute_batch(
            r#"INSERT INTO tenants VALUES ('t', 'acme', 1, 'now');
             INSERT INTO packages (id, tenant_id, type, version, device_type, min_version,
                 artifact_uri, sha256, size_bytes, release_notes, storage_key, created_at)
             VALUES ('p', 't', 'fw', '1.0.0', 'x', '1.0.0', 'u', 's', 1, '', 'k', 'now');
             INSERT INTO rollouts (id, tenant_id, package_id, target_kind, strategy, status,
                 canary_percent, failure_threshold_percent, force, device_timeout_seconds,
                 skipped_json, version, change_seq, created_by, created_at, updated_at)
             VALUES ('r', 't', 'p', 'devices', 'canary', 'active', 10, 10, 0, 60,
                 '[{"device_id":"d1","reason":"already_on_version"},{"device_id":"d2","reason":"wrong_device_type"}]',
                 1, 1, 'me', 'now', 'now');"#,
        )
        .unwrap();
        super::migrations().to_latest(&mut c).unwrap();
        let (count, json): (i64, String) = c
            .query_row(
                "SELECT r.skipped_count, s.devices_json FROM rollouts r
                 JOIN rollout_skipped s ON s.rollout_id = r.id WHERE r.id = 'r'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!(count, 2);
        let skipped: Vec<airlift_core::wire::SkippedDevice> = serde_json::from_str(&json).unwrap();
        assert_eq!(skipped[1].device_id, "d2");
        let gone = c.prepare("SELECT skipped_json FROM rollouts").unwrap_err();
        assert!(gone.to_string().contains("no such column"), "{gone}");
    }

    #[test]
    fn scheduled_and_cancelled_rollouts_and_cancel_commands_are_stored() {
        let mut c = rusqlite::Connection::open_in_memory().unwrap();
        super::migrations().to_latest(&mut c).unwrap();
        c.execute_batch(
            "INSERT INTO tenants VALUES ('t', 'acme', 1, 'now');
             INSERT INTO packages (id, tenant_id, type, version, device_type, min_version,
                 artifact_uri, sha256, size_bytes, release_notes, storage_key, created_at)
             VALUES ('p', 't', 'fw', '1.0.0', 'x', '1.0.0', 'u', 's', 1, '', 'k', 'now');",
        )
        .unwrap();
        let insert = |id: &str, status: &str| {
            c.execute(
                "INSERT INTO rollouts (id, tenant_id, package_id, target_kind, strategy, status,
                     canary_percent, failure_threshold_percent, force, device_timeout_seconds,
                     version, change_seq, created_by, created_at, updated_at)
                 VALUES (?1, 't', 'p', 'devices', 'canary', ?2, 10, 10, 0, 60, 1, 1, 'me',
                     'now', 'now')",
                [id, status],
            )
        };
        insert("r1", "scheduled").unwrap();
        insert("r2", "cancelled").unwrap();
        let err = insert("r3", "exploded").unwrap_err();
        assert!(err.to_string().contains("CHECK"), "{err}");
        c.execute_batch(
            "INSERT INTO profiles VALUES ('pr', 't', 'p', 'x', 'now');
             INSERT INTO devices (id, tenant_id, profile_id, name, device_type, firmware_version,
                 token_hash, created_at) VALUES ('d', 't', 'pr', 'd', 'x', '1.0.0', 'h', 'now');
             INSERT INTO device_commands (id, tenant_id, device_id, rollout_id, kind, package_id,
                 created_at) VALUES ('c', 't', 'd', 'r2', 'ota_cancel', 'p', 'now');",
        )
        .unwrap();
        let err = c
            .execute_batch(
                "INSERT INTO device_commands (id, tenant_id, device_id, rollout_id, kind,
                     package_id, created_at) VALUES ('c2', 't', 'd', 'r2', 'ota_nope', 'p', 'now');",
            )
            .unwrap_err();
        assert!(err.to_string().contains("CHECK"), "{err}");
    }
}
