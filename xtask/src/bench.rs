//! `cargo xtask bench`: run the criterion benchmarks of the proto, timeline
//! and server crates, then print our times beside upstream viser4d's and the
//! ratios the project's goals are stated in.
//!
//! The network bench's figures (a tab through a throttled link, ours
//! against the design before) follow in a table of their own.
//!
//! Upstream's figures are measured, never typed in: `--upstream` installs
//! viser4d 0.20.0 from PyPI into a venv under `target/`, runs the same
//! workloads through its Python API (`xtask/upstream/bench.py`) in the same
//! run, and keeps the figures in `target/criterion/upstream.json` for
//! `--report-only`.

use std::{fs, path::Path, time::SystemTime};

use anyhow::{Context as _, Result};

use crate::{dist, process, progress, s3, workspace::Workspace};

const BENCH_PACKAGES: [&str; 3] = ["viser4d-proto", "viser4d-timeline", "viser4d-server"];

/// The upstream release measured by `--upstream`.
const UPSTREAM: &str = "viser4d==0.20.0";

/// Rows `xtask/upstream/bench.py` measures (the same workloads as ours).
const UPSTREAM_ROWS: [&str; 4] = [
    "record/heavy",
    "record/points_300x200k",
    "export/serialize_heavy",
    "export/serialize_points_300x200k",
];

/// Rows of the table, in order: `group/function` as criterion names them.
const ROWS: [&str; 25] = [
    "frame_encode/pointcloud_1m",
    "frame_encode/memcpy_1m",
    "timeline_heavy/build",
    "timeline_heavy/seek_forward",
    "timeline_heavy/random_seeks_200",
    "timeline_heavy/encode_range",
    "timeline_very_heavy/build",
    "timeline_very_heavy/seek_forward",
    "timeline_very_heavy/random_seeks_200",
    "timeline_very_heavy/encode_range",
    "timeline_cold_seek/first_block",
    "timeline_cold_seek/last_block",
    "server_throughput/viser4d_1m_points",
    "server_throughput/raw_tungstenite_same_bytes",
    "record/heavy",
    "record/points_300x200k",
    "record/memcpy_points_300x200k",
    "export/serialize_heavy",
    "export/serialize_points_300x200k",
    "live/latency_p50",
    "live/latency_p95",
    "archive/write_folder_1gb",
    "archive/write_s3_1gb",
    "archive/first_step_archive",
    "archive/first_step_viser",
];

/// Rows measured in bytes (`target/criterion/<row>/new/size.json`).
const SIZE_ROWS: [(&str, &str); 6] = [
    ("archive/bytes", "the 1 GB recording as an archive"),
    ("archive/step_bytes", "one step's points and colours, raw"),
    ("archive/state_bytes", "the seek target's state file"),
    (
        "archive/cold_seek_bytes",
        "a cold seek into the archive, through the link",
    ),
    (
        "archive/tab_rss_archive",
        "the archive's tab (renderer RSS), first step",
    ),
    (
        "archive/tab_rss_viser",
        "the .viser's tab (renderer RSS), first step",
    ),
];

/// Size ratios with a goal: (label, numerator row, denominator row, goal).
const SIZE_GOALS: [(&str, &str, &str, f64); 2] = [
    // A cold seek moves about one step's state, not its block.
    (
        "archive cold seek / the step's state",
        "archive/cold_seek_bytes",
        "archive/state_bytes",
        1.5,
    ),
    (
        "archive tab / .viser tab",
        "archive/tab_rss_archive",
        "archive/tab_rss_viser",
        1.0,
    ),
];

/// Rows with a goal in time, not as a ratio: (label, row, most ns).
const TIME_GOALS: [(&str, &str, f64); 2] = [
    (
        // A tab following a live 100k-point cloud at 30 Hz shows each step
        // within this of the end of its `append_step()` guard (loopback).
        "live edge p95, 100k points at 30 Hz",
        "live/latency_p95",
        50e6,
    ),
    (
        // An archive of any size shows its first step this fast from a
        // static host through a 100 Mbit/s, 20 ms link (by the page's
        // clock, from navigation: viser's own start included).
        "archive first step, 1 GB, 100 Mbit/s",
        "archive/first_step_archive",
        1e9,
    ),
];

/// The baseline the proto rows are compared with: copying the same bytes.
const MEMCPY_ROW: &str = "frame_encode/memcpy_1m";

/// Ratios with a goal: (label, numerator row, denominator row, goal).
const GOALS: [(&str, &str, &str, f64); 5] = [
    (
        "encode / memcpy",
        "frame_encode/pointcloud_1m",
        MEMCPY_ROW,
        3.0,
    ),
    (
        "cold seek last / first block",
        "timeline_cold_seek/last_block",
        "timeline_cold_seek/first_block",
        2.0,
    ),
    // Our server delivers a 1M-point cloud at >= 50% of the throughput of
    // raw tokio-tungstenite sending the same bytes: at most twice the time.
    (
        "server 1M points / raw tungstenite",
        "server_throughput/viser4d_1m_points",
        "server_throughput/raw_tungstenite_same_bytes",
        2.0,
    ),
    // Recording a heavy cloud costs about what converting and copying its
    // bytes once does.
    (
        "record 300 x 200k / its f16 convert + copy",
        "record/points_300x200k",
        "record/memcpy_points_300x200k",
        2.0,
    ),
    // The archive shows its first step sooner than the same recording as
    // one .viser file, which downloads whole first.
    (
        "archive first step / .viser first step",
        "archive/first_step_archive",
        "archive/first_step_viser",
        1.0,
    ),
];

pub fn run(
    workspace: &Workspace,
    report_only: bool,
    upstream: bool,
    extra_args: &[String],
) -> Result<()> {
    let started = SystemTime::now();
    if upstream && !report_only {
        measure_upstream(workspace)?;
    }
    if !report_only {
        // The server benchmark serves the client bundle the assets crate embeds.
        dist::run(workspace)?;
        let mut cargo = workspace.cargo();
        cargo.arg("bench");
        for package in BENCH_PACKAGES {
            cargo.args(["--package", package]);
        }
        // The archive bench writes to an S3-compatible server too, when
        // one can be installed (its row is left out otherwise).
        cargo.args(["--features", "viser4d-server/object-store"]);
        match s3::ensure(workspace) {
            Ok(moto) => {
                cargo.env(s3::MOTO_ENV, moto);
            }
            Err(error) => println!("no S3 row: {error:#}"),
        }
        cargo.args(extra_args);
        process::run(&mut cargo)?;
    }
    let fresh_since = (!report_only).then_some(started);
    print_table(&workspace.criterion_dir(), fresh_since);
    print_network(&workspace.criterion_dir(), fresh_since);
    Ok(())
}

/// The workloads the network bench measures, as it names them.
const NETWORK_SEEKS: [(&str, &str); 2] = [
    ("cloud_200k", "200k-point cloud"),
    ("heavy", "heavy scene (300 frames)"),
];
const NETWORK_PLAYBACKS: [(&str, &str); 2] = [
    ("light_600_at_10fps", "light, 600 steps at 10 fps"),
    ("cloud_200k_at_5fps", "200k-point cloud at 5 fps"),
];

/// Most bytes a cold seek may move, in states of the target step.
const COLD_SEEK_GOAL: f64 = 1.5;

/// The network bench's figures (`target/criterion/network.json`): ours
/// against the design before byte-bounded reads, on the same recordings,
/// through the same throttled link.
fn print_network(criterion_dir: &Path, fresh_since: Option<SystemTime>) {
    let path = criterion_dir.join("network.json");
    let Some(figures) = fs::read_to_string(&path)
        .ok()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
    else {
        println!("\n(no network figures: run `cargo bench -p viser4d-server --bench network`)");
        return;
    };
    let stale = fresh_since.is_some_and(|since| {
        fs::metadata(&path)
            .and_then(|meta| meta.modified())
            .is_ok_and(|modified| modified < since)
    });
    let get = |key: &str| figures.get(key).and_then(serde_json::Value::as_f64);
    println!();
    println!(
        "{:<46} {:>26} {:>26}",
        if stale {
            "through a 100 Mbit/s, 20 ms link (earlier run)"
        } else {
            "through a 100 Mbit/s, 20 ms link"
        },
        "ours",
        "before (blocks only)"
    );
    for (workload, label) in NETWORK_SEEKS {
        // 0: the state was not measured (its tab fetched a block).
        let state = get(&format!("seek/{workload}/state_bytes")).filter(|s| *s > 0.0);
        let cell = |design: &str| {
            let bytes = get(&format!("seek/{workload}/{design}/bytes"));
            let ms = get(&format!("seek/{workload}/{design}/ms"));
            match (bytes, ms) {
                (Some(bytes), Some(ms)) => {
                    let ratio = state.map_or_else(String::new, |s| format!(" {:.2}x", bytes / s));
                    format!("{}{ratio}, {ms:.0} ms", progress::bytes(bytes as u64))
                }
                _ => "not run".to_owned(),
            }
        };
        println!(
            "{:<46} {:>26} {:>26}",
            format!("cold seek, {label}"),
            cell("ours"),
            cell("before")
        );
        if let Some(state) = state {
            let verdict = get(&format!("seek/{workload}/ours/bytes")).map_or_else(
                || "not run".to_owned(),
                |bytes| {
                    let ratio = bytes / state;
                    let status = if ratio <= COLD_SEEK_GOAL {
                        "meets"
                    } else {
                        "MISSES"
                    };
                    format!("{ratio:.2}x ({status} goal <= {COLD_SEEK_GOAL}x)")
                },
            );
            println!(
                "{:<46} {verdict}",
                format!(
                    "  bytes / the step's state ({})",
                    progress::bytes(state as u64)
                )
            );
        }
    }
    for (workload, label) in NETWORK_PLAYBACKS {
        let cell = |design: &str| {
            let key = |what: &str| get(&format!("playback/{workload}/{design}/{what}"));
            match (key("shown"), key("due"), key("stalls")) {
                (Some(shown), Some(due), Some(stalls)) => {
                    format!("{shown:.0}/{due:.0} shown, {stalls:.0} stalls")
                }
                _ => "not run".to_owned(),
            }
        };
        println!(
            "{:<46} {:>26} {:>26}",
            format!("10 s at 1x, {label}"),
            cell("ours"),
            cell("before")
        );
    }
}

/// One benchmark's mean from its latest criterion run.
#[derive(Debug, Clone, Copy)]
struct Estimate {
    mean_ns: f64,
    /// False when the estimate predates this invocation (e.g. a filtered run).
    fresh: bool,
}

/// Installs upstream in a venv under `target/` (once) and runs its side of
/// the workloads, saving the figures beside criterion's.
fn measure_upstream(workspace: &Workspace) -> Result<()> {
    let venv = workspace.target_dir.join("upstream-venv");
    let python = venv.join("bin").join("python");
    if !python.is_file() {
        process::run(
            std::process::Command::new("python3")
                .args(["-m", "venv"])
                .arg(&venv),
        )?;
    }
    process::run(
        std::process::Command::new(&python)
            .args(["-m", "pip", "install", "--quiet", UPSTREAM, "numpy"]),
    )?;
    let script = workspace
        .root
        .join("xtask")
        .join("upstream")
        .join("bench.py");
    println!(
        "measuring upstream {UPSTREAM}: {}",
        UPSTREAM_ROWS.join(", ")
    );
    let output = process::capture(std::process::Command::new(&python).arg(&script))?;
    if !output.status.success() {
        anyhow::bail!(
            "upstream's benchmark failed ({}): {}",
            output.status,
            process::last_line(&output.stderr)
        );
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .rev()
        .find(|l| l.trim_start().starts_with('{'))
        .context("upstream's benchmark printed no figures")?;
    let figures = parse_upstream(line)?;
    for (row, secs) in &figures {
        println!("  upstream {row}: {}", duration(secs * 1e9));
    }
    let dir = workspace.criterion_dir();
    fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    fs::write(dir.join("upstream.json"), line).context("saving upstream's figures")?;
    Ok(())
}

/// `{row: seconds}` as the upstream script prints it; only known rows.
fn parse_upstream(text: &str) -> Result<Vec<(String, f64)>> {
    let value: serde_json::Value =
        serde_json::from_str(text).context("upstream figures: not JSON")?;
    let map = value
        .as_object()
        .context("upstream figures: not an object")?;
    Ok(map
        .iter()
        .filter(|(row, _)| UPSTREAM_ROWS.contains(&row.as_str()))
        .filter_map(|(row, secs)| Some((row.clone(), secs.as_f64().filter(|s| *s > 0.0)?)))
        .collect())
}

fn print_table(criterion_dir: &Path, fresh_since: Option<SystemTime>) {
    let estimate = |row: &str| read_estimate(criterion_dir, row, fresh_since);
    let memcpy = estimate(MEMCPY_ROW);
    let upstream_figures = fs::read_to_string(criterion_dir.join("upstream.json"))
        .ok()
        .and_then(|text| parse_upstream(&text).ok())
        .unwrap_or_default();
    if upstream_figures.is_empty() {
        println!("(no upstream figures: run `cargo xtask bench --upstream`)");
    }

    println!();
    println!(
        "{:<46} {:>12} {:>10} {:>22} {:>10}",
        "benchmark", "ours", "upstream", "upstream / ours", "vs memcpy"
    );
    for row in ROWS {
        let ours = estimate(row);
        let upstream = upstream_figures
            .iter()
            .find(|(name, _)| name == row)
            .map(|(_, secs)| secs * 1e9);
        let ours_text = match ours {
            Some(Estimate { mean_ns, fresh }) => {
                format!("{}{}", duration(mean_ns), if fresh { "" } else { "*" })
            }
            None => "not run".to_owned(),
        };
        let upstream_text = upstream.map_or_else(|| "-".to_owned(), duration);
        let speedup = match (ours, upstream) {
            (Some(ours), Some(upstream)) => speedup(upstream / ours.mean_ns),
            _ => "-".to_owned(),
        };
        let vs_memcpy = match (row.starts_with("frame_encode/"), ours, memcpy) {
            (true, Some(ours), Some(memcpy)) => format!("{:.2}x", ours.mean_ns / memcpy.mean_ns),
            _ => "-".to_owned(),
        };
        println!("{row:<46} {ours_text:>12} {upstream_text:>10} {speedup:>22} {vs_memcpy:>10}");
    }
    println!();
    for (label, numerator, denominator, goal) in GOALS {
        let verdict = match (estimate(numerator), estimate(denominator)) {
            (Some(num), Some(den)) => {
                let ratio = num.mean_ns / den.mean_ns;
                let status = if ratio <= goal { "meets" } else { "MISSES" };
                format!("{ratio:.2}x ({status} goal <= {goal}x)")
            }
            _ => "not run".to_owned(),
        };
        println!("{label:<46} {verdict}");
    }
    for (label, row, most_ns) in TIME_GOALS {
        let verdict = match estimate(row) {
            Some(e) => {
                let status = if e.mean_ns <= most_ns {
                    "meets"
                } else {
                    "MISSES"
                };
                format!(
                    "{} ({status} goal <= {})",
                    duration(e.mean_ns),
                    duration(most_ns)
                )
            }
            None => "not run".to_owned(),
        };
        println!("{label:<46} {verdict}");
    }
    let size = |row: &str| read_size(criterion_dir, row);
    println!();
    for (row, label) in SIZE_ROWS {
        let text = size(row).map_or_else(|| "not run".to_owned(), progress::bytes);
        println!("{row:<46} {text:>12}  {label}");
    }
    for (label, numerator, denominator, goal) in SIZE_GOALS {
        let verdict = match (size(numerator), size(denominator)) {
            (Some(num), Some(den)) if den > 0 => {
                let ratio = num as f64 / den as f64;
                let status = if ratio <= goal { "meets" } else { "MISSES" };
                format!("{ratio:.2}x ({status} goal <= {goal}x)")
            }
            _ => "not run".to_owned(),
        };
        println!("{label:<46} {verdict}");
    }
    if fresh_since.is_some()
        && ROWS
            .iter()
            .any(|row| estimate(row).is_some_and(|e| !e.fresh))
    {
        println!("* from an earlier run");
    }
}

fn read_estimate(
    criterion_dir: &Path,
    row: &str,
    fresh_since: Option<SystemTime>,
) -> Option<Estimate> {
    let path = criterion_dir.join(row).join("new").join("estimates.json");
    let text = fs::read_to_string(&path).ok()?;
    let mean_ns = parse_mean_ns(&text)
        .with_context(|| format!("reading {}", path.display()))
        .inspect_err(|err| eprintln!("warning: {err:#}"))
        .ok()?;
    let modified = fs::metadata(&path).and_then(|meta| meta.modified()).ok();
    let fresh = match (fresh_since, modified) {
        (Some(since), Some(modified)) => modified >= since,
        _ => true,
    };
    Some(Estimate { mean_ns, fresh })
}

/// A size a benchmark saved (`size.json`, `{"bytes": N}`).
fn read_size(criterion_dir: &Path, row: &str) -> Option<u64> {
    let text = fs::read_to_string(criterion_dir.join(row).join("new").join("size.json")).ok()?;
    let value: serde_json::Value = serde_json::from_str(&text).ok()?;
    value.get("bytes")?.as_u64()
}

fn parse_mean_ns(text: &str) -> Result<f64> {
    let value: serde_json::Value = serde_json::from_str(text).context("not JSON")?;
    value
        .pointer("/mean/point_estimate")
        .and_then(serde_json::Value::as_f64)
        .filter(|mean| *mean > 0.0)
        .context("no positive mean.point_estimate")
}

fn duration(ns: f64) -> String {
    match ns {
        ns if ns >= 1e9 => format!("{:.2} s", ns / 1e9),
        ns if ns >= 1e6 => format!("{:.2} ms", ns / 1e6),
        ns if ns >= 1e3 => format!("{:.2} µs", ns / 1e3),
        ns => format!("{ns:.0} ns"),
    }
}

fn speedup(ratio: f64) -> String {
    if ratio >= 1.0 {
        format!("{} faster", times(ratio))
    } else {
        format!("{} slower", times(1.0 / ratio))
    }
}

fn times(ratio: f64) -> String {
    if ratio >= 100.0 {
        format!("{ratio:.0}x")
    } else {
        format!("{ratio:.1}x")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_criterion_mean() {
        let text = r#"{"mean":{"confidence_interval":{"confidence_level":0.95,"lower_bound":1.0,"upper_bound":3.0},"point_estimate":2.5,"standard_error":0.1}}"#;
        assert_eq!(parse_mean_ns(text).ok(), Some(2.5));
        assert!(parse_mean_ns("{}").is_err());
    }

    #[test]
    fn formats_ratios_and_durations() {
        assert_eq!(speedup(1234.4), "1234x faster");
        assert_eq!(speedup(0.5), "2.0x slower");
        assert_eq!(duration(3.4e9), "3.40 s");
        assert_eq!(duration(1500.0), "1.50 µs");
    }

    #[test]
    fn every_upstream_figure_has_a_row() {
        for name in UPSTREAM_ROWS {
            assert!(ROWS.contains(&name), "{name} is not a table row");
        }
    }

    #[test]
    fn reads_upstream_figures_and_ignores_unknown_rows() {
        let figures = parse_upstream(
            r#"{"record/heavy": 7.5, "nonsense": 1.0, "record/points_300x200k": -1}"#,
        )
        .expect("parses");
        assert_eq!(figures, [("record/heavy".to_owned(), 7.5)]);
        assert!(parse_upstream("[1]").is_err());
    }
}
