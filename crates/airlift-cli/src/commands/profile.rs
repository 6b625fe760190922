//! `profile list | create`, and `--profile NAME|ID` wherever a profile is named.

use airlift_core::wire::{CreateProfile, Profile};
use airlift_desk::{DeskError, DeskErrorCode};
use serde_json::json;

use super::pages;
use crate::args::ProfileCommand;
use crate::context::Context;
use crate::exit::{Failure, OK};
use crate::output::Output;

pub async fn run(out: Output, ctx: &Context, cmd: &ProfileCommand) -> Result<u8, Failure> {
    match cmd {
        ProfileCommand::List => {
            let profiles = all(ctx).await?;
            out.result(&json!({"profiles": profiles}), || {
                if profiles.is_empty() {
                    return "no profiles (create one with `airlift-cli profile create NAME \
                            --device-type TYPE`)"
                        .to_owned();
                }
                profiles
                    .iter()
                    .map(|p| format!("{}  {}  {}", p.profile_id, p.name, p.device_type))
                    .collect::<Vec<_>>()
                    .join("\n")
            })?;
        }
        ProfileCommand::Create { name, device_type } => {
            let req = CreateProfile {
                name: name.clone(),
                device_type: device_type.clone(),
            };
            let profile = ctx.creating("profile", &req)?.create_profile(&req).await?;
            out.result(&json!({"profile": profile}), || {
                format!(
                    "created profile {} ({}, {})",
                    profile.profile_id, profile.name, profile.device_type
                )
            })?;
        }
    }
    Ok(OK)
}

async fn all(ctx: &Context) -> Result<Vec<Profile>, DeskError> {
    let client = &ctx.client;
    pages::all(
        |p| async move { client.profiles(&p).await },
        |p| p.profile_id.clone(),
    )
    .await
}

/// The profile `wanted` names: its id, or else its (unique) name.
pub async fn resolve(ctx: &Context, wanted: &str) -> Result<Profile, Failure> {
    let profiles = all(ctx).await?;
    if let Some(p) = profiles.iter().find(|p| p.profile_id == wanted) {
        return Ok(p.clone());
    }
    let named: Vec<&Profile> = profiles.iter().filter(|p| p.name == wanted).collect();
    match named.as_slice() {
        [one] => Ok((*one).clone()),
        [] => Err(Failure::Desk(DeskError::new(
            DeskErrorCode::NotFound,
            format!(
                "no profile has the id or name {wanted:?} (`airlift-cli profile list` shows them)"
            ),
        ))),
        many => Err(Failure::usage(format!(
            "{} profiles are named {wanted:?}; give the id of one: {}",
            many.len(),
            many.iter()
                .map(|p| p.profile_id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}
