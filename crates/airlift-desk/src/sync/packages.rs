//! Package catalog sync (full the first time, then `?changed_since=`); one transaction.

use std::sync::Mutex;

use super::{mapping::package_row, SyncReport, PAGE};
use crate::cache::lock;
use crate::cache::{Cache, Collection};
use crate::client::{Client, ListParams};
use crate::error::DeskError;

pub async fn sync_packages(
    client: &Client,
    cache: &Mutex<Cache>,
    connection_id: &str,
) -> Result<SyncReport, DeskError> {
    let since = super::saved_cursor(cache, connection_id, Collection::Packages)?;
    let mut report = SyncReport {
        incremental: since.is_some(),
        ..SyncReport::default()
    };
    let mut rows = Vec::new();
    let mut page = ListParams::new(PAGE, None);
    let mut cursor = since.unwrap_or(0);
    page.changed_since = Some(cursor);
    loop {
        let list = client.packages(&page).await?;
        report.pages += 1;
        rows.extend(list.data.iter().map(package_row));
        cursor = list
            .data
            .iter()
            .map(|p| p.change_seq)
            .fold(cursor, u64::max);
        match list.data.last() {
            Some(last) if list.has_more => page.changed_since = Some(last.change_seq),
            _ => break,
        }
    }
    report.listed = rows.len() as u64;
    let mut cache = lock(cache)?;
    report.written = cache.upsert_packages(connection_id, &rows)?.written as u64;
    cache.mark_synced(
        connection_id,
        Collection::Packages,
        Some(&cursor.to_string()),
    )?;
    Ok(report)
}
