//! [`DeviceProtocolStore`] and [`EventStore`] on PostgreSQL.

use airlift_core::wire::{CommandAck, DeviceCommand, DeviceHistoryEntry, RolloutEventData};
use async_trait::async_trait;

use super::super::{in_tx, polls, queries, PgStore};
use crate::store::*;

#[async_trait]
impl DeviceProtocolStore for PgStore {
    async fn assignment(
        &self,
        tenant_id: &str,
        device_id: &str,
    ) -> StoreResult<Option<Assignment>> {
        polls::assignment(&self.client().await?, &self.packages, tenant_id, device_id).await
    }

    async fn ack_command(
        &self,
        tenant_id: &str,
        device_id: &str,
        command_id: &str,
        at: &str,
    ) -> StoreResult<CommandAck> {
        in_tx!(self, |tx| polls::ack(
            &tx, tenant_id, device_id, command_id, at
        ))
    }

    async fn device_history(
        &self,
        tenant_id: &str,
        device_id: &str,
        page: Page,
    ) -> StoreResult<PageOf<DeviceHistoryEntry>> {
        queries::device_history(&self.client().await?, tenant_id, device_id, &page).await
    }

    async fn device_poll(
        &self,
        tenant_id: &str,
        device_id: &str,
    ) -> StoreResult<Option<(Assignment, Vec<DeviceCommand>)>> {
        polls::poll(&self.client().await?, &self.packages, tenant_id, device_id).await
    }

    async fn device_poll_by_token(
        &self,
        token_hash: &str,
        device_id: &str,
    ) -> StoreResult<Option<(DeviceRecord, Option<(Assignment, Vec<DeviceCommand>)>)>> {
        polls::poll_by_token(&self.client().await?, &self.packages, token_hash, device_id).await
    }

    async fn undelivered_commands(
        &self,
        tenant_id: &str,
        device_id: &str,
    ) -> StoreResult<Vec<DeviceCommand>> {
        polls::undelivered(&self.client().await?, &self.packages, tenant_id, device_id).await
    }

    async fn add_delivery_counts(&self, counts: Vec<(String, u64)>) -> StoreResult<()> {
        polls::add_delivery_counts(&self.client().await?, &counts).await
    }

    async fn store_device_agents(&self, agents: Vec<DeviceAgent>) -> StoreResult<Vec<String>> {
        polls::store_device_agents(&self.client().await?, &agents).await
    }

    async fn device_agent(&self, tenant_id: &str, device_id: &str) -> StoreResult<Option<String>> {
        polls::device_agent(&self.client().await?, tenant_id, device_id).await
    }

    async fn store_last_seen(&self, seen: Vec<DeviceSeen>) -> StoreResult<Vec<String>> {
        if seen.is_empty() {
            return Ok(Vec::new());
        }
        polls::store_last_seen(&self.client().await?, &seen).await
    }

    async fn devices_last_seen(
        &self,
        tenant_id: &str,
        device_ids: Vec<String>,
    ) -> StoreResult<Vec<(String, i64)>> {
        polls::devices_last_seen(&self.client().await?, tenant_id, &device_ids).await
    }
}

#[async_trait]
impl EventStore for PgStore {
    async fn events_after(
        &self,
        tenant_id: &str,
        after: u64,
        limit: u32,
    ) -> StoreResult<Vec<RolloutEventData>> {
        queries::events_after(&self.client().await?, tenant_id, after, limit).await
    }
}
