//! `viser4d`: serve, inspect and convert `.viser` recordings.
//!
//! ```text
//! viser4d serve FILE [--port N] [--open]   serve FILE with the viser client
//! viser4d info FILE                        what is inside
//! viser4d html FILE -o OUT.html [--dark]   one self-contained HTML page
//! ```
//!
//! Recordings written by Python viser 1.1.1 work too. A bad file or
//! argument is reported in one line on stderr, exit status 1.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use viser4d_server::Server;

mod summary;

const USAGE: &str = "usage:
  viser4d serve FILE [--port N] [--open]   serve a .viser recording with the viser client
  viser4d info FILE                        print what a recording holds
  viser4d html FILE -o OUT.html [--dark]   write it as one self-contained HTML page";

fn main() {
    tracing_subscriber::fmt()
        .with_env_filter("warn")
        .with_writer(std::io::stderr)
        .init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Err(error) = run(&args) {
        // One line, whatever RUST_BACKTRACE says.
        eprintln!("viser4d: {error:#}");
        std::process::exit(1);
    }
}

fn run(args: &[String]) -> Result<()> {
    let Some((command, rest)) = args.split_first() else {
        bail!("no command given\n{USAGE}");
    };
    match command.as_str() {
        "serve" => serve(rest),
        "info" => info(rest),
        "html" => html(rest),
        "-h" | "--help" | "help" => {
            println!("{USAGE}");
            Ok(())
        }
        other => bail!("unknown command {other:?}\n{USAGE}"),
    }
}

/// The file argument and the flags after it.
fn split_file(args: &[String]) -> Result<(PathBuf, &[String])> {
    match args.split_first() {
        Some((file, rest)) if !file.starts_with('-') => Ok((PathBuf::from(file), rest)),
        _ => bail!("a FILE argument is needed\n{USAGE}"),
    }
}

fn read(path: &Path) -> Result<Vec<u8>> {
    let spinner = indicatif::ProgressBar::new_spinner();
    spinner.set_message(format!("reading {}", path.display()));
    spinner.enable_steady_tick(Duration::from_millis(100));
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()));
    spinner.finish_and_clear();
    bytes
}

fn decode(path: &Path, bytes: &[u8]) -> Result<viser4d_proto::Recording> {
    viser4d_proto::decode_recording(bytes)
        .with_context(|| format!("{} is not a valid .viser recording", path.display()))
}

fn serve(args: &[String]) -> Result<()> {
    let (path, flags) = split_file(args)?;
    let mut port = 8080u16;
    let mut open = false;
    let mut flags = flags.iter();
    while let Some(flag) = flags.next() {
        match flag.as_str() {
            "--port" => {
                let value = flags.next().context("--port needs a number")?;
                port = value
                    .parse()
                    .with_context(|| format!("--port {value:?} is not a port number"))?;
            }
            "--open" => open = true,
            other => bail!("unknown option {other:?} for serve\n{USAGE}"),
        }
    }
    let bytes = read(&path)?;
    decode(&path, &bytes)?;
    let server = Server::builder()
        .port(port)
        .inject_runtime(false)
        .recording(bytes)
        .start()?;
    let url = server.recording_url();
    println!("serving {} at {url}", path.display());
    if open {
        let opener = if cfg!(target_os = "macos") {
            "open"
        } else {
            "xdg-open"
        };
        if let Err(error) = std::process::Command::new(opener).arg(&url).spawn() {
            eprintln!("viser4d: could not open a browser ({opener}: {error}); open {url} yourself");
        }
    }
    server.sleep_forever();
}

fn info(args: &[String]) -> Result<()> {
    let (path, flags) = split_file(args)?;
    if let Some(flag) = flags.first() {
        bail!("unknown option {flag:?} for info\n{USAGE}");
    }
    let bytes = read(&path)?;
    let recording = decode(&path, &bytes)?;
    print!(
        "{}",
        summary::summary(&path.display().to_string(), bytes.len(), &recording)?
    );
    Ok(())
}

fn html(args: &[String]) -> Result<()> {
    let (path, flags) = split_file(args)?;
    let mut out: Option<PathBuf> = None;
    let mut dark = false;
    let mut flags = flags.iter();
    while let Some(flag) = flags.next() {
        match flag.as_str() {
            "-o" | "--output" => {
                out = Some(PathBuf::from(flags.next().context("-o needs a file name")?));
            }
            "--dark" => dark = true,
            other => bail!("unknown option {other:?} for html\n{USAGE}"),
        }
    }
    let out = out.context("html needs -o OUT.html")?;
    let bytes = read(&path)?;
    decode(&path, &bytes)?;
    let page = viser4d_server::recording_to_html(&bytes, dark, None)?;
    write_atomically(&out, page.as_bytes())?;
    println!("wrote {}", out.display());
    Ok(())
}

/// Writes through a temporary file and a rename: a failed write never
/// leaves a truncated page under `path` (nor destroys an older one).
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write as _;
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let context = || format!("cannot write {}", path.display());
    let mut file = tempfile::Builder::new()
        .prefix(".viser4d-write-")
        .tempfile_in(dir)
        .with_context(context)?;
    file.write_all(bytes).with_context(context)?;
    file.persist(path)
        .map_err(|e| e.error)
        .with_context(context)?;
    Ok(())
}
