//! [`DeviceProtocolStore`]'s contract: what a device in a rollout reads and acknowledges.

use super::*;

use airlift_core::wire::CommandKind;

use crate::rollouts::Running;

pub async fn contract<S: DeviceProtocolStore + ?Sized>(
    store: &S,
    a: &TenantRecord,
    b: &TenantRecord,
    running: &Running,
) {
    let device = running.in_slice.as_str();
    // The assignment: the rollout's package, to start; none outside the slice or the tenant.
    let assignment = store.assignment(&a.id, device).await.unwrap().unwrap();
    assert_eq!(assignment.rollout_id, running.rollout_id);
    assert_eq!(assignment.package.id, "pkg_1");
    assert_eq!(assignment.command, CommandKind::OtaStart);
    assert!(store
        .assignment(&a.id, &running.waiting)
        .await
        .unwrap()
        .is_none());
    assert!(store.assignment(&b.id, device).await.unwrap().is_none());

    // The poll reads the assignment and the open command together.
    let (polled, commands) = store.device_poll(&a.id, device).await.unwrap().unwrap();
    assert_eq!(polled.rollout_id, running.rollout_id);
    assert_eq!(commands.len(), 1);
    let command = commands[0].clone();
    assert_eq!(command.kind, CommandKind::OtaStart);
    assert_eq!(command.version, "2.0.0");
    assert!(store
        .device_poll(&a.id, &running.waiting)
        .await
        .unwrap()
        .is_none());

    // Delivery counts add up (two servers' flushes both count).
    store
        .add_delivery_counts(vec![(command.command_id.clone(), 3)])
        .await
        .unwrap();
    store
        .add_delivery_counts(vec![(command.command_id.clone(), 2)])
        .await
        .unwrap();
    let open = store.undelivered_commands(&a.id, device).await.unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].delivery_count, 5);

    // Acknowledging: the owner's only, once (a repeat answers the first time).
    assert_eq!(
        code(
            store
                .ack_command(&b.id, device, &command.command_id, "t1")
                .await
                .unwrap_err()
        ),
        ErrorCode::NotFound
    );
    let ack = store
        .ack_command(&a.id, device, &command.command_id, "2026-01-01T00:00:04Z")
        .await
        .unwrap();
    assert_eq!(ack.acked_at, "2026-01-01T00:00:04Z");
    let again = store
        .ack_command(&a.id, device, &command.command_id, "2026-01-01T00:00:05Z")
        .await
        .unwrap();
    assert_eq!(again.acked_at, "2026-01-01T00:00:04Z");
    assert!(store
        .undelivered_commands(&a.id, device)
        .await
        .unwrap()
        .is_empty());

    // History: newest first, paged by seq, the owner's only.
    let page = |after: Option<String>| Page { limit: 1, after };
    let first = store
        .device_history(&a.id, device, page(None))
        .await
        .unwrap();
    assert_eq!(first.items.len(), 1);
    assert!(first.has_more, "assigned, command sent, acknowledged");
    let next = store
        .device_history(&a.id, device, page(Some(first.items[0].seq.to_string())))
        .await
        .unwrap();
    assert!(next.items[0].seq < first.items[0].seq);
    assert!(store
        .device_history(&b.id, device, page(None))
        .await
        .unwrap()
        .items
        .is_empty());
    assert_eq!(
        code(
            store
                .device_history(&a.id, device, page(Some("x".into())))
                .await
                .unwrap_err()
        ),
        ErrorCode::InvalidArgument
    );

    // Agents: kept per device, replaced by a newer one, never across tenants.
    assert_eq!(store.device_agent(&a.id, device).await.unwrap(), None);
    let agent = |tenant: &str, agent: &str| DeviceAgent {
        tenant_id: tenant.into(),
        device_id: device.into(),
        user_agent: agent.into(),
    };
    store
        .store_device_agents(vec![agent(&a.id, "airlift-agent/0.1.0")])
        .await
        .unwrap();
    assert_eq!(
        store.device_agent(&a.id, device).await.unwrap().as_deref(),
        Some("airlift-agent/0.1.0")
    );
    store
        .store_device_agents(vec![
            agent(&a.id, "airlift-agent/0.2.0"),
            agent(&b.id, "intruder/1.0"),
        ])
        .await
        .unwrap();
    assert_eq!(
        store.device_agent(&a.id, device).await.unwrap().as_deref(),
        Some("airlift-agent/0.2.0"),
        "another tenant cannot set the device's agent"
    );
    assert_eq!(store.device_agent(&b.id, device).await.unwrap(), None);
    store.store_device_agents(Vec::new()).await.unwrap();

    // Last contacts: kept per device, never moved back in time, never across tenants.
    let ids = vec![device.to_owned(), running.waiting.clone()];
    assert!(store
        .devices_last_seen(&a.id, ids.clone())
        .await
        .unwrap()
        .is_empty());
    let seen = |tenant: &str, at_unix: i64| DeviceSeen {
        tenant_id: tenant.into(),
        device_id: device.into(),
        at_unix,
    };
    store
        .store_last_seen(vec![seen(&a.id, 1_800_000_000)])
        .await
        .unwrap();
    let kept = vec![(device.to_owned(), 1_800_000_000)];
    assert_eq!(
        store.devices_last_seen(&a.id, ids.clone()).await.unwrap(),
        kept
    );
    store
        .store_last_seen(vec![seen(&a.id, 1_700_000_000), seen(&b.id, 1_900_000_000)])
        .await
        .unwrap();
    assert_eq!(
        store.devices_last_seen(&a.id, ids.clone()).await.unwrap(),
        kept,
        "an older contact (another server's) and another tenant change nothing"
    );
    assert!(store
        .devices_last_seen(&b.id, ids.clone())
        .await
        .unwrap()
        .is_empty());
    store
        .store_last_seen(vec![seen(&a.id, 1_800_000_060)])
        .await
        .unwrap();
    assert_eq!(
        store.devices_last_seen(&a.id, ids).await.unwrap(),
        [(device.to_owned(), 1_800_000_060)]
    );
    store.store_last_seen(Vec::new()).await.unwrap();
}
