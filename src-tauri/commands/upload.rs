//! The upload wizard's commands: choose a file, hash it, list signing keys, upload and publish,
//! pause / cancel, and the upload left over from the last session.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use airlift_desk::hashing::sha256_file;
use airlift_desk::ops::upload::{file_name, forget, pending_build, upload_build, UploadControl};
use airlift_desk::ops::Session;
use airlift_desk::signing::KeyStore;
use airlift_desk::upload::{preflight, Refusal, SigningWith};
use airlift_desk::{CancelToken, DeskError, DeskErrorCode};
use tauri::ipc::Channel;
use tauri::{AppHandle, State};

use crate::dto::upload::{
    HashProgress, HashedFile, ImageQuotaInfo, PendingUpload, SigningKeyInfo, UploadEvent,
    UploadOutcome, UploadRequest,
};
use crate::state::{lock, AppState};

/// Opens the native "choose a file" dialog; `None` when the person closes it.
#[tauri::command]
pub async fn pick_file(app: AppHandle) -> Result<Option<String>, DeskError> {
    let picked = crate::dialog::pick_file(&app, "Choose a build to upload", None).await;
    Ok(picked.map(|p| p.display().to_string()))
}

/// Hashes the file with SHA-256, reporting progress about ten times a second.
#[tauri::command]
pub async fn hash_file(
    path: String,
    on_progress: Channel<HashProgress>,
) -> Result<HashedFile, DeskError> {
    let file = PathBuf::from(&path);
    tokio::task::spawn_blocking(move || {
        let mut last: Option<Instant> = None;
        let digest = sha256_file(&file, &CancelToken::new(), |p| {
            let due = last.is_none_or(|t| t.elapsed() >= Duration::from_millis(100));
            if due || p.done == p.total {
                last = Some(Instant::now());
                let _ = on_progress.send(HashProgress {
                    done: p.done,
                    total: p.total,
                });
            }
        })?;
        Ok(HashedFile {
            file_name: file_name(&file),
            path,
            size_bytes: digest.size,
            sha256: digest.sha256_hex().as_str().to_owned(),
        })
    })
    .await
    .map_err(|err| DeskError::internal(format!("hashing stopped unexpectedly: {err}")))?
}

/// The signing keys on this computer; the demo's key is marked.
#[tauri::command]
pub fn signing_keys(state: State<'_, AppState>) -> Result<Vec<SigningKeyInfo>, DeskError> {
    let keys = KeyStore::open(state.keys_dir())?.list()?;
    let demo = crate::demo::demo_key_id(&state.paths.data_dir);
    Ok(keys
        .into_iter()
        .map(|k| {
            let is_demo = demo.as_deref() == Some(k.key_id.as_str());
            SigningKeyInfo {
                demo: is_demo,
                ..k.into()
            }
        })
        .collect())
}

/// Uploads the file (resuming an interrupted upload of it), lets the server verify it, and
/// creates the package: `airlift_desk::ops::upload`, which also decides what a pause, a cancel
/// or a refusal leaves behind.
#[tauri::command]
pub async fn upload_package(
    state: State<'_, AppState>,
    mut request: UploadRequest,
    on_event: Channel<UploadEvent>,
) -> Result<UploadOutcome, DeskError> {
    let demo_key = crate::demo::demo_key_id(&state.paths.data_dir);
    if request.key_id.is_some() && request.key_id == demo_key {
        request.passphrase = Some(crate::demo::DEMO_KEY_PASSPHRASE.to_owned());
    }
    crate::validate::upload_request(&request)?;
    let (name, client) = state.client()?;
    let keys = KeyStore::open(state.keys_dir())?;
    let stored = match &request.key_id {
        Some(key_id) => Some(keys.get(key_id)?),
        None => None,
    };
    let (build, spec) = request.build();
    // Before any byte is sent: what the tenant would refuse after the whole upload.
    let signing_with = stored.as_ref().map(SigningWith::from);
    if let Some(refusal) = preflight(&client, &spec, signing_with, true).await? {
        return Err(refused(refusal, &name, &keys));
    }
    let signer = match &request.key_id {
        Some(key_id) => Some(keys.unlock(key_id, request.passphrase.as_deref().unwrap_or(""))?),
        None => None,
    };
    let control = UploadControl::default();
    {
        let mut slot = lock(&state.upload)?;
        if slot.is_some() {
            return Err(DeskError::new(
                DeskErrorCode::FailedPrecondition,
                "another upload is running; wait for it or cancel it",
            ));
        }
        *slot = Some(control.clone());
    }
    let session = Session {
        client: &client,
        cache: &state.cache,
        connection_id: &name,
    };
    let on_stage = |stage| {
        let _ = on_event.send(UploadEvent::from(stage));
    };
    let result = upload_build(session, &build, signer.as_ref(), &control, &on_stage).await;
    if let Ok(mut slot) = state.upload.lock() {
        *slot = None;
    }
    let done = result?;
    let published = done
        .package
        .ok_or_else(|| DeskError::internal("the upload made no package"))?;
    Ok(UploadOutcome {
        package: airlift_desk::sync::package_row(&published.package).into(),
        checksum_verified: published.checksum_verified,
        signature_verified_with: published.signature_verified_with,
        resumed: done.upload.resumed,
        stored_encrypted: done.upload.image.datafile_encryption,
    })
}

/// The tenant's refusal, said before the upload: the cause and the fix, in the app's words.
/// Signing refusals start with `signing:` and a taken version with `version:`, so the wizard
/// shows each on the step that fixes it.
pub(crate) fn refused(refusal: Refusal, connection: &str, keys: &KeyStore) -> DeskError {
    match refusal {
        Refusal::SignatureRequired { .. } => {
            let local = keys.list().unwrap_or_default();
            let fix = match local.first() {
                None => "create a key in the Signing step and register it with the fleet".to_owned(),
                Some(key) if local.len() == 1 => format!(
                    "choose '{}' in the Signing step (register it in Settings > Signing keys if the fleet does not trust it yet)",
                    key.name
                ),
                Some(_) => "choose one of your keys in the Signing step, registered with the fleet in Settings > Signing keys"
                    .to_owned(),
            };
            DeskError::new(
                DeskErrorCode::FailedPrecondition,
                format!(
                    "signing: {connection} requires signed packages and none was chosen: {fix}. Nothing was uploaded."
                ),
            )
        }
        Refusal::KeyNotRegistered {
            key_name,
            revoked: true,
            ..
        } => DeskError::new(
            DeskErrorCode::FailedPrecondition,
            format!(
                "signing: {connection} revoked key '{key_name}', so it would refuse the package: choose another key registered with the fleet (Settings > Signing keys). Nothing was uploaded."
            ),
        ),
        Refusal::KeyNotRegistered { key_name, .. } => DeskError::new(
            DeskErrorCode::FailedPrecondition,
            format!(
                "signing: {connection} does not trust key '{key_name}', so it would refuse the package: register '{key_name}' in Settings > Signing keys (an admin of the fleet can), or choose a registered key. Nothing was uploaded."
            ),
        ),
        Refusal::VersionExists {
            version,
            device_type,
            ..
        } => DeskError::new(
            DeskErrorCode::AlreadyExists,
            format!(
                "version: {device_type} {version} is already in {connection}'s catalog; give this build a new version. Nothing was uploaded."
            ),
        ),
        Refusal::ImageQuotaFull { used, max, .. } => DeskError::new(
            DeskErrorCode::ResourceExhausted,
            format!(
                "images: {connection} holds {used} of its {max} firmware images, so it would refuse this one: delete an image it no longer needs (airlift-cli image delete ID), or ask the fleet's operator to raise --max-images. Nothing was uploaded."
            ),
        ),
    }
}

/// How much of the active connection's image quota is used (`None`: the server has no quota,
/// or is older than it).
#[tauri::command]
pub async fn image_quota(state: State<'_, AppState>) -> Result<Option<ImageQuotaInfo>, DeskError> {
    let (_, client) = state.client()?;
    Ok(client.tenant().await?.images.map(ImageQuotaInfo::from))
}

/// Pauses the running upload; the parts sent so far stay on the server.
#[tauri::command]
pub fn upload_pause(state: State<'_, AppState>) -> Result<(), DeskError> {
    if let Some(control) = lock(&state.upload)?.as_ref() {
        control.pause();
    }
    Ok(())
}

/// Cancels the running upload and deletes what it sent.
#[tauri::command]
pub fn upload_cancel(state: State<'_, AppState>) -> Result<(), DeskError> {
    if let Some(control) = lock(&state.upload)?.as_ref() {
        control.cancel();
    }
    Ok(())
}

/// The upload left unfinished on the active connection's server and tenant (paused, the app
/// closed, or an interrupted `airlift-cli upload`: they share the record).
#[tauri::command]
pub fn pending_upload(state: State<'_, AppState>) -> Result<Option<PendingUpload>, DeskError> {
    if state.active()?.is_none() {
        return Ok(None);
    }
    if lock(&state.upload)?.is_some() {
        return Ok(None);
    }
    let pending = pending_build(&state.cache)?;
    Ok(pending.and_then(PendingUpload::from_build))
}

/// Forgets the unfinished upload and deletes its parts from the server.
#[tauri::command]
pub async fn pending_upload_discard(state: State<'_, AppState>) -> Result<(), DeskError> {
    let (name, client) = state.client()?;
    let session = Session {
        client: &client,
        cache: &state.cache,
        connection_id: &name,
    };
    if let Some(pending) = pending_build(&state.cache)? {
        forget(session, &pending.request.path).await;
    }
    Ok(())
}
