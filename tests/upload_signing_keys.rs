//! Signing keys from the window, end to end, against a real airliftd on loopback: Settings
//! creates a key and registers its public half with the tenant, imports an OpenSSL key file
//! (chosen in the real file dialog; a wrong file passphrase is shown next to its
//! field), and the upload wizard signs a package with the new key, which the server verifies.

mod support;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use airlift_desk::client::ListParams;
use support::airliftd::Airliftd;
use support::ui;

const PASSPHRASE: &str = "a long enough passphrase";

fn openssl(args: &[&str], dir: &Path) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run openssl");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_register_import_and_sign_with_keys_from_the_window() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let airliftd = Airliftd::start(&tmp.path().join("server"));
    let token = airliftd.token("acme", "admin");
    let server = airlift_desk::client::Client::new(
        &airliftd.url,
        Some(airlift_desk::secret::Secret::new(token.clone())),
        Default::default(),
    )
    .expect("API client");

    // A P-256 key as a CI system exports it: encrypted PKCS#8.
    openssl(
        &[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
            "plain.pem",
        ],
        tmp.path(),
    );
    openssl(
        &[
            "pkcs8",
            "-topk8",
            "-v2",
            "aes-256-cbc",
            "-in",
            "plain.pem",
            "-out",
            "ci-key.pem",
            "-passout",
            "pass:export pass",
        ],
        tmp.path(),
    );
    let firmware = tmp.path().join("sensor-4.0.0.bin");
    std::fs::write(&firmware, vec![0x5a; 2 * 1024 * 1024 + 17]).expect("write firmware");
    let data = tmp.path().join("app");
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
    ui::click_button(&client, "Settings").await;
    support::wait_for_text(&client, "[data-testid=signing-keys]", ui::TIMEOUT, |t| {
        t.contains("No signing keys on this computer yet.")
    })
    .await;

    // Create: the form refuses a short passphrase next to its field, then stores the key.
    ui::click(&client, "[data-testid=create-key]").await;
    ui::type_into(&client, "#nk-name", "field-2026").await;
    ui::type_into(&client, "#nk-passphrase", "short").await;
    ui::type_into(&client, "#nk-confirm", "short").await;
    ui::click(&client, "[data-testid=create-key-submit]").await;
    support::wait_for_text(&client, "#nke-passphrase", ui::TIMEOUT, |t| {
        t.contains("at least 12 characters")
    })
    .await;
    // Lengthened to "short and long enough" in both fields.
    ui::type_into(&client, "#nk-passphrase", " and long enough").await;
    ui::type_into(&client, "#nk-confirm", " and long enough").await;
    ui::click(&client, "[data-testid=create-key-submit]").await;
    support::wait_for_text(
        &client,
        "[data-testid=signing-key-list]",
        ui::TIMEOUT,
        |t| t.contains("field-2026") && t.contains("Not registered with e2e"),
    )
    .await;

    // Register: the tenant now trusts exactly this public key.
    ui::click(&client, "[data-testid=register-key-field-2026]").await;
    support::wait_for_text(
        &client,
        "[data-testid=key-registered-field-2026]",
        ui::TIMEOUT,
        |t| t == "✓ Trusted by e2e",
    )
    .await;
    let tenant = airlift_desk::signing::tenant_keys(&server)
        .await
        .expect("tenant keys");
    assert_eq!(tenant.len(), 1, "{tenant:?}");
    assert_eq!(tenant[0].name, "field-2026");
    let local = airlift_desk::signing::KeyStore::open(&data.join("keys"))
        .expect("key store")
        .list()
        .expect("list keys");
    assert_eq!(local.len(), 1);
    assert_eq!(tenant[0].fingerprint, local[0].fingerprint);

    // Import: a wrong file passphrase is shown next to its field; the right one imports.
    ui::click(&client, "[data-testid=import-key]").await;
    ui::click(&client, "[data-testid=pick-key-file]").await;
    let key_file = tmp.path().join("ci-key.pem");
    support::dialog::open_file(&display, support::dialog::CHOOSE_KEY, &key_file).await;
    support::wait_for_text(&client, "[data-testid=picked-key-file]", ui::TIMEOUT, |t| {
        t == "ci-key.pem"
    })
    .await;
    ui::type_into(&client, "#ik-filePassphrase", "export pas").await;
    ui::type_into(&client, "#ik-passphrase", PASSPHRASE).await;
    ui::type_into(&client, "#ik-confirm", PASSPHRASE).await;
    ui::click(&client, "[data-testid=import-key-submit]").await;
    support::wait_for_text(&client, "#ike-filePassphrase", ui::TIMEOUT, |t| {
        t.contains("does not unlock this key")
    })
    .await;
    ui::type_into(&client, "#ik-filePassphrase", "s").await;
    ui::click(&client, "[data-testid=import-key-submit]").await;
    let list = support::wait_for_text(
        &client,
        "[data-testid=signing-key-list]",
        ui::TIMEOUT,
        |t| t.contains("ci-key"),
    )
    .await;
    assert!(list.contains("ECDSA P-256"), "{list}");
    assert!(list.contains("Ed25519"), "{list}");
    let _ = client
        .execute(
            "document.querySelector('[data-testid=signing-keys]').scrollIntoView();",
            vec![],
        )
        .await;
    support::screenshot(&client, "settings-keys").await;

    // Only public keys left the machine; the key store holds encrypted private keys only.
    let tenant = airlift_desk::signing::tenant_keys(&server)
        .await
        .expect("tenant keys");
    assert_eq!(tenant.len(), 1, "importing must not register: {tenant:?}");
    for entry in std::fs::read_dir(data.join("keys"))
        .expect("key folder")
        .flatten()
    {
        let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
        assert!(
            !text.contains("BEGIN PRIVATE KEY") && !text.contains("BEGIN EC PRIVATE KEY"),
            "{} holds an unencrypted key",
            entry.path().display()
        );
    }

    // The wizard signs with the new key, and the server verifies the signature.
    ui::click_button(&client, "Catalog").await;
    ui::click(&client, "[data-testid=open-upload]").await;
    ui::click(&client, "[data-testid=choose-file]").await;
    support::dialog::open_file(&display, support::dialog::CHOOSE_BUILD, &firmware).await;
    support::wait_for_text(&client, "[data-testid=file-sha256]", ui::TIMEOUT, |t| {
        t.len() == 64
    })
    .await;
    ui::replace_text(&client, "#f-version", "4.0.0").await;
    ui::type_into(&client, "#f-deviceType", "temp-sensor").await;
    ui::type_into(&client, "#f-minVersion", "1.0.0").await;
    ui::click_button(&client, "Next: signing").await;
    ui::click(&client, "[data-testid=key-field-2026]").await;
    support::wait_for_text(
        &client,
        "[data-testid=selected-key-status]",
        ui::TIMEOUT,
        |t| t.contains("Trusted by e2e"),
    )
    .await;
    ui::type_into(&client, "#f-passphrase", "short and long enough").await;
    ui::click(&client, "[data-testid=start-upload]").await;
    let done = support::wait_for_text(
        &client,
        "[data-testid=upload-done]",
        Duration::from_secs(120),
        |t| !t.is_empty(),
    )
    .await;
    assert_eq!(done, "Package 4.0.0 is available");
    let verdict = support::wait_for_text(&client, ".verdict", ui::TIMEOUT, |t| {
        t.contains("Signature verified")
    })
    .await;
    assert!(verdict.contains(&tenant[0].key_id), "{verdict}");
    let packages = server
        .packages(&ListParams::default())
        .await
        .expect("packages");
    assert_eq!(packages.data.len(), 1);
    assert_eq!(
        packages.data[0].signing_key_id.as_deref(),
        Some(tenant[0].key_id.as_str())
    );
    client.close().await.expect("close the session");
}
