//! [`EventStore`]'s contract: persisted events replay in id order, per tenant.

use super::*;

pub async fn contract<S: EventStore + ?Sized>(
    store: &S,
    a: &TenantRecord,
    b: &TenantRecord,
    rollout_id: &str,
) {
    let events = store.events_after(&a.id, 0, 100).await.unwrap();
    assert!(!events.is_empty(), "the start was stored");
    assert_eq!(events[0].kind, "started");
    assert_eq!(events[0].rollout_id, rollout_id);
    let ids: Vec<u64> = events
        .iter()
        .map(|e| e.id.expect("stored with an id"))
        .collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "ids increase: {ids:?}");
    // Replay from a position: only what follows, at most `limit`.
    let first = ids[0];
    assert_eq!(
        store.events_after(&a.id, first, 100).await.unwrap().len(),
        events.len() - 1
    );
    assert_eq!(store.events_after(&a.id, 0, 1).await.unwrap().len(), 1);
    let last = *ids.last().unwrap();
    assert!(store
        .events_after(&a.id, last, 100)
        .await
        .unwrap()
        .is_empty());
    assert!(
        store.events_after(&b.id, 0, 100).await.unwrap().is_empty(),
        "another tenant's events are not replayed"
    );
}
