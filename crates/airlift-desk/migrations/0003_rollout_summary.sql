-- Offline cache, schema 3: what the rollout screens show, readable without a connection.
--
-- `summary` is the server's rollout summary as listed (package version, counts per device state,
-- threshold, allowed actions); `detail` the full rollout as last opened (transitions with actor
-- and time, skipped devices). Both are JSON copies that are only shown, never queried, like
-- `counters`; NULL until the desk first saw them.
ALTER TABLE rollouts ADD COLUMN summary TEXT CHECK (summary IS NULL OR json_valid(summary));
ALTER TABLE rollouts ADD COLUMN detail TEXT CHECK (detail IS NULL OR json_valid(detail));
