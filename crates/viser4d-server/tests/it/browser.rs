//! The stock viser 1.1.1 client in headless Chromium, against our server.
//!
//! What the page exposes for tests (found by evaluating it in viser 1.1.1):
//! `window.__viserSceneTree` is a shim `{getState, subscribe}` whose
//! `getState()` is a plain object keyed by node name (`""` is the root),
//! each entry `{message, children, visibility, effectiveVisibility, ...}`
//! with `message` the scene message as the client holds it (array props as
//! typed arrays, later prop updates merged in). `window.__viserMutable` is
//! the viewer's mutable state: `sendMessage`, `messageQueue`,
//! `nodeRefFromName` (the mounted three.js objects), `scene`, `camera`, ...

use std::path::PathBuf;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use fantoccini::Locator;
use fantoccini::key::Key;
use serde_json::json;
use viser4d_server::gui::GuiInputHandle;
use viser4d_server::scene::{FrameOptions, PointCloudHandle, PointCloudOptions, PointColors};
use viser4d_server::{ClientId, Server};

use crate::support::{self, DEADLINE, runtime, wait_until};
use crate::webdriver::{self, ChromeDriver, Tab};

const CLOUD_POINTS: usize = 20_000;

/// The scene every browser test starts from.
struct Demo {
    cloud: PointCloudHandle,
    slider: GuiInputHandle<f64>,
}

fn demo(server: &Server) -> Demo {
    let scene = server.scene();
    let cloud = scene
        .add_point_cloud(
            "/cloud",
            &support::spiral(CLOUD_POINTS, 0.0),
            // Pure red, so the screenshot check can tell the cloud apart.
            PointColors::Uniform([255, 0, 0]),
            PointCloudOptions {
                point_size: 0.05,
                ..PointCloudOptions::default()
            },
        )
        .expect("adding the point cloud");
    scene
        .add_frame("/robot/arm", FrameOptions::default())
        .expect("adding a frame");
    let slider = server
        .gui()
        .add_slider("Arm angle", 0.0, 100.0, 1.0, 5.0, Default::default())
        .expect("adding a slider");
    Demo { cloud, slider }
}

/// Node names in the page's scene tree once all of `names` are there.
const HAS_NODES: &str = "
    const tree = window.__viserSceneTree;
    if (!tree) return null;
    const state = tree.getState();
    return arguments[0].every((name) => name in state) ? Object.keys(state) : null;";

async fn wait_for_nodes(tab: &Tab, names: &[&str]) -> Vec<String> {
    let found = tab
        .wait_for(
            &format!("scene nodes {names:?}"),
            HAS_NODES,
            vec![json!(names)],
        )
        .await;
    serde_json::from_value(found).expect("a list of names")
}

/// The slider thumb's value as the page shows it.
async fn slider_value(tab: &Tab) -> Option<f64> {
    let value = tab
        .eval(
            "const thumb = document.querySelector('[role=slider]');
             return thumb ? Number(thumb.getAttribute('aria-valuenow')) : null;",
            vec![],
        )
        .await;
    value.as_f64()
}

async fn wait_for_slider_value(tab: &Tab, expected: f64) {
    let started = Instant::now();
    while slider_value(tab).await != Some(expected) {
        assert!(
            started.elapsed() < DEADLINE,
            "the page's slider did not show {expected} within {DEADLINE:?} (shows {:?})",
            slider_value(tab).await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The one connected client not in `known`.
pub(crate) fn new_client(server: &Server, known: &[ClientId]) -> ClientId {
    let mut found = None;
    wait_until("the page to connect", || {
        found = server
            .clients()
            .iter()
            .map(|c| c.id())
            .find(|id| !known.contains(id));
        found.is_some()
    });
    found.expect("checked by wait_until")
}

pub(crate) fn screenshot_dir() -> PathBuf {
    let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let workspace = manifest.ancestors().nth(2).unwrap_or(manifest);
    workspace.join("target").join("test-screenshots")
}

/// Pixels of a PNG that are clearly red (the demo cloud's color), in the
/// central region of the image, and that region's size.
fn red_pixels_in_center(png_bytes: &[u8]) -> (usize, usize) {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().expect("a PNG screenshot");
    let size = reader
        .output_buffer_size()
        .expect("a screenshot of sane size");
    let mut pixels = vec![0; size];
    let info = reader.next_frame(&mut pixels).expect("decoding the PNG");
    let channels = info.color_type.samples();
    let (width, height) = (info.width as usize, info.height as usize);
    let (x0, x1) = (width / 4, width * 3 / 4);
    let (y0, y1) = (height / 10, height * 7 / 10);
    let mut red = 0;
    for y in y0..y1 {
        for x in x0..x1 {
            let at = y * info.line_size + x * channels;
            let Some(&[r, g, b]) = pixels.get(at..at + 3) else {
                continue;
            };
            if r > 150 && g < 90 && b < 90 {
                red += 1;
            }
        }
    }
    (red, (x1 - x0) * (y1 - y0))
}

#[test]
fn page_shows_the_scene_and_draws_the_point_cloud() {
    let _one_at_a_time = webdriver::exclusive();
    let server = support::server();
    demo(&server);
    let url = server.url();
    let driver = ChromeDriver::start();
    runtime().block_on(async {
        let tab = driver.session().await;
        tab.open(&url).await;
        let nodes = wait_for_nodes(&tab, &["/WorldAxes", "/cloud", "/robot", "/robot/arm"]).await;
        assert!(nodes.iter().any(|n| n.is_empty()), "the root is \"\": {nodes:?}");
        let points = tab
            .eval(
                "const n = window.__viserSceneTree.getState()['/cloud'];
                 const p = n.message.props.points;
                 return [n.message.type, p.constructor.name, p.length];",
                vec![],
            )
            .await;
        assert_eq!(
            points,
            json!(["PointCloudMessage", "Uint16Array", 3 * CLOUD_POINTS]),
            "float16 positions arrive as raw half floats"
        );
        tab.wait_for(
            "the cloud's three.js object to mount",
            "const m = window.__viserMutable; return !!(m && m.nodeRefFromName && m.nodeRefFromName['/cloud']);",
            vec![],
        )
        .await;

        // Software rendering takes a few frames: poll screenshots.
        let started = Instant::now();
        let (png, red, region) = loop {
            let png = tab.client.screenshot().await.expect("a screenshot");
            let (red, region) = red_pixels_in_center(&png);
            if red * 100 >= region || started.elapsed() > DEADLINE {
                break (png, red, region);
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        };
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).expect("creating target/test-screenshots");
        let path = dir.join("point_cloud.png");
        std::fs::write(&path, &png).expect("saving the screenshot");
        println!("{red} of {region} central pixels are red; saved {}", path.display());
        assert!(
            red * 100 >= region,
            "only {red} of {region} central pixels show the red cloud (see {})",
            path.display()
        );
        tab.close().await;
    });
}

#[test]
fn slider_moved_in_the_page_reaches_the_rust_callback() {
    let _one_at_a_time = webdriver::exclusive();
    let server = support::server();
    let Demo { slider, .. } = demo(&server);
    let (events, received) = mpsc::channel();
    slider
        .on_update(move |event| {
            events.send((event.client.id(), event.value)).ok();
        })
        .expect("registering a callback");
    let next_event = || {
        received
            .recv_timeout(DEADLINE)
            .expect("the Rust callback ran")
    };
    let url = server.url();
    let driver = ChromeDriver::start();
    runtime().block_on(async {
        let tab = driver.session().await;
        tab.open(&url).await;
        let page = new_client(&server, &[]);
        wait_for_nodes(&tab, &["/cloud"]).await;
        wait_for_slider_value(&tab, 5.0).await;

        // What the slider's onChange does: a GuiUpdateMessage to the server.
        tab.eval(
            "window.__viserMutable.sendMessage({
                 type: 'GuiUpdateMessage', uuid: arguments[0], updates: {value: 42}});
             return true;",
            vec![json!(slider.uuid())],
        )
        .await;
        assert_eq!(next_event(), (page, 42.0));
        assert_eq!(slider.value().ok(), Some(42.0));

        // A real key press on the slider's thumb.
        let before = slider_value(&tab).await.expect("the slider is shown");
        let thumb = tab
            .client
            .find(Locator::Css("[role=slider]"))
            .await
            .expect("the slider thumb");
        thumb
            .send_keys(&char::from(Key::Right).to_string())
            .await
            .expect("pressing the right arrow on the slider");
        let (client, value) = next_event();
        assert_eq!(client, page);
        assert_eq!(value, before + 1.0, "one step right of {before}");
        wait_for_slider_value(&tab, value).await;
        assert_eq!(slider.value().ok(), Some(value));

        // And the other way: Rust moves the page's slider.
        slider.set_value(77.0).expect("setting the slider");
        wait_for_slider_value(&tab, 77.0).await;
        tab.close().await;
    });
    assert!(
        received.try_recv().is_err(),
        "set_value does not run callbacks"
    );
}

#[test]
fn per_client_node_appears_in_its_own_tab_only() {
    let _one_at_a_time = webdriver::exclusive();
    let server = support::server();
    demo(&server);
    let url = server.url();
    let driver = ChromeDriver::start();
    runtime().block_on(async {
        let tab_a = driver.session().await;
        tab_a.open(&url).await;
        let a = new_client(&server, &[]);
        let tab_b = driver.session().await;
        tab_b.open(&url).await;
        let b = new_client(&server, &[a]);
        wait_for_nodes(&tab_a, &["/cloud"]).await;
        wait_for_nodes(&tab_b, &["/cloud"]).await;

        for client in server.clients() {
            let name = if client.id() == a {
                "/only_a"
            } else {
                "/only_b"
            };
            client
                .scene()
                .add_frame(name, FrameOptions::default())
                .expect("adding a per-client frame");
        }
        // Broadcast after the per-client nodes: once a tab shows it, it has
        // applied everything that was queued for it before.
        server
            .scene()
            .add_frame("/marker", FrameOptions::default())
            .expect("adding a marker");

        let in_a = wait_for_nodes(&tab_a, &["/only_a", "/marker"]).await;
        let in_b = wait_for_nodes(&tab_b, &["/only_b", "/marker"]).await;
        assert!(
            !in_a.iter().any(|n| n == "/only_b"),
            "A shows B's node: {in_a:?}"
        );
        assert!(
            !in_b.iter().any(|n| n == "/only_a"),
            "B shows A's node: {in_b:?}"
        );
        let owner = tab_a
            .eval(
                "return window.__viserSceneTree.getState()['/only_a'].message.owner;",
                vec![],
            )
            .await;
        assert_eq!(owner, json!(a.to_string()));
        assert_ne!(a, b);
        tab_a.close().await;
        tab_b.close().await;
    });
}

#[test]
fn reloaded_page_gets_the_full_current_state() {
    let _one_at_a_time = webdriver::exclusive();
    let server = support::server();
    let Demo { cloud, slider } = demo(&server);
    let gone = server
        .scene()
        .add_frame("/gone", FrameOptions::default())
        .expect("adding a frame");
    let url = server.url();
    let driver = ChromeDriver::start();
    runtime().block_on(async {
        let tab = driver.session().await;
        tab.open(&url).await;
        let first = new_client(&server, &[]);
        wait_for_nodes(&tab, &["/cloud", "/gone", "/robot/arm"]).await;

        // Change the scene while the page is open; it follows live.
        let moved = support::spiral(5000, 1.0);
        cloud.set_points(&moved).expect("setting points");
        gone.remove().expect("removing a node");
        server
            .scene()
            .add_frame("/late", FrameOptions::default())
            .expect("adding a frame");
        slider.set_value(77.0).expect("setting the slider");
        wait_for_nodes(&tab, &["/late"]).await;

        tab.client.refresh().await.expect("reloading the page");
        let second = new_client(&server, &[first]);
        wait_until("the old connection to go", || {
            !server.clients().iter().any(|c| c.id() == first)
        });
        let nodes = wait_for_nodes(&tab, &["/cloud", "/late", "/robot/arm"]).await;
        assert!(!nodes.iter().any(|n| n == "/gone"), "{nodes:?}");
        let points = tab
            .eval(
                "return window.__viserSceneTree.getState()['/cloud'].message.props.points.length;",
                vec![],
            )
            .await;
        assert_eq!(points, json!(3 * moved.len()), "the current points");
        wait_for_slider_value(&tab, 77.0).await;
        assert_ne!(first, second);
        tab.close().await;
    });
}
