//! Where the cache for one server and tenant lives: one SQLite file per (server, tenant).
//!
//! Two tenants on one server (or one tenant id on two servers) never share a file, so a query
//! can never return rows another token would not see, online or offline. The file name is a
//! hash of the normalized server URL and the tenant id, with the host as a readable prefix
//! (`acme.example.com-3f2a….sqlite3`), so `ls` tells the files apart without revealing tenants.

use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};

/// The cache file for `server_url` and `tenant_id` inside `dir`.
///
/// URLs that name the same server give the same file: scheme and host are compared without
/// case, the default port (`:80` for http, `:443` for https) and trailing slashes are ignored.
pub fn cache_file(dir: &Path, server_url: &str, tenant_id: &str) -> PathBuf {
    let url = normalize_url(server_url);
    let mut hasher = Sha256::new();
    hasher.update(url.as_bytes());
    // A separator no URL holds, so ("a/b", "c") and ("a", "b/c")-style pairs cannot collide.
    hasher.update([0u8]);
    hasher.update(tenant_id.as_bytes());
    let digest = hex::encode(&hasher.finalize()[..16]);
    let prefix = readable_prefix(&url);
    let name = if prefix.is_empty() {
        format!("{digest}.sqlite3")
    } else {
        format!("{prefix}-{digest}.sqlite3")
    };
    dir.join(name)
}

/// `HTTP://Example.com:80/api/` → `http://example.com/api`.
pub fn normalize_url(server_url: &str) -> String {
    let trimmed = server_url.trim().trim_end_matches('/');
    let Some((scheme, rest)) = trimmed.split_once("://") else {
        return trimmed.to_owned();
    };
    let scheme = scheme.to_ascii_lowercase();
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let mut authority = authority.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "http" => Some(":80"),
        "https" => Some(":443"),
        _ => None,
    };
    if let Some(port) = default_port {
        if let Some(stripped) = authority.strip_suffix(port) {
            authority = stripped.to_owned();
        }
    }
    format!("{scheme}://{authority}{}", path.trim_end_matches('/'))
}

/// The host and port, with every character a file name might mind replaced by `_`.
fn readable_prefix(normalized_url: &str) -> String {
    let after_scheme = normalized_url
        .split_once("://")
        .map_or(normalized_url, |(_, rest)| rest);
    let authority = after_scheme.split('/').next().unwrap_or("");
    // Credentials in a URL (user:pass@host) must not end up in a file name.
    let host = authority.rsplit('@').next().unwrap_or("");
    host.chars()
        .take(64)
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_file_per_server_and_tenant() {
        let dir = Path::new("/c");
        let a = cache_file(dir, "http://127.0.0.1:8080", "tenant-a");
        let b = cache_file(dir, "http://127.0.0.1:8080", "tenant-b");
        let other_server = cache_file(dir, "http://127.0.0.1:9090", "tenant-a");
        assert_ne!(a, b);
        assert_ne!(a, other_server);
        assert_eq!(a.parent(), Some(dir));
        let name = a.file_name().unwrap().to_str().unwrap();
        assert!(name.starts_with("127.0.0.1_8080-"), "{name}");
        assert!(name.ends_with(".sqlite3"), "{name}");
        assert!(!name.contains("tenant-a"), "{name}");
    }

    #[test]
    fn spellings_of_one_server_share_a_file() {
        let dir = Path::new("/c");
        let base = cache_file(dir, "https://fleet.example.com", "t");
        for url in [
            "https://fleet.example.com/",
            "HTTPS://Fleet.Example.com",
            "https://fleet.example.com:443/",
            " https://fleet.example.com ",
        ] {
            assert_eq!(cache_file(dir, url, "t"), base, "{url}");
        }
        assert_ne!(cache_file(dir, "http://fleet.example.com", "t"), base);
        assert_ne!(
            cache_file(dir, "https://fleet.example.com/other", "t"),
            base
        );
    }

    #[test]
    fn names_are_safe_file_names() {
        let path = cache_file(Path::new("/c"), "http://user:pw@[::1]:8080/x", "t");
        let name = path.file_name().unwrap().to_str().unwrap();
        assert!(!name.contains("pw"), "{name}");
        assert!(!name.contains('/') && !name.contains(':'), "{name}");
        let bare = cache_file(Path::new("/c"), "", "t");
        assert!(bare
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .ends_with(".sqlite3"));
    }
}
