use std::sync::Mutex;

use airlift_desk::cache::Cache;
use airlift_desk::sync::{sync_devices, sync_packages, sync_rollouts};
use serde_json::json;

use crate::context::Context;
use crate::exit::Failure;
use crate::output::Output;

pub async fn run(out: Output, ctx: &Context, cache: &Mutex<Cache>) -> Result<(), Failure> {
    let packages = sync_packages(&ctx.client, cache, &ctx.connection_id).await?;
    let rollouts = sync_rollouts(&ctx.client, cache, &ctx.connection_id).await?;
    let devices = sync_devices(&ctx.client, cache, &ctx.connection_id).await?;
    let value = json!({"packages": packages, "rollouts": rollouts, "devices": devices});
    out.result(&value, || {
        format!(
            "packages: {} listed, {} changed\nrollouts: {} listed, {} changed\ndevices: {} listed in {} pages, {} changed, {} removed",
            packages.listed, packages.written, rollouts.listed, rollouts.written, devices.listed, devices.pages, devices.written,
            devices.removed
        )
    })
}
