//! A rollout's devices, one window at a time: every device, those in one state, or those of
//! one failure reason (as `GET .../failures` groups them). The app's virtualized device table
//! (and the failure reasons panel's click) and `airlift-cli rollout devices` both end here.
//! The rows need the server: a window is never answered from the cache.

use airlift_core::wire::{ListResponse, RolloutDevice};

pub use crate::client::DeviceWindow;

use super::Session;
use crate::error::DeskError;

/// The most rows one window holds (the server's largest page).
pub const MAX_ROWS: u32 = 1000;

/// The window `window` of rollout `id`'s devices; its `limit` is held to 1..=[`MAX_ROWS`].
/// A failure status without its reason is refused before anything is sent: the status only
/// tells apart the groups of one reason.
pub async fn window(
    s: Session<'_>,
    id: &str,
    window: &DeviceWindow,
) -> Result<ListResponse<RolloutDevice>, DeskError> {
    let has = |v: &Option<String>| v.as_deref().is_some_and(|t| !t.trim().is_empty());
    if has(&window.failure_status) && !has(&window.failure_reason) {
        return Err(DeskError::invalid_argument(
            "a failure status only picks among one reason's devices: give the failure reason too",
        ));
    }
    let window = DeviceWindow {
        limit: window.limit.clamp(1, MAX_ROWS),
        ..window.clone()
    };
    s.client.rollout_device_window(id, &window).await
}
