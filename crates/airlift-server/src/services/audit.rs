//! The audit log: recording a change a user or token made, and reading the log back.
//!
//! Handlers record after their change succeeded (`crate::routes::audit`); what is recorded
//! and how it is named is airlift-core's (`airlift_core::audit`). A failure to record is
//! logged, not answered: the change itself is committed, and a client told it failed would
//! make it again.

use airlift_core::audit::{clean_summary, AuditAction};
use airlift_core::error::ApiError;
use airlift_core::wire::AuditEntry;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::store::{AuditFilter, AuditRecord, AuditStore, Page, PageOf, StoreResult};

/// Who made a change: the tenant, the token's subject and role.
#[derive(Debug, Clone)]
pub struct Who {
    pub tenant_id: String,
    pub actor: String,
    pub role: String,
}

/// Records `action` on `object_id` with `summary` (never a secret: callers build it from
/// names, versions and numbers only).
pub async fn record<S: AuditStore + ?Sized>(
    store: &S,
    who: &Who,
    action: AuditAction,
    object_id: &str,
    summary: &str,
) {
    let now = OffsetDateTime::now_utc();
    let at = now
        .replace_nanosecond(now.nanosecond() / 1_000 * 1_000)
        .unwrap_or(now);
    let entry = AuditRecord {
        id: next_id(),
        tenant_id: who.tenant_id.clone(),
        at: at
            .format(&Rfc3339)
            .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_owned()),
        at_micros: micros(at),
        actor: who.actor.clone(),
        role: who.role.clone(),
        action: action.as_str().to_owned(),
        object_type: action.object_type().to_owned(),
        object_id: object_id.to_owned(),
        summary: clean_summary(summary),
    };
    if let Err(e) = store.append_audit(entry).await {
        tracing::error!(error = %e, action = %action, object = object_id, "could not write the audit log entry of a committed change");
    }
}

/// `aud_` + a ULID that rises strictly within this process (two changes in one millisecond
/// keep their order), so "newest first" is the order they were recorded in.
// `Ulid::default()` is the nil id, not a fresh one: `new` is meant.
#[allow(clippy::unwrap_or_default)]
fn next_id() -> String {
    static IDS: std::sync::Mutex<ulid::Generator> = std::sync::Mutex::new(ulid::Generator::new());
    let id = IDS
        .lock()
        .ok()
        .and_then(|mut g| g.generate().ok())
        .unwrap_or_else(ulid::Ulid::new);
    format!("aud_{}", id.to_string().to_lowercase())
}

fn micros(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1_000).unwrap_or(i64::MAX)
}

/// The query's words as they came.
#[derive(Debug, Default)]
pub struct AuditQuery<'a> {
    pub actor: Option<&'a str>,
    pub action: Option<&'a str>,
    pub since: Option<&'a str>,
    pub object_type: Option<&'a str>,
    pub object_id: Option<&'a str>,
    pub until: Option<&'a str>,
}

/// The tenant's entries, newest first, filtered; `page.after` must be an entry id.
pub async fn list<S: AuditStore + ?Sized>(
    store: &S,
    tenant_id: &str,
    q: AuditQuery<'_>,
    page: Page,
) -> StoreResult<PageOf<AuditEntry>> {
    let filter = filter(q)?;
    if let Some(after) = &page.after {
        let well_formed = after.len() == 30
            && after.starts_with("aud_")
            && after[4..]
                .bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase());
        if !well_formed {
            return Err(ApiError::invalid_argument(format!(
                "after must be the id of an audit entry (aud_...) from a previous page, got {after:?}"
            ))
            .into());
        }
    }
    let found = store.list_audit(tenant_id, filter, page).await?;
    Ok(PageOf {
        has_more: found.has_more,
        items: found.items.into_iter().map(entry).collect(),
    })
}

fn filter(q: AuditQuery<'_>) -> Result<AuditFilter, ApiError> {
    let action = q
        .action
        .filter(|a| !a.is_empty())
        .map(|a| a.parse::<AuditAction>())
        .transpose()?;
    let time = |name: &str, value: Option<&str>| {
        value
            .filter(|s| !s.is_empty())
            .map(|s| {
                OffsetDateTime::parse(s, &Rfc3339).map(micros).map_err(|_| {
                    ApiError::invalid_argument(format!(
                        "{name} must be an RFC 3339 time such as 2026-12-07T09:00:00Z, got {s:?}"
                    ))
                })
            })
            .transpose()
    };
    let since_micros = time("since", q.since)?;
    let until_micros = time("until", q.until)?;
    let object_type = q.object_type.filter(|t| !t.is_empty());
    if let Some(t) = object_type {
        let known: Vec<&str> = AuditAction::ALL.iter().map(|a| a.object_type()).collect();
        if !known.contains(&t) {
            // Once each, in the order of the actions (an object type's actions need not be
            // next to each other).
            let mut names: Vec<&str> = Vec::new();
            for k in known {
                if !names.contains(&k) {
                    names.push(k);
                }
            }
            return Err(ApiError::invalid_argument(format!(
                "object_type must be one of {}; got {t:?}",
                names.join(", ")
            )));
        }
    }
    Ok(AuditFilter {
        actor: q.actor.filter(|a| !a.is_empty()).map(str::to_owned),
        action: action.map(|a| a.as_str().to_owned()),
        since_micros,
        object_type: object_type.map(str::to_owned),
        object_id: q.object_id.filter(|i| !i.is_empty()).map(str::to_owned),
        until_micros,
    })
}

fn entry(r: AuditRecord) -> AuditEntry {
    AuditEntry {
        id: r.id,
        at: r.at,
        actor: r.actor,
        role: r.role,
        action: r.action,
        object_type: r.object_type,
        object_id: r.object_id,
        summary: r.summary,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_words_are_checked_with_what_to_do() {
        let e = filter(AuditQuery {
            action: Some("rollout.explode"),
            ..AuditQuery::default()
        })
        .unwrap_err();
        assert!(e.message.contains("rollout.cancel"), "{}", e.message);
        let e = filter(AuditQuery {
            since: Some("yesterday"),
            ..AuditQuery::default()
        })
        .unwrap_err();
        assert!(e.message.contains("RFC 3339"), "{}", e.message);
        let e = filter(AuditQuery {
            until: Some("tomorrow"),
            ..AuditQuery::default()
        })
        .unwrap_err();
        assert!(
            e.message.contains("until must be an RFC 3339"),
            "{}",
            e.message
        );
        let e = filter(AuditQuery {
            object_type: Some("planet"),
            ..AuditQuery::default()
        })
        .unwrap_err();
        assert!(e.message.contains("rollout"), "{}", e.message);
        let f = filter(AuditQuery {
            actor: Some("alice"),
            action: Some("rollout.cancel"),
            since: Some("1970-01-01T00:00:01Z"),
            object_type: Some("rollout"),
            object_id: Some("rol_1"),
            until: Some("1970-01-01T00:00:02Z"),
        })
        .unwrap();
        assert_eq!(f.actor.as_deref(), Some("alice"));
        assert_eq!(f.since_micros, Some(1_000_000));
        assert_eq!(f.until_micros, Some(2_000_000));
        assert_eq!(f.object_type.as_deref(), Some("rollout"));
        assert_eq!(f.object_id.as_deref(), Some("rol_1"));
    }
}
