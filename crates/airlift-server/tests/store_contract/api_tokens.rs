//! [`ApiTokenStore`]'s contract.

use airlift_core::role::Role;

use super::*;

fn token(tenant: &str, id: &str, hash: &str) -> ApiTokenRecord {
    ApiTokenRecord {
        id: id.into(),
        tenant_id: tenant.into(),
        name: format!("{id} pipeline"),
        role: Role::ReleaseManager,
        token_hash: hash.into(),
        created_at: "2026-01-01T00:00:00Z".into(),
        expires_at: "2026-04-01T00:00:00Z".into(),
        last_used_at: None,
        revoked_at: None,
    }
}

pub async fn contract<S: ApiTokenStore + ?Sized>(store: &S, a: &TenantRecord, b: &TenantRecord) {
    let t1 = token(&a.id, "tok_1", "h_tok_1");
    store.create_api_token(t1.clone()).await.unwrap();
    store
        .create_api_token(token(&a.id, "tok_2", "h_tok_2"))
        .await
        .unwrap();
    store
        .create_api_token(token(&b.id, "tok_3", "h_tok_3"))
        .await
        .unwrap();
    assert_eq!(
        code(store.create_api_token(t1.clone()).await.unwrap_err()),
        ErrorCode::AlreadyExists,
        "an id is used once"
    );

    // Read back as written, per tenant, in creation order.
    assert_eq!(
        store.api_token(&a.id, "tok_1").await.unwrap(),
        Some(t1.clone())
    );
    let ids: Vec<String> = store
        .list_api_tokens(&a.id)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(ids, ["tok_1", "tok_2"]);
    assert!(
        store.api_token(&b.id, "tok_1").await.unwrap().is_none(),
        "another tenant's token is not found"
    );

    // A use is recorded; another tenant's id changes nothing.
    store
        .touch_api_token(&a.id, "tok_1", "2026-01-02T00:00:00Z")
        .await
        .unwrap();
    store
        .touch_api_token(&b.id, "tok_2", "2026-01-03T00:00:00Z")
        .await
        .unwrap();
    let read = |id: &'static str| async move { store.api_token(&a.id, id).await.unwrap().unwrap() };
    assert_eq!(
        read("tok_1").await.last_used_at.as_deref(),
        Some("2026-01-02T00:00:00Z")
    );
    assert_eq!(read("tok_2").await.last_used_at, None);

    // Revocation keeps the row and its first time; unknown or foreign ids are NOT_FOUND.
    store
        .revoke_api_token(&a.id, "tok_1", "2026-01-04T00:00:00Z")
        .await
        .unwrap();
    store
        .revoke_api_token(&a.id, "tok_1", "2026-01-05T00:00:00Z")
        .await
        .unwrap();
    assert_eq!(
        read("tok_1").await.revoked_at.as_deref(),
        Some("2026-01-04T00:00:00Z")
    );
    assert_eq!(read("tok_2").await.revoked_at, None);
    assert_eq!(
        code(
            store
                .revoke_api_token(&b.id, "tok_2", "2026-01-04T00:00:00Z")
                .await
                .unwrap_err()
        ),
        ErrorCode::NotFound
    );
    assert_eq!(
        code(
            store
                .revoke_api_token(&a.id, "tok_404", "2026-01-04T00:00:00Z")
                .await
                .unwrap_err()
        ),
        ErrorCode::NotFound
    );
    assert!(store
        .api_token(&b.id, "tok_3")
        .await
        .unwrap()
        .unwrap()
        .revoked_at
        .is_none());

    bootstrap_contract(store, a, b).await;
}

fn bootstrap(tenant: &str, id: &str) -> BootstrapTokenRecord {
    BootstrapTokenRecord {
        id: id.into(),
        tenant_id: tenant.into(),
        role: Role::Admin,
        label: format!("{id}'s laptop"),
        created_at: "2026-01-01T00:00:00Z".into(),
        expires_at: "2026-01-02T00:00:00Z".into(),
        revoked_at: None,
    }
}

/// The records of `airliftd token` JWTs, and revoking a tenant's every credential.
async fn bootstrap_contract<S: ApiTokenStore + ?Sized>(
    store: &S,
    a: &TenantRecord,
    b: &TenantRecord,
) {
    let j1 = bootstrap(&a.id, "btk_1");
    store.create_bootstrap_token(j1.clone()).await.unwrap();
    store
        .create_bootstrap_token(bootstrap(&a.id, "btk_2"))
        .await
        .unwrap();
    store
        .create_bootstrap_token(bootstrap(&b.id, "btk_3"))
        .await
        .unwrap();
    assert_eq!(
        code(store.create_bootstrap_token(j1.clone()).await.unwrap_err()),
        ErrorCode::AlreadyExists,
        "an id is used once"
    );
    assert_eq!(store.bootstrap_token("btk_1").await.unwrap(), Some(j1));
    assert!(store.bootstrap_token("btk_404").await.unwrap().is_none());
    let ids = |rows: Vec<BootstrapTokenRecord>| -> Vec<String> {
        rows.into_iter().map(|r| r.id).collect()
    };
    assert_eq!(
        ids(store.list_bootstrap_tokens(Some(&a.id)).await.unwrap()),
        ["btk_1", "btk_2"]
    );
    assert_eq!(
        ids(store.list_bootstrap_tokens(None).await.unwrap()),
        ["btk_1", "btk_2", "btk_3"]
    );

    // Revocation keeps the row and its first time; an unknown id is NOT_FOUND.
    store
        .revoke_bootstrap_token("btk_1", "2026-01-01T01:00:00Z")
        .await
        .unwrap();
    store
        .revoke_bootstrap_token("btk_1", "2026-01-01T02:00:00Z")
        .await
        .unwrap();
    let revoked_at = |id: &'static str| async move {
        store.bootstrap_token(id).await.unwrap().unwrap().revoked_at
    };
    assert_eq!(
        revoked_at("btk_1").await.as_deref(),
        Some("2026-01-01T01:00:00Z")
    );
    assert_eq!(
        code(
            store
                .revoke_bootstrap_token("btk_404", "2026-01-01T01:00:00Z")
                .await
                .unwrap_err()
        ),
        ErrorCode::NotFound
    );

    // All of a tenant: its live JWT records and API tokens, counted; revoked ones keep their
    // time; another tenant's are untouched.
    let live_api_tokens = store
        .list_api_tokens(&a.id)
        .await
        .unwrap()
        .iter()
        .filter(|t| t.revoked_at.is_none())
        .count() as u64;
    let n = store
        .revoke_all_user_tokens(&a.id, "2026-01-01T03:00:00Z")
        .await
        .unwrap();
    assert_eq!(n, 1 + live_api_tokens);
    assert_eq!(
        revoked_at("btk_1").await.as_deref(),
        Some("2026-01-01T01:00:00Z")
    );
    assert_eq!(
        revoked_at("btk_2").await.as_deref(),
        Some("2026-01-01T03:00:00Z")
    );
    assert!(store
        .list_api_tokens(&a.id)
        .await
        .unwrap()
        .iter()
        .all(|t| t.revoked_at.is_some()));
    assert_eq!(revoked_at("btk_3").await, None);
    assert!(store
        .list_api_tokens(&b.id)
        .await
        .unwrap()
        .iter()
        .all(|t| t.revoked_at.is_none()));
    assert_eq!(
        store
            .revoke_all_user_tokens(&a.id, "2026-01-01T04:00:00Z")
            .await
            .unwrap(),
        0,
        "nothing left to revoke"
    );
}
