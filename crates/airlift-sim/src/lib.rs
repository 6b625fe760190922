//! airlift-sim: a fleet of simulated OTA devices speaking airliftd's device protocol, and
//! the local demo fleet.
//!
//! ```no_run
//! # async fn demo(api: airlift_sim::UserApi) -> anyhow::Result<()> {
//! use airlift_sim::{Fleet, ProvisionSpec, RunConfig, StopCondition};
//! use std::time::Duration;
//! let fleet = Fleet::provision(&api, &ProvisionSpec {
//!     profile_id: "prof_…".into(), device_type: "temp-sensor".into(),
//!     firmware_version: "1.4.2".into(), count: 1000,
//!     name_prefix: "sim".into(), first_number: 0,
//! }).await?;
//! let mut cfg = RunConfig::new(api.http().base());
//! cfg.seed = 7;
//! cfg.faults.fail_install = 0.3;
//! let summary = fleet.run(cfg, StopCondition::Settled { quiet: Duration::from_secs(5) }).await?;
//! println!("{}", serde_json::to_string(&summary)?);
//! # Ok(()) }
//! ```

pub mod airliftd;
pub mod artifact;
pub mod cli;
pub mod config;
pub mod creds;
pub mod demo;
pub mod faults;
pub mod fleet;
pub mod fsutil;
mod key_refresh;
pub mod publish;
pub mod rng;
mod schedule;
pub mod signer;
pub mod state;
pub mod summary;
pub mod user_api;
pub mod verify;

mod device;

/// What the simulator's requests name their sender by (`User-Agent`), so a device page tells a
/// simulated device from one running `airlift-agent`.
pub const USER_AGENT: &str = concat!("airlift-sim/", env!("CARGO_PKG_VERSION"));

// The device side of the protocol lives once, in airlift-device (the agent speaks it too);
// these keep the simulator's paths.
pub use airlift_device::{device_api, download_url, http, proto, ranges, retry};

pub use config::{DownloadVia, RunConfig, StopCondition, StopHandle};
pub use creds::{DeviceCreds, DeviceToken};
pub use faults::{DeviceFaults, FaultKind, FaultPlan};
pub use fleet::{Fleet, ProvisionSpec};
pub use http::{CallError, Http};
pub use state::DeviceState;
pub use summary::{DeviceOutcome, JobOutcome, JobResult, Summary};
pub use user_api::UserApi;
pub use verify::Verifier;
