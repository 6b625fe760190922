//! API tokens (admin): create (the secret comes back once), list without secrets, revoke.

use airlift_core::wire::{ApiToken, CreateApiToken, CreatedApiToken, ListResponse};
use reqwest::Method;

use super::{seg, Client, Kind, Payload};
use crate::error::DeskError;

impl Client {
    /// Sent once (a POST); the answer holds the only copy of the secret.
    pub async fn create_api_token(
        &self,
        req: &CreateApiToken,
    ) -> Result<CreatedApiToken, DeskError> {
        self.post("/api/v1/api-tokens", req, None).await
    }

    pub async fn api_tokens(&self) -> Result<ListResponse<ApiToken>, DeskError> {
        self.get("/api/v1/api-tokens").await
    }

    /// Revokes a token: from now on the server refuses it. Revoking twice is fine.
    pub async fn revoke_api_token(&self, id: &str) -> Result<(), DeskError> {
        let path = format!("/api/v1/api-tokens/{}", seg(id));
        self.call(Method::DELETE, &path, Payload::None, Kind::Idempotent, None)
            .await?;
        Ok(())
    }
}
