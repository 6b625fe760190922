//! TLS with a private CA: the agent reaches a server whose certificate only `--ca-file`
//! vouches for, and refuses it without that file.

mod support;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use support::{proxy, serial, Env};

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("openssl");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA and a server certificate for localhost signed by it (PEM files in `dir`).
fn private_ca(dir: &Path) {
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
    ];
    let mut ca = vec!["req", "-x509"];
    ca.extend(ec);
    ca.extend([
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=Airlift test CA",
    ]);
    ca.extend([
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign",
    ]);
    openssl(dir, &ca);
    let mut csr = vec!["req"];
    csr.extend(ec);
    csr.extend([
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=localhost",
    ]);
    openssl(dir, &csr);
    std::fs::write(
        dir.join("ext.cnf"),
        "subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\n",
    )
    .unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-days",
            "2",
            "-extfile",
            "ext.cnf",
        ],
    );
}

#[tokio::test]
async fn the_agent_trusts_a_private_ca_only_when_given_it() {
    let _g = serial().await;
    let env = Env::start("1.0.0").await;
    private_ca(env.dir.path());
    let (url, _link) = proxy::start_tls(
        &env.server.url,
        &env.path("server.pem"),
        &env.path("server.key"),
    )
    .await;
    let (pkg, bytes) = env.package("2.0.0", 100_000).await;
    env.set_version("1.0.0");

    let check = |extra: Vec<String>| {
        let mut c = tokio::process::Command::new(airlift_testkit::bin("airlift-agent"));
        c.arg("check")
            .args(["--server", &url, "--device-id", &env.device_id])
            .arg("--token-file")
            .arg(env.path("token"))
            .arg("--state-dir")
            .arg(env.path("state"))
            .arg("--version-file")
            .arg(env.path("version"))
            .args([
                "--install-hook",
                "true",
                "--allow-unsigned",
                "--retry-attempts",
                "1",
            ])
            .args(extra);
        c
    };
    let out = check(vec![]).output().await.unwrap();
    assert_eq!(
        out.status.code(),
        Some(3),
        "an unknown CA is refused: {out:?}"
    );
    let ca = env.path("ca.pem").display().to_string();
    let out = check(vec!["--ca-file".into(), ca.clone()])
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");

    let rollout = env.rollout(&pkg).await;
    let hook = format!(
        "cp \"$AIRLIFT_ARTIFACT\" {}",
        env.path("installed.bin").display()
    );
    let _agent = env.agent(&url, &hook, &["--ca-file", &ca]);
    env.wait_counter(&rollout, "successful", 1, Duration::from_secs(60))
        .await;
    assert_eq!(std::fs::read(env.path("installed.bin")).unwrap(), bytes);
}
