//! When each device last spoke to the server (its polls, command reads and reports) and with
//! which agent (its `User-Agent`), kept in memory so the poll stays free of writes (see
//! `ARCHITECTURE.md`, "The device poll never writes").
//!
//! The device API answers `last_seen_at` as the later of this server's memory and the
//! database's `devices.last_seen_unix`, which every server of a deployment writes: a contact
//! another server took shows here once that server flushed it. Writes are coalesced per device:
//! a contact is queued only when it is at least [`STORED_EVERY`] after the one this server last
//! queued for that device, and [`LastSeen::flush`] writes the queue in one statement every
//! [`FLUSH_EVERY`], with `GREATEST` (a server whose news is older never moves the time back).
//! So a device polling every few minutes costs one row update per poll, batched, whichever
//! server it polls; one polling every few seconds, one a minute. The database lags memory by
//! at most [`STORED_EVERY`] plus [`FLUSH_EVERY`]. One entry per device that made contact (a
//! device id, its tenant, two Unix seconds and its agent string, shared), so memory grows with
//! the fleet, about 150 bytes a device.
//!
//! The agent is also kept in the database (`devices.user_agent`), so a device page names it
//! after a restart too. A poll does not write it: an agent that differs from the one noted
//! here (a device's first contact since the start, or an upgraded agent) is queued, and
//! [`LastSeen::flush`] writes the queue in one transaction every [`FLUSH_EVERY`]. A fleet
//! whose agents do not change costs one write per device per server start, and nothing after.
//! A crash loses at most the last [`FLUSH_EVERY`] of changes; the device's next contact after
//! the restart queues its agent again.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use airlift_core::wire::kept_user_agent;
use time::OffsetDateTime;

use crate::store::{DeviceAgent, DeviceSeen, Store, StoreResult};

pub const FLUSH_EVERY: Duration = Duration::from_secs(1);
/// A device's contact is written again once it is this much newer than the last one written.
pub const STORED_EVERY: i64 = 60;

struct Contact {
    at: i64,
    agent: Option<Arc<str>>,
    /// The contact this server last queued for the database.
    queued_at: Option<i64>,
    tenant: Box<str>,
}

#[derive(Default)]
struct Contacts {
    seen: HashMap<String, Contact>,
    /// Agents not written to the database yet, by device id: (tenant id, agent).
    unstored: HashMap<String, (String, Arc<str>)>,
    /// Contacts not written to the database yet, by device id: (tenant id, Unix second).
    unstored_at: HashMap<String, (String, i64)>,
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
        let mut due = None;
        let changed = match contacts.seen.get_mut(device_id) {
            Some(c) => {
                c.at = c.at.max(secs);
                if c.queued_at
                    .is_none_or(|q| c.at >= q.saturating_add(STORED_EVERY))
                {
                    c.queued_at = Some(c.at);
                    due = Some(c.at);
                }
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
                    queued_at: Some(secs),
                    tenant: tenant_id.into(),
                };
                contacts.seen.insert(device_id.to_owned(), contact);
                due = Some(secs);
                a
            }
        };
        if let Some(a) = changed {
            contacts
                .unstored
                .insert(device_id.to_owned(), (tenant_id.to_owned(), a));
        }
        if let Some(at) = due {
            contacts
                .unstored_at
                .insert(device_id.to_owned(), (tenant_id.to_owned(), at));
        }
    }

    /// The device's last contact as RFC 3339 UTC: the later of this server's and `stored`
    /// (the database's, which every server writes); `None` when neither knows one.
    pub fn get(&self, device_id: &str, stored: Option<i64>) -> Option<String> {
        let here = self
            .contacts
            .lock()
            .ok()
            .and_then(|c| c.seen.get(device_id).map(|c| c.at));
        let secs = here.max(stored)?;
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

    /// Writes the queued contacts, then the queued agents, each in one transaction. On
    /// failure they are queued again (unless a newer one arrived meanwhile) for the next try;
    /// so are those the store skipped because a report held their rows.
    pub async fn flush(&self, store: &dyn Store) -> StoreResult<()> {
        let (queued_at, queued) = match self.contacts.lock() {
            Ok(mut c) => (
                std::mem::take(&mut c.unstored_at),
                std::mem::take(&mut c.unstored),
            ),
            Err(_) => return Ok(()),
        };
        let seen: Vec<DeviceSeen> = queued_at
            .iter()
            .map(|(device, (tenant, at))| DeviceSeen {
                tenant_id: tenant.clone(),
                device_id: device.clone(),
                at_unix: *at,
            })
            .collect();
        let contacts_written = store.store_last_seen(seen).await;
        if let Ok(mut c) = self.contacts.lock() {
            requeue(&mut c.unstored_at, queued_at, &contacts_written);
        }
        if queued.is_empty() {
            return contacts_written.map(drop);
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
        if let Ok(mut c) = self.contacts.lock() {
            requeue(&mut c.unstored, queued, &written);
        }
        contacts_written.and(written).map(drop)
    }

    /// [`LastSeen::flush`] with every contact newer than the one queued for its device (on the
    /// way out: a restarted server then answers the very last contact, not one up to
    /// [`STORED_EVERY`] older).
    pub async fn flush_all(&self, store: &dyn Store) -> StoreResult<()> {
        if let Ok(mut guard) = self.contacts.lock() {
            let contacts = &mut *guard;
            for (device, c) in contacts.seen.iter_mut() {
                if c.queued_at.is_some_and(|q| q < c.at) {
                    c.queued_at = Some(c.at);
                    contacts
                        .unstored_at
                        .insert(device.clone(), (c.tenant.to_string(), c.at));
                }
            }
        }
        self.flush(store).await
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
    fn queued_contacts(&self) -> Vec<(String, i64)> {
        let c = self.contacts.lock().unwrap();
        let mut q: Vec<_> = c
            .unstored_at
            .iter()
            .map(|(d, (_, at))| (d.clone(), *at))
            .collect();
        q.sort();
        q
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

/// Queues `entries` again into `pending` (unless a newer entry arrived meanwhile): all of them
/// when the write failed, those whose devices the store skipped when it succeeded.
fn requeue<V>(
    pending: &mut HashMap<String, V>,
    entries: HashMap<String, V>,
    written: &StoreResult<Vec<String>>,
) {
    let skipped: Option<HashSet<&str>> = match written {
        Ok(skipped) => Some(skipped.iter().map(String::as_str).collect()),
        Err(_) => None,
    };
    for (device, entry) in entries {
        if skipped.as_ref().is_none_or(|s| s.contains(device.as_str())) {
            pending.entry(device).or_insert(entry);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requeues_what_was_skipped_or_failed_but_never_over_a_newer_entry() {
        let entries = || HashMap::from([("a".to_owned(), 1), ("b".to_owned(), 1)]);
        let mut pending = HashMap::from([("b".to_owned(), 2)]);
        requeue(
            &mut pending,
            entries(),
            &Ok(vec!["a".to_owned(), "b".to_owned()]),
        );
        assert_eq!(
            pending,
            HashMap::from([("a".to_owned(), 1), ("b".to_owned(), 2)])
        );

        let mut pending = HashMap::new();
        requeue(&mut pending, entries(), &Ok(vec!["b".to_owned()]));
        assert_eq!(pending, HashMap::from([("b".to_owned(), 1)]));

        let mut pending = HashMap::new();
        requeue(&mut pending, entries(), &Ok(Vec::new()));
        assert!(pending.is_empty());

        let mut pending = HashMap::new();
        let failed = Err(crate::store::StoreError::Unavailable("gone".into()));
        requeue(&mut pending, entries(), &failed);
        assert_eq!(pending, entries());
    }

    #[test]
    fn keeps_the_latest_contact_per_device() {
        let seen = LastSeen::default();
        assert_eq!(seen.get("d1", None), None);
        seen.touch_at("t", "d1", None, 1_800_000_000);
        seen.touch_at("t", "d1", None, 1_700_000_000);
        seen.touch_at("t", "d2", None, 1_700_000_000);
        assert_eq!(
            seen.get("d1", None).as_deref(),
            Some("2027-01-15T08:00:00Z")
        );
        assert_eq!(
            seen.get("d2", None).as_deref(),
            Some("2023-11-14T22:13:20Z")
        );
        // The database's (another server's) contact counts when it is later, only then.
        assert_eq!(
            seen.get("d2", Some(1_800_000_000)).as_deref(),
            Some("2027-01-15T08:00:00Z")
        );
        assert_eq!(
            seen.get("d1", Some(1_700_000_000)).as_deref(),
            Some("2027-01-15T08:00:00Z")
        );
        assert_eq!(seen.get("d3", None), None);
        assert_eq!(
            seen.get("d3", Some(1_700_000_000)).as_deref(),
            Some("2023-11-14T22:13:20Z")
        );
    }

    #[test]
    fn queues_a_device_s_contact_at_most_once_a_minute() {
        let seen = LastSeen::default();
        seen.touch_at("t", "d1", None, 1_000);
        seen.touch_at("t", "d1", None, 1_030);
        seen.touch_at("t", "d2", None, 1_000);
        assert_eq!(
            seen.queued_contacts(),
            [("d1".to_owned(), 1_000), ("d2".to_owned(), 1_000)],
            "the first contact, not the one 30 s later"
        );
        seen.contacts.lock().unwrap().unstored_at.clear(); // as a flush does
        seen.touch_at("t", "d1", None, 1_059);
        assert!(seen.queued_contacts().is_empty());
        seen.touch_at("t", "d1", None, 1_060);
        // An older contact (a request that took long) never queues a time backwards.
        seen.touch_at("t", "d2", None, 900);
        assert_eq!(seen.queued_contacts(), [("d1".to_owned(), 1_060)]);
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
