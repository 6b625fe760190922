//! Devices reporting through the device API with their own tokens, as real ones do (the desk
//! has no client for it: it speaks the users' API). Included with `#[path]` by the tests that
//! need it, so the crates that share `support/` need no HTTP client of their own.

use airlift_core::wire::{BulkProvisioned, OtaReport};

/// The first `n` devices of `provisioned` report that rollout `rollout_id` failed on them
/// ("flash write failed"), as a device does: with its own token, through the device API.
pub async fn report_failures(
    base: &str,
    provisioned: &BulkProvisioned,
    n: usize,
    rollout_id: &str,
) {
    let http = reqwest::Client::new();
    for d in provisioned.data.iter().take(n) {
        let report = OtaReport {
            report_id: None,
            device_id: None,
            rollout_id: rollout_id.to_owned(),
            firmware_version: "1.0.0".into(),
            status: "failure".into(),
            message: Some("flash write failed".into()),
            progress: None,
        };
        let r = http
            .post(format!(
                "{base}/api/v1/devices/{}/ota/report",
                d.device.device_id
            ))
            .bearer_auth(&d.device_token)
            .json(&report)
            .send()
            .await
            .expect("send the report");
        assert!(
            r.status().is_success(),
            "{}",
            r.text().await.unwrap_or_default()
        );
    }
}
