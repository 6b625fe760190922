//! Signing keys, checked against the OpenSSL command line in both directions.

use std::fs;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use airlift_desk::hashing::sha256_file;
use airlift_desk::signing::{verify_digest, KeyStore, SigningAlgorithm, SigningKey};
use airlift_desk::{CancelToken, DeskErrorCode};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

/// Cheap scrypt for tests (the default cost is far too slow in an unoptimized build).
const TEST_COST: u8 = 10;
const PASS: &str = "correct horse battery staple";

fn openssl(args: &[&str], dir: &Path) -> std::process::Output {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run openssl");
    assert!(
        out.status.success(),
        "openssl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn artifact(dir: &Path) -> (PathBuf, [u8; 32]) {
    let path = dir.join("artifact.bin");
    let bytes: Vec<u8> = (0..3_000_000u32).map(|i| (i * 7 + i / 13) as u8).collect();
    fs::write(&path, bytes).expect("write artifact");
    let digest = sha256_file(&path, &CancelToken::new(), |_| {}).expect("hash");
    (path, digest.sha256)
}

fn store(dir: &Path) -> KeyStore {
    KeyStore::open_with_cost(&dir.join("keys"), TEST_COST).expect("key store")
}

#[test]
fn our_ecdsa_signature_verifies_with_openssl_dgst() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (artifact, _) = artifact(dir.path());
    let keys = store(dir.path());
    let stored = keys
        .create("release key", SigningAlgorithm::EcdsaP256Sha256, PASS)
        .expect("create");
    let key = keys.unlock(&stored.key_id, PASS).expect("unlock");
    let (_, sig_b64) = key
        .sign_file(&artifact, &CancelToken::new(), |_| {})
        .expect("sign");

    fs::write(dir.path().join("pub.pem"), &stored.public_key_pem).expect("pub");
    fs::write(
        dir.path().join("sig.der"),
        STANDARD.decode(&sig_b64).expect("base64"),
    )
    .expect("sig");
    let out = openssl(
        &[
            "dgst",
            "-sha256",
            "-verify",
            "pub.pem",
            "-signature",
            "sig.der",
            "artifact.bin",
        ],
        dir.path(),
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "Verified OK");

    // A tampered artifact fails with OpenSSL too.
    let mut bytes = fs::read(&artifact).expect("read");
    bytes[1000] ^= 1;
    fs::write(dir.path().join("tampered.bin"), bytes).expect("write");
    let status = Command::new("openssl")
        .args([
            "dgst",
            "-sha256",
            "-verify",
            "pub.pem",
            "-signature",
            "sig.der",
            "tampered.bin",
        ])
        .current_dir(dir.path())
        .output()
        .expect("run openssl");
    assert!(!status.status.success());
}

#[test]
fn openssl_genpkey_key_imports_and_its_signatures_verify_here() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (artifact, digest) = artifact(dir.path());
    let d = dir.path();
    openssl(
        &[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
            "k.pem",
        ],
        d,
    );
    openssl(&["pkey", "-in", "k.pem", "-pubout", "-out", "pub.pem"], d);
    let out = openssl(&["dgst", "-sha256", "-sign", "k.pem", "artifact.bin"], d);
    let openssl_sig = STANDARD.encode(out.stdout);
    let pub_pem = fs::read_to_string(d.join("pub.pem")).expect("pub");

    // OpenSSL's signature verifies with our verifier ...
    verify_digest(
        SigningAlgorithm::EcdsaP256Sha256,
        &pub_pem,
        &digest,
        &openssl_sig,
    )
    .expect("openssl signature verifies");
    // ... and not over another artifact.
    let mut other = digest;
    other[0] ^= 0xff;
    let err = verify_digest(
        SigningAlgorithm::EcdsaP256Sha256,
        &pub_pem,
        &other,
        &openssl_sig,
    )
    .expect_err("tampered");
    assert_eq!(err.code(), DeskErrorCode::SignatureInvalid);

    // Importing the key keeps the same public key, and our signature verifies with OpenSSL's
    // public key file.
    let keys = store(d);
    let pem = fs::read_to_string(d.join("k.pem")).expect("key");
    let stored = keys.import_pem("ci key", &pem, None, PASS).expect("import");
    assert_eq!(stored.algorithm, SigningAlgorithm::EcdsaP256Sha256);
    assert_eq!(stored.public_key_pem.trim(), pub_pem.trim());
    let key = keys.unlock(&stored.key_id, PASS).expect("unlock");
    let (_, sig) = key
        .sign_file(&artifact, &CancelToken::new(), |_| {})
        .expect("sign");
    fs::write(d.join("ours.der"), STANDARD.decode(sig).expect("b64")).expect("write");
    openssl(
        &[
            "dgst",
            "-sha256",
            "-verify",
            "pub.pem",
            "-signature",
            "ours.der",
            "artifact.bin",
        ],
        d,
    );

    // The same key again is refused, not duplicated.
    let err = keys.import_pem("again", &pem, None, PASS).expect_err("dup");
    assert_eq!(err.code(), DeskErrorCode::AlreadyExists);
}

#[test]
fn ecparam_keys_import_as_sec1_and_as_topk8() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    openssl(
        &[
            "ecparam",
            "-name",
            "prime256v1",
            "-genkey",
            "-out",
            "ec.pem",
        ],
        d,
    );
    openssl(
        &[
            "pkcs8", "-topk8", "-nocrypt", "-in", "ec.pem", "-out", "p8.pem",
        ],
        d,
    );
    openssl(&["pkey", "-in", "ec.pem", "-pubout", "-out", "pub.pem"], d);
    let pub_pem = fs::read_to_string(d.join("pub.pem")).expect("pub");
    for file in ["ec.pem", "p8.pem"] {
        let pem = fs::read_to_string(d.join(file)).expect("read");
        let key = SigningKey::from_pem(&pem, None).expect(file);
        assert_eq!(
            key.public_key_pem().expect("pub").trim(),
            pub_pem.trim(),
            "{file}"
        );
    }
}

#[test]
fn openssl_encrypted_pkcs8_imports_with_its_passphrase() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    openssl(&["genpkey", "-algorithm", "ed25519", "-out", "ed.pem"], d);
    openssl(
        &[
            "pkcs8",
            "-topk8",
            "-v2",
            "aes-256-cbc",
            "-in",
            "ed.pem",
            "-out",
            "enc.pem",
            "-passout",
            "pass:export-pass",
        ],
        d,
    );
    let pem = fs::read_to_string(d.join("enc.pem")).expect("read");
    let err = SigningKey::from_pem(&pem, None).expect_err("needs a passphrase");
    assert_eq!(err.code(), DeskErrorCode::WrongPassphrase);
    let err = SigningKey::from_pem(&pem, Some("nope")).expect_err("wrong passphrase");
    assert_eq!(err.code(), DeskErrorCode::WrongPassphrase);
    let key = SigningKey::from_pem(&pem, Some("export-pass")).expect("import");
    assert_eq!(key.algorithm(), SigningAlgorithm::Ed25519);
}

#[test]
fn ed25519_signs_the_digest_and_openssl_agrees() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let (_, digest) = artifact(d);
    let keys = store(d);
    let stored = keys
        .create("ed key", SigningAlgorithm::Ed25519, PASS)
        .expect("create");
    let key = keys.unlock(&stored.key_id, PASS).expect("unlock");
    let sig = key.sign_digest(&digest).expect("sign");
    verify_digest(
        SigningAlgorithm::Ed25519,
        &stored.public_key_pem,
        &digest,
        &sig,
    )
    .expect("roundtrip");

    // OpenSSL verifies an Ed25519 signature over the 32 raw digest bytes.
    fs::write(d.join("digest.bin"), digest).expect("digest");
    fs::write(d.join("sig.bin"), STANDARD.decode(&sig).expect("b64")).expect("sig");
    fs::write(d.join("pub.pem"), &stored.public_key_pem).expect("pub");
    openssl(
        &[
            "pkeyutl",
            "-verify",
            "-pubin",
            "-inkey",
            "pub.pem",
            "-rawin",
            "-in",
            "digest.bin",
            "-sigfile",
            "sig.bin",
        ],
        d,
    );

    let mut tampered = digest;
    tampered[31] ^= 1;
    let err = verify_digest(
        SigningAlgorithm::Ed25519,
        &stored.public_key_pem,
        &tampered,
        &sig,
    )
    .expect_err("tampered");
    assert_eq!(err.code(), DeskErrorCode::SignatureInvalid);
    assert!(err.message().contains("does not match"), "{err}");
}

#[test]
fn wrong_passphrase_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let keys = store(dir.path());
    let stored = keys
        .create("k", SigningAlgorithm::EcdsaP256Sha256, PASS)
        .expect("create");
    let err = keys
        .unlock(&stored.key_id, "Correct horse battery staple")
        .expect_err("wrong");
    assert_eq!(err.code(), DeskErrorCode::WrongPassphrase);
    assert!(err.message().contains("passphrase"), "{err}");

    // After a change, only the new passphrase opens the key, and it is still the same key.
    keys.change_passphrase(&stored.key_id, PASS, "new passphrase")
        .expect("change");
    let err = keys
        .unlock(&stored.key_id, PASS)
        .expect_err("old passphrase");
    assert_eq!(err.code(), DeskErrorCode::WrongPassphrase);
    let key = keys
        .unlock(&stored.key_id, "new passphrase")
        .expect("new passphrase");
    assert_eq!(key.public_key_pem().expect("pub"), stored.public_key_pem);
    let err = keys
        .change_passphrase(&stored.key_id, PASS, "x")
        .expect_err("old passphrase no longer works");
    assert_eq!(err.code(), DeskErrorCode::WrongPassphrase);

    let err = keys
        .create("k2", SigningAlgorithm::Ed25519, "")
        .expect_err("empty passphrase");
    assert_eq!(err.code(), DeskErrorCode::InvalidArgument);
}

#[test]
fn keys_are_encrypted_at_rest_with_private_permissions() {
    let dir = tempfile::tempdir().expect("tempdir");
    let keys = store(dir.path());
    let stored = keys
        .create("k", SigningAlgorithm::EcdsaP256Sha256, PASS)
        .expect("create");
    let folder_mode = fs::metadata(keys.dir()).expect("dir").permissions().mode() & 0o777;
    assert_eq!(folder_mode, 0o700);
    let private = keys.dir().join(format!("{}.key.pem", stored.key_id));
    for file in [
        private.clone(),
        keys.dir().join(format!("{}.json", stored.key_id)),
    ] {
        let mode = fs::metadata(&file).expect("file").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", file.display());
    }
    let pem = fs::read_to_string(&private).expect("read");
    assert!(pem.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"));

    // A standard format: OpenSSL opens it with the passphrase and finds the same public key.
    let out = openssl(
        &[
            "pkey",
            "-in",
            private.to_str().expect("utf8"),
            "-passin",
            &format!("pass:{PASS}"),
            "-pubout",
        ],
        dir.path(),
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        stored.public_key_pem.trim()
    );

    // Listing needs no passphrase; deleting removes both files.
    let listed = keys.list().expect("list");
    assert_eq!(listed, vec![stored.clone()]);
    keys.delete(&stored.key_id).expect("delete");
    assert!(keys.list().expect("list").is_empty());
    assert!(!private.exists());
    assert_eq!(
        keys.delete(&stored.key_id).expect_err("gone").code(),
        DeskErrorCode::NotFound
    );
    assert_eq!(
        keys.get("../../etc/passwd").expect_err("bad id").code(),
        DeskErrorCode::InvalidArgument
    );
}

#[test]
fn garbage_pem_is_rejected_with_guidance() {
    let err = SigningKey::from_pem("hello", None).expect_err("not a key");
    assert_eq!(err.code(), DeskErrorCode::InvalidArgument);
    assert!(err.message().contains("PEM"), "{err}");
    let err = SigningKey::from_pem(
        "-----BEGIN PRIVATE KEY-----\nnot base64!\n-----END PRIVATE KEY-----\n",
        None,
    )
    .expect_err("damaged");
    assert_eq!(err.code(), DeskErrorCode::InvalidArgument);
}

#[test]
fn openssl_ed25519_key_imports_and_signs_what_openssl_verifies() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let (_, digest) = artifact(d);
    openssl(&["genpkey", "-algorithm", "ed25519", "-out", "ed.pem"], d);
    openssl(&["pkey", "-in", "ed.pem", "-pubout", "-out", "pub.pem"], d);
    let pub_pem = fs::read_to_string(d.join("pub.pem")).expect("pub");
    let keys = store(d);
    let pem = fs::read_to_string(d.join("ed.pem")).expect("key");
    let stored = keys.import_pem("ed", &pem, None, PASS).expect("import");
    assert_eq!(stored.algorithm, SigningAlgorithm::Ed25519);
    assert_eq!(stored.public_key_pem.trim(), pub_pem.trim());

    let key = keys.unlock(&stored.key_id, PASS).expect("unlock");
    fs::write(d.join("digest.bin"), digest).expect("digest");
    fs::write(
        d.join("sig.bin"),
        STANDARD
            .decode(key.sign_digest(&digest).expect("sign"))
            .expect("b64"),
    )
    .expect("sig");
    openssl(
        &[
            "pkeyutl",
            "-verify",
            "-pubin",
            "-inkey",
            "pub.pem",
            "-rawin",
            "-in",
            "digest.bin",
            "-sigfile",
            "sig.bin",
        ],
        d,
    );

    // And the other way: OpenSSL signs the digest bytes, we verify.
    let out = openssl(
        &[
            "pkeyutl",
            "-sign",
            "-inkey",
            "ed.pem",
            "-rawin",
            "-in",
            "digest.bin",
        ],
        d,
    );
    verify_digest(
        SigningAlgorithm::Ed25519,
        &pub_pem,
        &digest,
        &STANDARD.encode(out.stdout),
    )
    .expect("openssl ed25519 signature verifies");
}
