//! Upload progress on stderr: a live bar on a terminal; elsewhere (a CI log, a pipe) a plain
//! line every few seconds with percent, bytes and rate, and never an escape code.

use std::io::IsTerminal as _;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use airlift_desk::upload::UploadProgress;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::output::bytes;

/// How often a plain line is written off a terminal.
const LINE_EVERY: Duration = Duration::from_secs(3);

pub enum Progress {
    Bar(ProgressBar),
    Lines(Mutex<Lines>),
}

pub struct Lines {
    last_line: Option<Instant>,
    last: Option<UploadProgress>,
}

impl Progress {
    /// A bar when stderr is a terminal (and no JSON is asked for), plain lines otherwise.
    pub fn new(json: bool) -> Self {
        if !json && std::io::stderr().is_terminal() {
            Progress::Bar(bar())
        } else {
            Progress::Lines(Mutex::new(Lines {
                last_line: None,
                last: None,
            }))
        }
    }

    pub fn show(&self, p: &UploadProgress) {
        match self {
            Progress::Bar(bar) => show_bar(bar, p),
            Progress::Lines(lines) => {
                let Ok(mut lines) = lines.lock() else { return };
                let due = lines.last_line.is_none_or(|t| t.elapsed() >= LINE_EVERY);
                if due {
                    eprintln!("{}", line(p));
                    lines.last_line = Some(Instant::now());
                }
                lines.last = Some(p.clone());
            }
        }
    }

    /// Clears the bar, or writes the last state as a final line (so a log ends at 100 %).
    pub fn finish(&self) {
        match self {
            Progress::Bar(bar) => bar.finish_and_clear(),
            Progress::Lines(lines) => {
                if let Ok(lines) = lines.lock() {
                    if let Some(p) = &lines.last {
                        eprintln!("{}", line(p));
                    }
                }
            }
        }
    }
}

/// `upload: 45% (13.5 MiB of 30.0 MiB), 4.2 MiB/s, part 3/8, about 0:04 left`
pub fn line(p: &UploadProgress) -> String {
    let percent = p
        .done_bytes
        .saturating_mul(100)
        .checked_div(p.total_bytes)
        .unwrap_or(100);
    let eta = p.eta_secs.map_or(String::new(), |s| {
        format!(", about {}:{:02} left", s / 60, s % 60)
    });
    format!(
        "upload: {percent}% ({} of {}), {}/s, part {}/{}{eta}",
        bytes(p.done_bytes),
        bytes(p.total_bytes),
        bytes(p.bytes_per_sec as u64),
        p.parts_done,
        p.parts_total
    )
}

fn bar() -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
    if let Ok(style) =
        ProgressStyle::with_template("{spinner} [{bar:40}] {bytes}/{total_bytes} {msg}")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

fn show_bar(bar: &ProgressBar, p: &UploadProgress) {
    bar.set_length(p.total_bytes);
    bar.set_position(p.done_bytes);
    let eta = p.eta_secs.map_or(String::new(), |s| {
        format!(", {}:{:02} left", s / 60, s % 60)
    });
    bar.set_message(format!(
        "{}/s, part {}/{}, hashed {}{eta}",
        bytes(p.bytes_per_sec as u64),
        p.parts_done,
        p.parts_total,
        bytes(p.hashed_bytes)
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_line_has_percent_bytes_and_rate_and_no_escape() {
        let text = line(&UploadProgress {
            total_bytes: 8 << 20,
            done_bytes: 2 << 20,
            hashed_bytes: 3 << 20,
            parts_total: 4,
            parts_done: 1,
            bytes_per_sec: 1048576.0,
            eta_secs: Some(6),
        });
        assert_eq!(
            text,
            "upload: 25% (2.0 MiB of 8.0 MiB), 1.0 MiB/s, part 1/4, about 0:06 left"
        );
        assert!(!text.contains('\u{1b}'));
    }
}
