//! [`TenantStore`]'s contract.

use super::*;

/// Returns the two tenants the other suites use (`acme` requires no signatures afterwards).
pub async fn contract<S: TenantStore + ?Sized>(store: &S) -> (TenantRecord, TenantRecord) {
    // Tenants: ensure is idempotent and new tenants require signatures.
    let a = store.ensure_tenant("acme").await.unwrap();
    assert_eq!(store.ensure_tenant("acme").await.unwrap(), a);
    assert!(a.require_signatures);
    let b = store.ensure_tenant("globex").await.unwrap();
    assert!(
        !store
            .set_require_signatures(&a.id, false)
            .await
            .unwrap()
            .require_signatures
    );
    assert_eq!(
        code(store.ensure_tenant("../etc").await.unwrap_err()),
        ErrorCode::InvalidArgument
    );
    // Found by name as it is now; an unknown name creates nothing.
    let found = store.tenant_named("acme").await.unwrap().unwrap();
    assert_eq!(
        (found.id.as_str(), found.require_signatures),
        (a.id.as_str(), false)
    );
    assert!(store.tenant_named("initech").await.unwrap().is_none());
    assert!(store.tenant_named("initech").await.unwrap().is_none());
    (a, b)
}
