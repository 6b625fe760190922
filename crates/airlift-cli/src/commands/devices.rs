use std::sync::Mutex;

use airlift_desk::cache::{Cache, Collection, DeviceQuery};
use airlift_desk::sync::{read_through, sync_device_history, sync_devices};
use serde_json::json;

use crate::context::Context;
use crate::exit::Failure;
use crate::output::{age, Output};

pub async fn list(
    out: Output,
    ctx: &Context,
    cache: &Mutex<Cache>,
    prefix: Option<String>,
    limit: u32,
) -> Result<(), Failure> {
    let conn = ctx.connection_id.as_str();
    let query = DeviceQuery {
        prefix,
        limit,
        ..DeviceQuery::default()
    };
    let cached = read_through(
        cache,
        conn,
        Collection::Devices,
        sync_devices(&ctx.client, cache, conn),
        |c| Ok((c.list_devices(conn, &query)?.items, c.count_devices(conn)?)),
    )
    .await?;
    let (devices, total) = &cached.data;
    let value = json!({
        "devices": devices,
        "total": total,
        "fresh": cached.fresh,
        "age_secs": cached.age.map(|a| a.as_secs()),
        "offline_reason": cached.offline_reason,
    });
    out.result(&value, || {
        let mut lines = Vec::new();
        if !cached.fresh {
            lines.push(format!(
                "offline: showing cached devices ({})",
                age(cached.age)
            ));
        }
        for d in devices {
            lines.push(format!(
                "{}  {}  {}  {}",
                d.id,
                d.name,
                d.device_type,
                d.firmware_version.as_deref().unwrap_or("-")
            ));
        }
        lines.push(format!("{total} devices"));
        lines.join("\n")
    })
}

pub async fn history(
    out: Output,
    ctx: &Context,
    cache: &Mutex<Cache>,
    device_id: &str,
    limit: u32,
) -> Result<(), Failure> {
    let conn = ctx.connection_id.as_str();
    let cached = read_through(
        cache,
        conn,
        Collection::DeviceHistory,
        sync_device_history(&ctx.client, cache, conn, device_id, limit as usize),
        |c| Ok(c.device_history(conn, device_id, None, limit)?.items),
    )
    .await?;
    let entries: Vec<&serde_json::Value> = cached.data.iter().map(|e| &e.detail).collect();
    let value = json!({
        "device_id": device_id,
        "history": entries,
        "fresh": cached.fresh,
        "age_secs": cached.age.map(|a| a.as_secs()),
        "offline_reason": cached.offline_reason,
    });
    out.result(&value, || {
        let mut lines = Vec::new();
        if !cached.fresh {
            lines.push(format!(
                "offline: showing cached history ({})",
                age(cached.age)
            ));
        }
        for e in &cached.data {
            let d = &e.detail;
            lines.push(format!(
                "{}  {}  {}  {}",
                e.at,
                d["kind"].as_str().unwrap_or(""),
                d["status"].as_str().unwrap_or(""),
                d["message"].as_str().unwrap_or("")
            ));
        }
        lines.join("\n")
    })
}
