//! Packages by id, kept in memory once read: the device poll names its package (and each
//! command's package) on every request, and a package never changes or goes away once created
//! (both schemas refuse an update; nothing deletes one), so a remembered row cannot go stale —
//! in this process or beside other server processes sharing the database. Each adapter reads
//! a package it does not know yet and hands it to [`PackageMemo::remember`].

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use crate::store::PackageRecord;

#[derive(Default)]
pub struct PackageMemo {
    by_id: RwLock<HashMap<String, Arc<PackageRecord>>>,
}

impl PackageMemo {
    /// `Some(answer)` when package `id` is known: the package if it is `tenant`'s, `None` for
    /// another tenant's. `None` when it was never read.
    pub fn lookup(&self, tenant: &str, id: &str) -> Option<Option<Arc<PackageRecord>>> {
        let known = self.by_id.read().ok().and_then(|m| m.get(id).cloned())?;
        Some((known.tenant_id == tenant).then_some(known))
    }

    pub fn remember(&self, package: PackageRecord) -> Arc<PackageRecord> {
        let p = Arc::new(package);
        if let Ok(mut m) = self.by_id.write() {
            m.insert(p.id.clone(), p.clone());
        }
        p
    }
}
