//! Add, test, switch and remove server connections, and the CA a connection trusts.

use airlift_desk::ca_cert::CaCert;
use airlift_desk::client::ClientOptions;
use airlift_desk::ops::connect::{
    check_connection, remove_connection, save_connection, NewConnection as NewSaved,
};
use airlift_desk::secret::Secret;
use airlift_desk::DeskError;
use tauri::{AppHandle, State};

use crate::dto::connections::{
    CaCertInfo, ConnectionCheck, ConnectionInfo, ConnectionKind, ConnectionList, NewConnection,
    PickedCaCert,
};
use crate::state::{client_options, lock, Active, AppState};

#[tauri::command]
pub fn connections_list(state: State<'_, AppState>) -> Result<ConnectionList, DeskError> {
    let active = state.active()?;
    let active_name = active.as_ref().map(|a| a.name.clone());
    let is_active = |name: &str| active_name.as_deref() == Some(name);
    let mut list = Vec::new();
    if let Some(env) = &state.env_connection {
        list.push(ConnectionInfo {
            name: env.name.clone(),
            url: env.url.clone(),
            kind: ConnectionKind::Environment,
            active: is_active(&env.name),
            ca_cert: env.ca_cert.as_ref().map(CaCertInfo::from),
        });
    }
    if let Some(demo) = lock(&state.demo)?.as_ref() {
        list.push(ConnectionInfo {
            name: crate::demo::DEMO_NAME.to_owned(),
            url: demo.url.clone(),
            kind: ConnectionKind::Demo,
            active: is_active(crate::demo::DEMO_NAME),
            ca_cert: None,
        });
    }
    for c in state.connections()?.list() {
        list.push(ConnectionInfo {
            name: c.name.clone(),
            url: c.url.clone(),
            kind: ConnectionKind::Saved,
            active: is_active(&c.name),
            // A PEM edited into something unreadable shows as none; using it says why.
            ca_cert: c.ca_cert().ok().flatten().as_ref().map(CaCertInfo::from),
        });
    }
    Ok(ConnectionList {
        connections: list,
        active: active_name,
        demo_available: crate::demo::sim_binary().is_some(),
        token_refused: state.token_refused()?,
    })
}

/// Checks a URL and token (and the CA to trust for it) by listing one page of packages.
#[tauri::command]
pub async fn connection_test(
    url: String,
    token: String,
    ca_cert_pem: Option<String>,
) -> Result<ConnectionCheck, DeskError> {
    let token = (!token.is_empty()).then(|| Secret::new(token));
    let options = ClientOptions {
        ca_cert: ca_cert(ca_cert_pem.as_deref())?,
        ..client_options()
    };
    let check = check_connection(&url, token.as_ref(), options).await?;
    Ok(ConnectionCheck {
        packages_seen: check.packages_seen,
    })
}

/// Saves a connection (token into the OS keyring, CA with the connection) and makes it the
/// active one.
#[tauri::command]
pub fn connection_add(
    state: State<'_, AppState>,
    connection: NewConnection,
) -> Result<(), DeskError> {
    if reserved(&state, &connection.name) {
        return Err(DeskError::invalid_argument(format!(
            "{:?} is taken by a built-in connection; choose another name",
            connection.name
        )));
    }
    let token = (!connection.token.is_empty()).then(|| Secret::new(connection.token));
    let ca_cert = ca_cert(connection.ca_cert_pem.as_deref())?;
    let new = NewSaved {
        name: &connection.name,
        url: &connection.url,
        token: token.as_ref(),
        ca_cert: ca_cert.as_ref(),
    };
    let conn = save_connection(&mut state.connections()?, &state.tokens, new, true)?.connection;
    state.set_active(Some(Active {
        token,
        token_loaded: true,
        ..Active::saved(&conn)
    }))
}

/// Opens the native dialog to choose a CA certificate (PEM); `None` when closed. The file is
/// read and checked here: the UI gets its PEM and what it is.
#[tauri::command]
pub async fn pick_ca_cert(app: AppHandle) -> Result<Option<PickedCaCert>, DeskError> {
    let picked = crate::dialog::pick_file(
        &app,
        "Choose the server's CA certificate (PEM)",
        Some(("PEM certificate", &["pem", "crt", "cer"])),
    )
    .await;
    let Some(path) = picked else {
        return Ok(None);
    };
    let ca = CaCert::read(&path)?;
    Ok(Some(PickedCaCert {
        pem: ca.pem().to_owned(),
        info: CaCertInfo::from(&ca),
    }))
}

/// What a pasted CA certificate is (subject, expiry), or why it is not one.
#[tauri::command]
pub fn ca_cert_describe(pem: String) -> Result<CaCertInfo, DeskError> {
    Ok(CaCertInfo::from(&CaCert::parse(&pem)?))
}

/// Makes another connection the active one.
#[tauri::command]
pub fn connection_switch(state: State<'_, AppState>, name: String) -> Result<(), DeskError> {
    if let Some(env) = state.env_connection.as_ref().filter(|e| e.name == name) {
        return state.set_active(Some(Active::env(env)));
    }
    if name == crate::demo::DEMO_NAME {
        let demo = lock(&state.demo)?.as_ref().map(Active::demo);
        return match demo {
            Some(active) => state.set_active(Some(active)),
            None => Err(DeskError::invalid_argument(
                "the local demo fleet is not running",
            )),
        };
    }
    let mut saved = state.connections()?;
    let conn = saved.resolve(Some(&name))?.clone();
    saved.set_default(&name)?;
    state.set_active(Some(Active::saved(&conn)))
}

/// Removes a saved connection, its token and its cached data.
#[tauri::command]
pub fn connection_remove(state: State<'_, AppState>, name: String) -> Result<(), DeskError> {
    let mut saved = state.connections()?;
    remove_connection(&mut saved, &state.tokens, Some(&*state.cache), &name)?;
    if state.active()?.is_some_and(|a| a.name == name) {
        let next = saved.resolve(None).ok().map(Active::saved);
        state.set_active(next)?;
    }
    Ok(())
}

/// An empty or absent PEM is no CA.
fn ca_cert(pem: Option<&str>) -> Result<Option<CaCert>, DeskError> {
    pem.filter(|p| !p.trim().is_empty())
        .map(CaCert::parse)
        .transpose()
}

fn reserved(state: &AppState, name: &str) -> bool {
    name == crate::demo::DEMO_NAME
        || state
            .env_connection
            .as_ref()
            .is_some_and(|e| e.name == name)
}
