-- The agent a device last polled with (its `User-Agent`, e.g. `airlift-agent/0.1.0`), as the
-- server's `GET /devices/{id}` says, for the device page ("Agent airlift-agent 0.1.0"). Lists
-- do not carry it: a row keeps its cached agent until the device's page is fetched again.
ALTER TABLE devices ADD COLUMN user_agent TEXT;
