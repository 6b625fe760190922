//! Add, test, switch and remove server connections.

use airlift_desk::ops::connect::{check_connection, remove_connection, save_connection};
use airlift_desk::secret::Secret;
use airlift_desk::DeskError;
use tauri::State;

use crate::dto::connections::{
    ConnectionCheck, ConnectionInfo, ConnectionKind, ConnectionList, NewConnection,
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
        });
    }
    if let Some(demo) = lock(&state.demo)?.as_ref() {
        list.push(ConnectionInfo {
            name: crate::demo::DEMO_NAME.to_owned(),
            url: demo.url.clone(),
            kind: ConnectionKind::Demo,
            active: is_active(crate::demo::DEMO_NAME),
        });
    }
    for c in state.connections()?.list() {
        list.push(ConnectionInfo {
            name: c.name.clone(),
            url: c.url.clone(),
            kind: ConnectionKind::Saved,
            active: is_active(&c.name),
        });
    }
    Ok(ConnectionList {
        connections: list,
        active: active_name,
        demo_available: crate::demo::sim_binary().is_some(),
    })
}

/// Checks a URL and token by listing one page of packages.
#[tauri::command]
pub async fn connection_test(url: String, token: String) -> Result<ConnectionCheck, DeskError> {
    let token = (!token.is_empty()).then(|| Secret::new(token));
    let check = check_connection(&url, token.as_ref(), client_options()).await?;
    Ok(ConnectionCheck {
        packages_seen: check.packages_seen,
    })
}

/// Saves a connection (token into the OS keyring) and makes it the active one.
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
    let conn = save_connection(
        &mut state.connections()?,
        &state.tokens,
        &connection.name,
        &connection.url,
        token.as_ref(),
        true,
    )?
    .connection;
    state.set_active(Some(Active {
        name: conn.name,
        url: conn.url,
        token,
        token_loaded: true,
    }))
}

/// Makes another connection the active one.
#[tauri::command]
pub fn connection_switch(state: State<'_, AppState>, name: String) -> Result<(), DeskError> {
    if let Some(env) = state.env_connection.as_ref().filter(|e| e.name == name) {
        return state.set_active(Some(Active {
            name: env.name.clone(),
            url: env.url.clone(),
            token: env.token.clone(),
            token_loaded: true,
        }));
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
    state.set_active(Some(Active {
        name: conn.name,
        url: conn.url,
        token: None,
        token_loaded: false,
    }))
}

/// Removes a saved connection, its token and its cached data.
#[tauri::command]
pub fn connection_remove(state: State<'_, AppState>, name: String) -> Result<(), DeskError> {
    let mut saved = state.connections()?;
    remove_connection(&mut saved, &state.tokens, Some(&*state.cache), &name)?;
    if state.active()?.is_some_and(|a| a.name == name) {
        let next = saved.resolve(None).ok().map(|c| Active {
            name: c.name.clone(),
            url: c.url.clone(),
            token: None,
            token_loaded: false,
        });
        state.set_active(next)?;
    }
    Ok(())
}

fn reserved(state: &AppState, name: &str) -> bool {
    name == crate::demo::DEMO_NAME
        || state
            .env_connection
            .as_ref()
            .is_some_and(|e| e.name == name)
}
