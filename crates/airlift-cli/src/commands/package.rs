use std::sync::Mutex;

use airlift_core::package::PackageType;
use airlift_desk::cache::{Cache, Collection};
use airlift_desk::signing::SigningKey;
use airlift_desk::sync::{read_through, sync_packages};
use airlift_desk::upload::{publish, PackageSpec, Published};
use serde_json::json;

use crate::args::{Global, PackageFields, PackageKind};
use crate::context::{open_keys, Context};
use crate::exit::Failure;
use crate::output::{age, bytes, Output};

pub fn spec(f: &PackageFields) -> PackageSpec {
    PackageSpec {
        package_type: match f.package_type {
            PackageKind::Fw => PackageType::Fw,
            PackageKind::Sw => PackageType::Sw,
        },
        version: f.version.clone(),
        device_type: f.device_type.clone(),
        min_version: f.min_version.clone(),
        release_notes: f.release_notes.clone(),
    }
}

/// The unlocked signing key `--key` names, if any.
pub fn signer(g: &Global, f: &PackageFields) -> Result<Option<SigningKey>, Failure> {
    let Some(wanted) = &f.key else {
        return Ok(None);
    };
    let keys = open_keys(g)?;
    let stored = keys
        .list()?
        .into_iter()
        .find(|k| &k.name == wanted || &k.key_id == wanted)
        .ok_or_else(|| Failure::usage(format!("no stored signing key is named {wanted:?}")))?;
    let passphrase = std::env::var(&f.key_passphrase_env).map_err(|_| {
        Failure::usage(format!(
            "set ${} to the passphrase of signing key {wanted:?}",
            f.key_passphrase_env
        ))
    })?;
    Ok(Some(keys.unlock(&stored.key_id, &passphrase)?))
}

pub fn describe(p: &Published) -> String {
    format!(
        "package {} ({} {}) {:?}: checksum verified: {}, signature: {}",
        p.package.package_id,
        p.package.package_type.as_str(),
        p.package.version,
        p.package.status,
        p.checksum_verified,
        p.signature_verified_with
            .as_deref()
            .map_or("none".to_owned(), |k| format!("verified with key {k}"))
    )
}

pub async fn create(
    out: Output,
    g: &Global,
    ctx: &Context,
    image_id: &str,
    fields: &PackageFields,
) -> Result<(), Failure> {
    let signer = signer(g, fields)?;
    let image = ctx.client.image(image_id).await?;
    let published = publish(
        &ctx.client,
        &image,
        &image.datafile_checksum,
        signer.as_ref(),
        &spec(fields),
    )
    .await?;
    out.result(&json!({"package": published}), || describe(&published))
}

pub async fn list(out: Output, ctx: &Context, cache: &Mutex<Cache>) -> Result<(), Failure> {
    let conn = ctx.connection_id.as_str();
    let cached = read_through(
        cache,
        conn,
        Collection::Packages,
        sync_packages(&ctx.client, cache, conn),
        |c| c.packages(conn),
    )
    .await?;
    let value = json!({
        "packages": cached.data,
        "fresh": cached.fresh,
        "age_secs": cached.age.map(|a| a.as_secs()),
        "offline_reason": cached.offline_reason,
    });
    out.result(&value, || {
        let mut lines = Vec::new();
        if !cached.fresh {
            lines.push(format!(
                "offline: showing cached packages ({})",
                age(cached.age)
            ));
        }
        for p in &cached.data {
            lines.push(format!(
                "{}  {} {}  {}  {}  {}",
                p.id,
                p.package_type.as_str(),
                p.version,
                p.device_type,
                bytes(p.size_bytes),
                p.signature_status
            ));
        }
        lines.join("\n")
    })
}
