//! Creating the package from an uploaded image, signed with a key from the KeyStore.

use airlift_core::package::{PackageType, Sha256Hex};
use airlift_core::payload::PayloadType;
use airlift_core::wire::{CompatibilitySpec, CreatePackage, FirmwareImage, Package};
use serde::{Deserialize, Serialize};

use crate::client::Client;
use crate::error::{DeskError, DeskErrorCode};
use crate::signing::SigningKey;

/// Seed 000's package fields that the person chooses.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PackageSpec {
    pub package_type: PackageType,
    pub version: String,
    pub device_type: String,
    pub min_version: String,
    pub release_notes: String,
}

/// The created package and the server's verification verdict.
#[derive(Debug, Clone, Serialize)]
pub struct Published {
    pub package: Package,
    /// The server hashed the artifact and it matched `sha256` and `size_bytes`.
    pub checksum_verified: bool,
    /// The tenant key the signature verified with (`None`: unsigned).
    pub signature_verified_with: Option<String>,
}

/// Creates a package whose artifact is `image` (its `datafile`), declaring `sha256_hex` (the
/// local file's digest, which the server checks again) and, with `signer`, a signature over
/// that digest. A refusal because a checksum, size or signature did not verify is
/// `VERIFICATION_FAILED`; other refusals keep the server's code.
pub async fn publish(
    client: &Client,
    image: &FirmwareImage,
    sha256_hex: &str,
    signer: Option<&SigningKey>,
    spec: &PackageSpec,
) -> Result<Published, DeskError> {
    let digest = Sha256Hex::parse(sha256_hex)?.to_bytes();
    let signature = signer.map(|key| key.sign_digest(&digest)).transpose()?;
    let req = CreatePackage {
        package_type: spec.package_type,
        version: spec.version.clone(),
        payload_type: PayloadType::File,
        artifact_uri: Some(image.datafile.clone()),
        sha256: Some(sha256_hex.to_owned()),
        signature,
        size_bytes: Some(image.datafile_size),
        payload: None,
        compatibility: CompatibilitySpec {
            device_type: spec.device_type.clone(),
            min_version: spec.min_version.clone(),
        },
        release_notes: spec.release_notes.clone(),
    };
    let package = client.create_package(&req).await.map_err(verification)?;
    if !package.checksum_verified {
        return Err(DeskError::new(
            DeskErrorCode::VerificationFailed,
            format!(
                "the server created package {} without verifying its checksum",
                package.package_id
            ),
        ));
    }
    Ok(Published {
        checksum_verified: package.checksum_verified,
        signature_verified_with: package.signing_key_id.clone(),
        package,
    })
}

/// The server says why a package was refused only in words; these are its verification ones.
fn verification(err: DeskError) -> DeskError {
    let m = err.message();
    let about_bytes = m.contains("mismatch") || (m.contains("signature") && m.contains("verif"));
    if err.code() == DeskErrorCode::InvalidArgument && about_bytes {
        DeskError::new(DeskErrorCode::VerificationFailed, m.to_owned())
    } else {
        err
    }
}
