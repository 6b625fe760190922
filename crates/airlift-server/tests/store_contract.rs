//! The behaviour every `Store` implementation must have, checked against the trait only.
//! A new backend (PostgreSQL) adds one `#[tokio::test]` that calls [`contract`] with its store.

use airlift_core::error::ErrorCode;
use airlift_core::package::PackageType;
use airlift_core::signing::SigningAlgorithm;
use airlift_core::wire::UploadJobStatus;
use airlift_server::engine::create_devices;
use airlift_server::store::sqlite::SqliteStore;
use airlift_server::store::*;

fn code(e: StoreError) -> ErrorCode {
    match e {
        StoreError::Api(api) => api.code,
        StoreError::Backend(b) => panic!("backend error: {b:#}"),
    }
}

fn job(tenant: &str, id: &str, name: &str) -> UploadJobRecord {
    UploadJobRecord {
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
    }
}

pub async fn contract(store: &dyn Store) {
    // Tenants: ensure is idempotent and new tenants require signatures.
    let a = store.ensure_tenant("acme").await.unwrap();
    assert_eq!(store.ensure_tenant("acme").await.unwrap(), a);
    assert!(a.require_signatures);
    let b = store.ensure_tenant("globex").await.unwrap();
    assert!(
        !store
            .set_require_signatures(&a.id, false)
            .await
            .unwrap()
            .require_signatures
    );
    assert_eq!(
        code(store.ensure_tenant("../etc").await.unwrap_err()),
        ErrorCode::InvalidArgument
    );

    // Upload jobs: names unique per tenant across jobs and images; isolation.
    store
        .create_upload_job(job(&a.id, "job_1", "fw"))
        .await
        .unwrap();
    assert_eq!(
        code(
            store
                .create_upload_job(job(&a.id, "job_2", "fw"))
                .await
                .unwrap_err()
        ),
        ErrorCode::AlreadyExists
    );
    store
        .create_upload_job(job(&b.id, "job_3", "fw"))
        .await
        .unwrap();
    assert!(store.upload_job(&b.id, "job_1").await.unwrap().is_none());
    assert_eq!(
        code(
            store
                .put_chunk(&b.id, "job_1", chunk(None, "k", 1))
                .await
                .unwrap_err()
        ),
        ErrorCode::NotFound
    );

    // Chunks: append numbering, explicit parts, replacement returns the old key.
    let (c1, _) = store
        .put_chunk(&a.id, "job_1", chunk(None, "k1", 5))
        .await
        .unwrap();
    assert_eq!(c1.chunk_id, 1);
    let (c3, prev) = store
        .put_chunk(&a.id, "job_1", chunk(Some(3), "k3", 7))
        .await
        .unwrap();
    assert_eq!((c3.chunk_id, prev), (3, None));
    let (_, prev) = store
        .put_chunk(&a.id, "job_1", chunk(Some(3), "k3b", 7))
        .await
        .unwrap();
    assert_eq!(prev.as_deref(), Some("k3"));
    let j = store.upload_job(&a.id, "job_1").await.unwrap().unwrap();
    assert_eq!(
        (j.status, j.chunk_count, j.bytes_received),
        (UploadJobStatus::InProgress, 2, 12)
    );
    let page = store
        .list_chunks(
            &a.id,
            "job_1",
            Page {
                limit: 1,
                after: None,
            },
        )
        .await
        .unwrap();
    assert!(page.has_more);
    assert_eq!(page.items[0].chunk_id, 1);

    // Completion: gaps refuse, the job locks while completing, finishing is atomic.
    assert_eq!(
        code(store.begin_completion(&a.id, "job_1").await.unwrap_err()),
        ErrorCode::FailedPrecondition
    );
    store
        .put_chunk(&a.id, "job_1", chunk(Some(2), "k2", 1))
        .await
        .unwrap();
    let parts = store.begin_completion(&a.id, "job_1").await.unwrap();
    assert_eq!(
        parts.iter().map(|c| c.chunk_id).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    assert_eq!(
        code(
            store
                .put_chunk(&a.id, "job_1", chunk(Some(4), "k4", 1))
                .await
                .unwrap_err()
        ),
        ErrorCode::FailedPrecondition
    );
    assert_eq!(
        code(store.delete_upload_job(&a.id, "job_1").await.unwrap_err()),
        ErrorCode::FailedPrecondition
    );
    // A crash here: restart puts the job back in progress.
    assert_eq!(store.reset_interrupted_completions().await.unwrap(), 1);
    store.begin_completion(&a.id, "job_1").await.unwrap();
    let image = ImageRecord {
        id: "img_1".into(),
        tenant_id: a.id.clone(),
        name: "fw".into(),
        description: String::new(),
        object_key: "images/img_1.bin".into(),
        sha256: "cd".repeat(32),
        size: 13,
        upload_job_id: "job_1".into(),
        created_at: "2026-01-01T00:00:02Z".into(),
    };
    let (done, keys) = store.finish_completion(image.clone()).await.unwrap();
    assert_eq!(done.status, UploadJobStatus::Completed);
    assert_eq!(done.firmware_image_id.as_deref(), Some("img_1"));
    assert_eq!(done.bytes_received, 13);
    let mut keys = keys;
    keys.sort();
    assert_eq!(keys, vec!["k1", "k2", "k3b"]);
    assert_eq!(
        code(
            store
                .put_chunk(&a.id, "job_1", chunk(None, "k", 1))
                .await
                .unwrap_err()
        ),
        ErrorCode::InvalidArgument
    );
    assert_eq!(store.image(&a.id, "img_1").await.unwrap(), Some(image));
    assert!(store.image(&b.id, "img_1").await.unwrap().is_none());
    let empty_job = job(&a.id, "job_4", "empty");
    store.create_upload_job(empty_job).await.unwrap();
    assert_eq!(
        code(store.begin_completion(&a.id, "job_4").await.unwrap_err()),
        ErrorCode::InvalidArgument
    );

    // Packages: unique (type, version, device_type) per tenant; isolation; key references.
    store
        .create_package(package(&a.id, "pkg_1", "2.0.0"))
        .await
        .unwrap();
    assert_eq!(
        code(
            store
                .create_package(package(&a.id, "pkg_2", "2.0.0"))
                .await
                .unwrap_err()
        ),
        ErrorCode::AlreadyExists
    );
    store
        .create_package(package(&b.id, "pkg_3", "2.0.0"))
        .await
        .unwrap();
    assert!(store.package(&b.id, "pkg_1").await.unwrap().is_none());
    assert!(store
        .package_exists(&a.id, &package(&a.id, "x", "2.0.0").key)
        .await
        .unwrap());
    let refs = store.referenced_object_keys().await.unwrap();
    assert!(refs.contains("images/img_1.bin"));
    assert!(refs.contains(&format!("firmware/{}/2.0.0/x.bin", a.id)));
    assert!(store
        .object_key_in_use(&format!("firmware/{}/2.0.0/x.bin", a.id))
        .await
        .unwrap());

    // Signing keys: duplicate fingerprint refused while active; revoke is tenant-scoped.
    let key = SigningKeyRecord {
        id: "key_1".into(),
        tenant_id: a.id.clone(),
        name: "ci".into(),
        algorithm: SigningAlgorithm::Ed25519,
        public_key_pem: "pem".into(),
        fingerprint: "f".repeat(64),
        created_at: "2026-01-01T00:00:00Z".into(),
        revoked_at: None,
    };
    store.create_signing_key(key.clone()).await.unwrap();
    let dup = SigningKeyRecord {
        id: "key_2".into(),
        ..key.clone()
    };
    assert_eq!(
        code(store.create_signing_key(dup.clone()).await.unwrap_err()),
        ErrorCode::AlreadyExists
    );
    assert_eq!(
        code(
            store
                .revoke_signing_key(&b.id, "key_1", "now")
                .await
                .unwrap_err()
        ),
        ErrorCode::NotFound
    );
    store
        .revoke_signing_key(&a.id, "key_1", "now")
        .await
        .unwrap();
    store
        .revoke_signing_key(&a.id, "key_1", "later")
        .await
        .unwrap();
    let keys = store.list_signing_keys(&a.id).await.unwrap();
    assert_eq!(keys[0].revoked_at.as_deref(), Some("now"));
    store.create_signing_key(dup).await.unwrap();

    // Devices: all or nothing, profile must be the tenant's.
    let profile = ProfileRecord {
        id: "prof_1".into(),
        tenant_id: a.id.clone(),
        name: "p".into(),
        device_type: "temp-sensor".into(),
        created_at: "2026-01-01T00:00:00Z".into(),
    };
    store.create_profile(profile.clone()).await.unwrap();
    assert_eq!(
        code(
            store
                .create_profile(ProfileRecord {
                    id: "prof_2".into(),
                    ..profile
                })
                .await
                .unwrap_err()
        ),
        ErrorCode::AlreadyExists
    );
    let device = |id: &str, profile: &str, hash: &str| NewDevice {
        record: DeviceRecord {
            id: id.into(),
            tenant_id: String::new(),
            profile_id: profile.into(),
            name: id.into(),
            device_type: "temp-sensor".into(),
            firmware_version: "1.0.0".into(),
            created_at: "2026-01-01T00:00:00Z".into(),
            change_seq: 0,
        },
        token_hash: hash.into(),
    };
    assert_eq!(
        code(
            create_devices(store, &b.id, vec![device("dev_x", "prof_1", "hx")])
                .await
                .unwrap_err()
        ),
        ErrorCode::InvalidArgument
    );
    assert_eq!(
        code(
            create_devices(
                store,
                &a.id,
                vec![
                    device("dev_1", "prof_1", "h1"),
                    device("dev_2", "prof_nope", "h2")
                ]
            )
            .await
            .unwrap_err()
        ),
        ErrorCode::InvalidArgument
    );
    assert!(
        store.device(&a.id, "dev_1").await.unwrap().is_none(),
        "nothing of a failed batch"
    );
    create_devices(
        store,
        &a.id,
        vec![
            device("dev_1", "prof_1", "h1"),
            device("dev_2", "prof_1", "h2"),
        ],
    )
    .await
    .unwrap();
    assert_eq!(
        store.device_by_token_hash("h2").await.unwrap().unwrap().id,
        "dev_2"
    );
    // The poll's one-read token lookup: unknown token, another device's URL, its own.
    assert!(store
        .device_poll_by_token("no-such-hash", "dev_2")
        .await
        .unwrap()
        .is_none());
    let (dev, polled) = store
        .device_poll_by_token("h2", "dev_1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(dev.id, "dev_2");
    assert!(polled.is_none(), "another device's poll is not read");
    let (dev, polled) = store
        .device_poll_by_token("h2", "dev_2")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((dev.id.as_str(), polled.is_none()), ("dev_2", true));
    assert!(store.device(&b.id, "dev_1").await.unwrap().is_none());
    let page = store
        .list_devices(
            &a.id,
            Page {
                limit: 10,
                after: Some("dev_1".into()),
            },
        )
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1);
    assert!(!page.has_more);
}

#[tokio::test]
async fn sqlite_store_keeps_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_blocking(&dir.path().join("db.sqlite")).unwrap();
    contract(&store).await;
    // Reopening runs no migration twice and keeps the data.
    drop(store);
    let store = SqliteStore::open_blocking(&dir.path().join("db.sqlite")).unwrap();
    assert!(store.device_by_token_hash("h1").await.unwrap().is_some());
}
