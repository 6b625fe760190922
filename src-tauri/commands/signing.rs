//! Signing keys: create or import one into this computer's key store, and register its public
//! half with the active connection's tenant. Private keys stay encrypted in the key store; only
//! SPKI public keys go to the server.

use std::path::PathBuf;

use airlift_desk::ops::keys::{create_key, import_key};
use airlift_desk::signing::{register, registration, tenant_keys, KeyStore};
use airlift_desk::DeskError;
use tauri::{AppHandle, State};

use crate::dto::signing::{ImportSigningKey, KeyRegistration, KeyRegistrations, NewSigningKey};
use crate::dto::upload::SigningKeyInfo;
use crate::state::AppState;

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
    let keys = KeyStore::open(state.keys_dir())?;
    let algorithm = key.algorithm.into();
    Ok(create_key(keys, key.name, algorithm, key.passphrase)
        .await?
        .into())
}

/// Imports a PEM private key file and stores it encrypted under the passphrase.
#[tauri::command]
pub async fn signing_key_import(
    state: State<'_, AppState>,
    key: ImportSigningKey,
) -> Result<SigningKeyInfo, DeskError> {
    let keys = KeyStore::open(state.keys_dir())?;
    let file_passphrase = key.file_passphrase.filter(|p| !p.is_empty());
    let path = PathBuf::from(&key.path);
    Ok(
        import_key(keys, key.name, path, file_passphrase, key.passphrase)
            .await?
            .into(),
    )
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
