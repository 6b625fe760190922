-- Where a package's bytes live on the server (its object key, e.g.
-- `firmware/{tenant}/{version}/{sha256}.bin`), for the catalog's Storage line. Packages never
-- change, so an incremental sync would not bring the key for those cached before: the
-- catalog's cursor goes, and the next sync lists every package again (rows stay meanwhile).
ALTER TABLE packages ADD COLUMN storage_key TEXT;
DELETE FROM sync_state WHERE collection = 'packages';
