//! Export benchmarks, against upstream viser4d 0.20.0's figures:
//! - `export/serialize_heavy`: the timeline benchmark's heavy scene (300
//!   frames x 180 steps) recorded through the server API, serialized whole
//!   (upstream: 3.4 s). Blocks are encoded by the first iteration and then
//!   shared; the cold first export is printed too.
//! - `export/serialize_points_300x200k`: 300 steps of a 200,000-point cloud
//!   (upstream: 25.4 s and 2.2 GB peak RSS). The process's peak RSS during
//!   a cold export is printed next to the output size.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use viser4d_server::Server;

// Each bench uses part of the shared workloads.
#[allow(dead_code)]
#[path = "shared/workloads.rs"]
mod workloads;
use workloads::{heavy, points};

/// The process's peak resident set (VmHWM), after resetting it to now.
fn reset_peak_rss() {
    std::fs::write("/proc/self/clear_refs", "5").ok();
}

fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

fn rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// A cold export into memory and one to a file, each with the process's
/// peak RSS and how far it rose above the RSS before the export (the
/// recording itself, in the store, is the rest).
fn cold(name: &str, server: &Server) {
    let mb = |b: u64| b as f64 / 1e6;
    reset_peak_rss();
    let before = rss_bytes().unwrap_or(0);
    let started = Instant::now();
    let bytes = server.serialize(0, None).unwrap_or_else(|e| panic!("{e}"));
    let took = started.elapsed();
    let peak = peak_rss_bytes().unwrap_or(0);
    let out = bytes.len().max(1) as f64;
    println!(
        "MEASURED export/{name}: cold serialize {:.0} ms, {} bytes out, process peak RSS {:.0} MB ({:.2}x the output), {:.0} MB above the {:.0} MB before ({:.2}x)",
        took.as_secs_f64() * 1000.0,
        bytes.len(),
        mb(peak),
        peak as f64 / out,
        mb(peak.saturating_sub(before)),
        mb(before),
        peak.saturating_sub(before) as f64 / out,
    );
    drop(bytes);
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("export.viser");
    reset_peak_rss();
    let before = rss_bytes().unwrap_or(0);
    let started = Instant::now();
    let written = server
        .write_recording(&path, 0, None)
        .unwrap_or_else(|e| panic!("{e}"));
    let took = started.elapsed();
    let peak = peak_rss_bytes().unwrap_or(0);
    println!(
        "MEASURED export/{name}: cold write_recording {:.0} ms, {written} bytes, process peak RSS {:.0} MB ({:.2}x the output), {:.0} MB above the {:.0} MB before ({:.2}x)",
        took.as_secs_f64() * 1000.0,
        mb(peak),
        peak as f64 / written.max(1) as f64,
        mb(peak.saturating_sub(before)),
        mb(before),
        peak.saturating_sub(before) as f64 / written.max(1) as f64,
    );
}

fn export(c: &mut Criterion) {
    let heavy = heavy();
    cold("serialize_heavy", &heavy);
    let mut group = c.benchmark_group("export");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    group.bench_function("serialize_heavy", |b| {
        b.iter(|| black_box(heavy.serialize(0, None).unwrap_or_else(|e| panic!("{e}"))))
    });
    drop(heavy);
    let points = points();
    cold("serialize_points_300x200k", &points);
    group.measurement_time(Duration::from_secs(20));
    group.bench_function("serialize_points_300x200k", |b| {
        b.iter(|| black_box(points.serialize(0, None).unwrap_or_else(|e| panic!("{e}"))))
    });
    group.finish();
}

criterion_group!(benches, export);
criterion_main!(benches);
