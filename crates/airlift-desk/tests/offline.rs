//! After the server stops, reads answer from the cache with their age and writes fail OFFLINE
//! (nothing is queued).

mod support;

use std::sync::Mutex;

use airlift_core::wire::CreateUploadJob;
use airlift_desk::cache::{Cache, Collection, DeviceQuery};
use airlift_desk::sync::{read_through, sync_devices, sync_packages};
use airlift_desk::upload::{publish, upload_file, UploadRequest};
use airlift_desk::{CancelToken, DeskErrorCode};

const CONN: &str = "test-connection";

#[tokio::test(flavor = "multi_thread")]
async fn offline_reads_come_from_the_cache_and_writes_fail() {
    let data = support::tempdir();
    let mut server = support::Server::start(data.path());
    let client = server.client("acme", "admin");
    support::fleet::allow_unsigned(&client).await;
    let sensors = (0..50).map(|i| (format!("sensor-{i:03}"), "1.0.0"));
    support::fleet::profile_with_devices(&client, "lab", "temp-sensor", sensors).await;

    let dir = support::tempdir();
    let cache = Mutex::new(
        Cache::open(&dir.path().join("cache.sqlite3"))
            .unwrap()
            .cache,
    );
    let file = dir.path().join("fw.bin");
    std::fs::write(&file, vec![42u8; (2 << 20) * 5 + 300_000]).unwrap();
    let mut req = UploadRequest::new(&file, "fw-1");
    req.part_size = 5 << 20;
    let uploaded = upload_file(&client, &cache, CONN, &req, CancelToken::new(), &|_| {})
        .await
        .unwrap();
    assert_eq!(uploaded.parts_total, 3);
    let spec = support::fleet::temp_sensor_firmware("1.1.0");
    let published = publish(&client, &uploaded.image, &uploaded.sha256, None, &spec)
        .await
        .unwrap();
    assert!(published.checksum_verified);
    assert_eq!(published.signature_verified_with, None);

    sync_packages(&client, &cache, CONN).await.unwrap();
    let report = sync_devices(&client, &cache, CONN).await.unwrap();
    assert_eq!(report.listed, 50);

    server.kill();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;

    let packages = read_through(
        &cache,
        CONN,
        Collection::Packages,
        sync_packages(&client, &cache, CONN),
        |c| c.packages(CONN),
    )
    .await
    .unwrap();
    assert!(!packages.fresh);
    assert_eq!(packages.data.len(), 1);
    assert_eq!(packages.data[0].id, published.package.package_id);
    assert_eq!(packages.data[0].signature_status, "unsigned");
    assert!(
        packages.age.unwrap() >= std::time::Duration::from_secs(1),
        "{:?}",
        packages.age
    );
    assert!(packages.offline_reason.unwrap().contains("cannot reach"));

    let devices = read_through(
        &cache,
        CONN,
        Collection::Devices,
        sync_devices(&client, &cache, CONN),
        |c| {
            Ok((
                c.count_devices(CONN)?,
                c.list_devices(
                    CONN,
                    &DeviceQuery {
                        limit: 10,
                        ..Default::default()
                    },
                )?,
            ))
        },
    )
    .await
    .unwrap();
    assert!(!devices.fresh);
    assert!(devices.age.is_some());
    assert_eq!(devices.data.0, 50);
    assert_eq!(devices.data.1.items[0].name, "sensor-000");

    // Writes fail at once with OFFLINE and leave nothing queued.
    let err = client
        .create_upload_job(&CreateUploadJob {
            name: "later".into(),
            description: String::new(),
            datafile_encryption: false,
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), DeskErrorCode::Offline);
    let other = dir.path().join("fw2.bin");
    std::fs::write(&other, b"new firmware").unwrap();
    let err = upload_file(
        &client,
        &cache,
        CONN,
        &UploadRequest::new(&other, "fw-2"),
        CancelToken::new(),
        &|_| {},
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), DeskErrorCode::Offline, "{err}");
    assert!(cache.lock().unwrap().pending_uploads().unwrap().is_empty());
    let err = publish(&client, &uploaded.image, &uploaded.sha256, None, &spec)
        .await
        .unwrap_err();
    assert_eq!(err.code(), DeskErrorCode::Offline);
}
