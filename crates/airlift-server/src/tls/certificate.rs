//! The server's certificate (`--tls-cert`, `--tls-key`), read from its PEM files and swapped in
//! place on SIGHUP: every handshake asks [`ReloadableCert`] for the pair in force, so a new
//! certificate is served to new connections at once while connections already open keep the
//! session they negotiated.

use std::path::Path;
use std::sync::{Arc, RwLock};

use anyhow::Context as _;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;

use crate::config::TlsFiles;

/// The certificate in force, replaced whole by [`ReloadableCert::reload`].
#[derive(Debug)]
pub struct ReloadableCert {
    files: TlsFiles,
    provider: Arc<CryptoProvider>,
    current: RwLock<Arc<CertifiedKey>>,
}

impl ReloadableCert {
    /// Reads both files; any problem (unreadable, no certificate, no key, a key that is not
    /// the certificate's) stops the start with a sentence naming the file.
    pub fn load(files: TlsFiles, provider: Arc<CryptoProvider>) -> anyhow::Result<Self> {
        let pair = read_pair(&files, &provider)?;
        warn_if_key_is_readable_by_others(&files.key);
        Ok(Self {
            files,
            provider,
            current: RwLock::new(Arc::new(pair)),
        })
    }

    /// Reads the files again and serves the new pair from the next handshake on. A pair that
    /// does not load leaves the one in force serving (the error says why): a botched renewal
    /// must not take the server off the air.
    pub fn reload(&self) -> anyhow::Result<()> {
        let pair = read_pair(&self.files, &self.provider)?;
        warn_if_key_is_readable_by_others(&self.files.key);
        let mut current = self
            .current
            .write()
            .map_err(|_| anyhow::anyhow!("the certificate lock was poisoned"))?;
        *current = Arc::new(pair);
        Ok(())
    }

    pub fn files(&self) -> &TlsFiles {
        &self.files
    }
}

impl ResolvesServerCert for ReloadableCert {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        // A poisoned lock still holds a complete pair (it is replaced whole).
        let current = match self.current.read() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        Some(current.clone())
    }
}

fn read_pair(files: &TlsFiles, provider: &CryptoProvider) -> anyhow::Result<CertifiedKey> {
    let chain = read_chain(&files.cert)?;
    let key = PrivateKeyDer::from_pem_file(&files.key).map_err(|e| {
        anyhow::anyhow!(
            "--tls-key {}: cannot read a PEM private key (PKCS#8, PKCS#1 or SEC1): {e}",
            files.key.display()
        )
    })?;
    CertifiedKey::from_der(chain, key, provider).map_err(|e| {
        anyhow::anyhow!(
            "--tls-key {} does not go with --tls-cert {}: {e}",
            files.key.display(),
            files.cert.display()
        )
    })
}

/// The server's certificate first, then any intermediates, as the file lists them.
fn read_chain(path: &Path) -> anyhow::Result<Vec<CertificateDer<'static>>> {
    let chain = CertificateDer::pem_file_iter(path)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .with_context(|| {
            format!(
                "--tls-cert {}: cannot read PEM certificates",
                path.display()
            )
        })?;
    if chain.is_empty() {
        anyhow::bail!(
            "--tls-cert {} holds no certificate (expected -----BEGIN CERTIFICATE-----)",
            path.display()
        );
    }
    Ok(chain)
}

/// A private key others may read is a leak waiting to happen; the server still starts (the
/// operator may have reasons, e.g. a group-readable key shared with a proxy) but says so.
fn warn_if_key_is_readable_by_others(path: &Path) {
    use std::os::unix::fs::PermissionsExt as _;
    if let Ok(meta) = std::fs::metadata(path) {
        if meta.permissions().mode() & 0o004 != 0 {
            tracing::warn!(
                key = %path.display(),
                "the TLS private key is readable by every user of this machine: chmod 600 it"
            );
        }
    }
}
