//! What the tenant would refuse, asked before any byte is sent: a missing signature where the
//! tenant requires one, a key the tenant does not know, a version that already exists. The
//! server checks the same when the package is created, but only after the whole file went up;
//! asking first turns a long upload ending in a refusal into a message at the start.

use airlift_core::package::parse_version;
use airlift_core::wire::Package;

use super::PackageSpec;
use crate::client::{Client, ListParams};
use crate::error::DeskError;
use crate::signing::{registration, tenant_keys, StoredKey};

/// Why the tenant would refuse the package, with what a front end needs to say how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The tenant requires signatures and no key was chosen.
    SignatureRequired { tenant: String },
    /// The chosen key is not registered with the tenant (or was revoked there).
    KeyNotRegistered { key_name: String, tenant: String },
    /// The tenant already has a package of this type, device type and version.
    VersionExists {
        version: String,
        device_type: String,
    },
}

/// The first refusal the tenant would give `spec` signed with `key` (`None`: unsigned), or
/// `None` when it would accept it as far as can be known before the upload. Malformed versions
/// are `INVALID_ARGUMENT` errors naming the field, as the server would answer.
pub async fn preflight(
    client: &Client,
    spec: &PackageSpec,
    key: Option<&StoredKey>,
) -> Result<Option<Refusal>, DeskError> {
    parse_version("version", spec.version.trim())?;
    parse_version("min_version", spec.min_version.trim())?;
    let tenant = client.tenant().await?;
    match key {
        None if tenant.require_signatures => {
            return Ok(Some(Refusal::SignatureRequired {
                tenant: tenant.name,
            }))
        }
        None => {}
        Some(key) => {
            let trusted = tenant_keys(client).await?;
            if registration(&trusted, key).is_none() {
                return Ok(Some(Refusal::KeyNotRegistered {
                    key_name: key.name.clone(),
                    tenant: tenant.name,
                }));
            }
        }
    }
    if version_exists(client, spec).await? {
        return Ok(Some(Refusal::VersionExists {
            version: spec.version.trim().to_owned(),
            device_type: spec.device_type.trim().to_owned(),
        }));
    }
    Ok(None)
}

/// Whether the tenant has a package with `spec`'s type, device type and version (the server's
/// uniqueness rule). The catalog has no lookup by version, so its pages are read.
async fn version_exists(client: &Client, spec: &PackageSpec) -> Result<bool, DeskError> {
    let mut after = None;
    loop {
        let page = client.packages(&ListParams::new(500, after)).await?;
        if page.data.iter().any(|p| same_package(p, spec)) {
            return Ok(true);
        }
        match page.data.last() {
            Some(last) if page.has_more => after = Some(last.package_id.clone()),
            _ => return Ok(false),
        }
    }
}

/// Same type, device type and version; versions compare as semver (`2.1.0` is `2.1.0+build`
/// to no one, but `v` prefixes and spaces are trimmed the way the server parses them).
fn same_package(p: &Package, spec: &PackageSpec) -> bool {
    let same_version = match (
        parse_version("version", &p.version),
        parse_version("version", spec.version.trim()),
    ) {
        (Ok(a), Ok(b)) => a == b,
        _ => p.version == spec.version.trim(),
    };
    p.package_type == spec.package_type
        && same_version
        && p.compatibility.device_type == spec.device_type.trim()
}
