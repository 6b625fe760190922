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
}
