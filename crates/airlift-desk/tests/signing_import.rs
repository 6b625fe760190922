//! Importing signing keys from files (what the app's "Import key" picks) for both algorithms,
//! and registering public keys with a real `airliftd` tenant.

mod support;

use std::fs;
use std::path::Path;
use std::process::Command;

use airlift_desk::signing::{register, registration, tenant_keys, KeyStore, SigningAlgorithm};
use airlift_desk::DeskErrorCode;

const TEST_COST: u8 = 10;
const PASS: &str = "correct horse battery staple";

fn openssl(args: &[&str], dir: &Path) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run openssl");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// (algorithm, `openssl genpkey` arguments) for both supported algorithms.
const ALGORITHMS: [(SigningAlgorithm, &[&str]); 2] = [
    (
        SigningAlgorithm::EcdsaP256Sha256,
        &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
    ),
    (SigningAlgorithm::Ed25519, &["-algorithm", "ed25519"]),
];

#[test]
fn plain_and_encrypted_pkcs8_files_of_both_algorithms_import() {
    for (algorithm, genpkey) in ALGORITHMS {
        let dir = support::tempdir();
        let d = dir.path();
        let mut args = vec!["genpkey"];
        args.extend_from_slice(genpkey);
        args.extend_from_slice(&["-out", "plain.pem"]);
        openssl(&args, d);
        openssl(
            &["pkey", "-in", "plain.pem", "-pubout", "-out", "pub.pem"],
            d,
        );
        openssl(
            &[
                "pkcs8",
                "-topk8",
                "-v2",
                "aes-256-cbc",
                "-in",
                "plain.pem",
                "-out",
                "encrypted.pem",
                "-passout",
                "pass:export pass",
            ],
            d,
        );
        let public = fs::read_to_string(d.join("pub.pem")).unwrap();

        let keys = KeyStore::open_with_cost(&d.join("keys"), TEST_COST).unwrap();
        let stored = keys
            .import_file("plain", &d.join("plain.pem"), None, PASS)
            .unwrap_or_else(|err| panic!("{algorithm:?}: {err}"));
        assert_eq!(stored.algorithm, algorithm);
        assert_eq!(stored.public_key_pem.trim(), public.trim());
        // The same key again is recognised, whatever its file's encryption.
        let again = keys
            .import_file("again", &d.join("encrypted.pem"), Some("export pass"), PASS)
            .expect_err("already stored");
        assert_eq!(again.code(), DeskErrorCode::AlreadyExists, "{again}");
        keys.delete(&stored.key_id).unwrap();

        // Encrypted: without or with a wrong passphrase, a clear WRONG_PASSPHRASE.
        for wrong in [None, Some("export pas")] {
            let err = keys
                .import_file("enc", &d.join("encrypted.pem"), wrong, PASS)
                .expect_err("wrong passphrase");
            assert_eq!(err.code(), DeskErrorCode::WrongPassphrase, "{err}");
            assert!(err.message().contains("passphrase"), "{err}");
        }
        assert!(
            keys.list().unwrap().is_empty(),
            "a failed import stored something"
        );
        let stored = keys
            .import_file("enc", &d.join("encrypted.pem"), Some("export pass"), PASS)
            .unwrap();
        assert_eq!(stored.algorithm, algorithm);
        assert_eq!(stored.public_key_pem.trim(), public.trim());
        // Stored under the app's passphrase, not the export one.
        let key = keys.unlock(&stored.key_id, PASS).unwrap();
        assert_eq!(key.algorithm(), algorithm);
        assert_eq!(
            keys.unlock(&stored.key_id, "export pass")
                .expect_err("export passphrase")
                .code(),
            DeskErrorCode::WrongPassphrase
        );
    }
}

#[test]
fn files_that_are_not_keys_are_refused_with_what_to_pick_instead() {
    let dir = support::tempdir();
    let d = dir.path();
    let keys = KeyStore::open_with_cost(&d.join("keys"), TEST_COST).unwrap();

    // Text that is not a key at all, and a public key (the wrong half).
    fs::write(d.join("notes.txt"), "release notes for 2.1.0\n").unwrap();
    openssl(&["genpkey", "-algorithm", "ed25519", "-out", "k.pem"], d);
    openssl(&["pkey", "-in", "k.pem", "-pubout", "-out", "pub.pem"], d);
    for file in ["notes.txt", "pub.pem"] {
        let err = keys
            .import_file("x", &d.join(file), None, PASS)
            .expect_err(file);
        assert_eq!(err.code(), DeskErrorCode::InvalidArgument, "{file}: {err}");
        assert!(err.message().contains("PEM"), "{file}: {err}");
    }

    // A damaged key block.
    let pem = fs::read_to_string(d.join("k.pem")).unwrap();
    fs::write(d.join("damaged.pem"), pem.replacen('M', "!", 1)).unwrap();
    let err = keys
        .import_file("x", &d.join("damaged.pem"), None, PASS)
        .expect_err("damaged");
    assert_eq!(err.code(), DeskErrorCode::InvalidArgument, "{err}");
    assert!(err.message().contains("damaged"), "{err}");

    // Binary garbage (a firmware image picked by mistake).
    let mut binary = b"\x7fELF\x02\x01\x01\x00".to_vec();
    binary.extend((0..=255u8).rev());
    fs::write(d.join("image.bin"), binary).unwrap();
    let err = keys
        .import_file("x", &d.join("image.bin"), None, PASS)
        .expect_err("binary");
    assert_eq!(err.code(), DeskErrorCode::InvalidArgument, "{err}");
    assert!(err.message().contains("not a PEM text file"), "{err}");

    // A big file is not read whole.
    let big = d.join("firmware.bin");
    fs::File::create(&big).unwrap().set_len(50 << 20).unwrap();
    let err = keys
        .import_file("x", &big, None, PASS)
        .expect_err("too big");
    assert_eq!(err.code(), DeskErrorCode::InvalidArgument, "{err}");
    assert!(err.message().contains("too big"), "{err}");

    // A missing file, and a folder.
    let err = keys
        .import_file("x", &d.join("nope.pem"), None, PASS)
        .expect_err("missing");
    assert_eq!(err.code(), DeskErrorCode::NotFound, "{err}");
    let err = keys.import_file("x", d, None, PASS).expect_err("folder");
    assert_eq!(err.code(), DeskErrorCode::InvalidArgument, "{err}");

    assert!(keys.list().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn registering_sends_the_public_key_once_and_needs_an_admin() {
    let data = support::tempdir();
    let server = support::Server::start(data.path());
    let admin = server.client("acme", "admin");
    let release_manager = server.client("acme", "release-manager");
    let dir = support::tempdir();
    let keys = KeyStore::open_with_cost(&dir.path().join("keys"), TEST_COST).unwrap();

    for (algorithm, _) in ALGORITHMS {
        let stored = keys
            .create(&format!("{} key", algorithm.as_str()), algorithm, PASS)
            .unwrap();
        assert!(registration(&tenant_keys(&admin).await.unwrap(), &stored).is_none());

        // A release manager may not decide which keys the fleet trusts.
        let err = register(&release_manager, &stored)
            .await
            .expect_err("not an admin");
        assert_eq!(err.code(), DeskErrorCode::PermissionDenied);
        assert!(err.message().contains("admin"), "{err}");

        let registered = register(&admin, &stored).await.unwrap();
        assert_eq!(registered.fingerprint, stored.fingerprint);
        assert_eq!(registered.algorithm, algorithm);
        assert_eq!(
            registered.public_key_pem.trim(),
            stored.public_key_pem.trim()
        );
        // Pressing "Register" again finds the registration instead of making a second.
        let again = register(&admin, &stored).await.unwrap();
        assert_eq!(again.key_id, registered.key_id);
        let tenant = tenant_keys(&release_manager).await.unwrap();
        assert_eq!(
            tenant
                .iter()
                .filter(|k| k.fingerprint == stored.fingerprint)
                .count(),
            1
        );
        assert_eq!(
            registration(&tenant, &stored).map(|k| k.key_id.as_str()),
            Some(registered.key_id.as_str())
        );
    }

    // Only public keys reached the server: no private key material in its data folder.
    for entry in walk(&server.data) {
        let bytes = fs::read(&entry).unwrap_or_default();
        assert!(
            !bytes.windows(11).any(|w| w == b"PRIVATE KEY"),
            "{} holds a private key",
            entry.display()
        );
    }
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}
