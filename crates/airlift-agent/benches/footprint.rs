//! A measurement, not a test: the agent's memory while it idles and while it downloads and
//! installs a 16 MiB package, printed (resources that depend on the machine are never asserted).
//! Run against the shipped binary (`--profile agent`), e.g.:
//!   cargo build --profile agent -p airlift-agent && cargo build -p airlift-server
//!   mkdir -p /tmp/bins && cp target/debug/airliftd target/agent/airlift-agent /tmp/bins/
//!   AIRLIFT_BIN_DIR=/tmp/bins cargo bench -p airlift-agent --bench footprint

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::Duration;

use support::{serial, Env};

fn status_kib(pid: u32, field: &str) -> u64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    s.lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

#[tokio::main]
async fn main() {
    let _g = serial().await;
    let env = Env::start("1.0.0").await;
    env.set_version("1.0.0");
    let agent = env.agent(&env.server.url, "exit 0", &[]);
    let pid = agent.child.id().unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    println!(
        "idle (polling every 200 ms): VmRSS {} KiB",
        status_kib(pid, "VmRSS:")
    );
    let (pkg, _) = env.package("2.0.0", 16 * 1024 * 1024).await;
    let rollout = env.rollout(&pkg).await;
    env.wait_counter(&rollout, "successful", 1, Duration::from_secs(300))
        .await;
    println!(
        "after a 16 MiB download and install: VmRSS {} KiB, peak VmHWM {} KiB",
        status_kib(pid, "VmRSS:"),
        status_kib(pid, "VmHWM:")
    );
}
