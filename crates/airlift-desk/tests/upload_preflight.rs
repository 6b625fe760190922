//! The upload's preflight against the real airliftd: what the tenant would refuse (no signature
//! where one is required, a key it does not trust, a version it already has, a version that is
//! not semver) is found before any byte is sent, and a package the tenant would accept passes.

mod support;

use std::sync::{Arc, Mutex};

use airlift_core::package::PackageType;
use airlift_core::wire::UpdateTenant;
use airlift_desk::cache::Cache;
use airlift_desk::client::ListParams;
use airlift_desk::signing::{register, KeyStore, SigningAlgorithm};
use airlift_desk::upload::{preflight, publish, upload_file, PackageSpec, Refusal, UploadRequest};
use airlift_desk::{CancelToken, DeskErrorCode};

const CONN: &str = "lab";

fn spec(version: &str, device_type: &str) -> PackageSpec {
    PackageSpec {
        package_type: PackageType::Fw,
        version: version.into(),
        device_type: device_type.into(),
        min_version: "1.0.0".into(),
        release_notes: String::new(),
    }
}

#[tokio::test]
async fn refusals_are_found_before_the_upload_and_an_acceptable_package_passes() {
    let data = support::tempdir();
    let server = support::Server::start(data.path());
    let admin = server.client("acme", "admin");
    let dir = support::tempdir();
    let keys = KeyStore::open_with_cost(&dir.path().join("keys"), 10).unwrap();
    let key = keys
        .create(
            "ci-key",
            SigningAlgorithm::Ed25519,
            "a long enough passphrase",
        )
        .unwrap();

    // A new tenant requires signatures: unsigned is refused, naming the tenant.
    let refusal = preflight(&admin, &spec("2.0.0", "temp-sensor"), None, true)
        .await
        .unwrap();
    assert!(
        matches!(refusal, Some(Refusal::SignatureRequired { ref tenant }) if !tenant.is_empty()),
        "{refusal:?}"
    );

    // A key the tenant does not know: refused by name; once registered, accepted.
    let refusal = preflight(
        &admin,
        &spec("2.0.0", "temp-sensor"),
        Some((&key).into()),
        true,
    )
    .await
    .unwrap();
    assert_eq!(
        refusal,
        Some(Refusal::KeyNotRegistered {
            key_name: "ci-key".into(),
            revoked: false,
            tenant: admin.tenant().await.unwrap().name,
        })
    );
    register(&admin, &key).await.unwrap();
    let refusal = preflight(
        &admin,
        &spec("2.0.0", "temp-sensor"),
        Some((&key).into()),
        true,
    )
    .await
    .unwrap();
    assert_eq!(refusal, None);

    // Without the requirement, unsigned passes; a version the tenant already has does not.
    admin
        .update_tenant(&UpdateTenant {
            require_signatures: Some(false),
        })
        .await
        .unwrap();
    assert_eq!(
        preflight(&admin, &spec("2.0.0", "temp-sensor"), None, true)
            .await
            .unwrap(),
        None
    );
    let cache = Arc::new(Mutex::new(
        Cache::open(&dir.path().join("c.sqlite3")).unwrap().cache,
    ));
    let file = dir.path().join("fw.bin");
    std::fs::write(&file, vec![9u8; 50_000]).unwrap();
    let up = upload_file(
        &admin,
        &cache,
        CONN,
        &UploadRequest::new(&file, "fw"),
        CancelToken::new(),
        &|_| {},
    )
    .await
    .unwrap();
    publish(
        &admin,
        &up.image,
        &up.sha256,
        None,
        &spec("2.0.0", "temp-sensor"),
    )
    .await
    .unwrap();
    let jobs_before = admin.upload_jobs(&ListParams::default()).await.unwrap();
    match preflight(&admin, &spec("2.0.0", "temp-sensor"), None, true)
        .await
        .unwrap()
    {
        Some(Refusal::VersionExists {
            version,
            device_type,
            existing,
        }) => {
            assert_eq!(
                (version.as_str(), device_type.as_str()),
                ("2.0.0", "temp-sensor")
            );
            assert_eq!(existing.sha256, up.sha256);
        }
        other => panic!("{other:?}"),
    }
    // The same version for another device type is another package.
    assert_eq!(
        preflight(&admin, &spec("2.0.0", "gateway"), None, true)
            .await
            .unwrap(),
        None
    );
    // Asking sent nothing: no upload job was made.
    let jobs_after = admin.upload_jobs(&ListParams::default()).await.unwrap();
    assert_eq!(jobs_before.data.len(), jobs_after.data.len());

    // Not semver: an INVALID_ARGUMENT that names the field, before the server is asked.
    let err = preflight(&admin, &spec("2.1", "temp-sensor"), None, true)
        .await
        .unwrap_err();
    assert_eq!(err.code(), DeskErrorCode::InvalidArgument);
    assert!(err.message().starts_with("version"), "{}", err.message());
}

/// A tenant at its `--max-images` would refuse the image when the upload completes: the
/// preflight says so before any byte is sent, and only for an upload (a package made from an
/// image the tenant holds adds no image).
#[tokio::test]
async fn a_full_image_quota_is_found_before_the_upload() {
    let data = support::tempdir();
    let server = support::Server::start_with(data.path(), &["--max-images", "1"]);
    let admin = server.client("acme", "admin");
    admin
        .update_tenant(&UpdateTenant {
            require_signatures: Some(false),
        })
        .await
        .unwrap();
    assert_eq!(
        preflight(&admin, &spec("2.0.0", "temp-sensor"), None, true)
            .await
            .unwrap(),
        None
    );
    let dir = support::tempdir();
    let cache = Arc::new(Mutex::new(
        Cache::open(&dir.path().join("c.sqlite3")).unwrap().cache,
    ));
    let file = dir.path().join("fw.bin");
    std::fs::write(&file, vec![3u8; 10_000]).unwrap();
    upload_file(
        &admin,
        &cache,
        CONN,
        &UploadRequest::new(&file, "fw"),
        CancelToken::new(),
        &|_| {},
    )
    .await
    .unwrap();
    let refusal = preflight(&admin, &spec("2.0.0", "temp-sensor"), None, true)
        .await
        .unwrap();
    assert_eq!(
        refusal,
        Some(Refusal::ImageQuotaFull {
            used: 1,
            max: 1,
            tenant: admin.tenant().await.unwrap().name,
        })
    );
    assert_eq!(
        preflight(&admin, &spec("2.0.0", "temp-sensor"), None, false)
            .await
            .unwrap(),
        None,
        "a package from a held image adds no image"
    );
}
