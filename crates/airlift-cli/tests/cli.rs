//! Exit codes and `--json` shapes of airlift-cli, against a real airliftd.

mod common;
#[path = "../../airlift-desk/tests/support/proxy.rs"]
mod proxy;
#[path = "../../airlift-desk/tests/support/mod.rs"]
mod support;

use std::process::Command;

use common::World;

fn small_file(world: &World, name: &str, len: usize) -> String {
    let path = world.dir.path().join(name);
    let bytes: Vec<u8> = (0..len).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(&path, bytes).unwrap();
    path.to_str().unwrap().to_owned()
}

fn upload_args<'a>(file: &'a str, version: &'a str, key: Option<&'a str>) -> Vec<&'a str> {
    let mut args = vec![
        "upload",
        file,
        "--name",
        "fw",
        "--version",
        version,
        "--type",
        "fw",
        "--device-type",
        "temp-sensor",
        "--min-version",
        "1.0.0",
        "--part-size-mib",
        "5",
    ];
    if let Some(key) = key {
        args.extend(["--key", key]);
    }
    args
}

#[test]
fn hash_prints_size_and_sha256() {
    let world = World::new("http://127.0.0.1:9", "t");
    let file = small_file(&world, "a.bin", 3 << 20);
    let (code, out, _) = world.run(&["hash", &file]);
    assert_eq!(code, 0);
    assert_eq!(out["size_bytes"], 3 << 20);
    assert_eq!(
        out["sha256"],
        common::sha256sum(std::path::Path::new(&file)).as_str()
    );
    assert_eq!(out["path"], file.as_str());
}

#[test]
fn usage_errors_exit_2() {
    let out = Command::new(common::CLI).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = Command::new(common::CLI)
        .args(["upload", "x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "missing --name etc.");
    let world = World::new("http://127.0.0.1:9", "t");
    let (code, out, _) = world.run(&["hash", "/nonexistent/file.bin"]);
    assert_eq!(code, 2);
    assert_eq!(out["error"]["code"], "INVALID_ARGUMENT");
    assert!(out["error"]["message"]
        .as_str()
        .unwrap()
        .contains("/nonexistent/file.bin"));
    let out = Command::new(common::CLI).arg("--help").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn unreachable_server_exits_3_for_writes_and_reads_answer_from_the_cache() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let world = World::new(
        &format!("http://127.0.0.1:{port}"),
        &common::unsigned_token("tenant-1"),
    );
    let file = small_file(&world, "a.bin", 1000);
    let (code, out, _) = world.run(&upload_args(&file, "1.0.0", None));
    assert_eq!(code, 3, "{out}");
    assert_eq!(out["error"]["code"], "OFFLINE");
    let (code, out, _) = world.run(&["package", "list"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(out["fresh"], false);
    assert_eq!(out["age_secs"], serde_json::Value::Null, "never synced");
    assert!(out["offline_reason"]
        .as_str()
        .unwrap()
        .contains("cannot reach"));
    assert_eq!(out["packages"], serde_json::json!([]));
}

#[tokio::test(flavor = "multi_thread")]
async fn refusals_exit_4_and_are_found_before_the_first_byte() {
    let data = support::tempdir();
    let server = support::Server::start(data.path());
    let token = server.token("acme", "release-manager");
    let admin = server.client("acme", "admin");

    let stranger = World::new(&server.base, "not-a-token");
    let (code, out, _) = stranger.run(&["package", "list"]);
    assert_eq!(code, 4, "{out}");
    assert_eq!(out["error"]["code"], "UNAUTHENTICATED");

    let world = World::new(&server.base, &token);
    world.signing_key("release", Some(&admin)).await;
    // A key the tenant does not know, no key on a tenant that requires signatures, a version
    // that is not semver: each refused before anything is uploaded.
    world.signing_key("rogue", None).await;
    let file = small_file(&world, "fw.bin", (2 << 20) + 5);
    let (code, out, stderr) = world.run(&upload_args(&file, "1.0.0", Some("rogue")));
    assert_eq!(code, 4, "{out} {stderr}");
    assert_eq!(out["error"]["code"], "FAILED_PRECONDITION");
    assert!(out["error"]["message"]
        .as_str()
        .unwrap()
        .contains("not registered"));
    let (code, out, _) = world.run(&upload_args(&file, "1.0.0", None));
    assert_eq!(code, 4, "{out}");
    assert!(out["error"]["message"]
        .as_str()
        .unwrap()
        .contains("requires signed packages"));
    let (code, out, _) = world.run(&upload_args(&file, "banana", Some("release")));
    assert_eq!(code, 4, "{out}");
    assert_eq!(out["error"]["code"], "INVALID_ARGUMENT");
    let mut spaced = upload_args(&file, "1.0.0", Some("release"));
    spaced[9] = "temp sensor";
    let (code, out, _) = world.run(&spaced);
    assert_eq!(code, 4, "{out}");
    assert!(out["error"]["message"]
        .as_str()
        .unwrap()
        .contains("--device-type"));
    assert!(admin
        .images(&Default::default())
        .await
        .unwrap()
        .data
        .is_empty());
    let jobs = admin.upload_jobs(&Default::default()).await.unwrap();
    assert!(jobs.data.is_empty(), "no upload was even started");

    // An image without its package (`--no-package`), packaged afterwards.
    let mut args = upload_args(&file, "1.0.0", None);
    args.push("--no-package");
    let (code, out, stderr) = world.run(&args);
    assert_eq!(code, 0, "{out} {stderr}");
    let images = admin.images(&Default::default()).await.unwrap();
    assert_eq!(images.data.len(), 1);
    let image_id = images.data[0].id.clone();
    let (code, out, stderr) = world.run(&[
        "package",
        "create",
        "--image",
        &image_id,
        "--version",
        "1.0.0",
        "--type",
        "fw",
        "--device-type",
        "temp-sensor",
        "--min-version",
        "1.0.0",
        "--key",
        "release",
    ]);
    assert_eq!(code, 0, "{out} {stderr}");
    let published = &out["package"];
    assert_eq!(published["checksum_verified"], true);
    assert!(published["signature_verified_with"].is_string());
    assert_eq!(published["package"]["version"], "1.0.0");
    assert_eq!(
        published["package"]["artifact_uri"],
        images.data[0].datafile.as_str()
    );

    // The same command again (a rerun pipeline step): the package it made, nothing new.
    let again = [
        "package",
        "create",
        "--image",
        &image_id,
        "--version",
        "1.0.0",
        "--type",
        "fw",
        "--device-type",
        "temp-sensor",
        "--min-version",
        "1.0.0",
        "--key",
        "release",
    ];
    let (code, out, _) = world.run(&again);
    assert_eq!(code, 0, "{out}");
    assert_eq!(out["already_published"], true);
    assert_eq!(
        out["package"]["package"]["package_id"],
        published["package"]["package_id"]
    );

    // The same version from other bytes: ALREADY_EXISTS → 4, before any byte is sent.
    let other = small_file(&world, "other.bin", 4096);
    let (code, out, _) = world.run(&upload_args(&other, "1.0.0", Some("release")));
    assert_eq!(code, 4, "{out}");
    assert_eq!(out["error"]["code"], "ALREADY_EXISTS");
    assert_eq!(
        admin.images(&Default::default()).await.unwrap().data.len(),
        1
    );

    // Upload + package in one go, then the list and sync shapes.
    let file2 = small_file(&world, "fw2.bin", 11 << 20);
    let (code, out, stderr) = world.run(&upload_args(&file2, "1.1.0", Some("release")));
    assert_eq!(code, 0, "{out} {stderr}");
    assert_eq!(out["upload"]["resumed"], false);
    assert_eq!(out["upload"]["parts_total"], 3);
    assert_eq!(out["upload"]["parts_sent"], 3);
    assert_eq!(out["package"]["package"]["version"], "1.1.0");

    let (code, out, _) = world.run(&["package", "list"]);
    assert_eq!(code, 0);
    assert_eq!(out["fresh"], true);
    assert_eq!(out["age_secs"], 0);
    assert_eq!(out["packages"].as_array().unwrap().len(), 2);
    assert_eq!(out["packages"][0]["signature_status"], "verified");

    // `package list` synced the catalog already: this sync asks only for changes.
    let (code, out, _) = world.run(&["sync"]);
    assert_eq!(code, 0);
    assert_eq!(out["packages"]["incremental"], true);
    assert_eq!(out["packages"]["listed"], 0);
    assert_eq!(out["rollouts"]["listed"], 0);
    assert_eq!(out["devices"]["listed"], 0);

    // --encrypt: the server stores the image and the package encrypted, and says so.
    let file3 = small_file(&world, "fw3.bin", 6 << 20);
    let mut encrypted = upload_args(&file3, "1.2.0", Some("release"));
    encrypted.push("--encrypt");
    let (code, out, stderr) = world.run(&encrypted);
    assert_eq!(code, 0, "{out} {stderr}");
    assert_eq!(out["upload"]["image"]["datafile_encryption"], true, "{out}");
    assert_eq!(
        out["package"]["package"]["datafile_encryption"], true,
        "{out}"
    );

    // A support user may read but not upload: 403 → 4.
    let reader = World::new(&server.base, &server.token("acme", "support"));
    let (code, out, _) = reader.run(&upload_args(&file2, "1.3.0", None));
    assert_eq!(code, 4, "{out}");
    assert_eq!(out["error"]["code"], "PERMISSION_DENIED");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_package_step_names_its_image_and_the_command_that_finishes_it() {
    let data = support::tempdir();
    let server = support::Server::start(data.path());
    let admin = server.client("acme", "admin");
    let token = server.token("acme", "release-manager");
    // Build A goes through a slow link (1 MiB/s): it passes the checks, then uploads for a few
    // seconds; meanwhile build B of the same version is published directly. A's package step
    // is then refused, after its upload.
    let proxy = proxy::Proxy::start(&server.base).await;
    proxy.throttle(1 << 20);
    let slow = World::new(&proxy.base, &token);
    slow.signing_key("release", Some(&admin)).await;
    let fast = World::new(&server.base, &token);
    // The same key in B's key folder.
    std::fs::create_dir_all(fast.keys_dir()).unwrap();
    for entry in std::fs::read_dir(slow.keys_dir()).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), fast.keys_dir().join(entry.file_name())).unwrap();
    }
    let a = small_file(&slow, "a.bin", 4 << 20);
    let mut a_args = upload_args(&a, "3.0.0", Some("release"));
    a_args.extend(["--parallel", "1"]);
    let running = slow.command(&a_args).spawn_output();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while admin
        .upload_jobs(&Default::default())
        .await
        .unwrap()
        .data
        .is_empty()
    {
        assert!(
            std::time::Instant::now() < deadline,
            "upload A never started"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let b = small_file(&fast, "b.bin", 1000);
    let (code, out, err) = fast.run(&upload_args(&b, "3.0.0", Some("release")));
    assert_eq!(code, 0, "{out} {err}");

    let (code, out, stderr) = common::parse(running.wait());
    assert_eq!(code, 4, "{out} {stderr}");
    assert_eq!(out["error"]["code"], "ALREADY_EXISTS");
    let image_id = out["error"]["image_id"].as_str().unwrap();
    let finish = out["error"]["finish_command"].as_str().unwrap();
    assert!(
        finish.starts_with(&format!(
            "airlift-cli package create --image {image_id} --version 3.0.0 "
        )),
        "{finish}"
    );
    assert!(finish.ends_with("--key release"), "{finish}");

    // The image is listed without a package; the printed command, with a new version, makes it.
    let (code, out, _) = fast.run(&["image", "list"]);
    assert_eq!(code, 0);
    let unpackaged: Vec<_> = out["images"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["packaged"] == false)
        .collect();
    assert_eq!(unpackaged.len(), 1, "{out}");
    assert_eq!(unpackaged[0]["image"]["id"], image_id);
    let args: Vec<String> = finish
        .replace("3.0.0 ", "3.0.1 ")
        .split_whitespace()
        .skip(1)
        .map(str::to_owned)
        .collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, out, err) = fast.run(&args);
    assert_eq!(code, 0, "{out} {err}");
    assert_eq!(out["package"]["package"]["version"], "3.0.1");
    let (_, out, _) = fast.run(&["image", "list"]);
    assert!(out["images"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["packaged"] == true));

    // A packaged image stays (the refusal names why); an image left without a package goes.
    let (code, out, err) = fast.run(&["image", "delete", image_id]);
    assert_eq!(code, 4, "{out} {err}");
    assert_eq!(out["error"]["code"], "FAILED_PRECONDITION", "{out}");
    let c = small_file(&fast, "c.bin", 1000);
    let mut args = upload_args(&c, "4.0.0", Some("release"));
    args.push("--no-package");
    let (code, out, err) = fast.run(&args);
    assert_eq!(code, 0, "{out} {err}");
    let (_, out, _) = fast.run(&["image", "list"]);
    let spare = out["images"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["packaged"] == false)
        .and_then(|i| i["image"]["id"].as_str())
        .unwrap_or_else(|| panic!("the --no-package image is listed unpackaged: {out}"))
        .to_owned();
    let (code, out, err) = fast.run(&["image", "delete", &spare]);
    assert_eq!(code, 0, "{out} {err}");
    assert_eq!(out["deleted"], spare.as_str());
    let (_, out, _) = fast.run(&["image", "list"]);
    let ids: Vec<&str> = out["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["image"]["id"].as_str().unwrap())
        .collect();
    assert!(!ids.contains(&spare.as_str()), "{out}");
    assert!(ids.contains(&image_id), "{out}");
}

/// A started child whose output is collected later.
trait SpawnOutput {
    fn spawn_output(&mut self) -> Running;
}

struct Running(std::process::Child);

impl Running {
    fn wait(self) -> std::process::Output {
        self.0.wait_with_output().unwrap()
    }
}

impl SpawnOutput for Command {
    fn spawn_output(&mut self) -> Running {
        Running(
            self.stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap(),
        )
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn watch_ends_with_exit_4_when_the_server_refuses_its_token() {
    let data = support::tempdir();
    let server = support::Server::start(data.path());
    let token = server.token("acme", "support");
    server.airliftd(&["token-revoke", "--all", "--tenant", "acme"]);
    let world = World::new(&server.base, &token);
    let mut child = world
        .command(&["watch"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // It used to reconnect forever; a refused token is not asked about again.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("watch kept going with a refused token");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(4), "{out:?}");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["error"]["code"], "UNAUTHENTICATED", "{doc}");
    assert!(
        doc["error"]["message"]
            .as_str()
            .unwrap()
            .contains("revoked"),
        "{doc}"
    );
}
