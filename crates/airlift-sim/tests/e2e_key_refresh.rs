//! Devices learn signing keys registered after the simulator started (issue 24: a key created
//! and registered in the app is trusted by the demo's devices without a restart), against the
//! real airliftd, and still refuse a signature the tenant's keys do not verify.

mod e2e;

use std::time::Duration;

use airlift_sim::publish::{ensure_package, ensure_signing_key, PackageSpec};
use airlift_sim::signer::DemoSigner;
use airlift_sim::{
    airliftd, Http, JobResult, RunConfig, StopCondition, StopHandle, Summary, UserApi, Verifier,
};
use serde_json::{json, Value};

use e2e::{counter, Env};

/// Long enough that every device of a test has taken its job before the first fetch may
/// start, so the fleet fetches exactly once.
const REFRESH_INTERVAL: Duration = Duration::from_secs(10);
const DEVICES: usize = 20;

fn spawn_fleet(
    env: &Env,
    cfg: RunConfig,
) -> (StopHandle, tokio::task::JoinHandle<anyhow::Result<Summary>>) {
    let stop = StopHandle::new();
    let fleet = env.fleet.clone();
    let s = stop.clone();
    let h = tokio::spawn(async move {
        fleet
            .run(
                cfg,
                StopCondition::any([
                    StopCondition::Handle(s),
                    StopCondition::After(Duration::from_secs(300)),
                ]),
            )
            .await
    });
    (stop, h)
}

/// Publishes version 3.0.0 signed by `signer` (whose key `api`'s tenant must hold).
async fn publish_3_0_0(env: &Env, signer: &DemoSigner) -> String {
    ensure_package(
        &env.api,
        signer,
        &PackageSpec {
            device_type: "temp-sensor".into(),
            version: "3.0.0".into(),
            min_version: "1.0.0".into(),
            size: 20 * 1024,
            release_notes: String::new(),
        },
    )
    .await
    .unwrap()
    .package_id
}

async fn roll_out(env: &Env, package_id: &str) -> String {
    let created: Value = env
        .api
        .post(
            "/api/v1/ota/rollouts",
            &json!({
                "package_id": package_id,
                "target_profile_id": env.profile_id,
                "rollback_package_id": env.rollback_id,
                "canary_percent": 100,
                "failure_threshold_percent": 100,
            }),
        )
        .await
        .unwrap_or_else(|e| panic!("create rollout: {e}"));
    assert_eq!(created["scheduled_count"], DEVICES, "{created}");
    created["rollout_id"].as_str().unwrap().to_owned()
}

fn verdicts(r: &Value) -> u64 {
    counter(r, "successful") + counter(r, "failed") + counter(r, "timed_out")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_registered_after_the_start_is_fetched_once_and_its_package_installs() {
    let _serial = e2e::serial().await;
    let env = e2e::env(DEVICES, 20 * 1024, &[]).await;
    let mut cfg = env.config(1, Duration::from_millis(200));
    cfg.verifier = Verifier::fetching(env.api.clone(), REFRESH_INTERVAL)
        .await
        .unwrap();
    assert_eq!(cfg.verifier.key_count(), 1);
    let (stop, run) = spawn_fleet(&env, cfg);

    let new_key = DemoSigner::from_seed([2; 32]);
    ensure_signing_key(&env.api, &new_key, "made-in-the-app")
        .await
        .unwrap();
    let package = publish_3_0_0(&env, &new_key).await;
    let id = roll_out(&env, &package).await;
    let r = env
        .wait_for(&id, Duration::from_secs(120), "every verdict", |r| {
            verdicts(r) == DEVICES as u64
        })
        .await;
    assert_eq!(
        counter(&r, "successful"),
        DEVICES as u64,
        "{}",
        r["counters"]
    );
    stop.stop();
    let s = run.await.unwrap().unwrap();
    assert_eq!(
        s.jobs_with(JobResult::Installed),
        DEVICES as u64,
        "{:?}",
        s.jobs
    );
    assert_eq!(s.jobs_with(JobResult::Rejected), 0, "{:?}", s.jobs);
    assert_eq!(s.firmware.get("3.0.0"), Some(&(DEVICES as u64)));
    assert_eq!(
        s.key_refreshes, 1,
        "{DEVICES} devices meeting the new key share one fetch"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signature_the_tenants_keys_do_not_verify_is_refused_after_one_fetch() {
    let _serial = e2e::serial().await;
    let env = e2e::env(DEVICES, 20 * 1024, &[]).await;
    // airliftd refuses a package whose signature none of its tenant's keys verify, so the
    // only way for devices to meet such a signature is a key source that is not the package's
    // tenant: these devices trust the keys of tenant "other", which holds the release key
    // only. The package is signed by a key only "acme" holds.
    let token = airliftd::token(e2e::airliftd_bin(), env._dir.path(), "other", "admin", 3600)
        .await
        .unwrap();
    let other = UserApi::new(
        Http::new(&env.server.url, 4, airlift_sim::USER_AGENT).unwrap(),
        &token,
    );
    ensure_signing_key(&other, &DemoSigner::from_seed([1; 32]), "release")
        .await
        .unwrap();
    let acme_only = DemoSigner::from_seed([3; 32]);
    ensure_signing_key(&env.api, &acme_only, "acme-only")
        .await
        .unwrap();
    let package = publish_3_0_0(&env, &acme_only).await;

    let mut cfg = env.config(2, Duration::from_millis(200));
    cfg.verifier = Verifier::fetching(other, REFRESH_INTERVAL).await.unwrap();
    let (stop, run) = spawn_fleet(&env, cfg);
    let id = roll_out(&env, &package).await;
    let r = env
        .wait_for(&id, Duration::from_secs(120), "every verdict", |r| {
            verdicts(r) == DEVICES as u64
        })
        .await;
    assert_eq!(counter(&r, "failed"), DEVICES as u64, "{}", r["counters"]);
    stop.stop();
    let s = run.await.unwrap().unwrap();
    assert_eq!(
        s.jobs_with(JobResult::Rejected),
        DEVICES as u64,
        "{:?}",
        s.jobs
    );
    assert_eq!(s.firmware.get("1.4.2"), Some(&(DEVICES as u64)));
    assert_eq!(s.key_refreshes, 1, "one fetch for the whole fleet");
    let device = &env.fleet.devices()[0].device_id;
    let history = env.history(device).await;
    let aborted = history
        .iter()
        .find(|h| h["status"] == "INSTALL_ABORTED")
        .unwrap_or_else(|| panic!("no INSTALL_ABORTED in {history:?}"));
    assert_eq!(
        aborted["message"],
        "signature does not verify with any of the tenant's 1 key(s)"
    );
}
