//! The validated configuration: every file the flags name is read and checked before the
//! agent does anything, so a bad deployment fails at start with a message naming the file.

use std::path::{Path, PathBuf};
use std::time::Duration;

use airlift_core::signing::PublicKey;
use airlift_device::retry::Backoff;
use airlift_device::{DeviceCreds, DeviceToken, Http};

use crate::cli::AgentArgs;
use crate::error::AgentError;

pub struct Config {
    pub args: AgentArgs,
    pub creds: DeviceCreds,
    pub keys: Vec<PublicKey>,
    pub http: Http,
    pub backoff: Backoff,
}

impl Config {
    pub fn load(args: AgentArgs) -> Result<Self, AgentError> {
        let token = read(&args.token_file, "token file")?;
        let token = token.trim();
        if token.is_empty() {
            return Err(AgentError::Config(format!(
                "token file {} is empty",
                args.token_file.display()
            )));
        }
        if args.device_id.trim().is_empty() {
            return Err(AgentError::Config("--device-id is empty".into()));
        }
        let mut keys = Vec::new();
        for path in &args.trusted_keys {
            let pem = read(path, "trusted key")?;
            let key = airlift_device::verify::parse_pem(&pem)
                .map_err(|e| AgentError::Config(format!("{}: {e}", path.display())))?;
            keys.push(key);
        }
        if keys.is_empty() && !args.allow_unsigned {
            return Err(AgentError::Config(
                "no --trusted-key given: the agent would install unsigned packages \
                 (pass --allow-unsigned to accept that, for development only)"
                    .into(),
            ));
        }
        std::fs::create_dir_all(&args.state_dir).map_err(|e| {
            AgentError::Config(format!("state dir {}: {e}", args.state_dir.display()))
        })?;
        let http = Http::with_client(&args.server, client(args.ca_file.as_deref())?, 1);
        let creds = DeviceCreds {
            device_id: args.device_id.trim().to_owned(),
            device_token: DeviceToken::new(token.to_owned()),
            name: String::new(),
            profile_id: String::new(),
            device_type: String::new(),
            firmware_version: String::new(),
        };
        let backoff = Backoff {
            attempts: args.retry_attempts.max(1),
            first: Duration::from_millis(500),
            max: args.retry_max_delay.max(Duration::from_millis(500)),
            jitter: 0.5,
        };
        Ok(Self {
            args,
            creds,
            keys,
            http,
            backoff,
        })
    }

    pub fn state_dir(&self) -> &Path {
        &self.args.state_dir
    }

    pub fn partial_path(&self) -> PathBuf {
        self.args.state_dir.join("download.part")
    }
}

fn read(path: &Path, what: &str) -> Result<String, AgentError> {
    std::fs::read_to_string(path)
        .map_err(|e| AgentError::Config(format!("{what} {}: {e}", path.display())))
}

/// One connection, rustls, the built-in roots plus `ca_file`'s certificates.
fn client(ca_file: Option<&Path>) -> Result<reqwest::Client, AgentError> {
    let mut b = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(15))
        .timeout(Duration::from_secs(120))
        .pool_max_idle_per_host(1)
        .user_agent(concat!("airlift-agent/", env!("CARGO_PKG_VERSION")));
    if let Some(path) = ca_file {
        let pem = std::fs::read(path)
            .map_err(|e| AgentError::Config(format!("CA file {}: {e}", path.display())))?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem)
            .map_err(|e| AgentError::Config(format!("CA file {}: {e}", path.display())))?;
        if certs.is_empty() {
            return Err(AgentError::Config(format!(
                "CA file {} holds no certificate",
                path.display()
            )));
        }
        for c in certs {
            b = b.add_root_certificate(c);
        }
    }
    b.build()
        .map_err(|e| AgentError::Config(format!("HTTP client: {e}")))
}
