//! What devices read and acknowledge: assignments, commands, their history.

use airlift_core::wire::{CommandAck, DeviceCommand, DeviceHistoryEntry};
use async_trait::async_trait;

use crate::store::{Assignment, DeviceAgent, DeviceRecord, DeviceSeen, Page, PageOf, StoreResult};

#[async_trait]
pub trait DeviceProtocolStore: Send + Sync {
    async fn assignment(&self, tenant_id: &str, device_id: &str)
        -> StoreResult<Option<Assignment>>;
    async fn ack_command(
        &self,
        tenant_id: &str,
        device_id: &str,
        command_id: &str,
        at: &str,
    ) -> StoreResult<CommandAck>;
    /// Newest first; `page.after` is a `seq` (older entries follow).
    async fn device_history(
        &self,
        tenant_id: &str,
        device_id: &str,
        page: Page,
    ) -> StoreResult<PageOf<DeviceHistoryEntry>>;
    /// The device's assignment and unacknowledged commands (`delivery_count` as stored).
    async fn device_poll(
        &self,
        tenant_id: &str,
        device_id: &str,
    ) -> StoreResult<Option<(Assignment, Vec<DeviceCommand>)>>;
    /// The device a token hash belongs to (`None`: unknown token) and, when that device is
    /// `device_id`, its [`Self::device_poll`], read together: a poll whose token is not cached
    /// yet costs one read instead of two.
    async fn device_poll_by_token(
        &self,
        token_hash: &str,
        device_id: &str,
    ) -> StoreResult<Option<(DeviceRecord, Option<(Assignment, Vec<DeviceCommand>)>)>>;
    /// Unacknowledged commands (`delivery_count` as stored), whatever the assignment.
    async fn undelivered_commands(
        &self,
        tenant_id: &str,
        device_id: &str,
    ) -> StoreResult<Vec<DeviceCommand>>;
    /// Adds (command id, deliveries) to the stored delivery counts, in one transaction (every
    /// server of a deployment adds what it counted).
    async fn add_delivery_counts(&self, counts: Vec<(String, u64)>) -> StoreResult<()>;
    /// Keeps each device's `User-Agent`, in one transaction (a device of another tenant, or
    /// one deleted meanwhile, is skipped). Does not move the device's `change_seq`. Never waits
    /// for a device row another transaction holds (a report's): returns those devices, to be
    /// written by a later call. Waiting would make a lock cycle with a report batch, which
    /// locks the same rows in another order.
    async fn store_device_agents(&self, agents: Vec<DeviceAgent>) -> StoreResult<Vec<String>>;
    /// The `User-Agent` kept for the device (`None`: none kept, or not the tenant's device).
    async fn device_agent(&self, tenant_id: &str, device_id: &str) -> StoreResult<Option<String>>;
    /// Keeps each device's last contact, in one transaction: a time at or before the one kept
    /// changes nothing (every server of a deployment writes what it saw, in any order), a
    /// device of another tenant or deleted meanwhile is skipped. Moves no `change_seq` and
    /// tells no other server (their caches do not depend on it). Like `store_device_agents`,
    /// never waits for a busy device row: returns those devices, for a later call.
    async fn store_last_seen(&self, seen: Vec<DeviceSeen>) -> StoreResult<Vec<String>>;
    /// The last contact kept (Unix seconds) for those of `device_ids` that are the tenant's
    /// and have one.
    async fn devices_last_seen(
        &self,
        tenant_id: &str,
        device_ids: Vec<String>,
    ) -> StoreResult<Vec<(String, i64)>>;
}
