//! `package create | list`, and what `upload` shares with them: the package fields, the checks
//! before the first byte, and the command that finishes an unpackaged upload.

use airlift_core::wire::{FirmwareImage, PackageStatus};
use airlift_desk::cache::Collection;
use airlift_desk::signing::SigningKey;
use airlift_desk::sync::sync_packages;
use airlift_desk::upload::{publish, Published};
use airlift_desk::{DeskError, DeskErrorCode};
use serde_json::json;

use super::{cached, checks};
use crate::args::{Global, PackageCommand, PackageFields, PackageKind};
use crate::context::Context;
use crate::exit::{Failure, OK};
use crate::output::{bytes, Output};

pub fn describe(p: &Published) -> String {
    format!(
        "package {} ({} {} for {}) is {}: checksum verified: {}, signature: {}",
        p.package.package_id,
        p.package.package_type.as_str(),
        p.package.version,
        p.package.compatibility.device_type,
        match p.package.status {
            PackageStatus::Available => "available",
        },
        if p.checksum_verified { "yes" } else { "no" },
        p.signature_verified_with
            .as_deref()
            .map_or("none".to_owned(), |k| format!("verified with key {k}"))
    )
}

/// The shell command that makes the package of an uploaded image (after a failed package step).
pub fn finish_command(image_id: &str, f: &PackageFields) -> String {
    let mut parts = vec![
        "airlift-cli package create".to_owned(),
        format!("--image {}", shell_word(image_id)),
        format!("--version {}", shell_word(&f.version)),
        format!(
            "--type {}",
            match f.package_type {
                PackageKind::Fw => "fw",
                PackageKind::Sw => "sw",
            }
        ),
        format!("--device-type {}", shell_word(&f.device_type)),
        format!("--min-version {}", shell_word(&f.min_version)),
    ];
    if !f.release_notes.is_empty() {
        parts.push(format!("--release-notes {}", shell_word(&f.release_notes)));
    }
    if let Some(key) = &f.signing.key {
        parts.push(format!("--key {}", shell_word(key)));
    }
    if let Some(file) = &f.signing.key_file {
        parts.push(format!(
            "--key-file {}",
            shell_word(&file.display().to_string())
        ));
    }
    parts.join(" ")
}

/// Quotes a word for a POSIX shell when it needs it.
fn shell_word(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.:/+=@,".contains(c));
    if plain {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

pub async fn run(
    out: Output,
    g: &Global,
    ctx: &Context,
    cmd: &PackageCommand,
) -> Result<u8, Failure> {
    match cmd {
        PackageCommand::Create { image, package } => create(out, g, ctx, image, package).await,
        PackageCommand::List => list(out, ctx).await,
    }
}

/// The package of `image`, after the checks; an existing package of the same version made of
/// the same bytes is answered as is (a rerun pipeline step), one of other bytes is refused.
pub async fn package_image(
    ctx: &Context,
    image: &FirmwareImage,
    sha256: &str,
    signer: Option<&SigningKey>,
    fields: &PackageFields,
) -> Result<(Published, bool), DeskError> {
    let spec = fields.spec();
    let client = ctx
        .creating(
            "package",
            &json!({
                "image": image.id,
                "sha256": sha256,
                "type": spec.package_type.as_str(),
                "version": spec.version,
                "device_type": spec.device_type,
                "min_version": spec.min_version,
                "release_notes": spec.release_notes,
                "key": signer.map(|k| k.public_key().map(|p| p.fingerprint())).transpose()?,
            }),
        )
        .map_err(into_desk)?;
    publish(&client, image, sha256, signer, &spec)
        .await
        .map(|p| (p, false))
}

/// The existing package of this version, when it holds these same bytes (`Ok(Some)`), or the
/// refusal to make a second one.
pub fn existing_same_build(
    existing: Option<airlift_core::wire::Package>,
    sha256: Option<&str>,
) -> Result<Option<Published>, Failure> {
    let Some(p) = existing else {
        return Ok(None);
    };
    if sha256.is_some_and(|s| s.eq_ignore_ascii_case(&p.sha256)) {
        return Ok(Some(Published {
            checksum_verified: p.checksum_verified,
            signature_verified_with: p.signing_key_id.clone(),
            package: p,
        }));
    }
    Err(Failure::Desk(DeskError::new(
        DeskErrorCode::AlreadyExists,
        format!(
            "version {} of this {} package for {} already exists as package {} with other \
             bytes (sha256 {}); give the new build a new version",
            p.version,
            p.package_type.as_str(),
            p.compatibility.device_type,
            p.package_id,
            &p.sha256[..16.min(p.sha256.len())]
        ),
    )))
}

fn into_desk(f: Failure) -> DeskError {
    match f {
        Failure::Desk(e) | Failure::Unpackaged { error: e, .. } => e,
        Failure::Usage(m) => DeskError::invalid_argument(m),
    }
}

async fn create(
    out: Output,
    g: &Global,
    ctx: &Context,
    image_id: &str,
    fields: &PackageFields,
) -> Result<u8, Failure> {
    checks::versions(fields)?;
    let signer = super::key::signer(g, &fields.signing)?;
    let image = ctx.client.image(image_id).await?;
    let existing = checks::with_server(ctx, fields, signer.as_ref(), false).await?;
    let (published, already) = match existing_same_build(existing, Some(&image.datafile_checksum))?
    {
        Some(p) => (p, true),
        None => {
            package_image(
                ctx,
                &image,
                &image.datafile_checksum,
                signer.as_ref(),
                fields,
            )
            .await?
        }
    };
    out.result(
        &json!({"package": published, "already_published": already}),
        || {
            let mut text = describe(&published);
            if already {
                text.push_str(" (already published from these bytes: nothing new was made)");
            }
            text
        },
    )?;
    Ok(OK)
}

async fn list(out: Output, ctx: &Context) -> Result<u8, Failure> {
    let cache = ctx.open_cache()?;
    let conn = ctx.connection_id.as_str();
    let cached = cached::read(
        ctx,
        &cache,
        Collection::Packages,
        sync_packages(&ctx.client, &cache, conn),
        |c| c.packages(conn),
    )
    .await?;
    cached::print_list(out, "packages", &cached, |p| {
        format!(
            "{}  {} {}  {}  {}  signature {}",
            p.id,
            p.package_type.as_str(),
            p.version,
            p.device_type,
            bytes(p.size_bytes),
            p.signature_status
        )
    })?;
    Ok(OK)
}
