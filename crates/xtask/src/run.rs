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
    let mut args = vec!["run", "--package", "airlift", "--"];
    args.extend(app_args.iter().map(String::as_str));
    cmd::run(&root, "cargo", &args)
}
