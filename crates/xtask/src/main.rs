//! `cargo xtask run` and `cargo xtask test`: the two commands of the README (and `cargo xtask
//! screenshots`, which refreshes the README's pictures from the last test run, and `cargo
//! xtask package`, which builds the Debian packages).
//!
//! Each first makes the machine ready (idempotently: it only installs what is missing), then
//! does its one job. Set-up lives in [`setup`], the steps in [`run`] and [`test`].

mod cluster;
mod cmd;
mod node;
mod package;
mod run;
mod screenshots;
mod setup;
mod test;

use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask <command>

commands:
  run     set up this machine, then launch the desktop app
  test    set up this machine, then run every test (UI, Rust, end-to-end under Xvfb)
  setup   only the set-up (Debian packages, npm packages, tauri-driver)
  cluster [--nodes N]
          a local deployment of several servers: PostgreSQL, the S3 test server, N airliftd
          (default 3) and nginx in front, on loopback; prints the URL and an admin token
  package [--server] [--cli] [--app]
          the Debian packages (release builds): airliftd (a systemd service) and airlift-cli
          into target/debian/, the desktop app into target/release/bundle/deb/
  screenshots
          copy the screenshots of the last test run (target/screenshots/) into
          tests/screenshots/, the README's folder";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("run") => run::run(&args[1..]),
        Some("test") => test::test(&args[1..]),
        Some("setup") => setup::setup(setup::Purpose::Test),
        Some("screenshots") => screenshots::screenshots(),
        Some("cluster") => cluster::cluster(&args[1..]),
        Some("package") => package::package(&args[1..]),
        Some("-h" | "--help" | "help") | None => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Some(other) => Err(format!("unknown command `{other}`\n\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}
