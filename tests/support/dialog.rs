//! Answers the app's real GTK file dialogs as a person at the keyboard would: wait for the
//! dialog's window on the test's X display, type the path, press Enter. xdotool sends real X
//! input events (XTEST), so the dialog cannot tell them from a person's.

use std::process::Command;
use std::time::Duration;

use super::Display;
use std::path::Path;

/// Titles of the app's dialogs (a prefix is enough: xdotool matches a regular expression).
pub const CHOOSE_BUILD: &str = "Choose a build to upload";
pub const CHOOSE_KEY: &str = "Choose a private key";
pub const CHOOSE_CA: &str = "Choose the server's CA certificate";
pub const EXPORT_HISTORY: &str = "Export the device";

/// How long a dialog may take to appear after the click that opens it.
const APPEAR: Duration = Duration::from_secs(30);

/// Chooses `path` in the open dialog titled `title` (GTK's file chooser: Ctrl+L opens its
/// location field, which takes an absolute path).
pub async fn open_file(display: &Display, title: &str, path: &Path) {
    answer(display, title, "ctrl+l", path).await;
}

/// Saves to `path` from the open save dialog titled `title`: its name field has the focus and
/// the suggested name selected; an absolute path typed there replaces both folder and name.
pub async fn save_file(display: &Display, title: &str, path: &Path) {
    answer(display, title, "ctrl+a", path).await;
}

/// Waits for the dialog, presses `first_key` in it, types `path` and Enter, and waits for the
/// dialog to close; off the async runtime, as xdotool and the waits block.
async fn answer(display: &Display, title: &str, first_key: &'static str, path: &Path) {
    let (display, title, path) = (
        display.name.clone(),
        title.to_owned(),
        path.display().to_string(),
    );
    tokio::task::spawn_blocking(move || {
        let window = wait_for_window(&display, &title);
        focus(&display, &window);
        xdotool(&display, &["key", "--clearmodifiers", first_key]);
        type_line(&display, &title, &path);
    })
    .await
    .expect("answering the dialog");
}

/// The id of the visible window titled `title`; panics after `APPEAR`.
fn wait_for_window(display: &str, title: &str) -> String {
    let deadline = std::time::Instant::now() + APPEAR;
    loop {
        if let Some(id) = visible_window(display, title) {
            return id;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no dialog titled {title:?} appeared on {display} within {APPEAR:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn visible_window(display: &str, title: &str) -> Option<String> {
    let out = Command::new("xdotool")
        .args(["search", "--onlyvisible", "--name", title])
        .env("DISPLAY", display)
        .output()
        .expect("xdotool is not installed: run `cargo xtask test`, which installs it");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .next()
        .map(str::to_owned)
}

/// Gives the dialog the keyboard. No window manager runs on the test display, so the pointer
/// decides where keys go (X's default focus follows it): move it over the dialog and set the
/// focus explicitly too, then let GTK settle its focused widget.
fn focus(display: &str, window: &str) {
    xdotool(display, &["mousemove", "--window", window, "40", "40"]);
    // Fails harmlessly (BadMatch) if the window is still being mapped; the pointer suffices.
    let _ = Command::new("xdotool")
        .args(["windowfocus", "--sync", window])
        .env("DISPLAY", display)
        .output();
    std::thread::sleep(Duration::from_millis(500));
}

/// Types `text` and presses Enter. The key is released only once the dialog has closed: GTK
/// destroys the dialog on the press, and a release arriving after that is an event for an
/// unrealized widget (a Gtk-CRITICAL on the test output).
fn type_line(display: &str, title: &str, text: &str) {
    xdotool(display, &["type", "--delay", "15", "--", text]);
    std::thread::sleep(Duration::from_millis(300));
    xdotool(display, &["keydown", "Return"]);
    wait_closed(display, title);
    xdotool(display, &["keyup", "Return"]);
}

/// Waits for the dialog to close (the app got its answer).
fn wait_closed(display: &str, title: &str) {
    let closed = super::wait_until(APPEAR, || visible_window(display, title).is_none());
    assert!(closed, "the dialog {title:?} stayed open after the answer");
}

fn xdotool(display: &str, args: &[&str]) {
    let out = Command::new("xdotool")
        .args(args)
        .env("DISPLAY", display)
        .output()
        .expect("xdotool is not installed: run `cargo xtask test`, which installs it");
    assert!(
        out.status.success(),
        "xdotool {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
