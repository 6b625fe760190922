//! Rollouts as the API reads them: one rollout, the list, and a rollout's devices. Every change
//! to a rollout is the engine's (`crate::engine`); this module only turns a query's words into
//! the store's filter and asks.

use airlift_core::device_state::DeviceRolloutState;
use airlift_core::error::ApiError;
use airlift_core::failure_reason::MAX_REASON_CHARS;
use airlift_core::rollout::RolloutStatus;
use airlift_core::wire::{Rollout, RolloutDevice, RolloutSummary};

use super::found;
use crate::error::AppResult;
use crate::store::{
    DeviceStateFilter, FailureFilter, Page, PageOf, RolloutDeviceListing, RolloutDeviceSort,
    RolloutFilter, RolloutStore,
};

pub async fn get(store: &dyn RolloutStore, tenant_id: &str, id: &str) -> AppResult<Rollout> {
    Ok(found(store.rollout(tenant_id, id).await?, "rollout")?)
}

/// `status` as the query gave it (an empty value means no filter).
pub async fn list(
    store: &dyn RolloutStore,
    tenant_id: &str,
    status: Option<&str>,
    changed_since: Option<u64>,
    page: Page,
) -> AppResult<PageOf<RolloutSummary>> {
    let status = status
        .filter(|s| !s.is_empty())
        .map(str::parse::<RolloutStatus>)
        .transpose()?;
    let filter = RolloutFilter {
        status,
        changed_since,
    };
    Ok(store.list_rollouts(tenant_id, filter, page).await?)
}

/// The words of a device-list query, as the API takes them (each may be absent or empty).
#[derive(Debug, Default)]
pub struct DeviceListWords<'a> {
    /// A per-device state, or `pending` (not yet in the slice).
    pub state: Option<&'a str>,
    /// `position` (default), `device`, `state`, `progress` or `updated`.
    pub sort: Option<&'a str>,
    /// `ASC` (default) or `DESC`, any case: this list alone also sorts descending.
    pub order: Option<&'a str>,
    pub offset: Option<u64>,
    /// A reason as `GET .../failures` lists it: only the devices counted under it.
    pub failure_reason: Option<&'a str>,
    /// With `failure_reason`: only those counted under it with this status.
    pub failure_status: Option<&'a str>,
}

impl DeviceListWords<'_> {
    pub fn listing(&self) -> Result<RolloutDeviceListing, ApiError> {
        let state = match self.state.filter(|s| !s.is_empty()) {
            None => DeviceStateFilter::Any,
            Some("pending") => DeviceStateFilter::Pending,
            Some(s) => DeviceStateFilter::State(
                DeviceRolloutState::ALL
                    .into_iter()
                    .find(|st| st.as_str() == s)
                    .ok_or_else(|| {
                        ApiError::invalid_argument(format!(
                            "state must be pending, scheduled, command_sent, in_progress, successful, failed or timed_out; got {s:?}"
                        ))
                    })?,
            ),
        };
        let sort = match self.sort.filter(|s| !s.is_empty()) {
            None => RolloutDeviceSort::Position,
            Some(s) => RolloutDeviceSort::parse(s).ok_or_else(|| {
                ApiError::invalid_argument(format!(
                    "sort must be position, device, state, progress or updated; got {s:?}"
                ))
            })?,
        };
        let descending = match self.order {
            None | Some("") => false,
            Some(o) if o.eq_ignore_ascii_case("asc") => false,
            Some(o) if o.eq_ignore_ascii_case("desc") => true,
            Some(o) => {
                return Err(ApiError::invalid_argument(format!(
                    "order must be ASC or DESC, got {o:?}"
                )))
            }
        };
        if self.offset.is_some_and(|o| o > i64::MAX as u64) {
            return Err(ApiError::invalid_argument(format!(
                "offset must be at most {}",
                i64::MAX
            )));
        }
        Ok(RolloutDeviceListing {
            state,
            sort,
            descending,
            offset: self.offset,
            failure: self.failure()?,
        })
    }

    /// The failure group to list, if any: a reason no longer than the reasons the server keeps,
    /// and a status only with a reason.
    fn failure(&self) -> Result<Option<FailureFilter>, ApiError> {
        let reason = self.failure_reason.filter(|r| !r.is_empty());
        let status = self.failure_status.filter(|s| !s.is_empty());
        let Some(reason) = reason else {
            return match status {
                None => Ok(None),
                Some(_) => Err(ApiError::invalid_argument(
                    "failure_status needs failure_reason: pass both as GET /failures lists them",
                )),
            };
        };
        if reason.chars().count() > MAX_REASON_CHARS {
            return Err(ApiError::invalid_argument(format!(
                "failure_reason must be at most {MAX_REASON_CHARS} characters (as GET /failures lists it), got {}",
                reason.chars().count()
            )));
        }
        if status.is_some_and(|s| s.len() > MAX_STATUS_CHARS) {
            return Err(ApiError::invalid_argument(format!(
                "failure_status must be at most {MAX_STATUS_CHARS} characters"
            )));
        }
        Ok(Some(FailureFilter {
            reason: reason.to_owned(),
            status: status.map(str::to_owned),
        }))
    }
}

/// A report status is a short code (`INSTALL_ERROR`, `TIMED_OUT`); anything longer matches
/// nothing the server keeps.
const MAX_STATUS_CHARS: usize = 64;

/// A rollout's devices (NOT_FOUND when the rollout is not the tenant's).
pub async fn devices(
    store: &dyn RolloutStore,
    tenant_id: &str,
    id: &str,
    words: DeviceListWords<'_>,
    page: Page,
) -> AppResult<PageOf<RolloutDevice>> {
    let listing = words.listing()?;
    if page.after.is_some() {
        let keyset = listing.sort == RolloutDeviceSort::Position && !listing.descending;
        if !keyset || listing.offset.is_some() {
            return Err(ApiError::invalid_argument(
                "after (a position) pages only the default order; use offset with sort or order",
            )
            .into());
        }
        super::numeric_cursor(page.after.as_deref(), "a position")?;
    }
    Ok(store.rollout_devices(tenant_id, id, listing, page).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_list_words_become_the_store_listing() {
        let l = DeviceListWords {
            state: Some("failed"),
            sort: Some("progress"),
            order: Some("desc"),
            offset: Some(40),
            ..Default::default()
        }
        .listing()
        .expect("valid words");
        assert!(matches!(
            l.state,
            DeviceStateFilter::State(DeviceRolloutState::Failed)
        ));
        assert_eq!(l.sort, RolloutDeviceSort::Progress);
        assert!(l.descending);
        assert_eq!(l.offset, Some(40));

        let empty = DeviceListWords {
            state: Some(""),
            sort: Some(""),
            order: Some(""),
            offset: None,
            failure_reason: Some(""),
            failure_status: Some(""),
        }
        .listing()
        .expect("empty words are defaults");
        assert!(matches!(empty.state, DeviceStateFilter::Any));
        assert_eq!(empty.sort, RolloutDeviceSort::Position);
        assert!(!empty.descending);
        assert_eq!(empty.failure, None);
    }

    #[test]
    fn a_failure_group_is_a_reason_with_an_optional_status() {
        let l = DeviceListWords {
            failure_reason: Some("disk full: <n> MB free"),
            failure_status: Some("INSTALL_ERROR"),
            ..Default::default()
        }
        .listing()
        .expect("a group");
        assert_eq!(
            l.failure,
            Some(FailureFilter {
                reason: "disk full: <n> MB free".into(),
                status: Some("INSTALL_ERROR".into()),
            })
        );
        let any_status = DeviceListWords {
            failure_reason: Some("INSTALL_ERROR"),
            ..Default::default()
        }
        .listing()
        .expect("a reason alone");
        assert_eq!(any_status.failure.and_then(|f| f.status), None);
    }

    #[test]
    fn unknown_words_are_refused_with_what_is_allowed() {
        for words in [
            DeviceListWords {
                state: Some("exploded"),
                ..Default::default()
            },
            DeviceListWords {
                sort: Some("size"),
                ..Default::default()
            },
            DeviceListWords {
                order: Some("sideways"),
                ..Default::default()
            },
        ] {
            let e = words.listing().expect_err("refused");
            assert_eq!(e.code, airlift_core::error::ErrorCode::InvalidArgument);
            assert!(e.message.contains("must be"), "{}", e.message);
        }
        let long = "x".repeat(MAX_REASON_CHARS + 1);
        for (words, says) in [
            (
                DeviceListWords {
                    failure_status: Some("INSTALL_ERROR"),
                    ..Default::default()
                },
                "needs failure_reason",
            ),
            (
                DeviceListWords {
                    failure_reason: Some(&long),
                    ..Default::default()
                },
                "at most 200 characters",
            ),
        ] {
            let e = words.listing().expect_err("refused");
            assert_eq!(e.code, airlift_core::error::ErrorCode::InvalidArgument);
            assert!(e.message.contains(says), "{}", e.message);
        }
    }
}
