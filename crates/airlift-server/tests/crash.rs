//! kill -9 at the worst moments, restart on the same data directory, and check that nothing
//! unverified became usable and that interrupted work can be resumed.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::*;
use serde_json::json;

fn files_under(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_owned()];
    while let Some(dir) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Waits until some file under `root` exists (the server has started writing).
async fn wait_for_file(root: &Path) {
    for _ in 0..200 {
        if !files_under(root).is_empty() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("no file appeared under {}", root.display());
}

#[tokio::test]
async fn kill_during_upload_then_resume() {
    let dir = tempdir();
    let server = Server::start(dir.path());
    let token = token(dir.path(), "acme", "release-manager");
    let api = Api::new(&server, &token);
    let job = api.create_job("crashy").await;
    let parts: Vec<Vec<u8>> = (0..4).map(|i| bytes(MIN_CHUNK, 100 + i)).collect();
    api.put_part(&job, 1, &parts[0]).await.expect(201);
    api.put_part(&job, 2, &parts[1]).await.expect(201);

    // Part 3 arrives slowly: 1 MiB, then the sender stalls; the server dies meanwhile.
    let slow = parts[2].clone();
    let stalled = {
        let api = api.clone();
        let job = job.clone();
        tokio::spawn(async move {
            let first = slow[..1024 * 1024].to_vec();
            let stream = futures_util::stream::unfold(0u8, move |state| {
                let first = first.clone();
                async move {
                    match state {
                        0 => Some((Ok::<_, std::io::Error>(first), 1)),
                        _ => {
                            tokio::time::sleep(Duration::from_secs(60)).await;
                            None
                        }
                    }
                }
            });
            let _ = api
                .req(
                    reqwest::Method::PUT,
                    &format!("/api/v1/ota/upload-jobs/{job}/chunks/3"),
                )
                .header("content-md5", content_md5(&slow))
                .body(reqwest::Body::wrap_stream(stream))
                .send()
                .await;
        })
    };
    let uploads = dir.path().join("objects/uploads");
    // Parts 1 and 2 are there (in place in the job's file); part 3, sent without a length,
    // is written to a file of its own: wait for that partial write to appear.
    let partial = |files: &[PathBuf]| {
        files
            .iter()
            .any(|f| f.file_name().unwrap().to_string_lossy().contains('#'))
    };
    for _ in 0..200 {
        if partial(&files_under(&uploads)) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(
        partial(&files_under(&uploads)),
        "{:?}",
        files_under(&uploads)
    );
    let held_files = files_under(&uploads).len() - 1;
    server.kill9();
    stalled.abort();

    // Restart: the job is resumable from what the server holds; the partial part is gone.
    let server = Server::start(dir.path());
    let api = Api::new(&server, &token);
    let job_body = api
        .get(&format!("/api/v1/ota/upload-jobs/{job}"))
        .await
        .expect(200);
    assert_eq!(job_body["status"], "in_progress");
    assert_eq!(job_body["chunk_count"], 2);
    let list = api
        .get(&format!("/api/v1/ota/upload-jobs/{job}/chunks"))
        .await
        .expect(200);
    let held: Vec<u64> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_u64().unwrap())
        .collect();
    assert_eq!(held, vec![1, 2]);
    // The partial write is gone; what holds parts 1 and 2 stays.
    assert!(
        !partial(&files_under(&uploads)),
        "{:?}",
        files_under(&uploads)
    );
    assert_eq!(
        files_under(&uploads).len(),
        held_files,
        "{:?}",
        files_under(&uploads)
    );

    api.put_part(&job, 3, &parts[2]).await.expect(201);
    api.put_part(&job, 4, &parts[3]).await.expect(201);
    api.post_chunk(&job, b"").await.expect(201);
    let job_body = api
        .get(&format!("/api/v1/ota/upload-jobs/{job}"))
        .await
        .expect(200);
    let image = api
        .get(&format!(
            "/api/v1/ota/images/{}",
            job_body["firmware_image_id"].as_str().unwrap()
        ))
        .await
        .expect(200);
    assert_eq!(image["datafile_checksum"], sha256_hex(&parts.concat()));
    assert!(
        files_under(&uploads).is_empty(),
        "parts are dropped once assembled"
    );
}

#[tokio::test]
async fn kill_during_package_verification() {
    let data = bytes(4 * 1024 * 1024, 200);
    let sha = sha256_hex(&data);
    let size = data.len() as u64;
    let slow = ArtifactHost::start(data.clone(), Some(Duration::from_secs(60))).await;
    let fast = ArtifactHost::start(data.clone(), None).await;
    let allow = [
        "--allow-artifact-host",
        &slow.addr.to_string(),
        "--allow-artifact-host",
        &fast.addr.to_string(),
    ]
    .map(str::to_owned);
    let allow: Vec<&str> = allow.iter().map(String::as_str).collect();

    let dir = tempdir();
    let server = Server::start_with(dir.path(), &allow);
    let admin_token = token(dir.path(), "acme", "admin");
    let admin = Api::new(&server, &admin_token);
    admin.require_signatures(false).await;

    let pending = {
        let admin = admin.clone();
        let uri = slow.url("/fw.bin");
        let sha = sha.clone();
        tokio::spawn(async move {
            admin
                .post(
                    "/api/v1/ota/packages",
                    package_body("5.0.0", &uri, &sha, size),
                )
                .await
        })
    };
    // The server is mid-download (half the bytes are in staging) when it dies.
    wait_for_file(&dir.path().join("objects/staging")).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        admin.get("/api/v1/ota/packages").await.expect(200)["data"],
        json!([]),
        "no package exists while it is being verified"
    );
    server.kill9();
    pending.abort();

    let server = Server::start_with(dir.path(), &allow);
    let admin = Api::new(&server, &admin_token);
    assert_eq!(
        admin.get("/api/v1/ota/packages").await.expect(200)["data"],
        json!([])
    );
    assert!(files_under(&dir.path().join("objects/staging")).is_empty());
    assert!(files_under(&dir.path().join("objects/firmware")).is_empty());

    // The same package can be published afterwards, and what is available is verified bytes.
    let pkg = admin
        .post(
            "/api/v1/ota/packages",
            package_body("5.0.0", &fast.url("/fw.bin"), &sha, size),
        )
        .await
        .expect(201);
    assert_eq!(pkg["status"], "available");
    for p in admin.get("/api/v1/ota/packages").await.expect(200)["data"]
        .as_array()
        .unwrap()
    {
        let tid = admin.get("/api/v1/tenant").await.expect(200)["tenant_id"]
            .as_str()
            .unwrap()
            .to_owned();
        let stored = dir.path().join(format!(
            "objects/firmware/{tid}/{}/{}.bin",
            p["version"].as_str().unwrap(),
            p["sha256"].as_str().unwrap()
        ));
        assert_eq!(
            sha256_hex(&std::fs::read(stored).unwrap()),
            p["sha256"].as_str().unwrap()
        );
    }
}

#[tokio::test]
async fn sigterm_shuts_down_gracefully_and_data_survives() {
    let dir = tempdir();
    let mut server = Server::start(dir.path());
    let token = token(dir.path(), "acme", "admin");
    let api = Api::new(&server, &token);
    let job = api.create_job("survivor").await;
    let status = std::process::Command::new("kill")
        .args(["-TERM", &server.pid().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = server
        .wait_timeout(Duration::from_secs(10))
        .expect("exits on SIGTERM");
    assert!(exit.success(), "{exit:?}");

    let server = Server::start(dir.path());
    let api = Api::new(&server, &token);
    api.get(&format!("/api/v1/ota/upload-jobs/{job}"))
        .await
        .expect(200);
}
