//! Which auto-pauses the person was already told about (see `migrations/0005_notified_pauses.sql`).

use rusqlite::params;

use super::{to_sql_u64, Cache};
use crate::clock::now_ms;
use crate::error::DeskError;

impl Cache {
    /// Records that the pause of `rollout_id` announced by event `event_id` is being notified;
    /// `false` if it already was (by this run or an earlier one), so the caller stays quiet.
    ///
    /// Claiming before showing makes a notification at most once: a crash between the two loses
    /// one notification rather than repeating it at every launch.
    pub fn claim_pause_notification(
        &mut self,
        connection_id: &str,
        rollout_id: &str,
        event_id: u64,
    ) -> Result<bool, DeskError> {
        let inserted = self
            .conn
            .execute(
                "INSERT INTO notified_pauses (connection_id, rollout_id, event_id, notified_at_ms)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT DO NOTHING",
                params![
                    connection_id,
                    rollout_id,
                    to_sql_u64("event id", event_id)?,
                    now_ms()
                ],
            )
            .map_err(|err| DeskError::cache("record a notified pause", &err))?;
        Ok(inserted == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pause_is_claimed_once_per_connection() {
        let dir = tempfile::tempdir().unwrap();
        let mut cache = Cache::open(&dir.path().join("c.sqlite3")).unwrap().cache;
        assert!(cache.claim_pause_notification("lab", "rol_1", 7).unwrap());
        assert!(!cache.claim_pause_notification("lab", "rol_1", 7).unwrap());
        // Another pause of the same rollout, or the same event id on another connection, is new.
        assert!(cache.claim_pause_notification("lab", "rol_1", 9).unwrap());
        assert!(cache.claim_pause_notification("prod", "rol_1", 7).unwrap());
        cache.forget_connection("lab").unwrap();
        assert!(cache.claim_pause_notification("lab", "rol_1", 7).unwrap());
    }
}
