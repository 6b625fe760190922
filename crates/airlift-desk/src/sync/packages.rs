//! Full sync of the package catalog (small: one transaction).

use std::sync::Mutex;

use super::{mapping::package_row, SyncReport, PAGE};
use crate::cache::{Cache, Collection};
use crate::client::{Client, ListParams};
use crate::error::DeskError;
use crate::upload::lock;

pub async fn sync_packages(
    client: &Client,
    cache: &Mutex<Cache>,
    connection_id: &str,
) -> Result<SyncReport, DeskError> {
    let mut report = SyncReport::default();
    let mut rows = Vec::new();
    let mut page = ListParams::new(PAGE, None);
    loop {
        let list = client.packages(&page).await?;
        report.pages += 1;
        rows.extend(list.data.iter().map(package_row));
        match list.data.last() {
            Some(last) if list.has_more => page.after = Some(last.package_id.clone()),
            _ => break,
        }
    }
    report.listed = rows.len() as u64;
    let mut cache = lock(cache)?;
    report.written = cache.upsert_packages(connection_id, &rows)?.written as u64;
    cache.mark_synced(connection_id, Collection::Packages, None)?;
    Ok(report)
}
