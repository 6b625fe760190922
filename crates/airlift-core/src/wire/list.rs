use serde::{Deserialize, Serialize};

/// A page of a collection, in seed 003's list shape:
/// `{"object": "list", "data": [...], "has_more", "limit", "order", "after"}`.
///
/// `after` echoes the cursor the page was requested with (`null` for the first page); to get
/// the next page, pass the id of the last item of `data` as `?after=`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListResponse<T> {
    pub object: String,
    pub data: Vec<T>,
    pub has_more: bool,
    pub limit: u32,
    pub order: String,
    pub after: Option<String>,
}

impl<T> ListResponse<T> {
    pub fn new(data: Vec<T>, has_more: bool, limit: u32, after: Option<String>) -> Self {
        Self {
            object: "list".to_owned(),
            data,
            has_more,
            limit,
            order: "ASC".to_owned(),
            after,
        }
    }
}
