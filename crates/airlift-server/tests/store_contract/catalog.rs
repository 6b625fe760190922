//! [`CatalogStore`]'s contract: packages, signing keys, the object keys they refer to.

use super::*;

pub async fn contract<S: CatalogStore + ?Sized>(store: &S, a: &TenantRecord, b: &TenantRecord) {
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

    // Object keys: the packages' artifacts are referred to.
    let refs = store.referenced_object_keys().await.unwrap();
    assert!(refs.contains(&format!("firmware/{}/2.0.0/x.bin", a.id)));
    assert!(store
        .object_key_in_use(&format!("firmware/{}/2.0.0/x.bin", a.id))
        .await
        .unwrap());

    // A package of an encrypted image keeps the image's sealed data key.
    let key = airlift_core::encryption::SealedDataKey {
        id: "dk_pkg".into(),
        algorithm: "AES-256-GCM".into(),
        wrapped_key: "d3JhcHBlZA==".into(),
        server_key_id: "0011223344556677".into(),
        nonce_prefix: "AQIDBAUGBw==".into(),
    };
    let encrypted = PackageRecord {
        data_key: Some(key.clone()),
        storage_key: format!("firmware/{}/3.5.0/x.dk_pkg.enc", a.id),
        ..package(&a.id, "pkg_enc", "3.5.0")
    };
    store.create_package(encrypted).await.unwrap();
    let got = store.package(&a.id, "pkg_enc").await.unwrap().unwrap();
    assert_eq!(got.data_key, Some(key));
    assert!(store
        .package(&a.id, "pkg_1")
        .await
        .unwrap()
        .unwrap()
        .data_key
        .is_none());

    // Seed 002: a URL_LIST package keeps its payload and file keys, and its files are
    // referred to like an artifact (start-up recovery must not remove them).
    let file = |n: u32| format!("firmware/{}/3.0.0/file{n}.bin", a.id);
    let list = PackageRecord {
        payload_type: PayloadType::UrlList,
        payload: Some(r#"[{"sha256":"ab","size_bytes":1,"url":"http://h/a"}]"#.into()),
        file_keys: vec![file(1), file(2)],
        ..package(&a.id, "pkg_list", "3.0.0")
    };
    store.create_package(list.clone()).await.unwrap();
    let read = store.package(&a.id, "pkg_list").await.unwrap().unwrap();
    assert_eq!(
        (read.payload_type, read.payload, read.file_keys),
        (list.payload_type, list.payload, list.file_keys)
    );
    let refs = store.referenced_object_keys().await.unwrap();
    assert!(
        refs.contains(&file(1)) && refs.contains(&file(2)),
        "{refs:?}"
    );
    assert!(store.object_key_in_use(&file(2)).await.unwrap());
    assert!(!store.object_key_in_use(&file(3)).await.unwrap());
    let json = PackageRecord {
        payload_type: PayloadType::Json,
        payload: Some(r#"{"a":1}"#.into()),
        ..package(&a.id, "pkg_json", "4.0.0")
    };
    store.create_package(json).await.unwrap();
    let read = store.package(&a.id, "pkg_json").await.unwrap().unwrap();
    assert_eq!(read.payload_type, PayloadType::Json);
    assert_eq!(read.payload.as_deref(), Some(r#"{"a":1}"#));
    assert!(read.file_keys.is_empty());
}
