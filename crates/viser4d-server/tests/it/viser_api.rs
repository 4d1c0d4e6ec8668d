//! The viser 1.1.1 API beyond the basics, against the stock client in
//! headless Chromium: each new kind shows in the page, its events reach
//! Rust with the right tab, per-tab elements stay in their tab, a tab
//! renders its view on request, and a plot bound to the timeline moves
//! its cursor with one tab's playback and not another's. Plus `atomic`
//! batches over a plain socket.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use fantoccini::Locator;
use serde_json::{Value as Json, json};
use viser4d_server::gui::{
    CommandOptions, FolderOptions, GuiImageOptions, PanelOptions, Placement, PlotTimeAxis,
    ThemeOptions, UplotOptions, UplotSeries,
};
use viser4d_server::scene::{
    DragButton, EncodedImage, FrameOptions, PointCloudOptions, PointColors, Pose, Skin,
    SkinnedMeshOptions,
};
use viser4d_server::{RenderFormat, RenderOptions};

use crate::browser::{new_client, screenshot_dir};
use crate::support::{self, DEADLINE, WsClient, runtime, wait_until};
use crate::webdriver::{self, ChromeDriver, Tab};

/// Waits until the page's text shows `text`.
async fn wait_for_text(tab: &Tab, text: &str) {
    tab.wait_for(
        &format!("the page to show {text:?}"),
        "return document.body.textContent.includes(arguments[0]);",
        vec![json!(text)],
    )
    .await;
}

async fn has_text(tab: &Tab, text: &str) -> bool {
    tab.eval(
        "return document.body.textContent.includes(arguments[0]);",
        vec![json!(text)],
    )
    .await
        == json!(true)
}

/// Sends `message` from the page, as the client's own handlers do.
async fn send_from_page(tab: &Tab, message: Json) {
    tab.eval(
        "window.__viserMutable.sendMessage(arguments[0]); return true;",
        vec![message],
    )
    .await;
}

async fn save_screenshot(tab: &Tab, name: &str) {
    let png = tab.client.screenshot().await.expect("a screenshot");
    let dir = screenshot_dir();
    std::fs::create_dir_all(&dir).expect("creating target/test-screenshots");
    let path = dir.join(name);
    std::fs::write(&path, &png).expect("saving the screenshot");
    println!("saved {}", path.display());
}

fn recv<T>(rx: &mpsc::Receiver<T>, what: &str) -> T {
    rx.recv_timeout(DEADLINE)
        .unwrap_or_else(|_| panic!("{what} did not reach the Rust callback within {DEADLINE:?}"))
}

#[test]
fn new_gui_kinds_show_in_the_page_and_their_events_reach_rust() {
    let _one_at_a_time = webdriver::exclusive();
    let server = support::server();
    let gui = server.gui();
    gui.configure_theme(ThemeOptions {
        dark_mode: true,
        brand_color: Some([40, 110, 220]),
        ..ThemeOptions::default()
    })
    .expect("theme");
    gui.set_panel_label(Some("Gallery label"))
        .expect("panel label");
    let xs: Vec<f64> = (0..50).map(f64::from).collect();
    let ys: Vec<f64> = xs.iter().map(|x| (x * 0.2).sin()).collect();
    let plot = gui
        .add_uplot(
            &[&xs, &ys],
            &[UplotSeries::default(), UplotSeries::new("sin", "#2f7fe6")],
            UplotOptions {
                title: Some("A chart".into()),
                scales: Some(json!({"x": {"time": false}})),
                ..UplotOptions::default()
            },
        )
        .expect("uplot");
    let pixels = vec![[200, 30, 30]; 32 * 16];
    let image = gui
        .add_image(
            EncodedImage::from_rgb8(32, 16, &pixels).expect("pixels"),
            GuiImageOptions {
                label: Some("An image".into()),
                ..GuiImageOptions::default()
            },
        )
        .expect("image");
    #[cfg(feature = "plotly")]
    gui.add_plotly(
        &json!({"data": [{"type": "bar", "x": ["a", "b"], "y": [2, 3]}], "layout": {"title": {"text": "Bars"}}}),
        viser4d_server::gui::PlotlyOptions::default(),
    )
    .expect("plotly");
    let form = gui
        .add_form("A form", FolderOptions::default())
        .expect("form");
    form.gui()
        .add_text("Name", "", Default::default())
        .expect("text in the form");
    let button = gui
        .add_button("Hold me", Default::default())
        .expect("button");
    let command = gui
        .add_command("Say hello", CommandOptions::default())
        .expect("command");
    let panel = gui.add_panel(PanelOptions::default()).expect("panel");
    panel
        .add_tab("Panel tab")
        .expect("panel tab")
        .gui()
        .add_markdown("Inside the panel", Default::default())
        .expect("markdown in the panel");
    panel.place(Placement::DockLeft).expect("docking");
    let in_scene = server
        .scene()
        .add_3d_gui_container("/gui_in_3d", Pose::default())
        .expect("3D GUI container");
    in_scene
        .gui()
        .add_button("In the scene", Default::default())
        .expect("button in the scene");

    let (submits, submitted) = mpsc::channel();
    form.on_submit(move |e| {
        submits.send(e.client.as_ref().map(|c| c.id())).ok();
    })
    .expect("on_submit");
    let (holds, held) = mpsc::channel();
    button
        .on_hold(20.0, move |e| {
            holds.send((e.client.id(), e.frequency)).ok();
        })
        .expect("on_hold");
    let (triggers, triggered) = mpsc::channel();
    command
        .on_trigger(move |e| {
            triggers.send(e.client.id()).ok();
        })
        .expect("on_trigger");

    let url = server.url();
    let driver = ChromeDriver::start();
    runtime().block_on(async {
        let tab_a = driver.session().await;
        tab_a.open(&url).await;
        let a = new_client(&server, &[]);
        let tab_b = driver.session().await;
        tab_b.open(&url).await;
        let b = new_client(&server, &[a]);
        let client_a = server
            .clients()
            .into_iter()
            .find(|c| c.id() == a)
            .expect("tab a's handle");
        client_a
            .gui()
            .add_markdown("Only in tab A", Default::default())
            .expect("a tab's own element");

        // The 3D panel's elements are not checked in the page: the stock
        // client leaves drei's panel empty in headless Chromium (Python
        // viser 1.1.1's own 3D GUI shows the same); the node and its
        // container are.
        for text in ["Gallery label", "A form", "Hold me", "Panel tab", "Inside the panel", "An image"] {
            wait_for_text(&tab_a, text).await;
        }
        wait_for_text(&tab_a, "Only in tab A").await;
        tab_a
            .wait_for(
                "dark mode",
                "return document.documentElement.getAttribute('data-mantine-color-scheme') === 'dark';",
                vec![],
            )
            .await;
        tab_a
            .wait_for(
                "the image element",
                "return [...document.querySelectorAll('img')].some((i) => i.naturalWidth === 32);",
                vec![],
            )
            .await;
        let chart = format!(
            "const c = window.__viserTestpoints?.uplots?.[{:?}]?.chart;
             return c ? [c.data[0].length, c.scales.x.min, c.scales.x.max, Object.keys(window.__viserTestpoints.uplots)] : null;",
            plot.uuid()
        );
        tab_a
            .wait_until("the uPlot chart with all its samples", &chart, |v| {
                v[0] == json!(50) && v[2] == json!(49)
            })
            .await;
        #[cfg(feature = "plotly")]
        tab_a
            .wait_for(
                "the Plotly figure drawn by plotly.min.js",
                "return !!window.Plotly && document.querySelectorAll('.js-plotly-plot .main-svg').length > 0;",
                vec![],
            )
            .await;
        tab_a
            .wait_for(
                "the 3D GUI node",
                "const m = window.__viserSceneTree.getState()['/gui_in_3d']?.message;
                 return m?.type === 'Gui3DMessage' && m.props.container_uuid === arguments[0];",
                vec![json!(in_scene.container_uuid())],
            )
            .await;
        // Tab B shows the shared GUI but not tab A's own element.
        wait_for_text(&tab_b, "Panel tab").await;
        wait_for_text(&tab_b, "Hold me").await;
        assert!(!has_text(&tab_b, "Only in tab A").await, "a tab's element stayed in its tab");
        assert!(has_text(&tab_a, "Only in tab A").await);

        // Events, each sent by the page as the client's handlers send them.
        send_from_page(&tab_b, json!({"type": "GuiFormSubmitMessage", "uuid": form.uuid()})).await;
        assert_eq!(recv(&submitted, "a form submit"), Some(b));
        send_from_page(
            &tab_a,
            json!({"type": "GuiButtonHoldMessage", "uuid": button.uuid(), "frequency": 20.0}),
        )
        .await;
        assert_eq!(recv(&held, "a button hold"), (a, 20.0));
        send_from_page(&tab_b, json!({"type": "CommandTriggerMessage", "uuid": command.uuid()})).await;
        assert_eq!(recv(&triggered, "a command"), b);

        image
            .set_label(Some("A new caption"))
            .expect("changing the caption");
        wait_for_text(&tab_a, "A new caption").await;
        save_screenshot(&tab_a, "gui_gallery.png").await;
        tab_a.close().await;
        tab_b.close().await;
    });
}

#[test]
fn scene_kinds_show_and_pointer_and_drag_events_reach_rust_and_renders_come_back() {
    let _one_at_a_time = webdriver::exclusive();
    let server = support::server();
    let scene = server.scene();
    scene
        .add_point_cloud(
            "/cloud",
            &support::spiral(20_000, 0.0),
            PointColors::Uniform([255, 0, 0]),
            PointCloudOptions {
                point_size: 0.05,
                ..PointCloudOptions::default()
            },
        )
        .expect("cloud");
    let vertices = [[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]];
    let skin = scene
        .add_mesh_skinned(
            "/skin",
            &vertices,
            &[[0, 1, 2]],
            Skin {
                bone_wxyzs: &[[1.0, 0.0, 0.0, 0.0]; 2],
                bone_positions: &[[0.0; 3], [0.0, 1.0, 0.0]],
                skin_weights: &[1.0, 0.0, 1.0, 0.0, 0.0, 1.0],
            },
            SkinnedMeshOptions::default(),
        )
        .expect("skinned mesh");
    let handle = scene
        .add_frame("/handle", FrameOptions::default())
        .expect("frame");
    let (drags, dragged) = mpsc::channel();
    handle
        .on_drag(DragButton::Left, None, move |e| {
            drags.send((e.client.id(), e.phase)).ok();
        })
        .expect("on_drag");
    let (clicks, clicked) = mpsc::channel();
    scene
        .on_click(None, move |e| {
            clicks.send(e.client.id()).ok();
        })
        .expect("on_click");

    let url = server.url();
    let driver = ChromeDriver::start();
    runtime().block_on(async {
        let tab = driver.session().await;
        tab.open(&url).await;
        let id = new_client(&server, &[]);
        tab.wait_for(
            "the skinned mesh to mount",
            "const m = window.__viserMutable;
             return window.__viserSceneTree.getState()['/skin']?.message?.type === 'SkinnedMeshMessage'
                 && !!m.nodeRefFromName['/skin'];",
            vec![],
        )
        .await;
        skin.bone(1)
            .expect("bone 1")
            .set_position([0.0, 2.0, 0.0])
            .expect("moving a bone");

        // A real click on the canvas.
        let canvas = tab
            .client
            .find(Locator::Css("canvas[data-engine]"))
            .await
            .expect("the canvas");
        let started = Instant::now();
        let click = loop {
            canvas.click().await.expect("clicking the canvas");
            if let Ok(c) = clicked.recv_timeout(Duration::from_secs(1)) {
                break c;
            }
            assert!(started.elapsed() < DEADLINE, "no scene click reached Rust");
        };
        assert_eq!(click, id);

        send_from_page(
            &tab,
            json!({"type": "SceneNodeDragMessage", "phase": "start", "name": "/handle",
                   "instance_index": null, "start_position": [0, 0, 0], "start_screen_pos": [0.5, 0.5],
                   "end_position": [1, 0, 0], "end_screen_pos": [0.6, 0.5],
                   "button": "left", "modifier": null, "owner": ""}),
        )
        .await;
        let (who, phase) = recv(&dragged, "a drag");
        assert_eq!(who, id);
        assert_eq!(phase, viser4d_server::scene::DragPhase::Start);

        // A render of the tab's view, from its own camera.
        let client = server
            .clients()
            .into_iter()
            .find(|c| c.id() == id)
            .expect("the tab");
        wait_until("the tab's camera", || client.camera().is_some());
        let rendered = tokio::task::spawn_blocking(move || {
            client.get_render(
                320,
                240,
                RenderOptions {
                    format: RenderFormat::Png,
                    timeout: Some(DEADLINE),
                    ..RenderOptions::default()
                },
            )
        })
        .await
        .expect("the render thread")
        .expect("a render");
        assert_eq!(rendered.dimensions(), Some((320, 240)));
        let red = red_pixels(&rendered.bytes);
        println!("render: {} bytes, {red} red pixels", rendered.bytes.len());
        assert!(red > 100, "the render shows the red cloud ({red} red pixels)");
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).expect("creating target/test-screenshots");
        std::fs::write(dir.join("get_render.png"), &rendered.bytes).expect("saving the render");

        // Local storage through the real browser.
        let client = server.clients().into_iter().find(|c| c.id() == id).expect("the tab");
        let storage = client.local_storage();
        storage.set_item("viser4d-test", "42").expect("set_item");
        let value = tokio::task::spawn_blocking(move || storage.get_item("viser4d-test", Some(DEADLINE)))
            .await
            .expect("the read thread")
            .expect("get_item");
        assert_eq!(value.as_deref(), Some("42"));

        // A download shows as a notification with the file's name.
        client
            .send_file_download("numbers.csv", b"a,b\n1,2\n".to_vec(), false)
            .expect("send_file_download");
        wait_for_text(&tab, "numbers.csv").await;
        tab.close().await;
    });
}

/// Red pixels of a PNG (the cloud's color).
fn red_pixels(png_bytes: &[u8]) -> usize {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().expect("a PNG render");
    let mut pixels = vec![0; reader.output_buffer_size().expect("a sane size")];
    let info = reader.next_frame(&mut pixels).expect("decoding the PNG");
    let channels = info.color_type.samples();
    pixels
        .chunks_exact(channels)
        .filter(|p| p[0] > 150 && p[1] < 90 && p[2] < 90)
        .count()
}

#[test]
fn a_bound_plot_follows_each_tabs_own_step() {
    let _one_at_a_time = webdriver::exclusive();
    let num_steps = 40;
    let server = support::server_with(|b| {
        b.num_steps(num_steps)
            .fps(10.0)
            .looping(true)
            .playback_speed(2.0)
    });
    let plot = server
        .gui()
        .add_uplot(
            &[&[], &[]],
            &[UplotSeries::default(), UplotSeries::new("value", "#e4572e")],
            UplotOptions {
                title: Some("Synced".into()),
                aspect: 1.6,
                scales: Some(json!({"x": {"time": false}})),
                ..UplotOptions::default()
            },
        )
        .expect("uplot");
    plot.bind_to_timeline(PlotTimeAxis::Step).expect("binding");
    #[cfg(feature = "plotly")]
    let figure = {
        let figure = server
            .gui()
            .add_plotly(
                &json!({"data": [{"x": (0..num_steps).collect::<Vec<_>>(), "y": (0..num_steps).map(|t| t % 7).collect::<Vec<_>>()}]}),
                viser4d_server::gui::PlotlyOptions::default(),
            )
            .expect("plotly");
        figure
            .bind_to_timeline(PlotTimeAxis::Step)
            .expect("binding the figure");
        figure
    };
    let cloud = {
        let _step = server.at(0).expect("step 0");
        server
            .scene()
            .add_point_cloud(
                "/cloud",
                &support::spiral(2_000, 0.0),
                PointColors::Uniform([40, 140, 240]),
                PointCloudOptions::default(),
            )
            .expect("cloud")
    };
    for t in 0..num_steps {
        let _step = server.at(t).expect("a step");
        cloud
            .set_points(&support::spiral(2_000, t as f32 * 0.1))
            .expect("points");
        plot.push_at_step(&[f64::from(t).sin()])
            .expect("a sample at the step");
    }
    assert!(plot.push_at_step(&[0.0]).is_err(), "outside a step");

    let url = server.url();
    let driver = ChromeDriver::start();
    runtime().block_on(async {
        let tab_a = driver.session().await;
        tab_a.open(&url).await;
        let a = new_client(&server, &[]);
        let tab_b = driver.session().await;
        tab_b.open(&url).await;
        let b = new_client(&server, &[a]);
        let cursor = "return (window.__viser4dPlotCursors ?? {})[arguments[0]] ?? null;";
        for tab in [&tab_a, &tab_b] {
            tab.wait_for(
                "the cursor at step 0",
                "const v = (window.__viser4dPlotCursors ?? {})[arguments[0]]; return v === 0 ? true : null;",
                vec![json!(plot.uuid())],
            )
            .await;
        }
        // New tabs start with the builder's loop and speed.
        let stats = crate::playback::stats(&tab_b).await;
        assert_eq!(stats["loop"], json!(true), "{stats}");
        assert_eq!(stats["speed"].as_f64(), Some(2.0), "{stats}");

        server.client_playback(a).expect("tab a").play(None).expect("play tab a");
        let started = Instant::now();
        let last = loop {
            let step = tab_a.eval(cursor, vec![json!(plot.uuid())]).await.as_u64().unwrap_or(0);
            if step >= 5 {
                break step;
            }
            assert!(started.elapsed() < DEADLINE, "tab a's cursor stayed at {step}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        println!("tab a's cursor reached step {last}");
        let b_step = tab_b.eval(cursor, vec![json!(plot.uuid())]).await;
        assert_eq!(b_step, json!(0), "tab b's cursor stays where tab b is");
        #[cfg(feature = "plotly")]
        {
            // The Plotly figure's line follows tab a too (a layout shape).
            tab_a
                .wait_until(
                    "the Plotly cursor past step 0",
                    &format!(
                        "return (window.__viser4dPlotCursors ?? {{}})[{:?}] ?? null;",
                        figure.uuid()
                    ),
                    |v| v.as_u64().is_some_and(|s| s > 0),
                )
                .await;
            // Tab b's line is drawn at its own step, 0.
            tab_b
                .wait_until(
                    "tab b's Plotly line at step 0",
                    "const gd = [...document.querySelectorAll('.js-plotly-plot')][0];
                     const s = (gd?.layout?.shapes ?? []).find((s) => s.name === 'viser4d-cursor');
                     return s ? s.x0 : null;",
                    |v| v == &json!(0),
                )
                .await;
        }
        let x = tab_a
            .eval(
                "const l = document.querySelector('[data-viser4d-cursor]'); return l ? parseFloat(l.style.left) : null;",
                vec![],
            )
            .await;
        assert!(x.as_f64().is_some_and(|x| x > 0.0), "the line moved right: {x}");
        server.client_playback(a).expect("tab a").pause().expect("pause");
        assert!(server.client_playbacks().contains_key(&b), "playbacks are keyed by tab id");
        save_screenshot(&tab_a, "synced_plot.png").await;
        tab_a.close().await;
        tab_b.close().await;
    });
}

/// Calls inside `atomic()` reach a tab in one frame, even with a pause
/// between them that would otherwise split them.
#[test]
fn an_atomic_batch_arrives_in_one_frame() {
    let server = support::server();
    let port = server.port();
    runtime().block_on(async {
        let mut tab = WsClient::connect(port).await;
        tab.replay().await;
        let names_in_next_frame = |frame: viser4d_proto::Frame| -> Vec<String> {
            support::created_nodes(&frame.messages)
        };
        // Without a batch, a pause splits the two.
        server
            .scene()
            .add_frame("/loose/a", FrameOptions::default())
            .expect("a");
        std::thread::sleep(Duration::from_millis(100));
        server
            .scene()
            .add_frame("/loose/b", FrameOptions::default())
            .expect("b");
        let first = names_in_next_frame(tab.frame().await);
        assert!(
            first.contains(&"/loose/a".to_owned()) && !first.contains(&"/loose/b".to_owned()),
            "{first:?}"
        );
        let second = names_in_next_frame(tab.frame().await);
        assert!(second.contains(&"/loose/b".to_owned()), "{second:?}");

        {
            let _batch = server.atomic();
            server
                .scene()
                .add_frame("/batch/a", FrameOptions::default())
                .expect("a");
            std::thread::sleep(Duration::from_millis(100));
            server
                .scene()
                .add_frame("/batch/b", FrameOptions::default())
                .expect("b");
        }
        let frame = names_in_next_frame(tab.frame().await);
        assert!(
            frame.contains(&"/batch/a".to_owned()) && frame.contains(&"/batch/b".to_owned()),
            "one frame holds the whole batch: {frame:?}"
        );
        server.flush().expect("flush");
    });
}
