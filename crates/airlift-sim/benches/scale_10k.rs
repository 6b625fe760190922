//! 10,000 devices in one process (one runtime, one shared client) against the in-process
//! fake of the device protocol: every device downloads, verifies, installs and reports.
//! A measurement, not a test: `cargo bench -p airlift-sim --bench scale_10k`.

#[path = "../tests/fake/mod.rs"]
mod fake;

use std::time::{Duration, Instant};

use airlift_sim::{Fleet, JobResult, RunConfig, StopCondition, Verifier};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    const N: usize = 10_000;
    let r = fake::start(airlift_sim::artifact::artifact("scale", 100 * 1024), false).await;
    let fleet = Fleet::new(fake::devices(N));
    let mut c = RunConfig::new(&r.url);
    c.seed = 1;
    c.poll_interval = Duration::from_secs(2);
    c.install_time = Duration::from_millis(50);
    c.reboot_time = Duration::from_millis(100);
    let key = Verifier::parse_pem(&r.signer.public_key_pem().unwrap()).unwrap();
    c.verifier = Verifier::new(vec![key]);
    let started = Instant::now();
    let s = fleet
        .run(
            c,
            StopCondition::any([
                StopCondition::Settled {
                    quiet: Duration::from_secs(1),
                },
                StopCondition::After(Duration::from_secs(600)),
            ]),
        )
        .await
        .unwrap();
    let took = started.elapsed();
    assert_eq!(s.jobs_with(JobResult::Installed), N as u64, "{:?}", s.jobs);
    let rss = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|st| {
            st.lines()
                .find(|l| l.starts_with("VmHWM"))
                .map(str::to_owned)
        })
        .unwrap_or_default();
    eprintln!(
        "{N} devices installed in {:.1}s (includes 1 s settle; server in-process); {rss}",
        took.as_secs_f64()
    );
}
