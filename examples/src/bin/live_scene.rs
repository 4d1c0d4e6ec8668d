//! A live scene: a point cloud, a mesh-like grid of frames, and a GUI
//! slider that drives a node. Open the printed URL in a browser.
//!
//! `cargo run -p viser4d-examples --bin live_scene -- [PORT]`

use std::f32::consts::TAU;

use viser4d::Server;
use viser4d::scene::{
    BoxOptions, FrameOptions, GridOptions, IcosphereOptions, LabelOptions, PointCloudOptions,
    PointColors, Pose,
};

fn main() -> anyhow::Result<()> {
    let port = viser4d_examples::init()?;
    let server = Server::builder().port(port).start()?;

    // A spiral of 20,000 points, colored by height.
    let n = 20_000;
    let points: Vec<[f32; 3]> = (0..n)
        .map(|i| {
            let t = i as f32 / n as f32;
            let angle = t * TAU * 8.0;
            [angle.cos() * (0.2 + t), angle.sin() * (0.2 + t), t * 2.0]
        })
        .collect();
    let colors: Vec<[u8; 3]> = (0..n)
        .map(|i| [(255 * i / n) as u8, 80, (255 - 255 * i / n) as u8])
        .collect();
    let options = PointCloudOptions {
        point_size: 0.02,
        ..PointCloudOptions::default()
    };
    server
        .scene()
        .add_point_cloud("/spiral", &points, PointColors::PerPoint(&colors), options)?;

    // A ground grid, two solids and a label.
    server.scene().add_grid("/ground", GridOptions::default())?;
    let box_options = BoxOptions {
        color: [60, 140, 220],
        dimensions: [0.4, 0.4, 0.4],
        pose: Pose::at([-1.5, 0.0, 0.2]),
        ..BoxOptions::default()
    };
    server.scene().add_box("/box", box_options)?;
    let sphere_options = IcosphereOptions {
        radius: 0.25,
        color: [240, 160, 40],
        pose: Pose::at([-1.5, 1.0, 0.25]),
        ..IcosphereOptions::default()
    };
    server.scene().add_icosphere("/sphere", sphere_options)?;
    let label_options = LabelOptions {
        pose: Pose::at([0.0, 0.0, 2.2]),
        ..LabelOptions::default()
    };
    server
        .scene()
        .add_label("/title", "viser4d-rs live scene", label_options)?;

    // A small kinematic chain of frames.
    let scene = server.scene();
    let base = scene.add_frame(
        "/robot",
        FrameOptions {
            pose: Pose::at([1.5, 0.0, 0.0]),
            ..FrameOptions::default()
        },
    )?;
    let arm = scene.add_frame(
        "/robot/arm",
        FrameOptions {
            pose: Pose::at([0.0, 0.0, 0.5]),
            ..FrameOptions::default()
        },
    )?;
    scene.add_frame(
        "/robot/arm/hand",
        FrameOptions {
            pose: Pose::at([0.0, 0.0, 0.5]),
            ..FrameOptions::default()
        },
    )?;

    // A slider turns the arm about z.
    let gui = server.gui();
    let slider = gui.add_slider("Arm angle", -180.0, 180.0, 1.0, 0.0, Default::default())?;
    let arm_handle = arm.clone();
    slider.on_update(move |event| {
        let half = event.value.to_radians() / 2.0;
        if let Err(error) = arm_handle.set_wxyz([half.cos(), 0.0, 0.0, half.sin()]) {
            tracing::warn!(%error, "cannot turn the arm");
        }
        tracing::info!(
            client = event.client.id(),
            angle = event.value,
            "arm angle set"
        );
    })?;
    let button = gui.add_button("Hide robot", Default::default())?;
    button.on_click(move |_| {
        let visible = base.visible().unwrap_or(true);
        base.set_visible(!visible).ok();
    })?;

    server.on_client_connect(|client| tracing::info!(id = client.id(), "tab connected"));
    println!("viser4d live scene at {}", server.url());
    server.sleep_forever()
}
