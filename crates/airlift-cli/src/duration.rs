//! Durations as the flags take them (`--timeout`, a phase's soak, a retry's backoff): plain
//! seconds, or a number with `s`, `m` or `h`.

use std::time::Duration;

use crate::exit::Failure;

/// Plain numbers are seconds; `s`, `m`, `h` suffixes.
pub fn parse_duration(text: &str) -> Result<Duration, Failure> {
    let t = text.trim();
    let (number, unit) = match t.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => t.split_at(i),
        None => (t, "s"),
    };
    let n: u64 = number.parse().map_err(|_| bad_duration(text))?;
    let secs = match unit {
        "s" => n,
        "m" => n.saturating_mul(60),
        "h" => n.saturating_mul(3600),
        _ => return Err(bad_duration(text)),
    };
    Ok(Duration::from_secs(secs))
}

fn bad_duration(text: &str) -> Failure {
    Failure::usage(format!(
        "{text:?} is not a duration: use seconds (90), or 90s, 15m, 2h"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("90s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("15m").unwrap(), Duration::from_secs(900));
        assert_eq!(parse_duration("2h").unwrap(), Duration::from_secs(7200));
        for bad in ["", "m", "1.5h", "10d", "-1"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}
