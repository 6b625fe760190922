//! [`ClusterStore`]'s contract. A store that hears notices (PostgreSQL: several servers on one
//! database) grants a lease to one holder at a time until it expires or is given up, lists the
//! holders of live leases, and hands an announced notice to every listener. A store that hears
//! none (SQLite: one server) grants every lease and lists no other server.

use std::time::Duration;

use super::*;

pub async fn contract<S: ClusterStore + ?Sized>(store: &S) {
    store.ping().await.unwrap();
    let Some(mut notices) = store.notices().await.unwrap() else {
        assert!(store
            .claim_lease("timekeeper", "n1", Duration::from_secs(5))
            .await
            .unwrap());
        assert!(store
            .claim_lease("timekeeper", "n2", Duration::from_secs(5))
            .await
            .unwrap());
        assert!(store.lease_holders("node:").await.unwrap().is_empty());
        return;
    };

    let ttl = Duration::from_secs(30);
    assert!(store.claim_lease("timekeeper", "n1", ttl).await.unwrap());
    assert!(
        !store.claim_lease("timekeeper", "n2", ttl).await.unwrap(),
        "held by another"
    );
    assert!(
        store.claim_lease("timekeeper", "n1", ttl).await.unwrap(),
        "renewed by its holder"
    );
    assert_eq!(store.lease_holders("time").await.unwrap(), vec!["n1"]);
    store.release_lease("timekeeper", "n2").await.unwrap();
    assert!(
        !store.claim_lease("timekeeper", "n2", ttl).await.unwrap(),
        "only the holder gives a lease up"
    );
    store.release_lease("timekeeper", "n1").await.unwrap();
    assert!(store.claim_lease("timekeeper", "n2", ttl).await.unwrap());

    // An expired lease is free, and no longer listed.
    let short = Duration::from_millis(200);
    assert!(store.claim_lease("node:a", "a", short).await.unwrap());
    assert!(store.claim_lease("node:b", "b", ttl).await.unwrap());
    let mut alive = store.lease_holders("node:").await.unwrap();
    alive.sort();
    assert_eq!(alive, vec!["a", "b"]);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(store.lease_holders("node:").await.unwrap(), vec!["b"]);
    assert!(store.claim_lease("node:a", "c", ttl).await.unwrap());

    // A notice announced reaches the listener (this server's own included).
    let progress = Notice::Progress {
        origin: "n1".into(),
        tenant_id: "t1".into(),
        rollout_id: "r1".into(),
    };
    store.announce(progress.clone()).await.unwrap();
    let heard = tokio::time::timeout(Duration::from_secs(10), notices.recv())
        .await
        .expect("a notice within 10 s")
        .expect("the feed is open");
    assert_eq!(heard, progress);
}
