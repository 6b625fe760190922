use std::sync::Mutex;

use airlift_core::wire::{CreateRollout, Rollout};
use airlift_desk::cache::Cache;
use airlift_desk::sync::store_rollout;
use serde_json::json;

use crate::args::RolloutCommand;
use crate::context::Context;
use crate::exit::Failure;
use crate::output::Output;

fn describe(r: &Rollout) -> String {
    let s = &r.summary;
    let c = &s.counters;
    let mut lines = vec![format!(
        "rollout {} of package {} ({}): {:?}, canary {}%, scheduled {} of {} eligible",
        s.rollout_id,
        s.package_id,
        s.package_version,
        s.status,
        s.canary_percent,
        s.scheduled_count,
        s.eligible_count
    )];
    lines.push(format!(
        "devices: {} scheduled, {} command sent, {} in progress, {} successful, {} failed, {} timed out",
        c.scheduled, c.command_sent, c.in_progress, c.successful, c.failed, c.timed_out
    ));
    for t in &r.transitions {
        lines.push(format!(
            "  {}  {:?} -> {:?} ({} by {})",
            t.at, t.from, t.to, t.trigger, t.actor
        ));
    }
    lines.join("\n")
}

pub async fn run(
    out: Output,
    ctx: &Context,
    cache: &Mutex<Cache>,
    cmd: &RolloutCommand,
) -> Result<(), Failure> {
    let client = &ctx.client;
    let rollout = match cmd {
        RolloutCommand::Start {
            package,
            profile,
            canary_percent,
            failure_threshold_percent,
            rollback_package,
            force,
        } => {
            let created = client
                .create_rollout(&CreateRollout {
                    package_id: package.clone(),
                    target_profile_id: Some(profile.clone()),
                    canary_percent: Some(*canary_percent),
                    failure_threshold_percent: *failure_threshold_percent,
                    rollback_package_id: rollback_package.clone(),
                    force: *force,
                    ..CreateRollout::default()
                })
                .await?;
            client.rollout(&created.rollout_id).await?
        }
        RolloutCommand::Status { rollout_id } => client.rollout(rollout_id).await?,
        RolloutCommand::Pause { rollout_id } => client.pause_rollout(rollout_id).await?,
        RolloutCommand::Resume { rollout_id } => client.resume_rollout(rollout_id).await?,
        RolloutCommand::Advance {
            rollout_id,
            canary_percent,
        } => client.advance_rollout(rollout_id, *canary_percent).await?,
        RolloutCommand::Rollback { rollout_id } => client.rollback_rollout(rollout_id).await?,
    };
    store_rollout(cache, &ctx.connection_id, &rollout)?;
    out.result(&json!({"rollout": rollout}), || describe(&rollout))
}
