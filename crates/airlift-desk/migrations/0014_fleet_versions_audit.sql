-- The dashboard's fleet versions and the audit pages the person has seen, readable offline.
--
-- `fleet_versions` is the server's last count of devices per device type and firmware version
-- (`GET /api/v1/fleet/versions`), replaced whole at each sync. `audit_entries` keeps every audit
-- log entry a page showed (never a secret: the server's summaries hold none); entries never
-- change, so a page seen again only adds what is new. `at_ms` is `at` as Unix milliseconds, so
-- the offline screen filters by time as the server does; ids (`aud_` + a ULID) sort by time.
CREATE TABLE fleet_versions (
    connection_id    TEXT NOT NULL,
    device_type      TEXT NOT NULL,
    firmware_version TEXT NOT NULL,
    devices          INTEGER NOT NULL CHECK (devices >= 0),
    PRIMARY KEY (connection_id, device_type, firmware_version)
) WITHOUT ROWID;

CREATE TABLE audit_entries (
    connection_id TEXT NOT NULL,
    id            TEXT NOT NULL,
    at            TEXT NOT NULL,
    at_ms         INTEGER NOT NULL,
    actor         TEXT NOT NULL,
    role          TEXT NOT NULL,
    action        TEXT NOT NULL,
    object_type   TEXT NOT NULL,
    object_id     TEXT NOT NULL,
    summary       TEXT NOT NULL,
    PRIMARY KEY (connection_id, id)
) WITHOUT ROWID;
