//! Tenant settings, profiles and devices.

use airlift_core::wire::{
    BulkCreateDevices, BulkProvisioned, CreateDevice, CreateProfile, Device, ListResponse, Profile,
    ProvisionedDevice, Tenant, UpdateTenant,
};
use reqwest::Method;

use super::{json_payload, seg, Client, Kind};
use crate::error::DeskError;

/// `?limit=&after=` of a list call (seed 003's paging: `after` is the last id of a page).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListParams {
    pub limit: Option<u32>,
    pub after: Option<String>,
    /// Incremental sync: only rows whose `change_seq` is above this, in `change_seq` order.
    pub changed_since: Option<u64>,
}

impl ListParams {
    pub fn new(limit: u32, after: Option<String>) -> Self {
        Self {
            limit: Some(limit),
            after,
            changed_since: None,
        }
    }

    pub(crate) fn query(&self) -> String {
        let mut q = Vec::new();
        if let Some(limit) = self.limit {
            q.push(format!("limit={limit}"));
        }
        if let Some(after) = &self.after {
            q.push(format!("after={}", super::seg(after)));
        }
        if let Some(since) = self.changed_since {
            q.push(format!("changed_since={since}"));
        }
        if q.is_empty() {
            String::new()
        } else {
            format!("?{}", q.join("&"))
        }
    }
}

impl Client {
    pub async fn tenant(&self) -> Result<Tenant, DeskError> {
        self.get("/api/v1/tenant").await
    }

    /// `PATCH /api/v1/tenant` (admin). Idempotent: setting a value twice is harmless.
    pub async fn update_tenant(&self, update: &UpdateTenant) -> Result<Tenant, DeskError> {
        self.call(
            Method::PATCH,
            "/api/v1/tenant",
            json_payload(update)?,
            Kind::Idempotent,
            None,
        )
        .await?
        .json()
    }

    pub async fn create_profile(&self, req: &CreateProfile) -> Result<Profile, DeskError> {
        self.post("/api/v1/profiles", req, None).await
    }

    pub async fn profiles(&self, page: &ListParams) -> Result<ListResponse<Profile>, DeskError> {
        self.get(&format!("/api/v1/profiles{}", page.query())).await
    }

    pub async fn profile(&self, id: &str) -> Result<Profile, DeskError> {
        self.get(&format!("/api/v1/profiles/{}", seg(id))).await
    }

    pub async fn create_device(&self, req: &CreateDevice) -> Result<ProvisionedDevice, DeskError> {
        self.post("/api/v1/devices", req, None).await
    }

    /// Provisions up to the server's bulk limit (10,000) in one transaction.
    pub async fn create_devices_bulk(
        &self,
        req: &BulkCreateDevices,
    ) -> Result<BulkProvisioned, DeskError> {
        let timeout = Some(self.options.transfer_timeout);
        self.post("/api/v1/devices/bulk", req, timeout).await
    }

    pub async fn devices(&self, page: &ListParams) -> Result<ListResponse<Device>, DeskError> {
        self.get(&format!("/api/v1/devices{}", page.query())).await
    }

    pub async fn device(&self, id: &str) -> Result<Device, DeskError> {
        self.get(&format!("/api/v1/devices/{}", seg(id))).await
    }
}
