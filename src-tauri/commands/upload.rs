//! The upload wizard's commands: choose a file, hash it, list signing keys, upload and publish,
//! pause / cancel, and the upload left over from the last session.

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use airlift_desk::client::Client;
use airlift_desk::hashing::sha256_file;
use airlift_desk::signing::KeyStore;
use airlift_desk::upload::{
    preflight, publish, upload_file, PackageSpec, Refusal, UploadRequest as DeskUpload,
};
use airlift_desk::{CancelToken, DeskError, DeskErrorCode};
use tauri::ipc::Channel;
use tauri::{AppHandle, State};

use crate::dto::upload::{
    HashProgress, HashedFile, PendingUpload, SigningKeyInfo, TransferProgress, UploadEvent,
    UploadOutcome, UploadRequest,
};
use crate::pending;
use crate::state::{lock, AppState, RunningUpload};

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
            file_name: pending::file_name(&file),
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
/// creates the package. On a verification failure or a cancel, nothing half-made stays: the
/// upload job is deleted and the saved request forgotten. A pause or a lost network keeps both,
/// so the next call (or the next launch) continues where it stopped.
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
    // Before any byte is sent: what the tenant would refuse after the whole upload.
    if let Some(refusal) = preflight(&client, &package_spec(&request), stored.as_ref()).await? {
        return Err(refused(refusal, &name, &keys));
    }
    let signer = match &request.key_id {
        Some(key_id) => Some(keys.unlock(key_id, request.passphrase.as_deref().unwrap_or(""))?),
        None => None,
    };
    let running = RunningUpload::default();
    {
        let mut slot = lock(&state.upload)?;
        if slot.is_some() {
            return Err(DeskError::new(
                DeskErrorCode::FailedPrecondition,
                "another upload is running; wait for it or cancel it",
            ));
        }
        *slot = Some(running.clone());
    }
    pending::save(&state.paths, &name, &request)?;
    let result = transfer_and_publish(
        &state, &client, &name, &request, signer, &running, &on_event,
    )
    .await;
    if let Ok(mut slot) = state.upload.lock() {
        *slot = None;
    }
    match &result {
        Ok(_) => pending::remove(&state.paths, &name),
        Err(err) if keeps_pending(err, &running) => {}
        Err(_) => {
            discard(&state, &client, &name, &request.path).await;
        }
    }
    result
}

/// A pause or a lost network keeps the upload for later; anything else throws it away.
fn keeps_pending(err: &DeskError, running: &RunningUpload) -> bool {
    match err.code() {
        DeskErrorCode::Cancelled => !running.discard.load(Ordering::Relaxed),
        DeskErrorCode::Offline => true,
        _ => false,
    }
}

async fn transfer_and_publish(
    state: &AppState,
    client: &Client,
    name: &str,
    request: &UploadRequest,
    signer: Option<airlift_desk::signing::SigningKey>,
    running: &RunningUpload,
    on_event: &Channel<UploadEvent>,
) -> Result<UploadOutcome, DeskError> {
    let path = PathBuf::from(&request.path);
    let stamp = airlift_desk::clock::now_ms();
    let job_name = format!("{}-{}-{stamp}", pending::file_name(&path), request.version);
    let mut desk = DeskUpload::new(&path, &job_name);
    desk.description = format!("Airlift desktop upload of {}", request.version);
    let progress = |p: &airlift_desk::upload::UploadProgress| {
        let _ = on_event.send(UploadEvent::Transfer(TransferProgress::from(p)));
        if p.done_bytes >= p.total_bytes {
            let _ = on_event.send(UploadEvent::Verifying);
        }
    };
    let uploaded = upload_file(
        client,
        &state.cache,
        name,
        &desk,
        running.cancel.clone(),
        &progress,
    )
    .await?;
    running.cancel.check("the upload")?;
    let _ = on_event.send(UploadEvent::Publishing);
    let spec = package_spec(request);
    // The digest the person confirmed, not the one measured while sending: if the file changed
    // in between, the server's check refuses the package.
    let published = match publish(
        client,
        &uploaded.image,
        &request.sha256,
        signer.as_ref(),
        &spec,
    )
    .await
    {
        Ok(p) => p,
        Err(err) => {
            let _ = client.delete_upload_job(&uploaded.job_id).await;
            return Err(explain(err, &uploaded.sha256, &request.sha256));
        }
    };
    let row = airlift_desk::sync::package_row(&published.package);
    lock(&state.cache)?.upsert_packages(name, std::slice::from_ref(&row))?;
    Ok(UploadOutcome {
        package: row.into(),
        checksum_verified: published.checksum_verified,
        signature_verified_with: published.signature_verified_with,
        resumed: uploaded.resumed,
    })
}

fn package_spec(request: &UploadRequest) -> PackageSpec {
    PackageSpec {
        package_type: request.package_type.into(),
        version: request.version.trim().to_owned(),
        device_type: request.device_type.trim().to_owned(),
        min_version: request.min_version.trim().to_owned(),
        release_notes: request.release_notes.clone(),
    }
}

/// The tenant's refusal, said before the upload: the cause and the fix, in the app's words.
/// Signing refusals start with `signing:` and a taken version with `version:`, so the wizard
/// shows each on the step that fixes it.
fn refused(refusal: Refusal, connection: &str, keys: &KeyStore) -> DeskError {
    match refusal {
        Refusal::SignatureRequired { .. } => {
            let local = keys.list().unwrap_or_default();
            let fix = match local.first() {
                None => "create a key in the Signing step and register it with the fleet".to_owned(),
                Some(key) if local.len() == 1 => format!(
                    "choose '{}' in the Signing step (register it in Settings > Signing keys if                      the fleet does not trust it yet)",
                    key.name
                ),
                Some(_) => "choose one of your keys in the Signing step, registered with the                             fleet in Settings > Signing keys"
                    .to_owned(),
            };
            DeskError::new(
                DeskErrorCode::FailedPrecondition,
                format!(
                    "signing: {connection} requires signed packages and none was chosen: {fix}.                      Nothing was uploaded."
                ),
            )
        }
        Refusal::KeyNotRegistered { key_name, .. } => DeskError::new(
            DeskErrorCode::FailedPrecondition,
            format!(
                "signing: {connection} does not trust key '{key_name}', so it would refuse the                  package: register '{key_name}' in Settings > Signing keys (an admin of the                  fleet can), or choose a registered key. Nothing was uploaded."
            ),
        ),
        Refusal::VersionExists {
            version,
            device_type,
        } => DeskError::new(
            DeskErrorCode::AlreadyExists,
            format!(
                "version: {device_type} {version} is already in {connection}'s catalog; give                  this build a new version. Nothing was uploaded."
            ),
        ),
    }
}

/// Adds what the desk knows to a refusal: the file changed after it was hashed.
fn explain(err: DeskError, sent: &str, confirmed: &str) -> DeskError {
    if err.code() == DeskErrorCode::VerificationFailed && sent != confirmed {
        DeskError::new(
            err.code(),
            format!(
                "The file changed after it was checked: you confirmed SHA-256 {confirmed}, but the \
                 bytes uploaded hash to {sent}, so the server refused the package. Server: {}",
                err.message()
            ),
        )
    } else {
        err
    }
}

/// Pauses the running upload; the parts sent so far stay on the server.
#[tauri::command]
pub fn upload_pause(state: State<'_, AppState>) -> Result<(), DeskError> {
    if let Some(running) = lock(&state.upload)?.as_ref() {
        running.cancel.cancel();
    }
    Ok(())
}

/// Cancels the running upload and deletes what it sent.
#[tauri::command]
pub fn upload_cancel(state: State<'_, AppState>) -> Result<(), DeskError> {
    if let Some(running) = lock(&state.upload)?.as_ref() {
        running.discard.store(true, Ordering::Relaxed);
        running.cancel.cancel();
    }
    Ok(())
}

/// The upload left unfinished on the active connection (paused, or the app was closed).
#[tauri::command]
pub fn pending_upload(state: State<'_, AppState>) -> Result<Option<PendingUpload>, DeskError> {
    let Some(active) = state.active()? else {
        return Ok(None);
    };
    if lock(&state.upload)?.is_some() {
        return Ok(None);
    }
    let Some(request) = pending::load(&state.paths, &active.name)? else {
        return Ok(None);
    };
    let path = PathBuf::from(&request.path);
    let size_bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    let canonical = path.canonicalize().unwrap_or(path.clone());
    let done_bytes = lock(&state.cache)?
        .pending_uploads(&active.name)?
        .into_iter()
        .find(|p| p.file_path == canonical)
        .map(|p| (p.parts_acknowledged.len() as u64 * p.part_size).min(p.size_bytes))
        .unwrap_or(0);
    Ok(Some(PendingUpload {
        file_name: pending::file_name(&path),
        request,
        size_bytes,
        done_bytes,
    }))
}

/// Forgets the unfinished upload and deletes its parts from the server.
#[tauri::command]
pub async fn pending_upload_discard(state: State<'_, AppState>) -> Result<(), DeskError> {
    let (name, client) = state.client()?;
    if let Some(request) = pending::load(&state.paths, &name)? {
        discard(&state, &client, &name, &request.path).await;
    }
    pending::remove(&state.paths, &name);
    Ok(())
}

/// Forgets the saved request and deletes the upload jobs of `path` on the server and in the
/// cache (see `airlift_desk::upload::discard`). If the server cannot be reached its job stays
/// in the cache, so the parts are deleted by a later discard or reused by a later upload.
async fn discard(state: &AppState, client: &Client, name: &str, path: &str) {
    pending::remove(&state.paths, name);
    if let Err(err) =
        airlift_desk::upload::discard(client, &state.cache, name, Path::new(path)).await
    {
        tracing::info!(%err, "could not delete an abandoned upload");
    }
}
