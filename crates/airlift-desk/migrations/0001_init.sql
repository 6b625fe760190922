-- Offline cache, schema 1.
--
-- Every table is keyed by connection_id first: one cache file serves every server connection the
-- person has configured, and forgetting a connection is one DELETE per table. Timestamps that come
-- from the server are kept as the server's RFC 3339 UTC strings (they sort correctly as text);
-- times the desk itself records are integer Unix milliseconds.
--
-- No table has a column for credentials: tokens live in memory or the OS keyring, never here.

CREATE TABLE devices (
    connection_id    TEXT NOT NULL,
    id               TEXT NOT NULL,
    -- NOCASE on the column (not just the index) so that row-value comparisons on (name, id)
    -- use it too; only then can SQLite seek the index straight to a keyset cursor.
    name             TEXT NOT NULL COLLATE NOCASE,
    profile_id       TEXT,
    device_type      TEXT NOT NULL,
    firmware_version TEXT,
    target_version   TEXT,
    ota_status       TEXT,
    progress         INTEGER CHECK (progress BETWEEN 0 AND 100),
    last_update_at   TEXT,
    updated_at       TEXT NOT NULL,
    PRIMARY KEY (connection_id, id)
) WITHOUT ROWID;

-- Keyset paging by name, and case-insensitive prefix search on name and on id (LIKE 'x%' uses
-- these because their collation matches LIKE's default case-insensitivity).
CREATE INDEX devices_by_name ON devices (connection_id, name, id);
CREATE INDEX devices_by_id_nocase ON devices (connection_id, id COLLATE NOCASE);

CREATE TABLE device_history (
    connection_id TEXT NOT NULL,
    device_id     TEXT NOT NULL,
    at            TEXT NOT NULL,
    kind          TEXT NOT NULL,
    detail        TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(detail)),
    -- Re-syncing an overlapping window must not duplicate entries.
    PRIMARY KEY (connection_id, device_id, at, kind)
) WITHOUT ROWID;

CREATE TABLE packages (
    connection_id    TEXT NOT NULL,
    id               TEXT NOT NULL,
    type             TEXT NOT NULL CHECK (type IN ('fw', 'sw')),
    version          TEXT NOT NULL,
    device_type      TEXT NOT NULL,
    min_version      TEXT,
    size_bytes       INTEGER NOT NULL CHECK (size_bytes >= 0),
    sha256           TEXT NOT NULL,
    signature_status TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    release_notes    TEXT,
    PRIMARY KEY (connection_id, id)
) WITHOUT ROWID;

CREATE INDEX packages_by_created ON packages (connection_id, created_at DESC, id);

CREATE TABLE rollouts (
    connection_id TEXT NOT NULL,
    id            TEXT NOT NULL,
    package_id    TEXT NOT NULL,
    status        TEXT NOT NULL,
    -- The server's per-state device counts; only ever shown, never queried, so JSON is simplest.
    counters      TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(counters)),
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    PRIMARY KEY (connection_id, id)
) WITHOUT ROWID;

CREATE INDEX rollouts_by_created ON rollouts (connection_id, created_at DESC, id);
CREATE INDEX rollouts_by_package ON rollouts (connection_id, package_id);

CREATE TABLE rollout_transitions (
    connection_id TEXT NOT NULL,
    rollout_id    TEXT NOT NULL,
    at            TEXT NOT NULL,
    from_status   TEXT,
    to_status     TEXT NOT NULL,
    reason        TEXT,
    PRIMARY KEY (connection_id, rollout_id, at, to_status)
) WITHOUT ROWID;

CREATE TABLE pending_uploads (
    connection_id TEXT NOT NULL,
    job_id        TEXT NOT NULL,
    file_path     TEXT NOT NULL,
    size_bytes    INTEGER NOT NULL CHECK (size_bytes >= 0),
    part_size     INTEGER NOT NULL CHECK (part_size > 0),
    sha256        TEXT,
    created_at_ms INTEGER NOT NULL,
    PRIMARY KEY (connection_id, job_id)
) WITHOUT ROWID;

-- One row per part the server acknowledged: parts finish out of order, and recording one is an
-- insert rather than a read-modify-write of a list.
CREATE TABLE pending_upload_parts (
    connection_id TEXT NOT NULL,
    job_id        TEXT NOT NULL,
    part_number   INTEGER NOT NULL CHECK (part_number >= 1),
    PRIMARY KEY (connection_id, job_id, part_number),
    FOREIGN KEY (connection_id, job_id)
        REFERENCES pending_uploads (connection_id, job_id) ON DELETE CASCADE
) WITHOUT ROWID;

CREATE TABLE sync_state (
    connection_id TEXT NOT NULL,
    collection    TEXT NOT NULL,
    cursor        TEXT,
    synced_at_ms  INTEGER,
    PRIMARY KEY (connection_id, collection)
) WITHOUT ROWID;
