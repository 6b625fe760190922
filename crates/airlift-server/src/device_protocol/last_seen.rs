//! When each device last spoke to the server (its polls, command reads and reports) and with
//! which agent (its `User-Agent`), kept in memory so the poll stays free of writes (see
//! `ARCHITECTURE.md`, "The device poll never writes").
//!
//! The device API answers `last_seen_at` from here. It covers contacts since this server
//! process started: after a restart a device has no `last_seen_at` until it polls again (a
//! live device does within one poll interval), which reads as "not seen since the server
//! started", never as a wrong time. One entry per device that made contact (a device id, a
//! Unix second and its agent string, shared), so memory grows with the fleet, about 100 bytes
//! a device.
//!
//! The agent is also kept in the database (`devices.user_agent`), so a device page names it
//! after a restart too. A poll does not write it: an agent that differs from the one noted
//! here (a device's first contact since the start, or an upgraded agent) is queued, and
//! [`LastSeen::flush`] writes the queue in one transaction every [`FLUSH_EVERY`]. A fleet
//! whose agents do not change costs one write per device per server start, and nothing after.
//! A crash loses at most the last [`FLUSH_EVERY`] of changes; the device's next contact after
//! the restart queues its agent again.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use airlift_core::wire::kept_user_agent;
use time::OffsetDateTime;

use crate::store::{DeviceAgent, Store, StoreResult};

pub const FLUSH_EVERY: Duration = Duration::from_secs(1);

struct Contact {
    at: i64,
    agent: Option<Arc<str>>,
}

#[derive(Default)]
struct Contacts {
    seen: HashMap<String, Contact>,
    /// Agents not written to the database yet, by device id: (tenant id, agent).
    unstored: HashMap<String, (String, Arc<str>)>,
}

#[derive(Clone, Default)]
pub struct LastSeen {
    contacts: Arc<Mutex<Contacts>>,
}

impl LastSeen {
    /// Notes a contact of the tenant's `device_id` now, with the `User-Agent` it sent (if any:
    /// a request without one keeps the agent noted before).
    pub fn touch(&self, tenant_id: &str, device_id: &str, user_agent: Option<&str>) {
        let now = OffsetDateTime::now_utc().unix_timestamp();
        self.touch_at(tenant_id, device_id, user_agent, now);
    }

    fn touch_at(&self, tenant_id: &str, device_id: &str, user_agent: Option<&str>, secs: i64) {
        let Ok(mut contacts) = self.contacts.lock() else {
            return;
        };
        let agent = user_agent.and_then(kept_user_agent);
        // The id is copied only the first time: a poll whose agent did not change costs one
        // hash lookup and one string comparison.
        let changed = match contacts.seen.get_mut(device_id) {
            Some(c) => {
                c.at = c.at.max(secs);
                match agent {
                    Some(a) if c.agent.as_deref() != Some(a) => {
                        let a: Arc<str> = Arc::from(a);
                        c.agent = Some(a.clone());
                        Some(a)
                    }
                    _ => None,
                }
            }
            None => {
                let a: Option<Arc<str>> = agent.map(Arc::from);
                let contact = Contact {
                    at: secs,
                    agent: a.clone(),
                };
                contacts.seen.insert(device_id.to_owned(), contact);
                a
            }
        };
        if let Some(a) = changed {
            contacts
                .unstored
                .insert(device_id.to_owned(), (tenant_id.to_owned(), a));
        }
    }

    /// The device's last contact as RFC 3339 UTC, or `None` when it made none since the start.
    pub fn get(&self, device_id: &str) -> Option<String> {
        let secs = self.contacts.lock().ok()?.seen.get(device_id)?.at;
        OffsetDateTime::from_unix_timestamp(secs)
            .ok()?
            .format(&time::format_description::well_known::Rfc3339)
            .ok()
    }

    /// The agent the device sent since the start, if it sent one (fresher than the database,
    /// which lags by up to [`FLUSH_EVERY`]).
    pub fn agent(&self, device_id: &str) -> Option<String> {
        let contacts = self.contacts.lock().ok()?;
        contacts
            .seen
            .get(device_id)?
            .agent
            .as_deref()
            .map(str::to_owned)
    }

    /// Writes the queued agents in one transaction. On failure they are queued again (unless
    /// a newer one arrived meanwhile) for the next try.
    pub async fn flush(&self, store: &dyn Store) -> StoreResult<()> {
        let queued = match self.contacts.lock() {
            Ok(mut c) => std::mem::take(&mut c.unstored),
            Err(_) => return Ok(()),
        };
        if queued.is_empty() {
            return Ok(());
        }
        let agents = queued
            .iter()
            .map(|(device, (tenant, agent))| DeviceAgent {
                tenant_id: tenant.clone(),
                device_id: device.clone(),
                user_agent: agent.to_string(),
            })
            .collect();
        let written = store.store_device_agents(agents).await;
        if written.is_err() {
            if let Ok(mut c) = self.contacts.lock() {
                for (device, entry) in queued {
                    c.unstored.entry(device).or_insert(entry);
                }
            }
        }
        written
    }

    /// Flushes every [`FLUSH_EVERY`], forever (spawned by `serve`).
    pub async fn flush_periodically(self, store: Arc<dyn Store>) {
        let mut tick = tokio::time::interval(FLUSH_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = self.flush(store.as_ref()).await {
                tracing::warn!(error = %e, "could not write devices' agents; will retry");
            }
        }
    }

    #[cfg(test)]
    fn queued(&self) -> Vec<(String, String)> {
        let c = self.contacts.lock().unwrap();
        let mut q: Vec<_> = c
            .unstored
            .iter()
            .map(|(d, (_, a))| (d.clone(), a.to_string()))
            .collect();
        q.sort();
        q
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_latest_contact_per_device() {
        let seen = LastSeen::default();
        assert_eq!(seen.get("d1"), None);
        seen.touch_at("t", "d1", None, 1_800_000_000);
        seen.touch_at("t", "d1", None, 1_700_000_000);
        seen.touch_at("t", "d2", None, 1_700_000_000);
        assert_eq!(seen.get("d1").as_deref(), Some("2027-01-15T08:00:00Z"));
        assert_eq!(seen.get("d2").as_deref(), Some("2023-11-14T22:13:20Z"));
    }

    #[test]
    fn queues_an_agent_only_when_it_changes() {
        let seen = LastSeen::default();
        seen.touch_at("t", "d1", Some("airlift-agent/0.1.0"), 1);
        seen.touch_at("t", "d2", None, 1);
        assert_eq!(
            seen.queued(),
            [("d1".to_owned(), "airlift-agent/0.1.0".to_owned())]
        );
        seen.contacts.lock().unwrap().unstored.clear(); // as a flush does

        // The same agent again, or none at all, queues nothing and keeps the agent noted.
        seen.touch_at("t", "d1", Some("airlift-agent/0.1.0"), 2);
        seen.touch_at("t", "d1", None, 3);
        seen.touch_at("t", "d1", Some("   "), 4);
        assert!(seen.queued().is_empty());
        assert_eq!(seen.agent("d1").as_deref(), Some("airlift-agent/0.1.0"));

        // An upgraded agent is queued and answered at once.
        seen.touch_at("t", "d1", Some("airlift-agent/0.2.0"), 5);
        assert_eq!(
            seen.queued(),
            [("d1".to_owned(), "airlift-agent/0.2.0".to_owned())]
        );
        assert_eq!(seen.agent("d1").as_deref(), Some("airlift-agent/0.2.0"));
        assert_eq!(seen.agent("d2"), None);
    }
}
