//! The app and the CLI share one pending upload. A build the app's upload operation
//! (`airlift_desk::ops::upload`, on a connection the app named) paused is finished by
//! `airlift-cli upload` naming the server by URL: the same job, only the missing parts. A build
//! the CLI left when it was killed is shown by the app as its pending upload and finished by the
//! app's operation. Both fronts keep the record in the one cache file of the server and tenant
//! and name the job `{name}-{version}-{ms}`; the app's discard of the CLI's job deletes it.
//!
//! Real airliftd, the real CLI binary, the counting proxy of airlift-desk's tests in between
//! (slow enough for a stop to land midway); no window.

mod common;
#[path = "../../airlift-desk/tests/support/proxy.rs"]
mod proxy;
#[path = "../../airlift-desk/tests/support/mod.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use airlift_core::package::PackageType;
use airlift_core::wire::{UpdateTenant, UploadJob};
use airlift_desk::cache::Cache;
use airlift_desk::client::{Client, ListParams};
use airlift_desk::ops::upload::{
    forget, pending_build, upload_build, BuildRequest, UploadControl, UploadStage,
};
use airlift_desk::ops::Session;
use airlift_desk::upload::PackageSpec;

/// The connection name the app saved for this server (the CLI names it `url:<base>`).
const APP_CONNECTION: &str = "lab";
/// Seed 003's smallest part but the last.
const PART: u64 = 5 << 20;
const PARTS: u64 = 8;

struct Setup {
    _data: tempfile::TempDir,
    _server: support::Server,
    /// The test's own view of the server, not through the link.
    direct: Client,
    link: proxy::Proxy,
    /// The app's client, through the link (the CLI goes through it too: one server URL).
    client: Client,
    world: common::World,
    file: PathBuf,
}

impl Setup {
    async fn start() -> Setup {
        let data = support::tempdir();
        let server = support::Server::start(data.path());
        server
            .client("acme", "admin")
            .update_tenant(&UpdateTenant {
                require_signatures: Some(false),
            })
            .await
            .unwrap();
        let token = server.token("acme", "release-manager");
        let direct = support::client_for(&server.base, Some(&token));
        let link = proxy::Proxy::start(&server.base).await;
        link.throttle(4 << 20);
        let client = support::client_for(&link.base, Some(&token));
        let world = common::World::new(&link.base, &token);
        let file = world.dir.path().join("firmware.bin");
        let bytes: Vec<u8> = (0..PARTS * PART).map(|i| (i % 251) as u8).collect();
        std::fs::write(&file, bytes).unwrap();
        Setup {
            _data: data,
            _server: server,
            direct,
            link,
            client,
            world,
            file,
        }
    }

    /// The app's view of the cache: the file of this server and tenant in the shared folder.
    fn app_cache(&self) -> Mutex<Cache> {
        std::fs::create_dir_all(self.world.cache_dir()).unwrap();
        Mutex::new(Cache::open(&self.world.cache_path()).unwrap().cache)
    }

    fn cli_args(&self) -> Vec<String> {
        [
            "upload",
            self.file.to_str().unwrap(),
            "--name",
            "firmware.bin",
            "--version",
            "2.1.0",
            "--type",
            "fw",
            "--device-type",
            "temp-sensor",
            "--min-version",
            "1.0.0",
            "--release-notes",
            "drift fix",
            "--part-size-mib",
            "5",
            "--parallel",
            "2",
        ]
        .map(str::to_owned)
        .to_vec()
    }

    async fn jobs(&self) -> Vec<UploadJob> {
        self.direct
            .upload_jobs(&ListParams::default())
            .await
            .unwrap()
            .data
    }
}

/// What the app's upload wizard asks for.
fn app_request(path: &Path) -> BuildRequest {
    let spec = PackageSpec {
        package_type: PackageType::Fw,
        version: "2.1.0".into(),
        device_type: "temp-sensor".into(),
        min_version: "1.0.0".into(),
        release_notes: "drift fix".into(),
    };
    let mut req = BuildRequest::new(path, "firmware.bin", Some(spec));
    req.part_size = PART;
    req.parallel = 2;
    req
}

/// The app's upload operation, paused once `parts` parts are on the server.
async fn app_upload(
    s: Session<'_>,
    req: &BuildRequest,
    pause_after: u32,
) -> Result<airlift_desk::ops::upload::BuildUploaded, airlift_desk::DeskError> {
    let control = UploadControl::default();
    let on_stage = {
        let control = control.clone();
        move |stage: UploadStage| {
            if let UploadStage::Transfer(p) = stage {
                if p.parts_done >= pause_after {
                    control.pause();
                }
            }
        }
    };
    upload_build(s, req, None, &control, &on_stage)
        .await
        .map_err(Into::into)
}

#[tokio::test(flavor = "multi_thread")]
async fn an_upload_the_app_paused_is_finished_by_the_cli() {
    let t = Setup::start().await;
    let cache = t.app_cache();
    let session = Session {
        client: &t.client,
        cache: &cache,
        connection_id: APP_CONNECTION,
    };
    let paused = app_upload(session, &app_request(&t.file), 3).await;
    assert!(paused.is_err(), "the app's upload was not paused");
    let jobs = t.jobs().await;
    assert_eq!(jobs.len(), 1);
    assert!(jobs[0].name.starts_with("firmware.bin-2.1.0-"), "{jobs:?}");
    let held = t.direct.all_upload_chunks(&jobs[0].id).await.unwrap().len() as u64;
    assert!((3..PARTS).contains(&held), "{held} parts held");
    drop(cache);

    // The CLI, naming the server by URL, finds the app's record in the same file.
    let args = t.cli_args();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, out, stderr) = t.world.run(&args);
    assert_eq!(code, 0, "{out}\n{stderr}");
    let upload = &out["upload"];
    assert_eq!(upload["job_id"], jobs[0].id.as_str(), "{out}");
    assert_eq!(upload["resumed"], true);
    assert!(
        upload["parts_skipped"].as_u64().unwrap() >= held,
        "{upload}"
    );
    assert_eq!(
        upload["parts_sent"].as_u64().unwrap() + upload["parts_skipped"].as_u64().unwrap(),
        PARTS
    );
    assert_eq!(out["package"]["package"]["version"], "2.1.0");
    assert_eq!(t.jobs().await.len(), 1, "no second job");
    let cache = t.app_cache();
    assert!(pending_build(&cache).unwrap().is_none(), "nothing pending");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_upload_the_cli_left_is_shown_and_finished_by_the_app_or_discarded() {
    let t = Setup::start().await;
    let args = t.cli_args();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();

    // The CLI is killed once the server holds two parts.
    let mut child = t
        .world
        .command(&args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    let job = loop {
        assert!(
            Instant::now() < deadline,
            "the CLI's upload never got going"
        );
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the CLI finished ({status}) before it could be interrupted");
        }
        if let Some(job) = t.jobs().await.into_iter().next() {
            if t.direct.all_upload_chunks(&job.id).await.unwrap().len() >= 2 {
                child.kill().unwrap(); // SIGKILL
                child.wait().unwrap();
                break job;
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(job.name.starts_with("firmware.bin-2.1.0-"), "{job:?}");

    // The app (its own connection name) shows it as its pending upload, with what it becomes.
    let cache = t.app_cache();
    let pending = pending_build(&cache).unwrap().expect("the CLI's upload");
    assert_eq!(pending.request.name, "firmware.bin");
    assert_eq!(pending.request.package.as_ref().unwrap().version, "2.1.0");
    assert_eq!(pending.size_bytes, PARTS * PART);

    // Resumed from that record by the app's operation: the same job, the rest of the parts.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let held = t.direct.all_upload_chunks(&job.id).await.unwrap().len() as u64;
    let session = Session {
        client: &t.client,
        cache: &cache,
        connection_id: APP_CONNECTION,
    };
    t.link.reset_sent_bytes();
    let done = app_upload(session, &pending.request, u32::MAX)
        .await
        .expect("finished by the app");
    assert_eq!(done.upload.job_id, job.id);
    assert!(done.upload.resumed);
    assert!(
        u64::from(done.upload.parts_skipped) >= held,
        "{:?}",
        done.upload
    );
    assert!(
        // The parts the server lacked, one more that may be in flight when a connection is
        // replaced, and the calls around them (up to 1 MiB of headers, JSON and a part cut
        // off mid-way); never the whole file again.
        t.link.sent_bytes() < (PARTS - held + 1) * PART + 1024 * 1024,
        "{} bytes sent again; {held} parts were held: {:?}",
        t.link.sent_bytes(),
        done.upload
    );
    assert_eq!(done.package.expect("published").package.version, "2.1.0");
    assert!(pending_build(&cache).unwrap().is_none());
    drop(cache);

    // Another CLI upload of a new build, killed, then discarded from the app: nothing left.
    let bytes: Vec<u8> = (0..PARTS * PART).map(|i| (i % 241) as u8).collect();
    std::fs::write(&t.file, bytes).unwrap();
    let mut args = t.cli_args();
    args[5] = "2.2.0".into();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut child = t
        .world
        .command(&args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        assert!(
            Instant::now() < deadline,
            "the second upload never got going"
        );
        assert!(child.try_wait().unwrap().is_none(), "finished too early");
        let open: Vec<UploadJob> = t
            .jobs()
            .await
            .into_iter()
            .filter(|j| j.id != job.id)
            .collect();
        if let Some(j) = open.first() {
            if !t.direct.all_upload_chunks(&j.id).await.unwrap().is_empty() {
                child.kill().unwrap();
                child.wait().unwrap();
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let cache = t.app_cache();
    let pending = pending_build(&cache).unwrap().expect("the second upload");
    let session = Session {
        client: &t.client,
        cache: &cache,
        connection_id: APP_CONNECTION,
    };
    forget(session, &pending.request.path).await;
    assert!(pending_build(&cache).unwrap().is_none());
    let left: Vec<String> = t
        .jobs()
        .await
        .into_iter()
        .filter(|j| j.id != job.id)
        .map(|j| j.name)
        .collect();
    assert!(
        left.is_empty(),
        "the discarded job is still there: {left:?}"
    );
}
