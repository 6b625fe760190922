-- Seed 002's package types: a cached package says whether it is a FILE, JSON or URL_LIST package
-- (rows synced before this migration are FILE packages, the only kind there was).
ALTER TABLE packages ADD COLUMN payload_type TEXT NOT NULL DEFAULT 'FILE';
