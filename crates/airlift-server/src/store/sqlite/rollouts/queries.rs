//! Reads: a rollout with its counters and history, rollout lists, per-device rows, device
//! history and persisted events.

use airlift_core::rollout::RolloutStatus;
use airlift_core::wire::{
    DeviceHistoryEntry, Rollout, RolloutDevice, RolloutEventData, RolloutSummary,
    RolloutTransition, SkippedDevice,
};
use rusqlite::{params, Connection, OptionalExtension as _};

use super::rollback_counters;
use super::{db, load_row, parse_state, rollout_exists, rollout_row, RolloutRow, ROLLOUT_COLUMNS};
use crate::store::sqlite::{i64_of, page_of, u64_of};
use crate::store::{
    ApiError, DeviceStateFilter, Page, PageOf, RolloutDeviceListing, RolloutDeviceSort,
    RolloutFilter, StoreResult,
};

fn summary(c: &Connection, row: RolloutRow) -> StoreResult<RolloutSummary> {
    let counters = row.counters;
    let rollback = rollback_counters(c, &row.id)?;
    let version: String = c
        .query_row(
            "SELECT version FROM packages WHERE id = ?1",
            [&row.package_id],
            |r| r.get(0),
        )
        .map_err(db)?;
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

/// The devices rollout `id` left out, stored beside its row.
fn skipped_devices(c: &Connection, id: &str) -> StoreResult<Vec<SkippedDevice>> {
    let json: Option<String> = c
        .query_row(
            "SELECT devices_json FROM rollout_skipped WHERE rollout_id = ?1",
            [id],
            |r| r.get(0),
        )
        .optional()
        .map_err(db)?;
    let Some(json) = json else {
        return Ok(Vec::new());
    };
    serde_json::from_str(&json)
        .map_err(|e| ApiError::internal(format!("stored skipped devices of {id}: {e}")).into())
}

pub fn rollout(c: &Connection, tenant: &str, id: &str) -> StoreResult<Option<Rollout>> {
    let Some(row) = load_row(c, tenant, id)? else {
        return Ok(None);
    };
    let skipped = skipped_devices(c, id)?;
    let mut stmt = c
        .prepare_cached(
            "SELECT seq, from_status, to_status, trigger, actor, actor_role, canary_percent, at
             FROM rollout_transitions WHERE rollout_id = ?1 ORDER BY seq",
        )
        .map_err(db)?;
    let rows = stmt
        .query_map([id], |r| {
            let from: Option<String> = r.get(1)?;
            let to: String = r.get(2)?;
            Ok((
                r.get::<_, i64>(0)?,
                from,
                to,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, i64>(6)?,
                r.get::<_, String>(7)?,
            ))
        })
        .map_err(db)?;
    let mut transitions = Vec::new();
    for row in rows {
        let (seq, from, to, trigger, actor, role, canary, at) = row.map_err(db)?;
        let parse = |s: &str| s.parse::<RolloutStatus>();
        transitions.push(RolloutTransition {
            seq: u64_of(seq),
            from: from.as_deref().map(parse).transpose()?,
            to: parse(&to)?,
            trigger,
            actor,
            actor_role: role,
            canary_percent: u32::try_from(canary).unwrap_or(0),
            at,
        });
    }
    Ok(Some(Rollout {
        summary: summary(c, row)?,
        skipped,
        transitions,
    }))
}

pub fn list(
    c: &Connection,
    tenant: &str,
    filter: &RolloutFilter,
    page: &Page,
) -> StoreResult<PageOf<RolloutSummary>> {
    let status = filter.status.map(RolloutStatus::as_str);
    let rows: Vec<RolloutRow> = if let Some(since) = filter.changed_since {
        let mut stmt = c
            .prepare_cached(&format!(
                "SELECT {ROLLOUT_COLUMNS} FROM rollouts
                 WHERE tenant_id = ?1 AND change_seq > ?2 AND (?3 IS NULL OR status = ?3)
                 ORDER BY change_seq LIMIT ?4"
            ))
            .map_err(db)?;
        let rows = stmt
            .query_map(
                params![tenant, i64_of(since), status, page.limit + 1],
                rollout_row,
            )
            .map_err(db)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(db)?;
        rows
    } else {
        let mut stmt = c
            .prepare_cached(&format!(
                "SELECT {ROLLOUT_COLUMNS} FROM rollouts
                 WHERE tenant_id = ?1 AND id > ?2 AND (?3 IS NULL OR status = ?3)
                 ORDER BY id LIMIT ?4"
            ))
            .map_err(db)?;
        let rows = stmt
            .query_map(
                params![
                    tenant,
                    page.after.as_deref().unwrap_or(""),
                    status,
                    page.limit + 1
                ],
                rollout_row,
            )
            .map_err(db)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(db)?;
        rows
    };
    let p = page_of(rows, page.limit);
    let mut items = Vec::with_capacity(p.items.len());
    for row in p.items {
        items.push(summary(c, row)?);
    }
    Ok(PageOf {
        items,
        has_more: p.has_more,
    })
}

pub fn devices(
    c: &Connection,
    tenant: &str,
    rollout: &str,
    listing: &RolloutDeviceListing,
    page: &Page,
) -> StoreResult<PageOf<RolloutDevice>> {
    if !rollout_exists(c, tenant, rollout)? {
        return Err(ApiError::not_found("rollout not found").into());
    }
    // The service checked the cursor (digits, default order only).
    let after: i64 = match page.after.as_deref() {
        None => -1,
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
        RolloutDeviceSort::Device => "d.name COLLATE NOCASE",
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
    // With its status too, the group is an equality on the index's first three columns, which
    // the index then hands over in position order (no sort of the group).
    let failure = match (reason, reason_status) {
        (Some(_), Some(_)) => "AND t.failure_reason = ?7 AND t.failure_status = ?8",
        (Some(_), None) => "AND t.failure_reason = ?7 AND ?8 IS NULL",
        (None, _) => "AND ?7 IS NULL AND ?8 IS NULL",
    };
    // A state filter matches the state a device shows now: its rollback state once a rollback
    // reached it, else its update state. So each device is in exactly one filter, and a
    // filter's rows are `DeviceCounters::current` of the rollout's counters.
    let filter = format!(
        "t.rollout_id = ?1 AND t.position > ?2
           AND (?3 = 0 OR t.state IS NULL)
           AND (?4 IS NULL OR COALESCE(t.rollback_state, t.state) = ?4)
           {failure}"
    );
    let columns = "t.device_id, t.position, t.state, t.rollback_state, t.progress, t.last_status,
                t.last_message, t.reported_version, t.updated_at, d.name, d.firmware_version";
    // A failure group's page is chosen among the targets alone, from the failure index (which
    // holds the row ids), and only its rows are joined to their devices: a window deep in a
    // group of 30,000 skips index entries, not 30,000 joins. The index is named because the
    // planner would rather walk the rollout's positions in order (`position > ?2`) and test
    // every target, the whole rollout for a small group.
    let sql = if reason.is_some() && listing.sort != RolloutDeviceSort::Device {
        format!(
            "SELECT {columns}
             FROM (SELECT t.rowid AS r FROM rollout_targets t INDEXED BY rollout_targets_by_failure
                   WHERE {filter}
                   ORDER BY {key} {dir}, t.position {dir} LIMIT ?5 OFFSET ?6) page
             JOIN rollout_targets t ON t.rowid = page.r JOIN devices d ON d.id = t.device_id
             ORDER BY {key} {dir}, t.position {dir}"
        )
    } else {
        format!(
            "SELECT {columns}
             FROM rollout_targets t JOIN devices d ON d.id = t.device_id
             WHERE {filter}
             ORDER BY {key} {dir}, t.position {dir} LIMIT ?5 OFFSET ?6"
        )
    };
    let mut stmt = c.prepare_cached(&sql).map_err(db)?;
    let rows = stmt
        .query_map(
            params![
                rollout,
                after,
                pending,
                state,
                page.limit + 1,
                offset,
                reason,
                reason_status
            ],
            |r| {
                let state: Option<String> = r.get(2)?;
                let rb: Option<String> = r.get(3)?;
                Ok(RolloutDevice {
                    device_id: r.get(0)?,
                    position: u64_of(r.get(1)?),
                    state: state.as_deref().and_then(parse_state),
                    rollback_state: rb.as_deref().and_then(parse_state),
                    progress: r
                        .get::<_, Option<i64>>(4)?
                        .map(|p| u32::try_from(p).unwrap_or(0)),
                    last_status: r.get(5)?,
                    last_message: r.get(6)?,
                    reported_version: r.get(7)?,
                    updated_at: r.get(8)?,
                    device_name: r.get(9)?,
                    firmware_version: r.get(10)?,
                })
            },
        )
        .map_err(db)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(db)?;
    Ok(page_of(rows, page.limit))
}

pub fn device_history(
    c: &Connection,
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
    let mut stmt = c
        .prepare_cached(
            "SELECT seq, kind, rollout_id, package_id, command_id, status, message, progress,
                    firmware_version, at
             FROM device_history WHERE tenant_id = ?1 AND device_id = ?2 AND seq < ?3
             ORDER BY seq DESC LIMIT ?4",
        )
        .map_err(db)?;
    let rows = stmt
        .query_map(params![tenant, device, before, page.limit + 1], |r| {
            Ok(DeviceHistoryEntry {
                seq: u64_of(r.get(0)?),
                kind: r.get(1)?,
                rollout_id: r.get(2)?,
                package_id: r.get(3)?,
                command_id: r.get(4)?,
                status: r.get(5)?,
                message: r.get(6)?,
                progress: r
                    .get::<_, Option<i64>>(7)?
                    .map(|p| u32::try_from(p).unwrap_or(0)),
                firmware_version: r.get(8)?,
                at: r.get(9)?,
            })
        })
        .map_err(db)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(db)?;
    Ok(page_of(rows, page.limit))
}

/// Persisted events of `tenant` with id > `after`, oldest first.
pub fn events_after(
    c: &Connection,
    tenant: &str,
    after: u64,
    limit: u32,
) -> StoreResult<Vec<RolloutEventData>> {
    let mut stmt = c
        .prepare_cached(
            "SELECT payload FROM events WHERE tenant_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3",
        )
        .map_err(db)?;
    let rows = stmt
        .query_map(params![tenant, i64_of(after), limit], |r| {
            r.get::<_, String>(0)
        })
        .map_err(db)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(db)?;
    rows.iter()
        .map(|p| {
            serde_json::from_str(p)
                .map_err(|e| ApiError::internal(format!("stored event is corrupt: {e}")).into())
        })
        .collect()
}

/// A `rollout.progress` snapshot (status and counters now).
pub fn progress(c: &Connection, tenant: &str, id: &str) -> StoreResult<Option<RolloutEventData>> {
    let Some(row) = load_row(c, tenant, id)? else {
        return Ok(None);
    };
    let tenant_name: String = c
        .query_row("SELECT name FROM tenants WHERE id = ?1", [tenant], |r| {
            r.get(0)
        })
        .map_err(db)?;
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
        rollback_counters: rollback_counters(c, &row.id)?,
        trigger: None,
        actor: None,
        at: crate::ids::now(),
    }))
}
