//! Packages and signing keys.

use airlift_core::wire::{CreatePackage, CreateSigningKey, ListResponse, Package, SigningKey};
use reqwest::Method;

use super::fleet::ListParams;
use super::{seg, Client, Kind, Payload};
use crate::error::DeskError;

impl Client {
    /// Creates a package. The server hashes the artifact (and checks its signature) before the
    /// package exists, so this can take as long as reading the artifact: it gets the transfer
    /// timeout. Sent once.
    pub async fn create_package(&self, req: &CreatePackage) -> Result<Package, DeskError> {
        let timeout = Some(self.options.transfer_timeout);
        self.post("/api/v1/ota/packages", req, timeout).await
    }

    pub async fn packages(&self, page: &ListParams) -> Result<ListResponse<Package>, DeskError> {
        self.get(&format!("/api/v1/ota/packages{}", page.query()))
            .await
    }

    pub async fn package(&self, id: &str) -> Result<Package, DeskError> {
        self.get(&format!("/api/v1/ota/packages/{}", seg(id))).await
    }

    pub async fn create_signing_key(
        &self,
        req: &CreateSigningKey,
    ) -> Result<SigningKey, DeskError> {
        self.post("/api/v1/signing-keys", req, None).await
    }

    pub async fn signing_keys(
        &self,
        page: &ListParams,
    ) -> Result<ListResponse<SigningKey>, DeskError> {
        self.get(&format!("/api/v1/signing-keys{}", page.query()))
            .await
    }

    /// Revokes a key for new packages.
    pub async fn revoke_signing_key(&self, key_id: &str) -> Result<(), DeskError> {
        let path = format!("/api/v1/signing-keys/{}", seg(key_id));
        self.call(Method::DELETE, &path, Payload::None, Kind::Idempotent, None)
            .await?;
        Ok(())
    }
}
