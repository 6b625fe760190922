//! The real airlift-agent against a real airliftd (through a link proxy that counts and can
//! corrupt chunk answers): the full install path, crashes at the worst moments, and every
//! refusal the agent owes a device maker.

mod support;

use std::time::Duration;

use support::{proxy, serial, Env};

const LIMIT: Duration = Duration::from_secs(60);

/// A hook that copies the artifact where the "device" keeps its image.
fn copy_hook(env: &Env) -> String {
    format!(
        "cp \"$AIRLIFT_ARTIFACT\" {} && echo \"installed $AIRLIFT_VERSION ($AIRLIFT_PACKAGE_ID)\"",
        env.path("installed.bin").display()
    )
}

fn statuses(reports: &[(String, String, String)]) -> Vec<&str> {
    reports.iter().map(|r| r.0.as_str()).collect()
}

#[tokio::test]
async fn the_hook_installs_the_version_file_follows_and_the_rollout_counts_it() {
    let _g = serial().await;
    let env = Env::start("1.0.0").await;
    let (pkg, bytes) = env.package("2.0.0", 300_000).await;
    let rollout = env.rollout(&pkg).await;
    env.set_version("1.0.0");
    let _agent = env.agent(&env.server.url, &copy_hook(&env), &[]);
    let r = env.wait_counter(&rollout, "successful", 1, LIMIT).await;
    assert_eq!(r["status"], "completed", "{r}");
    assert_eq!(std::fs::read(env.path("installed.bin")).unwrap(), bytes);
    assert_eq!(env.version(), "2.0.0");
    let reports = env.reports().await;
    let s = statuses(&reports);
    for want in [
        "INIT",
        "TEST",
        "TEST_SUCCESS",
        "DOWNLOAD",
        "DOWNLOAD_SUCCESS",
        "INSTALL",
        "INSTALL_SUCCESS",
        "INSTALLED_VERSION",
    ] {
        assert!(s.contains(&want), "{want} missing from {s:?}");
    }
    let last = reports.last().unwrap();
    assert_eq!(
        (last.0.as_str(), last.2.as_str()),
        ("INSTALLED_VERSION", "2.0.0")
    );
    let device = env
        .api
        .get::<serde_json::Value>(&format!("/api/v1/devices/{}", env.device_id))
        .await
        .unwrap();
    assert_eq!(device["firmware_version"], "2.0.0");
    // The server names the agent that polled, with its version, for the device page.
    assert_eq!(
        device["user_agent"],
        concat!("airlift-agent/", env!("CARGO_PKG_VERSION")),
        "{device}"
    );
}

#[tokio::test]
async fn restart_needed_counts_only_once_the_new_version_runs() {
    let _g = serial().await;
    let env = Env::start("1.0.0").await;
    let (pkg, _) = env.package("2.0.0", 70_000).await;
    let rollout = env.rollout(&pkg).await;
    env.set_version("1.0.0");
    let restarted = env.path("restart-requested");
    let restart = format!("touch {}", restarted.display());
    let agent = env.agent(
        &env.server.url,
        "echo 'staged in slot B'; exit 10",
        &["--restart-command", &restart],
    );
    let (_, msg, _) = env.wait_report("INSTALL_SUCCESS", LIMIT).await;
    assert!(msg.contains("restart"), "{msg}");
    let deadline = std::time::Instant::now() + LIMIT;
    while !restarted.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "the restart command never ran"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(600)).await;
    let r = env.rollout_state(&rollout).await;
    assert_eq!(
        r["counters"]["successful"].as_u64().unwrap_or(0),
        0,
        "not before the restart: {r}"
    );
    assert_eq!(
        env.version(),
        "1.0.0",
        "exit 10: the new image writes the version file"
    );
    // The "reboot": the new image wrote its version; the agent starts again.
    agent.kill9().await;
    env.set_version("2.0.0");
    let _agent = env.agent(&env.server.url, "exit 99", &[]);
    env.wait_counter(&rollout, "successful", 1, LIMIT).await;
}

#[tokio::test]
async fn killed_mid_download_it_resumes_without_fetching_bytes_twice() {
    let _g = serial().await;
    let env = Env::start("1.0.0").await;
    let size = 20 * 65536 + 123;
    let (pkg, bytes) = env.package("2.0.0", size).await;
    let rollout = env.rollout(&pkg).await;
    env.set_version("1.0.0");
    let (url, link) = proxy::start(&env.server.url).await;
    link.delay_ms
        .store(150, std::sync::atomic::Ordering::SeqCst);
    let agent = env.agent(&url, &copy_hook(&env), &[]);
    let deadline = std::time::Instant::now() + LIMIT;
    while link.chunk_requests().len() < 6 {
        assert!(
            std::time::Instant::now() < deadline,
            "the download never started"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    agent.kill9().await;
    let before = link.chunk_requests().len();
    link.delay_ms.store(0, std::sync::atomic::Ordering::SeqCst);
    let _agent = env.agent(&url, &copy_hook(&env), &[]);
    env.wait_counter(&rollout, "successful", 1, LIMIT).await;
    assert_eq!(std::fs::read(env.path("installed.bin")).unwrap(), bytes);
    let chunks = link.chunk_requests();
    let mut offsets: Vec<u64> = chunks.iter().map(|c| c.0).collect();
    let total = offsets.len();
    offsets.sort_unstable();
    offsets.dedup();
    assert_eq!(offsets.len(), 21, "every range fetched: {chunks:?}");
    assert!(
        total - offsets.len() <= 1,
        "at most the range in flight is fetched twice: {chunks:?}"
    );
    assert!(
        chunks[before].0 > 0,
        "the restarted agent resumed, not restarted: {chunks:?}"
    );
}

#[tokio::test]
async fn killed_during_the_hook_the_interruption_is_reported_at_restart() {
    let _g = serial().await;
    let env = Env::start("1.0.0").await;
    let (pkg, _) = env.package("2.0.0", 70_000).await;
    let rollout = env.rollout(&pkg).await;
    env.set_version("1.0.0");
    let marker = env.path("hook-started");
    let hook = format!("touch {}; sleep 30", marker.display());
    let agent = env.agent(&env.server.url, &hook, &[]);
    let deadline = std::time::Instant::now() + LIMIT;
    while !marker.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "the hook never started"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    agent.kill9().await;
    let _agent = env.agent(&env.server.url, "exit 0", &[]);
    let (_, msg, _) = env.wait_report("INSTALL_ERROR", LIMIT).await;
    assert!(msg.contains("stopped while the install hook"), "{msg}");
    env.wait_counter(&rollout, "failed", 1, LIMIT).await;
    assert_eq!(env.version(), "1.0.0");
}

#[tokio::test]
async fn corrupted_bytes_are_refused_and_the_hook_never_runs() {
    let _g = serial().await;
    let env = Env::start("1.0.0").await;
    let (pkg, _) = env.package("2.0.0", 200_000).await;
    let rollout = env.rollout(&pkg).await;
    env.set_version("1.0.0");
    let (url, link) = proxy::start(&env.server.url).await;
    link.corrupt
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let ran = env.path("hook-ran");
    let _agent = env.agent(&url, &format!("touch {}", ran.display()), &[]);
    let (_, msg, _) = env.wait_report("DOWNLOAD_ERROR", LIMIT).await;
    assert!(msg.contains("SHA-256 mismatch"), "{msg}");
    env.wait_counter(&rollout, "failed", 1, LIMIT).await;
    assert!(!ran.exists(), "the hook ran on corrupted bytes");
    assert!(!statuses(&env.reports().await).contains(&"INSTALL"));
}

#[tokio::test]
async fn an_encrypted_package_is_decrypted_segment_by_segment_and_installed() {
    let _g = serial().await;
    let env = Env::start("1.0.0").await;
    let size = 3 * 65520 + 500;
    let (pkg, bytes) = env.encrypted_package("2.0.0", size).await;
    let rollout = env.rollout(&pkg).await;
    env.set_version("1.0.0");
    let (url, link) = proxy::start(&env.server.url).await;
    let _agent = env.agent(&url, &copy_hook(&env), &[]);
    let r = env.wait_counter(&rollout, "successful", 1, LIMIT).await;
    assert_eq!(r["status"], "completed", "{r}");
    assert_eq!(std::fs::read(env.path("installed.bin")).unwrap(), bytes);
    assert_eq!(env.version(), "2.0.0");
    // Four stored segments, each fetched whole at its 64 KiB boundary.
    let mut offsets: Vec<u64> = link.chunk_requests().iter().map(|c| c.0).collect();
    offsets.sort_unstable();
    offsets.dedup();
    assert_eq!(offsets, [0, 65536, 131072, 196608]);
}

#[tokio::test]
async fn an_encrypted_package_fetched_by_download_url_is_decrypted_and_installed() {
    let _g = serial().await;
    let env = Env::start("1.0.0").await;
    // 20 stored segments: two 1 MiB URL ranges of whole segments, the second shorter.
    let size = 20 * 65520 - 7;
    let (pkg, bytes) = env.encrypted_package("2.0.0", size).await;
    let rollout = env.rollout(&pkg).await;
    env.set_version("1.0.0");
    let _agent = env.agent(&env.server.url, &copy_hook(&env), &["--download-url"]);
    let r = env.wait_counter(&rollout, "successful", 1, LIMIT).await;
    assert_eq!(r["status"], "completed", "{r}");
    assert_eq!(std::fs::read(env.path("installed.bin")).unwrap(), bytes);
}

#[tokio::test]
async fn an_encrypted_segment_altered_in_transit_is_refused_and_never_installed() {
    let _g = serial().await;
    let env = Env::start("1.0.0").await;
    let (pkg, _) = env.encrypted_package("2.0.0", 100_000).await;
    let rollout = env.rollout(&pkg).await;
    env.set_version("1.0.0");
    let (url, link) = proxy::start(&env.server.url).await;
    link.corrupt
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let ran = env.path("hook-ran");
    let _agent = env.agent(&url, &format!("touch {}", ran.display()), &[]);
    let (_, msg, _) = env.wait_report("DOWNLOAD_ERROR", LIMIT).await;
    assert!(msg.starts_with("DECRYPT_FAILED"), "{msg}");
    assert!(msg.contains("does not authenticate"), "{msg}");
    env.wait_counter(&rollout, "failed", 1, LIMIT).await;
    assert!(!ran.exists(), "the hook ran on bytes that did not decrypt");
    assert!(!statuses(&env.reports().await).contains(&"INSTALL"));
}

#[tokio::test]
async fn an_older_version_is_refused() {
    let _g = serial().await;
    let env = Env::start("1.0.0").await;
    let (pkg, _) = env.package("1.5.0", 70_000).await;
    let rollout = env.rollout(&pkg).await;
    env.set_version("2.0.0");
    let ran = env.path("hook-ran");
    let _agent = env.agent(&env.server.url, &format!("touch {}", ran.display()), &[]);
    let (_, msg, version) = env.wait_report("INSTALL_ABORTED", LIMIT).await;
    assert!(msg.contains("older than the running 2.0.0"), "{msg}");
    assert_eq!(version, "2.0.0");
    env.wait_counter(&rollout, "failed", 1, LIMIT).await;
    assert!(!ran.exists());
    assert_eq!(env.version(), "2.0.0");
}

#[tokio::test]
async fn a_package_signed_by_an_untrusted_key_is_refused_before_download() {
    let _g = serial().await;
    let env = Env::start("1.0.0").await;
    let (pkg, _) = env.package("2.0.0", 70_000).await;
    let rollout = env.rollout(&pkg).await;
    env.set_version("1.0.0");
    // The device trusts another key than the one the tenant signs with.
    let other = airlift_sim::signer::DemoSigner::from_seed([9; 32]);
    std::fs::write(env.path("trusted.pem"), other.public_key_pem().unwrap()).unwrap();
    let (url, link) = proxy::start(&env.server.url).await;
    let _agent = env.agent(&url, "exit 0", &[]);
    let (_, msg, _) = env.wait_report("TEST_ERROR", LIMIT).await;
    assert!(msg.contains("Signature check failed"), "{msg}");
    env.wait_counter(&rollout, "failed", 1, LIMIT).await;
    assert!(link.chunk_requests().is_empty(), "nothing downloaded");
}

#[tokio::test]
async fn a_hanging_hook_times_out_as_install_error() {
    let _g = serial().await;
    let env = Env::start("1.0.0").await;
    let (pkg, _) = env.package("2.0.0", 70_000).await;
    let rollout = env.rollout(&pkg).await;
    env.set_version("1.0.0");
    let _agent = env.agent(
        &env.server.url,
        "echo 'writing slot B'; sleep 60",
        &["--hook-timeout", "1s"],
    );
    let (_, msg, _) = env.wait_report("INSTALL_ERROR", LIMIT).await;
    assert!(msg.contains("timed out after 1s"), "{msg}");
    assert!(msg.contains("writing slot B"), "{msg}");
    env.wait_counter(&rollout, "failed", 1, LIMIT).await;
}

#[tokio::test]
async fn a_hook_failure_reports_its_last_output_line() {
    let _g = serial().await;
    let env = Env::start("1.0.0").await;
    let (pkg, _) = env.package("2.0.0", 70_000).await;
    let rollout = env.rollout(&pkg).await;
    env.set_version("1.0.0");
    let _agent = env.agent(
        &env.server.url,
        "echo checking; echo 'rauc: bundle rejected' >&2; exit 1",
        &[],
    );
    let (_, msg, _) = env.wait_report("INSTALL_ERROR", LIMIT).await;
    assert_eq!(msg, "rauc: bundle rejected");
    env.wait_counter(&rollout, "failed", 1, LIMIT).await;
    assert_eq!(env.version(), "1.0.0");
}

/// A full disk, as the agent sees it: the free space of the state directory's file system
/// (statvfs) against the download plus the reserve the test sets far beyond any real disk.
#[tokio::test]
async fn not_enough_disk_space_is_a_test_error_with_the_numbers() {
    let _g = serial().await;
    let env = Env::start("1.0.0").await;
    let (pkg, _) = env.package("2.0.0", 70_000).await;
    let rollout = env.rollout(&pkg).await;
    env.set_version("1.0.0");
    let _agent = env.agent(
        &env.server.url,
        "exit 0",
        &["--min-free-bytes", "1000000000000000000"],
    );
    let (_, msg, _) = env.wait_report("TEST_ERROR", LIMIT).await;
    assert!(msg.starts_with("Not enough disk space"), "{msg}");
    assert!(
        msg.contains("required: 70000 bytes + 1000000000000000000 reserved, available: "),
        "{msg}"
    );
    env.wait_counter(&rollout, "failed", 1, LIMIT).await;
}

#[tokio::test]
async fn a_rollback_command_may_install_the_older_version() {
    let _g = serial().await;
    let env = Env::start("1.0.0").await;
    let (old, old_bytes) = env.package("1.0.0", 70_000).await;
    let (new, _) = env.package("2.0.0", 70_000).await;
    // The idle device never reports, so the rollout stays active and can be rolled back.
    let rollout = env
        .rollout_with(serde_json::json!({
            "package_id": new,
            "device_ids": [env.device_id, env.idle_device_id],
            "canary_percent": 100,
            "failure_threshold_percent": 100,
            "rollback_package_id": old,
        }))
        .await;
    env.set_version("1.0.0");
    let _agent = env.agent(&env.server.url, &copy_hook(&env), &[]);
    env.wait_counter(&rollout, "successful", 1, LIMIT).await;
    assert_eq!(env.version(), "2.0.0");
    let _: serde_json::Value = env
        .api
        .post_empty(&format!("/api/v1/ota/rollouts/{rollout}/rollback"))
        .await
        .unwrap();
    let deadline = std::time::Instant::now() + LIMIT;
    while env.version() != "1.0.0" {
        assert!(
            std::time::Instant::now() < deadline,
            "not rolled back; reports {:?}",
            env.reports().await
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(std::fs::read(env.path("installed.bin")).unwrap(), old_bytes);
    assert!(!statuses(&env.reports().await).contains(&"INSTALL_ABORTED"));
}

#[tokio::test]
async fn with_download_url_it_fetches_by_url_and_never_uses_the_chunk_endpoint() {
    let _g = serial().await;
    // URLs live 1 to 2 s: the agent takes a fresh one from a poll when its download starts.
    let env = Env::start_with("1.0.0", &["--download-url-ttl", "1s"]).await;
    let (pkg, bytes) = env.package("2.0.0", 3 * 1024 * 1024 + 5).await;
    let rollout = env.rollout(&pkg).await;
    env.set_version("1.0.0");
    let (url, link) = proxy::start(&env.server.url).await;
    let _agent = env.agent(&url, &copy_hook(&env), &["--download-url"]);
    env.wait_counter(&rollout, "successful", 1, LIMIT).await;
    assert_eq!(std::fs::read(env.path("installed.bin")).unwrap(), bytes);
    assert_eq!(env.version(), "2.0.0");
    assert!(
        link.chunk_requests().is_empty(),
        "the chunk endpoint was used: {:?}",
        link.chunk_requests()
    );
}

/// The device's history entries of `kind`, oldest first.
async fn history_of(env: &Env, kind: &str) -> Vec<serde_json::Value> {
    let v: serde_json::Value = env
        .api
        .get(&format!(
            "/api/v1/devices/{}/history?limit=1000",
            env.device_id
        ))
        .await
        .unwrap();
    let mut out: Vec<_> = v["data"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|e| e["kind"] == kind)
        .collect();
    out.reverse();
    out
}

#[tokio::test]
async fn a_cancelled_rollout_stops_the_download_drops_the_partial_file_and_acks_the_cancel() {
    let _g = serial().await;
    let env = Env::start("1.0.0").await;
    let ranges = 40;
    let (pkg, _) = env.package("2.0.0", ranges * 65536).await;
    let rollout = env.rollout(&pkg).await;
    env.set_version("1.0.0");
    let (url, link) = proxy::start(&env.server.url).await;
    link.delay_ms
        .store(150, std::sync::atomic::Ordering::SeqCst);
    let ran = env.path("hook-ran");
    let _agent = env.agent(&url, &format!("touch {}", ran.display()), &[]);
    let partial = env.path("state").join("download.part");
    let deadline = std::time::Instant::now() + LIMIT;
    while link.chunk_requests().len() < 3 || !partial.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "the download never started"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let cancelled: serde_json::Value = env
        .api
        .post(
            &format!("/api/v1/ota/rollouts/{rollout}/cancel"),
            &serde_json::json!({}),
        )
        .await
        .unwrap();
    assert_eq!(cancelled["status"], "cancelled");
    // The server sent an ota_cancel; the agent acknowledges it once it has stopped.
    let cancel = history_of(&env, "command")
        .await
        .into_iter()
        .find(|e| e["status"] == "ota_cancel")
        .expect("an ota_cancel command");
    let deadline = std::time::Instant::now() + LIMIT;
    loop {
        let acked = history_of(&env, "command_acked").await;
        if acked
            .iter()
            .any(|e| e["command_id"] == cancel["command_id"])
        {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the ota_cancel was never acknowledged; agent log:\n{}",
            std::fs::read_to_string(env.path("agent.log")).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(!partial.exists(), "the partial file is left");
    assert!(!env.path("state").join("artifact.bin").exists());
    let state = std::fs::read_to_string(env.path("state").join("state.json")).unwrap();
    let state: serde_json::Value = serde_json::from_str(&state).unwrap();
    assert!(state["job"].is_null(), "the job is kept: {state}");
    // Stopped, not finished: no more ranges, no install, the running version unchanged.
    let fetched = link.chunk_requests().len();
    assert!(fetched < ranges, "every range was fetched: {fetched}");
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        link.chunk_requests().len(),
        fetched,
        "ranges after the cancel"
    );
    assert!(!ran.exists(), "the hook ran for a cancelled rollout");
    assert_eq!(env.version(), "1.0.0");
    let r = env.rollout_state(&rollout).await;
    assert_eq!(r["status"], "cancelled", "{r}");
    assert!(
        !statuses(&env.reports().await).contains(&"INSTALL"),
        "an install was reported"
    );
}
