//! Usage errors, help and the environment: what a script sees before anything is sent.

mod common;

use std::process::{Command, Output};

/// `airlift-cli ARGS` in an empty environment (no token, no saved connection).
fn cli(args: &[&str]) -> Output {
    let home = tempfile::tempdir().unwrap();
    Command::new(common::CLI)
        .args(args)
        .env_clear()
        .env("HOME", home.path())
        .output()
        .unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn flag_errors_are_one_json_document_with_json() {
    for args in [
        vec!["--json", "rollout", "wait"],
        vec!["--json", "no-such-command"],
        vec!["rollout", "start", "--json", "--package", "p"],
        vec!["--json", "rollout", "wait", "r1", "--until", "never"],
    ] {
        let out = cli(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let doc: serde_json::Value = serde_json::from_str(&stdout(&out))
            .unwrap_or_else(|err| panic!("{args:?}: not JSON ({err}): {}", stdout(&out)));
        assert_eq!(doc["error"]["code"], "INVALID_ARGUMENT", "{args:?}");
        let message = doc["error"]["message"].as_str().unwrap();
        assert!(
            !message.is_empty() && !message.starts_with("error:"),
            "{message}"
        );
    }
    // A missing argument is named in the one-line message.
    let out = cli(&["--json", "upload", "fw.bin", "--name", "fw"]);
    let doc: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let message = doc["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("the following required arguments were not provided: --version"),
        "{message}"
    );
    // Without --json, clap's text goes to stderr and stdout stays empty.
    let out = cli(&["rollout", "wait"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stdout(&out).is_empty());
    assert!(stderr(&out).contains("ROLLOUT_ID"), "{}", stderr(&out));
}

#[test]
fn help_lists_exit_codes_and_every_command_has_help() {
    let out = cli(&["--help"]);
    assert_eq!(out.status.code(), Some(0));
    let help = stdout(&out);
    for needle in [
        "Exit codes:",
        "130",
        "interrupted",
        "AIRLIFT_SERVER_URL",
        "14   rollout cancelled",
    ] {
        assert!(help.contains(needle), "{needle} missing from:\n{help}");
    }
    for args in [
        ["rollout", "pause"],
        ["rollout", "resume"],
        ["rollout", "rollback"],
        ["rollout", "cancel"],
        ["connection", "list"],
        ["connection", "remove"],
    ] {
        let out = cli(&[args[0], args[1], "--help"]);
        assert_eq!(out.status.code(), Some(0));
        let text = stdout(&out);
        let about = text.lines().next().unwrap_or_default();
        assert!(
            about.split_whitespace().count() >= 3,
            "{args:?} has no help: {text}"
        );
    }
}

#[test]
fn a_missing_token_variable_fails_before_sending() {
    // Port 9 (discard) on loopback: nothing listens, so any request would say "cannot reach".
    let out = cli(&[
        "--json",
        "--server",
        "http://127.0.0.1:9",
        "rollout",
        "status",
        "r1",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let message = doc["error"]["message"].as_str().unwrap();
    assert!(message.contains("$AIRLIFT_TOKEN is not set"), "{message}");
    assert!(!message.contains("cannot reach"), "{message}");
}

#[test]
fn the_old_server_variable_still_works_with_a_deprecation_line() {
    let home = tempfile::tempdir().unwrap();
    let out = Command::new(common::CLI)
        .args(["--json", "rollout", "status", "r1"])
        .env_clear()
        .env("HOME", home.path())
        .env("AIRLIFT_SERVER", "http://127.0.0.1:9")
        .env("AIRLIFT_TOKEN", common::unsigned_token("t1"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("AIRLIFT_SERVER is deprecated"),
        "{}",
        stderr(&out)
    );
    let doc: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(doc["error"]["code"], "OFFLINE");
    // Every transport error names the URL it tried.
    assert!(doc["error"]["message"]
        .as_str()
        .unwrap()
        .contains("http://127.0.0.1:9"));
}

#[test]
fn without_a_keyring_connection_add_keeps_the_token_in_a_private_file() {
    use std::os::unix::fs::PermissionsExt as _;
    let home = tempfile::tempdir().unwrap();
    let token = common::unsigned_token("t1");
    // No session bus in this environment: no keyring answers.
    let run = |args: &[&str]| {
        let out = Command::new(common::CLI)
            .arg("--json")
            .args(args)
            .env_clear()
            .env("HOME", home.path())
            .env("AIRLIFT_TOKEN", &token)
            .output()
            .unwrap();
        let doc: serde_json::Value = serde_json::from_str(&stdout(&out))
            .unwrap_or_else(|err| panic!("{args:?} ({err}): {}", stdout(&out)));
        (out.status.code(), doc)
    };
    let (code, doc) = run(&["connection", "add", "ci", "http://127.0.0.1:9"]);
    assert_eq!(code, Some(0), "{doc}");
    assert_eq!(doc["token_place"], "file");
    let file = home.path().join(".config/airlift/tokens.json");
    let mode = std::fs::metadata(&file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let connections =
        std::fs::read_to_string(home.path().join(".config/airlift/connections.json")).unwrap();
    assert!(
        !connections.contains(&token),
        "the token stays out of the connections file"
    );

    let (code, doc) = run(&["connection", "list"]);
    assert_eq!(code, Some(0));
    assert_eq!(doc["connections"][0]["name"], "ci");
    // The saved connection is used with the token from the file: the request is sent (and
    // finds nobody listening), rather than failing for want of a token.
    let (code, doc) = run(&["rollout", "status", "r1"]);
    assert_eq!(code, Some(3), "{doc}");
    assert_eq!(doc["error"]["code"], "OFFLINE");

    let (code, _) = run(&["connection", "remove", "ci"]);
    assert_eq!(code, Some(0));
    assert!(!std::fs::read_to_string(&file).unwrap().contains(&token));
}

#[test]
fn ctrl_c_exits_130_and_a_watch_log_names_the_url() {
    let home = tempfile::tempdir().unwrap();
    // `watch` on a server nobody answers keeps reconnecting until interrupted.
    let mut child = Command::new(common::CLI)
        .args(["watch"])
        .env_clear()
        .env("HOME", home.path())
        .env("AIRLIFT_SERVER_URL", "http://127.0.0.1:9")
        .env("AIRLIFT_TOKEN", common::unsigned_token("t1"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(700));
    assert!(child.try_wait().unwrap().is_none(), "watch ended by itself");
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(std::time::Instant::now() < deadline, "no exit after SIGINT");
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(130));
    // Meanwhile its log said why it kept reconnecting, naming the URL, without escape codes.
    let mut log = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut log).unwrap();
    assert!(
        log.contains("cannot reach the server at http://127.0.0.1:9"),
        "{log}"
    );
    assert!(!log.contains('\u{1b}'), "{log:?}");
}

/// Seed 003: every part but the last holds at least 5 MiB, so a smaller part size is a usage
/// error before anything is sent (no server is even configured here).
#[test]
fn a_part_size_under_five_mib_is_refused_before_anything_is_sent() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("fw.bin");
    std::fs::write(&file, vec![7u8; 1024]).unwrap();
    let file = file.to_str().unwrap();
    for size in ["1", "4", "101"] {
        let out = cli(&[
            "--json",
            "upload",
            file,
            "--name",
            "fw",
            "--no-package",
            "--version",
            "2.0.0",
            "--type",
            "fw",
            "--device-type",
            "temp-sensor",
            "--min-version",
            "1.0.0",
            "--part-size-mib",
            size,
        ]);
        assert_eq!(out.status.code(), Some(2), "{size}: {}", stdout(&out));
        let doc: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
        assert_eq!(doc["error"]["code"], "INVALID_ARGUMENT");
        let message = doc["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("--part-size-mib") && message.contains("5..=100"),
            "{message}"
        );
    }
}
