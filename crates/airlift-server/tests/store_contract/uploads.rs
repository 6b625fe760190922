//! [`UploadStore`]'s contract: jobs, chunks, completion into an image.

use super::*;
use airlift_core::upload_parts::PartSize;

pub async fn contract<S: UploadStore + ?Sized>(store: &S, a: &TenantRecord, b: &TenantRecord) {
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
        data_key: None,
    };
    let (done, keys) = store.finish_completion(image.clone(), 1000).await.unwrap();
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
    assert_eq!(
        store.image(&a.id, "img_1").await.unwrap(),
        Some(image.clone())
    );
    assert!(store.image(&b.id, "img_1").await.unwrap().is_none());
    let empty_job = job(&a.id, "job_4", "empty");
    store.create_upload_job(empty_job).await.unwrap();
    assert_eq!(
        code(store.begin_completion(&a.id, "job_4").await.unwrap_err()),
        ErrorCode::InvalidArgument
    );

    // Image deletion: tenant-scoped, reports the object to delete, then the image is gone.
    store
        .create_upload_job(job(&a.id, "job_5", "spare"))
        .await
        .unwrap();
    store
        .put_chunk(&a.id, "job_5", chunk(None, "k5", 4))
        .await
        .unwrap();
    store.begin_completion(&a.id, "job_5").await.unwrap();
    let spare = ImageRecord {
        id: "img_2".into(),
        name: "spare".into(),
        object_key: "images/img_2.bin".into(),
        size: 4,
        upload_job_id: "job_5".into(),
        ..image
    };
    store.finish_completion(spare, 1000).await.unwrap();
    let uri = "airlift://images/img_2";
    assert_eq!(
        store.delete_image(&b.id, "img_2", uri).await.unwrap(),
        ImageDeletion::Missing
    );
    assert_eq!(
        store.delete_image(&a.id, "img_2", uri).await.unwrap(),
        ImageDeletion::Deleted {
            object_key: "images/img_2.bin".into()
        }
    );
    assert!(store.image(&a.id, "img_2").await.unwrap().is_none());
    assert_eq!(
        store.delete_image(&a.id, "img_2", uri).await.unwrap(),
        ImageDeletion::Missing
    );

    // Part sizes, what the chunk-size rule reads: every part, any order; isolation.
    store
        .create_upload_job(job(&a.id, "job_6", "sizes"))
        .await
        .unwrap();
    store
        .put_chunk(&a.id, "job_6", chunk(Some(2), "k62", 9))
        .await
        .unwrap();
    store
        .put_chunk(&a.id, "job_6", chunk(Some(1), "k61", 3))
        .await
        .unwrap();
    let mut sizes = store.part_sizes(&a.id, "job_6").await.unwrap();
    sizes.sort_by_key(|p| p.id);
    assert_eq!(
        sizes,
        vec![PartSize { id: 1, length: 3 }, PartSize { id: 2, length: 9 }]
    );
    assert_eq!(
        code(store.part_sizes(&b.id, "job_6").await.unwrap_err()),
        ErrorCode::NotFound
    );

    // A part found damaged (completion reads it back): forgotten only while it still has the
    // MD5 that was found wrong.
    let (p3, _) = store
        .put_chunk(&a.id, "job_6", chunk(Some(3), "uploads/t/job_6/9.slots", 9))
        .await
        .unwrap();
    assert!(!store
        .forget_part("job_6", 3, &"ff".repeat(16))
        .await
        .unwrap());
    assert!(store.forget_part("job_6", 3, &p3.md5_hex).await.unwrap());
    assert!(!store.forget_part("job_6", 3, &p3.md5_hex).await.unwrap());
    assert!(store.chunk(&a.id, "job_6", 3).await.unwrap().is_none());
    assert_eq!(store.part_sizes(&a.id, "job_6").await.unwrap().len(), 2);

    // Single-shot images: the name rule and the caller's quota bound, checked where the row
    // is written; a refused image leaves no row.
    let single = |id: &str, name: &str, tenant: &str| ImageRecord {
        id: id.into(),
        tenant_id: tenant.into(),
        name: name.into(),
        description: String::new(),
        object_key: format!("images/{id}.bin"),
        sha256: "00".repeat(32),
        size: 1,
        upload_job_id: String::new(),
        created_at: "2026-01-01T00:00:00Z".into(),
        data_key: None,
    };
    let held = store.count_images(&a.id).await.unwrap();
    assert_eq!(
        code(
            store
                .check_new_image(&a.id, "sizes", 1000)
                .await
                .unwrap_err()
        ),
        ErrorCode::AlreadyExists
    );
    assert_eq!(
        code(
            store
                .create_image(single("img_3", "sizes", &a.id), 1000)
                .await
                .unwrap_err()
        ),
        ErrorCode::AlreadyExists
    );
    store
        .create_image(single("img_3", "single", &a.id), held + 1)
        .await
        .unwrap();
    assert_eq!(store.count_images(&a.id).await.unwrap(), held + 1);
    assert_eq!(
        code(
            store
                .check_new_image(&a.id, "another", held + 1)
                .await
                .unwrap_err()
        ),
        ErrorCode::ResourceExhausted
    );
    assert_eq!(
        code(
            store
                .create_image(single("img_4", "another", &a.id), held + 1)
                .await
                .unwrap_err()
        ),
        ErrorCode::ResourceExhausted
    );
    assert!(store.image(&a.id, "img_4").await.unwrap().is_none());
    // The bound is per tenant, and names are too.
    let b_held = store.count_images(&b.id).await.unwrap();
    store
        .create_image(single("img_5", "single", &b.id), b_held + 1)
        .await
        .unwrap();

    // Encrypted images and jobs: their sealed data key is kept and read back as written.
    let sealed = |id: &str| airlift_core::encryption::SealedDataKey {
        id: id.into(),
        algorithm: "AES-256-GCM".into(),
        wrapped_key: "d3JhcHBlZA==".into(),
        server_key_id: "0011223344556677".into(),
        nonce_prefix: "AQIDBAUGBw==".into(),
    };
    let encrypted = ImageRecord {
        data_key: Some(sealed("dk_1")),
        ..single("img_6", "encrypted", &b.id)
    };
    store
        .create_image(encrypted.clone(), b_held + 2)
        .await
        .unwrap();
    assert_eq!(store.image(&b.id, "img_6").await.unwrap(), Some(encrypted));
    let mut enc_job = job(&b.id, "job_enc", "encrypted-job");
    enc_job.data_key = Some(sealed("dk_2"));
    store.create_upload_job(enc_job).await.unwrap();
    let got = store.upload_job(&b.id, "job_enc").await.unwrap().unwrap();
    assert_eq!(got.data_key, Some(sealed("dk_2")));
}
