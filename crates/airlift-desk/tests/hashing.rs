//! Streaming SHA-256 and the part reader, checked against coreutils' `sha256sum`.

use std::fs::{self, File};
use std::io::Write as _;
use std::path::Path;
use std::process::Command;

use airlift_desk::hashing::parts::{BufferPool, PartReader};
use airlift_desk::hashing::{sha256_file, Progress, CHUNK_SIZE};
use airlift_desk::{CancelToken, DeskErrorCode};
use md5::{Digest as _, Md5};

fn sha256sum_cli(path: &Path) -> String {
    let out = Command::new("sha256sum")
        .arg(path)
        .output()
        .expect("run sha256sum");
    assert!(out.status.success());
    String::from_utf8(out.stdout).expect("utf8")[..64].to_string()
}

/// Deterministic, non-repeating-per-chunk bytes (a repeating pattern could hide offset bugs).
fn pseudo_random_bytes(len: usize) -> Vec<u8> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

fn write_file(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let path = dir.join(name);
    File::create(&path)
        .and_then(|mut f| f.write_all(bytes))
        .expect("write");
    path
}

#[test]
fn matches_sha256sum_on_a_few_mib_with_monotone_progress() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Not a multiple of the chunk size, so the last chunk is short.
    let len = 5 * CHUNK_SIZE + 12_345;
    let path = write_file(dir.path(), "fw.bin", &pseudo_random_bytes(len));
    let mut seen: Vec<Progress> = Vec::new();
    let digest = sha256_file(&path, &CancelToken::new(), |p| seen.push(p)).expect("hash");
    assert_eq!(digest.size, len as u64);
    assert_eq!(digest.sha256_hex().as_str(), sha256sum_cli(&path));
    assert_eq!(
        seen.first(),
        Some(&Progress {
            done: 0,
            total: len as u64
        })
    );
    assert_eq!(
        seen.last(),
        Some(&Progress {
            done: len as u64,
            total: len as u64
        })
    );
    assert!(seen.windows(2).all(|w| w[0].done < w[1].done), "{seen:?}");
    assert!(seen.iter().all(|p| p.total == len as u64));
}

#[test]
fn matches_sha256sum_on_a_sparse_file_over_one_gib() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("sparse.img");
    let file = File::create(&path).expect("create");
    // Some real bytes at both ends of an otherwise sparse 1 GiB + 3 bytes file.
    let len = (1u64 << 30) + 3;
    file.set_len(len).expect("set_len");
    drop(file);
    {
        use std::os::unix::fs::FileExt as _;
        let f = fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .expect("open");
        f.write_all_at(b"head", 0).expect("write head");
        f.write_all_at(b"xyz", len - 3).expect("write tail");
    }
    let mut last = Progress { done: 0, total: 0 };
    let digest = sha256_file(&path, &CancelToken::new(), |p| last = p).expect("hash");
    assert_eq!(digest.size, len);
    assert_eq!(
        last,
        Progress {
            done: len,
            total: len
        }
    );
    assert_eq!(digest.sha256_hex().as_str(), sha256sum_cli(&path));
}

#[test]
fn empty_file_hashes_to_the_empty_digest() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write_file(dir.path(), "empty.bin", b"");
    let mut seen = Vec::new();
    let digest = sha256_file(&path, &CancelToken::new(), |p| seen.push(p)).expect("hash");
    assert_eq!(
        digest.sha256_hex().as_str(),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    assert_eq!(digest.size, 0);
    assert_eq!(seen, vec![Progress { done: 0, total: 0 }]);
}

#[test]
fn cancellation_stops_early_with_cancelled() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("big.img");
    File::create(&path)
        .and_then(|f| f.set_len(64 << 20))
        .expect("sparse file");
    let cancel = CancelToken::new();
    let mut calls = 0u32;
    let mut last_done = 0;
    let err = sha256_file(&path, &cancel, |p| {
        calls += 1;
        last_done = p.done;
        if p.done >= 2 * CHUNK_SIZE as u64 {
            cancel.cancel();
        }
    })
    .expect_err("cancelled");
    assert_eq!(err.code(), DeskErrorCode::Cancelled);
    assert!(err.message().contains("big.img"), "{err}");
    assert_eq!(
        last_done,
        2 * CHUNK_SIZE as u64,
        "no chunk is hashed after cancel"
    );
    assert_eq!(calls, 3);
}

#[test]
fn already_cancelled_token_reads_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write_file(dir.path(), "a.bin", b"abc");
    let cancel = CancelToken::new();
    cancel.cancel();
    let err = sha256_file(&path, &cancel, |_| {}).expect_err("cancelled");
    assert_eq!(err.code(), DeskErrorCode::Cancelled);
}

#[test]
fn missing_and_unreadable_paths_give_clear_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("nope.bin");
    let err = sha256_file(&missing, &CancelToken::new(), |_| {}).expect_err("missing");
    assert_eq!(err.code(), DeskErrorCode::NotFound);
    assert!(err.message().contains("nope.bin"), "{err}");

    let err = sha256_file(dir.path(), &CancelToken::new(), |_| {}).expect_err("a folder");
    assert_eq!(err.code(), DeskErrorCode::InvalidArgument);
    assert!(err.message().contains("folder"), "{err}");

    let err = sha256_file(Path::new("/dev/zero"), &CancelToken::new(), |_| {}).expect_err("device");
    assert_eq!(err.code(), DeskErrorCode::InvalidArgument);
    assert!(err.message().contains("not a regular file"), "{err}");

    // Permission bits do not stop root, which is who runs CI here; only assert when they bite.
    let locked = write_file(dir.path(), "locked.bin", b"secret");
    {
        use std::os::unix::fs::PermissionsExt as _;
        fs::set_permissions(&locked, fs::Permissions::from_mode(0o000)).expect("chmod");
    }
    if File::open(&locked).is_err() {
        let err = sha256_file(&locked, &CancelToken::new(), |_| {}).expect_err("unreadable");
        assert_eq!(err.code(), DeskErrorCode::PermissionDenied);
        assert!(err.message().contains("locked.bin"), "{err}");
    }
}

#[test]
fn part_reader_yields_numbered_parts_with_md5_and_the_whole_digest() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bytes = pseudo_random_bytes(3 * 1024 * 1024 + 7);
    let path = write_file(dir.path(), "fw.bin", &bytes);
    let part_size = 1024 * 1024;
    let mut reader = PartReader::open(&path, part_size, CancelToken::new()).expect("open");
    assert_eq!(reader.part_count(), 4);
    assert_eq!(reader.size(), bytes.len() as u64);
    let mut joined = Vec::new();
    for (i, part) in reader.by_ref().enumerate() {
        let part = part.expect("part");
        assert_eq!(part.number as usize, i + 1);
        assert_eq!(part.offset, i as u64 * part_size);
        let md5: [u8; 16] = Md5::digest(&part.bytes).into();
        assert_eq!(part.md5, md5);
        assert_eq!(part.md5_base64().len(), 24);
        joined.extend_from_slice(&part.bytes);
    }
    assert_eq!(joined, bytes);
    let digest = reader.finish().expect("digest");
    assert_eq!(digest.sha256_hex().as_str(), sha256sum_cli(&path));
}

#[test]
fn part_buffers_given_back_are_reused_and_hold_only_the_new_parts_bytes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bytes = pseudo_random_bytes(2 * 1024 * 1024 + 5);
    let path = write_file(dir.path(), "fw.bin", &bytes);
    let pool = BufferPool::default();
    let mut reader = PartReader::open(&path, 1024 * 1024, CancelToken::new())
        .expect("open")
        .with_buffers(pool.clone());
    let first = reader.next().expect("part 1").expect("read");
    let first_at = first.bytes.as_ptr();
    assert_eq!(first.bytes, bytes[..1024 * 1024]);
    pool.give(first.bytes);
    let second = reader.next().expect("part 2").expect("read");
    assert_eq!(
        second.bytes.as_ptr(),
        first_at,
        "the given-back buffer is reused"
    );
    assert_eq!(second.bytes, bytes[1024 * 1024..2 * 1024 * 1024]);
    pool.give(second.bytes);
    let last = reader.next().expect("part 3").expect("read");
    assert_eq!(
        last.bytes,
        bytes[2 * 1024 * 1024..],
        "a reused buffer holds only its part"
    );
    assert!(reader.next().is_none());
    let digest = reader.finish().expect("digest");
    assert_eq!(digest.sha256_hex().as_str(), sha256sum_cli(&path));
}

#[test]
fn a_bounded_pool_makes_a_reader_wait_for_a_buffer_and_closing_it_stops_the_reader() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bytes = pseudo_random_bytes(4 * 1024 * 1024);
    let path = write_file(dir.path(), "fw.bin", &bytes);
    let pool = BufferPool::bounded(2);
    let mut reader = PartReader::open(&path, 1024 * 1024, CancelToken::new())
        .expect("open")
        .with_buffers(pool.clone());
    let first = reader.next_raw().expect("part 1").expect("read");
    let second = reader.next_raw().expect("part 2").expect("read");
    assert_eq!(pool.most_out(), 2);

    // A third part waits until a buffer comes back.
    let (tx, rx) = std::sync::mpsc::channel();
    let waiting = std::thread::spawn(move || {
        let third = reader.next_raw().expect("part 3").map(|p| p.number);
        tx.send(third).expect("send");
        reader
    });
    assert!(
        rx.recv_timeout(std::time::Duration::from_millis(300))
            .is_err(),
        "a third buffer was lent beyond the limit of two"
    );
    pool.give(first.bytes);
    let third = rx
        .recv_timeout(std::time::Duration::from_secs(10))
        .expect("the reader goes on once a buffer is back");
    assert_eq!(third.expect("read"), 3);
    assert_eq!(pool.most_out(), 2, "never more than the limit out at once");
    let mut reader = waiting.join().expect("reader thread");

    // Closing the pool wakes a reader waiting for a buffer: it stops, cancelled.
    let (tx, rx) = std::sync::mpsc::channel();
    let waiting = std::thread::spawn(move || {
        tx.send(reader.next_raw().expect("part 4").map(|p| p.number))
            .expect("send");
    });
    assert!(rx
        .recv_timeout(std::time::Duration::from_millis(300))
        .is_err());
    pool.close();
    let stopped = rx
        .recv_timeout(std::time::Duration::from_secs(10))
        .expect("closing wakes the reader");
    assert_eq!(
        stopped.expect_err("no buffer after close").code(),
        DeskErrorCode::Cancelled
    );
    waiting.join().expect("reader thread");
    pool.give(second.bytes);
}

#[test]
fn part_reader_refuses_a_digest_before_the_end_and_bad_part_sizes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write_file(dir.path(), "fw.bin", &pseudo_random_bytes(10));
    let mut reader = PartReader::open(&path, 4, CancelToken::new()).expect("open");
    reader.next().expect("one part").expect("ok");
    assert_eq!(
        reader.finish().expect_err("early").code(),
        DeskErrorCode::Internal
    );
    let err = PartReader::open(&path, 0, CancelToken::new())
        .err()
        .expect("zero part size");
    assert_eq!(err.code(), DeskErrorCode::InvalidArgument);

    let empty = write_file(dir.path(), "empty.bin", b"");
    let mut reader = PartReader::open(&empty, 4, CancelToken::new()).expect("open");
    assert!(reader.next().is_none());
    assert_eq!(reader.finish().expect("digest").size, 0);
}

#[test]
fn part_reader_stops_on_cancel() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write_file(dir.path(), "fw.bin", &pseudo_random_bytes(100));
    let cancel = CancelToken::new();
    let mut reader = PartReader::open(&path, 10, cancel.clone()).expect("open");
    reader.next().expect("part").expect("ok");
    cancel.cancel();
    let err = reader.next().expect("an item").expect_err("cancelled");
    assert_eq!(err.code(), DeskErrorCode::Cancelled);
    assert!(reader.next().is_none(), "a failed reader stays finished");
}

#[test]
fn a_file_that_shrinks_while_hashed_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("growing.img");
    File::create(&path)
        .and_then(|f| f.set_len(64 << 20))
        .expect("sparse file");
    let mut truncated = false;
    let err = sha256_file(&path, &CancelToken::new(), |p| {
        // The reader is at most a few buffers ahead of the first chunk, so it will meet the
        // new end of file.
        if p.done > 0 && !truncated {
            File::options()
                .write(true)
                .open(&path)
                .and_then(|f| f.set_len(16 << 20))
                .expect("truncate");
            truncated = true;
        }
    })
    .expect_err("size changed");
    assert_eq!(err.code(), DeskErrorCode::FailedPrecondition);
    assert!(
        err.message().contains("changed while it was being read"),
        "{err}"
    );

    // The part reader notices too.
    let mut reader = PartReader::open(&path, 4 << 20, CancelToken::new()).expect("open");
    File::options()
        .write(true)
        .open(&path)
        .and_then(|f| f.set_len(6 << 20))
        .expect("truncate");
    let results: Vec<_> = reader.by_ref().collect();
    assert!(results[0].is_ok());
    assert_eq!(
        results[1].as_ref().expect_err("short part").code(),
        DeskErrorCode::FailedPrecondition
    );
    assert_eq!(
        reader.finish().expect_err("incomplete").code(),
        DeskErrorCode::Internal
    );
}
