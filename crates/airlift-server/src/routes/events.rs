//! `GET /api/v1/events`: the caller's tenant's events as Server-Sent Events.
//!
//! Order of operations, so nothing is missed: subscribe to the live channel, replay the table
//! from `Last-Event-ID` (or `?last_event_id=`), then forward live events, skipping ids already
//! sent and re-reading the table whenever a live id jumps ahead (an event committed by a
//! concurrent transaction that is published a moment later), the channel lags, or the hub
//! says events may have been missed (another server's notices were interrupted).
//!
//! A stream lives no longer than its token: every [`LIVE_CHECK_INTERVAL`] it checks the token
//! as a new request would (expiry, tenant, the row's revocation, read from the database, so a
//! revocation made through any server or by `airliftd token-revoke` counts), and ends when the
//! token is no longer good; the client's reconnection then gets 401.

use std::convert::Infallible;
use std::sync::Arc;

use airlift_core::error::ErrorCode;
use airlift_core::wire::RolloutEventData;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use serde::Deserialize;
use tokio::sync::{broadcast, mpsc};

use crate::auth::{still_live, Caller, Permission, LIVE_CHECK_INTERVAL};
use crate::error::AppResult;
use crate::events::Live;
use crate::extract::Query;
use crate::state::AppState;
use crate::store::Store;

const REPLAY_BATCH: u32 = 500;

#[derive(Debug, Default, Deserialize)]
pub struct EventsQuery {
    /// For clients that cannot set headers; `Last-Event-ID` wins when both are sent.
    pub last_event_id: Option<u64>,
}

fn to_sse(data: &RolloutEventData) -> Event {
    let event = Event::default().event(&data.subject);
    let event = match data.id {
        Some(id) => event.id(id.to_string()),
        None => event,
    };
    event
        .json_data(data)
        .unwrap_or_else(|_| Event::default().comment("unencodable event"))
}

pub async fn stream(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Query(q): Query<EventsQuery>,
) -> AppResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    caller.require(Permission::Read)?;
    let last = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .or(q.last_event_id)
        .unwrap_or(0);
    let live = state.events.subscribe();
    let (tx, rx) = mpsc::channel::<Event>(256);
    tokio::spawn(forward(state.store.clone(), caller, last, live, tx));
    let stream =
        futures_util::stream::unfold(
            rx,
            |mut rx| async move { rx.recv().await.map(|e| (Ok(e), rx)) },
        );
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

/// Sends everything after `last` from the table; returns the new `last`, or `None` when the
/// client is gone or the database failed.
async fn replay(
    store: &Arc<dyn Store>,
    tenant: &str,
    mut last: u64,
    tx: &mpsc::Sender<Event>,
) -> Option<u64> {
    loop {
        let batch = match store.events_after(tenant, last, REPLAY_BATCH).await {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(error = %e, "replaying events");
                return None;
            }
        };
        if batch.is_empty() {
            return Some(last);
        }
        for data in batch {
            last = data.id.unwrap_or(last).max(last);
            tx.send(to_sse(&data)).await.ok()?;
        }
    }
}

/// Whether the stream's token is no longer good (and the stream must end). A failure to read
/// the database says nothing about the token: the stream goes on.
async fn token_refused(store: &Arc<dyn Store>, caller: &Caller) -> bool {
    match still_live(store.as_ref(), caller).await {
        Ok(()) => false,
        Err(e) if e.code() == ErrorCode::Unauthenticated => {
            tracing::info!(tenant = %caller.tenant.name, subject = %caller.subject, "event stream ended: its token is no longer accepted");
            true
        }
        Err(_) => false,
    }
}

async fn forward(
    store: Arc<dyn Store>,
    caller: Caller,
    last: u64,
    mut live: broadcast::Receiver<Arc<Live>>,
    tx: mpsc::Sender<Event>,
) {
    let tenant = caller.tenant_id().to_owned();
    let Some(mut last) = replay(&store, &tenant, last, &tx).await else {
        return;
    };
    let mut check = tokio::time::interval(LIVE_CHECK_INTERVAL);
    check.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let received = tokio::select! {
            () = tx.closed() => return,
            _ = check.tick() => {
                if token_refused(&store, &caller).await {
                    return;
                }
                continue;
            }
            r = live.recv() => r,
        };
        let reread = match received {
            Ok(item) => match &*item {
                Live::Event(p) if p.tenant_id == tenant => match p.data.id {
                    None => {
                        if tx.send(to_sse(&p.data)).await.is_err() {
                            return;
                        }
                        false
                    }
                    Some(id) if id <= last => false,
                    Some(id) if id == last + 1 => {
                        last = id;
                        if tx.send(to_sse(&p.data)).await.is_err() {
                            return;
                        }
                        false
                    }
                    Some(_) => true,
                },
                Live::Event(_) => false,
                Live::Resync => true,
            },
            Err(broadcast::error::RecvError::Lagged(_)) => true,
            Err(broadcast::error::RecvError::Closed) => return,
        };
        if reread {
            match replay(&store, &tenant, last, &tx).await {
                Some(l) => last = l,
                None => return,
            }
        }
    }
}
