-- Device search by version and by OTA state over 100k+ devices, still keyset-paged by name:
-- each index puts the filter column before (name, id), so a filtered page is one range scan that
-- starts right after the cursor.
CREATE INDEX devices_by_version ON devices (connection_id, firmware_version, name, id);
CREATE INDEX devices_by_state ON devices (connection_id, ota_status, name, id);

-- Where a device's OTA state came from (the newest rollout that included it) and the last word
-- it reported, so support sees "why did it fail" without opening the history.
ALTER TABLE devices ADD COLUMN rollout_id TEXT;
ALTER TABLE devices ADD COLUMN rollout_state TEXT;
ALTER TABLE devices ADD COLUMN last_status TEXT;
ALTER TABLE devices ADD COLUMN last_message TEXT;

-- A device no rollout has touched is idle (seed 001), stored as such so the state index finds it.
UPDATE devices SET ota_status = 'idle' WHERE ota_status IS NULL;
