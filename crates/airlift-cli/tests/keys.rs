//! `key import | list | public` with OpenSSL's own keys, in the folder the desktop app reads
//! ($XDG_DATA_HOME/airlift/keys); no server is needed for any of them.

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};

use airlift_desk::signing::{KeyStore, SigningAlgorithm};

/// `airlift-cli ARGS` as a pipeline runs it: no TTY, a clean environment under `home`.
fn cli(home: &Path, args: &[&str]) -> Output {
    Command::new(common::CLI)
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("RELEASE_PASSPHRASE", "release secret")
        .stdin(Stdio::null())
        .output()
        .expect("run airlift-cli")
}

fn openssl(args: &[&str]) -> Vec<u8> {
    let out = Command::new("openssl")
        .args(args)
        .output()
        .expect("openssl");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn path(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 path")
}

#[test]
fn openssl_keys_are_imported_listed_and_their_public_halves_printed_for_the_app_too() {
    let home = tempfile::tempdir().expect("tempdir");
    let home = home.path();

    // An Ed25519 key in plain PKCS#8, and a P-256 key in encrypted PKCS#8, as OpenSSL makes them.
    let ed = home.join("ed25519.pem");
    openssl(&["genpkey", "-algorithm", "ed25519", "-out", path(&ed)]);
    let ed_public = String::from_utf8(openssl(&["pkey", "-in", path(&ed), "-pubout"])).unwrap();
    let ec = home.join("p256.pem");
    let ec_plain = openssl(&[
        "genpkey",
        "-algorithm",
        "EC",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
    ]);
    std::fs::write(home.join("p256-plain.pem"), &ec_plain).unwrap();
    openssl(&[
        "pkcs8",
        "-topk8",
        "-v2",
        "aes-256-cbc",
        "-in",
        path(&home.join("p256-plain.pem")),
        "-passout",
        "pass:release secret",
        "-out",
        path(&ec),
    ]);

    let imported = cli(
        home,
        &[
            "--json",
            "key",
            "import",
            path(&ed),
            "--name",
            "release",
            "--passphrase-env",
            "RELEASE_PASSPHRASE",
        ],
    );
    let (code, out, err) = common::parse(imported);
    assert_eq!(code, 0, "{out} {err}");
    assert_eq!(out["key"]["name"], "release");
    assert_eq!(out["key"]["algorithm"], "ed25519", "{out}");

    // The encrypted PEM opens with the same passphrase that then protects the stored copy.
    let (code, out, err) = common::parse(cli(
        home,
        &[
            "--json",
            "key",
            "import",
            path(&ec),
            "--name",
            "release-p256",
            "--passphrase-env",
            "RELEASE_PASSPHRASE",
        ],
    ));
    assert_eq!(code, 0, "{out} {err}");
    assert_eq!(out["key"]["algorithm"], "ecdsa-p256-sha256", "{out}");

    // Bad input: not a key, and a name already taken. Each says why; the folder is unchanged.
    let junk = home.join("junk.pem");
    std::fs::write(
        &junk,
        "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n",
    )
    .unwrap();
    let (code, out, _) = common::parse(cli(
        home,
        &[
            "--json",
            "key",
            "import",
            path(&junk),
            "--name",
            "junk",
            "--passphrase-env",
            "RELEASE_PASSPHRASE",
        ],
    ));
    assert_ne!(code, 0, "{out}");
    assert!(
        out["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{out}"
    );
    let (code, out, _) = common::parse(cli(
        home,
        &[
            "--json",
            "key",
            "import",
            path(&ed),
            "--name",
            "release",
            "--passphrase-env",
            "RELEASE_PASSPHRASE",
        ],
    ));
    assert_ne!(code, 0, "a second key named release: {out}");
    assert!(
        out["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("release"),
        "{out}"
    );

    let (code, out, _) = common::parse(cli(home, &["--json", "key", "list"]));
    assert_eq!(code, 0);
    let folder = home.join("data/airlift/keys");
    assert_eq!(out["folder"], path(&folder), "{out}");
    let mut names: Vec<&str> = out["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["name"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["release", "release-p256"]);

    // `key public` prints exactly what `openssl pkey -pubout` prints for the same key.
    let public = cli(home, &["key", "public", "release"]);
    assert!(public.status.success());
    assert_eq!(
        String::from_utf8(public.stdout).unwrap().trim_end(),
        ed_public.trim_end()
    );

    // The desktop app's key store, on the same folder, sees both keys.
    let store = KeyStore::open(&folder).expect("open the shared key folder");
    let mut seen: Vec<(String, SigningAlgorithm)> = store
        .list()
        .expect("list")
        .into_iter()
        .map(|k| (k.name, k.algorithm))
        .collect();
    seen.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        seen,
        [
            ("release".to_owned(), SigningAlgorithm::Ed25519),
            ("release-p256".to_owned(), SigningAlgorithm::EcdsaP256Sha256),
        ]
    );
}
