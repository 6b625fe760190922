//! Node.js for the UI build (Vite 8 needs 20.19 or newer). Debian 12 ships Node 18, so when the
//! installed `node` is missing or too old, Node 20 comes from the npm registry: the
//! `node-linux-<arch>` package carries the official binary. Debian's npm (installed with apt when
//! missing) fetches it into `target/tools/node`, and its `bin` goes first on PATH for everything
//! xtask starts (npm scripts, Vite, Vitest).

use std::path::{Path, PathBuf};

use crate::cmd;

const MIN_NODE: (u32, u32) = (20, 19);
/// The registry range fetched when the machine's Node is too old.
const FETCHED_RANGE: &str = ">=20.19 <21";

pub fn ensure(
    root: &Path,
    install_debian_packages: impl Fn(&[&str]) -> Result<(), String>,
) -> Result<(), String> {
    if installed_is_new_enough() {
        return Ok(());
    }
    let arch = match std::env::consts::ARCH {
        "x86_64" => "x64",
        "aarch64" => "arm64",
        other => {
            return Err(format!(
            "no Node.js package for this architecture ({other}): install Node.js 20.19 or newer"
        ))
        }
    };
    let dir = root.join("target/tools/node");
    let bin = dir.join(format!("node_modules/node-linux-{arch}/bin"));
    if !bin.join("node").is_file() {
        if !cmd::on_path("npm") {
            install_debian_packages(&["nodejs", "npm"])?;
        }
        std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
        let package = format!("node-linux-{arch}@{FETCHED_RANGE}");
        let prefix = dir.display().to_string();
        cmd::run(
            &dir,
            "npm",
            &[
                "install",
                "--no-audit",
                "--no-fund",
                "--no-save",
                "--prefix",
                &prefix,
                &package,
            ],
        )?;
    }
    prepend_to_path(&bin)?;
    if installed_is_new_enough() {
        Ok(())
    } else {
        Err(format!(
            "Node.js from {} does not run: install Node.js 20.19 or newer",
            bin.display()
        ))
    }
}

fn installed_is_new_enough() -> bool {
    cmd::output("node", &["--version"]).is_some_and(|v| new_enough(&v))
}

/// `v20.19.0` → true; `v18.19.0` → false.
fn new_enough(version: &str) -> bool {
    let mut parts = version.trim().trim_start_matches('v').split('.');
    let major: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    let minor: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    (major, minor) >= MIN_NODE
}

fn prepend_to_path(dir: &Path) -> Result<(), String> {
    let mut paths: Vec<PathBuf> = vec![dir.to_owned()];
    if let Some(path) = std::env::var_os("PATH") {
        paths.extend(std::env::split_paths(&path));
    }
    let joined = std::env::join_paths(paths).map_err(|e| format!("PATH: {e}"))?;
    // xtask is single-threaded here; every command it starts from now on inherits this PATH.
    std::env::set_var("PATH", joined);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::new_enough;

    #[test]
    fn versions_from_20_19_on_are_new_enough() {
        assert!(new_enough("v20.19.0\n"));
        assert!(new_enough("v22.1.0"));
        assert!(!new_enough("v20.18.3"));
        assert!(!new_enough("v18.19.0"));
        assert!(!new_enough("garbage"));
    }
}
