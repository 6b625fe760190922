//! How long a process has run, and the resident memory of it and everything it started, from
//! Linux's `/proc`.
//!
//! The desktop app is several processes: the app itself and the WebKit processes it spawns
//! (WebKitWebProcess, WebKitNetworkProcess, possibly behind a sandbox launcher). Their sum is what
//! the app costs a person, so start-up measurements (bench/desk-startup.sh) record it per process
//! and in total. RSS counts shared library pages once per process; PSS shares them out, so the
//! PSS total is the fairer "whole app" figure and RSS the familiar one.

use std::collections::HashMap;
use std::fs;
use std::time::Duration;

use serde::Serialize;

/// One process of the tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProcessMemory {
    pub pid: u32,
    /// The kernel's short name (`comm`), e.g. `WebKitWebProces` (15 characters at most).
    pub name: String,
    pub rss_kib: u64,
    /// Proportional set size; `None` where smaps_rollup cannot be read.
    pub pss_kib: Option<u64>,
}

/// A process tree's memory: every process and the totals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TreeMemory {
    pub processes: Vec<ProcessMemory>,
    pub rss_kib: u64,
    pub pss_kib: u64,
}

/// The memory of `root` and all its descendants that are alive now. Processes that exit while
/// they are being read are skipped. Empty on systems without `/proc`.
pub fn tree_memory(root: u32) -> TreeMemory {
    let parents = parent_map();
    let mut pids = vec![root];
    let mut i = 0;
    while i < pids.len() {
        let parent = pids[i];
        let mut children: Vec<u32> = parents
            .iter()
            .filter(|&(_, &ppid)| ppid == parent)
            .map(|(&pid, _)| pid)
            .collect();
        children.sort_unstable();
        pids.extend(children);
        i += 1;
    }
    let processes: Vec<ProcessMemory> = pids.into_iter().filter_map(process_memory).collect();
    TreeMemory {
        rss_kib: processes.iter().map(|p| p.rss_kib).sum(),
        pss_kib: processes.iter().filter_map(|p| p.pss_kib).sum(),
        processes,
    }
}

/// How long ago this process started (exec and dynamic linking included, which a clock read in
/// `main` would miss), to 10 ms; `None` without `/proc`.
pub fn own_age() -> Option<Duration> {
    let stat = fs::read_to_string("/proc/self/stat").ok()?;
    // Field 22, start time in clock ticks after boot; fields are counted from after comm.
    let ticks: u64 = stat[stat.rfind(')')? + 1..]
        .split_whitespace()
        .nth(19)?
        .parse()
        .ok()?;
    let uptime = fs::read_to_string("/proc/uptime").ok()?;
    let uptime: f64 = uptime.split_whitespace().next()?.parse().ok()?;
    // Clock ticks are USER_HZ, which Linux fixes at 100 for user space on every architecture.
    let started = ticks as f64 / 100.0;
    Some(Duration::from_secs_f64((uptime - started).max(0.0)))
}

/// CPU time (user + system, all threads) this process has used so far, to 10 ms; `None`
/// without `/proc`. Benchmarks on a busy machine compare it beside wall time.
pub fn own_cpu_time() -> Option<Duration> {
    let stat = fs::read_to_string("/proc/self/stat").ok()?;
    let mut fields = stat[stat.rfind(')')? + 1..].split_whitespace().skip(11);
    let user: u64 = fields.next()?.parse().ok()?;
    let system: u64 = fields.next()?.parse().ok()?;
    Some(Duration::from_millis((user + system) * 10))
}

/// pid → parent pid of every process.
fn parent_map() -> HashMap<u32, u32> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return HashMap::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| Some((pid, parent_of(pid)?)))
        .collect()
}

fn parent_of(pid: u32) -> Option<u32> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // "pid (comm) state ppid ...": comm may contain spaces and parentheses, so split after the
    // last ')'.
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(1)?.parse().ok()
}

fn process_memory(pid: u32) -> Option<ProcessMemory> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let rss_kib = kib_field(&status, "VmRSS:")?;
    let name = status
        .lines()
        .find_map(|l| l.strip_prefix("Name:"))
        .map(|n| n.trim().to_owned())
        .unwrap_or_default();
    let pss_kib = fs::read_to_string(format!("/proc/{pid}/smaps_rollup"))
        .ok()
        .and_then(|s| kib_field(&s, "Pss:"));
    Some(ProcessMemory {
        pid,
        name,
        rss_kib,
        pss_kib,
    })
}

/// The number of a `Key:   1234 kB` line.
fn kib_field(text: &str, key: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix(key))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_this_process_and_a_child_it_started() {
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .expect("start sleep");
        let me = std::process::id();
        let tree = tree_memory(me);
        let _ = child.kill();
        let _ = child.wait();

        assert_eq!(tree.processes[0].pid, me);
        assert!(tree.processes[0].rss_kib > 0);
        let sleeper = tree
            .processes
            .iter()
            .find(|p| p.pid == child.id())
            .expect("the child is part of the tree");
        assert_eq!(sleeper.name, "sleep");
        assert_eq!(
            tree.rss_kib,
            tree.processes.iter().map(|p| p.rss_kib).sum::<u64>()
        );
        assert!(tree.pss_kib > 0 && tree.pss_kib <= tree.rss_kib);
    }

    #[test]
    fn this_process_started_a_moment_ago() {
        let age = own_age().expect("age from /proc");
        assert!(age < Duration::from_secs(3600), "{age:?}");
    }

    #[test]
    fn cpu_time_grows_with_work() {
        let before = own_cpu_time().expect("cpu time from /proc");
        let started = std::time::Instant::now();
        let mut x = 0u64;
        while started.elapsed() < Duration::from_millis(100) {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
        }
        std::hint::black_box(x);
        assert!(own_cpu_time().expect("cpu time") > before);
    }

    #[test]
    fn a_process_that_does_not_exist_has_no_tree() {
        assert!(tree_memory(u32::MAX).processes.is_empty());
    }

    #[test]
    fn reads_kib_fields() {
        let status = "Name:\tairlift\nVmRSS:\t  123456 kB\n";
        assert_eq!(kib_field(status, "VmRSS:"), Some(123_456));
        assert_eq!(kib_field(status, "Pss:"), None);
    }
}
