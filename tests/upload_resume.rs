//! Stopping and resuming uploads in the real window, against a real airliftd on loopback behind
//! a TCP proxy that slows the link (so a 400 MiB upload lasts long enough to click) and counts
//! what the app sends:
//!
//! * Pause stops the sending and keeps the server's parts; Resume continues; Cancel upload
//!   deletes the job and its parts, and nothing is left: no package, no image, nothing to resume.
//! * The app killed mid-upload: the next launch offers the unfinished upload, continues it, and
//!   sends only the parts the server lacked; the package's SHA-256 is the file's.

#[path = "../crates/airlift-desk/tests/support/proxy.rs"]
mod proxy;
mod support;

use std::collections::BTreeMap;
use std::fs::OpenOptions;
use std::io::{Seek as _, SeekFrom, Write as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use airlift_desk::client::{Client, ListParams};
use airlift_desk::DeskErrorCode;
use fantoccini::Locator;
use support::airliftd::Airliftd;
use support::ui;

/// 25 of the app's 16 MiB parts.
const SIZE: u64 = 400 << 20;
const PART: u64 = 16 << 20;
const PARTS: u64 = SIZE / PART;
/// Per connection; the app sends 4 parts at once, so about 2 s a part.
const SLOW_LINK: u64 = 8 << 20;
const LONG: Duration = Duration::from_secs(300);

fn sparse_file(dir: &Path) -> PathBuf {
    let path = dir.join("gateway-fw.bin");
    let mut f = OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(true)
        .open(&path)
        .expect("create the firmware file");
    f.set_len(SIZE).expect("size the firmware file");
    for i in 0..PARTS {
        f.seek(SeekFrom::Start(i * PART + i * 4099)).expect("seek");
        f.write_all(format!("gateway firmware part {i}").as_bytes())
            .expect("write");
    }
    path
}

fn sha256sum(path: &Path) -> String {
    let out = std::process::Command::new("sha256sum")
        .arg(path)
        .output()
        .expect("run sha256sum");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .expect("sha256sum output")
        .to_owned()
}

fn app_env(data: &Path, url: &str, token: &str) -> Vec<(&'static str, String)> {
    vec![
        ("AIRLIFT_DATA_DIR", data.display().to_string()),
        ("AIRLIFT_SERVER_URL", url.to_owned()),
        ("AIRLIFT_TOKEN", token.to_owned()),
        ("AIRLIFT_CONNECTION_NAME", "e2e".to_owned()),
    ]
}

fn api(url: &str, token: &str) -> Client {
    Client::new(
        url,
        Some(airlift_desk::secret::Secret::new(token)),
        Default::default(),
    )
    .expect("API client")
}

/// Catalog → upload wizard → file (in the real dialog) → details → the "release" key → Upload.
async fn start_upload(
    client: &fantoccini::Client,
    display: &support::Display,
    file: &Path,
    version: &str,
) {
    support::wait_for_text(client, "[data-testid=connection-state]", ui::TIMEOUT, |t| {
        t.contains("Online")
    })
    .await;
    // The app opens on the dashboard; the catalog has the upload button.
    ui::click_button(client, "Catalog").await;
    ui::click(client, "[data-testid=open-upload]").await;
    ui::click(client, "[data-testid=choose-file]").await;
    support::dialog::open_file(display, support::dialog::CHOOSE_BUILD, file).await;
    support::wait_for_text(client, "[data-testid=file-sha256]", LONG, |t| t.len() == 64).await;
    ui::replace_text(client, "#f-version", version).await;
    ui::type_into(client, "#f-deviceType", "gateway").await;
    ui::type_into(client, "#f-minVersion", "1.0.0").await;
    ui::click_button(client, "Next: signing").await;
    ui::click(client, "[data-testid=key-release]").await;
    ui::type_into(client, "#f-passphrase", support::airliftd::KEY_PASSPHRASE).await;
    ui::click(client, "[data-testid=start-upload]").await;
}

/// The only upload job of the tenant, once the app made it.
async fn the_job(server: &Client) -> String {
    let deadline = Instant::now() + LONG;
    loop {
        let jobs = server
            .upload_jobs(&ListParams::default())
            .await
            .expect("list jobs");
        if let Some(job) = jobs.data.first() {
            assert_eq!(jobs.data.len(), 1, "{:?}", jobs.data);
            return job.id.clone();
        }
        assert!(
            Instant::now() < deadline,
            "the app never created an upload job"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The server's parts of `job`: number → last change time (a re-sent part gets a new one).
async fn parts(server: &Client, job: &str) -> BTreeMap<u32, String> {
    server
        .all_upload_chunks(job)
        .await
        .expect("list parts")
        .into_iter()
        .map(|c| (c.id, c.updated_at))
        .collect()
}

async fn wait_for_parts(server: &Client, job: &str, at_least: usize) -> BTreeMap<u32, String> {
    let deadline = Instant::now() + LONG;
    loop {
        let held = parts(server, job).await;
        if held.len() >= at_least {
            return held;
        }
        assert!(
            Instant::now() < deadline,
            "only {} parts arrived",
            held.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until the proxy has seen no client bytes for a second; returns the count.
async fn quiet(link: &proxy::Proxy) -> u64 {
    let deadline = Instant::now() + LONG;
    loop {
        let before = link.sent_bytes();
        tokio::time::sleep(Duration::from_secs(1)).await;
        let after = link.sent_bytes();
        if before == after {
            return after;
        }
        assert!(Instant::now() < deadline, "the app never stopped sending");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_resume_and_cancel_from_the_window() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let airliftd = Airliftd::start(&tmp.path().join("server"));
    let token = airliftd.token("acme", "admin");
    let server = api(&airliftd.url, &token);
    let link = proxy::Proxy::start(&airliftd.url).await;
    link.throttle(SLOW_LINK);
    let file = sparse_file(tmp.path());
    let data = tmp.path().join("app");
    support::airliftd::release_key(&data, &airliftd.url, &token).await;

    let display = support::Display::start();
    let driver = support::Driver::start_with_env(&display, &app_env(&data, &link.base, &token));
    let client = driver
        .session(Path::new(env!("CARGO_BIN_EXE_airlift")))
        .await;

    // The capability lets the UI listen for dropped files, and no more: it cannot emit the
    // drag-drop event itself (which would let a page forge a dropped path).
    let verdicts = client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             const t = window.__TAURI_INTERNALS__;
             const handler = t.transformCallback(() => {});
             Promise.allSettled([
               t.invoke('plugin:event|listen', { event: 'tauri://drag-drop',
                 target: { kind: 'Webview', label: 'main' }, handler }),
               t.invoke('plugin:event|emit', { event: 'tauri://drag-drop',
                 payload: { paths: ['/etc/shadow'], position: { x: 0, y: 0 } } }),
             ]).then((r) => done(r.map((x) => x.status)));",
            vec![],
        )
        .await
        .expect("run the permission probe");
    assert_eq!(verdicts, serde_json::json!(["fulfilled", "rejected"]));

    start_upload(&client, &display, &file, "3.0.0").await;
    let job = the_job(&server).await;
    wait_for_parts(&server, &job, 2).await;

    // Pause: the sending stops, the parts stay, the wizard offers Resume.
    ui::click_button(&client, "Pause").await;
    support::wait_for_text(&client, "[data-testid=upload-stage]", ui::TIMEOUT, |t| {
        t == "Upload paused"
    })
    .await;
    let sent = quiet(&link).await;
    let held = parts(&server, &job).await;
    assert!(
        held.len() >= 2 && (held.len() as u64) < PARTS,
        "{} parts held",
        held.len()
    );
    assert!(
        sent < SIZE,
        "{sent} bytes sent before the pause took effect"
    );
    support::wait_for_text(&client, "[data-testid=upload-activity]", ui::TIMEOUT, |t| {
        t == "Upload of gateway-fw.bin paused"
    })
    .await;
    support::screenshot(&client, "upload-paused").await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(link.sent_bytes(), sent, "bytes sent while paused");
    assert_eq!(
        parts(&server, &job).await,
        held,
        "parts changed while paused"
    );

    // Resume: the same job continues, the parts already there are not sent again.
    ui::click_button(&client, "Resume").await;
    let more = wait_for_parts(&server, &job, held.len() + 2).await;
    for (number, changed) in &held {
        assert_eq!(
            more.get(number),
            Some(changed),
            "part {number} was sent again"
        );
    }

    // Cancel: the job and its parts are deleted; nothing is left anywhere.
    ui::click_button(&client, "Cancel upload").await;
    support::wait_for_text(&client, "h2#result-title", ui::TIMEOUT, |t| {
        t == "Upload cancelled"
    })
    .await;
    let error = support::wait_for_text(&client, "[data-testid=upload-error]", ui::TIMEOUT, |t| {
        !t.is_empty()
    })
    .await;
    assert!(
        error.contains("You cancelled the upload of gateway-fw.bin 3.0.0."),
        "{error}"
    );
    quiet(&link).await;
    let gone = server.upload_job(&job).await.expect_err("job deleted");
    assert_eq!(gone.code(), DeskErrorCode::NotFound);
    let jobs = server
        .upload_jobs(&ListParams::default())
        .await
        .expect("jobs");
    assert!(jobs.data.is_empty(), "{:?}", jobs.data);
    let packages = server
        .packages(&ListParams::default())
        .await
        .expect("packages");
    assert!(packages.data.is_empty(), "{:?}", packages.data);
    let images = server.images(&ListParams::default()).await.expect("images");
    assert!(images.data.is_empty(), "{:?}", images.data);
    let saved: Vec<_> = std::fs::read_dir(data.join("pending-uploads"))
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    assert!(saved.is_empty(), "an upload to resume was left: {saved:?}");
    ui::click_button(&client, "Start over").await;
    support::wait_for_text(&client, "[data-testid=status-bar]", ui::TIMEOUT, |t| {
        t == "Ready"
    })
    .await;
    client.close().await.expect("close the session");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_cut_short_by_killing_the_app_resumes_on_the_next_launch() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let airliftd = Airliftd::start(&tmp.path().join("server"));
    let token = airliftd.token("acme", "admin");
    let server = api(&airliftd.url, &token);
    let link = proxy::Proxy::start(&airliftd.url).await;
    link.throttle(SLOW_LINK);
    let file = sparse_file(tmp.path());
    let data = tmp.path().join("app");
    support::airliftd::release_key(&data, &airliftd.url, &token).await;
    let env = app_env(&data, &link.base, &token);
    let app = Path::new(env!("CARGO_BIN_EXE_airlift"));
    let display = support::Display::start();

    // First launch: the upload gets a few parts in, then the app dies (SIGKILL, no clean-up).
    let held = {
        let driver = support::Driver::start_with_env(&display, &env);
        let client = driver.session(app).await;
        start_upload(&client, &display, &file, "3.1.0").await;
        let job = the_job(&server).await;
        wait_for_parts(&server, &job, 4).await;
        kill_app(app, &data);
        quiet(&link).await;
        drop(client);
        let held = parts(&server, &job).await;
        (job, held)
    };
    let (job, held) = held;
    assert!(
        (held.len() as u64) < PARTS,
        "the upload finished before the kill"
    );
    let held_bytes = server
        .all_upload_chunks(&job)
        .await
        .expect("parts")
        .iter()
        .map(|c| c.length)
        .sum::<u64>();

    // Second launch, at full speed: the app offers the unfinished upload and continues it.
    link.throttle(0);
    link.reset_sent_bytes();
    let driver = support::Driver::start_with_env(&display, &env);
    let client = driver.session(app).await;
    let offer = support::wait_for_text(&client, "[data-testid=pending-upload]", LONG, |t| {
        t.starts_with("Unfinished upload: gateway-fw.bin 3.1.0")
    })
    .await;
    assert!(offer.contains("of 400 MiB sent"), "{offer}");
    support::screenshot(&client, "upload-resume").await;
    client
        .find(Locator::XPath(
            "//*[@data-testid='pending-upload']//button[normalize-space()='Resume']",
        ))
        .await
        .expect("the Resume button")
        .click()
        .await
        .expect("click Resume");
    // The key was chosen before; its passphrase is never saved, so the app asks again.
    ui::type_into(&client, "#f-passphrase", support::airliftd::KEY_PASSPHRASE).await;
    ui::click(&client, "[data-testid=start-upload]").await;
    let done = support::wait_for_text(&client, "[data-testid=upload-done]", LONG, |t| {
        !t.is_empty()
    })
    .await;
    assert_eq!(done, "Package 3.1.0 is available");
    let verdict = support::wait_for_text(&client, ".verdict", ui::TIMEOUT, |t| {
        t.contains("Continued an interrupted upload")
    })
    .await;
    assert!(verdict.contains("Signature verified"), "{verdict}");

    // Only the missing parts travelled (plus the requests' headers and a few small calls).
    let missing = SIZE - held_bytes;
    let sent = link.sent_bytes();
    eprintln!(
        "resume after relaunch: {} of {PARTS} parts were on the server; sent {sent} bytes for {missing} missing",
        held.len()
    );
    assert!(
        sent >= missing && sent < missing + (256 << 10),
        "sent {sent} bytes for {missing} missing"
    );

    // The same job finished, and the package is the file, byte for byte.
    let expected = sha256sum(&file);
    let packages = server
        .packages(&ListParams::default())
        .await
        .expect("packages");
    assert_eq!(packages.data.len(), 1, "{:?}", packages.data);
    assert_eq!(packages.data[0].sha256, expected);
    let images = server.images(&ListParams::default()).await.expect("images");
    assert_eq!(images.data.len(), 1, "{:?}", images.data);
    assert_eq!(images.data[0].datafile_checksum, expected);
    assert_eq!(images.data[0].datafile_size, SIZE);
    let finished = server.upload_job(&job).await.expect("the first job");
    assert!(finished.completed, "{finished:?}");
    assert_eq!(finished.firmware_image_id, images.data[0].id);
    client.close().await.expect("close the session");
}

/// SIGKILLs the app process of this test: the binary `app` running with `data` as its data dir.
fn kill_app(app: &Path, data: &Path) {
    let app = app.canonicalize().expect("app path");
    let marker = format!("AIRLIFT_DATA_DIR={}", data.display());
    let mut killed = 0;
    for entry in std::fs::read_dir("/proc").expect("/proc").flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let exe = std::fs::read_link(entry.path().join("exe")).ok();
        if exe.as_deref() != Some(app.as_path()) {
            continue;
        }
        let environ = std::fs::read(entry.path().join("environ")).unwrap_or_default();
        if environ
            .split(|b| *b == 0)
            .any(|var| var == marker.as_bytes())
        {
            // SAFETY: kill(2) with a pid we just found and a valid signal has no memory effects.
            assert_eq!(unsafe { libc::kill(pid, libc::SIGKILL) }, 0, "kill {pid}");
            killed += 1;
        }
    }
    assert_eq!(killed, 1, "expected one app process to kill");
}
