//! The recording workloads the export and record benchmarks share: the
//! heavy scene (300 frames x 180 steps) and 300 steps of a 200,000-point
//! cloud, recorded through the server API as a user's program would.

use viser4d_server::Server;
use viser4d_server::scene::{FrameHandle, FrameOptions, PointCloudOptions, PointColors};

pub const CLOUD_STEPS: u32 = 300;
pub const CLOUD_POINTS: usize = 200_000;

pub fn server(num_steps: u32) -> Server {
    match Server::builder()
        .host("127.0.0.1")
        .port(0)
        .num_steps(num_steps)
        .fps(30.0)
        .start()
    {
        Ok(s) => s,
        Err(e) => panic!("cannot start a server (run `cargo xtask dist`): {e}"),
    }
}

pub fn heavy() -> Server {
    let server = server(180);
    let add = |i: usize| -> FrameHandle {
        server
            .scene()
            .add_frame(&format!("/frames/f{i}"), FrameOptions::default())
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let mut seed = 42u64;
    let mut rand = move || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut frames: Vec<FrameHandle> = {
        let _t = server.at(0).unwrap_or_else(|e| panic!("{e}"));
        (0..300).map(add).collect()
    };
    for t in 0..180 {
        let _t = server.at(t).unwrap_or_else(|e| panic!("{e}"));
        if t % 4 == 3 {
            for (i, f) in frames.iter_mut().enumerate().take(30) {
                f.remove().unwrap_or_else(|e| panic!("{e}"));
                *f = add(i);
            }
        }
        for f in &frames {
            let ok = f
                .set_position([rand() * 10.0 - 5.0, rand() * 10.0 - 5.0, rand() * 4.0])
                .and_then(|()| {
                    let h = rand() * std::f64::consts::PI;
                    f.set_wxyz([h.cos(), 0.0, 0.0, h.sin()])
                })
                .and_then(|()| f.set_visible(rand() > 0.1));
            ok.unwrap_or_else(|e| panic!("{e}"));
        }
    }
    server
}

pub fn points() -> Server {
    points_from(&clouds())
}

/// The 300 clouds `points` records, computed up front so a benchmark of
/// recording does not time their making.
pub fn clouds() -> Vec<Vec<[f32; 3]>> {
    (0..CLOUD_STEPS).map(cloud_at).collect()
}

/// The cloud of step `t`.
pub fn cloud_at(t: u32) -> Vec<[f32; 3]> {
    (0..CLOUD_POINTS)
        .map(|i| {
            let a = i as f32 * 0.001 + t as f32 * 0.01;
            [
                a.cos() * (1.0 + i as f32 * 1e-6),
                a.sin(),
                (i % 1000) as f32 * 1e-3,
            ]
        })
        .collect()
}

/// 300 steps of the given clouds.
pub fn points_from(clouds: &[Vec<[f32; 3]>]) -> Server {
    let server = server(clouds.len() as u32);
    let Some((first, rest)) = clouds.split_first() else {
        return server;
    };
    let cloud = {
        let _t = server.at(0).unwrap_or_else(|e| panic!("{e}"));
        server
            .scene()
            .add_point_cloud(
                "/cloud",
                first,
                PointColors::Uniform([200, 80, 0]),
                PointCloudOptions::default(),
            )
            .unwrap_or_else(|e| panic!("{e}"))
    };
    for (t, points) in rest.iter().enumerate() {
        let _t = server.at(t as u32 + 1).unwrap_or_else(|e| panic!("{e}"));
        cloud.set_points(points).unwrap_or_else(|e| panic!("{e}"));
    }
    server
}
