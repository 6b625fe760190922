//! [`RolloutUnits`]' contract, the engine's port: a unit of work commits whole or not at all
//! (write units and group-committed report units alike), a rollout row changes only at the
//! version it was read at, and deadlines are found by time. The engine's decisions rest on
//! these; a backend that breaks one breaks the rollout rules without a rule changing.

use airlift_core::error::ApiError;
use airlift_core::rollout::RolloutStatus;
use airlift_core::wire::ReportAccepted;
use airlift_server::store::rollout_port::{
    AnyOutput, HistoryEntry, ReportUnit, RolloutUpdate, Unit,
};

use super::*;

/// Deadlines of the rollout `rollouts::start` made: its time plus an hour.
const STARTED_UNIX: i64 = 1_767_225_603;

/// A history entry of `dev_1` in `tenant` at `at`.
fn entry_at(tenant: &str, at: &str) -> HistoryEntry {
    HistoryEntry {
        tenant_id: tenant.into(),
        device_id: "dev_1".into(),
        kind: "report",
        at: at.into(),
        ..HistoryEntry::default()
    }
}

fn refused() -> StoreError {
    ApiError::failed_precondition("the unit gives up").into()
}

pub async fn contract<S: RolloutUnits + FleetStore + DeviceProtocolStore + ?Sized>(
    store: &S,
    a: &TenantRecord,
    rollout_id: &str,
) {
    // A failing write unit leaves nothing behind.
    let tenant = a.id.clone();
    let failed = store
        .write_unit(Box::new(move |tx| {
            let device = NewDevice {
                record: DeviceRecord {
                    id: "dev_ghost".into(),
                    tenant_id: String::new(),
                    profile_id: "prof_1".into(),
                    name: "ghost".into(),
                    device_type: "temp-sensor".into(),
                    firmware_version: "1.0.0".into(),
                    created_at: "2026-01-01T00:00:00Z".into(),
                    change_seq: 0,
                },
                token_hash: "h_ghost".into(),
            };
            tx.insert_devices(&tenant, &[device])?;
            Err(refused())
        }))
        .await;
    assert_eq!(code(failed.unwrap_err()), ErrorCode::FailedPrecondition);
    assert!(store.device(&a.id, "dev_ghost").await.unwrap().is_none());

    // A row changes only at the version it was read at; each change takes a new change_seq.
    let (tenant, id) = (a.id.clone(), rollout_id.to_owned());
    let out = store
        .write_unit(Box::new(move |tx| {
            let row = tx.rollout(&tenant, &id)?.expect("the rollout exists");
            let update = |expected_version| RolloutUpdate {
                id: row.id.clone(),
                expected_version,
                status: row.status,
                canary_percent: row.canary_percent,
                target_count: row.target_count,
                counters: row.counters,
                outcome: row.outcome,
                at: "2026-01-01T00:00:09Z".into(),
                last_verdict_unix: row.last_verdict_unix,
                next_advance_unix: row.next_advance_unix,
            };
            let stale = tx.update_rollout(&update(row.version.saturating_sub(1)))?;
            let current = tx.update_rollout(&update(row.version))?;
            let again = tx.update_rollout(&update(row.version))?;
            let after = tx.rollout(&tenant, &id)?.expect("the rollout exists");
            let seen = (stale, current, again, row.version, after.version);
            Ok(Box::new((seen, row.change_seq, after.change_seq)) as AnyOutput)
        }))
        .await
        .unwrap();
    let ((stale, current, again, before, after), seq_before, seq_after) = *out
        .downcast::<((bool, bool, bool, u64, u64), u64, u64)>()
        .unwrap();
    assert_eq!((stale, current, again), (false, true, false));
    assert_eq!(after, before + 1);
    assert!(seq_after > seq_before);

    // The devices an unfinished rollout targets are found in one call over a list: the first
    // of the list (in its order) with that rollout; in a write unit as in a read unit.
    for write in [false, true] {
        let tenant = a.id.clone();
        let work: Unit = Box::new(move |tx| {
            let list = |ids: &[&str]| ids.iter().map(|s| s.to_string()).collect::<Vec<_>>();
            let unfinished = &[RolloutStatus::Completed, RolloutStatus::Cancelled];
            let found = (
                tx.first_targeted(&tenant, &list(&["dev_none", "dev_2", "dev_1"]), unfinished)?,
                tx.first_targeted(&tenant, &list(&["dev_none"]), unfinished)?,
                tx.first_targeted(&tenant, &[], unfinished)?,
                // Rollouts in a status named done do not count.
                tx.first_targeted(&tenant, &list(&["dev_1"]), &[RolloutStatus::Active])?,
                tx.first_targeted("tenant-nope", &list(&["dev_1"]), unfinished)?,
            );
            Ok(Box::new(found) as AnyOutput)
        });
        let out = if write {
            store.write_unit(work).await
        } else {
            store.read_unit(work).await
        };
        type Found = Option<(String, String)>;
        let found = *out
            .unwrap()
            .downcast::<(Found, Found, Found, Found, Found)>()
            .unwrap();
        let targeted = |device: &str| Some((rollout_id.to_owned(), device.to_owned()));
        assert_eq!(
            found,
            (targeted("dev_2"), None, None, None, None),
            "write unit: {write}"
        );
    }

    // A read unit sees what is committed.
    let (tenant, id) = (a.id.clone(), rollout_id.to_owned());
    let out = store
        .read_unit(Box::new(move |tx| {
            Ok(Box::new(tx.rollout(&tenant, &id)?.map(|r| r.version)) as AnyOutput)
        }))
        .await
        .unwrap();
    assert_eq!(*out.downcast::<Option<u64>>().unwrap(), Some(after));

    // The analytics reads' check: the tenant's rollout exists; another tenant's, or an unknown
    // id, does not.
    let (tenant, id) = (a.id.clone(), rollout_id.to_owned());
    let out = store
        .read_unit(Box::new(move |tx| {
            let found = (
                tx.rollout_exists(&tenant, &id)?,
                tx.rollout_exists("tenant-nope", &id)?,
                tx.rollout_exists(&tenant, "rol_nope")?,
            );
            Ok(Box::new(found) as AnyOutput)
        }))
        .await
        .unwrap();
    assert_eq!(
        *out.downcast::<(bool, bool, bool)>().unwrap(),
        (true, false, false)
    );

    // A report unit is durable when it answers, and leaves nothing when it fails.
    let history_len = |device: &'static str| async move {
        store
            .device_history(
                &a.id,
                device,
                Page {
                    limit: 500,
                    after: None,
                },
            )
            .await
            .unwrap()
            .items
            .len()
    };
    let before = history_len("dev_1").await;
    let entry = HistoryEntry {
        tenant_id: a.id.clone(),
        device_id: "dev_1".into(),
        kind: "report",
        at: "2026-01-01T00:00:10Z".into(),
        ..HistoryEntry::default()
    };
    let failing = entry.clone();
    let failed = store
        .report_unit(
            rollout_id,
            Box::new(move |tx| {
                tx.append_history(&failing)?;
                Err(refused())
            }),
        )
        .await;
    assert_eq!(code(failed.unwrap_err()), ErrorCode::FailedPrecondition);
    assert_eq!(
        history_len("dev_1").await,
        before,
        "nothing of a failed report"
    );
    let (accepted, events) = store
        .report_unit(
            rollout_id,
            Box::new(move |tx| {
                tx.append_history(&entry)?;
                let accepted = ReportAccepted {
                    report_id: "rep_1".into(),
                    duplicate: false,
                    device_state: None,
                    rollout_status: "active".into(),
                };
                Ok((accepted, Vec::new()))
            }),
        )
        .await
        .unwrap();
    assert_eq!((accepted.report_id.as_str(), events.len()), ("rep_1", 0));
    assert_eq!(history_len("dev_1").await, before + 1);

    // Reports queued at once (one batch, where the adapter batches): each keeps what it wrote
    // or, failing, nothing, whether it failed before its writes went to the database, after
    // them, or on one of them.
    let before = history_len("dev_1").await;
    let accepted = |id: &str| ReportAccepted {
        report_id: id.into(),
        duplicate: false,
        device_state: None,
        rollout_status: "active".into(),
    };
    let writes = |entry: HistoryEntry, id: &'static str| -> ReportUnit {
        Box::new(move |tx| {
            tx.append_history(&entry)?;
            Ok((accepted(id), Vec::new()))
        })
    };
    let (rollout, entry2) = (
        rollout_id.to_owned(),
        entry_at(&a.id, "2026-01-01T00:00:20Z"),
    );
    let fails_after_reading: ReportUnit = Box::new(move |tx| {
        tx.append_history(&entry2)?;
        tx.target(&rollout, "dev_1")?;
        Err(refused())
    });
    let rollout = rollout_id.to_owned();
    let fails_on_a_write: ReportUnit = Box::new(move |tx| {
        let at = "2026-01-01T00:00:30Z";
        tx.insert_report("dev_1", "rep_twice", &rollout, "DOWNLOAD_STEP", at)?;
        tx.insert_report("dev_1", "rep_twice", &rollout, "DOWNLOAD_STEP", at)?;
        tx.target(&rollout, "dev_1")?;
        Ok((accepted("rep_twice"), Vec::new()))
    });
    let (first, second, third, fourth) = tokio::join!(
        store.report_unit(
            rollout_id,
            writes(entry_at(&a.id, "2026-01-01T00:00:11Z"), "rep_2")
        ),
        store.report_unit(rollout_id, fails_after_reading),
        store.report_unit(rollout_id, fails_on_a_write),
        store.report_unit(
            rollout_id,
            writes(entry_at(&a.id, "2026-01-01T00:00:41Z"), "rep_3")
        ),
    );
    assert_eq!(first.unwrap().0.report_id, "rep_2");
    assert_eq!(code(second.unwrap_err()), ErrorCode::FailedPrecondition);
    assert!(third.is_err(), "a report id twice");
    assert_eq!(fourth.unwrap().0.report_id, "rep_3");
    assert_eq!(
        history_len("dev_1").await,
        before + 2,
        "the two reports that succeeded, nothing of the others"
    );
    let seen = store
        .read_unit(Box::new(|tx| {
            Ok(Box::new(tx.report_seen("dev_1", "rep_twice")?) as AnyOutput)
        }))
        .await
        .unwrap();
    assert!(
        !*seen.downcast::<bool>().unwrap(),
        "nothing of the failed write"
    );

    // More reports queued at once than one transaction takes savepoints for, one of them
    // failing after its writes went out: each other keeps its write, that one nothing.
    let before = history_len("dev_1").await;
    const MANY: usize = 80;
    const FAILING: usize = 70;
    let queued = (0..MANY).map(|n| {
        let entry = entry_at(&a.id, &format!("2026-01-01T00:02:{:02}Z", n % 60));
        let rollout = rollout_id.to_owned();
        let unit: ReportUnit = if n == FAILING {
            Box::new(move |tx| {
                tx.append_history(&entry)?;
                tx.target(&rollout, "dev_1")?;
                Err(refused())
            })
        } else {
            writes(entry, "rep_many")
        };
        store.report_unit(rollout_id, unit)
    });
    let results = futures_util::future::join_all(queued).await;
    for (n, result) in results.into_iter().enumerate() {
        match result {
            Err(e) if n == FAILING => assert_eq!(code(e), ErrorCode::FailedPrecondition),
            Ok((accepted, _)) if n != FAILING => assert_eq!(accepted.report_id, "rep_many"),
            other => panic!("report {n}: {:?}", other.map(|(a, _)| a.report_id)),
        }
    }
    assert_eq!(
        history_len("dev_1").await,
        before + MANY - 1,
        "every report that succeeded, nothing of the one that failed"
    );

    // Deadlines: due at the start's time plus the device timeout, not before.
    let due = store
        .rollouts_past_deadline(STARTED_UNIX + 3600)
        .await
        .unwrap();
    assert_eq!(due, vec![(a.id.clone(), rollout_id.to_owned())]);
    assert!(store
        .rollouts_past_deadline(STARTED_UNIX + 3599)
        .await
        .unwrap()
        .is_empty());
}
