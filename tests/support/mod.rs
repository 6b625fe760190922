//! What the end-to-end tests need to drive the real app: a private X display (Xvfb), tauri-driver
//! in front of WebKitWebDriver, and a WebDriver session on the app binary. Every process is
//! killed when its guard drops, so a failing test leaves nothing running.

#![allow(dead_code)] // each test binary uses a different part of the harness

pub mod airliftd;
pub mod dialog;
pub mod fleet;
pub mod journey;
pub mod ui;

use fantoccini::{Client, ClientBuilder, Locator};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A child process killed on drop.
pub struct Guard(Child);

impl Guard {
    pub fn new(child: Child) -> Guard {
        Guard(child)
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A running Xvfb server on a free display number.
pub struct Display {
    pub name: String,
    number: u32,
    _server: Guard,
}

impl Drop for Display {
    fn drop(&mut self) {
        // Killed, Xvfb leaves its lock and socket behind; later runs would skip the display.
        let pid = self._server.0.id();
        let _ = self._server.0.kill();
        let _ = self._server.0.wait();
        // Only our own lock: another test's Xvfb may hold this number by now.
        let lock = PathBuf::from(format!("/tmp/.X{}-lock", self.number));
        if lock_pid(&lock) == Some(pid) {
            let _ = std::fs::remove_file(lock);
            let _ = std::fs::remove_file(format!("/tmp/.X11-unix/X{}", self.number));
        }
    }
}

/// A lock whose X server is gone (its pid is not running): removed, with its socket, so the
/// display can be used again.
fn stale_lock(lock: &Path, number: u32) -> bool {
    let pid = lock_pid(lock);
    let alive = pid.is_some_and(|pid| Path::new(&format!("/proc/{pid}")).exists());
    if alive {
        return false;
    }
    let _ = std::fs::remove_file(lock);
    let _ = std::fs::remove_file(format!("/tmp/.X11-unix/X{number}"));
    true
}

/// The pid an X server wrote into its lock file.
fn lock_pid(lock: &Path) -> Option<u32> {
    std::fs::read_to_string(lock)
        .ok()
        .and_then(|s| s.trim().parse::<u32>().ok())
}

impl Display {
    pub fn start() -> Display {
        // Pick a display whose lock file is absent; wait for its socket to appear.
        for number in 90..190 {
            let lock = PathBuf::from(format!("/tmp/.X{number}-lock"));
            if lock.exists() && !stale_lock(&lock, number) {
                continue;
            }
            let name = format!(":{number}");
            let child = Command::new("Xvfb")
                .args([
                    name.as_str(),
                    "-screen",
                    "0",
                    "1280x800x24",
                    "-nolisten",
                    "tcp",
                ])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("Xvfb is not installed: run `cargo xtask test`, which installs it");
            let mut server = Guard(child);
            let pid = server.0.id();
            // Tests of one binary start displays at the same time: two may try the same
            // number. Xvfb takes the lock atomically, and the loser exits; the display is ours
            // only when the lock names our pid (the socket alone may be the winner's).
            let socket = PathBuf::from(format!("/tmp/.X11-unix/X{number}"));
            let ours = wait_until(Duration::from_secs(10), || {
                matches!(server.0.try_wait(), Ok(Some(_)))
                    || (lock_pid(&lock) == Some(pid) && socket.exists())
            });
            if ours && matches!(server.0.try_wait(), Ok(None)) && lock_pid(&lock) == Some(pid) {
                return Display {
                    name,
                    number,
                    _server: server,
                };
            }
        }
        panic!("could not start Xvfb on any display from :90 to :189");
    }
}

/// tauri-driver listening on a free port, proxying to WebKitWebDriver on the given display.
pub struct Driver {
    pub url: String,
    _process: Guard,
}

impl Driver {
    pub fn start(display: &Display) -> Driver {
        Self::start_with_env(display, &[])
    }

    /// Like [`Driver::start`]; the app inherits tauri-driver's environment, so `env` reaches
    /// the app (data dir, server URL, token, test file). Values are never printed.
    pub fn start_with_env(display: &Display, env: &[(&str, String)]) -> Driver {
        let port = free_port();
        let native_port = free_port();
        let binary = tauri_driver_path();
        let child = Command::new(&binary)
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native_port.to_string(),
            ])
            .args(["--native-driver", "/usr/bin/WebKitWebDriver"])
            .env("DISPLAY", &display.name)
            // WebKit's defaults on purpose: with WEBKIT_DISABLE_DMABUF_RENDERER or
            // WEBKIT_DISABLE_COMPOSITING_MODE set, WebKitWebDriver's screenshot never answers.
            .env_remove("WEBKIT_DISABLE_DMABUF_RENDERER")
            .env_remove("WEBKIT_DISABLE_COMPOSITING_MODE")
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|err| panic!("cannot start {}: {err}", binary.display()));
        let process = Guard(child);
        let address = format!("127.0.0.1:{port}");
        assert!(
            wait_until(Duration::from_secs(20), || std::net::TcpStream::connect(
                &address
            )
            .is_ok()),
            "tauri-driver did not listen on {address}"
        );
        // tauri-driver forwards to WebKitWebDriver, which it starts itself; a session request
        // that arrives before WebKitWebDriver listens is cut off (seen on a loaded machine).
        let native = format!("127.0.0.1:{native_port}");
        assert!(
            wait_until(Duration::from_secs(20), || std::net::TcpStream::connect(
                &native
            )
            .is_ok()),
            "WebKitWebDriver did not listen on {native}"
        );
        Driver {
            url: format!("http://{address}"),
            _process: process,
        }
    }

    /// Opens a WebDriver session that launches `application` (the built app binary).
    pub async fn session(&self, application: &Path) -> Client {
        let mut caps = serde_json::Map::new();
        caps.insert(
            "tauri:options".into(),
            serde_json::json!({ "application": application }),
        );
        caps.insert("browserName".into(), "wry".into());
        // Several crates of the workspace turn on both rustls providers; pick one for the
        // process (an Err only means another test in this binary already did).
        let _ = rustls::crypto::ring::default_provider().install_default();
        // A connection cut short (not a refusal by the driver) is retried: on a loaded
        // machine the proxy can drop the very first request.
        let mut attempt = 1;
        loop {
            let result = ClientBuilder::rustls()
                .expect("rustls WebDriver client")
                .capabilities(caps.clone())
                .connect(&self.url)
                .await;
            match result {
                Ok(client) => return client,
                Err(
                    e @ (fantoccini::error::NewSessionError::Failed(_)
                    | fantoccini::error::NewSessionError::FailedC(_)),
                ) if attempt < 3 => {
                    eprintln!("WebDriver session attempt {attempt} failed ({e}); retrying");
                    attempt += 1;
                    tokio::time::sleep(Duration::from_secs(2)).await;
                }
                Err(e) => {
                    panic!("WebDriver session on the app (tauri-driver → WebKitWebDriver): {e:?}")
                }
            }
        }
    }
}

/// Path of tauri-driver: `AIRLIFT_TAURI_DRIVER` (set by `cargo xtask test`), PATH, or ~/.cargo/bin.
fn tauri_driver_path() -> PathBuf {
    if let Some(path) = std::env::var_os("AIRLIFT_TAURI_DRIVER") {
        return PathBuf::from(path);
    }
    let on_path = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join("tauri-driver"))
            .find(|p| p.is_file())
    });
    on_path
        .or_else(|| {
            let home = std::env::var_os("HOME")?;
            let candidate = PathBuf::from(home).join(".cargo/bin/tauri-driver");
            candidate.is_file().then_some(candidate)
        })
        .expect("tauri-driver not found: run `cargo xtask test`, which installs it")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

pub fn wait_until(timeout: Duration, mut ready: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if ready() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    ready()
}

/// Waits for an element's text to satisfy `predicate`; returns the last text seen.
pub async fn wait_for_text(
    client: &Client,
    css: &str,
    timeout: Duration,
    predicate: impl Fn(&str) -> bool,
) -> String {
    let deadline = Instant::now() + timeout;
    let mut last = String::new();
    loop {
        if let Ok(element) = client.find(Locator::Css(css)).await {
            if let Ok(text) = element.text().await {
                if predicate(&text) {
                    return text;
                }
                last = text;
            }
        }
        if Instant::now() > deadline {
            // A picture of the window says more than the last text.
            let shot = std::env::temp_dir().join("airlift-e2e-failure.png");
            if let Ok(png) = client.screenshot().await {
                let _ = std::fs::write(&shot, png);
            }
            let body = match client.find(Locator::Css("body")).await {
                Ok(b) => b.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            panic!(
                "`{css}` never showed the expected text; last text: {last:?}\nwindow text: {body}\nscreenshot: {}",
                shot.display()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Where the tests save screenshots: `screenshots/` in the build's target folder, so a test
/// run leaves the tracked files alone; `cargo xtask screenshots` copies them into
/// tests/screenshots/, the README's folder.
pub fn screenshots_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    let target = if target.is_relative() {
        Path::new(env!("CARGO_MANIFEST_DIR")).join(target)
    } else {
        target
    };
    target.join("screenshots")
}

/// Saves a PNG of the window under [`screenshots_dir`] (the README shows these once copied).
pub async fn screenshot(client: &Client, name: &str) -> PathBuf {
    // WebKitWebDriver captures the last painted frame, which can lag the DOM: let the page
    // paint twice and settle before taking the picture.
    let _ = client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(done, 300)));",
            vec![],
        )
        .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let png = client.screenshot().await.expect("window screenshot");
    assert!(
        png.starts_with(b"\x89PNG"),
        "WebDriver screenshot is not a PNG"
    );
    let dir = screenshots_dir();
    std::fs::create_dir_all(&dir).expect("screenshot folder");
    let path = dir.join(format!("{name}.png"));
    std::fs::write(&path, png).expect("write screenshot");
    path
}
