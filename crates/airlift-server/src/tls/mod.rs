//! HTTPS on `--listen` with rustls (ring, the workspace's one provider) when `--tls-cert` and
//! `--tls-key` are given: [`certificate`] holds the pair in force and reloads it on SIGHUP
//! (new handshakes get the new certificate, open connections keep theirs), [`listener`]
//! accepts, handshakes and refuses plain HTTP. The metrics listener stays plain HTTP (bind it
//! to loopback or a private network).

pub mod certificate;
pub mod listener;

use std::sync::Arc;

use crate::config::TlsFiles;
use certificate::ReloadableCert;

/// The certificate in force and the rustls configuration that serves it.
pub struct Tls {
    pub cert: Arc<ReloadableCert>,
    pub config: Arc<rustls::ServerConfig>,
}

impl Tls {
    /// Reads the certificate and key (a problem stops the start, naming the file).
    pub fn load(files: TlsFiles) -> anyhow::Result<Self> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let cert = Arc::new(ReloadableCert::load(files, provider.clone())?);
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_cert_resolver(cert.clone());
        // The router speaks HTTP/1.1 only.
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Self {
            cert,
            config: Arc::new(config),
        })
    }

    /// Reloads the certificate on every SIGHUP, for as long as the server runs. A reload that
    /// fails is logged and the old certificate keeps serving.
    pub fn reload_on_sighup(&self) -> anyhow::Result<()> {
        use tokio::signal::unix::{signal, SignalKind};
        let mut hangups = signal(SignalKind::hangup())?;
        let cert = self.cert.clone();
        tokio::spawn(async move {
            while hangups.recv().await.is_some() {
                let files = cert.files();
                match cert.reload() {
                    Ok(()) => tracing::info!(
                        cert = %files.cert.display(),
                        "TLS certificate reloaded: new connections get it"
                    ),
                    Err(e) => tracing::error!(
                        error = %format!("{e:#}"),
                        "TLS certificate not reloaded; the previous one keeps serving"
                    ),
                }
            }
        });
        Ok(())
    }
}
