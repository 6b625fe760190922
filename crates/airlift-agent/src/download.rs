//! The download in progress, `STATE_DIR/download.part`: appended range by range, each range
//! fsynced before the state records it, so after a power cut the file is cut back to the
//! bytes the state vouches for and the download resumes there (at most the range in flight
//! is fetched again). The whole file is checked against the SHA-256 at the end.

use std::io::{Read as _, Seek as _, SeekFrom, Write as _};
use std::path::Path;

use sha2::{Digest as _, Sha256};

/// The partial file opened for appending after its `committed` bytes. A file shorter than
/// `committed` (lost in a crash despite the fsync) restarts from what it holds.
pub fn open_at(path: &Path, committed: u64) -> std::io::Result<(std::fs::File, u64)> {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(path)?;
    let len = f.metadata()?.len();
    let keep = committed.min(len);
    // Bytes past the committed mark may be torn (written, never fsynced): drop them.
    f.set_len(keep)?;
    f.seek(SeekFrom::Start(keep))?;
    Ok((f, keep))
}

/// Appends `bytes` and makes them durable.
pub fn append(f: &mut std::fs::File, bytes: &[u8]) -> std::io::Result<()> {
    f.write_all(bytes)?;
    f.sync_data()
}

/// The SHA-256 of a file, streamed.
pub fn sha256_file(path: &Path) -> std::io::Result<[u8; 32]> {
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_torn_tail_is_cut_back_to_the_committed_bytes() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("download.part");
        let (mut f, at) = open_at(&p, 0).unwrap();
        assert_eq!(at, 0);
        append(&mut f, b"hello").unwrap();
        f.write_all(b"torn").unwrap();
        drop(f);
        let (mut f, at) = open_at(&p, 5).unwrap();
        assert_eq!(at, 5);
        append(&mut f, b" world").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"hello world");
        assert_eq!(
            sha256_file(&p).unwrap(),
            <[u8; 32]>::from(Sha256::digest(b"hello world"))
        );
        // The state vouches for more than the file holds: resume from the file's end.
        let (_, at) = open_at(&p, 100).unwrap();
        assert_eq!(at, 11);
    }
}
