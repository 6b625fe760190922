//! Images stored encrypted (seed 003's `datafile_encryption`), black-box through HTTP against
//! the real airliftd: no plain byte on disk at any step, packages verified over the plain bytes,
//! devices given what they need to decrypt each 64 KiB range alone, damage detected, a wrong
//! server key refused at start, and the server key rotated.

mod common;

use std::path::Path;
use std::process::Command;

use airlift_core::wire::AssignmentEncryption;
use airlift_device::decrypt::Decryption;
use common::ota::*;
use common::*;
use reqwest::Method;
use serde_json::{json, Value};

const BOUNDARY: &str = "airlift-enc-boundary";
/// Written at many places of the test firmware: it must never appear in any file.
const MARKER: &[u8] = b"PLAINTEXT-MARKER-7f3a9c";

/// Firmware with the marker every 10,000 bytes (so every 64 KiB segment holds some).
fn firmware(len: usize, seed: u64) -> Vec<u8> {
    let mut data = bytes(len, seed);
    let mut at = 0;
    while at + MARKER.len() <= len {
        data[at..at + MARKER.len()].copy_from_slice(MARKER);
        at += 10_000;
    }
    data
}

fn form(fields: &[(&str, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        let file = if *name == "datafile" {
            "; filename=\"fw.bin\""
        } else {
            ""
        };
        body.extend_from_slice(
            format!("Content-Disposition: form-data; name=\"{name}\"{file}\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(value);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

async fn upload(api: &Api, fields: &[(&str, &[u8])]) -> Resp {
    api.send(
        api.req(Method::POST, "/api/v1/ota/images")
            .header(
                "content-type",
                format!("multipart/form-data; boundary={BOUNDARY}"),
            )
            .body(form(fields)),
    )
    .await
}

/// Every file under `dir` that holds the marker (database, WAL, objects, temporary files).
fn files_with_marker(dir: &Path) -> Vec<String> {
    fn walk(dir: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if let Ok(data) = std::fs::read(&p) {
                if data.windows(MARKER.len()).any(|w| w == MARKER) {
                    out.push(p.display().to_string());
                }
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, &mut out);
    out
}

fn assert_no_plain(dir: &Path, step: &str) {
    let found = files_with_marker(dir);
    assert!(
        found.is_empty(),
        "plain bytes on disk after {step}: {found:?}"
    );
}

/// A device's whole download: every stored range, decrypted one by one (last first);
/// `alter` may change a range as it arrives (damage in transit, a range swapped).
async fn download_altered(
    d: &Device,
    package: &str,
    enc: &AssignmentEncryption,
    plain_size: u64,
    alter: impl Fn(u64, &mut Vec<u8>),
) -> Result<Vec<u8>, String> {
    let decryption = Decryption::from_assignment(enc, plain_size).map_err(|e| e.to_string())?;
    let segments = decryption.layout().segments();
    let mut plain = vec![Vec::new(); segments as usize];
    for i in (0..segments).rev() {
        let offset = i * 65536;
        let r = d.chunk(package, offset, 65536).await;
        assert!(r.status().is_success(), "chunk {i}: {}", r.status());
        let mut stored = r.bytes().await.unwrap().to_vec();
        alter(i, &mut stored);
        plain[i as usize] = decryption
            .decrypt_range(offset, &stored)
            .map_err(|e| format!("{}: {e}", e.code()))?;
    }
    Ok(plain.concat())
}

async fn download(
    d: &Device,
    package: &str,
    enc: &AssignmentEncryption,
    plain_size: u64,
) -> Result<Vec<u8>, String> {
    download_altered(d, package, enc, plain_size, |_, _| {}).await
}

fn failure(r: Result<Vec<u8>, String>) -> String {
    match r {
        Ok(bytes) => panic!(
            "{} bytes decrypted where a failure was expected",
            bytes.len()
        ),
        Err(e) => e,
    }
}

async fn assigned_encryption(d: &Device) -> (Value, AssignmentEncryption) {
    let a = d.ota().await.expect(200);
    let enc: AssignmentEncryption = serde_json::from_value(a["encryption"].clone()).unwrap();
    (a, enc)
}

#[tokio::test]
async fn encrypted_images_never_touch_disk_in_plain_and_devices_decrypt_each_range() {
    let f = fleet(2, &[]).await;
    let data_dir = f.dir.path();
    let plain = firmware(200_000, 5);
    assert!(!files_with_marker(data_dir).iter().any(|_| true));

    // The flag before the datafile; and after it (seed 003 lists it last): both encrypted.
    let first = upload(
        &f.rm,
        &[
            ("name", b"enc-1"),
            ("datafile_encryption", b"true"),
            ("datafile", &plain),
        ],
    )
    .await
    .expect(201);
    let later = upload(
        &f.rm,
        &[
            ("datafile", &plain),
            ("name", b"enc-2"),
            ("datafile_encryption", b"true"),
        ],
    )
    .await
    .expect(201);
    for image in [&first, &later] {
        assert_eq!(image["datafile_encryption"], true, "{image}");
        assert_eq!(image["datafile_size"], plain.len() as u64);
        assert_eq!(image["datafile_checksum"], sha256_hex(&plain));
        let id = image["id"].as_str().unwrap();
        let got =
            f.rm.get(&format!("/api/v1/ota/images/{id}"))
                .await
                .expect(200);
        assert_eq!(got["datafile_encryption"], true);
    }
    assert_no_plain(data_dir, "encrypted uploads");

    // A datafile sent before a `false` (or no) flag is written encrypted, then rewritten in plain.
    let plain_small = bytes(70_000, 9);
    let unflagged = upload(&f.rm, &[("datafile", &plain_small), ("name", b"plain-1")])
        .await
        .expect(201);
    assert_eq!(unflagged["datafile_encryption"], false);
    assert_eq!(unflagged["datafile_checksum"], sha256_hex(&plain_small));
    for odd in [&b"TRUE"[..], b" true", b"1"] {
        upload(
            &f.rm,
            &[
                ("name", b"odd"),
                ("datafile_encryption", odd),
                ("datafile", &plain),
            ],
        )
        .await
        .expect_error(400, "INVALID_ARGUMENT");
    }
    let bad = upload(
        &f.rm,
        &[
            ("name", b"x"),
            ("datafile_encryption", b"maybe"),
            ("datafile", &plain),
        ],
    )
    .await;
    bad.expect_error(400, "INVALID_ARGUMENT");

    // A package from it: verified over the plain bytes (a wrong checksum is refused), stored
    // encrypted.
    let uri = first["datafile"].as_str().unwrap();
    let wrong =
        f.rm.post(
            "/api/v1/ota/packages",
            package_body("3.0.0", uri, &sha256_hex(b"other"), plain.len() as u64),
        )
        .await;
    assert!(wrong.expect_error(400, "INVALID_ARGUMENT")["message"]
        .as_str()
        .unwrap()
        .contains("checksum"));
    let pkg =
        f.rm.post(
            "/api/v1/ota/packages",
            package_body("3.0.0", uri, &sha256_hex(&plain), plain.len() as u64),
        )
        .await
        .expect(201);
    assert_eq!(pkg["sha256"], sha256_hex(&plain));
    assert_eq!(pkg["size_bytes"], plain.len() as u64);
    let pkg_id = pkg["package_id"].as_str().unwrap().to_owned();
    assert_no_plain(data_dir, "package creation");
    // The image a package was made from cannot go (and its key with it).
    let id = first["id"].as_str().unwrap();
    f.rm.delete(&format!("/api/v1/ota/images/{id}"))
        .await
        .expect_error(409, "FAILED_PRECONDITION");

    // Devices: the assignment carries the key and layout; every range decrypts alone.
    let rollout = f
        .start(json!({"package_id": pkg_id, "target_profile_id": f.profile, "canary_percent": 100, "failure_threshold_percent": 50}))
        .await;
    assert!(rollout["rollout_id"].is_string());
    let d = &f.devices[0];
    let (a, enc) = assigned_encryption(d).await;
    assert_eq!(a["size_bytes"], plain.len() as u64, "{a}");
    assert_eq!(a["checksum"], sha256_hex(&plain));
    assert_eq!(enc.algorithm, "AES-256-GCM");
    assert_eq!(enc.nonce_scheme, "STREAM-BE32");
    assert_eq!(
        (enc.segment_bytes, enc.plain_segment_bytes, enc.tag_bytes),
        (65536, 65520, 16)
    );
    assert_eq!(enc.stored_size_bytes, 200_000 + 4 * 16);
    let got = download(d, &pkg_id, &enc, plain.len() as u64)
        .await
        .unwrap();
    assert_eq!(sha256_hex(&got), sha256_hex(&plain));
    assert_eq!(got, plain);
    // The chunk endpoint serves the stored length, and the stored bytes are not the plain ones.
    let tail = d.chunk(&pkg_id, 3 * 65536, 65536).await;
    assert_eq!(
        tail.headers()["content-range"],
        format!("bytes 196608-200063/200064")
    );
    assert_eq!(tail.headers()["x-ota-complete"], "true");
    assert_no_plain(data_dir, "device download");

    // A wrong key fails on the first segment, named; so does a segment altered in transit,
    // one moved to another place, and a download cut short.
    let mut wrong_key = enc.clone();
    wrong_key.key = base64_flip(&enc.key);
    let e = failure(download(d, &pkg_id, &wrong_key, plain.len() as u64).await);
    assert!(
        e.starts_with("DECRYPT_FAILED") && e.contains("segment 3"),
        "{e}"
    );
    let e = failure(
        download_altered(d, &pkg_id, &enc, plain.len() as u64, |i, b| {
            if i == 1 {
                b[100] ^= 1;
            }
        })
        .await,
    );
    assert!(
        e.starts_with("DECRYPT_FAILED") && e.contains("segment 1"),
        "{e}"
    );
    let decryption = Decryption::from_assignment(&enc, plain.len() as u64).unwrap();
    let pkg_ref = pkg_id.as_str();
    let seg = |i: u64| async move {
        d.chunk(pkg_ref, i * 65536, 65536)
            .await
            .bytes()
            .await
            .unwrap()
            .to_vec()
    };
    let (one, two) = (seg(1).await, seg(2).await);
    assert!(
        decryption.decrypt_range(65536, &two).is_err(),
        "segment 2 in place of 1"
    );
    assert_eq!(decryption.decrypt_range(65536, &one).unwrap().len(), 65520);
    let all: Vec<u8> = [seg(0).await, one, two, seg(3).await].concat();
    assert_eq!(decryption.decrypt_all(&all).unwrap(), plain);
    assert!(
        decryption.decrypt_all(&all[..3 * 65536]).is_err(),
        "cut after segment 2"
    );
    // The package's object at rest is the stored (encrypted) form, 64 bytes of tags longer.
    let stored = std::fs::read_dir(data_dir.join("objects/firmware"))
        .unwrap()
        .flatten()
        .flat_map(|t| std::fs::read_dir(t.path()).unwrap().flatten())
        .flat_map(|v| std::fs::read_dir(v.path()).unwrap().flatten())
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().ends_with(".enc"))
        .expect("the encrypted package object");
    assert_eq!(std::fs::read(&stored).unwrap(), all);
}

fn base64_flip(key: &str) -> String {
    use base64::Engine as _;
    let engine = base64::engine::general_purpose::STANDARD;
    let mut k = engine.decode(key).unwrap();
    k[0] ^= 0xFF;
    engine.encode(k)
}

#[tokio::test]
async fn a_wrong_server_key_stops_the_start_and_a_rotation_rewraps_every_image_key() {
    let f = fleet(1, &[]).await;
    let data_dir = f.dir.path().to_owned();
    let plain = firmware(100_000, 11);
    let image = upload(
        &f.rm,
        &[
            ("datafile_encryption", b"true"),
            ("name", b"enc"),
            ("datafile", &plain),
        ],
    )
    .await
    .expect(201);
    let uri = image["datafile"].as_str().unwrap();
    let pkg =
        f.rm.post(
            "/api/v1/ota/packages",
            package_body("3.0.0", uri, &sha256_hex(&plain), plain.len() as u64),
        )
        .await
        .expect(201)["package_id"]
            .as_str()
            .unwrap()
            .to_owned();
    f.start(json!({"package_id": pkg, "target_profile_id": f.profile, "canary_percent": 100, "failure_threshold_percent": 50}))
        .await;
    let d = f.devices[0].clone();
    let (_, before) = assigned_encryption(&d).await;
    let key_file = data_dir.join("encryption-key");
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(&key_file).unwrap().permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);
    let old_key_file = std::fs::read_to_string(&key_file).unwrap();
    drop(f.server);

    // Another key file: the server refuses to start, naming the problem.
    let other = data_dir.join("other-key");
    let out = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(&data_dir)
        .args(airlift_testkit::postgres::server_args(&data_dir))
        .arg("--encryption-key-file")
        .arg(&other)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("do not open with the server key file"),
        "{stderr}"
    );

    // Rotation: a new key, every image key re-wrapped, the old key gone from the file.
    let out = Command::new(BIN)
        .args(["rotate-encryption-key", "--data"])
        .arg(&data_dir)
        .args(airlift_testkit::postgres::server_args(&data_dir))
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("1 image key(s) re-wrapped"), "{said}");
    let new_key_file = std::fs::read_to_string(&key_file).unwrap();
    assert_ne!(new_key_file, old_key_file);
    let old_line = old_key_file.lines().find(|l| !l.starts_with('#')).unwrap();
    assert!(
        !new_key_file.contains(old_line),
        "the old key left the file"
    );

    // The restarted server hands out the same data key: the stored bytes still decrypt.
    let server = Server::start(&data_dir);
    let d = Device {
        id: d.id.clone(),
        api: Api::new(&server, &d.api.token),
    };
    let (_, after) = assigned_encryption(&d).await;
    assert_eq!(after, before);
    let got = download(&d, &pkg, &after, plain.len() as u64)
        .await
        .unwrap();
    assert_eq!(got, plain);
    // The old key file no longer opens the deployment's keys.
    std::fs::write(&other, &old_key_file).unwrap();
    drop(server);
    let out = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(&data_dir)
        .args(airlift_testkit::postgres::server_args(&data_dir))
        .arg("--encryption-key-file")
        .arg(&other)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(!out.status.success());
}

#[tokio::test]
async fn an_encrypted_upload_job_stores_parts_and_image_encrypted_in_any_order() {
    let f = fleet(1, &[]).await;
    let data_dir = f.dir.path().to_owned();
    // Seed 003's 5 MiB parts (the last one shorter).
    const PART: usize = 5 * 1024 * 1024;
    let plain = firmware(2 * PART + 100_000, 21);
    let job =
        f.rm.post(
            "/api/v1/ota/upload-jobs",
            json!({"name": "enc-job", "datafile_encryption": true}),
        )
        .await
        .expect(201);
    assert_eq!(job["datafile_encryption"], true, "{job}");
    let id = job["id"].as_str().unwrap().to_owned();
    // Parts out of order, one re-sent, one refused for a wrong MD5: nothing plain at any time.
    let parts: Vec<&[u8]> = plain.chunks(PART).collect();
    f.rm.put_part(&id, 3, parts[2]).await.expect(201);
    f.rm.put_part(&id, 1, parts[0]).await.expect(201);
    assert_no_plain(&data_dir, "two parts");
    f.rm.put_part(&id, 1, parts[0]).await.expect(200);
    let bad = f.rm.send(
        f.rm.req(
            Method::PUT,
            &format!("/api/v1/ota/upload-jobs/{id}/chunks/2"),
        )
        .header("content-md5", content_md5(b"other"))
        .body(parts[1].to_vec()),
    );
    bad.await.expect_error(400, "INVALID_ARGUMENT");
    f.rm.put_part(&id, 2, parts[1]).await.expect(201);
    let listed =
        f.rm.get(&format!("/api/v1/ota/upload-jobs/{id}/chunks"))
            .await
            .expect(200);
    let lengths: Vec<u64> = listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["length"].as_u64().unwrap())
        .collect();
    assert_eq!(
        lengths,
        [PART as u64, PART as u64, 100_000],
        "plain lengths"
    );
    assert_eq!(listed["data"][1]["hash"], hex_md5(parts[1]));
    assert_no_plain(&data_dir, "every part");
    f.rm.post_chunk(&id, b"").await.expect(201);
    let job =
        f.rm.get(&format!("/api/v1/ota/upload-jobs/{id}"))
            .await
            .expect(200);
    let image_id = job["firmware_image_id"].as_str().unwrap();
    let image =
        f.rm.get(&format!("/api/v1/ota/images/{image_id}"))
            .await
            .expect(200);
    assert_eq!(image["datafile_encryption"], true);
    assert_eq!(image["datafile_size"], plain.len() as u64);
    assert_eq!(image["datafile_checksum"], sha256_hex(&plain));
    assert_no_plain(&data_dir, "completion");

    // The package and a device's download, as for a single-shot image.
    let pkg =
        f.rm.post(
            "/api/v1/ota/packages",
            package_body(
                "3.1.0",
                image["datafile"].as_str().unwrap(),
                &sha256_hex(&plain),
                plain.len() as u64,
            ),
        )
        .await
        .expect(201)["package_id"]
            .as_str()
            .unwrap()
            .to_owned();
    f.start(
        json!({"package_id": pkg, "target_profile_id": f.profile, "canary_percent": 100,
                   "failure_threshold_percent": 50}),
    )
    .await;
    let d = &f.devices[0];
    let (_, enc) = assigned_encryption(d).await;
    assert_eq!(
        download(d, &pkg, &enc, plain.len() as u64).await.unwrap(),
        plain
    );
    assert_no_plain(&data_dir, "device download");

    // A job without the flag stays plain, and says so.
    let plain_job =
        f.rm.post("/api/v1/ota/upload-jobs", json!({"name": "plain-job"}))
            .await
            .expect(201);
    assert_eq!(plain_job["datafile_encryption"], false);
    f.rm.post(
        "/api/v1/ota/upload-jobs",
        json!({"name": "x", "datafile_encryption": "yes"}),
    )
    .await
    .expect_error(400, "INVALID_ARGUMENT");
}

fn hex_md5(data: &[u8]) -> String {
    use base64::Engine as _;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(content_md5(data))
        .unwrap();
    raw.iter().map(|b| format!("{b:02x}")).collect()
}
