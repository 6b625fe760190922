//! `devices list | history | create`.

use airlift_core::wire::{CreateDevice, DeviceHistoryEntry};
use airlift_desk::cache::rows::DeviceRow;
use airlift_desk::cache::Collection;
use airlift_desk::ops::devices::devices_starting_with;
use airlift_desk::ops::sync::sync_fleet;
use airlift_desk::ops::{self, Session};
use airlift_desk::sync::sync_device_history;
use serde_json::json;

use super::{cached, profile};
use crate::args::DevicesCommand;
use crate::context::Context;
use crate::exit::{Failure, OK};
use crate::output::{stale_note, Output};

pub async fn run(out: Output, ctx: &Context, cmd: &DevicesCommand) -> Result<u8, Failure> {
    match cmd {
        DevicesCommand::List { prefix, limit } => list(out, ctx, prefix.as_deref(), *limit).await,
        DevicesCommand::History {
            device_id,
            limit,
            csv,
        } => history(out, ctx, device_id, *limit, *csv).await,
        DevicesCommand::Create {
            name,
            profile,
            device_type,
            firmware_version,
        } => {
            let profile = profile::resolve(ctx, profile).await?;
            let req = CreateDevice {
                name: name.clone(),
                profile_id: profile.profile_id.clone(),
                device_type: device_type.clone().unwrap_or(profile.device_type.clone()),
                firmware_version: firmware_version.clone(),
            };
            let created = ctx.creating("device", &req)?.create_device(&req).await?;
            out.result(&json!({"device": created}), || {
                format!(
                    "created device {} ({}) in profile {}\ndevice token (shown once, keep it): {}",
                    created.device.device_id,
                    created.device.name,
                    profile.name,
                    created.device_token
                )
            })?;
            Ok(OK)
        }
    }
}

async fn list(out: Output, ctx: &Context, prefix: Option<&str>, limit: u32) -> Result<u8, Failure> {
    let cache = ctx.open_cache()?;
    let conn = ctx.connection_id.as_str();
    let session = Session {
        client: &ctx.client,
        cache: &cache,
        connection_id: conn,
    };
    let cached = cached::read(ctx, &cache, Collection::Devices, sync_fleet(session), |c| {
        devices_starting_with(c, conn, prefix)
    })
    .await?;
    let total = cached.data.len();
    let devices: Vec<&DeviceRow> = cached.data.iter().take(limit as usize).collect();
    let value = json!({
        "devices": devices,
        "total": total,
        "fresh": cached.fresh,
        "age_secs": cached.age.map(|a| a.as_secs()),
        "offline_reason": cached.offline_reason,
    });
    out.result(&value, || {
        let mut lines: Vec<String> = stale_note("devices", cached.fresh, cached.age)
            .into_iter()
            .collect();
        for d in &devices {
            let ota = match (d.ota_status.as_deref(), d.target_version.as_deref()) {
                (Some(status), Some(target)) if status != "idle" => {
                    let progress = d.progress.map_or(String::new(), |p| format!(" {p}%"));
                    format!("{status} to {target}{progress}")
                }
                (Some(status), _) => status.to_owned(),
                (None, _) => "idle".to_owned(),
            };
            lines.push(format!(
                "{}  {}  {}  version {}  {}{}",
                d.id,
                d.name,
                d.device_type,
                d.firmware_version.as_deref().unwrap_or("unknown"),
                ota,
                d.last_update_at
                    .as_deref()
                    .map_or(String::new(), |at| format!(" (updated {at})"))
            ));
        }
        let shown = devices.len();
        lines.push(match prefix {
            Some(p) if shown < total => format!("{shown} of {total} devices starting with {p:?}"),
            Some(p) => format!("{total} devices starting with {p:?}"),
            None if shown < total => format!("{shown} of {total} devices"),
            None => format!("{total} devices"),
        });
        lines.join("\n")
    })?;
    Ok(OK)
}

async fn history(
    out: Output,
    ctx: &Context,
    device_id: &str,
    limit: u32,
    csv: bool,
) -> Result<u8, Failure> {
    let cache = ctx.open_cache()?;
    let conn = ctx.connection_id.as_str();
    if csv {
        let session = Session {
            client: &ctx.client,
            cache: &cache,
            connection_id: conn,
        };
        let export = ops::history::export_history(session, device_id, Some(limit as usize)).await?;
        let export = cached::fresh_enough(ctx, export)?;
        if let Some(note) = stale_note("history", export.fresh, export.age) {
            eprintln!("airlift-cli: {note}");
        }
        print!("{}", export.data.csv);
        return Ok(OK);
    }
    let cached = cached::read(
        ctx,
        &cache,
        Collection::DeviceHistory,
        sync_device_history(&ctx.client, &cache, conn, device_id, limit as usize),
        |c| Ok(c.device_history(conn, device_id, None, limit)?.items),
    )
    .await?;
    let entries: Vec<DeviceHistoryEntry> = cached
        .data
        .iter()
        .filter_map(|e| serde_json::from_value(e.detail.clone()).ok())
        .collect();
    let value = json!({
        "device_id": device_id,
        "history": entries,
        "fresh": cached.fresh,
        "age_secs": cached.age.map(|a| a.as_secs()),
        "offline_reason": cached.offline_reason,
    });
    out.result(&value, || {
        let mut lines: Vec<String> = stale_note("history", cached.fresh, cached.age)
            .into_iter()
            .collect();
        for e in &entries {
            let mut line = format!("{}  {}", e.at, e.kind);
            for part in [e.status.as_deref(), e.firmware_version.as_deref()]
                .into_iter()
                .flatten()
            {
                line.push_str("  ");
                line.push_str(part);
            }
            if let Some(p) = e.progress {
                line.push_str(&format!("  {p}%"));
            }
            if let Some(m) = e.message.as_deref().filter(|m| !m.is_empty()) {
                line.push_str("  ");
                line.push_str(m);
            }
            lines.push(line);
        }
        if entries.is_empty() {
            lines.push(format!("no history for device {device_id}"));
        }
        lines.join("\n")
    })?;
    Ok(OK)
}
