//! Seed 002's JSON and URL list packages from the window, against a real airliftd on loopback:
//! the JSON editor shows a syntax error's line and column as it is typed, the package is
//! signed with the app's key and created; a URL list pointing at a local file host shows each
//! file's verdict (one wrong checksum refuses the list, nothing is created), then, corrected,
//! is created; the catalog shows both types. Screenshots for the README.

mod support;

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use sha2::{Digest as _, Sha256};
use support::airliftd::{release_key, Airliftd, KEY_PASSPHRASE};
use support::ui;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// A loopback HTTP/1.1 host serving a few files by path (404 otherwise), one request per
/// connection: where a URL list's files live.
async fn file_host(files: Vec<(&'static str, Vec<u8>)>) -> std::net::SocketAddr {
    let files: Arc<HashMap<&'static str, Vec<u8>>> = Arc::new(files.into_iter().collect());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the file host");
    let addr = listener.local_addr().expect("file host address");
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            let files = files.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match conn.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&head);
                let path = head.split_whitespace().nth(1).unwrap_or("/");
                let (status, body) = match files.get(path) {
                    Some(b) => ("200 OK", b.clone()),
                    None => ("404 Not Found", Vec::new()),
                };
                let reply = format!(
                    "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = conn.write_all(reply.as_bytes()).await;
                let _ = conn.write_all(&body).await;
            });
        }
    });
    addr
}

fn sha256_hex(data: &[u8]) -> String {
    hex_of(&Sha256::digest(data))
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Types `text` into the JSON editor in place of what it holds, line breaks as the Enter key.
async fn type_json(client: &fantoccini::Client, text: &str) {
    ui::replace_text(client, "#f-json", &text.replace('\n', "\u{E007}")).await;
}

async fn fill_details(client: &fantoccini::Client, version: &str) {
    ui::type_into(client, "#p-version", version).await;
    ui::type_into(client, "#p-deviceType", "temp-sensor").await;
    ui::type_into(client, "#p-minVersion", "1.0.0").await;
    ui::type_into(client, "#p-passphrase", KEY_PASSPHRASE).await;
}

async fn fill_row(client: &fantoccini::Client, n: usize, url: &str, sha256: &str, size: usize) {
    ui::replace_text(client, &format!("input[aria-label='File {n} URL']"), url).await;
    ui::replace_text(
        client,
        &format!("input[aria-label='File {n} SHA-256']"),
        sha256,
    )
    .await;
    ui::replace_text(
        client,
        &format!("input[aria-label='File {n} size in bytes']"),
        &size.to_string(),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_and_url_list_packages_are_created_from_the_window() {
    let model: Vec<u8> = (0..150_000u32).map(|i| (i % 251) as u8).collect();
    let labels = b"cold\nwarm\nhot\n".to_vec();
    let host = file_host(vec![
        ("/model.bin", model.clone()),
        ("/labels.txt", labels.clone()),
    ])
    .await;
    let allow = host.to_string();

    let tmp = tempfile::tempdir().expect("temp dir");
    let airliftd = Airliftd::start_with(
        &tmp.path().join("server"),
        &["--allow-artifact-host", &allow],
    );
    let token = airliftd.token("acme", "admin");
    let data = tmp.path().join("app");
    release_key(&data, &airliftd.url, &token).await;
    let server = airlift_desk::client::Client::new(
        &airliftd.url,
        Some(airlift_desk::secret::Secret::new(token.clone())),
        Default::default(),
    )
    .expect("API client");
    let env = vec![
        ("AIRLIFT_DATA_DIR", data.display().to_string()),
        ("AIRLIFT_SERVER_URL", airliftd.url.clone()),
        ("AIRLIFT_TOKEN", token.clone()),
        ("AIRLIFT_CONNECTION_NAME", "e2e".to_owned()),
    ];
    let display = support::Display::start();
    let driver = support::Driver::start_with_env(&display, &env);
    let client = driver
        .session(Path::new(env!("CARGO_BIN_EXE_airlift")))
        .await;
    support::wait_for_text(
        &client,
        "[data-testid=connection-state]",
        ui::TIMEOUT,
        |t| t.contains("Online"),
    )
    .await;

    // JSON: the editor points at a syntax error as it is typed (the app opens on the
    // dashboard; the catalog has the upload button).
    ui::click_button(&client, "Catalog").await;
    ui::click(&client, "[data-testid=open-upload]").await;
    ui::click(&client, "[data-testid=kind-JSON]").await;
    fill_details(&client, "3.1.0").await;
    type_json(
        &client,
        "{\n\"sample_s\": 5,\n\"alerts\" {\"max_c\": 60}\n}",
    )
    .await;
    let status = support::wait_for_text(&client, "[data-testid=json-status]", ui::TIMEOUT, |t| {
        t.starts_with("Line 3, column 10")
    })
    .await;
    assert!(status.contains("expected ':'"), "{status}");
    support::screenshot(&client, "package-json-error").await;
    type_json(
        &client,
        "{\n\"sample_s\": 5,\n\"alerts\": {\"max_c\": 60}\n}",
    )
    .await;
    let canonical = r#"{"alerts":{"max_c":60},"sample_s":5}"#;
    support::wait_for_text(&client, "[data-testid=json-status]", ui::TIMEOUT, |t| {
        t.contains(&format!(
            "Valid JSON object · {} of 65,536 bytes",
            canonical.len()
        ))
    })
    .await;
    ui::click(&client, "[data-testid=create-inline-package]").await;
    support::wait_for_text(&client, "[data-testid=inline-result]", ui::TIMEOUT, |t| {
        t.contains("Package 3.1.0 (JSON) is available")
    })
    .await;
    support::screenshot(&client, "package-json-created").await;

    // URL list: one wrong checksum refuses the list, and the form says which file.
    ui::click(&client, "[data-testid=kind-URL_LIST]").await;
    fill_details(&client, "3.2.0").await;
    fill_row(
        &client,
        1,
        &format!("http://{allow}/model.bin"),
        &sha256_hex(&model),
        model.len(),
    )
    .await;
    ui::click(&client, "[data-testid=add-file]").await;
    fill_row(
        &client,
        2,
        &format!("http://{allow}/labels.txt"),
        &sha256_hex(b"other"),
        labels.len(),
    )
    .await;
    ui::click(&client, "[data-testid=create-inline-package]").await;
    let list = support::wait_for_text(&client, "[data-testid=url-list]", ui::TIMEOUT, |t| {
        t.contains("Refused")
    })
    .await;
    assert!(list.contains("Verified"), "the first file passed: {list}");
    assert!(
        list.contains("payload[1]") && list.contains("checksum mismatch"),
        "{list}"
    );
    support::screenshot(&client, "package-url-list-refused").await;
    let listed = server
        .packages(&Default::default())
        .await
        .expect("list packages");
    assert!(
        listed.data.iter().all(|p| p.version != "3.2.0"),
        "nothing was created"
    );

    fill_row(
        &client,
        2,
        &format!("http://{allow}/labels.txt"),
        &sha256_hex(&labels),
        labels.len(),
    )
    .await;
    ui::click(&client, "[data-testid=create-inline-package]").await;
    support::wait_for_text(&client, "[data-testid=inline-result]", ui::TIMEOUT, |t| {
        t.contains("Package 3.2.0 (URL list) is available")
    })
    .await;
    let list = ui::find(&client, "[data-testid=url-list]")
        .await
        .text()
        .await
        .expect("url list text");
    assert_eq!(list.matches("Verified").count(), 2, "{list}");
    support::screenshot(&client, "package-url-list-created").await;
    // The next step is offered as after a file upload: a rollout of the new package.
    support::wait_for_text(
        &client,
        "[data-testid=start-rollout-of-inline]",
        ui::TIMEOUT,
        |t| t == "Start a rollout of 3.2.0",
    )
    .await;

    // The server holds both, signed with the app's key; the catalog shows their types.
    let listed = server
        .packages(&Default::default())
        .await
        .expect("list packages");
    let json = listed
        .data
        .iter()
        .find(|p| p.version == "3.1.0")
        .expect("the JSON package");
    assert_eq!(json.payload_type, airlift_core::payload::PayloadType::Json);
    assert_eq!(json.sha256, sha256_hex(canonical.as_bytes()));
    assert!(json.signing_key_id.is_some(), "signed and verified");
    let urls = listed
        .data
        .iter()
        .find(|p| p.version == "3.2.0")
        .expect("the URL list package");
    assert_eq!(
        urls.payload_type,
        airlift_core::payload::PayloadType::UrlList
    );
    ui::click_button(&client, "Show in catalog").await;
    support::wait_for_text(
        &client,
        "[data-testid=detail-payload-type]",
        ui::TIMEOUT,
        |t| t == "URL list",
    )
    .await;
    // (Beside the detail panel the grid shows the type column, not the version.)
    support::wait_for_text(&client, "[role=grid]", ui::TIMEOUT, |t| {
        t.contains("JSON") && t.contains("URL list")
    })
    .await;
    support::screenshot(&client, "catalog-payload-types").await;
}
