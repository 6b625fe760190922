//! airlift-agent: the OTA agent for a Linux device managed by airliftd (spec "Device agent").

mod agent;
mod cli;
mod config;
mod download;
mod error;
mod fsutil;
mod hook;
mod job;
mod log;
mod state;
mod version;

use std::process::ExitCode;

use clap::Parser as _;

use crate::cli::{Cli, Command};
use crate::config::Config;
use crate::error::AgentError;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // One thread: the agent does one thing at a time, and a device's RAM is precious.
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            log::warn(&format!("starting the runtime: {e}"));
            return ExitCode::from(1);
        }
    };
    let result = rt.block_on(async {
        match cli.command {
            Command::Run(args) => {
                let agent = agent::Agent::new(Config::load(args)?)?;
                tokio::select! {
                    r = agent.run() => r,
                    _ = terminated() => {
                        // Every step is already durable; stopping here loses nothing.
                        log::info("stopping");
                        Ok(())
                    }
                }
            }
            Command::Check(args) => check(Config::load(args)?).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            log::warn(&format!("{e} ({})", e.code()));
            ExitCode::from(e.exit_code())
        }
    }
}

/// Validates what `run` would use and asks the server for this device's assignment once.
async fn check(cfg: Config) -> Result<(), AgentError> {
    let running = version::read(&cfg.args.version_file).map_err(AgentError::Config)?;
    state::State::load(cfg.state_dir()).map_err(AgentError::State)?;
    let probe = cfg.state_dir().join(".write-test");
    fsutil::write_atomic(&probe, b"ok")
        .and_then(|()| std::fs::remove_file(&probe))
        .map_err(|e| {
            AgentError::Config(format!(
                "state dir {} is not writable: {e}",
                cfg.state_dir().display()
            ))
        })?;
    let assignment = cfg
        .http
        .poll(&cfg.creds)
        .await
        .map_err(AgentError::from_call)?;
    println!(
        "configuration ok: device {} runs {running}",
        cfg.creds.device_id
    );
    println!("trusted keys: {}", cfg.keys.len());
    match assignment {
        Some(a) => println!(
            "server {} reachable; assigned {} ({})",
            cfg.args.server, a.version, a.package_id
        ),
        None => println!("server {} reachable; nothing assigned", cfg.args.server),
    }
    Ok(())
}

async fn terminated() {
    use tokio::signal::unix::{signal, SignalKind};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
