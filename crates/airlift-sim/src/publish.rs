//! Publishing signed demo packages through the upload-job API, idempotently: an existing
//! package (same device type and version) or image (same name) is reused.

use airlift_core::package::PackageType;
use airlift_core::payload::PayloadType;
use airlift_core::wire::{
    CompatibilitySpec, CreatePackage, CreateSigningKey, FirmwareImage, Package, SigningKey,
};
use anyhow::Context as _;

use crate::artifact::artifact;
use crate::http::CallError;
use crate::signer::DemoSigner;
use crate::user_api::UserApi;
use crate::verify::Verifier;

/// A package to publish from a generated artifact.
#[derive(Debug, Clone)]
pub struct PackageSpec {
    pub device_type: String,
    pub version: String,
    pub min_version: String,
    pub size: usize,
    pub release_notes: String,
}

impl PackageSpec {
    /// The upload job / image name, and the artifact's seed.
    pub fn image_name(&self) -> String {
        format!("{}-fw-{}", self.device_type, self.version)
    }
}

/// Registers `signer`'s public key as `name` unless the tenant already has it.
pub async fn ensure_signing_key(
    api: &UserApi,
    signer: &DemoSigner,
    name: &str,
) -> anyhow::Result<SigningKey> {
    let pem = signer.public_key_pem().map_err(anyhow::Error::msg)?;
    let fingerprint = Verifier::parse_pem(&pem)
        .map_err(anyhow::Error::msg)?
        .fingerprint();
    let existing = api.signing_keys().await.context("listing signing keys")?;
    if let Some(k) = existing
        .into_iter()
        .find(|k| k.fingerprint == fingerprint && k.revoked_at.is_none())
    {
        return Ok(k);
    }
    api.create_signing_key(&CreateSigningKey {
        name: name.to_owned(),
        algorithm: "ed25519".to_owned(),
        public_key_pem: pem,
    })
    .await
    .context("registering the signing key")
}

/// The package for `spec`, uploading and creating it if the tenant does not have it yet.
pub async fn ensure_package(
    api: &UserApi,
    signer: &DemoSigner,
    spec: &PackageSpec,
) -> anyhow::Result<Package> {
    let packages = api.packages().await.context("listing packages")?;
    if let Some(p) = packages
        .into_iter()
        .find(|p| p.version == spec.version && p.compatibility.device_type == spec.device_type)
    {
        return Ok(p);
    }
    let name = spec.image_name();
    let data = artifact(&name, spec.size);
    let image = match api.upload_image(&name, &data).await {
        Ok(img) => img,
        Err(CallError::Status { status: 409, .. }) => {
            find_image(api, &name).await?.with_context(|| {
                format!("an upload job named {name} exists but has no image; delete it and retry")
            })?
        }
        Err(e) => return Err(e).with_context(|| format!("uploading {name}")),
    };
    api.create_package(&CreatePackage {
        package_type: PackageType::Fw,
        version: spec.version.clone(),
        payload_type: PayloadType::File,
        artifact_uri: Some(image.datafile.clone()),
        sha256: Some(image.datafile_checksum.clone()),
        signature: Some(signer.sign(&data)),
        size_bytes: Some(data.len() as u64),
        payload: None,
        compatibility: CompatibilitySpec {
            device_type: spec.device_type.clone(),
            min_version: spec.min_version.clone(),
        },
        release_notes: spec.release_notes.clone(),
    })
    .await
    .with_context(|| format!("creating package {name}"))
}

async fn find_image(api: &UserApi, name: &str) -> anyhow::Result<Option<FirmwareImage>> {
    let images = api
        .list_all("/api/v1/ota/images", |i: &FirmwareImage| i.id.clone())
        .await
        .context("listing images")?;
    Ok(images.into_iter().find(|i| i.name == name))
}
