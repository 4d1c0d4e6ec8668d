//! The `viser4d` command: `info`, `html` and `serve`, on our recordings and
//! on ones Python viser 1.1.1 wrote (the proto crate's fixtures).

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use serde_json::json;
use viser4d_proto::decode_recording;

use crate::support::{recorded, runtime};
use crate::webdriver::{self, ChromeDriver};

fn viser4d() -> Command {
    Command::new(env!("CARGO_BIN_EXE_viser4d"))
}

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../viser4d-proto/tests/fixtures")
        .join(name)
}

#[test]
fn info_describes_python_and_viser4d_recordings() {
    let out = viser4d()
        .args(["info"])
        .arg(fixture("images_glb.viser"))
        .output()
        .expect("running viser4d");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("viser version: 1.1.1"), "{text}");
    assert!(
        text.contains("GlbMessage") && text.contains("timeline:      none"),
        "{text}"
    );

    let server = recorded(40, 10.0);
    let dir = tempfile::tempdir().expect("a temp dir");
    let file = dir.path().join("run.viser");
    std::fs::write(&file, server.serialize(5, Some(30)).expect("an export")).expect("writing");
    let out = viser4d()
        .arg("info")
        .arg(&file)
        .output()
        .expect("running viser4d");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("steps 5..=30 (26 steps) at 10 fps"), "{text}");
    assert!(
        text.contains("1 block(s)") && text.contains("RunJavascriptMessage"),
        "{text}"
    );

    let page = dir.path().join("run.html");
    let out = viser4d()
        .arg("html")
        .arg(&file)
        .arg("-o")
        .arg(&page)
        .arg("--dark")
        .output()
        .expect("running viser4d");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let html = std::fs::read_to_string(&page).expect("the page");
    assert!(html.contains("window.__VISER_EMBED_DATA__=\"") && html.contains("darkMode:true"));
}

#[test]
fn bad_input_gets_one_clear_line_and_status_1() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let junk = dir.path().join("junk.viser");
    std::fs::write(&junk, b"not a recording at all").expect("writing");
    for args in [
        vec!["info".to_owned(), junk.display().to_string()],
        vec![
            "info".to_owned(),
            dir.path().join("missing.viser").display().to_string(),
        ],
        vec![
            "serve".to_owned(),
            junk.display().to_string(),
            "--port".to_owned(),
            "x".to_owned(),
        ],
    ] {
        let out = viser4d()
            .args(&args)
            .env("RUST_BACKTRACE", "1")
            .output()
            .expect("running viser4d");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert_eq!(
            err.lines().count(),
            1,
            "{args:?}: one line, no backtrace: {err}"
        );
        assert!(err.starts_with("viser4d: "), "{err}");
    }
}

/// Kills the served process when the test ends.
pub(crate) struct Served(Child);

/// `viser4d serve SOURCE --port 0`, and the URL it says it serves at.
pub(crate) fn serve(source: &std::path::Path) -> (Served, String) {
    let mut child = viser4d()
        .arg("serve")
        .arg(source)
        .args(["--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting viser4d serve");
    let stdout = child.stdout.take().expect("stdout");
    let served = Served(child);
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("the serving line");
    let url = line
        .split_whitespace()
        .last()
        .filter(|u| u.starts_with("http://"))
        .unwrap_or_else(|| panic!("no URL in {line:?}"))
        .to_owned();
    (served, url)
}

impl Drop for Served {
    fn drop(&mut self) {
        self.0.kill().ok();
        self.0.wait().ok();
    }
}

#[test]
fn serve_renders_a_python_viser_recording() {
    let _one_at_a_time = webdriver::exclusive();
    let path = fixture("pointcloud_mesh.viser");
    let names: Vec<String> = decode_recording(&std::fs::read(&path).expect("the fixture"))
        .expect("decodable")
        .messages
        .iter()
        .filter_map(|(_, m)| match m {
            viser4d_proto::AnyMessage::Viser(m) => m.entity().map(|e| e.id.to_owned()),
            _ => None,
        })
        .filter(|n| n.starts_with('/'))
        .collect();
    assert!(!names.is_empty());
    let (served, url) = serve(&path);
    assert!(url.contains("playbackPath="), "{url}");
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let driver = ChromeDriver::start();
    runtime().block_on(async {
        let tab = driver.session().await;
        tab.open(&url).await;
        let shown = tab
            .wait_for(
                "the recording's nodes",
                "const t = window.__viserSceneTree;
                 if (!t) return null;
                 const s = t.getState();
                 return arguments[0].every((n) => n in s) ? true : null;",
                vec![json!(names)],
            )
            .await;
        assert_eq!(shown, json!(true));
        tab.close().await;
    });
    drop(served);
}

#[test]
fn a_crafted_timeline_configuration_is_one_clear_error() {
    use viser4d_proto::timeline::{TimelineConfigure, TimelineMessage};
    let dir = tempfile::tempdir().expect("a temp dir");
    // first_step past the end: `num_steps - first_step` would underflow.
    for (num_steps, first_step, block_size) in [(5, 9, 4), (u32::MAX, 0, 1), (10, 0, 0)] {
        let configure = TimelineConfigure {
            num_steps,
            first_step,
            standalone: true,
            fps: 10.0,
            block_size,
            block_starts: Vec::new(),
            cache_bytes: 1 << 20,
            block_bytes: Vec::new(),
            global_defaults: Vec::new(),
            live: false,
            speed: None,
            r#loop: None,
            plots: Vec::new(),
        };
        let bytes =
            viser4d_proto::encode_recording(1.0, &[(0.0, configure.to_any().expect("encodable"))])
                .expect("a recording");
        let file = dir.path().join("crafted.viser");
        std::fs::write(&file, bytes).expect("writing");
        let out = viser4d()
            .arg("info")
            .arg(&file)
            .output()
            .expect("running viser4d");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{num_steps}/{first_step}: {err}"
        );
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains("timeline configuration is invalid"), "{err}");
    }
}
