//! Operating the server: Prometheus metrics on `--metrics-listen` (requests by route and
//! status, latency, device reports, rollouts, upload bytes), JSON logs, request ids in answers,
//! logs and error bodies, and never a secret in a metric or a log line.

mod common;

use std::time::Duration;

use common::ota::{fleet, PKG_SIZE};
use common::*;
use serde_json::{json, Value};

async fn scrape(server: &Server) -> String {
    let url = server
        .metrics
        .as_deref()
        .expect("started with --metrics-listen");
    let r = reqwest::get(url).await.unwrap();
    assert_eq!(r.status(), 200);
    r.text().await.unwrap()
}

/// The value of the sample whose line starts with `series` (name and labels).
fn sample(metrics: &str, series: &str) -> Option<f64> {
    metrics
        .lines()
        .find(|l| l.starts_with(series))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

#[tokio::test]
async fn metrics_count_requests_reports_rollouts_and_uploads() {
    let f = fleet(1, &["--metrics-listen", "127.0.0.1:0"]).await;
    let rollout = f
        .start(json!({"package_id": f.pkg, "target_profile_id": f.profile, "canary_percent": 100, "failure_threshold_percent": 50}))
        .await;
    let d = &f.devices[0];
    d.update(&sha256_hex(&f.pkg_bytes)).await;
    let rollout_id = rollout["rollout_id"].as_str().unwrap();
    common::ota::wait_status(&f, rollout_id, "completed", Duration::from_secs(30)).await;

    let m = scrape(&f.server).await;
    let polls = sample(
        &m,
        r#"airlift_http_requests_total{method="GET",route="/api/v1/devices/{device_id}/ota",status="200"}"#,
    );
    assert!(polls.is_some_and(|n| n >= 1.0), "{m}");
    assert!(
        sample(&m, r#"airlift_device_reports_total{status="success"}"#).is_some_and(|n| n >= 1.0),
        "{m}"
    );
    assert!(
        sample(&m, r#"airlift_rollouts{status="completed"}"#).is_some_and(|n| n >= 1.0),
        "{m}"
    );
    assert!(
        sample(&m, "airlift_upload_bytes_total").is_some_and(|n| n >= PKG_SIZE as f64),
        "{m}"
    );
    assert!(
        m.contains(r#"airlift_http_request_duration_seconds_bucket{le="#)
            || m.contains("airlift_http_request_duration_seconds_bucket{method="),
        "{m}"
    );
    assert!(m.contains("airlift_database_errors_total"), "{m}");
    assert!(m.contains("airlift_storage_errors_total"), "{m}");
    // Labels are route templates: no device id, no token.
    assert!(!m.contains(&d.id), "a device id in the metrics");
    assert!(!m.contains(&d.api.token), "a device token in the metrics");
    assert!(!m.contains(&f.admin.token), "a user token in the metrics");
}

#[tokio::test]
async fn no_secret_reaches_a_log_line_or_a_metric_and_request_ids_tie_answers_to_logs() {
    let dir = tempdir();
    let log = dir.path().join("airliftd.log");
    let admin_jwt = token(dir.path(), "acme", "admin");
    let server = Server::start_logging_with(
        dir.path(),
        &["--metrics-listen", "127.0.0.1:0", "--log-format", "json"],
        "debug",
        &log,
    );
    let admin = Api::new(&server, &admin_jwt);
    let made = admin
        .post(
            "/api/v1/api-tokens",
            json!({"name": "ci", "role": "release-manager"}),
        )
        .await
        .expect(201);
    let api_token = made["token"].as_str().unwrap().to_owned();
    let rm = Api::new(&server, &api_token);
    let profile = rm
        .post(
            "/api/v1/profiles",
            json!({"name": "p", "device_type": "temp-sensor"}),
        )
        .await
        .expect(201)["profile_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let device = common::ota::provision(&server, &rm, &profile, 1, "temp-sensor", "1.0.0")
        .await
        .remove(0);
    device.ota().await.expect(204);
    // A refused token is logged as refused, never as itself.
    Api::new(&server, &format!("{api_token}x"))
        .get("/api/v1/tenant")
        .await
        .expect_error(401, "UNAUTHENTICATED");

    // An error names its request id, in the body and the header, and the log has it.
    let r = admin
        .send(
            admin
                .req(reqwest::Method::GET, "/api/v1/ota/packages/pkg_missing")
                .header("x-request-id", "trace-me-42"),
        )
        .await;
    assert_eq!(r.status.as_u16(), 404);
    assert_eq!(r.body["request_id"], "trace-me-42", "{}", r.body);
    assert_eq!(r.headers["x-request-id"], "trace-me-42");
    let r = admin.get("/api/v1/ota/packages/pkg_missing_too").await;
    let generated = r.body["request_id"].as_str().unwrap().to_owned();
    assert!(generated.starts_with("req_"), "{}", r.body);
    assert_eq!(r.headers["x-request-id"].to_str().unwrap(), generated);

    let metrics = scrape(&server).await;
    drop(server);
    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert!(!lines.is_empty());
    assert!(text.contains("trace-me-42"), "the request id is in the log");
    assert!(text.contains(&generated));
    for (name, secret) in [
        ("the admin's JWT", admin_jwt.as_str()),
        ("the API token", api_token.as_str()),
        ("the device token", device.api.token.as_str()),
    ] {
        // The signature part is what makes a token: it must appear nowhere.
        let signature = if secret.starts_with("adt_") {
            secret
        } else {
            secret.rsplit('.').next().unwrap()
        };
        assert!(!text.contains(signature), "{name} in the log");
        assert!(!metrics.contains(signature), "{name} in the metrics");
    }
}
