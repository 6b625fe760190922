//! The release manager's journey as a person walks it, shared by the journey tests: the app on
//! a fresh profile starting its own local demo fleet (as `cargo xtask run` does), a build chosen
//! in the real file dialog and uploaded through the wizard, and a rollout made in the rollout
//! wizard by the names a person reads (not ids).

use std::path::Path;
use std::time::Duration;

use fantoccini::{Client, Locator};

use super::{dialog, ui, Display, Driver};

/// The demo provisions its few hundred devices before it answers.
pub const DEMO_START: Duration = Duration::from_secs(180);
/// Long enough for the demo's devices (5 s polls) to take a slice through install.
pub const SETTLE: Duration = Duration::from_secs(240);

/// The app on a fresh profile in `data`, starting its local demo fleet, with its window open.
pub struct App {
    pub client: Client,
    pub display: Display,
    _driver: Driver,
}

impl App {
    pub async fn with_demo(data: &Path) -> App {
        let env = vec![
            ("AIRLIFT_DATA_DIR", data.display().to_string()),
            ("AIRLIFT_START_DEMO", "1".to_owned()),
        ];
        let display = Display::start();
        let driver = Driver::start_with_env(&display, &env);
        let client = driver
            .session(Path::new(env!("CARGO_BIN_EXE_airlift")))
            .await;
        super::wait_for_text(&client, "[data-testid=connection-state]", DEMO_START, |t| {
            t.contains("Online")
        })
        .await;
        // The app opens on the dashboard; the catalog is a click away.
        ui::click_button(&client, "Catalog").await;
        super::wait_for_text(&client, "[data-testid=package-count]", ui::TIMEOUT, |t| {
            t == "2 of 2 packages"
        })
        .await;
        App {
            client,
            display,
            _driver: driver,
        }
    }
}

/// What the upload wizard is given.
pub struct Build<'a> {
    pub file: &'a Path,
    pub sha256: &'a str,
    pub version: &'a str,
    pub device_type: &'a str,
}

/// Catalog → Upload package → "Choose file…" answered in the GTK dialog → the hash shown is the
/// file's → details → Next: signing. Returns at the signing step.
pub async fn upload_to_signing(app: &App, build: &Build<'_>) {
    let client = &app.client;
    ui::click_button(client, "Catalog").await;
    ui::click(client, "[data-testid=open-upload]").await;
    ui::click(client, "[data-testid=choose-file]").await;
    dialog::open_file(&app.display, dialog::CHOOSE_BUILD, build.file).await;
    let shown = super::wait_for_text(client, "[data-testid=file-sha256]", ui::TIMEOUT, |t| {
        t.len() == 64
    })
    .await;
    assert_eq!(shown, build.sha256, "the hash the app shows is the file's");
    let named = build
        .file
        .file_name()
        .is_some_and(|n| n.to_string_lossy().contains(build.version));
    if named {
        assert_eq!(
            ui::value_of(client, "#f-version").await,
            build.version,
            "the version the file name carries is suggested"
        );
    }
    ui::replace_text(client, "#f-version", build.version).await;
    ui::type_into(client, "#f-deviceType", build.device_type).await;
    ui::type_into(client, "#f-minVersion", "1.0.0").await;
    ui::type_into(client, "#f-releaseNotes", "Built for the journey test.").await;
    ui::click_button(client, "Next: signing").await;
    ui::find(client, "[data-testid=start-upload]").await;
}

/// Presses Upload and waits for the server's verdict; returns the verdict's text.
pub async fn finish_upload(client: &Client, version: &str) -> String {
    ui::click(client, "[data-testid=start-upload]").await;
    let done = super::wait_for_text(
        client,
        "[data-testid=upload-done]",
        Duration::from_secs(120),
        |t| !t.is_empty(),
    )
    .await;
    assert_eq!(done, format!("Package {version} is available"));
    super::wait_for_text(client, ".verdict", ui::TIMEOUT, |t| !t.is_empty()).await
}

/// Whether the radio button `css` is checked.
pub async fn checked(client: &Client, css: &str) -> bool {
    let element = ui::find(client, css).await;
    client
        .execute(
            "return arguments[0].checked === true;",
            vec![serde_json::to_value(&element).expect("element as a script argument")],
        )
        .await
        .expect("read checked")
        .as_bool()
        .unwrap_or(false)
}

/// A rollout made in the wizard: package and profile by their labels, a canary and threshold,
/// a rollback package by its label (`None`: no rollback package). Starts it and returns once
/// its view shows.
pub struct Plan<'a> {
    pub package: &'a str,
    pub profile: &'a str,
    pub canary: &'a str,
    pub threshold: &'a str,
    pub rollback: Option<&'a str>,
}

pub async fn start_rollout(client: &Client, plan: &Plan<'_>) -> String {
    ui::click_button(client, "Rollouts").await;
    ui::click(client, "[data-testid=open-rollout-wizard]").await;
    select_label(client, "w-package", plan.package).await;
    fill_and_start(client, plan).await
}

/// From an upload's result, "Start a rollout of X" opens the wizard with the package chosen;
/// the rest as [`start_rollout`].
pub async fn start_rollout_of_upload(client: &Client, plan: &Plan<'_>) -> String {
    ui::click(client, "[data-testid=start-rollout-of-upload]").await;
    let deadline = std::time::Instant::now() + ui::TIMEOUT;
    loop {
        let label = client
            .execute(
                "const s = document.getElementById('w-package'); \
                 return s && s.selectedIndex >= 0 ? s.options[s.selectedIndex].text.trim() : '';",
                vec![],
            )
            .await
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        if label == plan.package {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the wizard opened from the upload shows package {label:?}, not {:?}",
            plan.package
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    fill_and_start(client, plan).await
}

async fn fill_and_start(client: &Client, plan: &Plan<'_>) -> String {
    select_label(client, "w-profile", plan.profile).await;
    super::wait_for_text(client, "[data-testid=eligible-count]", ui::TIMEOUT, |t| {
        !t.is_empty()
    })
    .await;
    ui::click_button(client, "Next: strategy").await;
    retype(client, "#w-canary", plan.canary).await;
    retype(client, "#w-threshold", plan.threshold).await;
    select_label(
        client,
        "w-rollback",
        plan.rollback.unwrap_or("No rollback package"),
    )
    .await;
    super::wait_for_text(client, "[data-testid=strategy-count]", ui::TIMEOUT, |t| {
        t.starts_with("Starts with")
    })
    .await;
    ui::click_button(client, "Next: schedule").await;
    ui::click_button(client, "Next: review").await;
    let scheduled =
        super::wait_for_text(client, "[data-testid=review-scheduled]", ui::TIMEOUT, |t| {
            !t.is_empty()
        })
        .await;
    ui::click(client, "[data-testid=start-rollout]").await;
    super::wait_for_text(client, "[data-testid=rollout-status]", ui::TIMEOUT, |t| {
        !t.is_empty()
    })
    .await;
    scheduled
}

/// The number a rollout view's counter shows (`count-successful`, `count-failed`, ...).
pub async fn count(client: &Client, name: &str) -> u64 {
    let text = ui::find(client, &format!("[data-testid=count-{name}]"))
        .await
        .text()
        .await
        .unwrap_or_default();
    text.trim().parse().unwrap_or(0)
}

/// Chooses the option of `<select id=…>` whose text is `label` (what a person reads), once the
/// server's options have arrived.
async fn select_label(client: &Client, id: &str, label: &str) {
    let xpath = format!("//select[@id='{id}']/option[normalize-space()='{label}']");
    let deadline = std::time::Instant::now() + ui::TIMEOUT;
    loop {
        match client.find(Locator::XPath(&xpath)).await {
            Ok(option) => {
                option
                    .click()
                    .await
                    .unwrap_or_else(|err| panic!("choose {label:?} in #{id}: {err}"));
                return;
            }
            Err(_) if std::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(err) => {
                let offered = ui::find(client, &format!("#{id}"))
                    .await
                    .text()
                    .await
                    .unwrap_or_default();
                panic!("#{id} never offered {label:?} ({err}); it offers: {offered}");
            }
        }
    }
}

/// Replaces a short input's text (controlled inputs need real key presses).
pub async fn retype(client: &Client, css: &str, value: &str) {
    let backspaces = "\u{E003}".repeat(6);
    ui::type_into(client, css, &format!("{backspaces}{value}")).await;
}
