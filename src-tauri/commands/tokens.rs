//! Settings → API tokens of the active connection's tenant (admin): list, create (the secret
//! comes back once), revoke. Each adapts `airlift_desk::ops::api_tokens`.

use airlift_desk::ops::api_tokens;
use airlift_desk::DeskError;
use tauri::State;

use crate::dto::tokens::{ApiTokenInfo, CreatedApiTokenInfo, NewApiToken};
use crate::state::AppState;

/// The tenant's tokens, newest first, without secrets.
#[tauri::command]
pub async fn api_tokens_list(state: State<'_, AppState>) -> Result<Vec<ApiTokenInfo>, DeskError> {
    let (_, client) = state.client()?;
    Ok(api_tokens::list(&client)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// Makes a token; its secret is in this answer only.
#[tauri::command]
pub async fn api_token_create(
    state: State<'_, AppState>,
    token: NewApiToken,
) -> Result<CreatedApiTokenInfo, DeskError> {
    let (_, client) = state.client()?;
    let made = api_tokens::create(
        &client,
        &token.name,
        token.role.into(),
        token.expires_in_days,
    )
    .await?;
    Ok(made.into())
}

/// Revokes a token: the server refuses it from the next request on.
#[tauri::command]
pub async fn api_token_revoke(state: State<'_, AppState>, id: String) -> Result<(), DeskError> {
    let (_, client) = state.client()?;
    api_tokens::revoke(&client, &id).await
}
