//! When each device last spoke to the server (its polls, command reads and reports), kept in
//! memory so the poll stays free of writes (see `ARCHITECTURE.md`, "The device poll never
//! writes").
//!
//! The device API answers `last_seen_at` from here. It covers contacts since this server
//! process started: after a restart a device has no `last_seen_at` until it polls again (a
//! live device does within one poll interval), which reads as "not seen since the server
//! started", never as a wrong time. One entry per device that made contact (a device id and a
//! Unix second), so memory grows with the fleet, about 70 bytes a device.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use time::OffsetDateTime;

#[derive(Clone, Default)]
pub struct LastSeen {
    seen: Arc<Mutex<HashMap<String, i64>>>,
}

impl LastSeen {
    /// Notes a contact of `device_id` now.
    pub fn touch(&self, device_id: &str) {
        self.touch_at(device_id, OffsetDateTime::now_utc().unix_timestamp());
    }

    fn touch_at(&self, device_id: &str, unix_secs: i64) {
        let Ok(mut seen) = self.seen.lock() else {
            return;
        };
        // The id is copied only the first time: a poll costs one hash lookup.
        match seen.get_mut(device_id) {
            Some(at) => *at = (*at).max(unix_secs),
            None => {
                seen.insert(device_id.to_owned(), unix_secs);
            }
        }
    }

    /// The device's last contact as RFC 3339 UTC, or `None` when it made none since the start.
    pub fn get(&self, device_id: &str) -> Option<String> {
        let secs = *self.seen.lock().ok()?.get(device_id)?;
        OffsetDateTime::from_unix_timestamp(secs)
            .ok()?
            .format(&time::format_description::well_known::Rfc3339)
            .ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_latest_contact_per_device() {
        let seen = LastSeen::default();
        assert_eq!(seen.get("d1"), None);
        seen.touch_at("d1", 1_800_000_000);
        seen.touch_at("d1", 1_700_000_000);
        seen.touch_at("d2", 1_700_000_000);
        assert_eq!(seen.get("d1").as_deref(), Some("2027-01-15T08:00:00Z"));
        assert_eq!(seen.get("d2").as_deref(), Some("2023-11-14T22:13:20Z"));
    }
}
