//! `rollout failure-reasons` (a rollout's failures grouped, as the app's reasons panel shows
//! them) and `rollout devices` (its devices: all, one state's, or one reason's), through
//! airlift-desk's `ops::rollout_analytics` and `ops::rollout_devices`, as the app calls them.

use std::time::Duration;

use airlift_core::wire::{FailureReason, RolloutDevice};
use airlift_desk::clock::now_ms;
use airlift_desk::ops::rollout_analytics::Seen;
use airlift_desk::ops::rollout_devices::DeviceWindow;
use airlift_desk::ops::{self, Session};
use airlift_desk::sync::Cached;
use serde_json::json;

use super::cached;
use crate::context::Context;
use crate::exit::{Failure, OK};
use crate::output::{stale_note, Output};

/// `rollout devices`' filters and window.
pub struct DeviceFilter<'a> {
    pub failure_reason: Option<&'a str>,
    pub failure_status: Option<&'a str>,
    pub state: Option<&'a str>,
    pub limit: u32,
    pub offset: u64,
}

/// The failure reasons of rollout `id`, largest first: from the server (and cached), or the
/// cached copy with its age when it is unreachable (not with `--require-fresh`).
pub async fn reasons(out: Output, ctx: &Context, id: &str) -> Result<u8, Failure> {
    let cache = ctx.open_cache()?;
    let session = Session {
        client: &ctx.client,
        cache: &cache,
        connection_id: &ctx.connection_id,
    };
    let seen = ops::rollout_analytics::failures(session, id).await?;
    let reasons = cached::fresh_enough(ctx, as_cached(seen))?;
    let value = json!({
        "rollout_id": id,
        "failure_reasons": reasons.data,
        "fresh": reasons.fresh,
        "age_secs": reasons.age.map(|a| a.as_secs()),
        "offline_reason": reasons.offline_reason,
    });
    out.result(&value, || {
        let mut lines: Vec<String> = stale_note("failure reasons", reasons.fresh, reasons.age)
            .into_iter()
            .collect();
        lines.extend(reasons_table(id, &reasons.data));
        lines.join("\n")
    })?;
    Ok(OK)
}

/// One window of rollout `id`'s devices (the server's rows; they are not cached).
pub async fn devices(
    out: Output,
    ctx: &Context,
    id: &str,
    filter: &DeviceFilter<'_>,
) -> Result<u8, Failure> {
    let cache = ctx.open_cache()?;
    let session = Session {
        client: &ctx.client,
        cache: &cache,
        connection_id: &ctx.connection_id,
    };
    let window = DeviceWindow {
        state: filter.state.map(str::to_owned),
        failure_reason: filter.failure_reason.map(str::to_owned),
        failure_status: filter.failure_status.map(str::to_owned),
        offset: filter.offset,
        limit: filter.limit,
        ..DeviceWindow::default()
    };
    let page = ops::rollout_devices::window(session, id, &window).await?;
    let value = json!({
        "rollout_id": id,
        "devices": page.data,
        "offset": filter.offset,
        "has_more": page.has_more,
    });
    out.result(&value, || {
        devices_table(&page.data, filter, page.has_more).join("\n")
    })?;
    Ok(OK)
}

fn as_cached<T>(seen: Seen<T>) -> Cached<T> {
    let age = seen
        .synced_at_ms
        .map(|at| Duration::from_millis(u64::try_from(now_ms() - at).unwrap_or(0)));
    Cached {
        data: seen.data,
        fresh: seen.fresh,
        age,
        synced_at_ms: seen.synced_at_ms,
        offline_reason: seen.offline_reason,
    }
}

/// Columns padded to their widest cell; the last one is not padded.
fn table(rows: &[Vec<String>]) -> Vec<String> {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|cell| cell.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    rows.iter()
        .map(|r| {
            let cells: Vec<String> = r
                .iter()
                .enumerate()
                .map(|(c, cell)| {
                    if c + 1 == r.len() {
                        cell.clone()
                    } else {
                        format!("{cell:<w$}", w = widths[c])
                    }
                })
                .collect();
            cells.join("  ").trim_end().to_owned()
        })
        .collect()
}

fn reasons_table(id: &str, reasons: &[FailureReason]) -> Vec<String> {
    if reasons.is_empty() {
        return vec![format!("no failed devices in rollout {id}")];
    }
    let devices: u64 = reasons.iter().map(|r| r.count).sum();
    let mut rows = vec![vec![
        "DEVICES".to_owned(),
        "STATUS".to_owned(),
        "SOME OF THEM".to_owned(),
        "REASON".to_owned(),
    ]];
    rows.extend(reasons.iter().map(|r| {
        vec![
            r.count.to_string(),
            r.status.clone(),
            r.sample_device_ids.join(","),
            r.reason.clone(),
        ]
    }));
    let mut lines = vec![format!(
        "{devices} failed {}, {} {}",
        plural(devices, "device", "devices"),
        reasons.len(),
        plural(reasons.len() as u64, "reason", "reasons")
    )];
    lines.extend(table(&rows));
    lines.push(format!(
        "a reason's devices: airlift-cli rollout devices {id} --failure-reason \"REASON\""
    ));
    lines
}

fn devices_table(devices: &[RolloutDevice], filter: &DeviceFilter<'_>, more: bool) -> Vec<String> {
    if devices.is_empty() {
        return vec![match filter.failure_reason {
            Some(reason) => format!("no device failed with {reason:?}"),
            None => "no devices".to_owned(),
        }];
    }
    let mut rows = vec![vec![
        "DEVICE".to_owned(),
        "NAME".to_owned(),
        "STATE".to_owned(),
        "STATUS".to_owned(),
        "MESSAGE".to_owned(),
    ]];
    rows.extend(devices.iter().map(|d| {
        vec![
            d.device_id.clone(),
            d.device_name.clone().unwrap_or_default(),
            d.state.map_or("pending", |s| s.as_str()).to_owned(),
            d.last_status.clone().unwrap_or_default(),
            d.last_message.clone().unwrap_or_default(),
        ]
    }));
    let mut lines = table(&rows);
    if more {
        lines.push(format!(
            "more devices: --offset {}",
            filter.offset + devices.len() as u64
        ));
    }
    lines
}

fn plural<'a>(n: u64, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 {
        one
    } else {
        many
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_read_as_an_aligned_table_with_the_next_step() {
        let reason = |reason: &str, status: &str, count, samples: &[&str]| FailureReason {
            reason: reason.into(),
            status: status.into(),
            count,
            sample_device_ids: samples.iter().map(|s| s.to_string()).collect(),
            example_message: None,
        };
        let lines = reasons_table(
            "rol_1",
            &[
                reason("disk full: <n> MB free", "INSTALL_ERROR", 2, &["d1", "d2"]),
                reason("no verdict in time", "TIMED_OUT", 1, &["d3"]),
            ],
        );
        assert_eq!(lines[0], "3 failed devices, 2 reasons");
        assert_eq!(lines[1], "DEVICES  STATUS         SOME OF THEM  REASON");
        assert_eq!(
            lines[2],
            "2        INSTALL_ERROR  d1,d2         disk full: <n> MB free"
        );
        assert_eq!(
            lines[3],
            "1        TIMED_OUT      d3            no verdict in time"
        );
        assert!(lines[4].contains("rollout devices rol_1 --failure-reason"));
        assert_eq!(
            reasons_table("rol_2", &[]),
            ["no failed devices in rollout rol_2"]
        );
    }
}
