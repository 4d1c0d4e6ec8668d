//! `cargo xtask fuzz [--seconds N] [--runs N] [TARGET...]`: builds the
//! libFuzzer targets in `fuzz/` with coverage instrumentation on the stable
//! toolchain (the same `-C` flags cargo-fuzz passes, without its nightly-only
//! sanitizer), seeds each from the fixtures and from timelines built here,
//! and runs each for a bounded time. `cargo xtask test` runs every target
//! for [`TEST_SECONDS`]; a long run is `cargo xtask fuzz --seconds 3600`.
//!
//! A crash leaves its input under `target/fuzz/artifacts/TARGET/` and fails
//! the run; the fix keeps that input as a regression test in the crate it
//! broke.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context as _, Result, bail};
use bytes::Bytes;
use viser4d_proto::timeline::{
    ServerMessage, TimelineBlock, TimelineConfigure, TimelineFollow, TimelineManifest,
    TimelineOverrides, TimelinePlay, TimelineSeek,
};
use viser4d_proto::{AnyMessage, TypedArray};
use viser4d_timeline::{Compression, Key, NodeName, Store, StoreConfig};

use crate::{process, progress, workspace::Workspace};

/// Every target in `fuzz/Cargo.toml`.
pub const TARGETS: [&str; 6] = [
    "decode_frame",
    "decode_client_message",
    "decode_recording",
    "runtime_messages",
    "runtime_block",
    "cli_info",
];

/// Seconds per target inside `cargo xtask test`.
pub const TEST_SECONDS: u64 = 15;

/// The flags cargo-fuzz gives rustc for libFuzzer's coverage feedback; all
/// are stable codegen options.
const COVERAGE_FLAGS: &str = "-Cpasses=sancov-module \
    -Cllvm-args=-sanitizer-coverage-level=4 \
    -Cllvm-args=-sanitizer-coverage-inline-8bit-counters \
    -Cllvm-args=-sanitizer-coverage-pc-table \
    -Cllvm-args=-sanitizer-coverage-trace-compares \
    --cfg fuzzing -Cdebug-assertions -Coverflow-checks";

#[derive(Debug, Clone)]
pub struct Options {
    pub seconds: u64,
    /// Stop each target after this many executions instead (0: no limit).
    pub runs: u64,
    pub targets: Vec<String>,
}

/// One target's run.
#[derive(Debug)]
pub struct Outcome {
    pub target: String,
    pub executions: u64,
    pub seconds: f64,
    pub corpus: usize,
}

pub fn run(workspace: &Workspace, options: &Options) -> Result<Vec<Outcome>> {
    let targets: Vec<&str> = if options.targets.is_empty() {
        TARGETS.to_vec()
    } else {
        for target in &options.targets {
            if !TARGETS.contains(&target.as_str()) {
                bail!(
                    "unknown fuzz target {target:?} (known: {})",
                    TARGETS.join(", ")
                );
            }
        }
        options.targets.iter().map(String::as_str).collect()
    };
    let fuzz_dir = workspace.root.join("fuzz");
    let target_dir = workspace.root.join("target").join("fuzz");
    let triple = host_triple()?;
    let mut build = workspace.cargo();
    build
        .current_dir(&fuzz_dir)
        .env("RUSTFLAGS", COVERAGE_FLAGS)
        .env("CARGO_TARGET_DIR", &target_dir)
        .args(["build", "--release", "--locked", "--target", &triple]);
    for target in &targets {
        build.args(["--bin", target]);
    }
    process::run(&mut build)?;

    let seeds = target_dir.join("seeds");
    write_seeds(workspace, &seeds)?;
    let mut outcomes = Vec::new();
    for target in targets {
        outcomes.push(run_target(
            &target_dir.join(&triple).join("release").join(target),
            &target_dir,
            &seeds,
            target,
            options,
        )?);
    }
    println!(
        "\n{:<24} {:>12} {:>8} {:>10}",
        "target", "executions", "seconds", "corpus"
    );
    for o in &outcomes {
        println!(
            "{:<24} {:>12} {:>8.0} {:>10}",
            o.target, o.executions, o.seconds, o.corpus
        );
    }
    Ok(outcomes)
}

fn host_triple() -> Result<String> {
    let output = process::capture(Command::new("rustc").arg("-vV"))?;
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .find_map(|line| line.strip_prefix("host: "))
        .map(str::to_owned)
        .context("`rustc -vV` named no host triple")
}

fn run_target(
    binary: &Path,
    target_dir: &Path,
    seeds: &Path,
    target: &str,
    options: &Options,
) -> Result<Outcome> {
    // The corpus grows across runs on one machine; a fresh clone starts from
    // the seeds alone.
    let corpus = target_dir.join("corpus").join(target);
    let artifacts = target_dir.join("artifacts").join(target);
    std::fs::create_dir_all(&corpus)?;
    std::fs::create_dir_all(&artifacts)?;
    let mut command = Command::new(binary);
    command
        .arg(&corpus)
        .arg(seeds.join(target))
        .arg(format!("-max_total_time={}", options.seconds))
        .arg(format!("-artifact_prefix={}/", artifacts.display()))
        .args([
            "-rss_limit_mb=2048",
            "-malloc_limit_mb=1024",
            "-max_len=1048576",
            "-print_final_stats=1",
            "-close_fd_mask=1",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if options.runs > 0 {
        command.arg(format!("-runs={}", options.runs));
    }
    let spinner = progress::spinner(format!("fuzzing {target} for up to {} s", options.seconds));
    let started = Instant::now();
    let output = command
        .output()
        .with_context(|| format!("cannot run {}", binary.display()))?;
    spinner.finish_and_clear();
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        let tail: Vec<&str> = stderr.lines().rev().take(40).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        bail!(
            "fuzz target {target} failed ({}); the input is under {}:\n{}",
            output.status,
            artifacts.display(),
            tail.join("\n")
        );
    }
    let stat = |name: &str| -> u64 {
        stderr
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.trim_start_matches(':').trim().parse().ok())
            .unwrap_or(0)
    };
    let outcome = Outcome {
        target: target.to_owned(),
        executions: stat("stat::number_of_executed_units"),
        seconds: started.elapsed().as_secs_f64(),
        corpus: std::fs::read_dir(&corpus).map_or(0, Iterator::count),
    };
    println!(
        "fuzz: {target}: {} executions in {:.0} s, corpus {}",
        outcome.executions, outcome.seconds, outcome.corpus
    );
    Ok(outcome)
}

/// Writes the seed inputs of every target under `dir/TARGET/`, afresh.
fn write_seeds(workspace: &Workspace, dir: &Path) -> Result<()> {
    if dir.exists() {
        std::fs::remove_dir_all(dir)?;
    }
    let fixtures = workspace.root.join("crates/viser4d-proto/tests/fixtures");
    let fixture = |ext: &str| -> Result<Vec<PathBuf>> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&fixtures)
            .with_context(|| format!("cannot list {}", fixtures.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == ext))
            .collect();
        files.sort();
        Ok(files)
    };
    let timeline = timeline_messages()?;
    let timeline_any: Vec<AnyMessage> = timeline
        .iter()
        .map(ServerMessage::to_value)
        .map(|v| v.map(AnyMessage::Custom))
        .collect::<Result<_, _>>()?;
    let timeline_frame = viser4d_proto::encode_frame(&timeline_any, 1.0)?;
    let timed: Vec<(f64, AnyMessage)> = timeline_any.iter().cloned().map(|m| (0.0, m)).collect();
    let timeline_file = viser4d_proto::encode_recording(2.0, &timed)?;

    let write = |target: &str, name: &str, bytes: &[u8]| -> Result<()> {
        let dir = dir.join(target);
        std::fs::create_dir_all(&dir)?;
        std::fs::write(dir.join(name), bytes)?;
        Ok(())
    };
    for path in fixture("bin")? {
        let bytes = std::fs::read(&path)?;
        let name = file_name(&path);
        write("decode_frame", &name, &bytes)?;
        write("runtime_messages", &name, &bytes)?;
    }
    write("decode_frame", "timeline.bin", &timeline_frame)?;
    write("runtime_messages", "timeline.bin", &timeline_frame)?;
    for path in fixture("msgpack")? {
        write(
            "decode_client_message",
            &file_name(&path),
            &std::fs::read(&path)?,
        )?;
    }
    for target in ["decode_recording", "cli_info"] {
        for path in fixture("viser")? {
            write(target, &file_name(&path), &std::fs::read(&path)?)?;
        }
        write(target, "timeline.viser", &timeline_file)?;
    }
    for (i, message) in timeline.iter().enumerate() {
        let data = match message {
            ServerMessage::TimelineBlock(b) => b.data.bytes(),
            ServerMessage::TimelineOverrides(o) => o.data.bytes(),
            _ => continue,
        };
        write("runtime_block", &format!("{i}.bin"), data)?;
    }
    Ok(())
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// A small timeline as a server sends it: configure, overrides, two blocks
/// (one plain, one zstd), a seek and a play.
fn timeline_messages() -> Result<Vec<ServerMessage>> {
    const STEPS: u32 = 40;
    const BLOCK: u32 = 16;
    let mut store: Store<Bytes> =
        Store::with_config(STEPS, StoreConfig::default().block_size(BLOCK))?;
    let a = Key::create("/a")?;
    let b = Key::prop("/a/b", "position")?;
    let g = Key::global("SetUpDirectionMessage")?;
    for t in 0..STEPS {
        store.put(t, a.clone(), Bytes::from(format!("a{t}")))?;
        if t % 3 == 0 {
            store.put(t, b.clone(), Bytes::from(vec![t as u8; 64]))?;
        }
        if t % 7 == 0 {
            store.remove_node(t, NodeName::new("/a/b")?)?;
        }
    }
    store.put(5, g, Bytes::from_static(b"up"))?;
    store
        .overrides_mut()
        .put(&a, Bytes::from_static(b"override"));
    let overrides = store.overrides().encode()?;
    let mut out: Vec<ServerMessage> = vec![
        TimelineConfigure {
            num_steps: STEPS,
            first_step: 0,
            standalone: false,
            fps: 10.0,
            block_size: BLOCK,
            block_starts: Vec::new(),
            cache_bytes: 1 << 20,
            block_bytes: Vec::new(),
            global_defaults: Vec::new(),
            live: false,
            speed: None,
            r#loop: None,
            plots: Vec::new(),
        }
        .into(),
        TimelineOverrides {
            revision: store.overrides().revision(),
            data: TypedArray::from_u8(overrides),
        }
        .into(),
    ];
    for index in 0..store.num_blocks() {
        let compression = if index % 2 == 0 {
            Compression::None
        } else {
            Compression::Zstd { level: 1 }
        };
        let data = store.block(index)?.encode(compression)?;
        out.push(
            TimelineBlock {
                index,
                revision: store.block_revision(index)?,
                audio_revision: 0,
                data: TypedArray::from_u8(data),
                audio: Vec::new(),
            }
            .into(),
        );
    }
    // A live timeline growing under a following tab.
    out.push(TimelineFollow {}.into());
    out.push(
        TimelineManifest {
            block_bytes: Vec::new(),
            block_starts: Some(Vec::new()),
            num_steps: Some(STEPS + 3),
            first_step: Some(BLOCK),
            from_block: Some(1),
            live: None,
        }
        .into(),
    );
    out.push(TimelineSeek { step: 17 }.into());
    out.push(
        TimelinePlay {
            speed: Some(2.0),
            r#loop: Some(true),
        }
        .into(),
    );
    Ok(out)
}
