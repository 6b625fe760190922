//! `airliftd token`, `airliftd token-list` and `airliftd token-revoke`: the user JWTs an
//! operator makes on the server's machine. Each is recorded when it is made (its `jti` names
//! the row, `crate::auth::bootstrap_token`), so each can be listed and revoked; a revocation
//! holds at once on every server of the deployment, open event streams included.
//!
//! Each issue and revocation is written to the tenant's audit log, with the role
//! [`OPERATOR_ROLE`] and the host's account as its actor (these changes are made on the
//! server's machine, not with a token); the entry names the token by its id (`jti`), never the
//! token itself.

use std::io::Write as _;
use std::path::PathBuf;
use std::sync::Arc;

use airlift_core::audit::{AuditAction, OPERATOR_ROLE};

use crate::auth::jwt::JwtKeys;
use crate::auth::{api_token, bootstrap_token, Role};
use crate::config::{DataDir, Database};
use crate::services::audit::{self, Who};
use crate::store::{BootstrapTokenRecord, Store};

/// What `airliftd token` is asked to make.
pub struct Issue {
    pub tenant: String,
    pub role: Role,
    pub ttl: std::time::Duration,
    pub label: String,
}

/// Which credentials `airliftd token-revoke` revokes.
pub enum Revoke {
    /// One `airliftd token` JWT, by the id `token-list` shows.
    One(String),
    /// Every live credential of the tenant so named: its `airliftd token` JWTs and API tokens.
    AllOf(String),
}

/// Prints a new JWT for the tenant (created if needed) on stdout, and nothing else.
pub fn issue(
    data: PathBuf,
    database: Option<Database>,
    create: bool,
    what: Issue,
) -> anyhow::Result<()> {
    let token = runtime()?.block_on(async {
        let (store, keys) = open(data, database, create).await?;
        let tenant = store.ensure_tenant(&what.tenant).await?;
        let now = crate::ids::unix_now();
        let ttl =
            i64::try_from(what.ttl.as_secs()).map_err(|_| anyhow::anyhow!("--ttl is too long"))?;
        let exp = now.saturating_add(ttl);
        let record = BootstrapTokenRecord {
            id: crate::ids::new_id(bootstrap_token::ID_PREFIX),
            tenant_id: tenant.id.clone(),
            role: what.role,
            label: what.label,
            created_at: crate::ids::now(),
            expires_at: api_token::rfc3339(exp),
            revoked_at: None,
        };
        // Recorded first: a JWT whose row is missing would be refused.
        store.create_bootstrap_token(record.clone()).await?;
        let summary = format!(
            "airliftd token issued: role {}, label {:?}, expires {}",
            record.role, record.label, record.expires_at
        );
        audit::record(
            store.as_ref(),
            &operator(&tenant.id),
            AuditAction::BootstrapTokenCreate,
            &record.id,
            &summary,
        )
        .await;
        anyhow::Ok(bootstrap_token::mint(
            &keys,
            &record,
            &tenant.name,
            now,
            exp,
        )?)
    })?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{token}")?;
    out.flush()?;
    Ok(())
}

/// Prints the recorded JWTs (of one tenant, or all), one per line: id, tenant, role, state,
/// created, expires, label.
pub fn list(
    data: PathBuf,
    database: Option<Database>,
    tenant: Option<String>,
) -> anyhow::Result<()> {
    let lines = runtime()?.block_on(async {
        let (store, _) = open(data, database, false).await?;
        let tenant_id = match &tenant {
            Some(name) => Some(named(store.as_ref(), name).await?),
            None => None,
        };
        let rows = store.list_bootstrap_tokens(tenant_id.as_deref()).await?;
        let now = api_token::rfc3339(crate::ids::unix_now());
        let mut lines = vec!["ID\tTENANT\tROLE\tSTATE\tCREATED\tEXPIRES\tLABEL".to_owned()];
        for r in rows {
            let tenant = store
                .tenant(&r.tenant_id)
                .await?
                .map_or_else(|| r.tenant_id.clone(), |t| t.name);
            let state = match &r.revoked_at {
                Some(at) => format!("revoked {at}"),
                // Both written by `rfc3339`: strings of one format compare as their times do.
                None if r.expires_at <= now => "expired".to_owned(),
                None => "live".to_owned(),
            };
            lines.push(format!(
                "{}\t{tenant}\t{}\t{state}\t{}\t{}\t{}",
                r.id, r.role, r.created_at, r.expires_at, r.label
            ));
        }
        anyhow::Ok(lines)
    })?;
    let mut out = std::io::stdout().lock();
    for line in lines {
        writeln!(out, "{line}")?;
    }
    out.flush()?;
    Ok(())
}

/// Revokes what `which` names and says what it did on stdout.
pub fn revoke(data: PathBuf, database: Option<Database>, which: Revoke) -> anyhow::Result<()> {
    let said = runtime()?.block_on(async {
        let (store, _) = open(data, database, false).await?;
        let at = crate::ids::now();
        match which {
            Revoke::One(id) => {
                // Read first: a token already revoked is not revoked again in the log.
                let before = store.bootstrap_token(&id).await?;
                store
                    .revoke_bootstrap_token(&id, &at)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}; `airliftd token-list` shows the ids"))?;
                tracing::info!(token = %id, "token revoked");
                // The row names the tenant whose log gets the entry.
                if let Some(row) = before.filter(|r| r.revoked_at.is_none()) {
                    let summary = format!(
                        "airliftd token revoked: role {}, label {:?}",
                        row.role, row.label
                    );
                    audit::record(
                        store.as_ref(),
                        &operator(&row.tenant_id),
                        AuditAction::BootstrapTokenRevoke,
                        &id,
                        &summary,
                    )
                    .await;
                }
                anyhow::Ok(format!("revoked {id}"))
            }
            Revoke::AllOf(name) => {
                let tenant_id = named(store.as_ref(), &name).await?;
                let n = store.revoke_all_user_tokens(&tenant_id, &at).await?;
                tracing::info!(tenant = %name, revoked = n, "every token of the tenant revoked");
                audit::record(
                    store.as_ref(),
                    &operator(&tenant_id),
                    AuditAction::TenantRevokeTokens,
                    &tenant_id,
                    &format!(
                        "every token of the tenant revoked ({n}: airliftd token JWTs and API tokens)"
                    ),
                )
                .await;
                Ok(format!(
                    "revoked {n} token(s) of tenant {name} (airliftd token JWTs and API tokens)"
                ))
            }
        }
    })?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{said}")?;
    out.flush()?;
    Ok(())
}

/// Who makes a change on the server's machine: the host's account (`alice@fleet-1`; the
/// account that ran `sudo`, where it was run through it), in the role [`OPERATOR_ROLE`].
fn operator(tenant_id: &str) -> Who {
    let account = std::env::var("SUDO_USER")
        .ok()
        .filter(|u| !u.is_empty())
        .or_else(|| whoami::account().ok())
        .unwrap_or_else(|| "unknown".to_owned());
    let host = whoami::hostname().unwrap_or_else(|_| "localhost".to_owned());
    Who {
        tenant_id: tenant_id.to_owned(),
        actor: format!("{account}@{host}"),
        role: OPERATOR_ROLE.to_owned(),
    }
}

/// The id of the tenant named `name`, or an error that says it does not exist.
async fn named(store: &dyn Store, name: &str) -> anyhow::Result<String> {
    Ok(store
        .tenant_named(name)
        .await?
        .ok_or_else(|| anyhow::anyhow!("there is no tenant named {name:?}"))?
        .id)
}

/// The deployment under `data` (or `database`) and its JWT keys. A directory or database that
/// holds no deployment is refused unless `create` says to start one there: a mistyped --data
/// (or --database) would otherwise start a new deployment, and print a token the running
/// server rejects.
async fn open(
    data: PathBuf,
    database: Option<Database>,
    create: bool,
) -> anyhow::Result<(Arc<dyn Store>, JwtKeys)> {
    let dir = DataDir::new(data);
    dir.check_not_a_file()?;
    let database = database.unwrap_or_else(|| Database::Sqlite(dir.database()));
    let refuse = |what: String, missing: String| {
        anyhow::anyhow!(
            "{what} holds no airliftd deployment{missing}; give the --data (and --database) of \
             the running server, or pass --create to start a new deployment there"
        )
    };
    match database {
        Database::Sqlite(path) => {
            if !path.is_file() && !create {
                return Err(refuse(
                    dir.root().display().to_string(),
                    format!(
                        " (no {})",
                        path.file_name()
                            .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
                    ),
                ));
            }
            dir.create()?;
            let store = crate::store::sqlite::SqliteStore::open_blocking(&path)?;
            Ok((Arc::new(store), JwtKeys::load_or_create(&dir.jwt_secret())?))
        }
        Database::Postgres(url) => {
            let options = crate::store::postgres::PgOptions {
                pool_size: 1,
                ..Default::default()
            };
            let store = crate::store::postgres::PgStore::open(&url, options).await?;
            if !store.holds_deployment().await? && !create {
                return Err(refuse(
                    format!(
                        "{} (database {})",
                        dir.root().display(),
                        crate::store::postgres::redacted(&url)
                    ),
                    " (no secret yet)".to_owned(),
                ));
            }
            dir.create()?;
            let adopt = crate::secret_file::read(&dir.jwt_secret())?;
            let secret = store.jwt_secret(adopt, JwtKeys::new_secret()?).await?;
            Ok((Arc::new(store), JwtKeys::from_secret(&secret)))
        }
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}
