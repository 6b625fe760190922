//! The behaviour every store implementation must have, one suite per store trait, each checked
//! against its trait only, and [`contract`] (every suite, in order, on one store: the object
//! keys the catalog reports span aggregates). `suites!` runs each on every backend: SQLite in
//! a temporary file, PostgreSQL in a new database on the test process's cluster.

mod audit;
mod catalog;
mod cluster;
mod data_keys;
mod device_protocol;
mod events;
mod fleet;
mod idempotency_keys;
mod rollout_units;
mod rollouts;
mod schedules_and_cancel;
mod seed_000;
mod tenants;
mod uploads;

use airlift_core::error::ErrorCode;
use airlift_core::package::PackageType;
use airlift_core::payload::PayloadType;
use airlift_core::signing::SigningAlgorithm;
use airlift_core::wire::UploadJobStatus;
use airlift_server::engine::create_devices;
use airlift_server::store::postgres::{PgOptions, PgStore};
pub use airlift_server::store::rollout_port::RolloutUnits;
use airlift_server::store::sqlite::SqliteStore;
pub use airlift_server::store::*;

fn code(e: StoreError) -> ErrorCode {
    match e {
        StoreError::Api(api) => api.code,
        StoreError::Backend(b) => panic!("backend error: {b:#}"),
        StoreError::Unavailable(b) => panic!("database unavailable: {b}"),
    }
}

fn job(tenant: &str, id: &str, name: &str) -> UploadJobRecord {
    UploadJobRecord {
        data_key: None,
        id: id.into(),
        tenant_id: tenant.into(),
        name: name.into(),
        description: String::new(),
        status: UploadJobStatus::NotStarted,
        firmware_image_id: None,
        chunk_count: 0,
        bytes_received: 0,
        created_at: "2026-01-01T00:00:00Z".into(),
        updated_at: "2026-01-01T00:00:00Z".into(),
    }
}

fn chunk(id: Option<u32>, key: &str, len: u64) -> NewChunk {
    NewChunk {
        chunk_id: id,
        length: len,
        md5_hex: "00".repeat(16),
        object_key: key.into(),
        at: "2026-01-01T00:00:01Z".into(),
    }
}

fn package(tenant: &str, id: &str, version: &str) -> PackageRecord {
    PackageRecord {
        id: id.into(),
        tenant_id: tenant.into(),
        key: PackageKey {
            package_type: PackageType::Fw,
            version: version.into(),
            device_type: "temp-sensor".into(),
        },
        min_version: "1.0.0".into(),
        artifact_uri: "airlift://images/img_1".into(),
        sha256: "ab".repeat(32),
        signature: None,
        signing_key_id: None,
        size_bytes: 10,
        release_notes: String::new(),
        storage_key: format!("firmware/{tenant}/{version}/x.bin"),
        created_at: "2026-01-01T00:00:00Z".into(),
        change_seq: 0,
        data_key: None,
        payload_type: PayloadType::File,
        payload: None,
        file_keys: Vec::new(),
    }
}

/// Every suite on one store, in order; then what spans aggregates.
pub async fn contract(store: &dyn Store) {
    let (a, b) = tenants::contract(store).await;
    audit::contract(store, &a, &b).await;
    idempotency_keys::contract(store, &a, &b).await;
    uploads::contract(store, &a, &b).await;
    catalog::contract(store, &a, &b).await;
    let refs = store.referenced_object_keys().await.unwrap();
    assert!(
        refs.contains("images/img_1.bin"),
        "an image's object is referred to"
    );
    assert_eq!(
        store
            .delete_image(&a.id, "img_1", "airlift://images/img_1")
            .await
            .unwrap(),
        ImageDeletion::UsedBy {
            package_id: "pkg_1".into()
        },
        "an image a package was made from stays"
    );
    fleet::contract(store, &a, &b).await;
    let rollout = rollouts::start(store, &a).await;
    let running = rollouts::contract(store, &a, &b, &rollout).await;
    events::contract(store, &a, &b, &rollout).await;
    device_protocol::contract(store, &a, &b, &running).await;
    rollout_units::contract(store, &a, &rollout).await;
}

/// Tenants, `pkg_1`, profile `prof_1` with two devices and a canary over them: what the
/// rollout, event and device protocol suites read.
async fn running_rollout(store: &dyn Store) -> (TenantRecord, TenantRecord, String) {
    let (a, b) = tenants::contract(store).await;
    catalog::contract(store, &a, &b).await;
    fleet::contract(store, &a, &b).await;
    let rollout = rollouts::start(store, &a).await;
    (a, b, rollout)
}

/// A store to run a suite on, and what keeps it alive (a temporary directory or database).
trait Backend {
    type Guard;
    async fn open() -> (Self::Guard, Box<dyn Store>);
}

struct Sqlite;

impl Backend for Sqlite {
    type Guard = tempfile::TempDir;
    async fn open() -> (Self::Guard, Box<dyn Store>) {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open_blocking(&dir.path().join("db.sqlite")).unwrap();
        (dir, Box::new(store))
    }
}

/// A new database on the test process's PostgreSQL cluster (airlift-testkit).
struct Postgres;

impl Backend for Postgres {
    type Guard = ();
    async fn open() -> (Self::Guard, Box<dyn Store>) {
        let url = airlift_testkit::postgres::shared().create_database();
        let store = PgStore::open(&url, PgOptions::default()).await.unwrap();
        ((), Box::new(store))
    }
}

/// Every suite as one test per backend: the same code, run on each store.
macro_rules! suites {
    ($backend:ident, $module:ident) => {
        mod $module {
            use super::*;

            #[tokio::test(flavor = "multi_thread")]
            async fn tenant_store_keeps_its_contract() {
                let (_guard, store) = $backend::open().await;
                tenants::contract(&*store).await;
            }

            #[tokio::test(flavor = "multi_thread")]
            async fn idempotency_store_keeps_its_contract() {
                let (_guard, store) = $backend::open().await;
                let (a, b) = tenants::contract(&*store).await;
                idempotency_keys::contract(&*store, &a, &b).await;
            }

            #[tokio::test(flavor = "multi_thread")]
            async fn upload_store_keeps_its_contract() {
                let (_guard, store) = $backend::open().await;
                let (a, b) = tenants::contract(&*store).await;
                uploads::contract(&*store, &a, &b).await;
            }

            #[tokio::test(flavor = "multi_thread")]
            async fn catalog_store_keeps_its_contract() {
                let (_guard, store) = $backend::open().await;
                let (a, b) = tenants::contract(&*store).await;
                catalog::contract(&*store, &a, &b).await;
            }

            #[tokio::test(flavor = "multi_thread")]
            async fn data_key_store_keeps_its_contract() {
                let (_guard, store) = $backend::open().await;
                let (a, b) = tenants::contract(&*store).await;
                data_keys::contract(&*store, &a, &b).await;
            }

            #[tokio::test(flavor = "multi_thread")]
            async fn fleet_store_keeps_its_contract() {
                let (_guard, store) = $backend::open().await;
                let (a, b) = tenants::contract(&*store).await;
                fleet::contract(&*store, &a, &b).await;
            }

            #[tokio::test(flavor = "multi_thread")]
            async fn rollout_store_keeps_its_contract() {
                let (_guard, store) = $backend::open().await;
                let (a, b, rollout) = running_rollout(&*store).await;
                rollouts::contract(&*store, &a, &b, &rollout).await;
            }

            #[tokio::test(flavor = "multi_thread")]
            async fn event_store_keeps_its_contract() {
                let (_guard, store) = $backend::open().await;
                let (a, b, rollout) = running_rollout(&*store).await;
                events::contract(&*store, &a, &b, &rollout).await;
            }

            #[tokio::test(flavor = "multi_thread")]
            async fn device_protocol_store_keeps_its_contract() {
                let (_guard, store) = $backend::open().await;
                let (a, b, rollout) = running_rollout(&*store).await;
                let running = rollouts::contract(&*store, &a, &b, &rollout).await;
                device_protocol::contract(&*store, &a, &b, &running).await;
            }

            #[tokio::test(flavor = "multi_thread")]
            async fn rollout_port_keeps_its_contract() {
                let (_guard, store) = $backend::open().await;
                let (a, _, rollout) = running_rollout(&*store).await;
                rollout_units::contract(&*store, &a, &rollout).await;
            }

            #[tokio::test(flavor = "multi_thread")]
            async fn engine_walks_seed_000_canary_to_completion() {
                let (_guard, store) = $backend::open().await;
                seed_000::canary_to_completion(&*store).await;
            }

            #[tokio::test(flavor = "multi_thread")]
            async fn engine_walks_seed_000_auto_pause_then_rollback() {
                let (_guard, store) = $backend::open().await;
                seed_000::auto_pause_then_rollback(&*store).await;
            }

            #[tokio::test(flavor = "multi_thread")]
            async fn cluster_store_keeps_its_contract() {
                let (_guard, store) = $backend::open().await;
                cluster::contract(&*store).await;
            }

            #[tokio::test(flavor = "multi_thread")]
            async fn audit_store_keeps_its_contract() {
                let (_guard, store) = $backend::open().await;
                let (a, b) = tenants::contract(&*store).await;
                audit::contract(&*store, &a, &b).await;
            }

            #[tokio::test(flavor = "multi_thread")]
            async fn engine_starts_a_scheduled_rollout_at_its_time_once() {
                let (_guard, store) = $backend::open().await;
                schedules_and_cancel::a_scheduled_rollout_starts_at_its_time_once(&*store).await;
            }

            #[tokio::test(flavor = "multi_thread")]
            async fn engine_cancel_tells_the_told_and_frees_the_devices() {
                let (_guard, store) = $backend::open().await;
                schedules_and_cancel::cancel_tells_the_told_and_frees_the_devices(&*store).await;
            }

            #[tokio::test(flavor = "multi_thread")]
            async fn engine_cancels_scheduled_and_paused_rollouts() {
                let (_guard, store) = $backend::open().await;
                schedules_and_cancel::cancel_from_scheduled_and_paused(&*store).await;
            }

            #[tokio::test(flavor = "multi_thread")]
            async fn engine_advances_a_phase_after_its_gate_and_soak() {
                let (_guard, store) = $backend::open().await;
                schedules_and_cancel::a_phase_advances_after_its_gate_and_soak(&*store).await;
            }

            #[tokio::test(flavor = "multi_thread")]
            async fn engine_holds_an_unhealthy_phase() {
                let (_guard, store) = $backend::open().await;
                schedules_and_cancel::an_unhealthy_or_paused_phase_does_not_advance(&*store).await;
            }

            #[tokio::test(flavor = "multi_thread")]
            async fn engine_lets_auto_pause_win_over_a_phase_advance() {
                let (_guard, store) = $backend::open().await;
                schedules_and_cancel::auto_pause_wins_over_the_phase_advance(&*store).await;
            }

            #[tokio::test(flavor = "multi_thread")]
            async fn engine_retries_a_failed_device_after_its_backoff() {
                let (_guard, store) = $backend::open().await;
                schedules_and_cancel::a_failed_device_is_retried_after_its_backoff(&*store).await;
            }

            #[tokio::test(flavor = "multi_thread")]
            async fn engine_tells_devices_only_inside_the_window() {
                let (_guard, store) = $backend::open().await;
                schedules_and_cancel::devices_are_told_only_inside_the_window(&*store).await;
            }

            #[tokio::test(flavor = "multi_thread")]
            async fn store_keeps_the_contract() {
                let (_guard, store) = $backend::open().await;
                contract(&*store).await;
            }
        }
    };
}

suites!(Sqlite, on_sqlite);
suites!(Postgres, on_postgres);

#[tokio::test]
async fn sqlite_reopened_runs_no_migration_twice_and_keeps_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_blocking(&dir.path().join("db.sqlite")).unwrap();
    contract(&store).await;
    drop(store);
    let store = SqliteStore::open_blocking(&dir.path().join("db.sqlite")).unwrap();
    assert!(store.device_by_token_hash("h1").await.unwrap().is_some());
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_reopened_runs_no_migration_twice_and_keeps_the_data() {
    let url = airlift_testkit::postgres::shared().create_database();
    let store = PgStore::open(&url, PgOptions::default()).await.unwrap();
    contract(&store).await;
    drop(store);
    let store = PgStore::open(&url, PgOptions::default()).await.unwrap();
    assert!(store.device_by_token_hash("h1").await.unwrap().is_some());
}

/// PostgreSQL takes change numbers in one order and commits them in another: an incremental
/// sync must not pass over a number a running transaction may still commit. While another
/// session holds an uncommitted device change, a device created (and committed) after it is
/// not listed yet; once that session commits, both are, in number order.
#[tokio::test(flavor = "multi_thread")]
async fn postgres_incremental_sync_never_passes_over_a_running_change() {
    use std::io::Write as _;
    let url = airlift_testkit::postgres::shared().create_database();
    let store = PgStore::open(&url, PgOptions::default()).await.unwrap();
    let (a, b) = tenants::contract(&store).await;
    fleet::contract(&store, &a, &b).await;
    let before = store.list_devices_changed(&a.id, 0, 1000).await.unwrap();
    let since = before.items.iter().map(|d| d.change_seq).max().unwrap();

    // Another session changes dev_1 and keeps its transaction open.
    let mut session = std::process::Command::new(
        std::path::Path::new(airlift_testkit::postgres::BIN_DIR).join("psql"),
    )
    .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", &url])
    .stdin(std::process::Stdio::piped())
    .stdout(std::process::Stdio::null())
    .spawn()
    .unwrap();
    let mut input = session.stdin.take().unwrap();
    writeln!(
        input,
        "BEGIN; UPDATE devices SET firmware_version = '9.9.9' WHERE id = 'dev_1';"
    )
    .unwrap();
    input.flush().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while airlift_testkit::postgres::psql(
        &url,
        // This database's locks only: other tests share the cluster.
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'
         AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
    ) == "0"
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the session never changed dev_1"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }

    // A later change commits first.
    let late = NewDevice {
        record: DeviceRecord {
            id: "dev_late".into(),
            tenant_id: String::new(),
            profile_id: "prof_1".into(),
            name: "late".into(),
            device_type: "temp-sensor".into(),
            firmware_version: "1.0.0".into(),
            created_at: "2026-01-01T00:00:00Z".into(),
            change_seq: 0,
        },
        token_hash: "h_late".into(),
    };
    create_devices(&store, &a.id, vec![late]).await.unwrap();
    let page = store
        .list_devices_changed(&a.id, since, 1000)
        .await
        .unwrap();
    assert!(
        page.items.is_empty(),
        "nothing past the running change is listed yet: {:?}",
        page.items
    );

    writeln!(input, "COMMIT;").unwrap();
    drop(input);
    assert!(session.wait().unwrap().success());
    let page = store
        .list_devices_changed(&a.id, since, 1000)
        .await
        .unwrap();
    let ids: Vec<&str> = page.items.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(
        ids,
        ["dev_1", "dev_late"],
        "both, in the order of their numbers"
    );
}
