//! [`AuditStore`]: entries kept per tenant, listed newest first, filtered by actor, action
//! and time, paged by id.

use super::*;

fn entry(tenant: &str, id: &str, micros: i64, actor: &str, action: &str) -> AuditRecord {
    AuditRecord {
        id: id.into(),
        tenant_id: tenant.into(),
        at: format!("t{micros}"),
        at_micros: micros,
        actor: actor.into(),
        role: "admin".into(),
        action: action.into(),
        object_type: action.split('.').next().unwrap().into(),
        object_id: format!("obj_{id}"),
        summary: format!("summary of {id}"),
    }
}

fn ids(page: &PageOf<AuditRecord>) -> Vec<&str> {
    page.items.iter().map(|e| e.id.as_str()).collect()
}

pub async fn contract(store: &dyn Store, a: &TenantRecord, b: &TenantRecord) {
    let all = AuditFilter::default();
    let page = |limit, after: Option<&str>| Page {
        limit,
        after: after.map(str::to_owned),
    };
    assert!(store
        .list_audit(&a.id, all.clone(), page(10, None))
        .await
        .unwrap()
        .items
        .is_empty());
    let rows = [
        entry(&a.id, "aud_01", 1_000, "alice", "rollout.create"),
        entry(&a.id, "aud_02", 2_000, "bob", "rollout.pause"),
        entry(&a.id, "aud_03", 3_000, "alice", "rollout.cancel"),
        entry(&b.id, "aud_04", 4_000, "alice", "rollout.create"),
        entry(&a.id, "aud_05", 5_000, "alice", "package.create"),
    ];
    for r in rows.iter().cloned() {
        store.append_audit(r).await.unwrap();
    }
    let got = store
        .list_audit(&a.id, all.clone(), page(10, None))
        .await
        .unwrap();
    assert_eq!(
        ids(&got),
        ["aud_05", "aud_03", "aud_02", "aud_01"],
        "newest first, own tenant only"
    );
    assert!(!got.has_more);
    assert_eq!(got.items[1], rows[2], "stored as given");

    let first = store
        .list_audit(&a.id, all.clone(), page(2, None))
        .await
        .unwrap();
    assert_eq!(ids(&first), ["aud_05", "aud_03"]);
    assert!(first.has_more);
    let second = store
        .list_audit(&a.id, all.clone(), page(2, Some("aud_03")))
        .await
        .unwrap();
    assert_eq!(ids(&second), ["aud_02", "aud_01"]);
    assert!(!second.has_more);

    let alice = AuditFilter {
        actor: Some("alice".into()),
        ..AuditFilter::default()
    };
    let got = store
        .list_audit(&a.id, alice, page(10, None))
        .await
        .unwrap();
    assert_eq!(ids(&got), ["aud_05", "aud_03", "aud_01"]);
    let creates = AuditFilter {
        action: Some("rollout.create".into()),
        ..AuditFilter::default()
    };
    let got = store
        .list_audit(&a.id, creates, page(10, None))
        .await
        .unwrap();
    assert_eq!(ids(&got), ["aud_01"]);
    let since = AuditFilter {
        actor: Some("alice".into()),
        since_micros: Some(3_000),
        ..AuditFilter::default()
    };
    let got = store
        .list_audit(&a.id, since, page(10, None))
        .await
        .unwrap();
    assert_eq!(
        ids(&got),
        ["aud_05", "aud_03"],
        "at or after, combined with actor"
    );
    let got = store.list_audit(&b.id, all, page(10, None)).await.unwrap();
    assert_eq!(ids(&got), ["aud_04"]);

    // One object's changes, and a time range closed at both ends.
    let rollouts = AuditFilter {
        object_type: Some("rollout".into()),
        ..AuditFilter::default()
    };
    let got = store
        .list_audit(&a.id, rollouts, page(10, None))
        .await
        .unwrap();
    assert_eq!(ids(&got), ["aud_03", "aud_02", "aud_01"]);
    let one = AuditFilter {
        object_type: Some("rollout".into()),
        object_id: Some("obj_aud_02".into()),
        ..AuditFilter::default()
    };
    let got = store.list_audit(&a.id, one, page(10, None)).await.unwrap();
    assert_eq!(ids(&got), ["aud_02"]);
    let other_tenant = AuditFilter {
        object_id: Some("obj_aud_04".into()),
        ..AuditFilter::default()
    };
    let got = store
        .list_audit(&a.id, other_tenant, page(10, None))
        .await
        .unwrap();
    assert!(
        got.items.is_empty(),
        "another tenant's object is not listed"
    );
    let range = AuditFilter {
        since_micros: Some(2_000),
        until_micros: Some(3_000),
        ..AuditFilter::default()
    };
    let got = store
        .list_audit(&a.id, range, page(10, None))
        .await
        .unwrap();
    assert_eq!(ids(&got), ["aud_03", "aud_02"], "both ends included");
}
