//! [`IdempotencyStore`]'s contract: a key is held once, answers are kept 24 hours, released
//! keys are free at once, purges drop what is due, and keys are per tenant.

use airlift_server::store::idempotency::{
    IdempotencyStore, Reservation, StoredAnswer, IDEMPOTENCY_TTL_SECS,
};

use super::*;

fn answer() -> StoredAnswer {
    StoredAnswer {
        status: 201,
        content_type: Some("application/json".into()),
        location: Some("/api/v1/profiles/prof_1".into()),
        sealed_body: vec![1, 2, 3],
    }
}

pub async fn contract<S: IdempotencyStore + ?Sized>(store: &S, a: &TenantRecord, b: &TenantRecord) {
    let t = a.id.as_str();
    let t0 = 1_000_000;
    let reserve = |tenant: &'static str, key: &'static str, print: &'static str, at: i64| {
        let tenant = if tenant == "a" { t } else { b.id.as_str() };
        async move {
            store
                .reserve_idempotency_key(tenant, key, print, at)
                .await
                .unwrap()
        }
    };

    assert_eq!(reserve("a", "k1", "f1", t0).await, Reservation::Reserved);
    assert_eq!(
        reserve("a", "k1", "f1", t0 + 1).await,
        Reservation::InFlight {
            fingerprint: "f1".into()
        }
    );
    assert_eq!(
        reserve("b", "k1", "f1", t0 + 1).await,
        Reservation::Reserved,
        "keys are per tenant"
    );
    store
        .answer_idempotency_key(t, "k1", "f1", answer())
        .await
        .unwrap();
    assert_eq!(
        reserve("a", "k1", "f2", t0 + IDEMPOTENCY_TTL_SECS - 1).await,
        Reservation::Answered {
            fingerprint: "f1".into(),
            answer: answer()
        }
    );
    // 24 hours on, the key is free again.
    assert_eq!(
        reserve("a", "k1", "f2", t0 + IDEMPOTENCY_TTL_SECS).await,
        Reservation::Reserved
    );

    // A released key (the request failed) is free at once.
    assert_eq!(reserve("a", "k2", "f1", t0).await, Reservation::Reserved);
    store.release_idempotency_key(t, "k2").await.unwrap();
    assert_eq!(reserve("a", "k2", "f1", t0).await, Reservation::Reserved);
    store
        .answer_idempotency_key(t, "k2", "f1", answer())
        .await
        .unwrap();
    // Releasing never drops a kept answer.
    store.release_idempotency_key(t, "k2").await.unwrap();
    assert!(matches!(
        reserve("a", "k2", "f1", t0).await,
        Reservation::Answered { .. }
    ));

    // A streamed body is fingerprinted once it has been read: the answer's fingerprint
    // replaces the reservation's.
    assert_eq!(
        reserve("a", "k4", "still-reading", t0 + 100).await,
        Reservation::Reserved
    );
    store
        .answer_idempotency_key(t, "k4", "f4", answer())
        .await
        .unwrap();
    assert_eq!(
        reserve("a", "k4", "f5", t0 + 101).await,
        Reservation::Answered {
            fingerprint: "f4".into(),
            answer: answer()
        }
    );

    // The hourly purge drops what is past 24 hours and reservations older than it names (a
    // killed server's); the start-up one every reservation.
    assert_eq!(
        reserve("a", "k3", "f1", t0 + 100).await,
        Reservation::Reserved
    );
    let later = t0 + IDEMPOTENCY_TTL_SECS + 50;
    assert_eq!(store.purge_idempotency_keys(later, None).await.unwrap(), 2);
    assert_eq!(
        store
            .purge_idempotency_keys(later, Some(t0 + 99))
            .await
            .unwrap(),
        0,
        "a younger reservation stays"
    );
    assert_eq!(
        store
            .purge_idempotency_keys(later, Some(later))
            .await
            .unwrap(),
        2
    );
    assert_eq!(reserve("a", "k3", "f1", later).await, Reservation::Reserved);
}
