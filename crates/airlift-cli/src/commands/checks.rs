//! What the server would refuse about a package, checked before the first byte is sent: the
//! versions are semver, the version is new, and the signature the tenant requires will be
//! made with a key the tenant knows. Each failure says how to fix it.

use airlift_core::package::{parse_version, validate_device_type_field};
use airlift_core::wire::Package;
use airlift_desk::signing::SigningKey;
use airlift_desk::upload::{preflight, Refusal, SigningWith};
use airlift_desk::{DeskError, DeskErrorCode};

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

/// The server-side checks, airlift-desk's preflight (the app asks the same), in the CLI's
/// words: signature required and key registered, the version unused, the image quota not full
/// (when `new_image`: a file is uploaded now). Answers the package already published with this
/// version, if any (the caller decides whether it is the same build).
pub async fn with_server(
    ctx: &Context,
    fields: &PackageFields,
    signer: Option<&SigningKey>,
    new_image: bool,
) -> Result<Option<Package>, Failure> {
    versions(fields)?;
    if ctx.role.is_some_and(|r| !r.can_operate_rollouts()) {
        return Err(Failure::Desk(DeskError::new(
            DeskErrorCode::PermissionDenied,
            "this token's role (support) may read but not upload or create packages; use an \
             admin or release-manager token",
        )));
    }
    let fingerprint = signer
        .map(|k| k.public_key())
        .transpose()?
        .map(|k| k.fingerprint());
    let key_name = fields.signing.describe();
    let signing_with = fingerprint.as_deref().map(|fingerprint| SigningWith {
        name: &key_name,
        fingerprint,
    });
    let refusal = preflight(&ctx.client, &fields.spec(), signing_with, new_image).await?;
    let message = match refusal {
        None => return Ok(None),
        Some(Refusal::VersionExists { existing, .. }) => return Ok(Some(*existing)),
        Some(Refusal::SignatureRequired { tenant }) => DeskError::invalid_argument(format!(
            "tenant {tenant} requires signed packages: sign with --key NAME (a stored key, see \
             `airlift-cli key list`) or --key-file PEM"
        )),
        Some(Refusal::KeyNotRegistered {
            key_name,
            revoked,
            tenant,
        }) => DeskError::new(
            DeskErrorCode::FailedPrecondition,
            format!(
                "the signing key {key_name} (fingerprint {}) is {} tenant {tenant}: register it \
                 first (`airlift-cli key register NAME`, as an admin) or sign with another key",
                fingerprint.as_deref().map_or("", |f| &f[..16.min(f.len())]),
                if revoked {
                    "revoked by"
                } else {
                    "not registered with"
                },
            ),
        ),
        Some(Refusal::ImageQuotaFull { used, max, tenant }) => DeskError::new(
            DeskErrorCode::ResourceExhausted,
            format!(
                "tenant {tenant} holds {used} of its {max} firmware images, so it would refuse \
                 this upload: delete an image it no longer needs (`airlift-cli image list`, \
                 `airlift-cli image delete ID`) or ask the server's operator to raise \
                 --max-images"
            ),
        ),
    };
    Err(Failure::Desk(message))
}
