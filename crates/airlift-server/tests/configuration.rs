//! `airliftd serve`'s configuration: a TOML file, `AIRLIFT_*` variables and flags, a flag
//! beating the environment beating the file; unknown keys and bad values stop the server with
//! a message naming them (exit code 2); `airliftd config check`.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;

fn write(dir: &Path, text: &str) -> std::path::PathBuf {
    let path = dir.join("airliftd.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// The `--max-images` the server runs with, as `GET /api/v1/tenant` shows it.
async fn max_images(server: &Server) -> u64 {
    Api::for_tenant(server, "acme", "admin")
        .get("/api/v1/tenant")
        .await
        .expect(200)["images"]["max"]
        .as_u64()
        .unwrap()
}

#[tokio::test]
async fn a_flag_beats_the_environment_which_beats_the_file() {
    let dir = tempdir();
    let file = write(dir.path(), "max-images = 7\ndevice-timeout = \"2h\"\n");
    let file = file.to_str().unwrap();

    let server = Server::start_with(dir.path(), &["--config", file]);
    assert_eq!(max_images(&server).await, 7, "the file");
    drop(server);

    let env = [("AIRLIFT_MAX_IMAGES", "8")];
    let server = Server::start_with_env(dir.path(), &["--config", file], &env);
    assert_eq!(
        max_images(&server).await,
        8,
        "the environment beats the file"
    );
    drop(server);

    let server = Server::start_with_env(dir.path(), &["--config", file, "--max-images", "9"], &env);
    assert_eq!(max_images(&server).await, 9, "a flag beats both");
    drop(server);

    // The file may also be named by AIRLIFTD_CONFIG; AIRLIFT_CONFIG is airlift-cli's file,
    // never read by the server.
    let server = Server::start_with_env(
        dir.path(),
        &[],
        &[
            ("AIRLIFTD_CONFIG", file),
            ("AIRLIFT_CONFIG", "/nonexistent/cli.toml"),
        ],
    );
    assert_eq!(max_images(&server).await, 7);
}

/// Runs `airliftd serve` expecting it to refuse its configuration: exit code 2, nothing on
/// stdout, and the message.
fn refused(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> String {
    let out = Command::new(BIN)
        .args(["serve", "--data"])
        .arg(dir)
        .args(["--listen", "127.0.0.1:0"])
        .args(args)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(out.stdout.is_empty(), "it started: {out:?}");
    String::from_utf8(out.stderr).unwrap()
}

#[test]
fn unknown_keys_and_bad_values_are_named() {
    let dir = tempdir();
    let data = dir.path().join("data");
    let file = write(dir.path(), "max_images = 5\n");
    let e = refused(&data, &["--config", file.to_str().unwrap()], &[]);
    assert!(e.contains("unknown key `max_images`"), "{e}");
    assert!(e.contains("did you mean `max-images`"), "{e}");
    assert!(e.contains(file.to_str().unwrap()), "names the file: {e}");

    let file = write(
        dir.path(),
        "listen = \"127.0.0.1:0\"\nmax-images = \"many\"\n",
    );
    let e = refused(&data, &["--config", file.to_str().unwrap()], &[]);
    assert!(e.contains("key `max-images`") && e.contains("many"), "{e}");

    let file = write(dir.path(), "download-url-ttl = \"30d\"\n");
    let e = refused(&data, &["--config", file.to_str().unwrap()], &[]);
    assert!(
        e.contains("key `download-url-ttl`") && e.contains("1s..7d"),
        "{e}"
    );

    let e = refused(&data, &[], &[("AIRLIFT_MAX_IMAGES", "0")]);
    assert!(e.contains("AIRLIFT_MAX_IMAGES"), "names the variable: {e}");

    let e = refused(
        &data,
        &[
            "--config",
            dir.path().join("missing.toml").to_str().unwrap(),
        ],
        &[],
    );
    assert!(e.contains("missing.toml"), "{e}");

    let file = write(dir.path(), "max-images = \n");
    let e = refused(&data, &["--config", file.to_str().unwrap()], &[]);
    assert!(e.contains("not valid TOML"), "{e}");

    assert!(!data.exists(), "a refused configuration creates nothing");
}

#[test]
fn config_check_says_what_a_file_sets_or_what_is_wrong() {
    let dir = tempdir();
    let good = write(
        dir.path(),
        "listen = \"0.0.0.0:8443\"\nallow-artifact-host = [\"a.example\", \"b.example:81\"]\n",
    );
    let out = Command::new(BIN)
        .args(["config", "check"])
        .arg(&good)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains("ok") && stdout.contains("allow-artifact-host"),
        "{stdout}"
    );

    let bad = write(dir.path(), "listen = \"nowhere\"\n");
    let out = Command::new(BIN)
        .args(["config", "check"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("key `listen`") && stderr.contains("nowhere"),
        "{stderr}"
    );
}

/// `airliftd token` reads the deployment's `data` from the same file, ignoring serve-only keys.
#[test]
fn token_reads_the_data_directory_from_the_file() {
    let dir = tempdir();
    let data = dir.path().join("deployment");
    let file = write(
        dir.path(),
        &format!(
            "data = {:?}\nlisten = \"127.0.0.1:0\"\n",
            data.to_str().unwrap()
        ),
    );
    let out = Command::new(BIN)
        .args([
            "token", "--create", "--tenant", "acme", "--role", "admin", "--config",
        ])
        .arg(&file)
        .args(airlift_testkit::postgres::server_args(&data))
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8(out.stdout).unwrap().lines().count(), 1);
    assert!(data.exists(), "the deployment is where the file says");
}
