//! Frame encoding against the floor: a plain copy of the same bytes.
//! `cargo xtask bench` reads these as `frame_encode/{pointcloud_1m,memcpy_1m}`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use viser4d_proto::messages::{
    Message, PointCloudMessage, PointCloudProps, PointCloudPropsPointShading,
    PointCloudPropsPointShape, PointCloudPropsPrecision, Scale,
};
use viser4d_proto::{FrameEncoder, TypedArray};

const POINTS: usize = 1_000_000;

fn cloud() -> Message {
    let mut state = 42u64;
    let mut next = move || {
        // splitmix64: deterministic, no dependency.
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    let positions: Vec<[f32; 3]> = (0..POINTS)
        .map(|_| [0, 1, 2].map(|_| (next() % 10_000) as f32 / 1000.0))
        .collect();
    let colors: Vec<[u8; 3]> = (0..POINTS)
        .map(|_| [0, 1, 2].map(|_| next() as u8))
        .collect();
    Message::from(PointCloudMessage {
        name: "/cloud".into(),
        owner: String::new(),
        r#virtual: false,
        props: PointCloudProps {
            points: TypedArray::from_vec3_f32(&positions),
            colors: TypedArray::from_rgb_u8(&colors),
            point_size: 0.01,
            point_shape: PointCloudPropsPointShape::Square,
            precision: PointCloudPropsPrecision::Float32,
            scale: Scale::Uniform(1.0),
            point_shading: PointCloudPropsPointShading::Flat,
        },
    })
}

fn bench(c: &mut Criterion) {
    let message = cloud();
    let Message::PointCloudMessage(pc) = &message else {
        unreachable!("built above")
    };
    let arrays = [
        pc.props.points.bytes().clone(),
        pc.props.colors.bytes().clone(),
    ];
    let total: usize = arrays.iter().map(|a| a.len()).sum();

    let mut group = c.benchmark_group("frame_encode");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(4))
        .throughput(Throughput::Bytes(total as u64));
    let mut encoder = FrameEncoder::new();
    group.bench_function("pointcloud_1m", |b| {
        b.iter(|| {
            black_box(
                encoder
                    .encode(std::slice::from_ref(&message), 0.0)
                    .expect("encodes"),
            )
        })
    });
    group.bench_function("memcpy_1m", |b| {
        b.iter(|| {
            let mut out = Vec::with_capacity(total);
            for a in &arrays {
                out.extend_from_slice(a);
            }
            black_box(out)
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
