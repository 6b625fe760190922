//! Package metadata validation: good input from seed 000, and every kind of bad input we expect,
//! with messages that name the field and the value.

use airlift_core::error::ErrorCode;
use airlift_core::package::{
    parse_version, validate_device_type, validate_size, Compatibility, PackageMetadata,
    PackageType, Sha256Hex, MAX_ARTIFACT_BYTES,
};

const SEED_SHA: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

#[test]
fn seed_000_example_package_is_valid() {
    let meta = PackageMetadata::parse("fw", "2.0.0", SEED_SHA, 524_288, "temp-sensor", "1.0.0")
        .expect("seed 000's example is valid");
    assert_eq!(meta.package_type, PackageType::Fw);
    assert_eq!(meta.version, semver::Version::new(2, 0, 0));
    assert_eq!(meta.sha256.as_str(), SEED_SHA);
    assert_eq!(meta.compatibility.device_type, "temp-sensor");
    assert_eq!(
        meta.compatibility.min_version,
        semver::Version::new(1, 0, 0)
    );
    let json = serde_json::to_value(&meta).expect("serialize");
    assert_eq!(json["type"], "fw");
    assert_eq!(json["version"], "2.0.0");
    assert_eq!(json["compatibility"]["min_version"], "1.0.0");
}

#[test]
fn package_type_accepts_fw_and_sw_only() {
    assert_eq!("fw".parse::<PackageType>(), Ok(PackageType::Fw));
    assert_eq!("sw".parse::<PackageType>(), Ok(PackageType::Sw));
    for bad in ["FW", "firmware", "", "hw"] {
        let err = bad.parse::<PackageType>().expect_err(bad);
        assert_eq!(err.code, ErrorCode::InvalidArgument);
        assert!(err.message.contains("type"), "{}", err.message);
        assert!(err.message.contains(&format!("{bad:?}")), "{}", err.message);
    }
    assert_eq!(serde_json::to_string(&PackageType::Sw).unwrap(), "\"sw\"");
    assert!(serde_json::from_str::<PackageType>("\"xx\"").is_err());
}

#[test]
fn non_semver_versions_are_rejected_naming_field_and_value() {
    for bad in ["2.0", "v2.0.0", "latest", "", "2.0.0.1", "01.0.0"] {
        let err = parse_version("version", bad).expect_err(bad);
        assert_eq!(err.code, ErrorCode::InvalidArgument);
        assert!(
            err.message
                .starts_with("version must be a semantic version"),
            "{}",
            err.message
        );
        assert!(err.message.contains(&format!("{bad:?}")), "{}", err.message);
    }
    assert_eq!(
        parse_version("version", "1.2.3-rc.1").unwrap(),
        semver::Version::parse("1.2.3-rc.1").unwrap()
    );
    let err = PackageMetadata::parse("fw", "2.0.0", SEED_SHA, 1, "t", "1.0").unwrap_err();
    assert!(
        err.message.starts_with("compatibility.min_version"),
        "{}",
        err.message
    );
}

#[test]
fn sha256_uppercase_is_normalized_to_lowercase() {
    let upper = SEED_SHA.to_ascii_uppercase();
    let h = Sha256Hex::parse(&upper).expect("uppercase hex is fine");
    assert_eq!(h.as_str(), SEED_SHA);
    assert_eq!(h, Sha256Hex::parse(SEED_SHA).unwrap());
    let from_json: Sha256Hex = serde_json::from_str(&format!("\"{upper}\"")).unwrap();
    assert_eq!(from_json.as_str(), SEED_SHA);
}

#[test]
fn sha256_bad_hex_and_bad_length_are_rejected() {
    let mut not_hex = SEED_SHA.to_owned();
    not_hex.replace_range(5..6, "g");
    let err = Sha256Hex::parse(&not_hex).unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidArgument);
    assert!(err.message.contains("'g' at position 5"), "{}", err.message);

    for bad in ["", "abc", &SEED_SHA[..63], &format!("{SEED_SHA}0")] {
        let err = Sha256Hex::parse(bad).unwrap_err();
        assert!(
            err.message.starts_with("sha256 must be 64 hexadecimal"),
            "{}",
            err.message
        );
        assert!(
            err.message.contains(&format!("{} characters", bad.len())),
            "{}",
            err.message
        );
    }
    // Non-ASCII must not panic on byte indexing.
    let weird = "é".repeat(64);
    assert!(Sha256Hex::parse(&weird).is_err());
    assert!(serde_json::from_str::<Sha256Hex>("\"zz\"").is_err());
}

#[test]
fn sha256_digest_round_trip() {
    let bytes: [u8; 32] = std::array::from_fn(|i| i as u8 * 7);
    let h = Sha256Hex::from_digest(&bytes);
    assert_eq!(h.to_bytes(), bytes);
    assert_eq!(Sha256Hex::parse(h.as_str()).unwrap(), h);
}

#[test]
fn size_must_be_positive_and_bounded() {
    let err = validate_size(0).unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidArgument);
    assert!(err.message.starts_with("size_bytes must be greater than 0"));
    assert!(validate_size(1).is_ok());
    assert!(validate_size(MAX_ARTIFACT_BYTES).is_ok());
    let err = validate_size(MAX_ARTIFACT_BYTES + 1).unwrap_err();
    assert!(err.message.contains(&(MAX_ARTIFACT_BYTES + 1).to_string()));
    assert!(PackageMetadata::parse("fw", "2.0.0", SEED_SHA, 0, "t", "1.0.0").is_err());
}

#[test]
fn device_type_charset_and_length() {
    for good in ["temp-sensor", "gw_1.2", "A", &"x".repeat(64)] {
        assert!(validate_device_type(good).is_ok(), "{good}");
    }
    for bad in ["", "temp sensor", "a/b", "ü", &"x".repeat(65)] {
        let err = validate_device_type(bad).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidArgument);
        assert!(err.message.starts_with("device_type"), "{}", err.message);
    }
    let err = Compatibility::new("bad type", "1.0.0").unwrap_err();
    assert!(
        err.message.starts_with("compatibility.device_type"),
        "{}",
        err.message
    );
}

#[test]
fn compatibility_json_is_validated() {
    let ok: Compatibility =
        serde_json::from_str(r#"{"device_type":"temp-sensor","min_version":"1.0.0"}"#).unwrap();
    assert_eq!(ok.min_version, semver::Version::new(1, 0, 0));
    assert_eq!(
        serde_json::to_string(&ok).unwrap(),
        r#"{"device_type":"temp-sensor","min_version":"1.0.0"}"#
    );
    for bad in [
        r#"{"device_type":"temp-sensor"}"#,
        r#"{"device_type":"temp-sensor","min_version":"1.0"}"#,
        r#"{"device_type":"","min_version":"1.0.0"}"#,
        r#"{"device_type":"t","min_version":"1.0.0","extra":1}"#,
    ] {
        assert!(serde_json::from_str::<Compatibility>(bad).is_err(), "{bad}");
    }
}

#[test]
fn long_bad_values_are_truncated_in_messages() {
    let huge = "x".repeat(10_000);
    let err = parse_version("version", &huge).unwrap_err();
    assert!(
        err.message.len() < 400,
        "message is {} bytes",
        err.message.len()
    );
    assert!(err.message.contains("10000 characters"));
}
