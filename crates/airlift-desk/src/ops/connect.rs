//! Connecting to a server: checking a URL and token, saving a connection with its token, and
//! removing one. The app's Settings and `airlift-cli connection` do it here, the same way: the
//! token goes to the OS keyring (or the 0600 token file where no keyring answers) before the
//! connection is listed, so a saved connection never lacks its token, and the connections file
//! never holds one.

use std::sync::Mutex;

use serde::Serialize;

use crate::ca_cert::CaCert;
use crate::cache::{lock, Cache};
use crate::client::{Client, ClientOptions, ListParams};
use crate::connections::{validate, Connection, Connections, KeyringOrFile, TokenPlace};
use crate::error::DeskError;
use crate::role::{role_of, tenant_of, Role};
use crate::secret::Secret;

/// What a server said to a URL and token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConnectionCheck {
    /// Packages on the first page of the catalog (up to 100): the token reads the tenant.
    pub packages_seen: u32,
    /// The token's tenant and role, when the desk can read them (the server decides).
    pub tenant: Option<String>,
    pub role: Option<Role>,
}

/// Checks `url` and `token` by reading one page of the catalog (trusting `options.ca_cert`
/// beside the system's CAs: a server it does not vouch for is `TLS_UNTRUSTED`).
pub async fn check_connection(
    url: &str,
    token: Option<&Secret>,
    options: ClientOptions,
) -> Result<ConnectionCheck, DeskError> {
    let client = Client::new(url.trim(), token.cloned(), options)?;
    let page = client.packages(&ListParams::new(100, None)).await?;
    Ok(ConnectionCheck {
        packages_seen: u32::try_from(page.data.len()).unwrap_or(u32::MAX),
        tenant: token.and_then(tenant_of),
        role: token.and_then(role_of),
    })
}

/// What a person gives to save a connection.
#[derive(Debug, Clone, Copy)]
pub struct NewConnection<'a> {
    pub name: &'a str,
    pub url: &'a str,
    pub token: Option<&'a Secret>,
    /// A CA trusted for this server beside the system's (a self-run PKI).
    pub ca_cert: Option<&'a CaCert>,
}

/// A connection as saved, and where its token went (`None`: saved without one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SavedConnection {
    pub connection: Connection,
    pub token_place: Option<TokenPlace>,
}

/// Saves (or replaces) the connection `name` to `url` with its token and the CA trusted for
/// it: checked first, then the token stored, then the connection listed. With
/// `make_default`, later runs use it when none is named (the app's active connection).
pub fn save_connection(
    connections: &mut Connections,
    tokens: &KeyringOrFile,
    new: NewConnection<'_>,
    make_default: bool,
) -> Result<SavedConnection, DeskError> {
    let NewConnection {
        name,
        url,
        token,
        ca_cert,
    } = new;
    let connection = Connection {
        name: name.trim().to_owned(),
        url: url.trim().to_owned(),
        ca_cert_pem: ca_cert.map(|ca| ca.pem().to_owned()),
    };
    validate(&connection)?;
    let token_place = match token {
        Some(token) => Some(tokens.store(&connection.name, token)?),
        None => None,
    };
    connections.save(connection.clone(), None, tokens)?;
    if make_default {
        connections.set_default(&connection.name)?;
    }
    Ok(SavedConnection {
        connection,
        token_place,
    })
}

/// Removes the connection `name`, its token and, given its cache, the rows cached for it.
pub fn remove_connection(
    connections: &mut Connections,
    tokens: &KeyringOrFile,
    cache: Option<&Mutex<Cache>>,
    name: &str,
) -> Result<(), DeskError> {
    connections.remove(name, tokens)?;
    if let Some(cache) = cache {
        lock(cache)?.forget_connection(name)?;
    }
    Ok(())
}
