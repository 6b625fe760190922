//! What the tenant would refuse, asked before any byte is sent: a missing signature where the
//! tenant requires one, a key the tenant does not know, a version that already exists, an
//! image quota that is full. The server checks the same when the image and the package are
//! created, but only after the whole file went up; asking first turns a long upload ending in
//! a refusal into a message at the start. The app and the CLI both ask here, and each says the
//! refusal in its own words (the app names wizard steps, the CLI flags).

use airlift_core::package::{parse_version, validate_device_type_field};
use airlift_core::wire::Package;

use super::PackageSpec;
use crate::client::{Client, ListParams};
use crate::error::DeskError;
use crate::signing::{tenant_keys, StoredKey};

/// Why the tenant would refuse the upload, with what a front end needs to say how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The tenant requires signatures and no key was chosen.
    SignatureRequired { tenant: String },
    /// The chosen key is not registered with the tenant, or was revoked there.
    KeyNotRegistered {
        key_name: String,
        revoked: bool,
        tenant: String,
    },
    /// The tenant already has a package of this type, device type and version (`existing`,
    /// so a pipeline's rerun can tell whether it is the same build).
    VersionExists {
        version: String,
        device_type: String,
        existing: Box<Package>,
    },
    /// The tenant holds as many firmware images as it may (`--max-images`): the upload would
    /// be refused when it completes.
    ImageQuotaFull { used: u64, max: u64, tenant: String },
}

/// The key a package is to be signed with, as the tenant knows keys: by fingerprint.
#[derive(Debug, Clone, Copy)]
pub struct SigningWith<'a> {
    /// What the person calls it (a stored key's name, a key file's path).
    pub name: &'a str,
    /// Hex SHA-256 of the DER public key.
    pub fingerprint: &'a str,
}

impl<'a> From<&'a StoredKey> for SigningWith<'a> {
    fn from(key: &'a StoredKey) -> Self {
        SigningWith {
            name: &key.name,
            fingerprint: &key.fingerprint,
        }
    }
}

/// The first refusal the tenant would give `spec` signed with `key` (`None`: unsigned), or
/// `None` when it would accept it as far as can be known before the upload. `new_image`: the
/// package comes from a file uploaded now (so the image quota counts), not from an image the
/// tenant already holds. Malformed versions and device types are `INVALID_ARGUMENT` errors
/// naming the field, as the server would answer.
pub async fn preflight(
    client: &Client,
    spec: &PackageSpec,
    key: Option<SigningWith<'_>>,
    new_image: bool,
) -> Result<Option<Refusal>, DeskError> {
    parse_version("version", spec.version.trim())?;
    parse_version("min_version", spec.min_version.trim())?;
    validate_device_type_field("device_type", &spec.device_type)?;
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
            let known: Vec<_> = trusted
                .iter()
                .filter(|t| t.fingerprint == key.fingerprint)
                .collect();
            if !known.iter().any(|t| t.revoked_at.is_none()) {
                return Ok(Some(Refusal::KeyNotRegistered {
                    key_name: key.name.to_owned(),
                    revoked: !known.is_empty(),
                    tenant: tenant.name,
                }));
            }
        }
    }
    if let Some(existing) = existing_package(client, spec).await? {
        return Ok(Some(Refusal::VersionExists {
            version: spec.version.trim().to_owned(),
            device_type: spec.device_type.trim().to_owned(),
            existing: Box::new(existing),
        }));
    }
    match tenant.images {
        Some(quota) if new_image && quota.used >= quota.max => Ok(Some(Refusal::ImageQuotaFull {
            used: quota.used,
            max: quota.max,
            tenant: tenant.name,
        })),
        _ => Ok(None),
    }
}

/// The tenant's package with `spec`'s type, device type and version (the server's uniqueness
/// rule), if any. The catalog has no lookup by version, so its pages are read.
async fn existing_package(
    client: &Client,
    spec: &PackageSpec,
) -> Result<Option<Package>, DeskError> {
    let mut after = None;
    loop {
        let page = client.packages(&ListParams::new(500, after)).await?;
        let has_more = page.has_more;
        let last = page.data.last().map(|p| p.package_id.clone());
        if let Some(found) = page.data.into_iter().find(|p| same_package(p, spec)) {
            return Ok(Some(found));
        }
        match last {
            Some(last) if has_more => after = Some(last),
            _ => return Ok(None),
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
