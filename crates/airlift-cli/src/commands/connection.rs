use airlift_desk::connections::{Connections, KeyringOrFile, TokenPlace};
use airlift_desk::ops::connect::{remove_connection, save_connection, NewConnection};
use serde_json::json;

use crate::args::{ConnectionCommand, Global};
use crate::context::{config_path, given_ca_cert, token_from_env};
use crate::exit::{Failure, OK};
use crate::output::Output;

pub fn run(out: Output, g: &Global, cmd: &ConnectionCommand) -> Result<u8, Failure> {
    let path = config_path(g)?;
    let mut connections = Connections::load(&path)?;
    let tokens = KeyringOrFile::beside(&path);
    match cmd {
        ConnectionCommand::Add { name, url } => {
            let token = token_from_env(&g.token_env)?;
            let ca_cert = given_ca_cert(g)?;
            let new = NewConnection {
                name,
                url,
                token: token.as_ref(),
                ca_cert: ca_cert.as_ref(),
            };
            let saved = save_connection(&mut connections, &tokens, new, false)?;
            let place = saved.token_place;
            let value = json!({
                "connection": saved.connection,
                "token_stored": token.is_some(),
                "token_place": place,
            });
            out.result(&value, || match place {
                Some(TokenPlace::Keyring) => {
                    format!("saved connection {name} ({url}); its token is in the OS keyring")
                }
                Some(TokenPlace::File) => format!(
                    "saved connection {name} ({url}); no keyring answered, so its token is in {} \
                     (mode 0600)",
                    tokens.file.path().display()
                ),
                None => format!(
                    "saved connection {name} ({url}) without a token: set ${} and add it again",
                    g.token_env
                ),
            })?;
        }
        ConnectionCommand::List => {
            let value = json!({"connections": connections.list()});
            out.result(&value, || {
                connections
                    .list()
                    .iter()
                    .map(|c| format!("{}  {}", c.name, c.url))
                    .collect::<Vec<_>>()
                    .join("\n")
            })?;
        }
        ConnectionCommand::Remove { name } => {
            remove_connection(&mut connections, &tokens, None, name)?;
            out.result(&json!({"removed": name}), || {
                format!("removed connection {name}")
            })?;
        }
    }
    Ok(OK)
}
