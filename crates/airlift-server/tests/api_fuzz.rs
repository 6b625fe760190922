//! The API document against the real server: Schemathesis (a property-based API fuzzer that
//! reads `openapi.yaml`) runs every phase (examples, coverage, fuzzing, stateful sequences
//! along the document's links) against a real airliftd with a tenant, a profile, a device, a
//! package and a rollout to act on, and must find nothing: no 5xx, no undocumented status,
//! content type, header or body, no schema-violating request accepted. The device protocol runs
//! with a device token (`api_fuzz/schemathesis.toml`).
//!
//! Schemathesis is installed by `cargo xtask test` into a virtual environment (pinned in
//! `api_fuzz/requirements.txt`) and found through `AIRLIFT_SCHEMATHESIS`.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::ota::fleet;
use serde_json::json;

/// Per-operation examples: enough to cover each operation's shapes, bounded so the run takes
/// a couple of minutes on two cores.
const MAX_EXAMPLES: &str = "100";
/// The document's promises: no 5xx, only documented status codes, content types, headers and
/// bodies, every schema-violating request refused, and a created object readable until it is
/// deleted. Not `positive_data_acceptance`: a schema cannot say that a profile exists, that a
/// PEM parses or that a Content-MD5 matches its body, so a schema-valid request may rightly
/// get a 400.
const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,\
                      response_headers_conformance,response_schema_conformance,\
                      negative_data_rejection,use_after_free,ensure_resource_availability";
/// `POST /api/v1/ota/images` is a multipart form, whose fields are text: a "number" that
/// Schemathesis puts in `name` arrives as the string "1.9", which the document allows, so the
/// negative-data check would fault a right answer. The form runs on its own without that check
/// (its length and character rules are tested in tests/images_single_shot.rs).
const IMAGE_FORM: &str = "/api/v1/ota/images";
const FORM_CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,\
                           response_headers_conformance,response_schema_conformance,\
                           use_after_free,ensure_resource_availability";
/// A fixed seed: the same cases on every run, so a failure reproduces (change it to explore).
const SEED: &str = "20261207";

fn schemathesis() -> PathBuf {
    match std::env::var_os("AIRLIFT_SCHEMATHESIS") {
        Some(p) => PathBuf::from(p),
        None => panic!(
            "AIRLIFT_SCHEMATHESIS is not set: run the tests with `cargo xtask test`, which \
             installs Schemathesis (crates/airlift-server/tests/api_fuzz/requirements.txt) and \
             sets it"
        ),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn schemathesis_finds_no_difference_between_the_document_and_the_server() {
    // Budgets off: Schemathesis sends as fast as it can with one token, and the budgets have
    // their own test (rate_limits.rs); here every answer is the document's.
    let f = fleet(2, &["--device-rate-limit", "0", "--user-rate-limit", "0"]).await;
    let device = &f.devices[0];
    // A rollout to read and steer, and a device with an assignment and a command to read.
    f.rm.post(
        "/api/v1/ota/rollouts",
        json!({"package_id": f.pkg, "target_profile_id": f.profile,
               "canary_percent": 100, "failure_threshold_percent": 50}),
    )
    .await
    .expect(201);
    // A download URL of the device's package (seed 001): its signed parts for the download
    // route, which answers 403 to anything the server did not sign.
    let download = download_url_vars(&device.ota().await.expect(200));

    // The device's own reads work before the fuzzer starts (its assignment is this package).
    device.ota().await.expect(200);
    device
        .api
        .get(&format!(
            "/api/v1/devices/{}/ota/download?package_id={}",
            device.id, f.pkg
        ))
        .await
        .expect(200);

    // The device protocol first, while the device still has its assignment: the users' run
    // may pause or roll the rollout back (it finds the rollout in the lists).
    // The device protocol has no create → act links, so no stateful phase of its own.
    for (what, selection, phases, checks) in [
        (
            "the device protocol",
            &["--include-path-regex", DEVICE_PATHS][..],
            "examples,coverage,fuzzing",
            CHECKS,
        ),
        (
            "the users' API",
            &[
                "--exclude-path-regex",
                DEVICE_PATHS,
                "--exclude-path",
                IMAGE_FORM,
            ][..],
            "examples,coverage,fuzzing,stateful",
            CHECKS,
        ),
        (
            "the image upload form",
            &["--include-path", IMAGE_FORM][..],
            "examples,coverage,fuzzing",
            FORM_CHECKS,
        ),
    ] {
        let text = run_schemathesis(
            &f,
            &device.api.token,
            &device.id,
            &download,
            selection,
            phases,
            checks,
        );
        assert!(text.contains("API Operations"), "{what}: {text}");
        assert!(!text.contains("Authentication failed"), "{what}: {text}");
    }
}

/// The parts of the assignment's `download_url` as the variables `schemathesis.toml` reads.
fn download_url_vars(assignment: &serde_json::Value) -> Vec<(&'static str, String)> {
    let url = url::Url::parse(assignment["download_url"].as_str().expect("a download_url"))
        .expect("the download_url parses");
    let segments: Vec<&str> = url.path_segments().expect("a path").collect();
    let [.., tenant, version, file] = segments.as_slice() else {
        panic!("unexpected download_url {url}");
    };
    let query = |name: &str| {
        url.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
            .unwrap_or_else(|| panic!("no {name} in {url}"))
    };
    vec![
        ("AIRLIFT_FUZZ_DOWNLOAD_TENANT", (*tenant).to_owned()),
        ("AIRLIFT_FUZZ_DOWNLOAD_VERSION", (*version).to_owned()),
        ("AIRLIFT_FUZZ_DOWNLOAD_FILE", (*file).to_owned()),
        ("AIRLIFT_FUZZ_DOWNLOAD_EXPIRES", query("expires")),
        ("AIRLIFT_FUZZ_DOWNLOAD_SIGNATURE", query("signature")),
    ]
}

/// The device protocol's paths (device token, its own device).
const DEVICE_PATHS: &str = r"^/api/v1/devices/\{device_id\}/(ota|commands)";

/// One Schemathesis run over the operations `selection` picks; panics with
/// its report when it finds anything, answers its output otherwise.
fn run_schemathesis(
    f: &common::ota::Fleet,
    device_token: &str,
    device_id: &str,
    download: &[(&'static str, String)],
    selection: &[&str],
    phases: &str,
    checks: &str,
) -> String {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let report = tempfile::tempdir().expect("report dir");
    let out = Command::new(schemathesis())
        .arg("--config-file")
        .arg(here.join("tests/api_fuzz/schemathesis.toml"))
        .arg("run")
        .arg(here.join("openapi.yaml"))
        .args(["--url", &f.server.base])
        .args(["--max-examples", MAX_EXAMPLES, "--seed", SEED])
        // One worker: Hypothesis's lambda descriptions are not thread-safe on Python 3.11
        // ("AST constructor recursion depth mismatch" from a second worker).
        .args(["--workers", "1", "--no-color"])
        .args(["--request-timeout", "30"])
        .args(selection)
        .args(["--phases", phases])
        .args(["--checks", checks])
        // The event stream never ends by design; it has its own tests (events.rs).
        .args(["--exclude-path", "/api/v1/events"])
        .env("AIRLIFT_FUZZ_USER_TOKEN", &f.admin.token)
        .env("AIRLIFT_FUZZ_DEVICE_TOKEN", device_token)
        .env("AIRLIFT_FUZZ_DEVICE_ID", device_id)
        .env("AIRLIFT_FUZZ_PACKAGE_ID", &f.pkg)
        .env(
            "AIRLIFT_FUZZ_REPORTING_DEVICE_TOKEN",
            &f.devices[1].api.token,
        )
        .env("AIRLIFT_FUZZ_REPORTING_DEVICE_ID", &f.devices[1].id)
        .envs(download.iter().map(|(k, v)| (*k, v.as_str())))
        .current_dir(report.path())
        .output()
        .expect("run schemathesis");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "Schemathesis found differences between openapi.yaml and the server:\n{text}"
    );
    text
}
