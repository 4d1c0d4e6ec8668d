//! Upstream's own workloads (300 objects x 180 steps; 200 x 512), so `cargo xtask bench` can put
//! our times next to upstream's figures.
//!
//! - `heavy`: 300 frames created at step 0 at random positions; at each of
//!   180 steps every frame gets a new position, a new wxyz and a visibility
//!   flag; every 4th step 30 "churn" frames are removed and re-created with
//!   a new position. `very_heavy`: 600 frames, 240 steps, 40 churn.
//! - `build`: record every step and encode every block.
//! - `seek_forward`: a fresh cursor moves through every step from step 0,
//!   the client holding the decoded blocks (upstream: "seeking forward while
//!   keeping a block"). `seek_forward_decoding`: the same, decoding each
//!   block from its bytes when entering it.
//! - `random_seeks_200`: 200 random steps (seed 42); each seek decodes the
//!   target block (no client-side block cache) and moves the cursor there.
//! - `encode_range`: encode every block of a recorded store whose block
//!   cache was emptied.
//! - `timeline_cold_seek`: 200 frames x 512 steps (churn 20), seek a fresh
//!   cursor to the first step of the first or last block. `first_block` and
//!   `last_block`: the store is recorded (checkpoints folded, as after
//!   `build`) but holds no encoded block, so the seek encodes the block,
//!   decodes it and moves the cursor. `*_client_cold`: the server still
//!   holds the encoded block; only the client is empty.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use serde::{Deserialize, Serialize};
use viser4d_timeline::{Block, Cursor, Key, NodeName, Op, Payload, Store, StoreConfig};

/// A frame message, roughly: what each key of the workload stores.
#[derive(Clone, Copy, PartialEq, Debug, Serialize, Deserialize)]
struct FrameMsg {
    position: [f32; 3],
    wxyz: [f32; 4],
    visible: bool,
}

impl Payload for FrameMsg {
    fn size_bytes(&self) -> usize {
        0
    }
}

/// splitmix64: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn unit(&mut self) -> f32 {
        (self.next() >> 40) as f32 / (1u64 << 24) as f32
    }

    fn below(&mut self, n: u32) -> u32 {
        (self.next() % u64::from(n)) as u32
    }

    fn frame(&mut self) -> FrameMsg {
        FrameMsg {
            position: [self.unit(), self.unit(), self.unit()],
            wxyz: [self.unit(), self.unit(), self.unit(), self.unit()],
            visible: self.next() & 1 == 1,
        }
    }
}

#[derive(Clone, Copy)]
struct Workload {
    frames: u32,
    steps: u32,
    churn: u32,
}

const HEAVY: Workload = Workload {
    frames: 300,
    steps: 180,
    churn: 30,
};
const VERY_HEAVY: Workload = Workload {
    frames: 600,
    steps: 240,
    churn: 40,
};
const COLD: Workload = Workload {
    frames: 200,
    steps: 512,
    churn: 20,
};

/// Keys built once, as a server would keep them per handle.
struct FrameKeys {
    name: NodeName,
    create: Key,
    position: Key,
    wxyz: Key,
    visible: Key,
}

fn keys(frames: u32) -> Vec<FrameKeys> {
    (0..frames)
        .map(|i| {
            let name = format!("/frames/{i}");
            FrameKeys {
                name: NodeName::new(&name).expect("valid"),
                create: Key::create(&name).expect("valid"),
                position: Key::prop(&name, "position").expect("valid"),
                wxyz: Key::prop(&name, "wxyz").expect("valid"),
                visible: Key::node_message("SetSceneNodeVisibilityMessage", &name).expect("valid"),
            }
        })
        .collect()
}

fn record(w: Workload, keys: &[FrameKeys]) -> Store<FrameMsg> {
    let mut rng = Rng(42);
    let mut store = Store::with_config(w.steps, StoreConfig::default()).expect("valid config");
    let mut ops = Vec::new();
    for step in 0..w.steps {
        if step == 0 {
            ops.extend(keys.iter().map(|k| Op::Put(k.create.clone(), rng.frame())));
        } else if step % 4 == 0 {
            for _ in 0..w.churn {
                let k = &keys[rng.below(w.frames) as usize];
                ops.push(Op::RemoveNode(k.name.clone()));
                ops.push(Op::Put(k.create.clone(), rng.frame()));
            }
        }
        for k in keys {
            let msg = rng.frame();
            ops.push(Op::Put(k.position.clone(), msg));
            ops.push(Op::Put(k.wxyz.clone(), msg));
            ops.push(Op::Put(k.visible.clone(), msg));
        }
        store.record_all(step, ops.drain(..)).expect("in range");
    }
    store
}

fn encode_all(store: &mut Store<FrameMsg>) -> usize {
    (0..store.num_blocks())
        .map(|k| store.encoded_block(k).expect("encodes").len())
        .sum()
}

fn bench_workload(c: &mut Criterion, group_name: &str, w: Workload) {
    let keys = keys(w.frames);
    let mut store = record(w, &keys);
    encode_all(&mut store);
    let encoded: Vec<_> = (0..store.num_blocks())
        .map(|k| store.encoded_block(k).expect("encodes"))
        .collect();
    let bs = store.block_size();

    let mut group = c.benchmark_group(group_name);
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));

    group.bench_function("build", |b| {
        b.iter(|| {
            let mut store = record(w, &keys);
            black_box(encode_all(&mut store))
        })
    });

    // The client holds the decoded blocks ("while keeping a block").
    let decoded: Vec<Block<FrameMsg>> = encoded
        .iter()
        .map(|bytes| {
            let block = Block::decode_shared(bytes.clone()).expect("decodes");
            block.deltas().expect("decodes");
            block
        })
        .collect();
    group.bench_function("seek_forward", |b| {
        b.iter(|| {
            let mut cursor = Cursor::new();
            let mut messages = 0;
            for step in 0..w.steps {
                let block = &decoded[(step / bs) as usize];
                messages += cursor.seek(block, step).expect("in block").len();
            }
            black_box(messages)
        })
    });

    // The same, decoding each block from its bytes on entering it.
    group.bench_function("seek_forward_decoding", |b| {
        b.iter(|| {
            let mut cursor = Cursor::new();
            let mut block: Option<Block<FrameMsg>> = None;
            let mut messages = 0;
            for step in 0..w.steps {
                let k = step / bs;
                if block.as_ref().is_none_or(|b| b.index() != k) {
                    let bytes = encoded[k as usize].clone();
                    block = Some(Block::decode_shared(bytes).expect("decodes"));
                }
                if let Some(block) = &block {
                    messages += cursor.seek(block, step).expect("in block").len();
                }
            }
            black_box(messages)
        })
    });

    let mut rng = Rng(42);
    let targets: Vec<u32> = (0..200).map(|_| rng.below(w.steps)).collect();
    group.bench_function("random_seeks_200", |b| {
        b.iter(|| {
            let mut cursor = Cursor::<FrameMsg>::new();
            let mut messages = 0;
            for &step in &targets {
                let bytes = encoded[(step / bs) as usize].clone();
                let block = Block::decode_shared(bytes).expect("decodes");
                messages += cursor.seek(&block, step).expect("in block").len();
            }
            black_box(messages)
        })
    });

    group.bench_function("encode_range", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                store.drop_encoded_cache();
                let start = Instant::now();
                black_box(encode_all(&mut store));
                total += start.elapsed();
            }
            total
        })
    });
    group.finish();
}

fn heavy(c: &mut Criterion) {
    bench_workload(c, "timeline_heavy", HEAVY);
}

fn very_heavy(c: &mut Criterion) {
    bench_workload(c, "timeline_very_heavy", VERY_HEAVY);
}

fn cold_seek(c: &mut Criterion) {
    let keys = keys(COLD.frames);
    let mut store = record(COLD, &keys);
    encode_all(&mut store);
    let last = store.num_blocks() - 1;

    let mut group = c.benchmark_group("timeline_cold_seek");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    // `first_block`/`last_block`: nothing cached anywhere (the server encodes
    // the block). `*_client_cold`: the server holds the encoded block, as it
    // does after `build`; only the client starts empty.
    for (name, k, server_cold) in [
        ("first_block", 0, true),
        ("last_block", last, true),
        ("first_block_client_cold", 0, false),
        ("last_block_client_cold", last, false),
    ] {
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    if server_cold {
                        store.drop_encoded_cache();
                    } else {
                        store.encoded_block(k).expect("encodes");
                    }
                    let start = Instant::now();
                    let bytes = store.encoded_block(k).expect("encodes");
                    let block = Block::<FrameMsg>::decode_shared(bytes).expect("decodes");
                    let mut cursor = Cursor::new();
                    black_box(
                        cursor
                            .seek(&block, block.first_step())
                            .expect("in block")
                            .len(),
                    );
                    total += start.elapsed();
                }
                total
            })
        });
    }
    group.finish();
}

criterion_group!(benches, heavy, very_heavy, cold_seek);
criterion_main!(benches);
