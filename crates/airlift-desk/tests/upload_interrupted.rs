//! Uploads that stop midway, against the real `airliftd` on loopback behind a TCP proxy that
//! counts what the client sends and can cut the link:
//!
//! * cancel: the token stops the sending at once; the job stays resumable (the cache keeps it,
//!   the server keeps its whole parts); resuming sends only the missing parts; `discard` (the
//!   wizard's "Cancel upload") deletes the job and its parts; never is a package or image made.
//! * network loss: the upload fails `OFFLINE`, the job stays in the cache, and once the link is
//!   back the resume sends only the parts the server lacks; the image's SHA-256 is the file's.

#[path = "support/proxy.rs"]
mod proxy;
mod support;

use std::fs::OpenOptions;
use std::io::{Seek as _, SeekFrom, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use airlift_core::wire::UploadJobStatus;
use airlift_desk::cache::Cache;
use airlift_desk::client::{Client, ListParams};
use airlift_desk::upload::{discard, upload_file, UploadRequest};
use airlift_desk::{CancelToken, DeskErrorCode};

const CONN: &str = "test-connection";
/// Seed 003's smallest part but the last.
const PART: u64 = 5 << 20;
const PARTS: u64 = 40;
const SIZE: u64 = PARTS * PART - 12_345; // the last part is short
/// Request lines and headers of one part's PUT, generously.
const PER_REQUEST_OVERHEAD: u64 = 2048;

/// A sparse file with a few marks, so parts differ (and a wrong part would change the hash).
fn sparse_file(dir: &Path) -> PathBuf {
    let path = dir.join("firmware.bin");
    let mut f = OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(true)
        .open(&path)
        .unwrap();
    f.set_len(SIZE).unwrap();
    for i in 0..PARTS {
        f.seek(SeekFrom::Start(i * PART + i * 977)).unwrap();
        f.write_all(format!("part {i} of airlift").as_bytes())
            .unwrap();
    }
    path
}

fn sha256sum(path: &Path) -> String {
    let out = std::process::Command::new("sha256sum")
        .arg(path)
        .output()
        .expect("run sha256sum");
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

/// The parts the server holds for `job_id`: (count, bytes).
async fn held_parts(server: &Client, job_id: &str) -> (u64, u64) {
    let chunks = server.all_upload_chunks(job_id).await.unwrap();
    (
        chunks.len() as u64,
        chunks.iter().map(|c| c.length).sum::<u64>(),
    )
}

/// Waits until no client bytes crossed the link for half a second; returns the count.
async fn quiet(link: &proxy::Proxy) -> u64 {
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    loop {
        let before = link.sent_bytes();
        tokio::time::sleep(Duration::from_millis(500)).await;
        if link.sent_bytes() == before {
            return before;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the client never stopped sending"
        );
    }
}

fn open_cache(dir: &Path) -> Mutex<Cache> {
    Mutex::new(Cache::open(&dir.join("cache.sqlite3")).unwrap().cache)
}

fn request(file: &Path) -> UploadRequest {
    let mut req = UploadRequest::new(file, "temp-sensor-3.0.0");
    req.part_size = PART;
    req.parallel = 2;
    req
}

/// Nothing half-made: no package and no firmware image exist on the server.
async fn assert_nothing_published(server: &Client) {
    let packages = server.packages(&ListParams::default()).await.unwrap();
    assert!(packages.data.is_empty(), "{:?}", packages.data);
    let images = server.images(&ListParams::default()).await.unwrap();
    assert!(images.data.is_empty(), "{:?}", images.data);
}

#[tokio::test(flavor = "multi_thread")]
async fn cancel_stops_sending_and_leaves_a_resumable_job_that_discard_removes() {
    let data = support::tempdir();
    let server_process = support::Server::start(data.path());
    let token = server_process.token("acme", "release-manager");
    // The test's own view of the server, not through the proxy.
    let server = support::client_for(&server_process.base, Some(&token));
    let link = proxy::Proxy::start(&server_process.base).await;
    let client = support::client_for(&link.base, Some(&token));
    let dir = support::tempdir();
    let cache = open_cache(dir.path());
    let file = sparse_file(dir.path());
    // A link of 32 MiB/s per connection: the upload takes seconds, so the cancel lands midway.
    link.throttle(32 << 20);

    // Cancel once four parts are on the server, from the progress callback (as the UI's
    // Pause/Cancel buttons do from another thread).
    let cancel = CancelToken::new();
    let on_progress = {
        let cancel = cancel.clone();
        move |p: &airlift_desk::upload::UploadProgress| {
            if p.parts_done >= 4 {
                cancel.cancel();
            }
        }
    };
    let err = upload_file(&client, &cache, CONN, &request(&file), cancel, &on_progress)
        .await
        .expect_err("cancelled");
    assert_eq!(err.code(), DeskErrorCode::Cancelled, "{err}");

    // Sending stopped with the call: what was already written to the sockets of the parts in
    // flight drains through the slow link, then nothing: no part starts after the cancel.
    let sent_at_return = link.sent_bytes();
    let job_id = cache.lock().unwrap().pending_uploads().unwrap()[0]
        .job_id
        .clone();
    let parts_at_return = server.all_upload_chunks(&job_id).await.unwrap().len() as u64;
    let sent = quiet(&link).await;
    eprintln!("cancel: {sent_at_return} bytes sent at return, {sent} once quiet");
    assert!(
        sent - sent_at_return <= 2 * PART,
        "{} bytes sent after the cancel returned",
        sent - sent_at_return
    );
    assert!(sent < SIZE / 2, "cancel came too late: {sent} bytes sent");
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(link.sent_bytes(), sent, "still sending after the cancel");

    // The job is left resumable: in the cache, open on the server, only whole parts held.
    let pending = cache.lock().unwrap().pending_uploads().unwrap();
    assert_eq!(pending.len(), 1, "{pending:?}");
    assert_eq!(pending[0].job_id, job_id);
    let job = server.upload_job(&job_id).await.unwrap();
    assert!(
        !matches!(
            job.status,
            UploadJobStatus::Completed | UploadJobStatus::Completing
        ),
        "{job:?}"
    );
    let held = server.all_upload_chunks(&job_id).await.unwrap();
    assert!(
        (4..PARTS as usize).contains(&held.len()),
        "{} parts held",
        held.len()
    );
    // At most the two parts that were in flight completed after the return.
    assert!(
        held.len() as u64 <= parts_at_return + 2,
        "{} parts held, {parts_at_return} at the return",
        held.len()
    );
    for chunk in &held {
        let expected = if u64::from(chunk.id) == PARTS {
            SIZE - (PARTS - 1) * PART
        } else {
            PART
        };
        assert_eq!(chunk.length, expected, "part {} is not whole", chunk.id);
    }
    assert_nothing_published(&server).await;

    // Cancel for good: the job and its parts go, and so does the cache's record.
    let removed = discard(&client, &cache, &file).await.unwrap();
    assert_eq!(removed, 1);
    let gone = server.upload_job(&job_id).await.expect_err("job deleted");
    assert_eq!(gone.code(), DeskErrorCode::NotFound);
    assert!(cache.lock().unwrap().pending_uploads().unwrap().is_empty());
    assert_nothing_published(&server).await;

    // The same file later starts from scratch, on a new job.
    link.throttle(0);
    let uploaded = upload_file(
        &client,
        &cache,
        CONN,
        &request(&file),
        CancelToken::new(),
        &|_| {},
    )
    .await
    .unwrap();
    assert!(!uploaded.resumed);
    assert_ne!(uploaded.job_id, job_id);
    assert_eq!(uploaded.parts_sent as u64, PARTS);
    assert_eq!(uploaded.image.datafile_checksum, sha256sum(&file));
}

#[tokio::test(flavor = "multi_thread")]
async fn cancelled_upload_resumes_sending_only_the_missing_parts() {
    let data = support::tempdir();
    let server_process = support::Server::start(data.path());
    let token = server_process.token("acme", "release-manager");
    let server = support::client_for(&server_process.base, Some(&token));
    let link = proxy::Proxy::start(&server_process.base).await;
    let client = support::client_for(&link.base, Some(&token));
    let dir = support::tempdir();
    let cache = open_cache(dir.path());
    let file = sparse_file(dir.path());
    link.throttle(32 << 20);

    let cancel = CancelToken::new();
    let on_progress = {
        let cancel = cancel.clone();
        move |p: &airlift_desk::upload::UploadProgress| {
            if p.parts_done >= 10 {
                cancel.cancel();
            }
        }
    };
    let err = upload_file(&client, &cache, CONN, &request(&file), cancel, &on_progress)
        .await
        .expect_err("cancelled");
    assert_eq!(err.code(), DeskErrorCode::Cancelled);
    let job_id = cache.lock().unwrap().pending_uploads().unwrap()[0]
        .job_id
        .clone();
    quiet(&link).await;
    let (held, held_bytes) = held_parts(&server, &job_id).await;
    assert!((10..PARTS).contains(&held), "{held} parts held");

    link.throttle(0);
    link.reset_sent_bytes();
    let uploaded = upload_file(
        &client,
        &cache,
        CONN,
        &request(&file),
        CancelToken::new(),
        &|_| {},
    )
    .await
    .unwrap();
    assert!(uploaded.resumed);
    assert_eq!(uploaded.job_id, job_id);
    assert_eq!(u64::from(uploaded.parts_skipped), held);
    assert_eq!(u64::from(uploaded.parts_sent), PARTS - held);
    let missing_bytes = SIZE - held_bytes;
    let sent = link.sent_bytes();
    assert!(
        sent >= missing_bytes && sent < missing_bytes + 64 * PER_REQUEST_OVERHEAD,
        "resume sent {sent} bytes for {missing_bytes} missing"
    );
    let expected = sha256sum(&file);
    assert_eq!(uploaded.sha256, expected);
    assert_eq!(uploaded.image.datafile_checksum, expected);
    assert_eq!(uploaded.image.datafile_size, SIZE);
    assert!(cache.lock().unwrap().pending_uploads().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn network_loss_fails_offline_keeps_the_job_and_resumes_only_missing_parts() {
    let data = support::tempdir();
    let server_process = support::Server::start(data.path());
    let token = server_process.token("acme", "release-manager");
    let server = support::client_for(&server_process.base, Some(&token));
    let link = proxy::Proxy::start(&server_process.base).await;
    let client = support::client_for(&link.base, Some(&token));
    let dir = support::tempdir();
    let cache = open_cache(dir.path());
    let file = sparse_file(dir.path());

    // The link goes down once six parts are on the server, with two more in flight.
    let on_progress = |p: &airlift_desk::upload::UploadProgress| {
        if p.parts_done >= 6 {
            link.cut();
        }
    };
    let err = upload_file(
        &client,
        &cache,
        CONN,
        &request(&file),
        CancelToken::new(),
        &on_progress,
    )
    .await
    .expect_err("the link is down");
    assert_eq!(err.code(), DeskErrorCode::Offline, "{err}");
    assert!(err.message().contains("cannot reach the server"), "{err}");

    // The job stays in the cache, with the parts the server acknowledged.
    let pending = cache.lock().unwrap().pending_uploads().unwrap();
    assert_eq!(pending.len(), 1, "{pending:?}");
    let job_id = pending[0].job_id.clone();
    assert!(pending[0].parts_acknowledged.len() >= 6, "{pending:?}");
    let held = server.all_upload_chunks(&job_id).await.unwrap();
    assert!((held.len() as u64) < PARTS, "all parts arrived");
    for number in &pending[0].parts_acknowledged {
        assert!(
            held.iter().any(|c| c.id == *number),
            "part {number} acknowledged but not on the server"
        );
    }
    assert_nothing_published(&server).await;

    // While the link is down, a resume fails the same way and loses nothing.
    let err = upload_file(
        &client,
        &cache,
        CONN,
        &request(&file),
        CancelToken::new(),
        &|_| {},
    )
    .await
    .expect_err("still down");
    assert_eq!(err.code(), DeskErrorCode::Offline);
    assert_eq!(cache.lock().unwrap().pending_uploads().unwrap().len(), 1);

    // The link is back: only the missing parts travel.
    link.restore();
    let (held, held_bytes) = held_parts(&server, &job_id).await;
    link.reset_sent_bytes();
    let uploaded = upload_file(
        &client,
        &cache,
        CONN,
        &request(&file),
        CancelToken::new(),
        &|_| {},
    )
    .await
    .unwrap();
    assert!(uploaded.resumed);
    assert_eq!(uploaded.job_id, job_id);
    assert_eq!(u64::from(uploaded.parts_skipped), held);
    assert_eq!(u64::from(uploaded.parts_sent), PARTS - held);
    let missing_bytes = SIZE - held_bytes;
    let sent = link.sent_bytes();
    assert!(
        sent >= missing_bytes && sent < missing_bytes + 64 * PER_REQUEST_OVERHEAD,
        "resume sent {sent} bytes for {missing_bytes} missing"
    );
    let expected = sha256sum(&file);
    assert_eq!(uploaded.sha256, expected);
    assert_eq!(uploaded.image.datafile_checksum, expected);
    let image = server.image(&uploaded.image.id).await.unwrap();
    assert_eq!(image.datafile_checksum, expected);
    assert_eq!(image.datafile_size, SIZE);
    assert!(cache.lock().unwrap().pending_uploads().unwrap().is_empty());
}

/// The MD5 of each part of `path` (hex), as the server lists them.
fn part_md5s(path: &Path) -> Vec<String> {
    use md5::Digest as _;
    let bytes = std::fs::read(path).unwrap();
    bytes
        .chunks(PART as usize)
        .map(|part| hex::encode(md5::Md5::digest(part)))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cancel_while_parts_are_hashed_ahead_leaves_only_whole_parts_and_the_job_resumes() {
    let data = support::tempdir();
    let server_process = support::Server::start(data.path());
    let token = server_process.token("acme", "release-manager");
    let server = support::client_for(&server_process.base, Some(&token));
    let link = proxy::Proxy::start(&server_process.base).await;
    let client = support::client_for(&link.base, Some(&token));
    let dir = support::tempdir();
    let cache = open_cache(dir.path());
    let file = sparse_file(dir.path());
    let md5s = part_md5s(&file);
    // A slow link, four parts in flight: the reader and the hashers run ahead of the sending.
    link.throttle(16 << 20);
    let mut req = request(&file);
    req.parallel = 4;

    // Cancel once a part is stored while more than the parts in flight are read and hashed.
    let cancel = CancelToken::new();
    let ahead_at_cancel = std::sync::atomic::AtomicU64::new(0);
    let on_progress = |p: &airlift_desk::upload::UploadProgress| {
        if p.parts_done >= 1 && p.hashed_bytes >= p.done_bytes + 5 * PART {
            ahead_at_cancel.store(p.hashed_bytes, std::sync::atomic::Ordering::Relaxed);
            cancel.cancel();
        }
    };
    let err = upload_file(&client, &cache, CONN, &req, cancel.clone(), &on_progress)
        .await
        .expect_err("cancelled");
    assert_eq!(err.code(), DeskErrorCode::Cancelled, "{err}");
    assert!(
        ahead_at_cancel.load(std::sync::atomic::Ordering::Relaxed) > 0,
        "the hashing never ran ahead of the sending"
    );
    quiet(&link).await;

    // Only whole parts, each the file's bytes (its MD5), are on the server; the job is open
    // and still in the cache.
    let job_id = cache.lock().unwrap().pending_uploads().unwrap()[0]
        .job_id
        .clone();
    let held = server.all_upload_chunks(&job_id).await.unwrap();
    assert!(!held.is_empty() && (held.len() as u64) < PARTS, "{held:?}");
    for chunk in &held {
        let number = u64::from(chunk.id);
        let expected = if number == PARTS {
            SIZE - (PARTS - 1) * PART
        } else {
            PART
        };
        assert_eq!(chunk.length, expected, "part {number} is not whole");
        assert_eq!(chunk.hash, md5s[number as usize - 1], "part {number}");
    }
    let job = server.upload_job(&job_id).await.unwrap();
    assert_eq!(job.status, UploadJobStatus::InProgress, "{job:?}");
    assert_nothing_published(&server).await;

    // The resume sends the rest; its progress counts every byte hashed, once, up to the size.
    link.throttle(0);
    let hashed = Mutex::new(Vec::new());
    let uploaded = upload_file(&client, &cache, CONN, &req, CancelToken::new(), &|p| {
        hashed.lock().unwrap().push(p.hashed_bytes)
    })
    .await
    .unwrap();
    assert!(uploaded.resumed);
    assert_eq!(uploaded.job_id, job_id);
    assert_eq!(uploaded.parts_skipped as usize, held.len());
    assert_eq!(uploaded.parts_sent as u64, PARTS - held.len() as u64);
    let hashed = hashed.into_inner().unwrap();
    assert!(hashed.windows(2).all(|w| w[0] <= w[1]), "{hashed:?}");
    assert_eq!(hashed.last(), Some(&SIZE));
    let expected = sha256sum(&file);
    assert_eq!(uploaded.sha256, expected);
    assert_eq!(uploaded.image.datafile_checksum, expected);
    assert!(cache.lock().unwrap().pending_uploads().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_file_that_grows_during_the_upload_is_refused_and_its_job_not_completed() {
    let data = support::tempdir();
    let server_process = support::Server::start(data.path());
    let token = server_process.token("acme", "release-manager");
    let server = support::client_for(&server_process.base, Some(&token));
    let link = proxy::Proxy::start(&server_process.base).await;
    let client = support::client_for(&link.base, Some(&token));
    let dir = support::tempdir();
    let cache = open_cache(dir.path());
    let file = sparse_file(dir.path());
    link.throttle(32 << 20);

    // Someone appends to the file while its first parts are on their way.
    let grown = std::sync::atomic::AtomicBool::new(false);
    let on_progress = |p: &airlift_desk::upload::UploadProgress| {
        if p.parts_done >= 2 && !grown.swap(true, std::sync::atomic::Ordering::Relaxed) {
            let mut f = OpenOptions::new().append(true).open(&file).unwrap();
            f.write_all(b"one more line of the build log").unwrap();
        }
    };
    let err = upload_file(
        &client,
        &cache,
        CONN,
        &request(&file),
        CancelToken::new(),
        &on_progress,
    )
    .await
    .expect_err("the file changed");
    assert_eq!(err.code(), DeskErrorCode::FailedPrecondition, "{err}");
    assert!(
        err.message().contains("changed while it was being read"),
        "{err}"
    );

    // The job was not completed from bytes that are no longer the file.
    let job_id = cache.lock().unwrap().pending_uploads().unwrap()[0]
        .job_id
        .clone();
    let job = server.upload_job(&job_id).await.unwrap();
    assert_eq!(job.status, UploadJobStatus::InProgress, "{job:?}");
    assert_nothing_published(&server).await;
}
