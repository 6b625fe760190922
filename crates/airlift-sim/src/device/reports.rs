//! What a device tells the server: its reports (each with an id unique per device and run, so
//! a retried POST is recognised) and the acknowledgements of its commands.

use airlift_core::install_status::InstallStatus;

use crate::proto::OtaReport;
use crate::retry::retry;
use crate::rng::Stream;

use super::{Device, Job};

impl Device {
    pub(super) async fn flush_acks(&mut self) {
        let mut left = Vec::new();
        for id in std::mem::take(&mut self.to_ack) {
            let shared = self.shared.clone();
            let creds = &self.creds;
            if let Err(e) = retry(|| shared.http.ack(creds, &id)).await {
                self.note_error(&e);
                if e.is_transient() {
                    left.push(id);
                }
            }
        }
        self.to_ack = left;
    }

    pub(super) async fn report(
        &mut self,
        job: &Job,
        status: InstallStatus,
        message: Option<String>,
        progress: Option<u32>,
    ) {
        self.report_seq += 1;
        let report = OtaReport {
            // Unique per device and run, so a retried POST is recognised and a restarted
            // simulator is not mistaken for a retry.
            report_id: Some(format!(
                "sim-{:016x}-{:08x}-{}",
                crate::rng::device_seed(0, self.index, Stream::Behaviour)
                    ^ fxhash(&self.creds.device_id),
                self.shared.run_nonce,
                self.report_seq
            )),
            device_id: None,
            rollout_id: job.rollout_id.clone(),
            firmware_version: self.firmware.clone(),
            status: status.as_str().to_owned(),
            message,
            progress,
        };
        let shared = self.shared.clone();
        let creds = &self.creds;
        if let Err(e) = retry(|| shared.http.report(creds, &report)).await {
            self.note_error(&e);
        }
    }
}

/// A small stable string hash (FNV-1a) for report ids.
fn fxhash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}
