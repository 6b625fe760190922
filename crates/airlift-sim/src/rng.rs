//! Deterministic randomness: every device gets its own ChaCha streams, seeded from the global
//! seed, the device's index and a stream name, so what a device does never depends on how the
//! scheduler interleaved the other devices.

use rand::SeedableRng as _;
use rand_chacha::ChaCha8Rng;

/// Independent random streams of one device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// Which fault (if any) the device has: one uniform draw.
    Fault = 1,
    /// Whether the device goes offline for a while (independent of the fault).
    Offline = 2,
    /// Poll jitter, chunk order, where a link drop happens, which byte is corrupted.
    Behaviour = 3,
}

/// SplitMix64's finaliser: a bijective mixer, enough to decorrelate neighbouring seeds.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The 64-bit seed of `stream` for device `index` under the global `seed`.
pub fn device_seed(seed: u64, index: u64, stream: Stream) -> u64 {
    mix(mix(mix(seed) ^ index) ^ stream as u64)
}

/// A ChaCha8 generator for `stream` of device `index`.
pub fn device_rng(seed: u64, index: u64, stream: Stream) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(device_seed(seed, index, stream))
}

/// One uniform draw in [0, 1) from `stream` of device `index`.
pub fn unit_draw(seed: u64, index: u64, stream: Stream) -> f64 {
    use rand::Rng as _;
    device_rng(seed, index, stream).random::<f64>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_stable_and_distinct() {
        assert_eq!(
            device_seed(7, 3, Stream::Fault),
            device_seed(7, 3, Stream::Fault)
        );
        assert_ne!(
            device_seed(7, 3, Stream::Fault),
            device_seed(7, 3, Stream::Offline)
        );
        assert_ne!(
            device_seed(7, 3, Stream::Fault),
            device_seed(7, 4, Stream::Fault)
        );
        assert_ne!(
            device_seed(7, 3, Stream::Fault),
            device_seed(8, 3, Stream::Fault)
        );
        let d = unit_draw(1, 2, Stream::Behaviour);
        assert!((0.0..1.0).contains(&d));
    }
}
