//! The running version, as `--version-file` holds it (one semver line), and the
//! anti-rollback rule.

use std::path::Path;

use airlift_device::proto::CommandKind;

/// Reads the running version; a missing or non-semver file is a configuration error, since
/// without it the agent can neither report nor refuse a downgrade.
pub fn read(path: &Path) -> Result<semver::Version, String> {
    let s = std::fs::read_to_string(path)
        .map_err(|e| format!("version file {}: {e}", path.display()))?;
    let line = s.lines().next().unwrap_or("").trim();
    semver::Version::parse(line).map_err(|e| {
        format!(
            "version file {}: {line:?} is not semver ({e})",
            path.display()
        )
    })
}

/// Why an offered version is refused before anything is downloaded.
pub fn refuse_downgrade(
    running: &semver::Version,
    offered: &semver::Version,
    kind: CommandKind,
) -> Option<String> {
    (offered < running && kind != CommandKind::OtaRollback).then(|| {
        format!(
            "Refusing {offered}: older than the running {running} (anti-rollback; only an \
             ota_rollback command may install an older version)"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn older_only_on_rollback() {
        let v = |s: &str| semver::Version::parse(s).unwrap();
        assert!(refuse_downgrade(&v("2.0.0"), &v("1.9.9"), CommandKind::OtaStart).is_some());
        assert!(refuse_downgrade(&v("2.0.0"), &v("1.9.9"), CommandKind::OtaRollback).is_none());
        assert!(refuse_downgrade(&v("2.0.0"), &v("2.0.1"), CommandKind::OtaStart).is_none());
    }
}
