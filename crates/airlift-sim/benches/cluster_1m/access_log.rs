//! nginx's access log as the latency record: one `timed` line per request (airlift-testkit's
//! nginx config), read from where the last read stopped. Latency is nginx's `$request_time`
//! (first byte read from the client to last byte sent, ms resolution): what an operator's
//! load balancer says the fleet waited for.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead as _, BufReader, Seek as _, SeekFrom};
use std::path::PathBuf;

/// One request.
#[derive(Debug, Clone)]
pub struct Request {
    /// When it ended, Unix seconds.
    pub at: f64,
    pub status: u16,
    /// nginx's `$request_time`, ms.
    pub ms: u32,
    /// nginx's `$upstream_response_time` of the last server tried, ms (None: no server).
    pub upstream_ms: Option<u32>,
    /// Servers tried: more than one when nginx moved the request on (a server down).
    pub upstreams: usize,
    /// A device's poll (`GET /api/v1/devices/{id}/ota`).
    pub poll: bool,
}

/// Reads the log on from an offset.
pub struct AccessLog {
    path: PathBuf,
    offset: u64,
}

impl AccessLog {
    pub fn new(path: PathBuf) -> Self {
        Self { path, offset: 0 }
    }

    /// Every complete line written since the last call.
    pub fn read_new(&mut self) -> Vec<Request> {
        let mut out = Vec::new();
        let Ok(mut file) = File::open(&self.path) else {
            return out;
        };
        if file.seek(SeekFrom::Start(self.offset)).is_err() {
            return out;
        }
        let mut reader = BufReader::with_capacity(1 << 20, file);
        let mut line = String::new();
        loop {
            line.clear();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => break,
                // A line nginx is still writing: read it next time.
                Ok(_) if !line.ends_with('\n') => break,
                Ok(n) => {
                    self.offset += n as u64;
                    if let Some(r) = parse(&line) {
                        out.push(r);
                    }
                }
            }
        }
        out
    }
}

/// `MSEC STATUS REQUEST_TIME "UPSTREAM_TIMES" "UPSTREAM_ADDRS" METHOD URI`.
fn parse(line: &str) -> Option<Request> {
    let mut quoted = line.split('"');
    let head = quoted.next()?;
    let upstream_times = quoted.next()?;
    quoted.next()?;
    let addrs = quoted.next()?;
    let tail = quoted.next()?;
    let mut h = head.split_whitespace();
    let at: f64 = h.next()?.parse().ok()?;
    let status: u16 = h.next()?.parse().ok()?;
    let secs: f64 = h.next()?.parse().ok()?;
    let mut t = tail.split_whitespace();
    let method = t.next()?;
    let uri = t.next()?;
    let upstream_ms = upstream_times
        .rsplit(", ")
        .next()
        .and_then(|v| v.trim().parse::<f64>().ok())
        .map(to_ms);
    let upstreams = if addrs == "-" {
        0
    } else {
        addrs.split(", ").count()
    };
    Some(Request {
        at,
        status,
        ms: to_ms(secs),
        upstream_ms,
        upstreams,
        poll: method == "GET" && uri.starts_with("/api/v1/devices/") && uri.ends_with("/ota"),
    })
}

fn to_ms(secs: f64) -> u32 {
    (secs * 1000.0).round() as u32
}

/// Percentiles of a set of latencies, ms.
#[derive(Debug, Clone, Copy, Default)]
pub struct Latency {
    pub count: usize,
    pub p50: u32,
    pub p99: u32,
    pub max: u32,
}

impl Latency {
    pub fn of(mut ms: Vec<u32>) -> Self {
        if ms.is_empty() {
            return Self::default();
        }
        ms.sort_unstable();
        let at = |q: f64| ms[((ms.len() as f64 * q).ceil() as usize).clamp(1, ms.len()) - 1];
        Self {
            count: ms.len(),
            p50: at(0.50),
            p99: at(0.99),
            max: ms[ms.len() - 1],
        }
    }
}

impl std::fmt::Display for Latency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "p50 {} ms, p99 {} ms, max {} ms",
            self.p50, self.p99, self.max
        )
    }
}

/// The figures of the requests that ended within `[from, to)`.
#[derive(Debug, Clone, Default)]
pub struct Window {
    pub requests: usize,
    pub polls: usize,
    /// nginx's `$request_time` of the polls.
    pub poll_latency: Latency,
    /// The servers' own time for the polls (`$upstream_response_time`).
    pub upstream_latency: Latency,
    /// Requests answered with an error (status ≥ 400), by status.
    pub errors: BTreeMap<u16, usize>,
    /// Requests nginx moved to another server (and then answered).
    pub moved: usize,
    /// Polls per whole second: the fewest and the most.
    pub polls_per_s_min: usize,
    pub polls_per_s_max: usize,
}

impl Window {
    pub fn of(requests: &[Request], from: f64, to: f64) -> Self {
        let inside: Vec<&Request> = requests
            .iter()
            .filter(|r| r.at >= from && r.at < to)
            .collect();
        let polls: Vec<&&Request> = inside.iter().filter(|r| r.poll).collect();
        let mut errors = BTreeMap::new();
        for r in inside.iter().filter(|r| r.status >= 400) {
            *errors.entry(r.status).or_insert(0) += 1;
        }
        let mut per_second: BTreeMap<i64, usize> = BTreeMap::new();
        for p in &polls {
            *per_second.entry(p.at.floor() as i64).or_insert(0) += 1;
        }
        // Only seconds wholly inside the window.
        let whole: Vec<usize> = per_second
            .iter()
            .filter(|(s, _)| (**s as f64) >= from.ceil() && ((**s + 1) as f64) <= to.floor())
            .map(|(_, n)| *n)
            .collect();
        Self {
            requests: inside.len(),
            polls: polls.len(),
            poll_latency: Latency::of(polls.iter().map(|r| r.ms).collect()),
            upstream_latency: Latency::of(polls.iter().filter_map(|r| r.upstream_ms).collect()),
            errors,
            moved: inside.iter().filter(|r| r.upstreams > 1).count(),
            polls_per_s_min: whole.iter().copied().min().unwrap_or(0),
            polls_per_s_max: whole.iter().copied().max().unwrap_or(0),
        }
    }

    pub fn error_count(&self) -> usize {
        self.errors.values().sum()
    }

    /// "0", or "3 (502 ×3)".
    pub fn errors_text(&self) -> String {
        if self.errors.is_empty() {
            return "0".to_owned();
        }
        let by: Vec<String> = self
            .errors
            .iter()
            .map(|(s, n)| format!("{s} ×{n}"))
            .collect();
        format!("{} ({})", self.error_count(), by.join(", "))
    }
}
