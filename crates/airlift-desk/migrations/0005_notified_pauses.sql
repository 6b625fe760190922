-- Auto-pauses the person was already told about, so a pause is notified once: the event stream
-- replays history on every connect (a fresh start has no Last-Event-ID), and a replayed pause
-- must not pop up again. Keyed by the pause's event id, which is unique per tenant, and the
-- rollout (a server rebuilt from scratch restarts its ids, never its rollout ids).
CREATE TABLE notified_pauses (
    connection_id  TEXT NOT NULL,
    rollout_id     TEXT NOT NULL,
    event_id       INTEGER NOT NULL,
    notified_at_ms INTEGER NOT NULL,
    PRIMARY KEY (connection_id, rollout_id, event_id)
) WITHOUT ROWID;
