//! [`DataKeyStore`]'s contract: every sealed key of the deployment read as a whole, and
//! re-wrapped all or nothing (what the start-up key check and a key rotation rely on).

use airlift_core::encryption::SealedDataKey;

use super::*;

fn sealed(id: &str, server_key_id: &str) -> SealedDataKey {
    SealedDataKey {
        id: id.into(),
        algorithm: "AES-256-GCM".into(),
        wrapped_key: format!("wrapped-by-{server_key_id}"),
        server_key_id: server_key_id.into(),
        nonce_prefix: "AQIDBAUGBw==".into(),
    }
}

fn image(tenant: &str, id: &str, key: Option<SealedDataKey>) -> ImageRecord {
    ImageRecord {
        id: id.into(),
        tenant_id: tenant.into(),
        name: format!("name-{id}"),
        description: String::new(),
        object_key: format!("images/{id}.bin"),
        sha256: "00".repeat(32),
        size: 1,
        upload_job_id: String::new(),
        created_at: "2026-01-01T00:00:00Z".into(),
        data_key: key,
    }
}

pub async fn contract<S: Store + ?Sized>(store: &S, a: &TenantRecord, b: &TenantRecord) {
    // A deployment without encrypted images holds no key.
    assert!(store.data_keys().await.unwrap().is_empty());

    // Keys come from images, jobs and packages of any tenant; a package names its image's key
    // (one row), plain records add none.
    let old = "00000000000000aa";
    store
        .create_image(image(&a.id, "img_k1", Some(sealed("dk_1", old))), 1000)
        .await
        .unwrap();
    store
        .create_image(image(&a.id, "img_plain", None), 1000)
        .await
        .unwrap();
    let mut enc_job = job(&b.id, "job_k2", "key-job");
    enc_job.data_key = Some(sealed("dk_2", old));
    store.create_upload_job(enc_job).await.unwrap();
    store
        .create_package(PackageRecord {
            data_key: Some(sealed("dk_1", old)),
            storage_key: format!("firmware/{}/1.0.0/x.dk_1.enc", a.id),
            ..package(&a.id, "pkg_k1", "1.0.0")
        })
        .await
        .unwrap();
    assert_eq!(
        store.data_keys().await.unwrap(),
        vec![sealed("dk_1", old), sealed("dk_2", old)]
    );

    // A replacement naming a key that is not stored changes nothing.
    let new = "00000000000000bb";
    let err = store
        .replace_data_keys(vec![sealed("dk_1", new), sealed("dk_missing", new)])
        .await
        .unwrap_err();
    assert!(err.to_string().contains("dk_missing"), "{err}");
    assert_eq!(
        store.data_keys().await.unwrap(),
        vec![sealed("dk_1", old), sealed("dk_2", old)]
    );

    // A rotation's re-wrap: every record reads the new sealed form.
    store
        .replace_data_keys(vec![sealed("dk_1", new), sealed("dk_2", new)])
        .await
        .unwrap();
    assert_eq!(
        store.data_keys().await.unwrap(),
        vec![sealed("dk_1", new), sealed("dk_2", new)]
    );
    let img = store.image(&a.id, "img_k1").await.unwrap().unwrap();
    assert_eq!(img.data_key, Some(sealed("dk_1", new)));
    let pkg = store.package(&a.id, "pkg_k1").await.unwrap().unwrap();
    assert_eq!(pkg.data_key, Some(sealed("dk_1", new)));
    let got = store.upload_job(&b.id, "job_k2").await.unwrap().unwrap();
    assert_eq!(got.data_key, Some(sealed("dk_2", new)));

    // An encrypted image no package was made from takes its key along when deleted.
    store
        .create_image(image(&b.id, "img_k3", Some(sealed("dk_3", new))), 1000)
        .await
        .unwrap();
    assert_eq!(store.data_keys().await.unwrap().len(), 3);
    store
        .delete_image(&b.id, "img_k3", "airlift://images/img_k3")
        .await
        .unwrap();
    assert_eq!(
        store.data_keys().await.unwrap(),
        vec![sealed("dk_1", new), sealed("dk_2", new)]
    );
}
