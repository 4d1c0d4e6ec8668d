//! Recording benchmarks, through the server API as a user's program records:
//! - `record/heavy`: the heavy scene (300 frames x 180 steps, 162k setter
//!   calls).
//! - `record/points_300x200k`: 300 steps of a 200,000-point cloud (f16
//!   positions, as the API stores them by default), the clouds made before
//!   the clock starts.
//! - `record/memcpy_points_300x200k`: the physical reference, converting
//!   the same clouds to f16 and copying them once.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};

// Each bench uses part of the shared workloads.
#[allow(dead_code)]
#[path = "shared/workloads.rs"]
mod workloads;

fn record(c: &mut Criterion) {
    let mut group = c.benchmark_group("record");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(5));
    // The server's shutdown is not recording: dropped outside the clock.
    group.bench_function("heavy", |b| b.iter_with_large_drop(workloads::heavy));
    let clouds = workloads::clouds();
    group.measurement_time(Duration::from_secs(15));
    group.bench_function("points_300x200k", |b| {
        b.iter_with_large_drop(|| workloads::points_from(&clouds))
    });
    group.bench_function("memcpy_points_300x200k", |b| {
        b.iter(|| {
            use half::slice::HalfFloatSliceExt as _;
            let copies: Vec<Vec<half::f16>> = clouds
                .iter()
                .map(|cloud| {
                    let from = cloud.as_flattened();
                    let mut to = vec![half::f16::ZERO; from.len()];
                    to.convert_from_f32_slice(from);
                    to
                })
                .collect();
            black_box(copies)
        })
    });
    group.finish();
}

criterion_group!(benches, record);
criterion_main!(benches);
