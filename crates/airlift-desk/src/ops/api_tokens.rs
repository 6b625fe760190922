//! Settings → API tokens: what an admin does with the tenant's tokens. The expiry's bounds are
//! airlift-core's (the server applies the same rule), so a wrong choice is refused here before
//! anything is sent; the secret is handed back once and kept nowhere.

use airlift_core::role::Role;
use airlift_core::wire::{ApiToken, CreateApiToken, CreatedApiToken};

use crate::client::Client;
use crate::error::DeskError;

/// The tenant's tokens, without secrets, newest first (revoked ones included).
pub async fn list(client: &Client) -> Result<Vec<ApiToken>, DeskError> {
    let mut tokens = client.api_tokens().await?.data;
    tokens.reverse();
    Ok(tokens)
}

/// Creates a token named `name` with `role`, expiring `expires_in_days` from now.
pub async fn create(
    client: &Client,
    name: &str,
    role: Role,
    expires_in_days: u32,
) -> Result<CreatedApiToken, DeskError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(DeskError::invalid_argument("name the token (what uses it)"));
    }
    airlift_core::api_token::expiry(0, Some(expires_in_days), None)
        .map_err(|e| DeskError::invalid_argument(e.message))?;
    client
        .create_api_token(&CreateApiToken {
            name: name.to_owned(),
            role,
            expires_in_days: Some(expires_in_days),
            expires_at: None,
        })
        .await
}

/// Revokes the token with `id`.
pub async fn revoke(client: &Client, id: &str) -> Result<(), DeskError> {
    client.revoke_api_token(id).await
}
