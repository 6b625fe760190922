//! A 2 GiB upload through the CLI, killed with SIGKILL midway and run again: the second run
//! resumes the same job, sends only the parts the server lacks, and the server's image has the
//! same SHA-256 as `sha256sum`.

mod common;
#[path = "../../airlift-desk/tests/support/mod.rs"]
mod support;

use std::fs::OpenOptions;
use std::io::{Seek as _, SeekFrom, Write as _};
use std::process::Stdio;
use std::time::{Duration, Instant};

use airlift_desk::cache::Cache;
use airlift_desk::client::ListParams;

const SIZE: u64 = 2 << 30;
const PART_MIB: u64 = 16;
const PARTS: u64 = SIZE / (PART_MIB << 20);

#[tokio::test(flavor = "multi_thread")]
async fn killed_upload_resumes_sending_only_missing_parts() {
    let data = support::tempdir();
    let server = support::Server::start(data.path());
    let token = server.token("acme", "release-manager");
    let admin = server.client("acme", "admin");
    let client = support::client_for(&server.base, Some(&token));
    let world = common::World::new(&server.base, &token);
    world.signing_key("release", Some(&admin)).await;

    // A sparse 2 GiB file with a few non-zero bytes, so every part's MD5 is not the same.
    let file = world.dir.path().join("firmware.bin");
    {
        let mut f = OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(true)
            .open(&file)
            .unwrap();
        f.set_len(SIZE).unwrap();
        for (i, offset) in [0, 1 << 20, 700 << 20, SIZE - 7].into_iter().enumerate() {
            f.seek(SeekFrom::Start(offset)).unwrap();
            f.write_all(format!("airlift{i}").as_bytes()[..7].as_ref())
                .unwrap();
        }
    }
    let file_arg = file.to_str().unwrap();
    let args = [
        "upload",
        file_arg,
        "--name",
        "temp-sensor-fw",
        "--version",
        "2.0.0",
        "--type",
        "fw",
        "--device-type",
        "temp-sensor",
        "--min-version",
        "1.0.0",
        "--key",
        "release",
        "--release-notes",
        "drift fix",
        "--part-size-mib",
        "16",
        "--parallel",
        "4",
    ];

    // First run: kill -9 once the server holds a few parts.
    let mut child = world
        .command(&args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(300);
    let job_id = loop {
        assert!(Instant::now() < deadline, "the upload never got going");
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the upload finished ({status}) before it could be interrupted");
        }
        let jobs = client.upload_jobs(&ListParams::default()).await.unwrap();
        if let Some(job) = jobs.data.first() {
            let held = client.all_upload_chunks(&job.id).await.unwrap().len();
            if held >= 6 {
                child.kill().unwrap(); // SIGKILL
                child.wait().unwrap();
                break job.id.clone();
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    // Parts that were mid-flight are dropped by the server; let it settle.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let held_before = client.all_upload_chunks(&job_id).await.unwrap().len() as u64;
    assert!(
        held_before < PARTS,
        "killed too late: all {PARTS} parts were there"
    );

    // The crash left the job in the cache.
    {
        let opened = Cache::open(&world.cache_path()).unwrap();
        let pending = opened.cache.pending_uploads().unwrap();
        assert_eq!(pending.len(), 1, "{pending:?}");
        assert_eq!(pending[0].job_id, job_id);
        assert_eq!(pending[0].size_bytes, SIZE);
        assert!(pending[0].file_mtime_ms.is_some());
    }

    // Second run: resumes and finishes.
    let (code, out, stderr) = world.run(&args);
    assert_eq!(code, 0, "{out}\n{stderr}");
    let upload = &out["upload"];
    assert_eq!(upload["job_id"], job_id.as_str());
    assert_eq!(upload["resumed"], true);
    let sent = upload["parts_sent"].as_u64().unwrap();
    let skipped = upload["parts_skipped"].as_u64().unwrap();
    assert_eq!(upload["parts_total"].as_u64(), Some(PARTS));
    assert_eq!(sent + skipped, PARTS);
    assert!(
        skipped >= held_before,
        "{skipped} skipped, server held {held_before}"
    );
    assert!(
        sent <= PARTS - held_before,
        "re-sent parts the server had: {sent} sent"
    );

    let expected = common::sha256sum(&file);
    assert_eq!(upload["sha256"], expected.as_str());
    assert_eq!(upload["image"]["datafile_checksum"], expected.as_str());
    assert_eq!(upload["image"]["datafile_size"].as_u64(), Some(SIZE));
    let image = client
        .image(upload["image"]["id"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(image.datafile_checksum, expected);

    let package = &out["package"];
    assert_eq!(package["checksum_verified"], true);
    assert!(package["signature_verified_with"].is_string(), "{package}");
    assert_eq!(package["package"]["status"], "available");
    assert_eq!(package["package"]["sha256"], expected.as_str());

    // Done: nothing pending any more.
    let opened = Cache::open(&world.cache_path()).unwrap();
    assert!(opened.cache.pending_uploads().unwrap().is_empty());
}
