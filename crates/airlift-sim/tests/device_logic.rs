//! The simulator's device logic against an in-process fake of the device protocol.

mod fake;

use std::time::Duration;

use airlift_sim::{Fleet, JobResult, RunConfig, StopCondition, Verifier};

fn config(r: &fake::Running) -> RunConfig {
    let mut c = RunConfig::new(&r.url);
    c.seed = 7;
    c.poll_interval = Duration::from_millis(50);
    c.install_time = Duration::from_millis(10);
    c.reboot_time = Duration::from_millis(10);
    let key = Verifier::parse_pem(&r.signer.public_key_pem().unwrap()).unwrap();
    c.verifier = Verifier::new(vec![key]);
    c
}

fn until() -> StopCondition {
    StopCondition::any([
        StopCondition::Settled {
            quiet: Duration::from_millis(400),
        },
        StopCondition::After(Duration::from_secs(30)),
    ])
}

const SIZE: usize = 300_000; // 5 ranges of at most 64 KiB

#[tokio::test]
async fn installs_reporting_seed_002_statuses_in_order_and_acks() {
    let r = fake::start(airlift_sim::artifact::artifact("a", SIZE), false).await;
    let fleet = Fleet::new(fake::devices(20));
    let s = fleet.run(config(&r), until()).await.unwrap();
    assert_eq!(s.jobs_with(JobResult::Installed), 20, "{s:?}");
    for d in fleet.devices() {
        let st = r.statuses(&d.device_id);
        assert_eq!(st.first().map(String::as_str), Some("INIT"));
        assert_eq!(st[1], "DOWNLOAD");
        let tail: Vec<&str> = st[st.len() - 4..].iter().map(String::as_str).collect();
        assert_eq!(
            tail,
            [
                "DOWNLOAD_SUCCESS",
                "INSTALL",
                "INSTALL_SUCCESS",
                "INSTALLED_VERSION"
            ]
        );
        assert!(
            st.iter().filter(|s| *s == "DOWNLOAD_STEP").count() >= 2,
            "{st:?}"
        );
        let reports = r.reports(&d.device_id);
        let last = reports.last().unwrap();
        assert_eq!(last["firmware_version"], fake::VERSION);
        assert_eq!(reports[0]["firmware_version"], "1.4.2");
        assert!(reports.iter().all(|x| x["rollout_id"] == fake::ROLLOUT));
        let steps: Vec<u64> = reports
            .iter()
            .filter_map(|x| x["progress"].as_u64())
            .collect();
        assert!(steps.windows(2).all(|w| w[0] <= w[1]), "{steps:?}");
        assert_eq!(r.acks(&d.device_id), vec![format!("cmd-{}", d.device_id)]);
        let chunks = r.chunks(&d.device_id);
        assert_eq!(chunks.len(), 5, "each range once");
        assert!(chunks.iter().all(|(_, len)| *len <= 65536));
        let mut offsets: Vec<u64> = chunks.iter().map(|c| c.0).collect();
        offsets.sort();
        assert_eq!(offsets, [0, 65536, 131072, 196608, 262144]);
    }
    // Some device fetched out of order.
    assert!(fleet.devices().iter().any(|d| {
        let c = r.chunks(&d.device_id);
        c.windows(2).any(|w| w[0].0 > w[1].0)
    }));
}

#[tokio::test]
async fn corrupted_transfers_are_reported_and_never_installed() {
    let r = fake::start(airlift_sim::artifact::artifact("b", SIZE), false).await;
    let fleet = Fleet::new(fake::devices(10));
    let mut c = config(&r);
    c.faults.corrupt = 1.0;
    let s = fleet.run(c, until()).await.unwrap();
    assert_eq!(s.jobs_with(JobResult::Rejected), 10, "{s:?}");
    for d in fleet.devices() {
        let reports = r.reports(&d.device_id);
        let last = reports.last().unwrap();
        assert_eq!(last["status"], "DOWNLOAD_ERROR");
        assert!(last["message"]
            .as_str()
            .unwrap()
            .contains("SHA-256 mismatch"));
        assert!(!r
            .statuses(&d.device_id)
            .iter()
            .any(|s| s.starts_with("INSTALL")));
        assert!(reports.iter().all(|x| x["firmware_version"] == "1.4.2"));
    }
    assert!(s.outcomes.iter().all(|o| o.firmware_version == "1.4.2"));
}

#[tokio::test]
async fn a_bad_signature_aborts_the_install() {
    let r = fake::start(airlift_sim::artifact::artifact("c", 1000), true).await;
    let fleet = Fleet::new(fake::devices(3));
    let s = fleet.run(config(&r), until()).await.unwrap();
    assert_eq!(s.jobs_with(JobResult::Rejected), 3);
    for d in fleet.devices() {
        assert_eq!(r.statuses(&d.device_id).last().unwrap(), "INSTALL_ABORTED");
    }
}

#[tokio::test]
async fn offline_devices_resume_without_fetching_again() {
    let r = fake::start(airlift_sim::artifact::artifact("d", SIZE), false).await;
    let fleet = Fleet::new(fake::devices(8));
    let mut c = config(&r);
    c.faults.offline = 1.0;
    c.faults.offline_for = Duration::from_millis(300);
    let s = fleet.run(c, until()).await.unwrap();
    assert_eq!(s.jobs_with(JobResult::Installed), 8, "{s:?}");
    for o in &s.outcomes {
        assert_eq!(o.jobs[0].resumes, 1);
        assert_eq!(r.chunks(&o.device_id).len(), 5, "nothing fetched twice");
    }
}

#[tokio::test]
async fn install_failures_download_failures_and_hangs() {
    let r = fake::start(airlift_sim::artifact::artifact("e", SIZE), false).await;
    let fleet = Fleet::new(fake::devices(40));
    let mut c = config(&r);
    c.faults.fail_install = 0.25;
    c.faults.fail_download = 0.25;
    c.faults.hang = 0.25;
    c.faults.fail_message = "Not enough memory (required: 1024MB, available: 512MB).".into();
    let s = fleet.run(c.clone(), until()).await.unwrap();
    for o in &s.outcomes {
        let st = r.statuses(&o.device_id);
        match o.faults.fault {
            Some(airlift_sim::FaultKind::Install) => {
                assert_eq!(st.last().unwrap(), "INSTALL_ERROR");
                let last = r.reports(&o.device_id).pop().unwrap();
                assert_eq!(last["message"], c.faults.fail_message.as_str());
            }
            Some(airlift_sim::FaultKind::Download) => {
                assert_eq!(st.last().unwrap(), "DOWNLOAD_ERROR")
            }
            Some(airlift_sim::FaultKind::Hang) => {
                assert!(st.is_empty(), "a hung device says nothing");
                assert!(r.acks(&o.device_id).is_empty());
                assert_eq!(o.state, airlift_sim::DeviceState::Hung);
            }
            _ => assert_eq!(st.last().unwrap(), "INSTALLED_VERSION"),
        }
    }
}

#[tokio::test]
async fn same_seed_same_failing_devices() {
    let mut sets = Vec::new();
    for seed in [7, 7, 8] {
        let r = fake::start(airlift_sim::artifact::artifact("f", 2000), false).await;
        let fleet = Fleet::new(fake::devices(60));
        let mut c = config(&r);
        c.seed = seed;
        c.faults.fail_install = 0.3;
        let s = fleet.run(c, until()).await.unwrap();
        sets.push(s.devices_with(JobResult::InstallError));
    }
    assert_eq!(sets[0], sets[1]);
    assert_ne!(sets[0], sets[2]);
    assert!(!sets[0].is_empty());
}

/// The scheduler (one deadline queue, not a task per device) brings every device back at its
/// own interval — never sooner — with first polls spread over the first interval rather than
/// all at once. (Only lower bounds on time: a loaded machine makes polls later, never earlier.)
#[tokio::test]
async fn every_device_polls_again_after_its_interval_from_one_queue() {
    let r = fake::start(airlift_sim::artifact::artifact("p", 1000), false).await;
    let fleet = Fleet::new(fake::devices(100));
    let mut c = config(&r);
    c.poll_interval = Duration::from_millis(500);
    c.jitter = 0.1;
    fleet
        .run(c, StopCondition::After(Duration::from_secs(4)))
        .await
        .unwrap();
    let mut firsts = Vec::new();
    for d in fleet.devices() {
        let polls = r.polls(&d.device_id);
        assert!(
            polls.len() >= 2,
            "{} polled {} times",
            d.device_id,
            polls.len()
        );
        for pair in polls.windows(2) {
            let gap = pair[1] - pair[0];
            assert!(
                gap >= Duration::from_millis(450),
                "{} polled again after {gap:?}, interval 500 ms ± 10 %",
                d.device_id
            );
        }
        firsts.push(polls[0]);
    }
    let spread = *firsts.iter().max().unwrap() - *firsts.iter().min().unwrap();
    assert!(
        spread >= Duration::from_millis(200),
        "first polls within {spread:?} of each other: not spread over the interval"
    );
}
