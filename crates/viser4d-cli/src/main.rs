//! `viser4d`: serve, inspect and convert `.viser` recordings.
//!
//! ```text
//! viser4d serve FILE [--port N] [--open]   serve FILE with the viser client
//! viser4d serve ARCHIVE [--port N] [--open] serve an archive (folder or URL) live
//! viser4d info FILE                        what is inside
//! viser4d html FILE -o OUT.html [--dark]   one self-contained HTML page
//! viser4d archive SOURCE -o TARGET         an archive for static hosts
//! ```
//!
//! SOURCE of `archive` is a `.viser` file or an archive (a folder, or an
//! `s3://`, `gs://`, `az://` URL); TARGET a folder or such a URL.
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
  viser4d serve ARCHIVE [--port N] [--open]
                                           serve an archive (a folder, s3://, gs://, az://) as a
                                           live timeline: every tab plays it on its own
  viser4d info FILE                        print what a recording holds
  viser4d html FILE -o OUT.html [--dark]   write it as one self-contained HTML page
  viser4d archive SOURCE -o TARGET         write a .viser recording (or copy an archive) as an
                                           archive any static host plays: TARGET is a folder
                                           or s3://bucket/prefix, gs://..., az://...";

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
        "archive" => archive(rest),
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
    let source = path.to_string_lossy().into_owned();
    let archive = match viser4d_server::ArchiveTarget::parse(&source) {
        viser4d_server::ArchiveTarget::Folder(dir) if dir.is_dir() => Some(dir.into()),
        viser4d_server::ArchiveTarget::Folder(_) => None,
        url => Some(url),
    };
    let (server, url) = match archive {
        Some(target) => {
            let bar = progress_bar("loading blocks");
            let server = Server::builder()
                .port(port)
                .open_archive_with_progress(target, |done, total| advance(&bar, done, total))
                .with_context(|| format!("cannot open the archive {source}"))?;
            bar.finish_and_clear();
            let url = server.url();
            (server, url)
        }
        None => {
            let bytes = read(&path)?;
            decode(&path, &bytes)?;
            let server = Server::builder()
                .port(port)
                .inject_runtime(false)
                .recording(bytes)
                .start()?;
            let url = server.recording_url();
            (server, url)
        }
    };
    println!("serving {source} at {url}");
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

fn archive(args: &[String]) -> Result<()> {
    let Some((source, flags)) = args.split_first().filter(|(s, _)| !s.starts_with('-')) else {
        bail!("archive needs a SOURCE (a .viser file or an archive)\n{USAGE}");
    };
    let mut out: Option<String> = None;
    let mut flags = flags.iter();
    while let Some(flag) = flags.next() {
        match flag.as_str() {
            "-o" | "--output" => out = Some(flags.next().context("-o needs a TARGET")?.clone()),
            other => bail!("unknown option {other:?} for archive\n{USAGE}"),
        }
    }
    let out = out.context("archive needs -o TARGET (a folder or an object-store URL)")?;
    let target = viser4d_server::ArchiveTarget::parse(&out);
    let source_target = viser4d_server::ArchiveTarget::parse(source);
    let is_file = match &source_target {
        viser4d_server::ArchiveTarget::Folder(p) if !p.exists() => {
            bail!("{source}: no such file or folder (SOURCE is a .viser file or an archive)")
        }
        viser4d_server::ArchiveTarget::Folder(p) => p.is_file(),
        _ => false,
    };
    let bar = progress_bar("");
    let progress = |done: u32, total: u32| advance(&bar, done, total);
    let summary = if is_file {
        let path = PathBuf::from(source);
        let bytes = read(&path)?;
        bar.set_message("blocks");
        viser4d_server::recording_to_archive(&bytes, target.clone(), progress)
            .with_context(|| format!("cannot archive {}", path.display()))?
    } else {
        bar.set_message("files");
        viser4d_server::copy_archive(source_target, target.clone(), progress)
            .with_context(|| format!("cannot copy the archive {source}"))?
    };
    bar.finish_and_clear();
    println!(
        "wrote {target}: {} blocks ({} already there), {} bytes written of {}",
        summary.blocks, summary.blocks_skipped, summary.bytes_written, summary.archive_bytes
    );
    println!("open {target}/index.html from any static host to play it");
    Ok(())
}

/// A bar for work counted in blocks or files; `message` says which.
fn progress_bar(message: &'static str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} ({elapsed})")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar.set_message(message);
    bar
}

fn advance(bar: &indicatif::ProgressBar, done: u32, total: u32) {
    bar.set_length(u64::from(total));
    bar.set_position(u64::from(done));
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
