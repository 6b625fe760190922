//! Signing keys: create or import one into this computer's key store, and register its public
//! half with the active connection's tenant. Private keys stay encrypted in the key store; only
//! SPKI public keys go to the server.

use std::path::PathBuf;

use airlift_desk::signing::{register, registration, tenant_keys, KeyStore};
use airlift_desk::DeskError;
use tauri::{AppHandle, State};

use crate::dto::signing::{ImportSigningKey, KeyRegistration, KeyRegistrations, NewSigningKey};
use crate::dto::upload::SigningKeyInfo;
use crate::state::AppState;

/// The shortest passphrase a stored key accepts (the UI asks the same).
pub const MIN_PASSPHRASE_CHARS: usize = 12;

/// Opens the native dialog to choose a PEM private key file; `None` when closed.
#[tauri::command]
pub async fn pick_key_file(app: AppHandle) -> Result<Option<String>, DeskError> {
    let picked = crate::dialog::pick_file(
        &app,
        "Choose a private key (PEM)",
        Some(("PEM private key", &["pem", "key", "p8"])),
    )
    .await;
    Ok(picked.map(|p| p.display().to_string()))
}

/// Generates a key and stores it encrypted under the passphrase.
#[tauri::command]
pub async fn signing_key_create(
    state: State<'_, AppState>,
    key: NewSigningKey,
) -> Result<SigningKeyInfo, DeskError> {
    check_passphrase(&key.passphrase)?;
    let dir = state.keys_dir().to_path_buf();
    // scrypt makes storing a key take a noticeable moment: keep it off the IPC thread.
    blocking(move || KeyStore::open(&dir)?.create(&key.name, key.algorithm.into(), &key.passphrase))
        .await
}

/// Imports a PEM private key file and stores it encrypted under the passphrase.
#[tauri::command]
pub async fn signing_key_import(
    state: State<'_, AppState>,
    key: ImportSigningKey,
) -> Result<SigningKeyInfo, DeskError> {
    check_passphrase(&key.passphrase)?;
    let dir = state.keys_dir().to_path_buf();
    blocking(move || {
        let file_passphrase = key.file_passphrase.as_deref().filter(|p| !p.is_empty());
        KeyStore::open(&dir)?.import_file(
            &key.name,
            &PathBuf::from(&key.path),
            file_passphrase,
            &key.passphrase,
        )
    })
    .await
}

/// Which local keys the active connection's tenant trusts.
#[tauri::command]
pub async fn signing_key_registrations(
    state: State<'_, AppState>,
) -> Result<KeyRegistrations, DeskError> {
    let (connection, client) = state.client()?;
    let signatures_required = client.tenant().await?.require_signatures;
    let tenant = tenant_keys(&client).await?;
    let local = KeyStore::open(state.keys_dir())?.list()?;
    let registered = local
        .iter()
        .filter_map(|k| {
            registration(&tenant, k).map(|t| KeyRegistration {
                fingerprint: k.fingerprint.clone(),
                tenant_key_id: t.key_id.clone(),
            })
        })
        .collect();
    Ok(KeyRegistrations {
        connection,
        registered,
        signatures_required,
    })
}

/// Registers a local key's public half with the active connection's tenant (admin only).
#[tauri::command]
pub async fn signing_key_register(
    state: State<'_, AppState>,
    key_id: String,
) -> Result<KeyRegistration, DeskError> {
    let (_, client) = state.client()?;
    let stored = KeyStore::open(state.keys_dir())?.get(&key_id)?;
    let tenant_key = register(&client, &stored).await?;
    Ok(KeyRegistration {
        fingerprint: stored.fingerprint,
        tenant_key_id: tenant_key.key_id,
    })
}

fn check_passphrase(passphrase: &str) -> Result<(), DeskError> {
    if passphrase.chars().count() < MIN_PASSPHRASE_CHARS {
        return Err(DeskError::invalid_argument(format!(
            "passphrase: use at least {MIN_PASSPHRASE_CHARS} characters; it is all that protects \
             the key if this computer's files are copied"
        )));
    }
    Ok(())
}

async fn blocking(
    work: impl FnOnce() -> Result<airlift_desk::signing::StoredKey, DeskError> + Send + 'static,
) -> Result<SigningKeyInfo, DeskError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|err| DeskError::internal(format!("the key store stopped unexpectedly: {err}")))?
        .map(Into::into)
}
