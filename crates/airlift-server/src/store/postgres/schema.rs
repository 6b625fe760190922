//! Versioned, embedded schema migrations for PostgreSQL, tracked in `airlift_migrations`.
//!
//! [`migrate`] holds a session-level advisory lock while it looks and applies, so several
//! servers starting at once on one database queue instead of racing: the first applies what
//! is missing, the others find nothing left to do. Each migration runs in its own
//! transaction together with its bookkeeping row. Append new migrations; never edit one that
//! has shipped.

use tokio_postgres::Client;

/// The advisory lock key every airliftd takes while migrating ("airlift" in ASCII).
const MIGRATION_LOCK: i64 = 0x0061_6972_6c69_6674;

/// (version, SQL) in order.
const MIGRATIONS: &[(i64, &str)] = &[
    (1, V1),
    (2, V2_DATA_KEYS),
    (3, V3_CLUSTER),
    (4, V4_SCHEDULES_CANCEL_AUDIT),
    (5, V5_DEVICE_AGENTS),
    (6, V6_API_TOKENS),
    (7, V7_BOOTSTRAP_TOKENS),
    (8, V8_LAST_SEEN),
    (9, V9_FAILED_TARGETS_REASON),
    (10, V10_REFRESH_POLLS_BY_KEY),
    (11, V11_SKIPPED_BESIDE_THE_ROW),
];

/// The latest schema version this binary knows.
pub fn latest() -> i64 {
    MIGRATIONS.last().map_or(0, |(v, _)| *v)
}

/// Applies every migration the database lacks; returns how many were applied. A database
/// whose schema is newer than this binary is refused (an older server must not write to it).
pub async fn migrate(client: &mut Client) -> anyhow::Result<usize> {
    client
        .execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
        .await?;
    let result = apply_missing(client).await;
    // Unlock whatever happened (a failed migration rolled back its own transaction).
    let unlocked = client
        .execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK])
        .await;
    let applied = result?;
    unlocked?;
    Ok(applied)
}

async fn apply_missing(client: &mut Client) -> anyhow::Result<usize> {
    client
        .batch_execute(
            "CREATE TABLE IF NOT EXISTS airlift_migrations (
                 version    BIGINT PRIMARY KEY,
                 applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
             )",
        )
        .await?;
    let current: i64 = client
        .query_one(
            "SELECT COALESCE(MAX(version), 0) FROM airlift_migrations",
            &[],
        )
        .await?
        .get(0);
    if current > latest() {
        anyhow::bail!(
            "the database's schema is version {current}, newer than this airliftd knows \
             ({}); run the newer airliftd",
            latest()
        );
    }
    let mut applied = 0;
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
        let tx = client.transaction().await?;
        tx.batch_execute(sql)
            .await
            .map_err(|e| anyhow::anyhow!("applying schema migration {version}: {e:#}"))?;
        tx.execute(
            "INSERT INTO airlift_migrations (version) VALUES ($1)",
            &[version],
        )
        .await?;
        tx.commit().await?;
        tracing::info!(version, "applied schema migration");
        applied += 1;
    }
    Ok(applied)
}

/// The SQLite schema's final shape (its V1..V7) in PostgreSQL's terms: BIGINT and BOOLEAN
/// columns, sequences for change cursors (no single counter row that every write would
/// queue on), and `device_polls` kept by statement-level triggers over transition tables.
const V1: &str = r#"
-- Every `change_seq` of devices, packages and rollouts (incremental sync), from one sequence:
-- taking a number never waits for another transaction.
CREATE SEQUENCE airlift_change_seq;

-- Numbers are taken in one order and committed in another, so a reader must not pass over a
-- number a running transaction may still commit. A transaction's first change takes a shared
-- advisory lock on the sequence's last value (before its first number: every number it takes
-- is above the key) and holds it to its end; `airlift_change_horizon()` is the smallest such
-- key of a running transaction, or the last number taken. Rows at or below it are final; a
-- reader computes it in a statement of its own, before the one that reads (whose snapshot
-- then holds every transaction that had released its key).
CREATE FUNCTION airlift_next_change() RETURNS BIGINT LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    last BIGINT;
BEGIN
    IF COALESCE(current_setting('airlift.change_key', TRUE), '') = '' THEN
        SELECT last_value INTO last FROM airlift_change_seq;
        PERFORM pg_advisory_xact_lock_shared(last);
        PERFORM set_config('airlift.change_key', last::TEXT, TRUE);
    END IF;
    RETURN nextval('airlift_change_seq');
END $$;

CREATE FUNCTION airlift_change_horizon() RETURNS BIGINT LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    last BIGINT;
    held BIGINT;
BEGIN
    SELECT last_value INTO last FROM airlift_change_seq;
    SELECT MIN((l.classid::BIGINT << 32) | l.objid::BIGINT) INTO held
    FROM pg_locks l
    WHERE l.locktype = 'advisory' AND l.objsubid = 1 AND l.granted
      AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
      AND l.pid <> pg_backend_pid();
    RETURN LEAST(last, held);
END $$;

-- The deployment's secrets, shared by every server on this database: `jwt` signs user tokens
-- (and roots the keys derived from it), so a token minted for one server is valid on all.
CREATE TABLE airlift_secrets (
    name  TEXT PRIMARY KEY,
    value BYTEA NOT NULL
);

CREATE TABLE tenants (
    id                 TEXT PRIMARY KEY,
    name               TEXT NOT NULL UNIQUE,
    require_signatures BOOLEAN NOT NULL DEFAULT TRUE,
    created_at         TEXT NOT NULL
);

CREATE TABLE profiles (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    name        TEXT NOT NULL,
    device_type TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    UNIQUE (tenant_id, name)
);
CREATE INDEX profiles_by_tenant ON profiles (tenant_id, id);

CREATE TABLE devices (
    id               TEXT PRIMARY KEY,
    tenant_id        TEXT NOT NULL REFERENCES tenants(id),
    profile_id       TEXT NOT NULL REFERENCES profiles(id),
    name             TEXT NOT NULL,
    device_type      TEXT NOT NULL,
    firmware_version TEXT NOT NULL,
    token_hash       TEXT NOT NULL UNIQUE,
    created_at       TEXT NOT NULL,
    change_seq       BIGINT NOT NULL DEFAULT airlift_next_change()
);
CREATE INDEX devices_by_tenant ON devices (tenant_id, id);
CREATE INDEX devices_by_profile ON devices (profile_id);
CREATE INDEX devices_by_change ON devices (tenant_id, change_seq);

CREATE FUNCTION airlift_device_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.change_seq := airlift_next_change();
    RETURN NEW;
END $$;
CREATE TRIGGER devices_change_on_update
    BEFORE UPDATE OF name, profile_id, device_type, firmware_version ON devices
    FOR EACH ROW EXECUTE FUNCTION airlift_device_changed();

CREATE TABLE upload_jobs (
    id                TEXT PRIMARY KEY,
    tenant_id         TEXT NOT NULL REFERENCES tenants(id),
    name              TEXT NOT NULL,
    description       TEXT NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('not_started', 'in_progress', 'completing', 'completed')),
    firmware_image_id TEXT,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);
CREATE INDEX upload_jobs_by_tenant ON upload_jobs (tenant_id, id);
CREATE INDEX upload_jobs_by_name ON upload_jobs (tenant_id, name);

CREATE TABLE upload_chunks (
    job_id     TEXT NOT NULL REFERENCES upload_jobs(id) ON DELETE CASCADE,
    chunk_id   BIGINT NOT NULL CHECK (chunk_id >= 1),
    length     BIGINT NOT NULL CHECK (length >= 0),
    md5_hex    TEXT NOT NULL,
    object_key TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (job_id, chunk_id)
);

CREATE TABLE images (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL REFERENCES tenants(id),
    name          TEXT NOT NULL,
    description   TEXT NOT NULL,
    object_key    TEXT NOT NULL,
    sha256        TEXT NOT NULL,
    size          BIGINT NOT NULL,
    upload_job_id TEXT NOT NULL,
    created_at    TEXT NOT NULL
);
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
);
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
    size_bytes        BIGINT NOT NULL,
    release_notes     TEXT NOT NULL,
    storage_key       TEXT NOT NULL,
    status            TEXT NOT NULL DEFAULT 'available',
    checksum_verified BOOLEAN NOT NULL DEFAULT TRUE,
    created_at        TEXT NOT NULL,
    change_seq        BIGINT NOT NULL DEFAULT airlift_next_change(),
    -- Seed 002's payload types: a JSON or URL_LIST package's canonical JSON (what `sha256`
    -- covers), and a URL_LIST package's stored files as a JSON array of object keys.
    payload_type      TEXT NOT NULL DEFAULT 'FILE' CHECK (payload_type IN ('FILE', 'JSON', 'URL_LIST')),
    payload           TEXT CHECK ((payload_type = 'FILE') = (payload IS NULL)),
    file_keys         TEXT CHECK ((payload_type = 'URL_LIST') = (file_keys IS NOT NULL)),
    UNIQUE (tenant_id, type, version, device_type)
);
CREATE INDEX packages_by_tenant ON packages (tenant_id, id);
CREATE INDEX packages_by_storage_key ON packages (storage_key);
CREATE INDEX packages_by_change ON packages (tenant_id, change_seq);

-- Packages are immutable once created (seed 000).
CREATE FUNCTION airlift_packages_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'packages are immutable';
END $$;
CREATE TRIGGER packages_are_immutable BEFORE UPDATE ON packages
    FOR EACH ROW EXECUTE FUNCTION airlift_packages_immutable();

CREATE TABLE rollouts (
    id                        TEXT PRIMARY KEY,
    tenant_id                 TEXT NOT NULL REFERENCES tenants(id),
    package_id                TEXT NOT NULL REFERENCES packages(id),
    rollback_package_id       TEXT REFERENCES packages(id),
    target_profile_id         TEXT,
    target_kind               TEXT NOT NULL CHECK (target_kind IN ('profile', 'devices')),
    strategy                  TEXT NOT NULL CHECK (strategy IN ('canary', 'rolling', 'all_at_once')),
    status                    TEXT NOT NULL CHECK (status IN ('active', 'paused', 'rolling_back', 'completed')),
    canary_percent            BIGINT NOT NULL,
    failure_threshold_percent BIGINT NOT NULL,
    batch_percent             BIGINT,
    min_batch_success_percent BIGINT,
    force                     BOOLEAN NOT NULL,
    device_timeout_seconds    BIGINT NOT NULL,
    skipped_json              TEXT NOT NULL,
    version                   BIGINT NOT NULL,
    change_seq                BIGINT NOT NULL,
    created_by                TEXT NOT NULL,
    created_at                TEXT NOT NULL,
    updated_at                TEXT NOT NULL,
    -- Target count and per-state counters: a report reads and writes this row, never a count.
    target_count              BIGINT NOT NULL DEFAULT 0,
    n_scheduled               BIGINT NOT NULL DEFAULT 0,
    n_command_sent            BIGINT NOT NULL DEFAULT 0,
    n_in_progress             BIGINT NOT NULL DEFAULT 0,
    n_successful              BIGINT NOT NULL DEFAULT 0,
    n_failed                  BIGINT NOT NULL DEFAULT 0,
    n_timed_out               BIGINT NOT NULL DEFAULT 0,
    outcome                   TEXT CHECK (outcome IS NULL OR outcome IN ('succeeded', 'some_failed', 'rolled_back')),
    retry_of                  TEXT REFERENCES rollouts(id),
    allow_downgrade           BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX rollouts_by_tenant ON rollouts (tenant_id, id);
CREATE INDEX rollouts_by_change ON rollouts (tenant_id, change_seq);
CREATE INDEX rollouts_by_profile ON rollouts (target_profile_id, status);
CREATE INDEX rollouts_by_status ON rollouts (status, id);

CREATE TABLE rollout_targets (
    rollout_id       TEXT NOT NULL REFERENCES rollouts(id),
    position         BIGINT NOT NULL,
    device_id        TEXT NOT NULL REFERENCES devices(id),
    state            TEXT,
    rollback_state   TEXT,
    progress         BIGINT,
    last_status      TEXT,
    last_message     TEXT,
    reported_version TEXT,
    deadline_unix    BIGINT,
    updated_at       TEXT NOT NULL,
    PRIMARY KEY (rollout_id, device_id),
    UNIQUE (rollout_id, position)
);
CREATE INDEX rollout_targets_by_device ON rollout_targets (device_id);
CREATE INDEX rollout_targets_by_deadline ON rollout_targets (deadline_unix) WHERE deadline_unix IS NOT NULL;
CREATE INDEX rollout_targets_by_state ON rollout_targets (rollout_id, state);
CREATE INDEX rollout_targets_by_rollback_state ON rollout_targets (rollout_id, rollback_state)
    WHERE rollback_state IS NOT NULL;

CREATE TABLE rollout_transitions (
    rollout_id     TEXT NOT NULL REFERENCES rollouts(id),
    seq            BIGINT NOT NULL,
    from_status    TEXT,
    to_status      TEXT NOT NULL,
    trigger        TEXT NOT NULL,
    actor          TEXT NOT NULL,
    actor_role     TEXT NOT NULL,
    canary_percent BIGINT NOT NULL,
    at             TEXT NOT NULL,
    PRIMARY KEY (rollout_id, seq)
);

CREATE TABLE device_commands (
    id             TEXT PRIMARY KEY,
    tenant_id      TEXT NOT NULL,
    device_id      TEXT NOT NULL REFERENCES devices(id),
    rollout_id     TEXT NOT NULL REFERENCES rollouts(id),
    kind           TEXT NOT NULL CHECK (kind IN ('ota_start', 'ota_rollback')),
    package_id     TEXT NOT NULL REFERENCES packages(id),
    created_at     TEXT NOT NULL,
    delivery_count BIGINT NOT NULL DEFAULT 0,
    acked_at       TEXT,
    cancelled_at   TEXT
);
CREATE INDEX device_commands_pending ON device_commands (device_id, id)
    WHERE acked_at IS NULL AND cancelled_at IS NULL;
CREATE INDEX device_commands_open_by_rollout ON device_commands (rollout_id, kind)
    WHERE acked_at IS NULL AND cancelled_at IS NULL;

CREATE TABLE device_reports (
    device_id  TEXT NOT NULL,
    report_id  TEXT NOT NULL,
    rollout_id TEXT NOT NULL,
    status     TEXT NOT NULL,
    at         TEXT NOT NULL,
    PRIMARY KEY (device_id, report_id)
);

CREATE TABLE device_history (
    seq              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id        TEXT NOT NULL,
    device_id        TEXT NOT NULL,
    kind             TEXT NOT NULL,
    rollout_id       TEXT,
    package_id       TEXT,
    command_id       TEXT,
    status           TEXT,
    message          TEXT,
    progress         BIGINT,
    firmware_version TEXT,
    at               TEXT NOT NULL
);
CREATE INDEX device_history_by_device ON device_history (device_id, seq);

CREATE TABLE events (
    tenant_id  TEXT NOT NULL,
    id         BIGINT NOT NULL,
    subject    TEXT NOT NULL,
    rollout_id TEXT NOT NULL,
    payload    TEXT NOT NULL,
    at         TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE idempotency_keys (
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    key_hash     TEXT NOT NULL,
    fingerprint  TEXT NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('in_flight', 'answered')),
    status       BIGINT,
    content_type TEXT,
    location     TEXT,
    sealed_body  BYTEA,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, key_hash)
);
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);

-- What a device is told to install: the one definition (as SQLite's schema V5). Every
-- assignment a device has now...
CREATE VIEW assignment_candidates AS
SELECT t.device_id, r.tenant_id, r.id AS rollout_id,
       CASE WHEN r.status = 'rolling_back' THEN r.rollback_package_id ELSE r.package_id END AS package_id,
       CASE WHEN r.status = 'rolling_back' THEN 'ota_rollback' ELSE 'ota_start' END AS command,
       r.target_kind = 'devices' AS device_level
FROM rollout_targets t JOIN rollouts r ON r.id = t.rollout_id
WHERE (r.status IN ('active', 'paused') AND t.state IN ('command_sent', 'in_progress'))
   OR (r.status = 'rolling_back' AND t.rollback_state IN ('command_sent', 'in_progress'));

-- ...and the one it is told: device-level beats profile-level, then the newest rollout.
-- (A filter on device_id reaches rollout_targets_by_device through DISTINCT ON.)
CREATE VIEW device_assignments AS
SELECT DISTINCT ON (device_id) device_id, tenant_id, rollout_id, package_id, command
FROM assignment_candidates
ORDER BY device_id, device_level DESC, rollout_id DESC;

-- That view, materialized per device: the poll reads one row by primary key.
CREATE TABLE device_polls (
    device_id  TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL,
    rollout_id TEXT NOT NULL,
    package_id TEXT NOT NULL,
    command    TEXT NOT NULL CHECK (command IN ('ota_start', 'ota_rollback'))
);
CREATE INDEX device_polls_by_rollout ON device_polls (rollout_id);

-- Sets the `device_polls` rows of `devices` to what `device_assignments` says now.
CREATE FUNCTION airlift_refresh_polls(devices TEXT[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF devices IS NULL OR cardinality(devices) = 0 THEN
        RETURN;
    END IF;
    DELETE FROM device_polls p WHERE p.device_id = ANY (devices)
        AND NOT EXISTS (SELECT 1 FROM device_assignments a WHERE a.device_id = p.device_id);
    INSERT INTO device_polls (device_id, tenant_id, rollout_id, package_id, command)
        SELECT a.device_id, a.tenant_id, a.rollout_id, a.package_id, a.command
        FROM device_assignments a WHERE a.device_id = ANY (devices)
    ON CONFLICT (device_id) DO UPDATE SET
        tenant_id = EXCLUDED.tenant_id, rollout_id = EXCLUDED.rollout_id,
        package_id = EXCLUDED.package_id, command = EXCLUDED.command;
END $$;

-- Statement-level triggers over transition tables: one set-based refresh per statement,
-- whether it changed one target (a report) or a million (commands for a whole slice).
CREATE FUNCTION airlift_polls_on_target_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM airlift_refresh_polls(ARRAY(
        SELECT n.device_id FROM new_targets n
        WHERE n.state IN ('command_sent', 'in_progress')
           OR n.rollback_state IN ('command_sent', 'in_progress')));
    RETURN NULL;
END $$;
CREATE TRIGGER device_polls_on_target_insert AFTER INSERT ON rollout_targets
    REFERENCING NEW TABLE AS new_targets
    FOR EACH STATEMENT EXECUTE FUNCTION airlift_polls_on_target_insert();

CREATE FUNCTION airlift_polls_on_target_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM airlift_refresh_polls(ARRAY(
        SELECT n.device_id FROM new_targets n
        JOIN old_targets o ON o.rollout_id = n.rollout_id AND o.device_id = n.device_id
        WHERE COALESCE(o.state IN ('command_sent', 'in_progress'), FALSE)
                  IS DISTINCT FROM COALESCE(n.state IN ('command_sent', 'in_progress'), FALSE)
           OR COALESCE(o.rollback_state IN ('command_sent', 'in_progress'), FALSE)
                  IS DISTINCT FROM COALESCE(n.rollback_state IN ('command_sent', 'in_progress'), FALSE)));
    RETURN NULL;
END $$;
CREATE TRIGGER device_polls_on_target_update AFTER UPDATE ON rollout_targets
    REFERENCING OLD TABLE AS old_targets NEW TABLE AS new_targets
    FOR EACH STATEMENT EXECUTE FUNCTION airlift_polls_on_target_update();

-- A rollout's status change (other than active <-> paused, which assigns the same): the
-- devices it answers for now, and those it may answer for from now on.
CREATE FUNCTION airlift_polls_on_rollout_status() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM airlift_refresh_polls(ARRAY(
        SELECT p.device_id FROM device_polls p WHERE p.rollout_id = NEW.id
        UNION
        SELECT t.device_id FROM rollout_targets t WHERE t.rollout_id = NEW.id
            AND (t.state IN ('command_sent', 'in_progress')
                 OR t.rollback_state IN ('command_sent', 'in_progress'))));
    RETURN NULL;
END $$;
CREATE TRIGGER device_polls_on_rollout_status AFTER UPDATE OF status ON rollouts
    FOR EACH ROW
    WHEN (OLD.status <> NEW.status
          AND NOT (OLD.status IN ('active', 'paused') AND NEW.status IN ('active', 'paused')))
    EXECUTE FUNCTION airlift_polls_on_rollout_status();
"#;

/// Images stored encrypted (SQLite's V9): each encrypted image's data key, sealed by the server
/// key (JSON of `airlift_core::encryption::SealedDataKey`; never the key in plain), named by the
/// image, the packages made from it and the upload job that makes it. A rotation of the server
/// key rewrites `sealed` only, so packages stay immutable.
const V2_DATA_KEYS: &str = r#"
CREATE TABLE data_keys (
    id         TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL REFERENCES tenants(id),
    sealed     TEXT NOT NULL,
    created_at TEXT NOT NULL
);
ALTER TABLE images ADD COLUMN data_key_id TEXT REFERENCES data_keys(id);
ALTER TABLE packages ADD COLUMN data_key_id TEXT REFERENCES data_keys(id);
ALTER TABLE upload_jobs ADD COLUMN data_key_id TEXT REFERENCES data_keys(id);
"#;

/// Several servers on one database (`store::ports::ClusterStore`): leases with an expiry on
/// the database's clock (`timekeeper`: the server that runs the timed work; `node:<id>`: each
/// running server), and the notice a changed or deleted device row sends to every server's
/// `LISTEN airlift` (payload `d<TAB>device id`, as `postgres::notices` reads it), so a token
/// cached by any server stops working once its device changes or goes away.
const V3_CLUSTER: &str = r#"
CREATE TABLE cluster_leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);

CREATE FUNCTION airlift_notify_device() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('airlift', 'd' || chr(9) || OLD.id);
    RETURN NULL;
END $$;
CREATE TRIGGER devices_notify AFTER UPDATE OR DELETE ON devices
    FOR EACH ROW EXECUTE FUNCTION airlift_notify_device();
"#;

/// Rollouts for real fleets (SQLite's V10): `scheduled` and `cancelled` rollouts (with
/// `start_at`, and `start_at_unix` for the start sweep's index), `ota_cancel` commands, and the
/// audit log of every change a user or token made, kept with its tenant (ids sort by time;
/// `at_micros` serves `?since=`; the actor and action filters have their own indexes).
const V4_SCHEDULES_CANCEL_AUDIT: &str = r#"
ALTER TABLE rollouts DROP CONSTRAINT rollouts_status_check;
ALTER TABLE rollouts ADD CONSTRAINT rollouts_status_check
    CHECK (status IN ('scheduled', 'active', 'paused', 'rolling_back', 'completed', 'cancelled'));
ALTER TABLE device_commands DROP CONSTRAINT device_commands_kind_check;
ALTER TABLE device_commands ADD CONSTRAINT device_commands_kind_check
    CHECK (kind IN ('ota_start', 'ota_rollback', 'ota_cancel'));
ALTER TABLE rollouts ADD COLUMN start_at TEXT;
ALTER TABLE rollouts ADD COLUMN start_at_unix BIGINT;
CREATE INDEX rollouts_to_start ON rollouts (start_at_unix) WHERE status = 'scheduled';
ALTER TABLE rollouts ADD COLUMN phases_json TEXT;
ALTER TABLE rollouts ADD COLUMN last_verdict_unix BIGINT;
ALTER TABLE rollouts ADD COLUMN next_advance_unix BIGINT;
ALTER TABLE rollouts ADD COLUMN min_devices BIGINT NOT NULL DEFAULT 0;
ALTER TABLE rollouts ADD COLUMN retry_max_attempts BIGINT;
ALTER TABLE rollouts ADD COLUMN retry_backoff_seconds BIGINT;
ALTER TABLE rollout_targets ADD COLUMN attempts BIGINT NOT NULL DEFAULT 1;
ALTER TABLE rollout_targets ADD COLUMN retry_at_unix BIGINT;
ALTER TABLE rollouts ADD COLUMN window_json TEXT;
CREATE TABLE rollout_failure_reasons (
    rollout_id TEXT NOT NULL REFERENCES rollouts(id),
    reason     TEXT NOT NULL,
    status     TEXT NOT NULL,
    count      BIGINT NOT NULL,
    samples    TEXT NOT NULL,
    PRIMARY KEY (rollout_id, reason, status)
);
-- A rollout's device counts per minute, the last change of each minute (the timeline).
CREATE TABLE rollout_timeline (
    rollout_id  TEXT NOT NULL REFERENCES rollouts(id),
    minute_unix BIGINT NOT NULL,
    succeeded   BIGINT NOT NULL,
    failed      BIGINT NOT NULL,
    in_progress BIGINT NOT NULL,
    pending     BIGINT NOT NULL,
    PRIMARY KEY (rollout_id, minute_unix)
);
-- Devices per (type, firmware version), kept by a trigger as devices come and change.
CREATE TABLE fleet_versions (
    tenant_id        TEXT NOT NULL,
    device_type      TEXT NOT NULL,
    firmware_version TEXT NOT NULL,
    devices          BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, device_type, firmware_version)
);
INSERT INTO fleet_versions
    SELECT tenant_id, device_type, firmware_version, count(*) FROM devices GROUP BY 1, 2, 3;
CREATE FUNCTION airlift_fleet_versions() RETURNS trigger LANGUAGE plpgsql AS $f$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE fleet_versions SET devices = devices - 1
            WHERE tenant_id = OLD.tenant_id AND device_type = OLD.device_type
              AND firmware_version = OLD.firmware_version;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO fleet_versions AS v VALUES (NEW.tenant_id, NEW.device_type, NEW.firmware_version, 1)
        ON CONFLICT (tenant_id, device_type, firmware_version)
        DO UPDATE SET devices = v.devices + 1;
    END IF;
    RETURN NULL;
END $f$;
-- Deferred to commit: a transaction holds a count row's lock only while it commits, so a
-- long one (or many reports at once) does not queue every other device change behind it.
CREATE CONSTRAINT TRIGGER fleet_versions_on_change
    AFTER INSERT OR DELETE OR UPDATE OF device_type, firmware_version ON devices
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION airlift_fleet_versions();
CREATE INDEX rollouts_to_advance ON rollouts (next_advance_unix)
    WHERE status = 'active' AND next_advance_unix IS NOT NULL;

CREATE TABLE audit_log (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    at          TEXT NOT NULL,
    at_micros   BIGINT NOT NULL,
    actor       TEXT NOT NULL,
    role        TEXT NOT NULL,
    action      TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id   TEXT NOT NULL,
    summary     TEXT NOT NULL
);
CREATE INDEX audit_by_tenant ON audit_log (tenant_id, id);
CREATE INDEX audit_by_actor ON audit_log (tenant_id, actor, id);
CREATE INDEX audit_by_action ON audit_log (tenant_id, action, id);
"#;

/// Each device's `User-Agent` (SQLite's V11). Written only when it changes, never by the poll
/// itself; `devices_change_on_update` does not list the column, so it moves no `change_seq`.
const V5_DEVICE_AGENTS: &str = r#"
ALTER TABLE devices ADD COLUMN user_agent TEXT;
"#;

/// API tokens (SQLite's V12): made by an admin with a role and an expiry; only the token's
/// SHA-256 is kept. A revoked token keeps its row (`revoked_at`).
const V6_API_TOKENS: &str = r#"
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
);
CREATE INDEX api_tokens_by_tenant ON api_tokens (tenant_id, id);
"#;

/// The JWTs `airliftd token` prints (SQLite's V13): one row each, the JWT's `jti` its id; a
/// JWT without a live row is refused.
const V7_BOOTSTRAP_TOKENS: &str = r#"
CREATE TABLE bootstrap_tokens (
    id         TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL REFERENCES tenants(id),
    role       TEXT NOT NULL CHECK (role IN ('admin', 'release-manager', 'support')),
    label      TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE INDEX bootstrap_tokens_by_tenant ON bootstrap_tokens (tenant_id, id);
"#;

/// Each device's last contact (SQLite's V14), written by every server, coalesced (once a
/// minute per device at most) and never back in time. The device notice (V3) fired on every
/// update of a device row: it now names the columns the servers' caches read, so neither this
/// column nor `user_agent` wakes every server to drop a token it still holds.
const V8_LAST_SEEN: &str = r#"
ALTER TABLE devices ADD COLUMN last_seen_unix BIGINT;
DROP TRIGGER devices_notify ON devices;
CREATE TRIGGER devices_notify
    AFTER UPDATE OF id, tenant_id, profile_id, name, device_type, firmware_version, token_hash,
        created_at OR DELETE ON devices
    FOR EACH ROW EXECUTE FUNCTION airlift_notify_device();
"#;

/// Each failed target keeps the failure reason it was counted under (SQLite's V15), so a
/// failure group's devices are listed by an index over the failed devices only; each group
/// keeps its first failure's message as its example.
const V9_FAILED_TARGETS_REASON: &str = r#"
ALTER TABLE rollout_targets ADD COLUMN failure_reason TEXT;
ALTER TABLE rollout_targets ADD COLUMN failure_status TEXT;
ALTER TABLE rollout_failure_reasons ADD COLUMN example TEXT;
CREATE INDEX rollout_targets_by_failure
    ON rollout_targets (rollout_id, failure_reason, failure_status, position)
    WHERE failure_reason IS NOT NULL;
"#;

/// A report that ends a device's command refreshed its `device_polls` row in ~270 ms on a
/// rollout with 140k devices in flight (bench/RESULTS.md, "On PostgreSQL at 1M"), for two
/// reasons, both fixed here:
/// - the DELETE asked `device_assignments` (DISTINCT ON) per row through a correlated
///   subquery, which PostgreSQL cannot push into DISTINCT ON: it sorted every in-flight target
///   per call. Whether a device has an assignment is whether it has a candidate at all, which
///   an index probe answers;
/// - PL/pgSQL planned the statements anew on every call (its custom plans for a one-element
///   array looked cheaper than the generic plan, which assumes ten), ~3 ms of planning per
///   report. The generic plan is the index path for one device and stays within 10 % of the
///   custom plan for a slice of 100k (measured), so it is forced.
const V10_REFRESH_POLLS_BY_KEY: &str = r#"
CREATE OR REPLACE FUNCTION airlift_refresh_polls(devices TEXT[]) RETURNS void LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan AS $$
BEGIN
    IF devices IS NULL OR cardinality(devices) = 0 THEN
        RETURN;
    END IF;
    DELETE FROM device_polls p WHERE p.device_id = ANY (devices)
        AND NOT EXISTS (SELECT 1 FROM assignment_candidates c WHERE c.device_id = p.device_id);
    INSERT INTO device_polls (device_id, tenant_id, rollout_id, package_id, command)
        SELECT a.device_id, a.tenant_id, a.rollout_id, a.package_id, a.command
        FROM device_assignments a WHERE a.device_id = ANY (devices)
    ON CONFLICT (device_id) DO UPDATE SET
        tenant_id = EXCLUDED.tenant_id, rollout_id = EXCLUDED.rollout_id,
        package_id = EXCLUDED.package_id, command = EXCLUDED.command;
END $$;
"#;

/// A rollout's skipped-device list (1.9 MB of JSON, 130 kB compressed, for 30k skipped devices)
/// moves out of the rollout row, which every report reads under its row lock (detoasting it
/// took 10–20 ms a read), into a table of its own read by the rollout's view only; the row
/// keeps the count.
const V11_SKIPPED_BESIDE_THE_ROW: &str = r#"
CREATE TABLE rollout_skipped (
    rollout_id   TEXT PRIMARY KEY REFERENCES rollouts(id),
    devices_json TEXT NOT NULL
);
INSERT INTO rollout_skipped (rollout_id, devices_json) SELECT id, skipped_json FROM rollouts;
ALTER TABLE rollouts ADD COLUMN skipped_count BIGINT NOT NULL DEFAULT 0;
UPDATE rollouts SET skipped_count = json_array_length(skipped_json::json);
ALTER TABLE rollouts DROP COLUMN skipped_json;
"#;
