//! Reading every page of a list call (the server pages by `after` = the last id).

use std::future::Future;

use airlift_core::wire::ListResponse;
use airlift_desk::client::ListParams;
use airlift_desk::DeskError;

/// The server's largest page.
const PAGE: u32 = 1000;

/// Every item of a paged list, in the server's order.
pub async fn all<T, F, Fut>(fetch: F, id: impl Fn(&T) -> String) -> Result<Vec<T>, DeskError>
where
    F: Fn(ListParams) -> Fut,
    Fut: Future<Output = Result<ListResponse<T>, DeskError>>,
{
    let mut items = Vec::new();
    let mut after = None;
    loop {
        let page = fetch(ListParams::new(PAGE, after.clone())).await?;
        let more = page.has_more;
        items.extend(page.data);
        match items.last() {
            Some(last) if more => after = Some(id(last)),
            _ => return Ok(items),
        }
    }
}
