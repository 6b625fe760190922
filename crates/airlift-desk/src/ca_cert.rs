//! A CA certificate a person chose to trust for one server (its own PKI, a self-signed
//! deployment): PEM text kept with the saved connection (`ca_cert_pem`; public, never a
//! secret, but long and of no use in a log line, so `Debug` shows only its subject), added to
//! the client's roots beside the system's, and described for the Settings screen (subject,
//! expiry).

use std::fmt;
use std::path::Path;

use serde::Serialize;

use crate::error::DeskError;

/// The largest PEM accepted: a CA bundle, not a file picked by mistake.
const MAX_PEM_BYTES: usize = 256 * 1024;

/// One or more CA certificates, checked to be PEM X.509 certificates.
#[derive(Clone, PartialEq, Eq)]
pub struct CaCert {
    pem: String,
    first: CaSummary,
}

/// What a person sees of a trusted CA: the first certificate's subject and when it expires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaSummary {
    /// RFC 4514, e.g. `CN=Example Fleet CA,O=Example`.
    pub subject: String,
    /// RFC 3339 (UTC).
    pub not_after: String,
    /// Expired at the time it was read.
    pub expired: bool,
    /// Certificates in the PEM (a bundle may hold several).
    pub certificates: u32,
}

impl CaCert {
    /// Checks `pem` (pasted or read from a file): at least one certificate, every one of them
    /// X.509, nothing else (a private key pasted by mistake is refused, and not echoed).
    pub fn parse(pem: &str) -> Result<CaCert, DeskError> {
        let pem = pem.trim();
        if pem.len() > MAX_PEM_BYTES {
            return Err(DeskError::invalid_argument(format!(
                "the CA certificate is {} KiB; a CA certificate (or a bundle of a few) is a \
                 few KiB of PEM: pick the CA's certificate file",
                pem.len() / 1024
            )));
        }
        if pem.contains("PRIVATE KEY-----") {
            return Err(DeskError::invalid_argument(
                "that is a private key, not a CA certificate: give the CA's certificate \
                 (-----BEGIN CERTIFICATE-----), and keep the key secret",
            ));
        }
        let certs = x509_cert::Certificate::load_pem_chain(pem.as_bytes()).map_err(|err| {
            DeskError::invalid_argument(format!(
                "the CA certificate is not PEM X.509 (-----BEGIN CERTIFICATE----- ...): {err}"
            ))
        })?;
        let Some(first) = certs.first() else {
            return Err(DeskError::invalid_argument(
                "no certificate found: paste the CA's PEM certificate \
                 (-----BEGIN CERTIFICATE----- ...)",
            ));
        };
        // reqwest (rustls) must take them too, or the client could not be built later.
        reqwest::Certificate::from_pem_bundle(pem.as_bytes()).map_err(|err| {
            DeskError::invalid_argument(format!("the CA certificate cannot be used: {err}"))
        })?;
        let tbs = &first.tbs_certificate;
        let not_after = tbs.validity.not_after;
        let first = CaSummary {
            subject: tbs.subject.to_string(),
            not_after: not_after.to_date_time().to_string(),
            expired: not_after.to_system_time() < std::time::SystemTime::now(),
            certificates: u32::try_from(certs.len()).unwrap_or(u32::MAX),
        };
        Ok(CaCert {
            pem: pem.to_owned(),
            first,
        })
    }

    /// Reads and checks a PEM file (`--ca-cert PATH`, `AIRLIFT_CA_CERT`).
    pub fn read(path: &Path) -> Result<CaCert, DeskError> {
        let bytes = std::fs::read(path).map_err(|err| DeskError::io("read", path, &err))?;
        let text = String::from_utf8(bytes).map_err(|_| {
            DeskError::invalid_argument(format!(
                "{} is not a PEM file (DER? convert it: openssl x509 -inform der -in FILE \
                 -out ca.pem)",
                path.display()
            ))
        })?;
        Self::parse(&text).map_err(|err| {
            DeskError::new(err.code(), format!("{}: {}", path.display(), err.message()))
        })
    }

    pub fn pem(&self) -> &str {
        &self.pem
    }

    pub fn summary(&self) -> &CaSummary {
        &self.first
    }

    /// The certificates as the HTTP client takes them.
    pub(crate) fn roots(&self) -> Result<Vec<reqwest::Certificate>, DeskError> {
        reqwest::Certificate::from_pem_bundle(self.pem.as_bytes())
            .map_err(|err| DeskError::invalid_argument(format!("the CA certificate: {err}")))
    }
}

impl fmt::Debug for CaCert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CaCert")
            .field("subject", &self.first.subject)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_what_is_not_a_certificate_without_echoing_it() {
        let key = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----";
        let err = CaCert::parse(key).unwrap_err();
        assert!(err.message().contains("private key"), "{err}");
        assert!(!err.message().contains("MIGHAgEA"), "{err}");
        assert!(CaCert::parse("hello").is_err());
        assert!(CaCert::parse("").is_err());
        let garbled = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----";
        assert!(CaCert::parse(garbled).is_err());
    }
}
