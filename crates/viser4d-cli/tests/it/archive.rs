//! `viser4d archive`: a `.viser` export as an archive in a folder, the
//! folder uploaded to an S3-compatible server (moto, on loopback, through
//! `object_store` exactly as real S3 would be), and downloaded back.

use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use viser4d_proto::archive::{ArchiveManifest, MANIFEST_FILE};

use crate::support::{DEADLINE, recorded};

fn viser4d() -> Command {
    Command::new(env!("CARGO_BIN_EXE_viser4d"))
}

/// moto in server mode on a free loopback port; stopped when dropped.
struct Moto {
    child: Child,
    port: u16,
}

impl Moto {
    fn start() -> Moto {
        let program = std::env::var_os("VISER4D_TEST_MOTO").expect(
            "VISER4D_TEST_MOTO names moto_server: run `cargo xtask test`, which installs it",
        );
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(program)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting moto_server");
        let moto = Moto { child, port };
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(started.elapsed() < DEADLINE, "moto_server did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        moto
    }

    /// S3's CreateBucket (moto checks no signature).
    fn create_bucket(&self, bucket: &str) {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).expect("moto");
        write!(
            stream,
            "PUT /{bucket} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            self.port
        )
        .expect("a request");
        let mut response = String::new();
        stream.read_to_string(&mut response).expect("a response");
        assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    }

    /// `viser4d` with this server's endpoint and test credentials.
    fn viser4d(&self) -> Command {
        let mut command = viser4d();
        command
            .env("AWS_ENDPOINT", format!("http://127.0.0.1:{}", self.port))
            .env("AWS_ALLOW_HTTP", "true")
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_VIRTUAL_HOSTED_STYLE_REQUEST", "false");
        command
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn run(command: &mut Command) -> Output {
    let output = command.output().expect("running viser4d");
    assert!(
        output.status.success(),
        "{command:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn manifest(dir: &Path) -> ArchiveManifest {
    ArchiveManifest::parse(&std::fs::read(dir.join(MANIFEST_FILE)).expect("a manifest"))
        .expect("a valid manifest")
}

/// Every file under `dir`, relative, with its bytes.
fn files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(d) = pending.pop() {
        for entry in std::fs::read_dir(&d).expect("a folder") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let rel = path.strip_prefix(dir).expect("inside").to_owned();
                out.push((rel, std::fs::read(&path).expect("a file")));
            }
        }
    }
    out.sort();
    out
}

/// Every step's folded scene in an archive: (key, packed message) lists.
fn states(dir: &Path, m: &ArchiveManifest) -> Vec<Vec<(String, Vec<u8>)>> {
    use viser4d_proto::timeline::ServerMessage;
    let mut out = Vec::new();
    for entry in &m.blocks {
        let bytes = std::fs::read(dir.join(&entry.file)).expect("a block file");
        let value = viser4d_proto::timeline::unpack(&bytes).expect("msgpack");
        let Ok(Some(ServerMessage::TimelineBlock(b))) = ServerMessage::from_value(value) else {
            panic!("{} is not a block", entry.file);
        };
        let block = viser4d_timeline::Block::<bytes::Bytes>::decode_shared(b.data.into_bytes())
            .expect("a block");
        for step in block.steps().start..block.steps().end.min(m.num_steps) {
            let state = block.state_at(step).expect("a state");
            out.push(
                state
                    .scene()
                    .iter()
                    .map(|(k, e)| (k.to_string(), e.value.to_vec()))
                    .collect(),
            );
        }
    }
    out
}

#[test]
fn an_export_becomes_the_same_archive_as_the_server_writes_and_travels_through_s3() {
    let server = recorded(60, 10.0);
    let tmp = tempfile::tempdir().expect("a temp dir");
    let export = tmp.path().join("rec.viser");
    server.write_recording(&export, 0, None).expect("an export");
    let from_file = tmp.path().join("from-file");
    let out = run(viser4d()
        .arg("archive")
        .arg(&export)
        .arg("-o")
        .arg(&from_file));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("2 blocks (0 already there)"), "{stdout}");
    let from_server = tmp.path().join("from-server");
    server
        .save_archive(&from_server, 0, None)
        .expect("an archive");
    let (a, b) = (manifest(&from_file), manifest(&from_server));
    // The same timeline, step for step (the file's blocks were recorded
    // again, so their revisions, and hence their bytes, differ).
    assert_eq!(states(&from_file, &a), states(&from_server, &b));
    assert_eq!(a.scene, b.scene, "the same live scene, byte for byte");
    assert_eq!(
        (a.first_step, a.num_steps, a.fps),
        (b.first_step, b.num_steps, b.fps)
    );

    let moto = Moto::start();
    moto.create_bucket("recordings");
    let url = "s3://recordings/runs/one";
    let out = run(moto
        .viser4d()
        .arg("archive")
        .arg(&from_file)
        .args(["-o", url]));
    assert!(String::from_utf8_lossy(&out.stdout).contains(url));
    // Again: everything is there already.
    let out = run(moto
        .viser4d()
        .arg("archive")
        .arg(&from_file)
        .args(["-o", url]));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("2 blocks (2 already there)"), "{stdout}");
    // And back: the same files.
    let back = tmp.path().join("back");
    run(moto.viser4d().args(["archive", url, "-o"]).arg(&back));
    assert_eq!(files(&back), files(&from_file));

    // A damaged block is refused on the way, by name.
    let damaged = &a.blocks[1].file;
    std::fs::write(from_file.join(damaged), b"not a block").expect("damaging");
    let out = moto
        .viser4d()
        .arg("archive")
        .arg(&from_file)
        .args(["-o", "s3://recordings/runs/two"])
        .output()
        .expect("running viser4d");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(damaged.as_str()) && stderr.contains("damaged"),
        "{stderr}"
    );
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
}

#[test]
fn archive_refuses_what_it_cannot_archive_in_one_line() {
    let tmp = tempfile::tempdir().expect("a temp dir");
    let python = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../viser4d-proto/tests/fixtures/frames.viser");
    for (args, expected) in [
        (vec!["archive".into()], "SOURCE"),
        (vec!["archive".into(), "x.viser".into()], "-o TARGET"),
        (
            vec![
                "archive".into(),
                "nowhere".into(),
                "-o".into(),
                "out".into(),
            ],
            "nowhere",
        ),
        (
            vec![
                "archive".into(),
                python.display().to_string(),
                "-o".into(),
                tmp.path().join("p").display().to_string(),
            ],
            "no viser4d timeline",
        ),
        (
            vec![
                "archive".into(),
                python.display().to_string(),
                "-o".into(),
                "ftp://host/x".into(),
            ],
            "ftp://",
        ),
    ] {
        let out = viser4d().args(&args).output().expect("running viser4d");
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
}

#[test]
fn serve_plays_an_archive_as_a_live_timeline() {
    let _one_at_a_time = crate::webdriver::exclusive();
    let server = recorded(60, 10.0);
    let tmp = tempfile::tempdir().expect("a temp dir");
    let dir = tmp.path().join("archive");
    server.save_archive(&dir, 0, None).expect("an archive");
    drop(server);
    let (_served, url) = crate::cli::serve(&dir);
    let driver = crate::webdriver::ChromeDriver::start();
    crate::support::runtime().block_on(async {
        let tab = driver.session().await;
        tab.open(&url).await;
        let stats = "const r = window.__viser4dRuntime;
             const s = r && r.stats && r.stats();
             return s && s.configured ? [s.numSteps, s.shown] : null;";
        let first = tab.wait_for("the timeline", stats, vec![]).await;
        assert_eq!(first[0], serde_json::json!(60));
        tab.eval("window.__viser4dRuntime.seek(45); return true;", vec![])
            .await;
        tab.wait_until("step 45 shown", stats, |s| s[1] == serde_json::json!(45))
            .await;
        tab.close().await;
    });
}
