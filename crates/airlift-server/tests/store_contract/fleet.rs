//! [`FleetStore`]'s contract: profiles, devices (provisioned all or nothing through the engine), the
//! poll's token lookup.

use super::*;

pub async fn contract<S: FleetStore + DeviceProtocolStore + RolloutUnits + ?Sized>(
    store: &S,
    a: &TenantRecord,
    b: &TenantRecord,
) {
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
