//! Tokens in the real Secret Service: the test re-runs itself under a private D-Bus session
//! with an unlocked gnome-keyring. It fails (never skips) when the tools are missing: install
//! the Debian packages `dbus` (dbus-run-session) and `gnome-keyring`.

use std::path::Path;
use std::process::Command;

use airlift_desk::connections::{Connection, Connections, KeyringTokens, TokenStore as _};
use airlift_desk::secret::Secret;

const CHILD: &str = "AIRLIFT_KEYRING_TEST_CHILD";
const TEST: &str = "tokens_live_in_the_secret_service";

fn on_path(tool: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(tool).is_file()))
}

#[test]
fn tokens_live_in_the_secret_service() {
    if std::env::var_os(CHILD).is_some() {
        child();
        return;
    }
    for (tool, package) in [
        ("dbus-run-session", "dbus"),
        ("gnome-keyring-daemon", "gnome-keyring"),
    ] {
        assert!(
            on_path(tool),
            "{tool} is missing: install the Debian package {package}"
        );
    }
    let home = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let script = "printf pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null \
                  && exec \"$0\" --exact \"$1\" --nocapture --test-threads=1";
    let out = Command::new("dbus-run-session")
        .args(["--", "sh", "-c", script])
        .arg(&exe)
        .arg(TEST)
        .env(CHILD, "1")
        .env("HOME", home.path())
        .env("XDG_DATA_HOME", home.path().join("data"))
        .env("XDG_CONFIG_HOME", home.path().join("config"))
        .env("XDG_RUNTIME_DIR", home.path())
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .output()
        .expect("run dbus-run-session");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "child failed:\n{stdout}\n{stderr}");
    assert!(
        stdout.contains("keyring child ok"),
        "the child did not run the test:\n{stdout}\n{stderr}"
    );
}

fn child() {
    let tokens = KeyringTokens::new(&format!("airlift-test-{}", std::process::id()));
    assert!(tokens.get("prod").unwrap().is_none());
    tokens.set("prod", &Secret::new("jwt-TOP-SECRET")).unwrap();
    assert_eq!(
        tokens.get("prod").unwrap().unwrap().expose(),
        "jwt-TOP-SECRET"
    );

    // Through the connections file: the token goes to the keyring, never the file.
    let config =
        Path::new(&std::env::var("XDG_CONFIG_HOME").unwrap()).join("airlift/connections.json");
    let mut conns = Connections::load(&config).unwrap();
    conns
        .save(
            Connection {
                name: "staging".into(),
                url: "https://fleet.example.com".into(),
                ca_cert_pem: None,
            },
            Some(&Secret::new("jwt-STAGING-SECRET")),
            &tokens,
        )
        .unwrap();
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(!text.contains("SECRET"), "{text}");
    assert!(!format!("{conns:?} {tokens:?}").contains("SECRET"));
    // A fresh handle (another process would do the same) finds it in the Secret Service.
    let fresh = KeyringTokens::new(&format!("airlift-test-{}", std::process::id()));
    assert_eq!(
        fresh.get("staging").unwrap().unwrap().expose(),
        "jwt-STAGING-SECRET"
    );
    conns.remove("staging", &fresh).unwrap();
    assert!(fresh.get("staging").unwrap().is_none());
    tokens.delete("prod").unwrap();
    assert!(tokens.get("prod").unwrap().is_none());
    println!("keyring child ok");
}
