//! `key create | import | list | register | public`, and the key an upload signs with.
//!
//! Keys live in the folder the desktop app uses too (`airlift_desk::signing::default_keys_dir`),
//! encrypted under a passphrase. Passphrases come from an environment variable or a file, never
//! from the command line (where `ps` and shell history would show them).

use std::path::Path;

use airlift_desk::ops::keys::{create_key, import_key};
use airlift_desk::signing::{register, SigningAlgorithm, SigningKey, StoredKey};
use airlift_desk::DeskError;
use serde_json::json;

use crate::args::{Global, KeyAlgorithm, KeyChoice, KeyCommand, PassphraseSource};
use crate::context::{open_keys, Context};
use crate::exit::{Failure, OK};
use crate::output::Output;

/// A passphrase file holds a few bytes; anything bigger is the wrong file.
const MAX_PASSPHRASE_FILE: u64 = 4096;

pub async fn run(out: Output, g: &Global, cmd: &KeyCommand) -> Result<u8, Failure> {
    let keys = open_keys(g)?;
    match cmd {
        KeyCommand::Create {
            name,
            algorithm,
            passphrase,
        } => {
            let pass = required_passphrase(passphrase)?;
            let algorithm = match algorithm {
                KeyAlgorithm::Ed25519 => SigningAlgorithm::Ed25519,
                KeyAlgorithm::EcdsaP256 => SigningAlgorithm::EcdsaP256Sha256,
            };
            let stored = create_key(keys, name.clone(), algorithm, pass).await?;
            out.result(&json!({"key": stored}), || {
                format!("created {}\n{}", describe(&stored), next_step(&stored))
            })?;
        }
        KeyCommand::Import {
            pem,
            name,
            passphrase,
        } => {
            let pass = required_passphrase(passphrase)?;
            let stored =
                import_key(keys, name.clone(), pem.clone(), Some(pass.clone()), pass).await?;
            out.result(&json!({"key": stored}), || {
                format!("imported {}\n{}", describe(&stored), next_step(&stored))
            })?;
        }
        KeyCommand::List => {
            let list = keys.list()?;
            out.result(
                &json!({"keys": list, "folder": keys.dir().display().to_string()}),
                || {
                    if list.is_empty() {
                        return format!(
                            "no signing keys in {} (create one with `airlift-cli key create NAME`)",
                            keys.dir().display()
                        );
                    }
                    list.iter().map(describe).collect::<Vec<_>>().join("\n")
                },
            )?;
        }
        KeyCommand::Register { key } => {
            let stored = find(&keys, key)?;
            let ctx = Context::new(g)?;
            let registered = register(&ctx.client, &stored).await?;
            out.result(&json!({"key": stored, "registration": registered}), || {
                format!(
                    "key {} is registered with the tenant as {} (fingerprint {})",
                    stored.name,
                    registered.key_id,
                    short(&registered.fingerprint)
                )
            })?;
        }
        KeyCommand::Public { key } => {
            let stored = find(&keys, key)?;
            out.result(&json!({"key": stored}), || {
                stored.public_key_pem.trim_end().to_owned()
            })?;
        }
    }
    Ok(OK)
}

/// The stored key named `wanted` (by name or id).
pub fn find(keys: &airlift_desk::signing::KeyStore, wanted: &str) -> Result<StoredKey, Failure> {
    let all = keys.list()?;
    let matches: Vec<&StoredKey> = all
        .iter()
        .filter(|k| k.name == wanted || k.key_id == wanted)
        .collect();
    match matches.as_slice() {
        [one] => Ok((*one).clone()),
        [] => Err(Failure::usage(format!(
            "no stored signing key is named {wanted:?} in {}; `airlift-cli key list` shows them, \
             `key create` or `key import` adds one, or sign with --key-file PEM",
            keys.dir().display()
        ))),
        _ => Err(Failure::usage(format!(
            "several stored keys are named {wanted:?}; name one by its id (`airlift-cli key list`)"
        ))),
    }
}

/// The key `--key` or `--key-file` names, unlocked; `None` when neither is given.
pub fn signer(g: &Global, choice: &KeyChoice) -> Result<Option<SigningKey>, Failure> {
    if let Some(path) = &choice.key_file {
        let pem = read_small(path, 64 * 1024, "private key")?;
        let pass = passphrase(
            &choice.key_passphrase_env,
            choice.key_passphrase_file.as_deref(),
        )?;
        return Ok(Some(SigningKey::from_pem(&pem, pass.as_deref())?));
    }
    let Some(wanted) = &choice.key else {
        return Ok(None);
    };
    let keys = open_keys(g)?;
    let stored = find(&keys, wanted)?;
    let pass = passphrase(
        &choice.key_passphrase_env,
        choice.key_passphrase_file.as_deref(),
    )?
    .ok_or_else(|| {
        Failure::usage(format!(
            "set ${} to the passphrase of signing key {wanted:?} (or give \
                 --key-passphrase-file FILE)",
            choice.key_passphrase_env
        ))
    })?;
    Ok(Some(keys.unlock(&stored.key_id, &pass)?))
}

fn required_passphrase(source: &PassphraseSource) -> Result<String, Failure> {
    passphrase(&source.passphrase_env, source.passphrase_file.as_deref())?.ok_or_else(|| {
        Failure::usage(format!(
            "set ${} to the key's passphrase (or give --passphrase-file FILE): keys are never \
             stored unencrypted",
            source.passphrase_env
        ))
    })
}

/// The passphrase from `file` (its first line) when given, else from the variable `env`.
fn passphrase(env: &str, file: Option<&Path>) -> Result<Option<String>, Failure> {
    if let Some(path) = file {
        let text = read_small(path, MAX_PASSPHRASE_FILE, "passphrase")?;
        let line = text.lines().next().unwrap_or_default().to_owned();
        if line.is_empty() {
            return Err(Failure::usage(format!(
                "{} is empty: its first line must be the passphrase",
                path.display()
            )));
        }
        return Ok(Some(line));
    }
    match std::env::var(env) {
        Ok(v) if !v.is_empty() => Ok(Some(v)),
        Ok(_) | Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => {
            Err(Failure::usage(format!("${env} is not valid UTF-8")))
        }
    }
}

fn read_small(path: &Path, max: u64, what: &str) -> Result<String, Failure> {
    let meta = std::fs::metadata(path).map_err(|err| DeskError::io("open", path, &err))?;
    if !meta.is_file() || meta.len() > max {
        return Err(Failure::usage(format!(
            "{} is not a {what} file",
            path.display()
        )));
    }
    let bytes = std::fs::read(path).map_err(|err| DeskError::io("read", path, &err))?;
    String::from_utf8(bytes)
        .map_err(|_| Failure::usage(format!("{} is not a text ({what}) file", path.display())))
}

fn describe(k: &StoredKey) -> String {
    format!(
        "{}  {}  {}  fingerprint {}",
        k.key_id,
        k.name,
        k.algorithm.as_str(),
        short(&k.fingerprint)
    )
}

fn next_step(k: &StoredKey) -> String {
    format!(
        "register it with the tenant before signing: airlift-cli key register {:?}",
        k.name
    )
}

fn short(fingerprint: &str) -> &str {
    &fingerprint[..16.min(fingerprint.len())]
}
