//! `airlift-agent check`: validates the configuration and reaches the server, with the exit
//! codes a provisioning script branches on (0 ok, 2 configuration, 3 unreachable, 4 refused).

mod support;

use support::{serial, Env};

async fn check(env: &Env, server: &str, extra: &[&str]) -> (i32, String) {
    let out = tokio::process::Command::new(airlift_testkit::bin("airlift-agent"))
        .arg("check")
        .args(["--server", server, "--device-id", &env.device_id])
        .arg("--token-file")
        .arg(env.path("token"))
        .arg("--state-dir")
        .arg(env.path("state"))
        .arg("--version-file")
        .arg(env.path("version"))
        .args(["--install-hook", "true", "--retry-attempts", "1"])
        .args(extra)
        .output()
        .await
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

#[tokio::test]
async fn check_validates_the_configuration_and_reaches_the_server() {
    let _g = serial().await;
    let env = Env::start("1.0.0").await;
    env.set_version("1.0.0");
    let key = env.path("trusted.pem");
    let key = key.to_str().unwrap();
    let (code, out) = check(&env, &env.server.url, &["--trusted-key", key]).await;
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("reachable; nothing assigned"), "{out}");

    let (code, out) = check(&env, &env.server.url, &[]).await;
    assert_eq!(code, 2, "no trusted key and no --allow-unsigned: {out}");
    assert!(out.contains("--allow-unsigned"), "{out}");

    std::fs::write(env.path("junk.pem"), "not a key").unwrap();
    let junk = env.path("junk.pem");
    let (code, out) = check(
        &env,
        &env.server.url,
        &["--trusted-key", junk.to_str().unwrap()],
    )
    .await;
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("junk.pem"), "{out}");

    let (code, out) = check(&env, "http://127.0.0.1:9", &["--trusted-key", key]).await;
    assert_eq!(code, 3, "{out}");

    std::fs::write(env.path("token"), "wrong-token").unwrap();
    let (code, out) = check(&env, &env.server.url, &["--trusted-key", key]).await;
    assert_eq!(code, 4, "{out}");
    assert!(
        !out.contains("wrong-token"),
        "the token is never printed: {out}"
    );
}
