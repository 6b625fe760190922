//! The event watcher: follows `GET /api/v1/events` (Server-Sent Events), keeps the cache's
//! rollouts current, and tells the person when a rollout paused itself.
//!
//! It reconnects after any failure with jittered backoff, sending `Last-Event-ID` so the server
//! replays what was missed, except one: a server that refuses the token (401, the token was
//! revoked or has expired) is not asked again. The watch ends with that `UNAUTHENTICATED`
//! error ([`Watcher::run`]); only a new token helps, and asking again with the old one every
//! half minute would only fill the server's log with refusals. Each rollout transition event re-reads that rollout (summary and
//! transitions) into the cache; `rollout.progress` events (no id) update counters the same way.
//! A `paused` event whose trigger is `auto_pause` calls the [`Notifier`] once: only while that
//! pause is the rollout's current state, and never again for a pause the cache records as
//! notified (the stream replays every event at a fresh start).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use airlift_core::rollout::RolloutStatus;
use airlift_core::wire::{Rollout, RolloutEventData};
use eventsource_stream::Eventsource as _;
use futures_util::StreamExt as _;

use crate::cache::lock;
use crate::cache::Cache;
use crate::cancel::CancelToken;
use crate::client::{Client, RetryPolicy};
use crate::error::{DeskError, DeskErrorCode};
use crate::notify::{Notifier, PausedRollout};
use crate::sync::store_rollout;

/// Follows one connection's events until cancelled.
pub struct Watcher {
    pub client: Client,
    pub cache: Arc<Mutex<Cache>>,
    pub connection_id: String,
    /// Shown in notifications ("Production").
    pub connection_name: String,
    pub notifier: Arc<dyn Notifier>,
    /// Backoff between reconnects.
    pub reconnect: RetryPolicy,
}

impl Watcher {
    /// Runs until `cancel` is set, and answers the last event id seen (to resume from later);
    /// or until the server refuses the token, and answers that `UNAUTHENTICATED` error without
    /// trying again. `on_event` sees every event after the cache has been updated.
    pub async fn run(
        &self,
        mut last_event_id: Option<u64>,
        cancel: CancelToken,
        on_event: &(dyn Fn(&RolloutEventData) + Send + Sync),
    ) -> Result<Option<u64>, DeskError> {
        let mut failures = 0u32;
        while !cancel.is_cancelled() {
            match self.follow(&mut last_event_id, &cancel, on_event).await {
                Ok(()) => failures = 0,
                Err(err) if err.code() == DeskErrorCode::Unauthenticated => {
                    tracing::warn!(error = %err, "the server refused the token; no longer watching its events");
                    return Err(err);
                }
                Err(err) => {
                    failures = failures.saturating_add(1);
                    tracing::info!(error = %err, "event stream interrupted; reconnecting");
                }
            }
            let delay = self.reconnect.delay(failures.max(1));
            let deadline = tokio::time::Instant::now() + delay;
            while !cancel.is_cancelled() && tokio::time::Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        Ok(last_event_id)
    }

    /// One connection: reads events until the stream ends, fails, or `cancel` is set.
    async fn follow(
        &self,
        last_event_id: &mut Option<u64>,
        cancel: &CancelToken,
        on_event: &(dyn Fn(&RolloutEventData) + Send + Sync),
    ) -> Result<(), DeskError> {
        let response = self.client.open_events(*last_event_id).await?;
        let mut events = response.bytes_stream().eventsource();
        loop {
            let next = tokio::select! {
                next = events.next() => next,
                _ = wait_cancelled(cancel) => return Ok(()),
            };
            let Some(event) = next else {
                return Err(DeskError::offline("the server closed the event stream"));
            };
            let event = event
                .map_err(|err| DeskError::offline(format!("the event stream broke: {err}")))?;
            let data: RolloutEventData = match serde_json::from_str(&event.data) {
                Ok(data) => data,
                Err(err) => {
                    tracing::warn!(error = %err, event = %event.event, "skipping an unreadable event");
                    continue;
                }
            };
            self.handle(&data).await?;
            if let Some(id) = data.id {
                *last_event_id = Some(id);
            }
            on_event(&data);
        }
    }

    async fn handle(&self, data: &RolloutEventData) -> Result<(), DeskError> {
        let rollout = self.client.rollout(&data.rollout_id).await?;
        store_rollout(&self.cache, &self.connection_id, &rollout)?;
        let Some(info) = self.pause_to_notify(data, &rollout).await? else {
            return Ok(());
        };
        let notifier = Arc::clone(&self.notifier);
        // Notifiers block (D-Bus round trip): keep them off the async workers.
        let sent = tokio::task::spawn_blocking(move || notifier.rollout_paused(&info)).await;
        match sent {
            Ok(Ok(())) => {}
            Ok(Err(err)) => {
                tracing::warn!(error = %err, "could not show the auto-pause notification")
            }
            Err(err) => tracing::warn!(error = %err, "the notifier panicked"),
        }
        Ok(())
    }

    /// The notification an event calls for, if any: an auto-pause that is still the rollout's
    /// current state (a replayed pause of a rollout resumed, rolled back or completed since is
    /// history) and that was not notified before (the claim is kept in the cache, so a
    /// relaunch, which replays the stream from the start, stays quiet).
    async fn pause_to_notify(
        &self,
        data: &RolloutEventData,
        rollout: &Rollout,
    ) -> Result<Option<PausedRollout>, DeskError> {
        let auto_paused = data.kind == "paused" && data.trigger.as_deref() == Some("auto_pause");
        let Some(event_id) = data.id.filter(|_| auto_paused) else {
            return Ok(None);
        };
        let summary = &rollout.summary;
        let still_paused = summary.status == RolloutStatus::Paused
            && rollout
                .transitions
                .last()
                .is_some_and(|t| t.trigger == "auto_pause" && t.at == data.at);
        if !still_paused {
            return Ok(None);
        }
        let claimed = lock(&self.cache)?.claim_pause_notification(
            &self.connection_id,
            &data.rollout_id,
            event_id,
        )?;
        if !claimed {
            return Ok(None);
        }
        // People call a build by its device type and version; the id is the fallback when the
        // package cannot be read.
        let device_type = match self.client.package(&summary.package_id).await {
            Ok(package) => package.compatibility.device_type,
            Err(err) => {
                tracing::info!(error = %err, "naming the paused rollout's package by its id");
                summary.package_id.clone()
            }
        };
        // The event's counters: the slice as it was when the server paused it.
        let at_pause = &data.counters;
        Ok(Some(PausedRollout {
            connection_name: self.connection_name.clone(),
            rollout_id: summary.rollout_id.clone(),
            device_type,
            package_version: summary.package_version.clone(),
            failed: at_pause.failed_total(),
            timed_out: at_pause.timed_out,
            decided: at_pause.successful + at_pause.failed_total(),
            in_slice: at_pause.total(),
            threshold_percent: summary.failure_threshold_percent,
        }))
    }
}

async fn wait_cancelled(cancel: &CancelToken) {
    while !cancel.is_cancelled() {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
