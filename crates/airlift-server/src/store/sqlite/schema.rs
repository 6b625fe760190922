//! Versioned, embedded schema migrations (tracked in SQLite's `user_version`).
//!
//! Append new migrations; never edit one that has shipped.

use rusqlite_migration::{Migrations, M};

pub fn migrations() -> Migrations<'static> {
    Migrations::new(vec![M::up(V1), M::up(V2)])
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
}
