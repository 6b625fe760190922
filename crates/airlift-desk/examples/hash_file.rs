//! Hashes a file with the desk's two-thread pipeline and prints the digest and throughput.
//!
//! `cargo run --release -p airlift-desk --example hash_file -- <path>`; compare with
//! `time openssl dgst -sha256 <path>` on the same (warm) file.

use std::path::PathBuf;
use std::time::Instant;

use airlift_desk::hashing::sha256_file;
use airlift_desk::CancelToken;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path: PathBuf = std::env::args_os()
        .nth(1)
        .ok_or("usage: hash_file <path>")?
        .into();
    let started = Instant::now();
    let digest = sha256_file(&path, &CancelToken::new(), |_| {})?;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{}  {}\n{} bytes in {secs:.3} s = {:.0} MB/s",
        digest.sha256_hex().as_str(),
        path.display(),
        digest.size,
        digest.size as f64 / secs / 1e6
    );
    Ok(())
}
