//! [`RolloutStore::rollouts_by_status`]'s contract: every tenant's rollouts, counted by status.

use super::*;

pub async fn contract<S: RolloutStore + ?Sized>(store: &S, tenants: &[&TenantRecord]) {
    let mut listed = std::collections::BTreeMap::<String, u64>::new();
    for t in tenants {
        let page = Page {
            limit: 1000,
            after: None,
        };
        for r in store
            .list_rollouts(&t.id, RolloutFilter::default(), page)
            .await
            .unwrap()
            .items
        {
            *listed.entry(r.status.as_str().to_owned()).or_default() += 1;
        }
    }
    let counted: std::collections::BTreeMap<String, u64> = store
        .rollouts_by_status()
        .await
        .unwrap()
        .into_iter()
        .collect();
    assert!(!counted.is_empty(), "the suites made rollouts");
    assert_eq!(
        counted, listed,
        "the counts are the listed rollouts' statuses"
    );
}
