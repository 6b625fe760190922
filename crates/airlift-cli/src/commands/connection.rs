use airlift_desk::connections::{Connection, Connections, KeyringTokens};
use serde_json::json;

use crate::args::{ConnectionCommand, Global};
use crate::context::{config_path, token_from_env};
use crate::exit::{Failure, OK};
use crate::output::Output;

pub fn run(out: Output, g: &Global, cmd: &ConnectionCommand) -> Result<u8, Failure> {
    let path = config_path(g)?;
    let mut connections = Connections::load(&path)?;
    let tokens = KeyringTokens::default();
    match cmd {
        ConnectionCommand::Add { name, url } => {
            let token = token_from_env(&g.token_env)?;
            let conn = Connection {
                name: name.clone(),
                url: url.clone(),
            };
            connections.save(conn.clone(), token.as_ref(), &tokens)?;
            let value = json!({"connection": conn, "token_stored": token.is_some()});
            out.result(&value, || format!("saved connection {name} ({url})"))?;
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
            connections.remove(name, &tokens)?;
            out.result(&json!({"removed": name}), || {
                format!("removed connection {name}")
            })?;
        }
    }
    Ok(OK)
}
