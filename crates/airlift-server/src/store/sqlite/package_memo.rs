//! Packages by id, kept in memory once read: the device poll names its package (and each
//! command's package) on every request, and a package never changes or goes away once created
//! (the `packages_are_immutable` trigger; nothing deletes one), so a remembered row cannot go
//! stale — in this process or beside other server processes sharing the database.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use rusqlite::Connection;

use super::catalog;
use crate::store::{PackageRecord, StoreResult};

#[derive(Default)]
pub struct PackageMemo {
    by_id: RwLock<HashMap<String, Arc<PackageRecord>>>,
}

impl PackageMemo {
    /// The package `id` of `tenant`, from memory or else from `c` (and then remembered).
    /// `None` for an unknown id or another tenant's package.
    pub fn get(
        &self,
        c: &Connection,
        tenant: &str,
        id: &str,
    ) -> StoreResult<Option<Arc<PackageRecord>>> {
        let known = self.by_id.read().ok().and_then(|m| m.get(id).cloned());
        if let Some(p) = known {
            return Ok((p.tenant_id == tenant).then_some(p));
        }
        let Some(p) = catalog::package(c, tenant, id)? else {
            return Ok(None);
        };
        let p = Arc::new(p);
        if let Ok(mut m) = self.by_id.write() {
            m.insert(p.id.clone(), p.clone());
        }
        Ok(Some(p))
    }
}
