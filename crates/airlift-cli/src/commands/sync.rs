use airlift_desk::ops::sync::sync_all;
use airlift_desk::ops::Session;
use serde_json::json;

use crate::context::Context;
use crate::exit::{Failure, OK};
use crate::output::Output;

pub async fn run(out: Output, ctx: &Context) -> Result<u8, Failure> {
    let cache = ctx.open_cache()?;
    let session = Session {
        client: &ctx.client,
        cache: &cache,
        connection_id: &ctx.connection_id,
    };
    let synced = sync_all(session).await?;
    let value = json!(synced);
    let (packages, rollouts, devices, states) = (
        &synced.packages,
        &synced.rollouts,
        &synced.devices,
        &synced.device_states,
    );
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
