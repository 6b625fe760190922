//! What a process costs, read from /proc: CPU seconds of a process and its descendants (a
//! PostgreSQL postmaster and its backends, nginx's master and workers), peak RSS, and the
//! load average.

use std::collections::HashMap;
use std::process::Command;
use std::sync::OnceLock;

/// Clock ticks per second of /proc's CPU times.
fn ticks() -> f64 {
    static TICKS: OnceLock<f64> = OnceLock::new();
    *TICKS.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
            .unwrap_or(100.0)
    })
}

/// (ppid, CPU ticks: own user + system, plus those of its waited-for children) of `pid`.
fn stat(pid: u32) -> Option<(u32, u64)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces and parentheses: the fields start after the last ')'.
    let rest = &text[text.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split(' ').collect();
    // After the name: state(0) ppid(1) ... utime(11) stime(12) cutime(13) cstime(14).
    let num = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok());
    let ppid = num(1)? as u32;
    Some((ppid, num(11)? + num(12)? + num(13)? + num(14)?))
}

/// CPU seconds used so far by `root` and every live descendant (backends that exited are in
/// their parent's children times). 0 when `root` is gone.
pub fn tree_cpu(root: u32) -> f64 {
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    let mut cpu: HashMap<u32, u64> = HashMap::new();
    if let Ok(dir) = std::fs::read_dir("/proc") {
        for e in dir.flatten() {
            let Some(pid) = e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else {
                continue;
            };
            if let Some((ppid, t)) = stat(pid) {
                children.entry(ppid).or_default().push(pid);
                cpu.insert(pid, t);
            }
        }
    }
    let mut total = 0u64;
    let mut stack = vec![root];
    while let Some(pid) = stack.pop() {
        total += cpu.get(&pid).copied().unwrap_or(0);
        if let Some(c) = children.get(&pid) {
            stack.extend(c);
        }
    }
    total as f64 / ticks()
}

/// Peak resident memory of `pid` in MiB (VmHWM), since it started or since [`reset_peak`].
pub fn peak_rss_mib(pid: u32) -> Option<f64> {
    status_mib(pid, "VmHWM:")
}

/// Resident memory of `pid` now, in MiB (VmRSS).
pub fn rss_mib(pid: u32) -> Option<f64> {
    status_mib(pid, "VmRSS:")
}

fn status_mib(pid: u32, field: &str) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Starts `pid`'s peak RSS afresh from its current RSS (Linux's `clear_refs` 5), so a phase's
/// peak is its own. False when the kernel refused (then the peak is since the start).
pub fn reset_peak(pid: u32) -> bool {
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5").is_ok()
}

/// The 1, 5 and 15 minute load averages as /proc/loadavg writes them.
pub fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split(' ').take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".to_owned())
}

/// The 1-minute load average alone.
pub fn load1() -> String {
    load().split(' ').next().unwrap_or("?").to_owned()
}
