//! Wire types → cache rows. Tokens never cross: `Device` carries none, and `ProvisionedDevice`
//! is mapped through its inner `Device` only.

use airlift_core::wire::{Device, Package};

use crate::cache::rows::{DeviceRow, PackageRow};

pub fn device_row(d: &Device) -> DeviceRow {
    DeviceRow {
        id: d.device_id.clone(),
        name: d.name.clone(),
        profile_id: Some(d.profile_id.clone()),
        device_type: d.device_type.clone(),
        firmware_version: Some(d.firmware_version.clone()),
        // Rollout state per device arrives with the rollout engine (part 2 of the server).
        target_version: None,
        ota_status: None,
        progress: None,
        last_update_at: None,
        updated_at: d.created_at.clone(),
        last_seen_at: d.last_seen_at.clone(),
        user_agent: d.user_agent.clone(),
    }
}

pub fn package_row(p: &Package) -> PackageRow {
    let signature_status = match (&p.signing_key_id, &p.signature) {
        (Some(_), _) => "verified",
        (None, Some(_)) => "signed",
        (None, None) => "unsigned",
    };
    PackageRow {
        id: p.package_id.clone(),
        package_type: p.package_type,
        version: p.version.clone(),
        device_type: p.compatibility.device_type.clone(),
        min_version: Some(p.compatibility.min_version.clone()),
        size_bytes: p.size_bytes,
        sha256: p.sha256.clone(),
        signature_status: signature_status.to_owned(),
        created_at: p.created_at.clone(),
        release_notes: (!p.release_notes.is_empty()).then(|| p.release_notes.clone()),
        stored_encrypted: p.datafile_encryption,
        payload_type: p.payload_type,
        storage_key: p.storage_key.clone(),
    }
}
