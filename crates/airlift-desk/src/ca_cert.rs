//! A CA certificate a person chose to trust for one server (its own PKI, a self-signed
//! deployment): PEM text kept with the saved connection (`ca_cert_pem`; public, never a
//! secret, but long and of no use in a log line, so `Debug` shows only its subject), added to
//! the client's roots beside the system's, and described for the Settings screen (subject,
//! expiry).

use std::fmt;
use std::path::Path;

use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::CertificateDer;
use serde::Serialize;
use x509_cert::der::Decode as _;

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
        let normalized = normalize_pem(pem);
        let pem = normalized.trim();
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
        let not_x509 = |err: &dyn fmt::Display| {
            DeskError::invalid_argument(format!(
                "the CA certificate is not PEM X.509 (-----BEGIN CERTIFICATE----- ...): {err}"
            ))
        };
        // rustls's PEM reader, then each DER decoded (x509-cert's own PEM chain reader panics
        // on some malformed input).
        let mut certs = Vec::new();
        for der in CertificateDer::pem_slice_iter(pem.as_bytes()) {
            let der = der.map_err(|e| not_x509(&e))?;
            certs.push(x509_cert::Certificate::from_der(&der).map_err(|e| not_x509(&e))?);
        }
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

/// Each `-----BEGIN X-----` … `-----END X-----` block with its base64 re-wrapped at 64
/// characters: a PEM copied through a field or a mail that lost or changed its line breaks
/// (`\r\n`, none at all, indentation) reads as the file it came from. Text without a block is
/// returned as it is (and refused by the parser).
fn normalize_pem(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("-----BEGIN ") {
        let after = &rest[start + "-----BEGIN ".len()..];
        let Some(label_len) = after.find("-----") else {
            break;
        };
        let label = &after[..label_len];
        let body_and_rest = &after[label_len + "-----".len()..];
        let end_marker = format!("-----END {label}-----");
        let Some(body_len) = body_and_rest.find(&end_marker) else {
            break;
        };
        let body: Vec<char> = body_and_rest[..body_len]
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        out.push_str(&format!("-----BEGIN {label}-----\n"));
        for line in body.chunks(64) {
            out.extend(line);
            out.push('\n');
        }
        out.push_str(&end_marker);
        out.push('\n');
        rest = &body_and_rest[body_len + end_marker.len()..];
    }
    if out.is_empty() {
        text.to_owned()
    } else {
        out
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
    fn a_pem_that_lost_its_line_breaks_reads_as_the_file() {
        let body = "QUJD".repeat(40);
        let file = format!(
            "-----BEGIN CERTIFICATE-----\n{}\n{}\n{}\n-----END CERTIFICATE-----\n",
            &body[..64],
            &body[64..128],
            &body[128..]
        );
        let flat = format!("  -----BEGIN CERTIFICATE-----{body}-----END CERTIFICATE-----  ");
        assert_eq!(normalize_pem(&flat), file);
        let crlf = file.replace('\n', "\r\n");
        assert_eq!(normalize_pem(&crlf), file);
        assert_eq!(normalize_pem("no pem here"), "no pem here");
    }

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
