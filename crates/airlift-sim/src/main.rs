//! `airlift-sim`: see the crate README.

use std::io::Write as _;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Parser as _;

use airlift_sim::cli::{Cli, Command, ProvisionArgs, RunArgs, ServerArgs};
use airlift_sim::demo::{self, DemoOptions};
use airlift_sim::{
    creds, Fleet, Http, ProvisionSpec, StopCondition, StopHandle, Summary, UserApi, Verifier,
};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("airlift-sim: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(dispatch(cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("airlift-sim: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn dispatch(cmd: Command) -> anyhow::Result<()> {
    match cmd {
        Command::Provision(a) => provision(*a).await,
        Command::Run(a) => run(*a).await,
        Command::Demo(a) => {
            let a = *a;
            let cfg = a.sim.to_config("", demo::DEFAULT_FAIL_INSTALL);
            let summary = demo::run(DemoOptions {
                data: a.data,
                listen: a.listen,
                devices: a.devices,
                airliftd: a.airliftd,
                run: cfg,
            })
            .await?;
            print_summary(&summary)
        }
    }
}

fn user_api(s: &ServerArgs, max_in_flight: usize) -> anyhow::Result<UserApi> {
    let token = s
        .token
        .as_deref()
        .context("a user token is needed (AIRLIFT_TOKEN or --token)")?;
    let ca = s.ca_pem()?;
    let http = Http::with_ca(
        &s.url(),
        max_in_flight,
        airlift_sim::USER_AGENT,
        ca.as_deref(),
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(UserApi::new(http, token))
}

async fn profile_id(
    api: &UserApi,
    id: Option<&str>,
    name: Option<&str>,
    device_type: &str,
) -> anyhow::Result<String> {
    match (id, name) {
        (Some(id), _) => Ok(id.to_owned()),
        (None, Some(name)) => Ok(api
            .ensure_profile(name, device_type)
            .await
            .map_err(|e| anyhow::anyhow!("profile {name}: {e}"))?
            .profile_id),
        (None, None) => anyhow::bail!("--profile or --profile-name is required"),
    }
}

async fn provision(a: ProvisionArgs) -> anyhow::Result<()> {
    let api = user_api(&a.server, 16)?;
    let s = &a.spec;
    let profile = profile_id(
        &api,
        s.profile.as_deref(),
        s.profile_name.as_deref(),
        &s.device_type,
    )
    .await?;
    let fleet = Fleet::provision(
        &api,
        &ProvisionSpec {
            profile_id: profile.clone(),
            device_type: s.device_type.clone(),
            firmware_version: s.firmware.clone(),
            count: s.count,
            name_prefix: s.name_prefix.clone(),
            first_number: 0,
        },
    )
    .await?;
    if a.append {
        creds::append(&a.out, fleet.devices())?;
    } else {
        fleet.save(&a.out)?;
    }
    let mut out = std::io::stdout().lock();
    serde_json::to_writer(
        &mut out,
        &serde_json::json!({
            "provisioned": fleet.len(),
            "profile_id": profile,
            "devices_file": a.out.display().to_string(),
        }),
    )?;
    writeln!(out)?;
    Ok(())
}

async fn run(a: RunArgs) -> anyhow::Result<()> {
    let mut cfg = a.sim.to_config(&a.server.url(), 0.0);
    cfg.ca_cert_pem = a.server.ca_pem()?;
    let fleet = match (&a.devices, a.provision) {
        (Some(path), _) => {
            let mut fleet = Fleet::load(path)?;
            if a.server.token.is_some() {
                let unknown = fleet.refresh_firmware(&user_api(&a.server, 4)?).await?;
                if unknown > 0 {
                    eprintln!("airlift-sim: warning: {unknown} device(s) of the file are unknown to the server");
                }
            }
            fleet
        }
        (None, Some(n)) => {
            let api = user_api(&a.server, 16)?;
            let profile = profile_id(
                &api,
                a.profile.as_deref(),
                a.profile_name.as_deref(),
                &a.device_type,
            )
            .await?;
            let fleet = Fleet::provision(
                &api,
                &ProvisionSpec {
                    profile_id: profile,
                    device_type: a.device_type.clone(),
                    firmware_version: a.firmware.clone(),
                    count: n,
                    name_prefix: "sim".to_owned(),
                    first_number: 0,
                },
            )
            .await?;
            if let Some(p) = &a.save {
                fleet.save(p)?;
            }
            fleet
        }
        (None, None) => anyhow::bail!("--devices FILE or --provision N is required"),
    };
    cfg.verifier = if a.no_signature_check {
        Verifier::default()
    } else if !a.public_keys.is_empty() {
        let mut keys = Vec::new();
        for p in &a.public_keys {
            let pem =
                std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
            keys.push(
                Verifier::parse_pem(&pem).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?,
            );
        }
        Verifier::new(keys)
    } else if a.server.token.is_some() {
        // Fetched again when a device meets a key registered after this start.
        Verifier::fetching(user_api(&a.server, 4)?, cfg.key_refresh_interval)
            .await
            .map_err(anyhow::Error::msg)?
    } else {
        anyhow::bail!(
            "devices verify signatures: give AIRLIFT_TOKEN (to fetch the tenant's keys), --public-key PEM, or --no-signature-check"
        );
    };
    if cfg.verifier.key_count() == 0 && !a.no_signature_check {
        eprintln!(
            "airlift-sim: warning: the tenant has no signing keys; only checksums are verified"
        );
    }
    let stop = StopHandle::new();
    demo::spawn_signal_stop(stop.clone());
    let mut conds = vec![StopCondition::Handle(stop)];
    match a.until.as_str() {
        "settled" => conds.push(StopCondition::Settled { quiet: a.quiet }),
        "forever" => {}
        d => conds.push(StopCondition::After(
            humantime::parse_duration(d)
                .with_context(|| format!("--until {d:?}: settled, forever or a duration"))?,
        )),
    }
    if let Some(max) = a.max_time {
        conds.push(StopCondition::After(max));
    }
    let summary = fleet.run(cfg, StopCondition::any(conds)).await?;
    print_summary(&summary)
}

fn print_summary(s: &Summary) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer(&mut out, s)?;
    writeln!(out)?;
    out.flush()?;
    Ok(())
}
