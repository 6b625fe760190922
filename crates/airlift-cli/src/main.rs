//! `airlift-cli`: Airlift for release pipelines. See the crate README for commands and exit codes.

mod args;
mod commands;
mod context;
mod exit;
mod output;

use std::process::ExitCode;

use clap::Parser as _;

use args::{Cli, Command, DevicesCommand, PackageCommand};
use context::{open_cache, Context};
use exit::Failure;
use output::Output;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            // --help and --version are successes; everything else is a usage error (2).
            let _ = err.print();
            return ExitCode::from(if err.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            });
        }
    };
    let out = Output {
        json: cli.global.json,
    };
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
    match runtime.block_on(run(out, &cli)) {
        Ok(()) => ExitCode::from(exit::OK),
        Err(failure) => {
            out.failure(&failure);
            ExitCode::from(failure.code())
        }
    }
}

async fn run(out: Output, cli: &Cli) -> Result<(), Failure> {
    let g = &cli.global;
    match &cli.command {
        Command::Hash { file } => commands::hash::run(out, file),
        Command::Connection(cmd) => commands::connection::run(out, g, cmd),
        Command::Upload(args) => {
            let ctx = Context::new(g)?;
            let cache = open_cache(g)?;
            commands::upload::run(out, g, &ctx, &cache, args).await
        }
        Command::Package(PackageCommand::Create { image, package }) => {
            let ctx = Context::new(g)?;
            commands::package::create(out, g, &ctx, image, package).await
        }
        Command::Package(PackageCommand::List) => {
            let ctx = Context::new(g)?;
            let cache = open_cache(g)?;
            commands::package::list(out, &ctx, &cache).await
        }
        Command::Devices(DevicesCommand::List { prefix, limit }) => {
            let ctx = Context::new(g)?;
            let cache = open_cache(g)?;
            commands::devices::list(out, &ctx, &cache, prefix.clone(), *limit).await
        }
        Command::Devices(DevicesCommand::History { device_id, limit }) => {
            let ctx = Context::new(g)?;
            let cache = open_cache(g)?;
            commands::devices::history(out, &ctx, &cache, device_id, *limit).await
        }
        Command::Rollout(cmd) => {
            let ctx = Context::new(g)?;
            let cache = open_cache(g)?;
            commands::rollout::run(out, &ctx, &cache, cmd).await
        }
        Command::Watch => {
            let ctx = Context::new(g)?;
            let cache = open_cache(g)?;
            commands::watch::run(out, ctx, cache).await
        }
        Command::Sync => {
            let ctx = Context::new(g)?;
            let cache = open_cache(g)?;
            commands::sync::run(out, &ctx, &cache).await
        }
    }
}
