//! What a test of fleet operations starts from: a tenant that takes unsigned packages, a
//! profile with its devices, and a firmware package of the temp-sensors.

use std::path::Path;
use std::sync::Mutex;

use airlift_core::package::PackageType;
use airlift_core::wire::{
    BulkCreateDevices, BulkProvisioned, CreateDevice, CreateProfile, Package, Profile, UpdateTenant,
};
use airlift_desk::cache::Cache;
use airlift_desk::client::Client;
use airlift_desk::upload::{publish, upload_file, PackageSpec, UploadRequest};
use airlift_desk::CancelToken;

/// The tenant of `admin` no longer requires signatures, so a test's packages need no key.
pub async fn allow_unsigned(admin: &Client) {
    admin
        .update_tenant(&UpdateTenant {
            require_signatures: Some(false),
        })
        .await
        .expect("turn the signature requirement off");
}

/// Profile `name` for `device_type` and, in it, one device per (name, firmware version).
pub async fn profile_with_devices<'a>(
    client: &Client,
    name: &str,
    device_type: &str,
    devices: impl IntoIterator<Item = (String, &'a str)>,
) -> (Profile, BulkProvisioned) {
    let profile = client
        .create_profile(&CreateProfile {
            name: name.into(),
            device_type: device_type.into(),
        })
        .await
        .expect("create the profile");
    let devices = devices
        .into_iter()
        .map(|(device, version)| CreateDevice {
            name: device,
            profile_id: profile.profile_id.clone(),
            device_type: device_type.into(),
            firmware_version: version.into(),
        })
        .collect();
    let provisioned = client
        .create_devices_bulk(&BulkCreateDevices { devices })
        .await
        .expect("create the devices");
    (profile, provisioned)
}

/// A temp-sensor firmware `version` for devices from 1.0.0 on, without release notes.
pub fn temp_sensor_firmware(version: &str) -> PackageSpec {
    PackageSpec {
        package_type: PackageType::Fw,
        version: version.into(),
        device_type: "temp-sensor".into(),
        min_version: "1.0.0".into(),
        release_notes: String::new(),
    }
}

/// [`temp_sensor_firmware`] `version` of `size` bytes, uploaded as image "fw" (with the
/// pending upload kept in `cache` for `connection`) and published unsigned.
pub async fn publish_temp_sensor_firmware(
    client: &Client,
    cache: &Mutex<Cache>,
    connection: &str,
    dir: &Path,
    version: &str,
    size: usize,
) -> Package {
    let file = dir.join("fw.bin");
    std::fs::write(&file, vec![7u8; size]).expect("write the firmware");
    let uploaded = upload_file(
        client,
        cache,
        connection,
        &UploadRequest::new(&file, "fw"),
        CancelToken::new(),
        &|_| {},
    )
    .await
    .expect("upload the firmware");
    let spec = temp_sensor_firmware(version);
    publish(client, &uploaded.image, &uploaded.sha256, None, &spec)
        .await
        .expect("publish the firmware")
        .package
}
