//! Rollouts (seed 000 / 001) and device histories.

use airlift_core::wire::{
    AdvanceRollout, CreateRollout, CreatedRollout, DeviceHistoryEntry, FailureReasons,
    FleetVersions, ListResponse, RetryFailedRollout, Rollout, RolloutDevice, RolloutPreview,
    RolloutSummary, Timeline,
};
use reqwest::Method;

use super::fleet::ListParams;
use super::{seg, Client, Kind, Payload};
use crate::error::DeskError;

/// One window of a rollout's device list: filtered by state, sorted, from any row on (a
/// virtualized table asks for the rows it is about to show, wherever the person scrolled).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviceWindow {
    /// A per-device state, or `pending`; `None` for every device.
    pub state: Option<String>,
    /// `position` (scheduling order, the default), `device`, `state`, `progress`, `updated`.
    pub sort: Option<String>,
    pub descending: bool,
    pub offset: u64,
    /// 1..=1000 rows.
    pub limit: u32,
    /// Only the devices of one failure group (`GET .../failures`' reason and status).
    pub failure_reason: Option<String>,
    pub failure_status: Option<String>,
}

impl DeviceWindow {
    fn query(&self) -> String {
        let mut q = vec![
            format!("limit={}", self.limit),
            format!("offset={}", self.offset),
        ];
        if let Some(state) = self.state.as_deref().filter(|s| !s.is_empty()) {
            q.push(format!("state={}", seg(state)));
        }
        if let Some(sort) = self.sort.as_deref().filter(|s| !s.is_empty()) {
            q.push(format!("sort={}", seg(sort)));
        }
        if self.descending {
            q.push("order=desc".to_owned());
        }
        if let Some(reason) = self.failure_reason.as_deref().filter(|r| !r.is_empty()) {
            q.push(format!("failure_reason={}", seg(reason)));
            if let Some(status) = self.failure_status.as_deref().filter(|s| !s.is_empty()) {
                q.push(format!("failure_status={}", seg(status)));
            }
        }
        format!("?{}", q.join("&"))
    }
}

impl Client {
    /// Starts a rollout. Sent once. A device already in an unfinished rollout makes it
    /// `FAILED_PRECONDITION` with [`DeskError::conflicting_rollout_id`] naming that rollout;
    /// devices on a newer version are skipped unless `req.allow_downgrade`.
    pub async fn create_rollout(&self, req: &CreateRollout) -> Result<CreatedRollout, DeskError> {
        self.post("/api/v1/ota/rollouts", req, None).await
    }

    /// Starts a new rollout over exactly the failed and timed-out devices of completed rollout
    /// `rollout_id` (same package; `retry_of` names the old one). Sent once, like a create.
    pub async fn retry_failed(
        &self,
        rollout_id: &str,
        req: &RetryFailedRollout,
    ) -> Result<CreatedRollout, DeskError> {
        let path = format!("/api/v1/ota/rollouts/{}/retry-failed", seg(rollout_id));
        self.post(&path, req, None).await
    }

    /// What a rollout would schedule, without starting it (and `conflicting_rollout_id`: an
    /// unfinished rollout that already holds one of its devices). A read, so it is retried.
    pub async fn preview_rollout(&self, req: &CreateRollout) -> Result<RolloutPreview, DeskError> {
        self.call(
            Method::POST,
            "/api/v1/ota/rollouts/preview",
            super::json_payload(req)?,
            Kind::Idempotent,
            None,
        )
        .await?
        .json()
    }

    pub async fn rollouts(
        &self,
        page: &ListParams,
    ) -> Result<ListResponse<RolloutSummary>, DeskError> {
        self.get(&format!("/api/v1/ota/rollouts{}", page.query()))
            .await
    }

    pub async fn rollout(&self, id: &str) -> Result<Rollout, DeskError> {
        self.get(&format!("/api/v1/ota/rollouts/{}", seg(id))).await
    }

    pub async fn rollout_devices(
        &self,
        id: &str,
        page: &ListParams,
    ) -> Result<ListResponse<RolloutDevice>, DeskError> {
        self.get(&format!(
            "/api/v1/ota/rollouts/{}/devices{}",
            seg(id),
            page.query()
        ))
        .await
    }

    /// A window of a rollout's devices (see [`DeviceWindow`]).
    pub async fn rollout_device_window(
        &self,
        id: &str,
        window: &DeviceWindow,
    ) -> Result<ListResponse<RolloutDevice>, DeskError> {
        self.get(&format!(
            "/api/v1/ota/rollouts/{}/devices{}",
            seg(id),
            window.query()
        ))
        .await
    }

    /// A state change (`pause`, `resume`, `rollback`). Sent once: a transition is not repeated
    /// blindly (the server answers 409 to a repeated one anyway).
    async fn rollout_action(&self, id: &str, action: &str) -> Result<Rollout, DeskError> {
        let path = format!("/api/v1/ota/rollouts/{}/{action}", seg(id));
        self.call(Method::POST, &path, Payload::None, Kind::Once, None)
            .await?
            .json()
    }

    pub async fn pause_rollout(&self, id: &str) -> Result<Rollout, DeskError> {
        self.rollout_action(id, "pause").await
    }

    pub async fn resume_rollout(&self, id: &str) -> Result<Rollout, DeskError> {
        self.rollout_action(id, "resume").await
    }

    pub async fn rollback_rollout(&self, id: &str) -> Result<Rollout, DeskError> {
        self.rollout_action(id, "rollback").await
    }

    /// Cancels a scheduled, active or paused rollout (final).
    pub async fn cancel_rollout(&self, id: &str) -> Result<Rollout, DeskError> {
        self.rollout_action(id, "cancel").await
    }

    /// A rollout's failure reasons, largest first.
    pub async fn rollout_failures(&self, id: &str) -> Result<FailureReasons, DeskError> {
        self.get(&format!("/api/v1/ota/rollouts/{}/failures", seg(id)))
            .await
    }

    /// A rollout's device counts per minute, oldest first.
    pub async fn rollout_timeline(&self, id: &str) -> Result<Timeline, DeskError> {
        self.get(&format!("/api/v1/ota/rollouts/{}/timeline", seg(id)))
            .await
    }

    /// Devices per device type and firmware version.
    pub async fn fleet_versions(&self) -> Result<FleetVersions, DeskError> {
        self.get("/api/v1/fleet/versions").await
    }

    /// Raises the canary slice to `canary_percent`.
    pub async fn advance_rollout(
        &self,
        id: &str,
        canary_percent: u32,
    ) -> Result<Rollout, DeskError> {
        let path = format!("/api/v1/ota/rollouts/{}/advance", seg(id));
        self.post(&path, &AdvanceRollout { canary_percent }, None)
            .await
    }

    /// A device's OTA timeline, newest first; `page.after` is the last entry's `seq`.
    pub async fn device_history(
        &self,
        device_id: &str,
        page: &ListParams,
    ) -> Result<ListResponse<DeviceHistoryEntry>, DeskError> {
        self.get(&format!(
            "/api/v1/devices/{}/history{}",
            seg(device_id),
            page.query()
        ))
        .await
    }
}
