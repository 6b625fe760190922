//! A command's delivery count is written before the poll that hands it out is answered.

use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn a_poll_that_hands_out_a_command_is_answered_once_its_delivery_is_written() {
    let f = crate::common::ota::fleet(2, &[]).await;
    f.start(
        json!({"package_id": f.pkg, "target_profile_id": f.profile, "canary_percent": 100,
                   "failure_threshold_percent": 100}),
    )
    .await;
    for round in 1..=3u64 {
        let a = f.devices[0].ota().await.expect(200);
        assert_eq!(a["commands"][0]["delivery_count"], round, "{a}");
    }
    // Killed right after its last answer: the deliveries it answered are all stored.
    let db = Db::of(f.dir.path());
    let device = f.devices[0].id.clone();
    f.server.kill9();
    assert_eq!(
        db.ints(&format!(
            "SELECT delivery_count FROM device_commands WHERE device_id = '{device}'"
        )),
        vec![3]
    );
}
