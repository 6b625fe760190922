//! The upload operation (`ops::upload`, what the app's wizard and `airlift-cli upload` both
//! call), against the real `airliftd` behind the counting proxy, without a window:
//!
//! * a pause keeps one pending record, the request included, and the next call with that record
//!   alone resumes, sends only the missing parts and publishes the package;
//! * a cancel deletes the job on the server and the record here: nothing is left behind;
//! * a file that changed after its digest was confirmed is refused and its job deleted;
//! * the job is named `{name}-{version}-{ms}`, whichever front asked.

#[path = "support/proxy.rs"]
mod proxy;
mod support;

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use airlift_core::package::PackageType;
use airlift_core::wire::UpdateTenant;
use airlift_desk::cache::Cache;
use airlift_desk::client::{Client, ListParams};
use airlift_desk::ops::upload::{
    pending_build, upload_build, BuildRequest, UploadControl, UploadFailure, UploadStage,
};
use airlift_desk::ops::Session;
use airlift_desk::upload::PackageSpec;
use airlift_desk::DeskErrorCode;

const CONN: &str = "lab";
/// Seed 003's smallest part but the last.
const PART: u64 = 5 << 20;
const PARTS: u64 = 8;

struct World {
    _data: tempfile::TempDir,
    _server: support::Server,
    /// The test's own view of the server, not through the proxy.
    server: Client,
    link: proxy::Proxy,
    client: Client,
    dir: tempfile::TempDir,
    cache: Mutex<Cache>,
}

impl World {
    /// A server whose tenant takes unsigned packages, reached through a link slow enough for a
    /// pause or a cancel to land midway.
    async fn start() -> World {
        let data = support::tempdir();
        let server_process = support::Server::start(data.path());
        server_process
            .client("acme", "admin")
            .update_tenant(&UpdateTenant {
                require_signatures: Some(false),
            })
            .await
            .unwrap();
        let token = server_process.token("acme", "release-manager");
        let server = support::client_for(&server_process.base, Some(&token));
        let link = proxy::Proxy::start(&server_process.base).await;
        link.throttle(4 << 20);
        let client = support::client_for(&link.base, Some(&token));
        let dir = support::tempdir();
        let cache = Mutex::new(
            Cache::open(&dir.path().join("cache.sqlite3"))
                .unwrap()
                .cache,
        );
        World {
            _data: data,
            _server: server_process,
            server,
            link,
            client,
            dir,
            cache,
        }
    }

    fn session(&self) -> Session<'_> {
        Session {
            client: &self.client,
            cache: &self.cache,
            connection_id: CONN,
        }
    }

    fn file(&self, name: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        let bytes: Vec<u8> = (0..PARTS * PART).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, bytes).unwrap();
        path
    }
}

fn request(path: &Path, sha256: Option<String>) -> BuildRequest {
    let spec = PackageSpec {
        package_type: PackageType::Fw,
        version: "2.1.0".into(),
        device_type: "temp-sensor".into(),
        min_version: "1.0.0".into(),
        release_notes: "drift fix".into(),
    };
    let mut req = BuildRequest::new(path, "firmware.bin", Some(spec));
    req.confirmed_sha256 = sha256;
    req.part_size = PART;
    req.parallel = 2;
    req
}

fn sha256(path: &Path) -> String {
    let digest = airlift_desk::hashing::sha256_file(path, &Default::default(), |_| {}).unwrap();
    digest.sha256_hex().as_str().to_owned()
}

/// Runs the operation, stopping it with `stop` once `parts` parts are on the server.
async fn run_until(
    w: &World,
    req: &BuildRequest,
    parts: u32,
    stop: fn(&UploadControl),
) -> Result<airlift_desk::ops::upload::BuildUploaded, UploadFailure> {
    let control = UploadControl::default();
    let on_stage = {
        let control = control.clone();
        move |stage: UploadStage| {
            if let UploadStage::Transfer(p) = stage {
                if p.parts_done >= parts {
                    stop(&control);
                }
            }
        }
    };
    upload_build(w.session(), req, None, &control, &on_stage).await
}

async fn upload_jobs(server: &Client) -> Vec<airlift_core::wire::UploadJob> {
    server
        .upload_jobs(&ListParams::default())
        .await
        .unwrap()
        .data
}

#[tokio::test(flavor = "multi_thread")]
async fn a_paused_build_resumes_from_its_one_pending_record_and_is_published() {
    let w = World::start().await;
    let file = w.file("firmware.bin");
    let digest = sha256(&file);
    let failure = run_until(
        &w,
        &request(&file, Some(digest.clone())),
        3,
        UploadControl::pause,
    )
    .await
    .expect_err("paused");
    assert_eq!(failure.error().code(), DeskErrorCode::Cancelled);

    // One record holds everything the resume needs: the file, the package, the digest.
    let pending = pending_build(&w.cache).unwrap().expect("a pending build");
    assert_eq!(pending.request.path, file.canonicalize().unwrap());
    assert_eq!(pending.request.confirmed_sha256.as_deref(), Some(&*digest));
    assert_eq!(pending.request.package.as_ref().unwrap().version, "2.1.0");
    assert_eq!(pending.size_bytes, PARTS * PART);
    assert!(pending.done_bytes >= 3 * PART, "{}", pending.done_bytes);
    let jobs = upload_jobs(&w.server).await;
    assert_eq!(jobs.len(), 1);
    assert!(
        jobs[0].name.starts_with("firmware.bin-2.1.0-"),
        "the job is named {{name}}-{{version}}-{{ms}}: {}",
        jobs[0].name
    );

    // The resume, from the record alone, sends only what the server lacks.
    w.link.reset_sent_bytes();
    let done = run_until(&w, &pending.request, u32::MAX, UploadControl::pause)
        .await
        .map_err(|f| f.error().to_string())
        .expect("resumed");
    assert!(done.upload.resumed);
    assert!(done.upload.parts_skipped >= 3, "{:?}", done.upload);
    assert!(
        w.link.sent_bytes() < (PARTS - 2) * PART + 64 * 1024,
        "{} bytes sent again",
        w.link.sent_bytes()
    );
    let package = done.package.expect("published").package;
    assert_eq!(package.sha256, digest);
    assert_eq!(package.version, "2.1.0");
    assert!(pending_build(&w.cache).unwrap().is_none());
    let cached = w.cache.lock().unwrap().packages(CONN).unwrap();
    assert!(cached.iter().any(|p| p.id == package.package_id));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cancelled_build_leaves_nothing_on_the_server_nor_here() {
    let w = World::start().await;
    let file = w.file("firmware.bin");
    let failure = run_until(&w, &request(&file, None), 2, UploadControl::cancel)
        .await
        .expect_err("cancelled");
    assert_eq!(failure.error().code(), DeskErrorCode::Cancelled);
    assert!(upload_jobs(&w.server).await.is_empty());
    assert!(w
        .cache
        .lock()
        .unwrap()
        .pending_uploads()
        .unwrap()
        .is_empty());
    let packages = w.server.packages(&ListParams::default()).await.unwrap();
    assert!(packages.data.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_file_changed_after_its_digest_was_confirmed_is_refused_and_its_job_deleted() {
    let w = World::start().await;
    let file = w.file("firmware.bin");
    let confirmed = "0".repeat(64);
    let failure = run_until(&w, &request(&file, Some(confirmed)), u32::MAX, |_| {})
        .await
        .expect_err("refused");
    let UploadFailure::Failed(err) = failure else {
        panic!("a changed file keeps no image: {failure:?}");
    };
    assert_eq!(err.code(), DeskErrorCode::VerificationFailed, "{err}");
    assert!(
        err.message().contains("changed after it was checked"),
        "{err}"
    );
    assert!(upload_jobs(&w.server).await.is_empty());
    assert!(pending_build(&w.cache).unwrap().is_none());
    let packages = w.server.packages(&ListParams::default()).await.unwrap();
    assert!(packages.data.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn parts_under_five_mib_are_refused_before_a_job_is_made() {
    let w = World::start().await;
    let file = w.file("firmware.bin");
    let mut req = request(&file, None);
    req.part_size = 1 << 20;
    let failure = run_until(&w, &req, u32::MAX, UploadControl::pause)
        .await
        .expect_err("refused");
    assert_eq!(failure.error().code(), DeskErrorCode::InvalidArgument);
    let message = failure.error().to_string();
    assert!(message.contains("at least 5242880 bytes"), "{message}");
    assert!(upload_jobs(&w.server).await.is_empty());
    assert_eq!(w.link.sent_bytes(), 0);
    assert!(pending_build(&w.cache).unwrap().is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_build_paused_on_one_connection_name_resumes_under_another_on_the_same_cache() {
    let w = World::start().await;
    let file = w.file("firmware.bin");
    run_until(&w, &request(&file, None), 2, UploadControl::pause)
        .await
        .expect_err("paused");
    let jobs = upload_jobs(&w.server).await;
    assert_eq!(jobs.len(), 1);

    // airlift-cli names the server by URL where the app names its connection: the record is
    // the cache file's (one server and tenant), so either continues the other's job.
    let cli = Session {
        client: &w.client,
        cache: &w.cache,
        connection_id: "url:http://fleet.example",
    };
    let pending = pending_build(&w.cache).unwrap().expect("pending");
    let done = upload_build(
        cli,
        &pending.request,
        None,
        &UploadControl::default(),
        &|_| {},
    )
    .await
    .map_err(|f| f.error().to_string())
    .expect("resumed");
    assert_eq!(done.upload.job_id, jobs[0].id);
    assert!(done.upload.resumed);
    assert!(done.upload.parts_skipped >= 2, "{:?}", done.upload);
    assert_eq!(upload_jobs(&w.server).await.len(), 1, "no second job");
    assert!(pending_build(&w.cache).unwrap().is_none());
}
