//! Running the external tools the tasks drive (cargo, rustup, python3), with
//! one-line errors that name the command and what to install when it is missing.

use std::{
    io::ErrorKind,
    path::Path,
    process::{Command, Output, Stdio},
};

use anyhow::{Result, anyhow, bail};

/// Run `command` with inherited stdio, echoing it first; fail if it exits non-zero.
pub fn run(command: &mut Command) -> Result<()> {
    println!("$ {}", describe(command));
    let status = command.status().map_err(|err| spawn_error(command, &err))?;
    if !status.success() {
        bail!("`{}` failed ({status})", describe(command));
    }
    Ok(())
}

/// Run `command` capturing stdout and stderr; the caller judges the status.
pub fn capture(command: &mut Command) -> Result<Output> {
    command
        .stdin(Stdio::null())
        .output()
        .map_err(|err| spawn_error(command, &err))
}

/// Whether `program` can be found on `PATH`.
pub fn on_path(program: &str) -> bool {
    let Some(path) = std::env::var_os("PATH") else {
        return false;
    };
    std::env::split_paths(&path).any(|dir| dir.join(program).is_file())
}

/// The last non-empty line of a tool's stderr, for a one-line error.
pub fn last_line(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .lines()
        .map(str::trim)
        .rfind(|line| !line.is_empty())
        .unwrap_or("(no output)")
        .to_owned()
}

/// The command as a person would type it (`cargo build ...`, not the full
/// path of the toolchain's cargo).
pub fn describe(command: &Command) -> String {
    let program = Path::new(command.get_program());
    let name = program.file_name().unwrap_or(program.as_os_str());
    let mut words = vec![name.to_string_lossy().into_owned()];
    words.extend(
        command
            .get_args()
            .map(|arg| arg.to_string_lossy().into_owned()),
    );
    words.join(" ")
}

fn spawn_error(command: &Command, err: &std::io::Error) -> anyhow::Error {
    let program = command.get_program().to_string_lossy();
    if err.kind() == ErrorKind::NotFound {
        let hint = match program.rsplit('/').next().unwrap_or(&program) {
            "python3" => {
                "install Python 3 with pip and venv (Debian: apt-get install python3 python3-pip python3-venv)"
            }
            "rustup" => {
                "install rustup (https://rustup.rs) or add the target to your toolchain by hand"
            }
            "cargo" => "install Rust with rustup",
            _ => "install it or put it on PATH",
        };
        return anyhow!("`{program}` not found: {hint}");
    }
    anyhow!("could not start `{program}`: {err}")
}
