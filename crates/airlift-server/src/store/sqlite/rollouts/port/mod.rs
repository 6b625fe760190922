//! The rollout port on SQLite: plain statements over the caller's transaction (or savepoint),
//! each a point read, a point write or one set-based statement over what the engine names.
//! Nothing here decides: which states, ranges and deadlines are the engine's arguments.

mod devices;
mod lookups;
mod rows;
mod targets;

use airlift_core::device_counters::DeviceCounters;
use airlift_core::device_state::DeviceRolloutState;
use airlift_core::rollout::{RolloutOutcome, RolloutStatus};
use airlift_core::wire::{CommandKind, FailureReason, Rollout, RolloutEventData, TimelinePoint};
use rusqlite::{params, Connection, OptionalExtension as _};

use super::{db, history, load_row, next_change, parse_state, queries};
use crate::ids;
use crate::store::rollout_port::{
    DeviceTx, HistoryEntry, LookupTx, OverdueTarget, RangeChange, RolloutRow, RolloutRowTx,
    RolloutUpdate, TargetRow, TargetTx, TransitionRecord,
};
use crate::store::sqlite::{catalog, fleet, i64_of, u64_of};
use crate::store::{
    ApiError, DeviceRecord, NewDevice, PackageRecord, StoreResult, ValidatedReport,
};

/// The port over one connection inside a transaction the adapter opened.
pub struct SqlTx<'c> {
    pub c: &'c Connection,
}

/// In-process statements cost no round trip: the port's default reads, one after the other.
impl crate::store::rollout_port::RolloutTx for SqlTx<'_> {}

/// `'a', 'b'` for an `IN (...)` list: the states' names are fixed identifiers, not input.
fn state_list(states: &[DeviceRolloutState]) -> String {
    states
        .iter()
        .map(|s| format!("'{}'", s.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn stored_state(s: Option<String>) -> StoreResult<Option<DeviceRolloutState>> {
    match s {
        None => Ok(None),
        Some(s) => Ok(Some(parse_state(&s).ok_or_else(|| {
            ApiError::internal(format!("stored device state {s:?} is unknown"))
        })?)),
    }
}

fn strings(c: &Connection, sql: &str, args: impl rusqlite::Params) -> StoreResult<Vec<String>> {
    let mut stmt = c.prepare_cached(sql).map_err(db)?;
    let rows = stmt
        .query_map(args, |r| r.get(0))
        .map_err(db)?
        .collect::<Result<Vec<String>, _>>()
        .map_err(db)?;
    Ok(rows)
}
