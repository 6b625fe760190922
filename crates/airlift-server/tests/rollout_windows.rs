//! Maintenance windows over real HTTP (spec, Milestone 2: `maintenance_window`): outside its
//! window a rollout schedules its slice but tells no device; the preview says when the window
//! next opens; a bad window is refused naming the field. (Opening at the edge, across DST, is
//! tested with the clock in hand: airlift-core's `maintenance_window` and `store_contract`.)

mod common;

use common::ota::*;
use serde_json::{json, Value};

/// A one-hour UTC window every day, starting two hours from now: closed now.
fn closed_window() -> Value {
    let now = time::OffsetDateTime::now_utc();
    let hour = (now.hour() + 2) % 24;
    json!({"timezone": "UTC", "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
        "start": format!("{hour:02}:00"), "end": format!("{:02}:00", (hour + 1) % 24)})
}

#[tokio::test]
async fn outside_its_window_a_rollout_tells_nobody() {
    let f = fleet(2, &[]).await;
    let window = closed_window();
    let body = json!({"package_id": f.pkg, "target_profile_id": f.profile,
        "canary_percent": 100, "failure_threshold_percent": 50, "maintenance_window": window});
    let preview =
        f.rm.post("/api/v1/ota/rollouts/preview", body.clone())
            .await
            .expect(200);
    let opens = preview["window_opens_at"].as_str().unwrap();
    let opens =
        time::OffsetDateTime::parse(opens, &time::format_description::well_known::Rfc3339).unwrap();
    assert!(opens > time::OffsetDateTime::now_utc(), "{preview}");
    assert_eq!(opens.minute(), 0);

    let created = f.start(body).await;
    assert_eq!(created["scheduled_count"], 2);
    let id = created["rollout_id"].as_str().unwrap().to_owned();
    let r = f.rollout(&id).await;
    assert_eq!(r["maintenance_window"], window);
    assert_eq!(
        r["counters"]["scheduled"], 2,
        "scheduled, waiting for the window"
    );
    assert_eq!(r["counters"]["command_sent"], 0);
    for d in &f.devices {
        assert_eq!(d.ota().await.status, 204);
    }
}

#[tokio::test]
async fn a_bad_window_is_refused_naming_the_field() {
    let f = fleet(1, &[]).await;
    let ok =
        json!({"timezone": "Europe/Berlin", "days": ["mon"], "start": "02:00", "end": "04:00"});
    for (field, value, words) in [
        ("timezone", json!("Mars/Olympus"), "IANA"),
        ("days", json!([]), "at least one day"),
        ("days", json!(["monday"]), "mon, tue"),
        ("start", json!("25:00"), "maintenance_window.start"),
        ("end", json!("02:00"), "same time"),
    ] {
        let mut window = ok.clone();
        window[field] = value;
        let e =
            f.rm.post(
                "/api/v1/ota/rollouts",
                json!({"package_id": f.pkg, "target_profile_id": f.profile,
                    "canary_percent": 100, "failure_threshold_percent": 50,
                    "maintenance_window": window}),
            )
            .await
            .expect_error(400, "INVALID_ARGUMENT");
        assert!(
            e["message"].as_str().unwrap().contains(words),
            "{words}: {e}"
        );
    }
}

#[tokio::test]
async fn a_scheduled_rollout_previews_the_window_opening_after_its_start() {
    let f = fleet(1, &[]).await;
    let now = time::OffsetDateTime::now_utc();
    let start = (now + time::Duration::days(3))
        .replace_nanosecond(0)
        .unwrap();
    let rfc = |t: time::OffsetDateTime| {
        t.format(&time::format_description::well_known::Rfc3339)
            .unwrap()
    };
    let parse = |v: &Value| {
        time::OffsetDateTime::parse(
            v.as_str()
                .unwrap_or_else(|| panic!("no window_opens_at: {v}")),
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap()
    };
    let body = |start_at: Option<String>| {
        let mut b = json!({"package_id": f.pkg, "target_profile_id": f.profile,
            "canary_percent": 100, "failure_threshold_percent": 50,
            "maintenance_window": closed_window()});
        if let Some(s) = start_at {
            b["start_at"] = json!(s);
        }
        b
    };
    let now_preview =
        f.rm.post("/api/v1/ota/rollouts/preview", body(None))
            .await
            .expect(200);
    let from_now = parse(&now_preview["window_opens_at"]);
    assert!(
        from_now < now + time::Duration::days(1),
        "a daily window opens within a day: {now_preview}"
    );
    let scheduled =
        f.rm.post("/api/v1/ota/rollouts/preview", body(Some(rfc(start))))
            .await
            .expect(200);
    let opens = parse(&scheduled["window_opens_at"]);
    assert!(
        opens >= start && opens < start + time::Duration::days(1),
        "the first opening at or after the start ({start}): {scheduled}"
    );
    assert_eq!(opens.minute(), 0);
}
