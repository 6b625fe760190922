//! Rollouts: the list (cache first), one rollout's live view, its device table, the start
//! wizard (targets, preview, start) and the operator actions.

use airlift_core::wire::{
    CreateRollout, RetryFailedRollout, Rollout, RolloutStrategy, RolloutSummary,
};
use airlift_desk::cache::{Cache, Collection};
use airlift_desk::client::{Client, ListParams};
use airlift_desk::ops::rollout_devices::DeviceWindow as WindowQuery;
use airlift_desk::ops::{self, Session};
use airlift_desk::role::{role_of, Role};
use airlift_desk::rollouts::{
    can_retry_failed, operator_actions, retryable_failures, rollback_reach,
};
use airlift_desk::sync::{read_through, store_rollout, sync_profiles, sync_rollouts};
use airlift_desk::{DeskError, DeskErrorCode};
use tauri::State;

use crate::dto::rollouts::{
    item, DeviceWindow, DeviceWindowRequest, PlanPreview, RolloutAction, RolloutDetail,
    RolloutDeviceRow, RolloutItem, RolloutList, RolloutPlan, StartedRollout, TargetProfile,
    TransitionEntry,
};
use crate::state::{lock, AppState};

/// The cached rollouts of the active connection, without touching the network.
#[tauri::command]
pub fn rollouts_cached(state: State<'_, AppState>) -> Result<RolloutList, DeskError> {
    let Some(active) = state.active()? else {
        return Ok(empty_list());
    };
    let cache = lock(&state.cache)?;
    Ok(RolloutList {
        rollouts: items(&cache, &active.name, cache.rollout_summaries(&active.name)?),
        fresh: false,
        synced_at_ms: cache.synced_at_ms(&active.name, Collection::Rollouts)?,
        offline_reason: None,
        connection: Some(active.name),
    })
}

/// Syncs the rollouts (incrementally) and answers from the cache; offline, the cached copy.
#[tauri::command]
pub async fn rollouts_refresh(state: State<'_, AppState>) -> Result<RolloutList, DeskError> {
    if state.active()?.is_none() {
        return Ok(empty_list());
    }
    let (name, client) = state.client()?;
    let cache = state.cache.clone();
    let cached = read_through(
        &cache,
        &name,
        Collection::Rollouts,
        sync_rollouts(&client, &cache, &name),
        |c| c.rollout_summaries(&name),
    )
    .await?;
    if cached.fresh {
        // The list names each rollout's profile ("temp-sensor-v2", not its id), offline too.
        if let Err(err) = sync_profiles(&client, &cache, &name).await {
            tracing::debug!(error = %err, "profile names not refreshed");
        }
    }
    let cache = lock(&state.cache)?;
    Ok(RolloutList {
        rollouts: items(&cache, &name, cached.data),
        fresh: cached.fresh,
        synced_at_ms: cached.synced_at_ms,
        offline_reason: cached.offline_reason,
        connection: Some(name.clone()),
    })
}

/// One rollout from the server (saved to the cache); offline, as last seen.
#[tauri::command]
pub async fn rollout_detail(
    state: State<'_, AppState>,
    id: String,
) -> Result<RolloutDetail, DeskError> {
    let (name, client) = state.client()?;
    let role = active_role(&state)?;
    match client.rollout(&id).await {
        Ok(rollout) => {
            store_rollout(&state.cache, &name, &rollout)?;
            let profile = rollout.summary.target_profile_id.as_deref();
            if let Some(profile) = profile {
                // A rollout opened before any list (a notification, a link) still names its
                // profile: the profiles are fetched once when this one is not cached yet.
                let known = lock(&state.cache)?.profile_name(&name, profile)?.is_some();
                if !known {
                    if let Err(err) = sync_profiles(&client, &state.cache, &name).await {
                        tracing::debug!(error = %err, "profile names not refreshed");
                    }
                }
            }
            detail(&state, &name, &rollout, role, None)
        }
        Err(err) if err.code() == DeskErrorCode::Offline => {
            let cached = lock(&state.cache)?.rollout_detail(&name, &id)?;
            match cached {
                Some(rollout) => detail(&state, &name, &rollout, role, Some(err.message())),
                None => Err(err),
            }
        }
        Err(err) => Err(err),
    }
}

/// A window of a rollout's devices, sorted and filtered by the server (airlift-desk's
/// `ops::rollout_devices`, as `airlift-cli rollout devices`).
#[tauri::command]
pub async fn rollout_devices(
    state: State<'_, AppState>,
    request: DeviceWindowRequest,
) -> Result<DeviceWindow, DeskError> {
    let (name, client) = state.client()?;
    let page = ops::rollout_devices::window(
        session(&state, &client, &name),
        &request.rollout_id,
        &WindowQuery {
            state: request.state.clone(),
            sort: Some(request.sort.clone()),
            descending: request.descending,
            offset: u64::from(request.offset),
            limit: request.limit,
            failure_reason: request.failure_reason.clone(),
            failure_status: request.failure_status.clone(),
        },
    )
    .await?;
    let (version, rollback_version) = {
        let cache = lock(&state.cache)?;
        let summary = cache
            .rollout_summaries(&name)?
            .into_iter()
            .find(|r| r.rollout_id == request.rollout_id);
        match summary {
            Some(s) => {
                let rb = rollback_version(&cache, &name, &s);
                (s.package_version, rb)
            }
            None => (String::new(), None),
        }
    };
    Ok(DeviceWindow {
        offset: request.offset,
        has_more: page.has_more,
        rows: page
            .data
            .into_iter()
            .map(|d| RolloutDeviceRow::new(d, &version, rollback_version.as_deref()))
            .collect(),
    })
}

/// The profiles a rollout can target.
#[tauri::command]
pub async fn rollout_targets(state: State<'_, AppState>) -> Result<Vec<TargetProfile>, DeskError> {
    let (name, client) = state.client()?;
    let mut out = Vec::new();
    let mut page = ListParams::new(1000, None);
    loop {
        let list = client.profiles(&page).await?;
        out.extend(list.data.iter().map(|p| TargetProfile {
            id: p.profile_id.clone(),
            name: p.name.clone(),
            device_type: p.device_type.clone(),
        }));
        match list.data.last() {
            Some(last) if list.has_more => page.after = Some(last.profile_id.clone()),
            _ => break,
        }
    }
    let profiles: Vec<(String, String, String)> = out
        .iter()
        .map(|p| (p.id.clone(), p.name.clone(), p.device_type.clone()))
        .collect();
    lock(&state.cache)?.replace_profiles(&name, &profiles)?;
    Ok(out)
}

/// What starting `plan` would do: eligible, scheduled and skipped devices (nothing changes).
#[tauri::command]
pub async fn rollout_preview(
    state: State<'_, AppState>,
    plan: RolloutPlan,
) -> Result<PlanPreview, DeskError> {
    let (_, client) = state.client()?;
    Ok(client.preview_rollout(&request(&plan)?).await?.into())
}

/// Starts `plan`.
#[tauri::command]
pub async fn rollout_start(
    state: State<'_, AppState>,
    plan: RolloutPlan,
) -> Result<StartedRollout, DeskError> {
    let (name, client) = state.client()?;
    let started = ops::rollouts::start(session(&state, &client, &name), &request(&plan)?).await?;
    Ok(started.into())
}

/// Starts a new rollout of the same package over exactly the failed and timed-out devices of
/// the completed rollout `id` (all at once, same threshold); the new one names `id` as its
/// `retry_of`.
#[tauri::command]
pub async fn rollout_retry_failed(
    state: State<'_, AppState>,
    id: String,
) -> Result<StartedRollout, DeskError> {
    let (name, client) = state.client()?;
    let req = RetryFailedRollout::default();
    let started = ops::rollouts::retry_failed(session(&state, &client, &name), &id, &req).await?;
    Ok(started.into())
}

/// Pause, resume, advance (to `canary_percent`) or roll back; answers the rollout afterwards.
#[tauri::command]
pub async fn rollout_act(
    state: State<'_, AppState>,
    id: String,
    action: RolloutAction,
    canary_percent: Option<u32>,
) -> Result<RolloutDetail, DeskError> {
    let (name, client) = state.client()?;
    let role = active_role(&state)?;
    let act = action.act(canary_percent)?;
    let rollout = ops::rollouts::act(session(&state, &client, &name), &id, act).await?;
    detail(&state, &name, &rollout, role, None)
}

fn session<'a>(state: &'a AppState, client: &'a Client, name: &'a str) -> Session<'a> {
    Session {
        client,
        cache: &state.cache,
        connection_id: name,
    }
}

fn request(plan: &RolloutPlan) -> Result<CreateRollout, DeskError> {
    let strategy = RolloutStrategy::parse(&plan.strategy).ok_or_else(|| {
        DeskError::invalid_argument(format!(
            "strategy must be canary, rolling or all_at_once; got {:?}",
            plan.strategy
        ))
    })?;
    let rolling = strategy == RolloutStrategy::Rolling;
    Ok(CreateRollout {
        package_id: plan.package_id.clone(),
        target_profile_id: Some(plan.target_profile_id.clone()),
        canary_percent: (strategy != RolloutStrategy::AllAtOnce).then_some(plan.canary_percent),
        failure_threshold_percent: plan.failure_threshold_percent,
        rollback_package_id: plan.rollback_package_id.clone().filter(|p| !p.is_empty()),
        force: plan.force,
        strategy: Some(strategy),
        batch_percent: if rolling { plan.batch_percent } else { None },
        allow_downgrade: plan.allow_downgrade,
        phases: plan
            .phases
            .as_ref()
            .map(|p| p.iter().copied().map(Into::into).collect()),
        min_devices: plan.min_devices,
        start_at: plan.start_at.clone().filter(|s| !s.trim().is_empty()),
        maintenance_window: plan.maintenance_window.clone().map(Into::into),
        retry: plan.retry.map(Into::into),
        ..CreateRollout::default()
    })
}

fn detail(
    state: &AppState,
    name: &str,
    rollout: &Rollout,
    role: Option<Role>,
    offline_reason: Option<&str>,
) -> Result<RolloutDetail, DeskError> {
    let cache = lock(&state.cache)?;
    let summary = &rollout.summary;
    let actions = operator_actions(summary, role);
    let fresh = offline_reason.is_none();
    Ok(RolloutDetail {
        rollout: one_item(&cache, name, summary),
        transitions: rollout
            .transitions
            .iter()
            .map(TransitionEntry::from)
            .collect(),
        // Offline, nothing can be changed: say so instead of offering buttons that fail.
        actions: if fresh {
            actions
                .allowed
                .into_iter()
                .filter_map(RolloutAction::from_trigger)
                .collect()
        } else {
            Vec::new()
        },
        actions_note: match offline_reason {
            Some(_) => Some("Offline: this is the last copy seen; actions need the server.".into()),
            None => actions.why_not,
        },
        role: role.map(Into::into),
        rollback_reach: rollback_reach(summary),
        retry_failed: if fresh && can_retry_failed(summary, role) {
            retryable_failures(summary)
        } else {
            0
        },
        fresh,
        synced_at_ms: if fresh {
            Some(airlift_desk::clock::now_ms())
        } else {
            cache.synced_at_ms(name, Collection::Rollouts)?
        },
        offline_reason: offline_reason.map(str::to_owned),
    })
}

fn active_role(state: &AppState) -> Result<Option<Role>, DeskError> {
    Ok(state
        .active()?
        .and_then(|a| a.token)
        .as_ref()
        .and_then(role_of))
}

fn rollback_version(cache: &Cache, name: &str, r: &RolloutSummary) -> Option<String> {
    let id = r.rollback_package_id.as_deref()?;
    cache.package(name, id).ok().flatten().map(|p| p.version)
}

/// One rollout as the list shows it (its profile and rollback version named from the cache);
/// the dashboard shows its rollouts the same way.
pub(crate) fn one_item(cache: &Cache, name: &str, r: &RolloutSummary) -> RolloutItem {
    let profile = r
        .target_profile_id
        .as_deref()
        .and_then(|id| cache.profile_name(name, id).ok().flatten());
    item(r, rollback_version(cache, name, r), profile)
}

fn items(cache: &Cache, name: &str, rollouts: Vec<RolloutSummary>) -> Vec<RolloutItem> {
    rollouts.iter().map(|r| one_item(cache, name, r)).collect()
}

fn empty_list() -> RolloutList {
    RolloutList {
        connection: None,
        rollouts: Vec::new(),
        fresh: false,
        synced_at_ms: None,
        offline_reason: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_phased_plan_with_a_schedule_reaches_the_request_whole() {
        // The wizard's JSON, field for field as ui/src/bindings/RolloutPlan.ts spells it.
        let plan: RolloutPlan = serde_json::from_value(serde_json::json!({
            "package_id": "pkg_2", "target_profile_id": "prof_lab", "strategy": "canary",
            "canary_percent": 25, "failure_threshold_percent": 20, "rollback_package_id": "",
            "batch_percent": null, "force": false, "allow_downgrade": false,
            "phases": [{"percent": 25, "soak_seconds": 3600, "min_success_percent": 95},
                       {"percent": 100, "soak_seconds": 0, "min_success_percent": 0}],
            "min_devices": 2, "start_at": "2026-12-24T01:00:00Z",
            "maintenance_window": {"timezone": "Europe/Berlin", "days": ["mon", "fri"],
                                   "start": "22:00", "end": "04:00"},
            "retry": {"max_attempts": 4, "backoff_seconds": 120}
        }))
        .expect("the wizard's plan");
        let req = request(&plan).expect("a request");
        let phases = req.phases.expect("phases");
        assert_eq!(
            (
                phases[0].percent,
                phases[0].soak_seconds,
                phases[0].min_success_percent
            ),
            (25, 3600, 95)
        );
        assert_eq!(phases.len(), 2);
        assert_eq!(req.canary_percent, Some(25));
        assert_eq!(req.min_devices, Some(2));
        assert_eq!(req.start_at.as_deref(), Some("2026-12-24T01:00:00Z"));
        let window = req.maintenance_window.expect("window");
        assert_eq!(window.timezone, "Europe/Berlin");
        assert_eq!(window.days, ["mon", "fri"]);
        let retry = req.retry.expect("retry");
        assert_eq!((retry.max_attempts, retry.backoff_seconds), (4, 120));
        assert_eq!(req.rollback_package_id, None, "an empty choice is none");
    }

    #[test]
    fn a_plan_from_before_phases_still_reads_and_sends_none_of_them() {
        let plan: RolloutPlan = serde_json::from_value(serde_json::json!({
            "package_id": "pkg_2", "target_profile_id": "prof_lab", "strategy": "rolling",
            "canary_percent": 20, "failure_threshold_percent": 10, "rollback_package_id": null,
            "batch_percent": 20, "force": false
        }))
        .expect("an older plan");
        let req = request(&plan).expect("a request");
        assert!(req.phases.is_none() && req.maintenance_window.is_none() && req.retry.is_none());
        assert_eq!((req.min_devices, req.start_at), (None, None));
        assert_eq!(req.batch_percent, Some(20));
        let bad = RolloutPlan {
            strategy: "fast".into(),
            ..plan
        };
        assert!(request(&bad)
            .unwrap_err()
            .to_string()
            .contains("canary, rolling or all_at_once"));
    }
}
