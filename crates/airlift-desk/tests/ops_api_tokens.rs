//! Settings → API tokens through `ops::api_tokens`, against the real server: an admin makes a
//! token (its secret once), the desk connects with it and reads its role and tenant like any
//! user token's, the list holds no secret, and a revoked token is refused at once.

mod support;

use airlift_desk::ops::api_tokens;
use airlift_desk::role::{role_of, tenant_of, Role};
use airlift_desk::secret::Secret;
use airlift_desk::DeskErrorCode;
use support::*;

#[tokio::test]
async fn an_admin_makes_a_token_the_desk_connects_with_it_and_revokes_it() {
    let dir = tempdir();
    let server = Server::start(dir.path());
    let admin = server.client("acme", "admin");

    let made = api_tokens::create(&admin, " nightly pipeline ", Role::ReleaseManager, 30)
        .await
        .unwrap();
    assert_eq!(made.name, "nightly pipeline");
    assert!(made.token.starts_with("aat_"));
    assert!(
        !format!("{made:?}").contains(&made.token),
        "Debug hides the secret"
    );

    // The desk reads the role and the tenant from it, as from any user token.
    let secret = Secret::new(made.token.clone());
    assert_eq!(role_of(&secret), Some(Role::ReleaseManager));
    let tenant = admin.tenant().await.unwrap();
    assert_eq!(
        tenant_of(&secret).as_deref(),
        Some(tenant.tenant_id.as_str())
    );

    let pipeline = client_for(&server.base, Some(&made.token));
    pipeline.tenant().await.unwrap();
    let denied = api_tokens::list(&pipeline).await.unwrap_err();
    assert_eq!(denied.code(), DeskErrorCode::PermissionDenied, "{denied}");

    let listed = api_tokens::list(&admin).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, made.id);
    assert_eq!(listed[0].role, Role::ReleaseManager);

    api_tokens::revoke(&admin, &made.id).await.unwrap();
    let refused = pipeline.tenant().await.unwrap_err();
    assert_eq!(refused.code(), DeskErrorCode::Unauthenticated, "{refused}");
    assert!(api_tokens::list(&admin).await.unwrap()[0]
        .revoked_at
        .is_some());
}

#[tokio::test]
async fn a_bad_choice_is_refused_before_anything_is_sent() {
    let dir = tempdir();
    let server = Server::start(dir.path());
    let admin = server.client("acme", "admin");
    for (name, days) in [("  ", 30), ("ci", 0), ("ci", 366)] {
        let e = api_tokens::create(&admin, name, Role::Support, days)
            .await
            .unwrap_err();
        assert_eq!(e.code(), DeskErrorCode::InvalidArgument, "{e}");
    }
    assert!(api_tokens::list(&admin).await.unwrap().is_empty());
}
