//! Log lines on stderr (journald adds the time and the unit). Tokens are never passed here.

pub fn info(msg: &str) {
    eprintln!("airlift-agent: {msg}");
}

pub fn warn(msg: &str) {
    eprintln!("airlift-agent: warning: {msg}");
}

pub fn error(msg: &str) {
    eprintln!("airlift-agent: error: {msg}");
}
