//! Clouds of noise (a scan does not compress much either), shared by the
//! network tests and the network bench: `points` points, the first at
//! x = step (what a test reads back), the rest from a fixed xorshift seed
//! per step.

pub fn noisy_cloud(t: u32, points: usize) -> Vec<[f32; 3]> {
    let mut seed = u64::from(t).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut noise = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed >> 40) as f32 / (1u64 << 24) as f32
    };
    (0..points)
        .map(|i| match i {
            0 => [t as f32, 0.0, 0.0],
            _ => [noise(), noise(), noise()],
        })
        .collect()
}
