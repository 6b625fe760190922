//! Rollouts as the API reads them: one rollout, the list, and a rollout's devices. Every change
//! to a rollout is the engine's (`crate::engine`); this module only turns a query's words into
//! the store's filter and asks.

use airlift_core::device_state::DeviceRolloutState;
use airlift_core::error::ApiError;
use airlift_core::rollout::RolloutStatus;
use airlift_core::wire::{Rollout, RolloutDevice, RolloutSummary};

use super::found;
use crate::error::AppResult;
use crate::store::{
    DeviceStateFilter, Page, PageOf, RolloutDeviceListing, RolloutDeviceSort, RolloutFilter,
    RolloutStore,
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
        })
    }
}

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
        }
        .listing()
        .expect("empty words are defaults");
        assert!(matches!(empty.state, DeviceStateFilter::Any));
        assert_eq!(empty.sort, RolloutDeviceSort::Position);
        assert!(!empty.descending);
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
    }
}
