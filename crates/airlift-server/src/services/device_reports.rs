//! A device's status report, checked before the engine records it (`engine::record_report`).

use airlift_core::error::ApiError;
use airlift_core::wire::OtaReport;

use super::text::{bounded_text, required_text};
use crate::store::ValidatedReport;

/// The report of device `id` as the engine takes it: the body names the same device (or
/// none), the report id is printable, progress a percentage, the texts bounded, the status one
/// of seed 002's.
pub fn validate(id: &str, r: OtaReport) -> Result<ValidatedReport, ApiError> {
    if let Some(d) = &r.device_id {
        if d != id {
            return Err(ApiError::invalid_argument(
                "device_id in the body is not the device in the path",
            ));
        }
    }
    let report_id = match r.report_id {
        Some(rid) => {
            let rid = rid.trim().to_owned();
            if rid.is_empty() || rid.len() > 64 || rid.chars().any(|c| c.is_control()) {
                return Err(ApiError::invalid_argument(
                    "report_id must be 1 to 64 printable characters",
                ));
            }
            Some(rid)
        }
        None => None,
    };
    if let Some(p) = r.progress {
        if p > 100 {
            return Err(ApiError::invalid_argument(format!(
                "progress must be between 0 and 100, got {p}"
            )));
        }
    }
    let firmware_version = required_text("firmware_version", &r.firmware_version, 64)?;
    let message = r
        .message
        .map(|m| bounded_text("message", &m, 2048))
        .transpose()?;
    Ok(ValidatedReport {
        report_id,
        rollout_id: r.rollout_id.trim().to_owned(),
        firmware_version,
        status: r.status.parse()?,
        message,
        progress: r.progress,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(json: serde_json::Value) -> OtaReport {
        serde_json::from_value(json).expect("report JSON")
    }

    #[test]
    fn a_valid_report_is_trimmed_and_typed() {
        let v = validate(
            "dev-1",
            report(serde_json::json!({
                "device_id": "dev-1", "rollout_id": " rol-1 ", "report_id": " r-7 ",
                "firmware_version": "2.1.0", "status": "DOWNLOAD_STEP", "progress": 40,
            })),
        )
        .expect("valid");
        assert_eq!(v.rollout_id, "rol-1");
        assert_eq!(v.report_id.as_deref(), Some("r-7"));
        assert_eq!(v.progress, Some(40));
    }

    #[test]
    fn bad_reports_are_refused_naming_the_field() {
        let base = serde_json::json!({
            "rollout_id": "rol-1", "firmware_version": "2.1.0", "status": "INSTALL_SUCCESS",
        });
        let with = |k: &str, v: serde_json::Value| {
            let mut b = base.clone();
            b[k] = v;
            report(b)
        };
        for (r, needle) in [
            (with("device_id", "dev-2".into()), "device_id"),
            (with("report_id", "".into()), "report_id"),
            (with("report_id", "x".repeat(65).into()), "report_id"),
            (with("progress", 101.into()), "progress"),
            (with("firmware_version", "".into()), "firmware_version"),
            (with("message", "a\u{0}b".into()), "message"),
            (with("status", "EXPLODED".into()), "status"),
        ] {
            let e = validate("dev-1", r).expect_err("refused");
            assert_eq!(e.code, airlift_core::error::ErrorCode::InvalidArgument);
            assert!(e.message.contains(needle), "{needle}: {}", e.message);
        }
    }
}
