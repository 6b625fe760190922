//! A string that must never be printed: API tokens.
//!
//! `Debug` and `Display` show `[redacted]`, so a token inside a struct that gets logged or
//! formatted into an error stays out of logs. The value is only reachable through
//! [`Secret::expose`], which names the intent at every call site.

use std::fmt;

use zeroize::Zeroize as _;

#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself: only to put it in a request header or the keyring.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_redact() {
        let s = Secret::new("eyJhbGciOi.secret.token");
        assert!(!format!("{s:?}").contains("eyJ"));
        assert!(!format!("{s}").contains("eyJ"));
        assert_eq!(s.expose(), "eyJhbGciOi.secret.token");
    }
}
