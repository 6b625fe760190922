//! The upload wizard end to end, in the real window against a real airliftd on loopback: a
//! file chosen in the real file dialog is hashed, described, uploaded and verified by the server
//! and appears in the catalog; then, with the server stopped, a fresh launch still shows the
//! catalog from the offline cache, with its age. The upload asks for encrypted storage (the
//! wizard's switch): the server never holds a plain byte of it.

mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use sha2::{Digest as _, Sha256};
use support::airliftd::Airliftd;
use support::ui;

/// Deterministic, incompressible-looking bytes.
fn artifact(len: usize) -> Vec<u8> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

fn app_env(data: &Path, server: &str, token: &str) -> Vec<(&'static str, String)> {
    vec![
        ("AIRLIFT_DATA_DIR", data.display().to_string()),
        ("AIRLIFT_SERVER_URL", server.to_owned()),
        ("AIRLIFT_TOKEN", token.to_owned()),
        ("AIRLIFT_CONNECTION_NAME", "e2e".to_owned()),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_wizard_publishes_a_package_that_stays_readable_offline() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let server = Airliftd::start(&tmp.path().join("server"));
    let token = server.token("acme", "admin");
    let file = tmp.path().join("temp-sensor-2.1.0.bin");
    let bytes = artifact(3 * 1024 * 1024 + 123);
    std::fs::write(&file, &bytes).expect("write artifact");
    let sha256 = hex(&Sha256::digest(&bytes));
    let data = tmp.path().join("app");
    support::airliftd::release_key(&data, &server.url, &token).await;
    let app = Path::new(env!("CARGO_BIN_EXE_airlift"));

    {
        let display = support::Display::start();
        let driver =
            support::Driver::start_with_env(&display, &app_env(&data, &server.url, &token));
        let client = driver.session(app).await;
        support::wait_for_text(
            &client,
            "[data-testid=connection-state]",
            ui::TIMEOUT,
            |t| t.contains("Online"),
        )
        .await;
        // The app opens on the dashboard; the catalog is a click away.
        ui::click_button(&client, "Catalog").await;
        support::wait_for_text(&client, "[data-testid=package-count]", ui::TIMEOUT, |t| {
            t == "0 of 0 packages"
        })
        .await;

        // The fleet's image quota is shown where a build is chosen (none held yet).
        ui::click(&client, "[data-testid=open-upload]").await;
        support::wait_for_text(&client, "[data-testid=image-quota]", ui::TIMEOUT, |t| {
            t == "Firmware images: 0 of 1,000 used"
        })
        .await;
        support::screenshot(&client, "upload-choose").await;

        // File → hash: the SHA-256 the app shows is the file's.
        ui::click(&client, "[data-testid=choose-file]").await;
        support::dialog::open_file(&display, support::dialog::CHOOSE_BUILD, &file).await;
        let shown =
            support::wait_for_text(&client, "[data-testid=file-sha256]", ui::TIMEOUT, |t| {
                !t.is_empty()
            })
            .await;
        assert_eq!(shown, sha256);

        // Details: a bad version is refused next to the field, then corrected.
        assert_eq!(
            ui::value_of(&client, "#f-version").await,
            "2.1.0",
            "the version in the file name is suggested"
        );
        ui::replace_text(&client, "#f-version", "2.1").await;
        ui::type_into(&client, "#f-deviceType", "temp-sensor").await;
        ui::type_into(&client, "#f-minVersion", "1.0.0").await;
        ui::type_into(
            &client,
            "#f-releaseNotes",
            "Fix sensor drift above 60C; reduce idle current.",
        )
        .await;
        ui::click(&client, "#f-encrypt").await;
        ui::click_button(&client, "Next: signing").await;
        support::wait_for_text(&client, "#e-version", ui::TIMEOUT, |t| {
            t.contains("not a semantic version")
        })
        .await;
        support::screenshot(&client, "upload-details").await;
        ui::type_into(&client, "#f-version", ".0").await;
        ui::click_button(&client, "Next: signing").await;

        // Signing (unsigned) → upload → the server's verdict.
        ui::click(&client, "[data-testid=key-release]").await;
        ui::type_into(&client, "#f-passphrase", support::airliftd::KEY_PASSPHRASE).await;
        ui::click(&client, "[data-testid=start-upload]").await;
        let done = support::wait_for_text(
            &client,
            "[data-testid=upload-done]",
            Duration::from_secs(120),
            |t| !t.is_empty(),
        )
        .await;
        assert_eq!(done, "Package 2.1.0 is available");
        let encrypted = support::wait_for_text(
            &client,
            "[data-testid=stored-encrypted]",
            ui::TIMEOUT,
            |t| !t.is_empty(),
        )
        .await;
        assert!(encrypted.contains("Stored encrypted"), "{encrypted}");
        support::screenshot(&client, "upload-done").await;
        // Encrypted at rest: no 64-byte run of the build is in any file of the server.
        let probe = &bytes[1_000_000..1_000_064];
        for entry in walk(&tmp.path().join("server")) {
            let content = std::fs::read(&entry).unwrap_or_default();
            assert!(
                !content.windows(probe.len()).any(|w| w == probe),
                "plain bytes of the build in {}",
                entry.display()
            );
        }

        // The new package in the catalog, with its detail.
        ui::click_button(&client, "Show in catalog").await;
        support::wait_for_text(&client, "[data-testid=package-count]", ui::TIMEOUT, |t| {
            t == "1 of 1 packages"
        })
        .await;
        let detail_sha =
            support::wait_for_text(&client, "[data-testid=detail-sha256]", ui::TIMEOUT, |t| {
                !t.is_empty()
            })
            .await;
        assert_eq!(detail_sha, sha256);
        support::wait_for_text(&client, "[data-testid=detail-storage]", ui::TIMEOUT, |t| {
            t.starts_with("Encrypted on the server")
        })
        .await;
        // Where its bytes live: seed 001's key, as the server reports it.
        let key = support::wait_for_text(
            &client,
            "[data-testid=detail-storage-key]",
            ui::TIMEOUT,
            |t| t.starts_with("firmware/"),
        )
        .await;
        // Encrypted on the server: the stored object is named after the image and its data key
        // (`{sha256}.{data key}.enc`, not `.bin`), under seed 001's tenant and version.
        assert!(key.contains(&format!("/2.1.0/{sha256}.dk_")), "{key}");
        assert!(key.ends_with(".enc"), "{key}");
        support::screenshot(&client, "catalog").await;

        ui::click_button(&client, "Settings").await;
        support::wait_for_text(&client, "[data-testid=connection-list]", ui::TIMEOUT, |t| {
            t.contains("e2e")
        })
        .await;
        support::screenshot(&client, "settings").await;
        client.close().await.expect("close the session");
    }

    // The server goes away; a fresh launch shows the cached catalog at once, marked offline.
    // Same server address, nothing listening there now: the cache is kept per server and
    // tenant, so the launch finds this server's catalog.
    let url = server.url.clone();
    server.stop();
    let display = support::Display::start();
    let driver = support::Driver::start_with_env(&display, &app_env(&data, &url, &token));
    let started = Instant::now();
    let client = driver.session(app).await;
    ui::click_button(&client, "Catalog").await;
    support::wait_for_text(&client, "[data-testid=package-count]", ui::TIMEOUT, |t| {
        t == "1 of 1 packages"
    })
    .await;
    eprintln!(
        "cached catalog shown {:?} after the session started",
        started.elapsed()
    );
    let state = support::wait_for_text(
        &client,
        "[data-testid=connection-state]",
        ui::TIMEOUT,
        |t| t.contains("Offline"),
    )
    .await;
    assert!(
        state.contains("cached, "),
        "offline state without its age: {state:?}"
    );
    ui::click(&client, "[data-testid=package-row]").await;
    support::wait_for_text(&client, "[data-testid=detail-sha256]", ui::TIMEOUT, |t| {
        t == sha256
    })
    .await;
    // The cache remembers that the server stores it encrypted, and where.
    support::wait_for_text(&client, "[data-testid=detail-storage]", ui::TIMEOUT, |t| {
        t.starts_with("Encrypted on the server")
    })
    .await;
    support::wait_for_text(
        &client,
        "[data-testid=detail-storage-key]",
        ui::TIMEOUT,
        |t| {
            t.starts_with("firmware/")
                && t.contains(&format!("/2.1.0/{sha256}.dk_"))
                && t.ends_with(".enc")
        },
    )
    .await;
    support::screenshot(&client, "offline").await;

    // Tokens never reach the app's files.
    for entry in walk(&data) {
        let content = std::fs::read(&entry).unwrap_or_default();
        assert!(
            !content.windows(token.len()).any(|w| w == token.as_bytes()),
            "the token was written to {}",
            entry.display()
        );
    }
    client.close().await.expect("close the session");
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
