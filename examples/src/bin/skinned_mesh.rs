//! An animated skinned mesh on the timeline: a tube of rings bent by a
//! chain of bones, one pose per step, recorded with `at(t)`. Every tab
//! plays it on its own.
//!
//! `cargo run -p viser4d-examples --bin skinned_mesh -- [PORT]`

use std::f32::consts::TAU;

use viser4d::Server;
use viser4d::scene::{Skin, SkinnedMeshOptions};

const BONES: usize = 6;
const RINGS: usize = 30;
const SIDES: usize = 16;
const LENGTH: f32 = 3.0;
const STEPS: u32 = 120;

fn main() -> anyhow::Result<()> {
    let port = viser4d_examples::init()?;
    let server = Server::builder()
        .port(port)
        .num_steps(STEPS)
        .fps(30.0)
        .looping(true)
        .start()?;

    // A tube along +Z: rings of vertices, each weighted to the two bones
    // nearest its height.
    let mut vertices = Vec::new();
    let mut weights = Vec::new();
    for r in 0..RINGS {
        let z = r as f32 / (RINGS - 1) as f32 * LENGTH;
        let at = z / LENGTH * (BONES - 1) as f32;
        for s in 0..SIDES {
            let a = s as f32 / SIDES as f32 * TAU;
            vertices.push([0.2 * a.cos(), 0.2 * a.sin(), z]);
            let mut row = [0.0f32; BONES];
            let below = (at.floor() as usize).min(BONES - 1);
            let above = (below + 1).min(BONES - 1);
            let t = at - below as f32;
            row[below] += 1.0 - t;
            row[above] += t;
            weights.extend_from_slice(&row);
        }
    }
    let mut faces = Vec::new();
    for r in 0..RINGS - 1 {
        for s in 0..SIDES {
            let a = (r * SIDES + s) as u32;
            let b = (r * SIDES + (s + 1) % SIDES) as u32;
            let (c, d) = (a + SIDES as u32, b + SIDES as u32);
            faces.push([a, b, d]);
            faces.push([a, d, c]);
        }
    }
    let rest: Vec<[f32; 3]> = (0..BONES)
        .map(|i| [0.0, 0.0, i as f32 / (BONES - 1) as f32 * LENGTH])
        .collect();
    let identity = vec![[1.0, 0.0, 0.0, 0.0]; BONES];

    let mesh = {
        let _step = server.at(0)?;
        server.scene().add_mesh_skinned(
            "/tentacle",
            &vertices,
            &faces,
            Skin {
                bone_wxyzs: &identity,
                bone_positions: &rest,
                skin_weights: &weights,
            },
            SkinnedMeshOptions {
                color: [230, 120, 60],
                ..SkinnedMeshOptions::default()
            },
        )?
    };
    // Each bone bends about X, more toward the tip and later in a wave.
    for t in 0..STEPS {
        let _step = server.at(t)?;
        let phase = t as f32 / STEPS as f32 * TAU;
        let mut position = [0.0f64; 3];
        let mut angle = 0.0f32;
        for (i, bone) in mesh.bones().iter().enumerate() {
            let bend = 0.35 * (phase + i as f32 * 0.8).sin() * (i as f32 / BONES as f32);
            angle += bend;
            let half = angle / 2.0;
            bone.set_wxyz([f64::from(half.cos()), f64::from(half.sin()), 0.0, 0.0])?;
            bone.set_position(position)?;
            // The next bone starts one segment further along the bent chain.
            let segment = f64::from(LENGTH) / (BONES - 1) as f64;
            position[1] -= segment * f64::from(angle.sin());
            position[2] += segment * f64::from(angle.cos());
        }
    }

    println!("open {}", server.url());
    server.sleep_forever();
}
