//! The minimum supported Rust version, checked with what this machine has.
//!
//! The workspace states `rust-version` (lower than the pinned toolchain:
//! edition 2024 needs 1.85, `let` chains 1.88). Only one toolchain can be
//! installed here, so the code is not compiled with the MSRV itself. What
//! is checked instead:
//! - every dependency a published crate builds with (normal and build
//!   dependencies, all targets) declares a `rust-version` no newer than
//!   ours (this stage, from `cargo metadata`);
//! - no standard-library API newer than ours is used: clippy's
//!   `incompatible_msrv` lint reads `rust-version` and runs, denied, in the
//!   clippy stage.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context as _, Result, bail};
use serde_json::Value;

use crate::{package, process, workspace::Workspace};

pub fn check(workspace: &Workspace) -> Result<()> {
    let output = process::capture(workspace.cargo().args([
        "metadata",
        "--format-version",
        "1",
        "--locked",
    ]))?;
    if !output.status.success() {
        bail!(
            "cargo metadata failed: {}",
            process::last_line(&output.stderr)
        );
    }
    let metadata: Value = serde_json::from_slice(&output.stdout).context("cargo metadata JSON")?;
    let packages: BTreeMap<&str, &Value> = metadata["packages"]
        .as_array()
        .context("no packages")?
        .iter()
        .filter_map(|p| Some((p["id"].as_str()?, p)))
        .collect();
    let nodes: BTreeMap<&str, &Value> = metadata["resolve"]["nodes"]
        .as_array()
        .context("no resolve graph")?
        .iter()
        .filter_map(|n| Some((n["id"].as_str()?, n)))
        .collect();
    let ours = packages
        .values()
        .find(|p| p["name"] == "viser4d")
        .and_then(|p| p["rust_version"].as_str())
        .context("the viser4d crate states no rust-version")?;
    let msrv = parse(ours).with_context(|| format!("rust-version {ours:?}"))?;

    let mut pending: Vec<&str> = packages
        .iter()
        .filter(|(_, p)| {
            p["name"]
                .as_str()
                .is_some_and(|n| package::PUBLISHED.contains(&n))
        })
        .map(|(id, _)| *id)
        .collect();
    let mut seen = BTreeSet::new();
    let mut too_new = Vec::new();
    while let Some(id) = pending.pop() {
        if !seen.insert(id) {
            continue;
        }
        let Some(package) = packages.get(id) else {
            continue;
        };
        if let Some(version) = package["rust_version"].as_str()
            && parse(version).is_some_and(|v| v > msrv)
        {
            too_new.push(format!(
                "{} {} (rust-version {version})",
                package["name"], package["version"]
            ));
        }
        let Some(deps) = nodes.get(id).and_then(|n| n["deps"].as_array()) else {
            continue;
        };
        for dep in deps {
            let builds_with = dep["dep_kinds"].as_array().is_some_and(|kinds| {
                kinds
                    .iter()
                    .any(|k| k["kind"].is_null() || k["kind"] == "build")
            });
            if let (true, Some(dep_id)) = (builds_with, dep["pkg"].as_str()) {
                pending.push(dep_id);
            }
        }
    }
    if !too_new.is_empty() {
        bail!(
            "the published crates state rust-version {ours}, but these dependencies need newer: {}",
            too_new.join(", ")
        );
    }
    println!(
        "msrv: rust-version {ours}; all {} crates the published ones build with allow it",
        seen.len()
    );
    Ok(())
}

/// `1.88` or `1.88.0` as (major, minor, patch).
fn parse(version: &str) -> Option<(u32, u32, u32)> {
    let mut parts = version.split('.').map(|p| p.parse::<u32>().ok());
    let major = parts.next()??;
    let minor = parts.next().flatten().unwrap_or(0);
    let patch = parts.next().flatten().unwrap_or(0);
    Some((major, minor, patch))
}
