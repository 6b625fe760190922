//! Upload job parts where they are stored (issue 16), on both storages: on the local disk in
//! place in the job's file (`{P}.slots`), on S3 as the parts of one multipart upload of the
//! image (s3s-fs, started by the harness). Parts out of order, a part sent twice, a refused
//! part that must not replace a stored one, a server killed mid-part, and a cancelled job that
//! leaves nothing behind.

mod common;

use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use airlift_testkit::s3::S3Server;
use common::*;

const BUCKET: &str = "airlift-fw";

/// Where a test's server keeps its bytes.
enum Storage {
    Local,
    S3(S3Server),
}

impl Storage {
    fn s3() -> Storage {
        let s3 = S3Server::start();
        s3.create_bucket(BUCKET);
        Storage::S3(s3)
    }

    fn start(&self, dir: &Path) -> Server {
        match self {
            Storage::Local => Server::start(dir),
            Storage::S3(s3) => {
                let storage = format!("s3://{BUCKET}/prod");
                let endpoint = s3.endpoint();
                Server::start_with_env(
                    dir,
                    &["--storage", &storage, "--s3-endpoint", &endpoint],
                    &s3.credentials(),
                )
            }
        }
    }

    /// Every stored object / file (local: below `objects/`; S3: the bucket's keys).
    fn stored(&self, dir: &Path) -> Vec<String> {
        match self {
            Storage::Local => files_under(&dir.join("objects"))
                .into_iter()
                .map(|p| p.strip_prefix(dir).unwrap().to_string_lossy().into_owned())
                .collect(),
            Storage::S3(s3) => s3.keys(BUCKET),
        }
    }

    fn unfinished_uploads(&self) -> usize {
        match self {
            Storage::Local => 0,
            Storage::S3(s3) => s3.unfinished_uploads(),
        }
    }
}

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

async fn image_of(api: &Api, job: &str) -> serde_json::Value {
    let body = api
        .get(&format!("/api/v1/ota/upload-jobs/{job}"))
        .await
        .expect(200);
    let id = body["firmware_image_id"].as_str().unwrap().to_owned();
    api.get(&format!("/api/v1/ota/images/{id}"))
        .await
        .expect(200)
}

async fn listed(api: &Api, job: &str) -> Vec<(u64, String)> {
    let list = api
        .get(&format!("/api/v1/ota/upload-jobs/{job}/chunks"))
        .await
        .expect(200);
    list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["id"].as_u64().unwrap(),
                c["hash"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn md5_hex(data: &[u8]) -> String {
    use md5::{Digest as _, Md5};
    hex::encode(Md5::digest(data))
}

/// Four parts (the last short) sent 3, 1, 4, 2, part 1 twice with different bytes (the second
/// counts; on disk it ends up in its place in the job's file), then completed: the image is the
/// parts in order, and nothing but it is stored.
async fn out_of_order_and_resent(storage: Storage) {
    let dir = tempdir();
    let server = storage.start(dir.path());
    let api = Api::for_tenant(&server, "acme", "release-manager");
    let job = api.create_job("shuffled").await;
    let mut parts: Vec<Vec<u8>> = (0..3).map(|i| bytes(MIN_CHUNK, 10 + i)).collect();
    parts.push(bytes(12_345, 13));
    let first_try = bytes(MIN_CHUNK, 99);
    api.put_part(&job, 3, &parts[2]).await.expect(201);
    api.put_part(&job, 1, &first_try).await.expect(201);
    api.put_part(&job, 4, &parts[3]).await.expect(201);
    api.put_part(&job, 2, &parts[1]).await.expect(201);
    // Sent again: replaces the first try (200, not 201).
    api.put_part(&job, 1, &parts[0]).await.expect(200);
    if let Storage::Local = storage {
        // The re-sent part is in its slot, not a file of its own: completion links the file.
        let stored = storage.stored(dir.path());
        assert_eq!(stored.len(), 1, "only the job's file: {stored:?}");
        assert!(stored[0].ends_with(".slots"), "{stored:?}");
    }
    assert_eq!(
        listed(&api, &job).await,
        parts
            .iter()
            .enumerate()
            .map(|(i, p)| (i as u64 + 1, md5_hex(p)))
            .collect::<Vec<_>>()
    );
    api.post_chunk(&job, b"").await.expect(201);
    let image = image_of(&api, &job).await;
    let whole = parts.concat();
    assert_eq!(image["datafile_checksum"], sha256_hex(&whole).as_str());
    assert_eq!(image["datafile_size"], whole.len() as u64);
    assert_eq!(storage.unfinished_uploads(), 0);
    let stored = storage.stored(dir.path());
    assert_eq!(stored.len(), 1, "only the image is stored: {stored:?}");
    let bytes_stored = match &storage {
        Storage::Local => std::fs::read(dir.path().join(&stored[0])).unwrap(),
        Storage::S3(s3) => std::fs::read(s3.object_path(BUCKET, &stored[0])).unwrap(),
    };
    assert_eq!(sha256_hex(&bytes_stored), sha256_hex(&whole));
}

/// A re-sent part whose body does not match its Content-MD5 is refused and leaves the part it
/// would have replaced as it was; a package declaring another SHA-256 than the image's is
/// refused and nothing of it is kept.
async fn wrong_md5_and_wrong_sha(storage: Storage) {
    let dir = tempdir();
    let server = storage.start(dir.path());
    let admin = Api::for_tenant(&server, "acme", "admin");
    admin.require_signatures(false).await;
    let api = Api::for_tenant(&server, "acme", "release-manager");
    let job = api.create_job("guarded").await;
    let parts = [bytes(MIN_CHUNK, 1), bytes(4321, 2)];
    api.put_part(&job, 1, &parts[0]).await.expect(201);
    api.put_part(&job, 2, &parts[1]).await.expect(201);
    let other = bytes(MIN_CHUNK, 3);
    let refused = api
        .send(
            api.req(
                reqwest::Method::PUT,
                &format!("/api/v1/ota/upload-jobs/{job}/chunks/1"),
            )
            .header("content-md5", content_md5(&parts[0]))
            .body(other),
        )
        .await;
    let err = refused.expect_error(400, "INVALID_ARGUMENT");
    assert!(
        err["message"].as_str().unwrap().contains("Content-MD5"),
        "{err}"
    );
    assert_eq!(listed(&api, &job).await[0], (1, md5_hex(&parts[0])));
    // On disk both parts are in place in the job's file, which completion makes the image
    // without copying a byte: the image is that same file (inode).
    let slots_inode = match &storage {
        Storage::Local => {
            let stored = storage.stored(dir.path());
            assert_eq!(stored.len(), 1, "{stored:?}");
            assert!(stored[0].ends_with(".slots"), "{stored:?}");
            Some(
                std::fs::metadata(dir.path().join(&stored[0]))
                    .unwrap()
                    .ino(),
            )
        }
        Storage::S3(_) => None,
    };
    api.post_chunk(&job, b"").await.expect(201);
    let image = image_of(&api, &job).await;
    let whole = parts.concat();
    assert_eq!(image["datafile_checksum"], sha256_hex(&whole).as_str());
    if let Some(inode) = slots_inode {
        let stored = storage.stored(dir.path());
        let image_file = std::fs::metadata(dir.path().join(&stored[0])).unwrap();
        assert_eq!(image_file.ino(), inode, "{stored:?}");
        assert_eq!(image_file.len(), whole.len() as u64);
    }

    let wrong = package_body(
        "1.0.0",
        image["datafile"].as_str().unwrap(),
        &sha256_hex(b"not the image"),
        whole.len() as u64,
    );
    let refused = api.post("/api/v1/ota/packages", wrong).await;
    assert!(
        refused.status.is_client_error(),
        "{}: {}",
        refused.status,
        refused.body
    );
    let packages = api.get("/api/v1/ota/packages").await.expect(200);
    assert_eq!(packages["data"].as_array().unwrap().len(), 0);
    let stored = storage.stored(dir.path());
    assert_eq!(stored.len(), 1, "only the image: {stored:?}");
    assert_eq!(storage.unfinished_uploads(), 0);
}

/// A job deleted with parts stored leaves no object, no file and no multipart upload.
async fn cancelled_job_leaves_nothing(storage: Storage) {
    let dir = tempdir();
    let server = storage.start(dir.path());
    let api = Api::for_tenant(&server, "acme", "release-manager");
    let job = api.create_job("cancelled").await;
    api.put_part(&job, 2, &bytes(MIN_CHUNK, 5))
        .await
        .expect(201);
    api.put_part(&job, 1, &bytes(MIN_CHUNK, 6))
        .await
        .expect(201);
    if let Storage::S3(_) = storage {
        assert_eq!(storage.unfinished_uploads(), 1, "one upload for the job");
    }
    api.delete(&format!("/api/v1/ota/upload-jobs/{job}"))
        .await
        .expect(204);
    assert_eq!(storage.unfinished_uploads(), 0);
    let stored = storage.stored(dir.path());
    assert!(stored.is_empty(), "nothing is left: {stored:?}");
    api.get(&format!("/api/v1/ota/upload-jobs/{job}"))
        .await
        .expect_error(404, "NOT_FOUND");
}

/// The server is killed while part 3 streams in (its Content-Length declared, so on disk it
/// goes into its slot); after the restart parts 1 and 2 are listed, part 3 is not, nothing
/// is visible but what the job holds, and the job completes once part 3 is sent again.
async fn killed_mid_part_then_resumed(storage: Storage) {
    let dir = tempdir();
    let server = storage.start(dir.path());
    let token = token(dir.path(), "acme", "release-manager");
    let api = Api::new(&server, &token);
    let job = api.create_job("crashy").await;
    let parts: Vec<Vec<u8>> = (0..4).map(|i| bytes(MIN_CHUNK, 200 + i)).collect();
    api.put_part(&job, 1, &parts[0]).await.expect(201);
    api.put_part(&job, 2, &parts[1]).await.expect(201);
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(4);
    let body =
        reqwest::Body::wrap_stream(futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx)));
    let sending = {
        let req = api
            .req(
                reqwest::Method::PUT,
                &format!("/api/v1/ota/upload-jobs/{job}/chunks/3"),
            )
            .header("content-md5", content_md5(&parts[2]))
            .header("content-length", parts[2].len())
            .body(body);
        tokio::spawn(req.send())
    };
    for piece in parts[2][..3 * 1024 * 1024].chunks(1024 * 1024) {
        tx.send(Ok(piece.to_vec())).await.unwrap();
    }
    // Where part 3's bytes are going: on disk into its slot of the job's one file (no file of
    // its own), on S3 into the job's one multipart upload.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let uploads = storage.stored(dir.path());
        let in_place = match &storage {
            Storage::Local => {
                uploads.len() == 1 && uploads[0].ends_with(&format!("{MIN_CHUNK}.slots"))
            }
            Storage::S3(_) => storage.unfinished_uploads() == 1,
        };
        if in_place {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{uploads:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    server.kill9();
    drop(tx);
    let _ = sending.await;

    let server = storage.start(dir.path());
    let api = Api::new(&server, &token);
    assert_eq!(
        listed(&api, &job).await,
        vec![(1, md5_hex(&parts[0])), (2, md5_hex(&parts[1]))]
    );
    if let Storage::S3(_) = storage {
        assert_eq!(storage.unfinished_uploads(), 1, "the job's upload goes on");
    }
    let stored = storage.stored(dir.path());
    assert!(
        stored.iter().all(|k| !k.starts_with("prod/images/")
            && !k.starts_with("objects/images/")
            && !k.contains('#')),
        "no image and no partial write is visible: {stored:?}"
    );
    api.put_part(&job, 3, &parts[2]).await.expect(201);
    api.put_part(&job, 4, &parts[3]).await.expect(201);
    api.post_chunk(&job, b"").await.expect(201);
    let image = image_of(&api, &job).await;
    assert_eq!(
        image["datafile_checksum"],
        sha256_hex(&parts.concat()).as_str()
    );
    assert_eq!(storage.unfinished_uploads(), 0);
    let stored = storage.stored(dir.path());
    assert_eq!(stored.len(), 1, "only the image: {stored:?}");
}

/// The job's file of parts on the local disk (its one `{P}.slots` file).
fn slots_file(dir: &Path) -> PathBuf {
    let files: Vec<PathBuf> = files_under(&dir.join("objects"))
        .into_iter()
        .filter(|p| p.to_string_lossy().ends_with(".slots"))
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    files[0].clone()
}

/// Parts a disk lost or damaged while the server was down are never made into an image. Here
/// the server is killed after four parts are acknowledged, then, while it is stopped, part 2's
/// bytes are altered and the job's file is cut in the middle of part 4. After the restart the
/// running SHA-256 is gone, so completion reads every part back and checks it against its
/// MD5: it refuses (409), names the part, and forgets it, so the part list asks for it again;
/// once parts 2 and 4 are sent again the image is the file.
async fn parts_damaged_while_stopped_are_asked_again() {
    let dir = tempdir();
    let server = Storage::Local.start(dir.path());
    let token = token(dir.path(), "acme", "release-manager");
    let api = Api::new(&server, &token);
    let job = api.create_job("damaged-disk").await;
    let mut parts: Vec<Vec<u8>> = (0..4).map(|i| bytes(MIN_CHUNK, 50 + i)).collect();
    parts.push(bytes(777, 54));
    for (i, part) in parts.iter().enumerate().take(4) {
        api.put_part(&job, i as u32 + 1, part).await.expect(201);
    }
    server.kill9();

    let file = slots_file(dir.path());
    {
        use std::os::unix::fs::FileExt as _;
        let f = std::fs::OpenOptions::new().write(true).open(&file).unwrap();
        let at = MIN_CHUNK as u64 + 1000;
        f.write_all_at(&[parts[1][1000] ^ 0xff], at).unwrap();
        f.set_len(3 * MIN_CHUNK as u64 + 10).unwrap();
        f.sync_all().unwrap();
    }

    let server = Storage::Local.start(dir.path());
    let api = Api::new(&server, &token);
    api.put_part(&job, 5, &parts[4]).await.expect(201);
    let all: Vec<(u64, String)> = parts
        .iter()
        .enumerate()
        .map(|(i, p)| (i as u64 + 1, md5_hex(p)))
        .collect();
    assert_eq!(listed(&api, &job).await, all);
    for damaged in [2u32, 4] {
        let refused = api
            .post_chunk(&job, b"")
            .await
            .expect_error(409, "FAILED_PRECONDITION");
        let message = refused["message"].as_str().unwrap();
        assert!(message.contains(&format!("part {damaged}")), "{message}");
        let held: Vec<u64> = listed(&api, &job).await.iter().map(|p| p.0).collect();
        assert!(!held.contains(&u64::from(damaged)), "{held:?}");
        api.put_part(&job, damaged, &parts[damaged as usize - 1])
            .await
            .expect(201);
    }
    api.post_chunk(&job, b"").await.expect(201);
    let image = image_of(&api, &job).await;
    assert_eq!(
        image["datafile_checksum"],
        sha256_hex(&parts.concat()).as_str()
    );
    assert_eq!(image["datafile_size"], parts.concat().len() as u64);
    let stored = Storage::Local.stored(dir.path());
    assert_eq!(stored.len(), 1, "only the image: {stored:?}");
}

/// The server is killed (`kill -9`) with four parts acknowledged: after the restart every part
/// is still listed, the job completes without any part sent again (every part read back and
/// checked against its MD5), and the image is the file.
async fn killed_after_acknowledged_parts_keeps_them() {
    let dir = tempdir();
    let server = Storage::Local.start(dir.path());
    let token = token(dir.path(), "acme", "release-manager");
    let api = Api::new(&server, &token);
    let job = api.create_job("kill-after-ack").await;
    let mut parts: Vec<Vec<u8>> = (0..3).map(|i| bytes(MIN_CHUNK, 70 + i)).collect();
    parts.push(bytes(4321, 73));
    for (i, part) in parts.iter().enumerate() {
        api.put_part(&job, i as u32 + 1, part).await.expect(201);
    }
    server.kill9();
    let server = Storage::Local.start(dir.path());
    let api = Api::new(&server, &token);
    let expected: Vec<(u64, String)> = parts
        .iter()
        .enumerate()
        .map(|(i, p)| (i as u64 + 1, md5_hex(p)))
        .collect();
    assert_eq!(listed(&api, &job).await, expected);
    api.post_chunk(&job, b"").await.expect(201);
    let image = image_of(&api, &job).await;
    assert_eq!(
        image["datafile_checksum"],
        sha256_hex(&parts.concat()).as_str()
    );
    let stored = Storage::Local.stored(dir.path());
    assert_eq!(stored.len(), 1, "only the image: {stored:?}");
}

#[tokio::test]
async fn local_parts_damaged_while_stopped_are_refused_at_completion_and_asked_again() {
    parts_damaged_while_stopped_are_asked_again().await;
}

#[tokio::test]
async fn local_server_killed_after_acknowledged_parts_keeps_them() {
    killed_after_acknowledged_parts_keeps_them().await;
}

#[tokio::test]
async fn local_parts_out_of_order_and_resent() {
    out_of_order_and_resent(Storage::Local).await;
}

#[tokio::test]
async fn s3_parts_out_of_order_and_resent() {
    out_of_order_and_resent(Storage::s3()).await;
}

#[tokio::test]
async fn local_wrong_md5_and_wrong_sha_change_nothing() {
    wrong_md5_and_wrong_sha(Storage::Local).await;
}

#[tokio::test]
async fn s3_wrong_md5_and_wrong_sha_change_nothing() {
    wrong_md5_and_wrong_sha(Storage::s3()).await;
}

#[tokio::test]
async fn local_cancelled_job_leaves_nothing() {
    cancelled_job_leaves_nothing(Storage::Local).await;
}

#[tokio::test]
async fn s3_cancelled_job_leaves_no_object_and_no_multipart_upload() {
    cancelled_job_leaves_nothing(Storage::s3()).await;
}

#[tokio::test]
async fn local_server_killed_mid_part_then_resumed() {
    killed_mid_part_then_resumed(Storage::Local).await;
}

#[tokio::test]
async fn s3_server_killed_mid_part_then_resumed() {
    killed_mid_part_then_resumed(Storage::s3()).await;
}
