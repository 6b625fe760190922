//! The example hooks in docs/agent/hooks/ parse, and the file-copy one does what it says.

use std::path::PathBuf;
use std::process::Command;

fn hooks_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/agent/hooks")
}

#[test]
fn every_example_hook_is_valid_shell() {
    let mut n = 0;
    for e in std::fs::read_dir(hooks_dir()).unwrap() {
        let path = e.unwrap().path();
        let out = Command::new("sh").arg("-n").arg(&path).output().unwrap();
        assert!(
            out.status.success(),
            "{}: {}",
            path.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        n += 1;
    }
    assert!(
        n >= 4,
        "file copy, systemd service, RAUC and SWUpdate examples"
    );
}

#[test]
fn the_file_copy_hook_replaces_the_target_and_says_so() {
    let d = tempfile::tempdir().unwrap();
    let artifact = d.path().join("artifact.bin");
    let target = d.path().join("firmware.bin");
    std::fs::write(&artifact, b"new image").unwrap();
    std::fs::write(&target, b"old image").unwrap();
    let out = Command::new("sh")
        .arg(hooks_dir().join("file-copy.sh"))
        .env("AIRLIFT_ARTIFACT", &artifact)
        .env("AIRLIFT_VERSION", "2.0.0")
        .env("AIRLIFT_PACKAGE_ID", "pkg_1")
        .env("AIRLIFT_COPY_TARGET", &target)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(std::fs::read(&target).unwrap(), b"new image");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        stdout.lines().last(),
        Some(format!("installed 2.0.0 at {}", target.display()).as_str())
    );
    assert!(!d.path().join("firmware.bin.airlift-new").exists());
}
