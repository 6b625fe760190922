//! [`PackageMemo`] read through from SQLite.

use std::sync::Arc;

use rusqlite::Connection;

use super::catalog;
pub use crate::store::package_memo::PackageMemo;
use crate::store::{PackageRecord, StoreResult};

impl PackageMemo {
    /// The package `id` of `tenant`, from memory or else from `c` (and then remembered).
    /// `None` for an unknown id or another tenant's package.
    pub fn get(
        &self,
        c: &Connection,
        tenant: &str,
        id: &str,
    ) -> StoreResult<Option<Arc<PackageRecord>>> {
        if let Some(known) = self.lookup(tenant, id) {
            return Ok(known);
        }
        Ok(catalog::package(c, tenant, id)?.map(|p| self.remember(p)))
    }
}
