use airlift_desk::sync::{sync_device_states, sync_devices, sync_packages, sync_rollouts};
use serde_json::json;

use crate::context::Context;
use crate::exit::{Failure, OK};
use crate::output::Output;

pub async fn run(out: Output, ctx: &Context) -> Result<u8, Failure> {
    let cache = ctx.open_cache()?;
    let conn = ctx.connection_id.as_str();
    let packages = sync_packages(&ctx.client, &cache, conn).await?;
    let rollouts = sync_rollouts(&ctx.client, &cache, conn).await?;
    let devices = sync_devices(&ctx.client, &cache, conn).await?;
    let states = sync_device_states(&ctx.client, &cache, conn).await?;
    let value = json!({
        "packages": packages,
        "rollouts": rollouts,
        "devices": devices,
        "device_states": states,
    });
    out.result(&value, || {
        format!(
            "packages: {} listed, {} changed\nrollouts: {} listed, {} changed\ndevices: {} listed \
             in {} pages, {} changed, {} removed\ndevice OTA states: {} listed, {} changed",
            packages.listed,
            packages.written,
            rollouts.listed,
            rollouts.written,
            devices.listed,
            devices.pages,
            devices.written,
            devices.removed,
            states.listed,
            states.written
        )
    })?;
    Ok(OK)
}
