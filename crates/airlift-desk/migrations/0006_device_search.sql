-- The device list in natural order (demo-2 before demo-10), searched by any part of the id or
-- name ("119" finds demo-119 and xx-119-yy), and each device's last contact with the server.
--
-- `name_key` is the name as it sorts (`cache::devices::natural_key`: lower case, each run of
-- digits prefixed by its length), computed by the desk when it writes the row. The list
-- indexes order by it and carry `name` and `id`, so a substring search filters index entries
-- without reading table rows (a scan in list order that stops at one page; its cost is
-- measured in benches/device_page.rs). The id-prefix index served the old prefix search only.
ALTER TABLE devices ADD COLUMN name_key TEXT NOT NULL DEFAULT '';
ALTER TABLE devices ADD COLUMN last_seen_at TEXT;

DROP INDEX IF EXISTS devices_by_name;
DROP INDEX IF EXISTS devices_by_id_nocase;
DROP INDEX IF EXISTS devices_by_version;
DROP INDEX IF EXISTS devices_by_state;
CREATE INDEX devices_by_name ON devices (connection_id, name_key, id, name);
CREATE INDEX devices_by_version ON devices (connection_id, firmware_version, name_key, id, name);
CREATE INDEX devices_by_state ON devices (connection_id, ota_status, name_key, id, name);

-- Rows cached before have no key: they go, with their sync cursors, and the next sync fetches
-- the fleet again (histories, the catalog and rollouts stay).
DELETE FROM devices;
DELETE FROM sync_state WHERE collection IN ('devices', 'device_states');

-- Profiles by name, so a device page names its profile (offline too) instead of showing its id.
CREATE TABLE profiles (
    connection_id TEXT NOT NULL,
    id            TEXT NOT NULL,
    name          TEXT NOT NULL,
    device_type   TEXT NOT NULL,
    PRIMARY KEY (connection_id, id)
) WITHOUT ROWID;
