//! `cargo xtask run`: set up, build the UI, launch the desktop app.

use crate::{cmd, setup};

pub fn run(app_args: &[String]) -> Result<(), String> {
    setup::setup(setup::Purpose::Run)?;
    let root = cmd::root();
    cmd::run(&root.join("ui"), "npm", &["run", "build"])?;
    if std::env::var_os("DISPLAY").is_none() && std::env::var_os("WAYLAND_DISPLAY").is_none() {
        return Err(
            "no display: run this from a desktop session (or under `xvfb-run` for a headless check)"
                .into(),
        );
    }
    // The app's "Local demo fleet" runs `airlift-sim demo`, which runs `airliftd`; both are
    // looked up next to the app binary, so build them into the same target directory first.
    cmd::run(
        &root,
        "cargo",
        &[
            "build",
            "--package",
            "airlift-server",
            "--package",
            "airlift-sim",
            "--bins",
        ],
    )?;
    let mut app = std::process::Command::new("cargo");
    app.current_dir(&root)
        .args(["run", "--package", "airlift", "--"])
        .args(app_args);
    // With no server given, the app starts its local demo fleet when it has no connection yet.
    if std::env::var_os("AIRLIFT_SERVER_URL").is_none() {
        app.env("AIRLIFT_START_DEMO", "1");
    }
    cmd::run_with(&mut app)
}
