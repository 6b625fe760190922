//! Native open and save dialogs that never block the app.
//!
//! rfd's blocking dialogs wait on the main thread for a GTK loop that only the main thread
//! runs, so the app froze. Its async dialogs are the way it supports inside an event loop: the
//! dialog is built and shown by the main loop (GTK's idle callback), its answer comes back
//! through a future awaited here, on a worker thread, and the window keeps painting and
//! answering meanwhile. The main window is the dialog's parent where the platform uses one.

use std::path::PathBuf;

use tauri::{AppHandle, Manager as _};

/// A file type filter: its label and extensions.
pub type Filter = (&'static str, &'static [&'static str]);

/// The person's choice of a file to open; `None` when they close the dialog.
pub async fn pick_file(app: &AppHandle, title: &str, filter: Option<Filter>) -> Option<PathBuf> {
    let mut dialog = with_parent(app, rfd::AsyncFileDialog::new().set_title(title));
    if let Some((label, extensions)) = filter {
        dialog = dialog
            .add_filter(label, extensions)
            .add_filter("All files", &["*"]);
    }
    dialog.pick_file().await.map(|f| f.path().to_path_buf())
}

/// The person's choice of where to save `file_name`; `None` when they close the dialog.
pub async fn save_file(
    app: &AppHandle,
    title: &str,
    file_name: &str,
    filter: Filter,
) -> Option<PathBuf> {
    let mut dialog = rfd::AsyncFileDialog::new()
        .set_title(title)
        .set_file_name(file_name)
        .add_filter(filter.0, filter.1);
    if let Some(folder) = save_folder(app) {
        dialog = dialog.set_directory(folder);
    }
    with_parent(app, dialog)
        .save_file()
        .await
        .map(|f| f.path().to_path_buf())
}

/// Where a save dialog opens: the person's Downloads folder, else their home; never the
/// folder the app happened to be started from.
fn save_folder(app: &AppHandle) -> Option<PathBuf> {
    let paths = app.path();
    [paths.download_dir(), paths.home_dir()]
        .into_iter()
        .flatten()
        .find(|dir| dir.is_dir())
}

fn with_parent(app: &AppHandle, dialog: rfd::AsyncFileDialog) -> rfd::AsyncFileDialog {
    match app.get_webview_window("main") {
        Some(window) => dialog.set_parent(&window),
        None => dialog,
    }
}
