//! The rollout screens' copies: each rollout's summary as listed and its full record (with
//! transitions) as last opened, kept as the server's JSON beside the `rollouts` row.
//!
//! Saving a summary also upserts the row itself, so the list, the catalog's "rollouts of this
//! package" and these copies never disagree about which rollouts exist.

use airlift_core::wire::{Rollout, RolloutSummary};
use rusqlite::{params, OptionalExtension as _};

use super::rows::{RolloutRow, RolloutTransitionRow};
use super::Cache;
use crate::error::DeskError;

impl Cache {
    /// Saves rollouts as listed (their rows and summaries) in one transaction.
    pub fn save_rollout_summaries(
        &mut self,
        connection_id: &str,
        rollouts: &[RolloutSummary],
    ) -> Result<(), DeskError> {
        let rows: Vec<_> = rollouts.iter().map(rollout_row).collect();
        self.upsert_rollouts(connection_id, &rows)?;
        let fail = |err: rusqlite::Error| DeskError::cache("save rollout summaries", &err);
        let tx = self.conn.transaction().map_err(fail)?;
        {
            let mut stmt = tx
                .prepare_cached(
                    "UPDATE rollouts SET summary = ?3 WHERE connection_id = ?1 AND id = ?2
                       AND summary IS NOT ?3",
                )
                .map_err(fail)?;
            for r in rollouts {
                stmt.execute(params![connection_id, r.rollout_id, to_json(r)?])
                    .map_err(fail)?;
            }
        }
        tx.commit().map_err(fail)
    }

    /// Saves one rollout as fetched: its row, summary, full record and transition history.
    pub fn save_rollout_detail(
        &mut self,
        connection_id: &str,
        rollout: &Rollout,
    ) -> Result<(), DeskError> {
        self.save_rollout_summaries(connection_id, std::slice::from_ref(&rollout.summary))?;
        self.append_rollout_transitions(connection_id, &transition_rows(rollout))?;
        self.conn
            .execute(
                "UPDATE rollouts SET detail = ?3 WHERE connection_id = ?1 AND id = ?2",
                params![connection_id, rollout.summary.rollout_id, to_json(rollout)?],
            )
            .map_err(|err| DeskError::cache("save a rollout", &err))?;
        Ok(())
    }

    /// Every cached rollout summary, newest first (rows cached before summaries existed are
    /// left out until the next sync fills them in).
    pub fn rollout_summaries(&self, connection_id: &str) -> Result<Vec<RolloutSummary>, DeskError> {
        let texts: Vec<String> = self
            .conn
            .prepare_cached(
                "SELECT summary FROM rollouts WHERE connection_id = ?1 AND summary IS NOT NULL
                 ORDER BY created_at DESC, id",
            )
            .and_then(|mut stmt| stmt.query_map([connection_id], |row| row.get(0))?.collect())
            .map_err(|err| DeskError::cache("list rollouts", &err))?;
        texts.iter().map(|t| from_json(t)).collect()
    }

    /// The rollout as last opened, if it ever was.
    pub fn rollout_detail(
        &self,
        connection_id: &str,
        id: &str,
    ) -> Result<Option<Rollout>, DeskError> {
        let text: Option<String> = self
            .conn
            .query_row(
                "SELECT detail FROM rollouts WHERE connection_id = ?1 AND id = ?2",
                [connection_id, id],
                |row| row.get(0),
            )
            .optional()
            .map_err(|err| DeskError::cache("read a rollout", &err))?
            .flatten();
        text.as_deref().map(from_json).transpose()
    }
}

/// A rollout as listed → its row (the list's columns).
pub fn rollout_row(r: &RolloutSummary) -> RolloutRow {
    RolloutRow {
        id: r.rollout_id.clone(),
        package_id: r.package_id.clone(),
        status: r.status,
        counters: serde_json::to_value(r.counters).unwrap_or(serde_json::Value::Null),
        created_at: r.created_at.clone(),
        updated_at: r.updated_at.clone(),
    }
}

/// A rollout's transitions → their rows.
pub fn transition_rows(r: &Rollout) -> Vec<RolloutTransitionRow> {
    r.transitions
        .iter()
        .map(|t| RolloutTransitionRow {
            rollout_id: r.summary.rollout_id.clone(),
            at: t.at.clone(),
            from_status: t.from,
            to_status: t.to,
            reason: Some(format!("{} by {}", t.trigger, t.actor)),
        })
        .collect()
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String, DeskError> {
    serde_json::to_string(value)
        .map_err(|err| DeskError::internal(format!("cannot encode a rollout for the cache: {err}")))
}

/// A copy the desk wrote itself; unreadable means a damaged cache row.
fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, DeskError> {
    serde_json::from_str(text).map_err(|err| {
        DeskError::new(
            crate::DeskErrorCode::CacheCorrupt,
            format!("a cached rollout is unreadable ({err}); resync to replace it"),
        )
    })
}
