//! Rollouts: the list, one rollout's live view, its devices, and the start wizard.

use airlift_core::device_counters::DeviceCounters;
use airlift_core::rollout::RolloutTrigger;
use airlift_core::wire::{RolloutDevice, RolloutPreview, RolloutSummary, RolloutTransition};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Devices per per-device state (seed 000's scheduled → command sent → successful / failed,
/// plus progress and time-outs).
#[derive(Debug, Clone, Copy, Serialize, TS)]
pub struct DeviceStateCounts {
    pub scheduled: u64,
    pub command_sent: u64,
    pub in_progress: u64,
    pub successful: u64,
    pub failed: u64,
    pub timed_out: u64,
}

impl From<DeviceCounters> for DeviceStateCounts {
    fn from(c: DeviceCounters) -> Self {
        DeviceStateCounts {
            scheduled: c.scheduled,
            command_sent: c.command_sent,
            in_progress: c.in_progress,
            successful: c.successful,
            failed: c.failed,
            timed_out: c.timed_out,
        }
    }
}

/// An operator's action on a rollout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum RolloutAction {
    Pause,
    Resume,
    Advance,
    Rollback,
    Cancel,
}

impl RolloutAction {
    /// The desk's act; advancing needs the new canary percentage.
    pub fn act(
        self,
        canary_percent: Option<u32>,
    ) -> Result<airlift_desk::ops::rollouts::RolloutAct, airlift_desk::DeskError> {
        use airlift_desk::ops::rollouts::RolloutAct;
        Ok(match self {
            RolloutAction::Pause => RolloutAct::Pause,
            RolloutAction::Resume => RolloutAct::Resume,
            RolloutAction::Rollback => RolloutAct::Rollback,
            RolloutAction::Cancel => RolloutAct::Cancel,
            RolloutAction::Advance => RolloutAct::Advance(canary_percent.ok_or_else(|| {
                airlift_desk::DeskError::invalid_argument("advance needs the new canary percentage")
            })?),
        })
    }
    pub fn from_trigger(t: RolloutTrigger) -> Option<RolloutAction> {
        match t {
            RolloutTrigger::Pause => Some(RolloutAction::Pause),
            RolloutTrigger::Resume => Some(RolloutAction::Resume),
            RolloutTrigger::Advance => Some(RolloutAction::Advance),
            RolloutTrigger::Rollback => Some(RolloutAction::Rollback),
            RolloutTrigger::Cancel => Some(RolloutAction::Cancel),
            _ => None,
        }
    }
}

/// One rollout as the list and the view's header show it.
#[derive(Debug, Clone, Serialize, TS)]
pub struct RolloutItem {
    pub id: String,
    /// scheduled, active, paused, rolling_back, completed, cancelled.
    pub status: String,
    /// How a completed rollout ended: succeeded, some_failed, rolled_back (null until then).
    pub outcome: Option<String>,
    /// The rollout whose failed devices this one retries.
    pub retry_of: Option<String>,
    /// Devices on a newer version were included (downgraded).
    pub allow_downgrade: bool,
    pub package_id: String,
    pub package_version: String,
    pub rollback_package_id: Option<String>,
    /// The rollback package's version when the catalog knows it.
    pub rollback_version: Option<String>,
    /// The target profile's name when known, else its id, else "N devices".
    pub target: String,
    /// canary, rolling, all_at_once.
    pub strategy: String,
    pub canary_percent: u32,
    pub failure_threshold_percent: u32,
    pub batch_percent: Option<u32>,
    pub force: bool,
    pub eligible_count: u64,
    /// Devices in the slice so far (every state).
    pub in_slice: u64,
    /// Eligible devices the slice does not cover yet.
    pub pending: u64,
    pub skipped_count: u64,
    pub counters: DeviceStateCounts,
    /// The rollback commands' states, once rolling back.
    pub rollback_counters: Option<DeviceStateCounts>,
    /// Failed and timed-out devices per 100 in the slice (what auto-pause compares).
    pub failure_rate_percent: f64,
    /// The failure rate is at or above the threshold: Advance and Resume ask first.
    pub at_or_above_threshold: bool,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
    /// A scheduled rollout's start (RFC 3339); null when it started at creation.
    pub start_at: Option<String>,
    /// Verdicts (succeeded, failed, timed out) before the failure threshold applies.
    pub min_devices: u64,
    /// Verdicts so far.
    pub verdicts: u64,
    /// The failure threshold applies now (`verdicts` reached `min_devices`).
    pub threshold_armed: bool,
    /// A phased rollout's phase and what it waits for; null without phases.
    pub phase: Option<PhaseView>,
    /// When devices may be told to start, if limited.
    pub maintenance_window: Option<WindowView>,
    /// Per-device retries, if any.
    pub retry: Option<RetryView>,
}

/// Where a phased rollout stands (airlift-desk's `rollout_gates`, over airlift-core's gate).
#[derive(Debug, Clone, Serialize, TS)]
pub struct PhaseView {
    /// 0-based.
    pub index: u32,
    pub count: u32,
    /// The slice this phase holds, in percent.
    pub percent: u32,
    pub soak_seconds: u64,
    pub min_success_percent: u32,
    /// Succeeded devices per 100 in the slice now.
    pub success_percent: f64,
    pub next_percent: Option<u32>,
    /// last, waiting, held, soaking; null while nothing advances by itself (not active).
    pub gate: Option<String>,
    /// Waiting: devices of the slice without a verdict.
    pub undecided: u64,
    /// Held: succeeded devices, and how many must have.
    pub succeeded: u64,
    pub needed: u64,
    /// When the server advances it (RFC 3339), once the gate is open.
    pub next_advance_at: Option<String>,
}

impl From<airlift_desk::rollout_gates::PhaseProgress> for PhaseView {
    fn from(p: airlift_desk::rollout_gates::PhaseProgress) -> Self {
        use airlift_desk::rollout_gates::Gate;
        let (gate, undecided, succeeded, needed) = match p.gate {
            None => (None, 0, 0, 0),
            Some(Gate::Last) => (Some("last"), 0, 0, 0),
            Some(Gate::Waiting { undecided }) => (Some("waiting"), undecided, 0, 0),
            Some(Gate::Held { succeeded, needed }) => (Some("held"), 0, succeeded, needed),
            Some(Gate::Soaking) => (Some("soaking"), 0, 0, 0),
        };
        PhaseView {
            index: u32::try_from(p.index).unwrap_or(u32::MAX),
            count: u32::try_from(p.count).unwrap_or(u32::MAX),
            percent: p.percent,
            soak_seconds: p.soak_seconds,
            min_success_percent: p.min_success_percent,
            success_percent: p.success_percent,
            next_percent: p.next_percent,
            gate: gate.map(str::to_owned),
            undecided,
            succeeded,
            needed,
            next_advance_at: p.next_advance_at,
        }
    }
}

/// A maintenance window as the rollout was created with it.
#[derive(Debug, Clone, Serialize, TS)]
pub struct WindowView {
    /// IANA name, e.g. Europe/Berlin.
    pub timezone: String,
    /// mon … sun.
    pub days: Vec<String>,
    /// HH:MM local.
    pub start: String,
    pub end: String,
}

/// Per-device retries.
#[derive(Debug, Clone, Serialize, TS)]
pub struct RetryView {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// The wait before the second attempt; it doubles for each further one.
    pub backoff_seconds: u64,
}

/// The rollouts of the active connection, with how old the copy is.
#[derive(Debug, Clone, Serialize, TS)]
pub struct RolloutList {
    pub connection: Option<String>,
    pub rollouts: Vec<RolloutItem>,
    pub fresh: bool,
    pub synced_at_ms: Option<i64>,
    pub offline_reason: Option<String>,
}

/// One status change: seed 000's edge, who took it and when.
#[derive(Debug, Clone, Serialize, TS)]
pub struct TransitionEntry {
    pub from: Option<String>,
    pub to: String,
    /// start, pause, auto_pause, resume, advance, rollback, all_succeeded, rollback_finished.
    pub trigger: String,
    /// The token's subject, or "system" (auto-pause, completion).
    pub actor: String,
    pub actor_role: String,
    pub canary_percent: u32,
    pub at: String,
}

impl From<&RolloutTransition> for TransitionEntry {
    fn from(t: &RolloutTransition) -> Self {
        TransitionEntry {
            from: t.from.map(|s| s.as_str().to_owned()),
            to: t.to.as_str().to_owned(),
            trigger: t.trigger.clone(),
            actor: t.actor.clone(),
            actor_role: t.actor_role.clone(),
            canary_percent: t.canary_percent,
            at: t.at.clone(),
        }
    }
}

/// One rollout with everything its screen shows, and what this connection may do to it.
#[derive(Debug, Clone, Serialize, TS)]
pub struct RolloutDetail {
    pub rollout: RolloutItem,
    /// Oldest first.
    pub transitions: Vec<TransitionEntry>,
    /// The operator actions open now: allowed by the state machine and by the token's role.
    pub actions: Vec<RolloutAction>,
    /// Why actions the state machine allows are withheld (the role), or why none exist.
    pub actions_note: Option<String>,
    /// The token's role (admin, release-manager, support) when the desk can read it.
    pub role: Option<super::Role>,
    /// Devices a rollback sends the rollback package to.
    pub rollback_reach: u64,
    /// Failed and timed-out devices a "Retry failed devices" would target now; 0 when the
    /// action is not open (not completed, rolled back, nothing failed, or a read-only role).
    pub retry_failed: u64,
    pub fresh: bool,
    pub synced_at_ms: Option<i64>,
    pub offline_reason: Option<String>,
}

/// Which rows of a rollout's device table to fetch.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct DeviceWindowRequest {
    pub rollout_id: String,
    /// A device state, `pending`, or null for all.
    pub state: Option<String>,
    /// position, device, state, progress, updated.
    pub sort: String,
    pub descending: bool,
    pub offset: u32,
    pub limit: u32,
    /// Only the devices of one failure group: its reason and status as the failure reasons
    /// list them (null for every device).
    #[serde(default)]
    pub failure_reason: Option<String>,
    #[serde(default)]
    pub failure_status: Option<String>,
}

/// One device of a rollout's table.
#[derive(Debug, Clone, Serialize, TS)]
pub struct RolloutDeviceRow {
    pub device_id: String,
    pub name: Option<String>,
    /// The version the device runs now.
    pub current_version: Option<String>,
    /// What this rollout asks it to run (the rollback version once it is rolled back).
    pub target_version: String,
    /// The device's state in the rollout (null: not in the slice yet, "pending").
    pub state: Option<String>,
    pub rollback_state: Option<String>,
    pub progress: Option<u32>,
    pub last_status: Option<String>,
    pub last_message: Option<String>,
    pub updated_at: String,
}

impl RolloutDeviceRow {
    pub fn new(d: RolloutDevice, version: &str, rollback_version: Option<&str>) -> Self {
        let target = match (&d.rollback_state, rollback_version) {
            (Some(_), Some(v)) => v.to_owned(),
            _ => version.to_owned(),
        };
        RolloutDeviceRow {
            device_id: d.device_id,
            name: d.device_name,
            current_version: d.firmware_version.or(d.reported_version),
            target_version: target,
            state: d.state.map(|s| s.as_str().to_owned()),
            rollback_state: d.rollback_state.map(|s| s.as_str().to_owned()),
            progress: d.progress,
            last_status: d.last_status,
            last_message: d.last_message,
            updated_at: d.updated_at,
        }
    }
}

/// A window of device rows.
#[derive(Debug, Clone, Serialize, TS)]
pub struct DeviceWindow {
    pub offset: u32,
    pub rows: Vec<RolloutDeviceRow>,
    pub has_more: bool,
}

/// A profile the wizard can target.
#[derive(Debug, Clone, Serialize, TS)]
pub struct TargetProfile {
    pub id: String,
    pub name: String,
    pub device_type: String,
}

/// The wizard's request, for a preview and for the start.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct RolloutPlan {
    pub package_id: String,
    pub target_profile_id: String,
    /// canary, rolling, all_at_once.
    pub strategy: String,
    pub canary_percent: u32,
    pub failure_threshold_percent: u32,
    pub rollback_package_id: Option<String>,
    pub batch_percent: Option<u32>,
    pub force: bool,
    /// Include devices that run a newer version (otherwise skipped as would_downgrade).
    #[serde(default)]
    pub allow_downgrade: bool,
    /// A phased plan (with the canary strategy): it advances itself phase by phase.
    #[serde(default)]
    pub phases: Option<Vec<PlanPhase>>,
    /// Verdicts needed before the failure threshold applies (null: from the first).
    #[serde(default)]
    pub min_devices: Option<u64>,
    /// RFC 3339, in the future: the rollout waits, scheduled, until then (null: now).
    #[serde(default)]
    pub start_at: Option<String>,
    /// Devices are told to start only inside this window.
    #[serde(default)]
    pub maintenance_window: Option<PlanWindow>,
    /// Per-device retries with exponential backoff.
    #[serde(default)]
    pub retry: Option<PlanRetry>,
}

/// One phase of a phased plan (airlift-core `Phase`).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, TS)]
pub struct PlanPhase {
    /// The slice once this phase is reached, in percent of the eligible devices.
    pub percent: u32,
    /// The wait after the slice's last verdict before the next phase.
    pub soak_seconds: u64,
    /// The share of the slice that must succeed to move on (the health gate).
    pub min_success_percent: u32,
}

impl From<PlanPhase> for airlift_core::phases::Phase {
    fn from(p: PlanPhase) -> Self {
        airlift_core::phases::Phase {
            percent: p.percent,
            soak_seconds: p.soak_seconds,
            min_success_percent: p.min_success_percent,
        }
    }
}

impl From<airlift_core::phases::Phase> for PlanPhase {
    fn from(p: airlift_core::phases::Phase) -> Self {
        PlanPhase {
            percent: p.percent,
            soak_seconds: p.soak_seconds,
            min_success_percent: p.min_success_percent,
        }
    }
}

/// A named phase plan the wizard offers (airlift-core `phases::presets`, the one list; the UI
/// reads it from the generated `ui/src/bindings/phasePresets.ts`).
#[derive(Debug, Clone, Serialize, TS)]
pub struct PhasePreset {
    /// Its name, as `airlift-cli rollout start --preset` takes it.
    pub name: String,
    pub label: String,
    /// One sentence on what the plan does.
    pub hint: String,
    pub phases: Vec<PlanPhase>,
}

impl From<airlift_core::phases::PhasePreset> for PhasePreset {
    fn from(p: airlift_core::phases::PhasePreset) -> Self {
        PhasePreset {
            name: p.name.to_owned(),
            label: p.label.to_owned(),
            hint: p.hint.to_owned(),
            phases: p.phases.into_iter().map(Into::into).collect(),
        }
    }
}

/// A maintenance window (airlift-core `MaintenanceWindow`).
#[derive(Debug, Clone, Deserialize, TS)]
pub struct PlanWindow {
    /// IANA time zone name, e.g. Europe/Berlin.
    pub timezone: String,
    /// mon, tue, wed, thu, fri, sat, sun.
    pub days: Vec<String>,
    /// HH:MM local opening time.
    pub start: String,
    /// HH:MM local closing time (before start: the next morning).
    pub end: String,
}

impl From<PlanWindow> for airlift_core::maintenance_window::MaintenanceWindow {
    fn from(w: PlanWindow) -> Self {
        airlift_core::maintenance_window::MaintenanceWindow {
            timezone: w.timezone,
            days: w.days,
            start: w.start,
            end: w.end,
        }
    }
}

/// Per-device retries (airlift-core `RetryPolicy`).
#[derive(Debug, Clone, Copy, Deserialize, TS)]
pub struct PlanRetry {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// The wait before the second attempt; it doubles for each further one.
    pub backoff_seconds: u64,
}

impl From<PlanRetry> for airlift_core::retry_policy::RetryPolicy {
    fn from(r: PlanRetry) -> Self {
        airlift_core::retry_policy::RetryPolicy {
            max_attempts: r.max_attempts,
            backoff_seconds: r.backoff_seconds,
        }
    }
}

/// Why some devices of the profile are left out.
#[derive(Debug, Clone, Serialize, TS)]
pub struct SkipGroup {
    /// wrong_device_type, below_min_version, already_on_version, unparsable_version,
    /// would_downgrade.
    pub reason: String,
    /// A sentence for people.
    pub description: String,
    pub count: u64,
}

/// What starting the plan would do.
#[derive(Debug, Clone, Serialize, TS)]
pub struct PlanPreview {
    pub eligible: u64,
    /// Devices that get the update command at start.
    pub scheduled: u64,
    pub skipped: u64,
    pub skipped_by_reason: Vec<SkipGroup>,
    /// Up to 20 skipped device ids, for a closer look.
    pub skipped_examples: Vec<String>,
    pub canary_percent: u32,
    /// Devices that run a newer version than the package's, skipped unless the plan allows a
    /// downgrade (0 when it does: they are then eligible).
    pub would_downgrade: u64,
    /// An unfinished rollout that already targets some of these devices: starting this plan
    /// would be refused until it completes.
    pub conflicting_rollout_id: Option<String>,
    /// A phased plan: the devices each phase's slice will hold (null without phases).
    pub phase_sizes: Option<Vec<u64>>,
    /// With a maintenance window: when it next opens (RFC 3339) from the start.
    pub window_opens_at: Option<String>,
}

impl From<RolloutPreview> for PlanPreview {
    fn from(p: RolloutPreview) -> Self {
        let would_downgrade = p
            .skipped_by_reason
            .iter()
            .filter(|(reason, _)| {
                parse_skip(reason) == Some(airlift_core::eligibility::SkipReason::WouldDowngrade)
            })
            .map(|(_, n)| *n)
            .sum();
        let skipped_by_reason = p
            .skipped_by_reason
            .into_iter()
            .map(|(reason, count)| SkipGroup {
                description: describe_skip(&reason),
                reason,
                count,
            })
            .collect();
        PlanPreview {
            eligible: p.eligible_count,
            scheduled: p.scheduled_count,
            skipped: p.skipped_count,
            skipped_by_reason,
            skipped_examples: p
                .skipped
                .into_iter()
                .take(20)
                .map(|s| s.device_id)
                .collect(),
            canary_percent: p.canary_percent,
            would_downgrade,
            conflicting_rollout_id: p.conflicting_rollout_id,
            phase_sizes: p.phase_sizes,
            window_opens_at: p.window_opens_at,
        }
    }
}

fn parse_skip(reason: &str) -> Option<airlift_core::eligibility::SkipReason> {
    serde_json::from_value(serde_json::Value::String(reason.to_owned())).ok()
}

fn describe_skip(reason: &str) -> String {
    parse_skip(reason)
        .map(|r| r.describe().to_owned())
        .unwrap_or_else(|| reason.replace('_', " "))
}

/// A started rollout.
#[derive(Debug, Clone, Serialize, TS)]
pub struct StartedRollout {
    pub id: String,
    pub scheduled: u64,
    pub eligible: u64,
}

impl From<airlift_desk::ops::rollouts::Started> for StartedRollout {
    fn from(s: airlift_desk::ops::rollouts::Started) -> Self {
        StartedRollout {
            id: s.created.rollout_id,
            scheduled: s.created.scheduled_count,
            eligible: s.created.eligible_count,
        }
    }
}

/// Builds a list item; `names` resolves package and profile ids to what people read.
pub fn item(
    r: &RolloutSummary,
    rollback_version: Option<String>,
    profile_name: Option<String>,
) -> RolloutItem {
    use airlift_desk::rollouts::{at_or_above_threshold, failure_rate_percent, pending_count};
    let (verdicts, threshold_armed) = airlift_desk::rollout_gates::threshold_armed(r);
    let target = match (&r.target_profile_id, profile_name) {
        (_, Some(name)) => name,
        (Some(id), None) => id.clone(),
        (None, None) => format!("{} devices", r.eligible_count + r.skipped_count),
    };
    RolloutItem {
        id: r.rollout_id.clone(),
        status: r.status.as_str().to_owned(),
        outcome: r.outcome.map(|o| o.as_str().to_owned()),
        retry_of: r.retry_of.clone(),
        allow_downgrade: r.allow_downgrade,
        package_id: r.package_id.clone(),
        package_version: r.package_version.clone(),
        rollback_package_id: r.rollback_package_id.clone(),
        rollback_version,
        target,
        strategy: r.strategy.as_str().to_owned(),
        canary_percent: r.canary_percent,
        failure_threshold_percent: r.failure_threshold_percent,
        batch_percent: r.batch_percent,
        force: r.force,
        eligible_count: r.eligible_count,
        in_slice: r.counters.total(),
        pending: pending_count(r),
        skipped_count: r.skipped_count,
        counters: r.counters.into(),
        rollback_counters: r.rollback_counters.map(Into::into),
        failure_rate_percent: failure_rate_percent(r),
        at_or_above_threshold: at_or_above_threshold(r),
        created_by: r.created_by.clone(),
        created_at: r.created_at.clone(),
        updated_at: r.updated_at.clone(),
        start_at: r.start_at.clone(),
        min_devices: r.min_devices,
        verdicts,
        threshold_armed,
        phase: airlift_desk::rollout_gates::phase_progress(r).map(Into::into),
        maintenance_window: r.maintenance_window.as_ref().map(|w| WindowView {
            timezone: w.timezone.clone(),
            days: w.days.clone(),
            start: w.start.clone(),
            end: w.end.clone(),
        }),
        retry: r.retry.map(|p| RetryView {
            max_attempts: p.max_attempts,
            backoff_seconds: p.backoff_seconds,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_preview_counts_the_devices_a_downgrade_would_take_and_names_the_conflict() {
        let preview: RolloutPreview = serde_json::from_value(serde_json::json!({
            "strategy": "canary", "canary_percent": 10, "eligible_count": 43,
            "scheduled_count": 5, "skipped_count": 217,
            "skipped_by_reason": { "would_downgrade": 215, "below_min_version": 2 },
            "skipped": [], "conflicting_rollout_id": "rol_7"
        }))
        .expect("a preview");
        let plan = PlanPreview::from(preview);
        assert_eq!(plan.would_downgrade, 215);
        assert_eq!(plan.conflicting_rollout_id.as_deref(), Some("rol_7"));
        let downgrade = plan
            .skipped_by_reason
            .iter()
            .find(|g| g.reason == "would_downgrade")
            .expect("the group");
        assert!(
            downgrade.description.contains("newer version"),
            "{downgrade:?}"
        );
    }

    #[test]
    fn a_preview_without_newer_devices_or_conflict_says_none() {
        let preview: RolloutPreview = serde_json::from_value(serde_json::json!({
            "strategy": "canary", "canary_percent": 10, "eligible_count": 40,
            "scheduled_count": 4, "skipped_count": 0, "skipped_by_reason": {}, "skipped": []
        }))
        .expect("a preview from a server that predates the conflict field");
        let plan = PlanPreview::from(preview);
        assert_eq!(plan.would_downgrade, 0);
        assert_eq!(plan.conflicting_rollout_id, None);
    }
}
