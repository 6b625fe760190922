//! Seed 002's JSON and URL_LIST packages: `airlift_desk::ops::payloads` checks, signs and
//! creates them; this adapts the form's request and the verdicts.

use airlift_desk::ops::payloads::{create_inline_package, InlinePayload};
use airlift_desk::signing::KeyStore;
use airlift_desk::upload::{preflight, SigningWith};
use airlift_desk::DeskError;
use tauri::State;

use crate::dto::catalog::PayloadKind;
use crate::dto::payloads::{InlinePackageOutcome, InlinePackageRequest};
use crate::state::AppState;

/// Creates a JSON or URL_LIST package; a refusal is an outcome (with each file's verdict), not
/// a failure of the command.
#[tauri::command]
pub async fn inline_package_create(
    state: State<'_, AppState>,
    mut request: InlinePackageRequest,
) -> Result<InlinePackageOutcome, DeskError> {
    let files = request.files.len();
    let demo_key = crate::demo::demo_key_id(&state.paths.data_dir);
    if request.key_id.is_some() && request.key_id == demo_key {
        request.passphrase = Some(crate::demo::DEMO_KEY_PASSPHRASE.to_owned());
    }
    let payload = match request.payload_type {
        PayloadKind::Json => InlinePayload::Json(request.json.clone().unwrap_or_default()),
        PayloadKind::UrlList => InlinePayload::UrlList(request.url_files()),
        PayloadKind::File => {
            return Err(DeskError::invalid_argument(
                "payload_type: a FILE package is uploaded with the upload wizard",
            ))
        }
    };
    let (name, client) = state.client()?;
    let keys = KeyStore::open(state.keys_dir())?;
    let spec = request.spec();
    let stored = match &request.key_id {
        Some(key_id) => Some(keys.get(key_id)?),
        None => None,
    };
    // What the tenant would refuse (no signature, an unregistered key, a taken version), said
    // in the same words as the upload wizard's.
    // No image is made: the image quota does not count.
    let signing_with = stored.as_ref().map(SigningWith::from);
    if let Some(refusal) = preflight(&client, &spec, signing_with, false).await? {
        let e = crate::commands::upload::refused(refusal, &name, &keys);
        return Ok(InlinePackageOutcome::refused(&e, files));
    }
    let signer = match &request.key_id {
        Some(key_id) => match keys.unlock(key_id, request.passphrase.as_deref().unwrap_or("")) {
            Ok(k) => Some(k),
            Err(e) => return Ok(InlinePackageOutcome::refused(&e, files)),
        },
        None => None,
    };
    let outcome = create_inline_package(&client, &spec, &payload, signer.as_ref()).await;
    let files = outcome.files.into_iter().map(Into::into).collect();
    Ok(match outcome.package {
        Ok(p) => {
            let row = airlift_desk::sync::package_row(&p);
            if let Ok(mut cache) = state.cache.lock() {
                // Shown in the catalog at once; the next sync would bring it anyway.
                let _ = cache.upsert_packages(&name, std::slice::from_ref(&row));
            }
            InlinePackageOutcome {
                package: Some(row.into()),
                error: None,
                files,
            }
        }
        Err(e) => InlinePackageOutcome {
            files,
            ..InlinePackageOutcome::refused(&e, 0)
        },
    })
}
