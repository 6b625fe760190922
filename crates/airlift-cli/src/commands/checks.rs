//! What the server would refuse about a package, checked before the first byte is sent: the
//! versions are semver, the version is new, and the signature the tenant requires will be
//! made with a key the tenant knows. Each failure says how to fix it.

use airlift_core::package::{parse_version, validate_device_type_field};
use airlift_core::wire::Package;
use airlift_desk::signing::{tenant_keys, SigningKey};
use airlift_desk::{DeskError, DeskErrorCode};

use super::pages;
use crate::args::PackageFields;
use crate::context::Context;
use crate::exit::Failure;

/// Local checks (no server), with airlift-core's rules, the server's own: both versions are
/// semver and the device type is one the server accepts.
pub fn versions(fields: &PackageFields) -> Result<(), Failure> {
    parse_version("--version", fields.version.trim()).map_err(DeskError::from)?;
    parse_version("--min-version", fields.min_version.trim()).map_err(DeskError::from)?;
    validate_device_type_field("--device-type", &fields.device_type).map_err(DeskError::from)?;
    Ok(())
}

/// The server-side checks: signature required and key registered, then the version unused.
/// Answers the package already published with this version, if any (the caller decides whether
/// it is the same build).
pub async fn with_server(
    ctx: &Context,
    fields: &PackageFields,
    signer: Option<&SigningKey>,
) -> Result<Option<Package>, Failure> {
    versions(fields)?;
    if ctx.role.is_some_and(|r| !r.can_operate_rollouts()) {
        return Err(Failure::Desk(DeskError::new(
            DeskErrorCode::PermissionDenied,
            "this token's role (support) may read but not upload or create packages; use an \
             admin or release-manager token",
        )));
    }
    let client = &ctx.client;
    let tenant = client.tenant().await?;
    match signer {
        None if tenant.require_signatures => {
            return Err(Failure::Desk(DeskError::invalid_argument(format!(
                "tenant {} requires signed packages: sign with --key NAME (a stored key, see \
                 `airlift-cli key list`) or --key-file PEM",
                tenant.name
            ))));
        }
        None => {}
        Some(key) => {
            let fingerprint = key.public_key()?.fingerprint();
            let known = tenant_keys(client).await?;
            let registered = known
                .iter()
                .any(|k| k.fingerprint == fingerprint && k.revoked_at.is_none());
            if !registered {
                let revoked = known.iter().any(|k| k.fingerprint == fingerprint);
                return Err(Failure::Desk(DeskError::new(
                    DeskErrorCode::FailedPrecondition,
                    format!(
                        "the signing key (fingerprint {}) is {} tenant {}: register it first \
                         (`airlift-cli key register NAME`, as an admin) or sign with another key",
                        &fingerprint[..16],
                        if revoked {
                            "revoked by"
                        } else {
                            "not registered with"
                        },
                        tenant.name
                    ),
                )));
            }
        }
    }
    let version = parse_version("version", fields.version.trim()).ok();
    let packages = pages::all(
        |p| async move { client.packages(&p).await },
        |p| p.package_id.clone(),
    )
    .await?;
    let package_type = super::package::spec(fields).package_type;
    Ok(packages.into_iter().find(|p| {
        p.package_type == package_type
            && p.compatibility.device_type == fields.device_type
            && parse_version("version", &p.version).ok() == version
    }))
}
