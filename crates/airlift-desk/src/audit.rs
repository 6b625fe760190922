//! The audit log as the desk reads it: one filter, applied by the server to its pages and by
//! the cache to the entries seen before (offline), so both answer the same question.
//!
//! Who may read the log is the server's rule (`airlift_core::role`, admin and support); the
//! action names and object types are airlift-core's (`airlift_core::audit`).

use airlift_core::audit::AuditAction;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::error::DeskError;

/// Which entries to list; every field set must match. Empty text is the same as `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// The token subject that made the change (exact).
    pub actor: Option<String>,
    /// One action, e.g. `rollout.pause`.
    pub action: Option<String>,
    /// One kind of object, e.g. `rollout`.
    pub object_type: Option<String>,
    /// One object (exact id).
    pub object_id: Option<String>,
    /// RFC 3339: changes at or after it.
    pub since: Option<String>,
    /// RFC 3339: changes at or before it.
    pub until: Option<String>,
}

/// A filter whose words were checked, with its times as Unix milliseconds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckedAuditFilter {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    pub since: Option<String>,
    pub until: Option<String>,
    pub since_ms: Option<i64>,
    pub until_ms: Option<i64>,
}

/// Every action the log records, for the screen's choice list.
pub fn actions() -> Vec<&'static str> {
    AuditAction::ALL.iter().map(|a| a.as_str()).collect()
}

/// Every kind of object the log names, in the order of [`actions`], once each.
pub fn object_types() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for a in AuditAction::ALL {
        if !out.contains(&a.object_type()) {
            out.push(a.object_type());
        }
    }
    out
}

fn word(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// Unix milliseconds of an RFC 3339 time.
pub fn rfc3339_ms(text: &str) -> Option<i64> {
    OffsetDateTime::parse(text, &Rfc3339)
        .ok()
        .and_then(|t| i64::try_from(t.unix_timestamp_nanos() / 1_000_000).ok())
}

impl AuditFilter {
    /// Checks the words before anything is asked: a known action and object type, times in
    /// RFC 3339, and a range that is not upside down.
    pub fn check(&self) -> Result<CheckedAuditFilter, DeskError> {
        let action = word(&self.action);
        if let Some(a) = &action {
            a.parse::<AuditAction>()
                .map_err(|e| DeskError::invalid_argument(e.message))?;
        }
        let object_type = word(&self.object_type);
        if let Some(t) = &object_type {
            if !object_types().contains(&t.as_str()) {
                return Err(DeskError::invalid_argument(format!(
                    "object type must be one of {}; got {t:?}",
                    object_types().join(", ")
                )));
            }
        }
        let time = |name: &str,
                    value: &Option<String>|
         -> Result<(Option<String>, Option<i64>), DeskError> {
            match word(value) {
                None => Ok((None, None)),
                Some(text) => match rfc3339_ms(&text) {
                    Some(ms) => Ok((Some(text), Some(ms))),
                    None => Err(DeskError::invalid_argument(format!(
                        "{name} must be a time such as 2026-12-07T09:00:00Z; got {text:?}"
                    ))),
                },
            }
        };
        let (since, since_ms) = time("from", &self.since)?;
        let (until, until_ms) = time("to", &self.until)?;
        if let (Some(from), Some(to)) = (since_ms, until_ms) {
            if from > to {
                return Err(DeskError::invalid_argument(
                    "the time range ends before it starts: choose a 'to' time after the 'from' time",
                ));
            }
        }
        Ok(CheckedAuditFilter {
            actor: word(&self.actor),
            action,
            object_type,
            object_id: word(&self.object_id),
            since,
            until,
            since_ms,
            until_ms,
        })
    }
}

impl CheckedAuditFilter {
    /// The filter's query parameters for `GET /api/v1/audit` (names and raw values).
    pub fn params(&self) -> Vec<(&'static str, &str)> {
        let mut q = Vec::new();
        for (name, value) in [
            ("actor", &self.actor),
            ("action", &self.action),
            ("object_type", &self.object_type),
            ("object_id", &self.object_id),
            ("since", &self.since),
            ("until", &self.until),
        ] {
            if let Some(v) = value {
                q.push((name, v.as_str()));
            }
        }
        q
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_words_filter_nothing_and_bad_words_say_what_to_do() {
        let f = AuditFilter {
            actor: Some("  ".into()),
            action: Some(String::new()),
            ..AuditFilter::default()
        }
        .check()
        .unwrap();
        assert_eq!(f, CheckedAuditFilter::default());
        assert!(f.params().is_empty());

        let e = AuditFilter {
            action: Some("rollout.explode".into()),
            ..AuditFilter::default()
        }
        .check()
        .unwrap_err();
        assert!(e.message().contains("rollout.pause"), "{}", e.message());
        let e = AuditFilter {
            object_type: Some("planet".into()),
            ..AuditFilter::default()
        }
        .check()
        .unwrap_err();
        assert!(e.message().contains("rollout"), "{}", e.message());
        let e = AuditFilter {
            since: Some("yesterday".into()),
            ..AuditFilter::default()
        }
        .check()
        .unwrap_err();
        assert!(
            e.message().contains("2026-12-07T09:00:00Z"),
            "{}",
            e.message()
        );
        let e = AuditFilter {
            since: Some("2026-12-07T10:00:00Z".into()),
            until: Some("2026-12-07T09:00:00Z".into()),
            ..AuditFilter::default()
        }
        .check()
        .unwrap_err();
        assert!(
            e.message().contains("ends before it starts"),
            "{}",
            e.message()
        );
    }

    #[test]
    fn times_become_milliseconds_and_every_word_a_parameter() {
        let f = AuditFilter {
            actor: Some("alice".into()),
            action: Some("rollout.pause".into()),
            object_type: Some("rollout".into()),
            object_id: Some("rol_1".into()),
            since: Some("1970-01-01T00:00:01Z".into()),
            until: Some("1970-01-01T00:00:02.5+00:00".into()),
        }
        .check()
        .unwrap();
        assert_eq!(f.since_ms, Some(1_000));
        assert_eq!(f.until_ms, Some(2_500));
        let names: Vec<&str> = f.params().iter().map(|(n, _)| *n).collect();
        assert_eq!(
            names,
            [
                "actor",
                "action",
                "object_type",
                "object_id",
                "since",
                "until"
            ]
        );
        assert!(object_types().contains(&"rollout") && object_types().contains(&"device"));
        assert_eq!(actions().len(), AuditAction::ALL.len());
    }
}
