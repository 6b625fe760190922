//! Exporting a device's update history as CSV: the app's Export CSV and `airlift-cli devices
//! history --csv` both take it from here: synced from the server when it answers, the cached
//! copy (with its age) when it does not.

use super::Session;
use crate::cache::Collection;
use crate::device_history::{cached_history, csv_file_name, history_csv};
use crate::error::DeskError;
use crate::sync::{read_through, sync_device_history, Cached};

/// A device's history as CSV.
#[derive(Debug, Clone)]
pub struct HistoryExport {
    pub csv: String,
    /// The file name to propose: the device's name (or id) and `-history.csv`.
    pub file_name: String,
}

/// The newest `limit` entries (all with `None`) of `device_id`'s history, newest first.
pub async fn export_history(
    s: Session<'_>,
    device_id: &str,
    limit: Option<usize>,
) -> Result<Cached<HistoryExport>, DeskError> {
    let limit = limit.unwrap_or(usize::MAX);
    let sync = sync_device_history(s.client, s.cache, s.connection_id, device_id, limit);
    read_through(
        s.cache,
        s.connection_id,
        Collection::DeviceHistory,
        sync,
        |cache| {
            let mut entries = cached_history(cache, s.connection_id, device_id)?;
            entries.truncate(limit);
            let name = cache.device(s.connection_id, device_id)?.map(|d| d.name);
            Ok(HistoryExport {
                csv: history_csv(&entries)?,
                file_name: csv_file_name(name.as_deref(), device_id),
            })
        },
    )
    .await
}
