//! TLS with a private CA: the agent reaches a server whose certificate only `--ca-file`
//! vouches for, and refuses it without that file (`TLS_UNTRUSTED`, exit 6). A certificate it
//! does not trust is not a passing network failure: it is said once, at error level, with the
//! fix, and asked about again only at the longest backoff, until the certificate is one it
//! trusts (a captive portal gone, the right certificate installed).

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
        Some(6),
        "an unknown CA is refused: {out:?}"
    );
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("TLS_UNTRUSTED") && said.contains("--ca-file"),
        "says what to do: {said}"
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

#[tokio::test]
async fn an_untrusted_certificate_is_said_once_and_asked_about_at_the_longest_backoff() {
    let _g = serial().await;
    let env = Env::start("1.0.0").await;
    // The CA the agent trusts, and another one (a captive portal's, a wrong deployment's).
    private_ca(env.dir.path());
    let other = env.path("other");
    std::fs::create_dir_all(&other).unwrap();
    private_ca(&other);
    let (url, link) = proxy::start_tls(
        &env.server.url,
        &other.join("server.pem"),
        &other.join("server.key"),
    )
    .await;
    let (pkg, bytes) = env.package("2.0.0", 100_000).await;
    env.set_version("1.0.0");
    let rollout = env.rollout(&pkg).await;
    let hook = format!(
        "cp \"$AIRLIFT_ARTIFACT\" {}",
        env.path("installed.bin").display()
    );
    let ca = env.path("ca.pem").display().to_string();
    // Polls every 200 ms, one attempt each: a transient failure would be asked about again
    // about thirty times in the six seconds below.
    let agent = env.agent(
        &url,
        &hook,
        &[
            "--ca-file",
            &ca,
            "--retry-attempts",
            "1",
            "--retry-max-delay",
            "2s",
        ],
    );
    tokio::time::sleep(Duration::from_secs(6)).await;
    let tried = link.connections.load(std::sync::atomic::Ordering::SeqCst);
    let log = std::fs::read_to_string(&agent.log).unwrap();
    assert!(
        (1..=6).contains(&tried),
        "{tried} connections in 6 s: the untrusted server is asked about every 2 s at most\n{log}"
    );
    let errors: Vec<&str> = log.lines().filter(|l| l.contains(": error: ")).collect();
    assert_eq!(errors.len(), 1, "said once, at error level:\n{log}");
    for words in [
        "TLS_UNTRUSTED",
        "not signed by a CA this device trusts",
        "--ca-file",
        "AIRLIFT_AGENT_CA_FILE",
    ] {
        assert!(errors[0].contains(words), "{words:?} in {}", errors[0]);
    }
    assert!(
        !log.contains("UNREACHABLE"),
        "not a passing network failure:\n{log}"
    );
    assert_eq!(
        env.rollout_state(&rollout).await["counters"]["successful"],
        0
    );

    // The right certificate: the next attempt works, and the agent is back to normal.
    link.use_certificate(&env.path("server.pem"), &env.path("server.key"));
    env.wait_counter(&rollout, "successful", 1, Duration::from_secs(60))
        .await;
    assert_eq!(std::fs::read(env.path("installed.bin")).unwrap(), bytes);
    let log = std::fs::read_to_string(&agent.log).unwrap();
    assert!(log.contains("trusted again"), "{log}");
    assert_eq!(
        log.lines().filter(|l| l.contains(": error: ")).count(),
        1,
        "{log}"
    );
}
