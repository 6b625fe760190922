//! [`DeviceProtocolStore`] on SQLite.

use airlift_core::wire::{CommandAck, DeviceCommand, DeviceHistoryEntry};

use super::super::*;

#[async_trait]
impl DeviceProtocolStore for SqliteStore {
    async fn assignment(
        &self,
        tenant_id: &str,
        device_id: &str,
    ) -> StoreResult<Option<Assignment>> {
        self.read_inline(|c| {
            rollouts::commands::assignment(c, &self.packages, tenant_id, device_id)
        })
    }

    async fn ack_command(
        &self,
        tenant_id: &str,
        device_id: &str,
        command_id: &str,
        at: &str,
    ) -> StoreResult<CommandAck> {
        let (t, d, id, at) = (
            tenant_id.to_owned(),
            device_id.to_owned(),
            command_id.to_owned(),
            at.to_owned(),
        );
        self.call(move |c| rollouts::commands::ack(c, &t, &d, &id, &at))
            .await
    }

    async fn device_history(
        &self,
        tenant_id: &str,
        device_id: &str,
        page: Page,
    ) -> StoreResult<PageOf<DeviceHistoryEntry>> {
        let (t, d) = (tenant_id.to_owned(), device_id.to_owned());
        self.call(move |c| rollouts::queries::device_history(c, &t, &d, &page))
            .await
    }

    async fn device_poll(
        &self,
        tenant_id: &str,
        device_id: &str,
    ) -> StoreResult<Option<(Assignment, Vec<DeviceCommand>)>> {
        self.read_inline(|c| polls::poll(c, &self.packages, tenant_id, device_id))
    }

    async fn device_poll_by_token(
        &self,
        token_hash: &str,
        device_id: &str,
    ) -> StoreResult<Option<(DeviceRecord, Option<(Assignment, Vec<DeviceCommand>)>)>> {
        self.read_inline(|c| polls::poll_by_token(c, &self.packages, token_hash, device_id))
    }

    async fn undelivered_commands(
        &self,
        tenant_id: &str,
        device_id: &str,
    ) -> StoreResult<Vec<DeviceCommand>> {
        self.read_inline(|c| polls::undelivered(c, &self.packages, tenant_id, device_id))
    }

    async fn add_delivery_counts(&self, counts: Vec<(String, u64)>) -> StoreResult<()> {
        self.call(move |c| polls::add_delivery_counts(c, &counts))
            .await
    }

    async fn store_device_agents(&self, agents: Vec<DeviceAgent>) -> StoreResult<Vec<String>> {
        // One writer at a time: no other transaction holds a row.
        self.call(move |c| polls::store_device_agents(c, &agents))
            .await?;
        Ok(Vec::new())
    }

    async fn device_agent(&self, tenant_id: &str, device_id: &str) -> StoreResult<Option<String>> {
        let (t, d) = (tenant_id.to_owned(), device_id.to_owned());
        self.call(move |c| polls::device_agent(c, &t, &d)).await
    }

    async fn store_last_seen(&self, seen: Vec<DeviceSeen>) -> StoreResult<Vec<String>> {
        if seen.is_empty() {
            return Ok(Vec::new());
        }
        self.call(move |c| polls::store_last_seen(c, &seen)).await?;
        Ok(Vec::new())
    }

    async fn devices_last_seen(
        &self,
        tenant_id: &str,
        device_ids: Vec<String>,
    ) -> StoreResult<Vec<(String, i64)>> {
        let t = tenant_id.to_owned();
        self.call(move |c| polls::devices_last_seen(c, &t, &device_ids))
            .await
    }
}
