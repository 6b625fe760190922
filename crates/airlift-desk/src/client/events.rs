//! `GET /api/v1/events`: the raw Server-Sent Events response (the watcher parses it).

use reqwest::header::{ACCEPT, AUTHORIZATION};

use super::{errors, Client};
use crate::error::DeskError;

impl Client {
    /// Opens the event stream, replaying events after `last_event_id` when given. No overall
    /// timeout (the stream is meant to stay open); the server's keep-alives keep it moving.
    pub async fn open_events(
        &self,
        last_event_id: Option<u64>,
    ) -> Result<reqwest::Response, DeskError> {
        let what = "GET /api/v1/events";
        let mut req = self
            .http
            .get(self.url("/api/v1/events"))
            .header(ACCEPT, "text/event-stream");
        if let Some(token) = &self.token {
            let mut value =
                reqwest::header::HeaderValue::from_str(&format!("Bearer {}", token.expose()))
                    .map_err(|_| {
                        DeskError::invalid_argument("the API token cannot be sent in a header")
                    })?;
            value.set_sensitive(true);
            req = req.header(AUTHORIZATION, value);
        }
        if let Some(id) = last_event_id {
            req = req.header("Last-Event-ID", id.to_string());
        }
        let response = req
            .send()
            .await
            .map_err(|err| errors::network(&self.base, what, &err))?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let body = response.bytes().await.unwrap_or_default();
        Err(self.refusal(what, status, &body))
    }
}
