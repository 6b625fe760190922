//! The watcher against the real airliftd when its token stops being good: an API token revoked
//! through the API, and an `airliftd token` JWT revoked with `airliftd token-revoke`. The
//! server ends the open stream; the watcher asks once more, is refused (401), and ends with
//! `UNAUTHENTICATED`, telling the client's `on_token_refused` once. It does not ask again: the
//! server's own count of 401s on the events route (its metrics) stays where it was while a
//! reconnecting watcher, with the quick backoff used here, would have asked dozens of times.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use airlift_core::role::Role;
use airlift_core::wire::CreateApiToken;
use airlift_desk::cache::Cache;
use airlift_desk::client::{Client, ClientOptions, RetryPolicy, TokenRefusedObserver};
use airlift_desk::notify::{Notifier, PausedRollout};
use airlift_desk::secret::Secret;
use airlift_desk::watch::Watcher;
use airlift_desk::{CancelToken, DeskError, DeskErrorCode};
use base64::Engine as _;

/// Bounds a broken build's wait; nothing is timed.
const DEADLINE: Duration = Duration::from_secs(30);

/// Reconnects this quick would show as many 401s within the quiet period below.
const QUICK: RetryPolicy = RetryPolicy {
    max_attempts: 1,
    base_delay: Duration::from_millis(20),
    max_delay: Duration::from_millis(100),
};

struct Quiet;

impl Notifier for Quiet {
    fn rollout_paused(&self, _: &PausedRollout) -> Result<(), DeskError> {
        Ok(())
    }
}

/// The server's count of `GET /api/v1/events` answered with `status`.
async fn events_answered(server: &support::Server, status: u16) -> u64 {
    let url = server.metrics.as_deref().expect("--metrics-listen");
    let text = reqwest::get(url).await.unwrap().text().await.unwrap();
    let series = format!(
        r#"airlift_http_requests_total{{method="GET",route="/api/v1/events",status="{status}"}}"#
    );
    text.lines()
        .find_map(|l| l.strip_prefix(&series))
        .map_or(0, |v| v.trim().parse::<f64>().unwrap() as u64)
}

/// A watcher for `token` whose client counts the refusals it was told of.
fn watcher(
    server: &support::Server,
    token: &str,
) -> (Watcher, Arc<AtomicUsize>, tempfile::TempDir) {
    let told = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&told);
    let options = ClientOptions {
        retry: QUICK,
        on_token_refused: Some(TokenRefusedObserver::new(move |err| {
            assert_eq!(err.code(), DeskErrorCode::Unauthenticated);
            counter.fetch_add(1, Ordering::SeqCst);
        })),
        ..ClientOptions::default()
    };
    let client = Client::new(&server.base, Some(Secret::new(token)), options).unwrap();
    let dir = support::tempdir();
    let cache = Arc::new(Mutex::new(
        Cache::open(&dir.path().join("c.sqlite3")).unwrap().cache,
    ));
    let w = Watcher {
        client,
        cache,
        connection_id: "lab".into(),
        connection_name: "lab".into(),
        notifier: Arc::new(Quiet),
        reconnect: QUICK,
    };
    (w, told, dir)
}

/// Follows the stream of `token` until `revoke` has run, and checks how the watch ends.
async fn watch_until_refused(
    server: &support::Server,
    token: &str,
    revoke: impl std::future::Future<Output = ()>,
) {
    let (w, told, _dir) = watcher(server, token);
    let opened_before = events_answered(server, 200).await;
    let refused_before = events_answered(server, 401).await;
    let cancel = CancelToken::new();
    let task = {
        let cancel = cancel.clone();
        tokio::spawn(async move { w.run(None, cancel, &|_| {}).await })
    };
    // The stream is open once the server has answered it.
    let deadline = tokio::time::Instant::now() + DEADLINE;
    while events_answered(server, 200).await == opened_before {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the stream never opened"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    revoke.await;
    let ended = tokio::time::timeout(DEADLINE, task)
        .await
        .expect("the watch did not end after its token was revoked")
        .unwrap();
    let err = ended.expect_err("the watch ends with the refusal, not as cancelled");
    assert_eq!(err.code(), DeskErrorCode::Unauthenticated, "{err}");
    assert_eq!(err.code().as_str(), "UNAUTHENTICATED");
    let message = err.message();
    assert!(
        message.contains("revoked") && message.contains("Settings"),
        "says what happened and what to do: {message}"
    );
    assert!(!message.contains(token), "the token in a message");
    assert_eq!(told.load(Ordering::SeqCst), 1, "told once");
    let refused = events_answered(server, 401).await;
    assert_eq!(
        refused,
        refused_before + 1,
        "asked once after the stream ended"
    );

    // Nothing more: a watcher that reconnected would have been refused again and again.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        events_answered(server, 401).await,
        refused,
        "the watcher asked the server again after it refused the token"
    );
    assert_eq!(told.load(Ordering::SeqCst), 1);
    assert!(!cancel.is_cancelled());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_revoked_api_token_ends_the_watch_without_reconnecting() {
    let dir = support::tempdir();
    let server = support::Server::start_with(dir.path(), &["--metrics-listen", "127.0.0.1:0"]);
    let admin = server.client("acme", "admin");
    let made = admin
        .create_api_token(&CreateApiToken {
            name: "dashboard".into(),
            role: Role::Support,
            expires_in_days: None,
            expires_at: None,
        })
        .await
        .unwrap();
    let revoke = async {
        admin.revoke_api_token(&made.id).await.unwrap();
    };
    watch_until_refused(&server, &made.token, revoke).await;
    // Other tokens are untouched: the admin's stream still opens.
    admin.open_events(None).await.expect("the admin's stream");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_revoked_airliftd_token_ends_the_watch_without_reconnecting() {
    let dir = support::tempdir();
    let server = support::Server::start_with(dir.path(), &["--metrics-listen", "127.0.0.1:0"]);
    let jwt = server.token("acme", "support");
    let claims = jwt.split('.').nth(1).unwrap();
    let claims: serde_json::Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(claims)
            .unwrap(),
    )
    .unwrap();
    let id = claims["jti"].as_str().unwrap().to_owned();
    let revoke = async {
        let said = server.airliftd(&["token-revoke", &id]);
        assert!(said.contains(&id), "{said}");
    };
    watch_until_refused(&server, &jwt, revoke).await;
}
