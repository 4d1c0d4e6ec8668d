//! What the command's tests share: a deadline, a runtime for the browser
//! driver, and a small recording made with the server's API.

use std::time::Duration;

use viser4d_server::Server;
use viser4d_server::scene::{PointCloudOptions, PointColors};

/// How long any single wait may take before the test fails.
pub const DEADLINE: Duration = Duration::from_secs(30);

/// A runtime for the browser driver.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime for the test clients")
}

/// A server on loopback with `num_steps` recorded steps of a moving cloud.
pub fn recorded(num_steps: u32, fps: f64) -> Server {
    let server = Server::builder()
        .host("127.0.0.1")
        .port(0)
        .num_steps(num_steps)
        .fps(fps)
        .start()
        .expect("a server");
    let points = |t: u32| vec![[t as f32 * 0.1, 0.0, 0.0], [0.0, 1.0, 0.0]];
    let cloud = {
        let _step = server.at(0).expect("step 0");
        server
            .scene()
            .add_point_cloud(
                "/cloud",
                &points(0),
                PointColors::Uniform([255, 0, 0]),
                PointCloudOptions::default(),
            )
            .expect("adding the cloud")
    };
    for t in 1..num_steps {
        let _step = server.at(t).expect("a step");
        cloud.set_points(&points(t)).expect("setting points");
    }
    server
}
