//! Resource ids and timestamps.
//!
//! Ids are a short type prefix plus a lowercase ULID (`pkg_01j9...`): the prefix makes a
//! pasted id self-describing, and ULIDs sort by creation time, which is what list pagination
//! (`?after=`) relies on.

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

pub fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", ulid::Ulid::new().to_string().to_lowercase())
}

/// Now, as an RFC 3339 UTC string with microseconds (the precision seed 003 shows).
pub fn now() -> String {
    let t = OffsetDateTime::now_utc();
    let t = t
        .replace_nanosecond(t.nanosecond() / 1_000 * 1_000)
        .unwrap_or(t);
    t.format(&Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_owned())
}

pub fn unix_now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}
