//! `cargo xtask screenshots`: copies the screenshots the end-to-end tests took (under
//! `target/screenshots/`, so a test run never touches tracked files) into `tests/screenshots/`,
//! the folder the README shows. Run it after `cargo xtask test` when the pictures should change.

use std::path::{Path, PathBuf};

use crate::cmd;

pub fn screenshots() -> Result<(), String> {
    let root = cmd::root();
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let target = if target.is_relative() {
        root.join(target)
    } else {
        target
    };
    let copied = copy_pngs(&target.join("screenshots"), &root.join("tests/screenshots"))?;
    println!("copied {copied} screenshots into tests/screenshots/");
    Ok(())
}

/// Copies every `*.png` of `from` into `to`; returns how many. None at all is an error: the
/// end-to-end tests have not run yet.
fn copy_pngs(from: &Path, to: &Path) -> Result<usize, String> {
    let entries = std::fs::read_dir(from).map_err(|err| {
        format!(
            "no screenshots in {} ({err}): run `cargo xtask test` first",
            from.display()
        )
    })?;
    let mut pngs: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .collect();
    if pngs.is_empty() {
        return Err(format!(
            "no screenshots in {}: run `cargo xtask test` first",
            from.display()
        ));
    }
    pngs.sort();
    std::fs::create_dir_all(to).map_err(|err| format!("creating {}: {err}", to.display()))?;
    for png in &pngs {
        let Some(name) = png.file_name() else {
            continue;
        };
        std::fs::copy(png, to.join(name))
            .map_err(|err| format!("copying {}: {err}", png.display()))?;
    }
    Ok(pngs.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_only_pngs_and_says_when_there_are_none() {
        // A folder of its own under the system's temp folder (xtask has no dependencies).
        let dir = std::env::temp_dir().join(format!("xtask-screenshots-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let (from, to) = (dir.join("from"), dir.join("to"));
        assert!(copy_pngs(&from, &to)
            .unwrap_err()
            .contains("cargo xtask test"));
        std::fs::create_dir_all(&from).unwrap();
        assert!(copy_pngs(&from, &to)
            .unwrap_err()
            .contains("no screenshots"));
        std::fs::write(from.join("a.png"), b"\x89PNG a").unwrap();
        std::fs::write(from.join("b.png"), b"\x89PNG b").unwrap();
        std::fs::write(from.join("notes.txt"), b"x").unwrap();
        assert_eq!(copy_pngs(&from, &to).unwrap(), 2);
        assert_eq!(std::fs::read(to.join("b.png")).unwrap(), b"\x89PNG b");
        assert!(!to.join("notes.txt").exists());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
