//! TLS to PostgreSQL, from the `--database` URL as libpq spells it:
//! `postgres://user@db.example:5432/airlift?sslmode=verify-full&sslrootcert=/etc/airlift/pg-ca.pem`.
//!
//! - no `sslmode`, or `disable`: plain TCP (as before TLS existed here; a URL that does not ask
//!   for TLS does not get a certificate check that could fail on a server's self-signed default);
//! - `require` and `verify-full`: TLS, and the certificate is always verified (chain and host
//!   name) against the system's roots plus `sslrootcert` — stricter than libpq's `require`,
//!   which checks nothing; a database reached over a network deserves the check;
//! - `prefer`: TLS when the server offers it (verified the same way), else plain;
//! - `allow` and `verify-ca` are refused with what to write instead: rustls checks the host
//!   name whenever it checks a certificate.
//!
//! tokio-postgres knows neither `verify-full` nor `sslrootcert`, so both are taken out of the
//! URL here before it parses the rest.

use std::path::PathBuf;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use tokio_postgres::config::SslMode;
use tokio_postgres_rustls::MakeRustlsConnect;

use super::redacted;

/// A parsed `--database` URL and the TLS connector its connections use.
pub struct Connection {
    pub config: tokio_postgres::Config,
    pub tls: MakeRustlsConnect,
}

/// Parses `url` (PostgreSQL's own options, plus `sslmode` and `sslrootcert` as above) and
/// builds its TLS connector (which reads the CA file).
pub fn parse(url: &str) -> anyhow::Result<Connection> {
    let (config, root_cert) = parse_options(url)?;
    let tls = MakeRustlsConnect::new(client_config(root_cert.as_ref(), &redacted(url))?);
    Ok(Connection { config, tls })
}

/// Checks `url` without touching any file: the options, and the CA file's path if any.
pub fn parse_options(url: &str) -> anyhow::Result<(tokio_postgres::Config, Option<PathBuf>)> {
    let shown = redacted(url);
    let mut parsed =
        url::Url::parse(url).map_err(|e| anyhow::anyhow!("--database {shown}: {e}"))?;
    let mut mode = SslMode::Disable;
    let mut root_cert: Option<PathBuf> = None;
    let mut kept: Vec<(String, String)> = Vec::new();
    for (key, value) in parsed.query_pairs() {
        match key.as_ref() {
            "sslmode" => {
                mode = match value.as_ref() {
                    "disable" => SslMode::Disable,
                    "prefer" => SslMode::Prefer,
                    "require" | "verify-full" => SslMode::Require,
                    "verify-ca" | "allow" => anyhow::bail!(
                        "--database {shown}: sslmode={value} is not supported: use \
                         sslmode=verify-full (TLS, certificate and host name checked) or \
                         sslmode=disable"
                    ),
                    other => anyhow::bail!(
                        "--database {shown}: unknown sslmode {other:?} (disable, prefer, \
                         require or verify-full)"
                    ),
                }
            }
            "sslrootcert" => root_cert = Some(PathBuf::from(value.as_ref())),
            _ => kept.push((key.into_owned(), value.into_owned())),
        }
    }
    if root_cert.is_some() && matches!(mode, SslMode::Disable) {
        anyhow::bail!(
            "--database {shown}: sslrootcert is given but TLS is off: add sslmode=verify-full"
        );
    }
    if kept.is_empty() {
        parsed.set_query(None);
    } else {
        parsed.query_pairs_mut().clear().extend_pairs(kept);
    }
    let mut config = parsed
        .as_str()
        .parse::<tokio_postgres::Config>()
        .map_err(|e| anyhow::anyhow!("--database {shown}: {e}"))?;
    config.ssl_mode(mode);
    Ok((config, root_cert))
}

/// rustls with ring (the workspace's provider), the system's roots and the extra CA file.
fn client_config(root_cert: Option<&PathBuf>, shown: &str) -> anyhow::Result<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    // Unreadable system certificates are skipped: the explicit CA may be all that is needed.
    let native = rustls_native_certs::load_native_certs();
    roots.add_parsable_certificates(native.certs);
    if let Some(path) = root_cert {
        let certs = CertificateDer::pem_file_iter(path)
            .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
            .map_err(|e| {
                anyhow::anyhow!(
                    "--database {shown}: sslrootcert {}: cannot read a PEM certificate: {e}",
                    path.display()
                )
            })?;
        if certs.is_empty() {
            anyhow::bail!(
                "--database {shown}: sslrootcert {} holds no certificate",
                path.display()
            );
        }
        for cert in certs {
            roots.add(cert).map_err(|e| {
                anyhow::anyhow!(
                    "--database {shown}: sslrootcert {}: not a usable CA certificate: {e}",
                    path.display()
                )
            })?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(url: &str) -> SslMode {
        parse(url).map(|c| c.config.get_ssl_mode()).expect(url)
    }

    #[test]
    fn plain_unless_the_url_asks_for_tls() {
        assert_eq!(mode("postgres://a@h/db"), SslMode::Disable);
        assert_eq!(mode("postgres://a@h/db?sslmode=disable"), SslMode::Disable);
        assert_eq!(mode("postgres://a@h/db?sslmode=require"), SslMode::Require);
        assert_eq!(
            mode("postgres://a@h/db?sslmode=verify-full"),
            SslMode::Require
        );
        assert_eq!(mode("postgres://a@h/db?sslmode=prefer"), SslMode::Prefer);
    }

    #[test]
    fn other_options_are_still_postgres_options() {
        let c =
            parse("postgres://a@h:6543/db?sslmode=require&application_name=x&connect_timeout=3")
                .expect("parse");
        assert_eq!(c.config.get_ports(), &[6543]);
        assert_eq!(c.config.get_application_name(), Some("x"));
        let unknown = parse("postgres://a@h/db?sslmode=require&nonsense=1")
            .err()
            .expect("refused");
        assert!(unknown.to_string().contains("nonsense"), "{unknown}");
    }

    #[test]
    fn unsupported_modes_and_misuse_say_what_to_write() {
        for bad in ["verify-ca", "allow"] {
            let e = parse(&format!("postgres://a@h/db?sslmode={bad}"))
                .err()
                .expect(bad);
            assert!(e.to_string().contains("sslmode=verify-full"), "{e}");
        }
        let e = parse("postgres://a@h/db?sslmode=secure")
            .err()
            .expect("unknown");
        assert!(e.to_string().contains("unknown sslmode"), "{e}");
        let e = parse("postgres://a@h/db?sslrootcert=/x.pem")
            .err()
            .expect("no tls");
        assert!(e.to_string().contains("add sslmode=verify-full"), "{e}");
    }

    #[test]
    fn a_missing_or_empty_ca_file_is_named() {
        let e =
            parse("postgres://a:secret@h/db?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem")
                .err()
                .expect("missing");
        let text = e.to_string();
        assert!(text.contains("/nonexistent/ca.pem"), "{text}");
        assert!(
            !text.contains("secret"),
            "the password is not shown: {text}"
        );
        let empty = tempfile::NamedTempFile::new().expect("temp file");
        let e = parse(&format!(
            "postgres://a@h/db?sslmode=verify-full&sslrootcert={}",
            empty.path().display()
        ))
        .err()
        .expect("empty");
        assert!(e.to_string().contains("holds no certificate"), "{e}");
    }
}
