//! One result per command: a JSON document with --json, lines of text otherwise.

use serde::Serialize;

use crate::exit::Failure;

#[derive(Debug, Clone, Copy)]
pub struct Output {
    pub json: bool,
}

impl Output {
    /// Prints the command's result: `value` as JSON, or `human` as text.
    pub fn result<T: Serialize>(
        &self,
        value: &T,
        human: impl FnOnce() -> String,
    ) -> Result<(), Failure> {
        if self.json {
            let text = serde_json::to_string_pretty(value).map_err(|err| {
                Failure::Desk(airlift_desk::DeskError::internal(format!(
                    "could not encode the result: {err}"
                )))
            })?;
            println!("{text}");
        } else {
            println!("{}", human());
        }
        Ok(())
    }

    pub fn failure(&self, failure: &Failure) {
        if self.json {
            println!("{}", serde_json::json!({"error": failure.to_json()}));
        } else {
            eprintln!("airlift-cli: {}", failure.message());
        }
    }
}

/// "1.5 GiB"
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

/// "3 min ago" style age of cached data.
pub fn age(age: Option<std::time::Duration>) -> String {
    match age {
        None => "never synced".to_owned(),
        Some(d) if d.as_secs() < 60 => format!("{} s old", d.as_secs()),
        Some(d) if d.as_secs() < 3600 => format!("{} min old", d.as_secs() / 60),
        Some(d) => format!("{} h old", d.as_secs() / 3600),
    }
}

/// The line a text answer starts with when it comes from the cache, not the server.
pub fn stale_note(
    what: &str,
    fresh: bool,
    data_age: Option<std::time::Duration>,
) -> Option<String> {
    (!fresh).then(|| {
        format!(
            "STALE: the server is unreachable; showing cached {what} ({})",
            age(data_age)
        )
    })
}
