//! A device's update history as support reads it: the full timeline from the cache, and its
//! CSV export.
//!
//! The cache keeps each server entry (`DeviceHistoryEntry`) as JSON; this module turns the
//! cached rows back into entries, newest first, and writes them as CSV for a ticket or a
//! spreadsheet.

use airlift_core::wire::DeviceHistoryEntry;

use crate::cache::{Cache, DeviceOta, HistoryCursor, MAX_PAGE};
use crate::error::DeskError;

/// The device's OTA record (seed 001) as its newest history tells it: the rollout of the newest
/// entry that names one, the target version of that rollout's newest command (or assignment),
/// and the status of the current job (everything after that command): failed on an `*_ERROR`,
/// `INSTALL_ABORTED`, `failure` report or a time-out, completed on `success` or on
/// `INSTALLED_VERSION` with the target version, otherwise updating. `entries` are newest first;
/// `version_of` names a package's version; `rollout_created_at` the rollout's creation time.
pub fn ota_from_history(
    device_id: &str,
    entries: &[DeviceHistoryEntry],
    version_of: impl Fn(&str) -> Option<String>,
    rollout_created_at: impl Fn(&str) -> Option<String>,
) -> Option<DeviceOta> {
    let newest = entries.iter().find(|e| e.rollout_id.is_some())?;
    let rollout_id = newest.rollout_id.clone()?;
    let job: Vec<&DeviceHistoryEntry> = entries
        .iter()
        .filter(|e| e.rollout_id.as_deref() == Some(rollout_id.as_str()))
        .collect();
    // The current job starts at the rollout's newest command (or its assignment before one).
    let start = job
        .iter()
        .position(|e| e.kind == "command")
        .or_else(|| job.iter().position(|e| e.kind == "assigned"))
        .unwrap_or(job.len().saturating_sub(1));
    let target_version = job
        .get(start)
        .and_then(|e| e.package_id.as_deref())
        .and_then(&version_of);
    let since_command = &job[..=start.min(job.len().saturating_sub(1))];
    let last_report = since_command.iter().find(|e| e.kind == "report");
    let verdict = since_command.iter().find_map(|e| match e.kind.as_str() {
        "timed_out" => Some(("failed", "timed_out")),
        "report" => {
            let status = e.status.as_deref().unwrap_or("");
            let installed_target = status == "INSTALLED_VERSION"
                && (target_version.is_none() || e.firmware_version == target_version);
            if status.ends_with("_ERROR") || status == "INSTALL_ABORTED" || status == "failure" {
                Some(("failed", "failed"))
            } else if status == "success" || installed_target {
                Some(("completed", "successful"))
            } else {
                None
            }
        }
        _ => None,
    });
    let (ota_status, rollout_state) = verdict.unwrap_or(match last_report {
        Some(_) => ("updating", "in_progress"),
        None => ("updating", "command_sent"),
    });
    Some(DeviceOta {
        device_id: device_id.to_owned(),
        rollout_created_at: rollout_created_at(&rollout_id).unwrap_or_default(),
        rollout_id,
        target_version,
        ota_status: ota_status.to_owned(),
        rollout_state: Some(rollout_state.to_owned()),
        progress: last_report
            .and_then(|r| r.progress)
            .map(|p| u8::try_from(p.min(100)).unwrap_or(100)),
        last_status: last_report.and_then(|r| r.status.clone()),
        last_message: last_report.and_then(|r| r.message.clone()),
        last_update_at: Some(newest.at.clone()),
    })
}

/// The CSV header, in column order.
pub const CSV_COLUMNS: [&str; 10] = [
    "time",
    "event",
    "status",
    "progress",
    "firmware_version",
    "message",
    "rollout_id",
    "package_id",
    "command_id",
    "seq",
];

/// Every cached history entry of `device_id`, newest first. Rows the cache holds in an older
/// shape are skipped rather than failing the whole timeline.
pub fn cached_history(
    cache: &Cache,
    connection_id: &str,
    device_id: &str,
) -> Result<Vec<DeviceHistoryEntry>, DeskError> {
    let mut entries = Vec::new();
    let mut before: Option<HistoryCursor> = None;
    loop {
        let page = cache.device_history(connection_id, device_id, before.as_ref(), MAX_PAGE)?;
        entries.extend(
            page.items
                .into_iter()
                .filter_map(|row| serde_json::from_value::<DeviceHistoryEntry>(row.detail).ok()),
        );
        match page.next {
            Some(next) => before = Some(next),
            None => break,
        }
    }
    // The cache orders by time; the server's seq breaks ties within one second.
    entries.sort_by(|a, b| b.at.cmp(&a.at).then(b.seq.cmp(&a.seq)));
    Ok(entries)
}

/// A rollout as a person names it: its package's device type and version ("temp-sensor
/// 2.1.0"), from the cache; `None` when the rollout or its package is not cached.
pub fn rollout_label(
    cache: &Cache,
    connection_id: &str,
    rollout_id: &str,
) -> Result<Option<String>, DeskError> {
    let Some(rollout) = cache.rollout(connection_id, rollout_id)? else {
        return Ok(None);
    };
    Ok(cache
        .package(connection_id, &rollout.package_id)?
        .map(|p| format!("{} {}", p.device_type, p.version)))
}

/// The history as CSV (RFC 4180: fields with commas, quotes or line breaks are quoted, quotes
/// doubled), one line per entry in the given order, with a header line.
pub fn history_csv(entries: &[DeviceHistoryEntry]) -> Result<String, DeskError> {
    let mut out = csv::Writer::from_writer(Vec::new());
    let fail = |err: csv::Error| DeskError::internal(format!("could not write the CSV: {err}"));
    out.write_record(CSV_COLUMNS).map_err(fail)?;
    for e in entries {
        let progress = e.progress.map(|p| p.to_string()).unwrap_or_default();
        let seq = e.seq.to_string();
        out.write_record([
            e.at.as_str(),
            e.kind.as_str(),
            e.status.as_deref().unwrap_or(""),
            progress.as_str(),
            e.firmware_version.as_deref().unwrap_or(""),
            e.message.as_deref().unwrap_or(""),
            e.rollout_id.as_deref().unwrap_or(""),
            e.package_id.as_deref().unwrap_or(""),
            e.command_id.as_deref().unwrap_or(""),
            seq.as_str(),
        ])
        .map_err(fail)?;
    }
    let bytes = out
        .into_inner()
        .map_err(|err| DeskError::internal(format!("could not finish the CSV: {err}")))?;
    String::from_utf8(bytes)
        .map_err(|err| DeskError::internal(format!("the CSV is not UTF-8: {err}")))
}

/// A file name for a device's export: `<device name>-history.csv` (the name a person knows it
/// by; its id when it has no name), with anything that is not safe in a file name replaced.
pub fn csv_file_name(device_name: Option<&str>, device_id: &str) -> String {
    let label = device_name
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .unwrap_or(device_id);
    let safe: String = label
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    // A name made of dots only would name a folder, not a file.
    let safe = if safe.chars().all(|c| c == '.') {
        device_id.replace(|c: char| !c.is_ascii_alphanumeric(), "_")
    } else {
        safe
    };
    format!("{safe}-history.csv")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(seq: u64, kind: &str, message: Option<&str>) -> DeviceHistoryEntry {
        DeviceHistoryEntry {
            seq,
            kind: kind.into(),
            rollout_id: Some("rol_1".into()),
            package_id: Some("pkg_1".into()),
            command_id: None,
            status: Some("INSTALL_ERROR".into()),
            message: message.map(Into::into),
            progress: Some(75),
            firmware_version: Some("1.4.2".into()),
            at: format!("2026-03-01T10:00:0{seq}Z"),
        }
    }

    /// Parses CSV back with the csv crate's reader: what a spreadsheet would see.
    fn parse(text: &str) -> Vec<Vec<String>> {
        csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(text.as_bytes())
            .records()
            .map(|r| r.expect("valid CSV").iter().map(str::to_owned).collect())
            .collect()
    }

    #[test]
    fn header_then_one_line_per_entry_in_order() {
        let text =
            history_csv(&[entry(2, "report", Some("ok")), entry(1, "command", None)]).expect("csv");
        let rows = parse(&text);
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0], CSV_COLUMNS);
        assert_eq!(
            rows[1],
            [
                "2026-03-01T10:00:02Z",
                "report",
                "INSTALL_ERROR",
                "75",
                "1.4.2",
                "ok",
                "rol_1",
                "pkg_1",
                "",
                "2"
            ]
        );
        assert_eq!(rows[2][1], "command");
        assert_eq!(rows[2][5], "", "no message is an empty field");
    }

    #[test]
    fn messages_with_commas_quotes_and_newlines_are_quoted_and_survive() {
        let nasty = "Not enough memory (required: 1024MB, available: 512MB).\n\"flash\" said: no";
        let text = history_csv(&[entry(1, "report", Some(nasty))]).expect("csv");
        assert!(
            text.contains("\"Not enough memory (required: 1024MB, available: 512MB).\n\"\"flash\"\" said: no\""),
            "{text}"
        );
        let rows = parse(&text);
        assert_eq!(rows.len(), 2, "the newline stays inside one field");
        assert_eq!(rows[1][5], nasty);
    }

    #[test]
    fn empty_history_is_just_the_header() {
        let text = history_csv(&[]).expect("csv");
        assert_eq!(text, format!("{}\n", CSV_COLUMNS.join(",")));
    }

    fn at(seq: u64, kind: &str, status: Option<&str>, message: Option<&str>) -> DeviceHistoryEntry {
        DeviceHistoryEntry {
            seq,
            kind: kind.into(),
            rollout_id: Some("rol_2".into()),
            package_id: Some("pkg_2".into()),
            command_id: None,
            status: status.map(Into::into),
            message: message.map(Into::into),
            progress: None,
            firmware_version: Some("1.4.2".into()),
            at: format!("2026-03-01T10:00:{seq:02}Z"),
        }
    }

    fn derive(newest_first: &[DeviceHistoryEntry]) -> DeviceOta {
        ota_from_history(
            "dev_1",
            newest_first,
            |p| (p == "pkg_2").then(|| "2.0.0".to_owned()),
            |_| Some("2026-03-01T09:00:00Z".to_owned()),
        )
        .expect("a rollout is named")
    }

    #[test]
    fn an_install_error_after_the_command_is_a_failure_with_its_message() {
        let mut report = at(4, "report", Some("DOWNLOAD_STEP"), None);
        report.progress = Some(50);
        let ota = derive(&[
            at(
                5,
                "report",
                Some("INSTALL_ERROR"),
                Some("Not enough memory"),
            ),
            report,
            at(3, "command_acked", None, None),
            at(2, "command", Some("ota_start"), None),
            at(1, "assigned", None, None),
        ]);
        assert_eq!(ota.ota_status, "failed");
        assert_eq!(ota.rollout_state.as_deref(), Some("failed"));
        assert_eq!(ota.target_version.as_deref(), Some("2.0.0"));
        assert_eq!(ota.last_status.as_deref(), Some("INSTALL_ERROR"));
        assert_eq!(ota.last_message.as_deref(), Some("Not enough memory"));
        assert_eq!(ota.last_update_at.as_deref(), Some("2026-03-01T10:00:05Z"));
        assert_eq!(ota.rollout_id, "rol_2");
    }

    #[test]
    fn installed_target_version_completes_and_steps_are_updating() {
        let mut installed = at(4, "report", Some("INSTALLED_VERSION"), None);
        installed.firmware_version = Some("2.0.0".into());
        let done = derive(&[installed, at(2, "command", Some("ota_start"), None)]);
        assert_eq!(done.ota_status, "completed");

        let mut step = at(3, "report", Some("DOWNLOAD_STEP"), None);
        step.progress = Some(75);
        let busy = derive(&[step, at(2, "command", Some("ota_start"), None)]);
        assert_eq!(busy.ota_status, "updating");
        assert_eq!(busy.progress, Some(75));

        let waiting = derive(&[at(2, "command", Some("ota_start"), None)]);
        assert_eq!(waiting.ota_status, "updating");
        assert_eq!(waiting.rollout_state.as_deref(), Some("command_sent"));
    }

    #[test]
    fn a_failure_before_the_newest_command_is_history_not_state() {
        let ota = derive(&[
            at(6, "command", Some("ota_rollback"), None),
            at(5, "report", Some("INSTALL_ERROR"), Some("old failure")),
            at(2, "command", Some("ota_start"), None),
        ]);
        assert_eq!(ota.ota_status, "updating");
        assert_eq!(ota.last_message, None);
    }

    #[test]
    fn no_rollout_no_record() {
        let mut plain = at(1, "version_changed", None, None);
        plain.rollout_id = None;
        assert!(ota_from_history("d", &[plain], |_| None, |_| None).is_none());
    }

    #[test]
    fn file_names_are_safe() {
        assert_eq!(
            csv_file_name(Some("demo-7"), "dev_01ABC"),
            "demo-7-history.csv"
        );
        assert_eq!(csv_file_name(None, "dev_01ABC"), "dev_01ABC-history.csv");
        assert_eq!(
            csv_file_name(Some("  "), "dev_01ABC"),
            "dev_01ABC-history.csv"
        );
        assert_eq!(csv_file_name(Some("a/../b c"), "d"), "a_.._b_c-history.csv");
        assert_eq!(csv_file_name(Some(".."), "dev/1"), "dev_1-history.csv");
    }
}
