//! The simulated devices' identities: ids and device tokens, kept in a JSON-lines file
//! (one device per line) that is created 0600, because device tokens are secrets. The types
//! are airlift-device's.

use std::fs::OpenOptions;
use std::io::{BufRead as _, BufReader, BufWriter, Write as _};
use std::path::Path;

use anyhow::Context as _;

pub use airlift_device::creds::{DeviceCreds, DeviceToken};

/// Writes (replacing) `path` with one JSON object per line, mode 0600 from creation on.
pub fn save(path: &Path, devices: &[DeviceCreds]) -> anyhow::Result<()> {
    write(path, devices, false)
}

/// Appends devices to `path` (created 0600 if missing).
pub fn append(path: &Path, devices: &[DeviceCreds]) -> anyhow::Result<()> {
    write(path, devices, true)
}

fn write(path: &Path, devices: &[DeviceCreds], append: bool) -> anyhow::Result<()> {
    let mut opts = OpenOptions::new();
    opts.create(true).write(true);
    if append {
        opts.append(true);
    } else {
        opts.truncate(true);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        opts.mode(0o600);
    }
    let file = opts
        .open(path)
        .with_context(|| format!("opening {}", path.display()))?;
    #[cfg(unix)]
    {
        // An existing file keeps its mode on open: tighten it.
        use std::os::unix::fs::PermissionsExt as _;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .with_context(|| format!("chmod 600 {}", path.display()))?;
    }
    let mut out = BufWriter::new(file);
    for d in devices {
        serde_json::to_writer(&mut out, d)?;
        out.write_all(b"\n")?;
    }
    let file = out.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()
        .with_context(|| format!("syncing {}", path.display()))?;
    Ok(())
}

/// Reads a devices file; blank lines are skipped, a bad line is an error naming its number
/// (never its content, which holds a token).
pub fn load(path: &Path) -> anyhow::Result<Vec<DeviceCreds>> {
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut out = Vec::new();
    for (i, line) in BufReader::new(file).lines().enumerate() {
        let line = line.with_context(|| format!("reading {}", path.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        let d: DeviceCreds = serde_json::from_str(&line).map_err(|e| {
            anyhow::anyhow!(
                "{} line {}: not a device record ({})",
                path.display(),
                i + 1,
                e.classify_name()
            )
        })?;
        out.push(d);
    }
    Ok(out)
}

trait ClassifyName {
    fn classify_name(&self) -> &'static str;
}

impl ClassifyName for serde_json::Error {
    fn classify_name(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Io => "I/O error",
            serde_json::error::Category::Syntax => "invalid JSON",
            serde_json::error::Category::Data => "missing or mistyped field",
            serde_json::error::Category::Eof => "truncated JSON",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dev(i: u32) -> DeviceCreds {
        DeviceCreds {
            device_id: format!("dev_{i}"),
            device_token: DeviceToken::new(format!("secret-{i}")),
            name: format!("sim-{i}"),
            profile_id: "prof_1".into(),
            device_type: "temp-sensor".into(),
            firmware_version: "1.4.2".into(),
        }
    }

    #[test]
    fn round_trip_mode_0600_and_no_token_in_debug() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("devices.jsonl");
        save(&path, &[dev(1), dev(2)]).unwrap();
        append(&path, &[dev(3)]).unwrap();
        assert_eq!(load(&path).unwrap(), vec![dev(1), dev(2), dev(3)]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(!format!("{:?}", dev(1)).contains("secret"));
        std::fs::write(
            &path,
            "{\"device_id\": \"x\", \"device_token\": \"secret-9\"}\n",
        )
        .unwrap();
        let err = format!("{:#}", load(&path).unwrap_err());
        assert!(err.contains("line 1") && !err.contains("secret"), "{err}");
    }
}
