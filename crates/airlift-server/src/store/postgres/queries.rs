//! Rollout reads: the row with its counters, a rollout with its history, rollout lists,
//! per-device rows, device history and persisted events.

use airlift_core::device_counters::DeviceCounters;
use airlift_core::device_state::DeviceRolloutState;
use airlift_core::rollout::{RolloutOutcome, RolloutStatus};
use airlift_core::wire::{
    DeviceHistoryEntry, Rollout, RolloutDevice, RolloutEventData, RolloutStrategy, RolloutSummary,
    RolloutTransition, SkippedDevice,
};
use deadpool_postgres::GenericClient;
use tokio_postgres::Row;

use super::{i64_of, one, opt, page_of, rows, u32_of, u64_of, ApiError, StoreResult};
use crate::store::rollout_port::RolloutRow;
use crate::store::{
    DeviceStateFilter, FailureFilter, Page, PageOf, RolloutDeviceListing, RolloutDeviceSort,
    RolloutFilter,
};

pub const ROLLOUT_COLUMNS: &str = "id, tenant_id, package_id, rollback_package_id, target_profile_id, target_kind,
    strategy, status, canary_percent, failure_threshold_percent, batch_percent, min_batch_success_percent,
    force, device_timeout_seconds, skipped_count, version, change_seq, created_by, created_at, updated_at,
    target_count, n_scheduled, n_command_sent, n_in_progress, n_successful, n_failed, n_timed_out,
    outcome, retry_of, allow_downgrade, start_at, start_at_unix, phases_json, last_verdict_unix,
    next_advance_unix, min_devices, retry_max_attempts, retry_backoff_seconds, window_json";

pub fn rollout_row(r: &Row) -> StoreResult<RolloutRow> {
    let strategy: String = r.get(6);
    let status: String = r.get(7);
    Ok(RolloutRow {
        id: r.get(0),
        tenant_id: r.get(1),
        package_id: r.get(2),
        rollback_package_id: r.get(3),
        target_profile_id: r.get(4),
        target_kind: r.get(5),
        strategy: RolloutStrategy::parse(&strategy).ok_or_else(|| {
            ApiError::internal(format!("stored strategy {strategy:?} is unknown"))
        })?,
        status: status.parse()?,
        canary_percent: u32_of(r.get(8)),
        failure_threshold_percent: u32_of(r.get(9)),
        batch_percent: r.get::<_, Option<i64>>(10).map(u32_of),
        min_batch_success_percent: r.get::<_, Option<i64>>(11).map(u32_of),
        force: r.get(12),
        device_timeout_seconds: u64_of(r.get(13)),
        skipped_count: u64_of(r.get(14)),
        version: u64_of(r.get(15)),
        change_seq: u64_of(r.get(16)),
        created_by: r.get(17),
        created_at: r.get(18),
        updated_at: r.get(19),
        target_count: u64_of(r.get(20)),
        counters: DeviceCounters {
            scheduled: u64_of(r.get(21)),
            command_sent: u64_of(r.get(22)),
            in_progress: u64_of(r.get(23)),
            successful: u64_of(r.get(24)),
            failed: u64_of(r.get(25)),
            timed_out: u64_of(r.get(26)),
        },
        outcome: r
            .get::<_, Option<String>>(27)
            .map(|o| o.parse::<RolloutOutcome>())
            .transpose()?,
        retry_of: r.get(28),
        allow_downgrade: r.get(29),
        start_at: r.get(30),
        start_at_unix: r.get(31),
        phases_json: r.get(32),
        last_verdict_unix: r.get(33),
        next_advance_unix: r.get(34),
        min_devices: u64_of(r.get(35)),
        retry: match (r.get::<_, Option<i64>>(36), r.get::<_, Option<i64>>(37)) {
            (Some(max), Some(backoff)) => Some(airlift_core::retry_policy::RetryPolicy {
                max_attempts: u32_of(max),
                backoff_seconds: u64_of(backoff),
            }),
            _ => None,
        },
        window_json: r.get(38),
    })
}

/// The rollout row; with `lock`, locked until the transaction ends (the engine's write units:
/// changes to one rollout queue on its row).
pub async fn load_row(
    c: &impl GenericClient,
    tenant: &str,
    id: &str,
    lock: bool,
) -> StoreResult<Option<RolloutRow>> {
    opt(c, &row_sql(lock), &[&tenant, &id])
        .await?
        .as_ref()
        .map(rollout_row)
        .transpose()
}

/// Whether the tenant has rollout `id`: its primary key alone, never the row's wide columns
/// (its skipped-device list is TOASTed, and read back whole with the row).
pub async fn rollout_exists(c: &impl GenericClient, tenant: &str, id: &str) -> StoreResult<bool> {
    Ok(opt(
        c,
        "SELECT 1 FROM rollouts WHERE id = $2 AND tenant_id = $1",
        &[&tenant, &id],
    )
    .await?
    .is_some())
}

/// [`load_row`]'s statement (`$1` the tenant, `$2` the rollout), for a caller that sends it
/// along with others.
pub fn row_sql(lock: bool) -> String {
    if lock {
        format!(
            "SELECT {ROLLOUT_COLUMNS} FROM rollouts WHERE tenant_id = $1 AND id = $2 FOR UPDATE"
        )
    } else {
        format!("SELECT {ROLLOUT_COLUMNS} FROM rollouts WHERE tenant_id = $1 AND id = $2")
    }
}

pub fn parse_state(s: &str) -> Option<DeviceRolloutState> {
    DeviceRolloutState::ALL
        .into_iter()
        .find(|st| st.as_str() == s)
}

/// Counts of the rollback track's states, or `None` before any rollback command.
pub async fn rollback_counters(
    c: &impl GenericClient,
    rollout: &str,
) -> StoreResult<Option<DeviceCounters>> {
    let found = rows(
        c,
        "SELECT rollback_state FROM rollout_targets
         WHERE rollout_id = $1 AND rollback_state IS NOT NULL",
        &[&rollout],
    )
    .await?;
    if found.is_empty() {
        return Ok(None);
    }
    Ok(Some(DeviceCounters::from_states(
        found.iter().filter_map(|r| parse_state(r.get(0))),
    )))
}

async fn summary(c: &impl GenericClient, row: RolloutRow) -> StoreResult<RolloutSummary> {
    let counters = row.counters;
    let rollback = rollback_counters(c, &row.id).await?;
    let version = super::catalog::package_version(c, &row.package_id).await?;
    let phase = row.phase_view();
    Ok(RolloutSummary {
        rollout_id: row.id,
        package_id: row.package_id,
        package_version: version,
        rollback_package_id: row.rollback_package_id,
        target_profile_id: row.target_profile_id,
        target_kind: row.target_kind,
        strategy: row.strategy,
        status: row.status,
        outcome: row.outcome,
        retry_of: row.retry_of,
        canary_percent: row.canary_percent,
        failure_threshold_percent: row.failure_threshold_percent,
        batch_percent: row.batch_percent,
        min_batch_success_percent: row.min_batch_success_percent,
        force: row.force,
        allow_downgrade: row.allow_downgrade,
        start_at: row.start_at,
        phases: phase.phases,
        current_phase: phase.current_phase,
        next_advance_at: phase.next_advance_at,
        min_devices: row.min_devices,
        retry: row.retry,
        maintenance_window: row
            .window_json
            .as_deref()
            .and_then(|j| serde_json::from_str(j).ok()),
        device_timeout_seconds: row.device_timeout_seconds,
        eligible_count: row.target_count,
        scheduled_count: counters.total(),
        skipped_count: row.skipped_count,
        counters,
        rollback_counters: rollback,
        allowed_actions: row.status.operator_actions(),
        version: row.version,
        change_seq: row.change_seq,
        created_by: row.created_by,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

pub async fn rollout(
    c: &impl GenericClient,
    tenant: &str,
    id: &str,
) -> StoreResult<Option<Rollout>> {
    let Some(row) = load_row(c, tenant, id, false).await? else {
        return Ok(None);
    };
    let skipped = skipped_devices(c, id).await?;
    let found = rows(
        c,
        "SELECT seq, from_status, to_status, trigger, actor, actor_role, canary_percent, at
         FROM rollout_transitions WHERE rollout_id = $1 ORDER BY seq",
        &[&id],
    )
    .await?;
    let mut transitions = Vec::with_capacity(found.len());
    for r in &found {
        let from: Option<String> = r.get(1);
        let to: String = r.get(2);
        transitions.push(RolloutTransition {
            seq: u64_of(r.get(0)),
            from: from
                .as_deref()
                .map(str::parse::<RolloutStatus>)
                .transpose()?,
            to: to.parse()?,
            trigger: r.get(3),
            actor: r.get(4),
            actor_role: r.get(5),
            canary_percent: u32_of(r.get(6)),
            at: r.get(7),
        });
    }
    Ok(Some(Rollout {
        summary: summary(c, row).await?,
        skipped,
        transitions,
    }))
}

/// The devices rollout `id` left out, stored beside its row.
async fn skipped_devices(c: &impl GenericClient, id: &str) -> StoreResult<Vec<SkippedDevice>> {
    let Some(r) = opt(
        c,
        "SELECT devices_json FROM rollout_skipped WHERE rollout_id = $1",
        &[&id],
    )
    .await?
    else {
        return Ok(Vec::new());
    };
    serde_json::from_str(r.get(0))
        .map_err(|e| ApiError::internal(format!("stored skipped devices of {id}: {e}")).into())
}

pub async fn list(
    c: &impl GenericClient,
    tenant: &str,
    filter: &RolloutFilter,
    page: &Page,
) -> StoreResult<PageOf<RolloutSummary>> {
    let status = filter.status.map(RolloutStatus::as_str);
    let limit = i64::from(page.limit) + 1;
    let found = if let Some(since) = filter.changed_since {
        let horizon = super::change_horizon(c).await?;
        rows(
            c,
            &format!(
                "SELECT {ROLLOUT_COLUMNS} FROM rollouts
                 WHERE tenant_id = $1 AND change_seq > $2 AND change_seq <= $5
                   AND ($3::text IS NULL OR status = $3::text)
                 ORDER BY change_seq LIMIT $4"
            ),
            &[&tenant, &i64_of(since), &status, &limit, &horizon],
        )
        .await?
    } else {
        rows(
            c,
            &format!(
                "SELECT {ROLLOUT_COLUMNS} FROM rollouts
                 WHERE tenant_id = $1 AND id > $2 AND ($3::text IS NULL OR status = $3::text)
                 ORDER BY id LIMIT $4"
            ),
            &[
                &tenant,
                &page.after.as_deref().unwrap_or(""),
                &status,
                &limit,
            ],
        )
        .await?
    };
    let rows: Vec<RolloutRow> = found.iter().map(rollout_row).collect::<StoreResult<_>>()?;
    let p = page_of(rows, page.limit);
    let mut items = Vec::with_capacity(p.items.len());
    for row in p.items {
        items.push(summary(c, row).await?);
    }
    Ok(PageOf {
        items,
        has_more: p.has_more,
    })
}

pub async fn devices(
    c: &impl GenericClient,
    tenant: &str,
    rollout: &str,
    listing: &RolloutDeviceListing,
    page: &Page,
) -> StoreResult<PageOf<RolloutDevice>> {
    if !rollout_exists(c, tenant, rollout).await? {
        return Err(ApiError::not_found("rollout not found").into());
    }
    let keyset = listing.sort == RolloutDeviceSort::Position && !listing.descending;
    let after: i64 = match page.after.as_deref() {
        None => -1,
        Some(_) if !keyset || listing.offset.is_some() => {
            return Err(ApiError::invalid_argument(
                "after (a position) pages only the default order; use offset with sort or order",
            )
            .into())
        }
        Some(a) => a.parse().map_err(|_| {
            ApiError::invalid_argument("after must be a position from a previous page")
        })?,
    };
    let offset = i64::try_from(listing.offset.unwrap_or(0))
        .map_err(|_| ApiError::invalid_argument("offset is too large"))?;
    let (pending, state) = match &listing.state {
        DeviceStateFilter::Any => (false, None),
        DeviceStateFilter::Pending => (true, None),
        DeviceStateFilter::State(s) => (false, Some(s.as_str())),
    };
    // The ORDER BY comes from a closed enum, never from the request's text.
    let key = match listing.sort {
        RolloutDeviceSort::Position => "t.position",
        RolloutDeviceSort::Device => "lower(d.name)",
        RolloutDeviceSort::State => {
            "CASE COALESCE(t.rollback_state, t.state) WHEN 'failed' THEN 0 WHEN 'timed_out' THEN 1 \
             WHEN 'in_progress' THEN 2 WHEN 'command_sent' THEN 3 WHEN 'scheduled' THEN 4 \
             WHEN 'successful' THEN 5 ELSE 6 END"
        }
        RolloutDeviceSort::Progress => "COALESCE(t.progress, -1)",
        RolloutDeviceSort::Updated => "t.updated_at",
    };
    let dir = if listing.descending { "DESC" } else { "ASC" };
    // A failure group is an equality on the failure index's columns (written only for failed
    // devices), so it reads that group's devices alone; without one, the terms bind nothing.
    let (reason, reason_status) = match &listing.failure {
        Some(f) => (Some(f.reason.as_str()), f.status.as_deref()),
        None => (None, None),
    };
    let failure = if reason.is_some() {
        "AND t.failure_reason = $7::text AND ($8::text IS NULL OR t.failure_status = $8::text)"
    } else {
        "AND $7::text IS NULL AND $8::text IS NULL"
    };
    let columns = "t.device_id, t.position, t.state, t.rollback_state, t.progress, t.last_status,
                t.last_message, t.reported_version, t.updated_at, d.name, d.firmware_version";
    let limit = i64::from(page.limit) + 1;
    let found = match (&listing.failure, &listing.state, listing.sort) {
        // What the rollout view opens from a failure reason: one group in position order. Its
        // page is chosen in the failure index alone (equality on its first three columns, then
        // position; its order named, so no plan walks the rollout's positions and tests every
        // target), and only the page's rows are read and joined: a window deep in a group of
        // 30,000 skips index entries, not 30,000 rows and joins.
        (
            Some(FailureFilter {
                reason,
                status: Some(status),
            }),
            DeviceStateFilter::Any,
            RolloutDeviceSort::Position,
        ) => {
            let sql = format!(
                "SELECT {columns}
                 FROM (SELECT position FROM rollout_targets
                       WHERE rollout_id = $1 AND failure_reason = $2 AND failure_status = $3
                         AND position > $4
                       ORDER BY failure_reason {dir}, failure_status {dir}, position {dir}
                       LIMIT $5 OFFSET $6) page
                 JOIN rollout_targets t ON t.rollout_id = $1 AND t.position = page.position
                 JOIN devices d ON d.id = t.device_id
                 ORDER BY t.position {dir}"
            );
            rows(
                c,
                &sql,
                &[&rollout, reason, status, &after, &limit, &offset],
            )
            .await?
        }
        _ => {
            let sql = format!(
                "SELECT {columns}
                 FROM rollout_targets t JOIN devices d ON d.id = t.device_id
                 WHERE t.rollout_id = $1 AND t.position > $2
                   AND (NOT $3 OR t.state IS NULL)
                   AND ($4::text IS NULL OR COALESCE(t.rollback_state, t.state) = $4::text)
                   {failure}
                 ORDER BY {key} {dir}, t.position {dir} LIMIT $5 OFFSET $6"
            );
            rows(
                c,
                &sql,
                &[
                    &rollout,
                    &after,
                    &pending,
                    &state,
                    &limit,
                    &offset,
                    &reason,
                    &reason_status,
                ],
            )
            .await?
        }
    };
    let items = found
        .iter()
        .map(|r| RolloutDevice {
            device_id: r.get(0),
            position: u64_of(r.get(1)),
            state: r.get::<_, Option<&str>>(2).and_then(parse_state),
            rollback_state: r.get::<_, Option<&str>>(3).and_then(parse_state),
            progress: r.get::<_, Option<i64>>(4).map(u32_of),
            last_status: r.get(5),
            last_message: r.get(6),
            reported_version: r.get(7),
            updated_at: r.get(8),
            device_name: r.get(9),
            firmware_version: r.get(10),
        })
        .collect();
    Ok(page_of(items, page.limit))
}

pub async fn device_history(
    c: &impl GenericClient,
    tenant: &str,
    device: &str,
    page: &Page,
) -> StoreResult<PageOf<DeviceHistoryEntry>> {
    let before: i64 = match page.after.as_deref() {
        None => i64::MAX,
        Some(a) => a
            .parse()
            .map_err(|_| ApiError::invalid_argument("after must be a seq from a previous page"))?,
    };
    let found = rows(
        c,
        "SELECT seq, kind, rollout_id, package_id, command_id, status, message, progress,
                firmware_version, at
         FROM device_history WHERE tenant_id = $1 AND device_id = $2 AND seq < $3
         ORDER BY seq DESC LIMIT $4",
        &[&tenant, &device, &before, &(i64::from(page.limit) + 1)],
    )
    .await?;
    let items = found
        .iter()
        .map(|r| DeviceHistoryEntry {
            seq: u64_of(r.get(0)),
            kind: r.get(1),
            rollout_id: r.get(2),
            package_id: r.get(3),
            command_id: r.get(4),
            status: r.get(5),
            message: r.get(6),
            progress: r.get::<_, Option<i64>>(7).map(u32_of),
            firmware_version: r.get(8),
            at: r.get(9),
        })
        .collect();
    Ok(page_of(items, page.limit))
}

/// Persisted events of `tenant` with id > `after`, oldest first.
pub async fn events_after(
    c: &impl GenericClient,
    tenant: &str,
    after: u64,
    limit: u32,
) -> StoreResult<Vec<RolloutEventData>> {
    rows(
        c,
        "SELECT payload FROM events WHERE tenant_id = $1 AND id > $2 ORDER BY id LIMIT $3",
        &[&tenant, &i64_of(after), &i64::from(limit)],
    )
    .await?
    .iter()
    .map(|r| {
        serde_json::from_str(r.get(0))
            .map_err(|e| ApiError::internal(format!("stored event is corrupt: {e}")).into())
    })
    .collect()
}

pub async fn tenant_name(c: &impl GenericClient, tenant: &str) -> StoreResult<String> {
    Ok(one(c, "SELECT name FROM tenants WHERE id = $1", &[&tenant])
        .await?
        .get(0))
}

/// A `rollout.progress` snapshot (status and counters now).
pub async fn progress(
    c: &impl GenericClient,
    tenant: &str,
    id: &str,
) -> StoreResult<Option<RolloutEventData>> {
    let Some(row) = load_row(c, tenant, id, false).await? else {
        return Ok(None);
    };
    let tenant_name = tenant_name(c, tenant).await?;
    Ok(Some(RolloutEventData {
        id: None,
        subject: "rollout.progress".to_owned(),
        kind: "progress".to_owned(),
        tenant: tenant_name,
        rollout_id: row.id.clone(),
        status: row.status,
        outcome: row.outcome,
        canary_percent: row.canary_percent,
        counters: row.counters,
        rollback_counters: rollback_counters(c, &row.id).await?,
        trigger: None,
        actor: None,
        at: crate::ids::now(),
    }))
}
