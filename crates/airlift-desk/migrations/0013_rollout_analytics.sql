-- Offline cache, schema 13: a rollout's progress over time and its failure reasons, as the
-- rollout view last fetched them (`GET /rollouts/{id}/timeline` and `/failures`), so the chart
-- and the reasons panel still show offline.
--
-- The timeline is one row per minute, like the server's: points of past minutes never change,
-- so a refresh rewrites only the newest minutes. The failure reasons are replaced whole (a few
-- dozen rows at most); `samples` is the JSON list of up to five device ids, only shown.
-- `rollout_analytics` says when each was last fetched, so an empty list that was fetched reads
-- differently from one never fetched.
CREATE TABLE rollout_timeline (
    connection_id TEXT NOT NULL,
    rollout_id    TEXT NOT NULL,
    at            TEXT NOT NULL,
    succeeded     INTEGER NOT NULL CHECK (succeeded >= 0),
    failed        INTEGER NOT NULL CHECK (failed >= 0),
    in_progress   INTEGER NOT NULL CHECK (in_progress >= 0),
    pending       INTEGER NOT NULL CHECK (pending >= 0),
    PRIMARY KEY (connection_id, rollout_id, at)
) WITHOUT ROWID;

CREATE TABLE rollout_failure_reasons (
    connection_id TEXT NOT NULL,
    rollout_id    TEXT NOT NULL,
    -- The server's order (largest first), kept as it answered.
    rank          INTEGER NOT NULL CHECK (rank >= 0),
    reason        TEXT NOT NULL,
    status        TEXT NOT NULL,
    count         INTEGER NOT NULL CHECK (count >= 0),
    samples       TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(samples)),
    -- The group's first failure message as the device sent it (NULL: none, or a timeout).
    example       TEXT,
    PRIMARY KEY (connection_id, rollout_id, rank)
) WITHOUT ROWID;

CREATE TABLE rollout_analytics (
    connection_id        TEXT NOT NULL,
    rollout_id           TEXT NOT NULL,
    timeline_synced_ms   INTEGER,
    failures_synced_ms   INTEGER,
    PRIMARY KEY (connection_id, rollout_id)
) WITHOUT ROWID;
