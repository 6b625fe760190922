//! Failure reasons grouped (spec, Milestone 2: `GET /rollouts/{id}/failures`): a device's
//! failure message with what varies from device to device taken out, so "disk full: 512 MB
//! free" and "disk full: 498 MB free" are one reason. Numbers become `<n>`, paths `<path>`,
//! long hex strings (hashes, addresses) `<hex>`; whitespace is collapsed; the result is bounded.

/// The longest reason kept, in characters.
pub const MAX_REASON_CHARS: usize = 200;

/// The reason a failure without a message is grouped under: its status.
pub fn reason_of(status: &str, message: Option<&str>) -> String {
    match message.map(str::trim).filter(|m| !m.is_empty()) {
        Some(m) => normalize(m),
        None => status.to_owned(),
    }
}

/// `message` with numbers, paths and hex strings replaced by placeholders.
pub fn normalize(message: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    for word in message.split_whitespace() {
        out.push(normalize_word(word));
    }
    let joined = out.join(" ");
    if joined.chars().count() <= MAX_REASON_CHARS {
        return joined;
    }
    let mut cut: String = joined.chars().take(MAX_REASON_CHARS - 1).collect();
    cut.push('…');
    cut
}

fn is_hex_token(t: &str) -> bool {
    let t = t
        .strip_prefix("0x")
        .or_else(|| t.strip_prefix("0X"))
        .unwrap_or(t);
    t.len() >= 8
        && t.bytes().all(|b| b.is_ascii_hexdigit())
        && t.bytes().any(|b| b.is_ascii_digit())
}

fn normalize_word(word: &str) -> String {
    // Keep the punctuation around a token ("(/dev/sda1)," → "(<path>),").
    let start = word
        .find(|c: char| c.is_alphanumeric() || c == '/' || c == '\\' || c == '.' || c == '~')
        .unwrap_or(word.len());
    let end = word
        .rfind(|c: char| c.is_alphanumeric() || c == '/' || c == '\\')
        .map_or(start, |i| i + 1)
        .max(start);
    let (lead, core, trail) = (&word[..start], &word[start..end], &word[end..]);
    let core = if core.contains('/') || core.contains('\\') {
        "<path>".to_owned()
    } else if is_hex_token(core) || (core.starts_with("0x") && core.len() > 2) {
        "<hex>".to_owned()
    } else {
        digits_to_placeholder(core)
    };
    format!("{lead}{core}{trail}")
}

/// Every run of digits (with its decimal separators) becomes `<n>`.
fn digits_to_placeholder(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            while let Some(&n) = chars.peek() {
                let continues = n.is_ascii_digit()
                    || ((n == '.' || n == ',') && {
                        let mut ahead = chars.clone();
                        ahead.next();
                        ahead.peek().is_some_and(char::is_ascii_digit)
                    });
                if !continues {
                    break;
                }
                chars.next();
            }
            out.push_str("<n>");
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_varies_per_device_is_taken_out() {
        assert_eq!(
            normalize("disk full: 512 MB free"),
            "disk full: <n> MB free"
        );
        assert_eq!(
            normalize("disk full: 498 MB free"),
            normalize("disk full:   512 MB free")
        );
        assert_eq!(
            normalize("cannot open /var/lib/airlift/part.bin: permission denied"),
            "cannot open <path>: permission denied"
        );
        assert_eq!(
            normalize("checksum e3b0c44298fc1c14 does not match"),
            "checksum <hex> does not match"
        );
        assert_eq!(normalize("fault at 0x7ffe12"), "fault at <hex>");
        assert_eq!(
            normalize("took 1.5s (limit 2,000 ms)"),
            "took <n>s (limit <n> ms)"
        );
        assert_eq!(normalize("exit code 10"), "exit code <n>");
        assert_eq!(
            normalize("deadbeef is a word"),
            "deadbeef is a word",
            "no digit: a word"
        );
    }

    #[test]
    fn a_missing_message_groups_by_status_and_long_ones_are_bounded() {
        assert_eq!(reason_of("INSTALL_ERROR", None), "INSTALL_ERROR");
        assert_eq!(reason_of("INSTALL_ERROR", Some("  ")), "INSTALL_ERROR");
        assert_eq!(reason_of("failure", Some("boom 3")), "boom <n>");
        let long = normalize(&"word ".repeat(100));
        assert_eq!(long.chars().count(), MAX_REASON_CHARS);
    }
}
