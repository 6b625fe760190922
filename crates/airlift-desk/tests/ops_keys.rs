//! Making signing keys through `ops::keys` (the app's Settings and `airlift-cli key create |
//! import`): one passphrase rule for both, checked before anything is written.

use airlift_desk::ops::keys::{create_key, import_key, MIN_PASSPHRASE_CHARS};
use airlift_desk::signing::{KeyStore, SigningAlgorithm};
use airlift_desk::DeskErrorCode;

fn store(dir: &std::path::Path) -> KeyStore {
    // A low scrypt cost: the test is about the rule, not the derivation.
    KeyStore::open_with_cost(dir, 10).unwrap()
}

#[tokio::test]
async fn a_short_passphrase_is_refused_before_anything_is_written_and_a_long_one_stores_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let short = "x".repeat(MIN_PASSPHRASE_CHARS - 1);

    let err = create_key(
        store(dir.path()),
        "ci".into(),
        SigningAlgorithm::Ed25519,
        short.clone(),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), DeskErrorCode::InvalidArgument);
    assert!(err.message().starts_with("passphrase:"), "{err}");
    let err = import_key(
        store(dir.path()),
        "imported".into(),
        dir.path().join("absent.pem"),
        None,
        short,
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), DeskErrorCode::InvalidArgument, "{err}");
    assert!(store(dir.path()).list().unwrap().is_empty());

    let long = "x".repeat(MIN_PASSPHRASE_CHARS);
    let key = create_key(
        store(dir.path()),
        "ci".into(),
        SigningAlgorithm::Ed25519,
        long,
    )
    .await
    .unwrap();
    let listed = store(dir.path()).list().unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].key_id, key.key_id);
}
