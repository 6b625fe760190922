//! JSON and URL_LIST packages (seed 002). Their `sha256` and signature cover the payload's
//! RFC 8785 canonical JSON, and those bytes are the package's stored object (so the chunk
//! endpoint serves them like any artifact). A URL list's files are each fetched from their
//! allowed host and verified (size, SHA-256) like an artifact, then kept under their own
//! `firmware/…` keys, which the server serves to devices: nothing of the package exists until
//! every file has passed, and a failure names the entry and removes every file it fetched.

use airlift_core::payload::{InlineKind, PayloadType, UrlListEntry};
use airlift_core::signing::PublicKey;
use bytes::Bytes;
use object_store::path::Path;

use super::fetch::{self, ArtifactRef, Sources};
use super::{check, place_and_insert, Content, PackageInput, Publisher};
use crate::artifacts::keys;
use crate::error::{AppError, AppResult};
use crate::ids;
use crate::store::PackageRecord;

/// Signature → payload object → every file → move into place → commit.
pub(super) async fn publish(
    p: &Publisher,
    tenant_id: &str,
    v: PackageInput,
    keys: Vec<(String, PublicKey)>,
) -> AppResult<PackageRecord> {
    let Content::Inline {
        payload_type,
        payload,
        sources,
    } = v.content
    else {
        return Err(AppError::internal(
            "creating a package",
            "not an inline package",
        ));
    };
    // Before any download: a signature that does not verify needs no file to be fetched.
    let signing_key_id = check::check_signature(
        &payload.digest(),
        v.signature.as_deref(),
        &keys,
        check::OVER_PAYLOAD,
    )?;
    let version = v.key.version.clone();
    let staging = keys::staging();
    let canonical = Bytes::from(payload.canonical.clone());
    p.artifacts
        .write_stream(
            &staging,
            futures_util::stream::once(async move { Ok::<_, AppError>(canonical) }),
            |_| Ok(()),
        )
        .await?;
    let mut moves = vec![(
        staging,
        keys::firmware(tenant_id, &version, payload.sha256.as_str()),
    )];
    let entries: &[UrlListEntry] = match &payload.kind {
        InlineKind::UrlList(entries) => entries,
        InlineKind::Json(_) => &[],
    };
    for (i, (entry, url)) in entries.iter().zip(&sources).enumerate() {
        match fetch_file(p, tenant_id, entry, url).await {
            Ok(staged) => moves.push((
                staged,
                keys::firmware(tenant_id, &version, entry.sha256.as_str()),
            )),
            Err(e) => {
                for (staged, _) in &moves {
                    p.artifacts.delete(staged).await;
                }
                return Err(e.about(&format!("payload[{i}] ({url})")));
            }
        }
    }
    let file_keys = moves[1..].iter().map(|(_, key)| key.to_string()).collect();
    let record = PackageRecord {
        id: ids::new_id("pkg"),
        tenant_id: tenant_id.to_owned(),
        key: v.key,
        min_version: v.min_version,
        artifact_uri: String::new(),
        sha256: payload.sha256.as_str().to_owned(),
        signature: v.signature,
        signing_key_id,
        size_bytes: payload.canonical.len() as u64,
        release_notes: v.release_notes,
        storage_key: moves[0].1.to_string(),
        created_at: ids::now(),
        change_seq: 0,
        payload_type,
        payload: Some(payload.canonical_text()),
        file_keys: if payload_type == PayloadType::UrlList {
            file_keys
        } else {
            Vec::new()
        },
        // A JSON or URL_LIST package's bytes are its canonical payload and files, stored plain.
        data_key: None,
    };
    place_and_insert(p, moves, &record).await?;
    Ok(record)
}

/// One file of the list in staging, its size and SHA-256 checked.
async fn fetch_file(
    p: &Publisher,
    tenant_id: &str,
    entry: &UrlListEntry,
    url: &url::Url,
) -> AppResult<Path> {
    let sources = Sources {
        images: &*p.store,
        artifacts: &p.artifacts,
        http: &p.http,
        data_keys: &p.data_keys,
    };
    let artifact = ArtifactRef::Http(url.clone());
    let fetched = fetch::fetch_to_staging(sources, tenant_id, &artifact, entry.size_bytes).await?;
    if let Err(e) = check::check_bytes(&fetched, &entry.sha256, entry.size_bytes, "the file") {
        p.artifacts.delete(&fetched.staging).await;
        return Err(e.into());
    }
    Ok(fetched.staging)
}
