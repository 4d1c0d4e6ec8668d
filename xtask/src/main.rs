//! `cargo xtask`: the project's tasks, written in Rust so they run wherever
//! cargo does (see the alias in `.cargo/config.toml`).
//!
//! - `dist`: fetch and verify the viser 1.1.1 client, build the wasm runtime,
//!   assemble the bundle in `target/dist/`.
//! - `test [--long]`: every check and test, cheap ones first, failing fast;
//!   this is what `.ci/run` calls.
//! - `bench [--upstream] [--report-only] [CARGO BENCH ARGS...]`: run the
//!   criterion benchmarks and compare them with upstream viser4d's figures
//!   (`--upstream` measures those in the same run).
//! - `package`: package the published crates and use them from a scratch
//!   program outside the checkout (also a stage of `test`).
//! - `fuzz [--seconds N] [--runs N] [TARGET...]`: build the libFuzzer
//!   targets in `fuzz/` on the stable toolchain and run each for a bounded
//!   time (also a stage of `test`, 15 s a target).
//! - `load [SCENARIO...]`: the load harness: a server process under
//!   thousands of loopback tabs, bounded in count and time.
//! - `demo`: build the bundle and run the main example.
//! - `fixtures`: regenerate the proto crate's fixtures with Python viser.
//! - `codegen`: regenerate the proto crate's message types from `_messages.py`.
//!
//! Nothing here is a library API: errors are `anyhow`, and each says what to
//! install or do when a tool is missing.

mod bench;
mod client;
mod codegen;
mod demo;
mod digest;
mod dist;
mod fixtures;
mod fuzz;
mod load;

mod msrv;
mod package;
mod plotly;
mod process;
mod progress;
mod s3;
mod test;
mod wasm;
mod webdriver;
mod workspace;

use anyhow::{Result, bail};

use crate::workspace::Workspace;

const USAGE: &str = "\
usage: cargo xtask <command> [options]

commands:
  dist                      fetch the viser 1.1.1 client, build the wasm runtime,
                            assemble the bundle in target/dist/
  test [--long]             run every check and test (what CI runs); --long runs
                            property tests with 20000 cases
  bench [--upstream] [--report-only] [ARGS...]
                            run `cargo bench -p viser4d-proto -p viser4d-timeline -p viser4d-server ARGS...`
                            and compare with upstream; --report-only prints the
                            table from the last run without running anything
  package                   package the published crates and use them from outside
                            the checkout: a scratch program and the packaged
                            viser4d command, played in headless Chromium
  fuzz [--seconds N] [--runs N] [TARGET...]
                            build the fuzz targets (stable toolchain) and run each
                            for N seconds (default 60) or N executions
  load [SCENARIO...]        the load harness: idle, live, stalled, churn, seek
                            (default: all); loopback only, bounded in count and time
  demo                      build the bundle and run the main example
  fixtures                  regenerate crates/viser4d-proto/tests/fixtures with
                            Python viser 1.1.1 in a throwaway venv
  codegen                   regenerate crates/viser4d-proto/src/messages/generated.rs
                            from the wheel's _messages.py
";

fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let Some(command) = args.next() else {
        print!("{USAGE}");
        bail!("no command given");
    };
    let rest: Vec<String> = args.collect();
    let workspace = Workspace::locate()?;
    match command.as_str() {
        "dist" => {
            no_extra_args(&command, &rest)?;
            dist::run(&workspace).map(drop)
        }
        "test" => {
            let mut long = false;
            for arg in &rest {
                match arg.as_str() {
                    "--long" => long = true,
                    other => bail!("`cargo xtask test`: unknown option {other:?} (known: --long)"),
                }
            }
            test::run(&workspace, test::Options { long })
        }
        "bench" => {
            let report_only = rest.iter().any(|arg| arg == "--report-only");
            let upstream = rest.iter().any(|arg| arg == "--upstream");
            let cargo_args: Vec<String> = rest
                .into_iter()
                .filter(|arg| arg != "--report-only" && arg != "--upstream")
                .collect();
            bench::run(&workspace, report_only, upstream, &cargo_args)
        }
        "package" => {
            no_extra_args(&command, &rest)?;
            dist::run(&workspace)?;
            package::run(&workspace).map(drop)
        }
        "fuzz" => {
            let mut options = fuzz::Options {
                seconds: 60,
                runs: 0,
                targets: Vec::new(),
            };
            let mut args = rest.into_iter();
            while let Some(arg) = args.next() {
                let mut number = |flag: &str| -> Result<u64> {
                    let value = args
                        .next()
                        .ok_or_else(|| anyhow::anyhow!("{flag} needs a number"))?;
                    value
                        .parse()
                        .map_err(|_| anyhow::anyhow!("{flag} {value:?} is not a number"))
                };
                match arg.as_str() {
                    "--seconds" => options.seconds = number("--seconds")?,
                    "--runs" => options.runs = number("--runs")?,
                    flag if flag.starts_with('-') => {
                        bail!(
                            "`cargo xtask fuzz`: unknown option {flag:?} (known: --seconds, --runs)"
                        )
                    }
                    target => options.targets.push(target.to_owned()),
                }
            }
            fuzz::run(&workspace, &options).map(drop)
        }

        "load" => load::run(&workspace, &rest),
        "demo" => {
            no_extra_args(&command, &rest)?;
            demo::run(&workspace)
        }
        "fixtures" => {
            no_extra_args(&command, &rest)?;
            fixtures::run(&workspace)
        }
        "codegen" => {
            no_extra_args(&command, &rest)?;
            codegen::run(&workspace)
        }
        "help" | "-h" | "--help" => {
            print!("{USAGE}");
            Ok(())
        }
        other => {
            print!("{USAGE}");
            bail!("unknown command {other:?}")
        }
    }
}

fn no_extra_args(command: &str, rest: &[String]) -> Result<()> {
    if let Some(arg) = rest.first() {
        bail!("`cargo xtask {command}` takes no arguments, got {arg:?}");
    }
    Ok(())
}
