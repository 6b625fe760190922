//! Checks of the wizard's fields before anything is sent (the UI checks the same; this is the
//! boundary's own guard). Errors name the field first: `version: ...`.

use airlift_desk::DeskError;

use crate::dto::upload::UploadRequest;

pub fn upload_request(r: &UploadRequest) -> Result<(), DeskError> {
    semver::Version::parse(r.version.trim()).map_err(|err| {
        field(
            "version",
            &format!("{:?} is not a semantic version ({err})", r.version),
        )
    })?;
    semver::Version::parse(r.min_version.trim()).map_err(|err| {
        field(
            "min_version",
            &format!("{:?} is not a semantic version ({err})", r.min_version),
        )
    })?;
    if r.device_type.trim().is_empty() {
        return Err(field("device_type", "a device type is required"));
    }
    let hex_ok = r.sha256.len() == 64 && r.sha256.bytes().all(|b| b.is_ascii_hexdigit());
    if !hex_ok {
        return Err(field("sha256", "the file has not been hashed"));
    }
    if r.key_id.is_some() && r.passphrase.as_deref().unwrap_or("").is_empty() {
        return Err(field("passphrase", "enter the key's passphrase"));
    }
    Ok(())
}

fn field(name: &str, message: &str) -> DeskError {
    DeskError::invalid_argument(format!("{name}: {message}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dto::catalog::PackageKind;

    fn request() -> UploadRequest {
        UploadRequest {
            path: "/tmp/fw.bin".into(),
            sha256: "a".repeat(64),
            package_type: PackageKind::Fw,
            version: "2.1.0".into(),
            device_type: "temp-sensor".into(),
            min_version: "1.0.0".into(),
            release_notes: String::new(),
            key_id: None,
            encrypt: false,
            passphrase: None,
        }
    }

    #[test]
    fn accepts_a_complete_request_and_names_the_bad_field() {
        assert!(upload_request(&request()).is_ok());
        let bad = UploadRequest {
            version: "2.1".into(),
            ..request()
        };
        let err = upload_request(&bad).unwrap_err();
        assert!(err.message().starts_with("version:"), "{err}");
        let signed = UploadRequest {
            key_id: Some("k1".into()),
            ..request()
        };
        let err = upload_request(&signed).unwrap_err();
        assert!(err.message().starts_with("passphrase:"), "{err}");
    }
}
