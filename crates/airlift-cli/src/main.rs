//! `airlift-cli`: Airlift for release pipelines. See the crate README for commands and exit codes.

mod args;
mod commands;
mod context;
mod duration;
mod exit;
mod output;
mod progress;

use std::process::ExitCode;

use clap::Parser as _;

use args::{Cli, Command};
use context::Context;
use exit::Failure;
use output::Output;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => return ExitCode::from(usage_error(&err)),
    };
    let out = Output {
        json: cli.global.json,
    };
    log_to_stderr();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("airlift-cli: could not start: {err}");
            return ExitCode::from(exit::OTHER);
        }
    };
    let outcome = runtime.block_on(async {
        // An upload stops by itself on Ctrl-C (keeping what the server holds, for a resume) and
        // reports CANCELLED; every other command just stops.
        if matches!(cli.command, Command::Upload(_)) {
            return run(out, &cli).await;
        }
        tokio::select! {
            outcome = run(out, &cli) => outcome,
            _ = tokio::signal::ctrl_c() => Ok(exit::INTERRUPTED),
        }
    });
    // Background tasks (an event stream, a progress ticker) must not hold the exit.
    runtime.shutdown_background();
    match outcome {
        Ok(code) => ExitCode::from(code),
        Err(failure) => {
            out.failure(&failure);
            ExitCode::from(failure.code())
        }
    }
}

/// Warnings (and the event watcher's reconnects, which name the URL) on stderr, plainly off a
/// terminal; `RUST_LOG` overrides the filter.
fn log_to_stderr() {
    use std::io::IsTerminal as _;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,airlift_desk::watch=info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .try_init();
}

/// Prints a flag or argument error (as JSON on stdout when `--json` is among the arguments)
/// and returns its exit code: 0 for `--help` and `--version`, 2 for the rest.
fn usage_error(err: &clap::Error) -> u8 {
    if !err.use_stderr() {
        let _ = err.print();
        return exit::OK;
    }
    if std::env::args_os().any(|a| a == "--json") {
        let message = message_of(&err.to_string());
        println!(
            "{}",
            serde_json::json!({"error": {"code": "INVALID_ARGUMENT", "message": message}})
        );
    } else {
        let _ = err.print();
    }
    exit::USAGE
}

/// clap's message without its "error: " prefix and usage block, on one line: "the following
/// required arguments were not provided: --version <VERSION>, --type <PACKAGE_TYPE>".
fn message_of(text: &str) -> String {
    let mut lines = text.lines().take_while(|l| !l.trim().is_empty());
    let first = lines.next().unwrap_or_default();
    let first = first.strip_prefix("error: ").unwrap_or(first);
    let rest: Vec<&str> = lines.map(str::trim).collect();
    if rest.is_empty() {
        first.to_owned()
    } else {
        format!("{} {}", first, rest.join(", "))
    }
}

async fn run(out: Output, cli: &Cli) -> Result<u8, Failure> {
    let g = &cli.global;
    let ctx = || Context::new(g);
    match &cli.command {
        Command::Hash { file } => commands::hash::run(out, file),
        Command::Connection(cmd) => commands::connection::run(out, g, cmd),
        Command::Key(cmd) => commands::key::run(out, g, cmd).await,
        Command::Upload(args) => commands::upload::run(out, g, &ctx()?, args).await,
        Command::Package(cmd) => commands::package::run(out, g, &ctx()?, cmd).await,
        Command::Image(cmd) => commands::image::run(out, &ctx()?, cmd).await,
        Command::UploadJob(cmd) => commands::image::run_jobs(out, &ctx()?, cmd).await,
        Command::Profile(cmd) => commands::profile::run(out, &ctx()?, cmd).await,
        Command::Devices(cmd) => commands::devices::run(out, &ctx()?, cmd).await,
        Command::Rollout(cmd) => commands::rollout::run(out, &ctx()?, cmd).await,
        Command::Watch(args) => commands::watch::run(out, ctx()?, args).await,
        Command::Sync => commands::sync::run(out, &ctx()?).await,
    }
}
