//! Deterministic pseudo-random firmware artifacts for the demo and the tests: the same name
//! and size always give the same bytes (so a restarted demo recognises its packages).

use rand::RngCore as _;
use rand::SeedableRng as _;
use rand_chacha::ChaCha8Rng;

/// `size` bytes derived from `name` alone.
pub fn artifact(name: &str, size: usize) -> Vec<u8> {
    let mut seed = [0u8; 32];
    let digest = <sha2::Sha256 as sha2::Digest>::digest(name.as_bytes());
    seed.copy_from_slice(&digest);
    let mut rng = ChaCha8Rng::from_seed(seed);
    let mut out = vec![0u8; size];
    rng.fill_bytes(&mut out);
    // A readable header, like a real image's.
    let header = format!("AIRLIFT-SIM {name}\n");
    let n = header.len().min(size);
    out[..n].copy_from_slice(&header.as_bytes()[..n]);
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn deterministic_and_distinct() {
        let a = super::artifact("temp-sensor-fw-2.0.0", 300_000);
        assert_eq!(a, super::artifact("temp-sensor-fw-2.0.0", 300_000));
        assert_ne!(a, super::artifact("temp-sensor-fw-1.4.2", 300_000));
        assert_eq!(a.len(), 300_000);
        assert!(a.starts_with(b"AIRLIFT-SIM temp-sensor-fw-2.0.0\n"));
    }
}
