//! The runtime's controller on the host: the same code the browser runs,
//! driven by a fake page with a hand-moved clock.

use bytes::Bytes;
use viser4d_proto::TypedArray;
use viser4d_proto::timeline::{
    ClientMessage, ServerMessage, TimelineBlock, TimelineConfigure, TimelinePlay,
};
use viser4d_runtime_wasm::controller::{Controller, SceneOut, Sink};
use viser4d_timeline::{Key, Store, StoreConfig};

#[derive(Default)]
struct FakePage {
    now: f64,
    scene: Vec<SceneOut>,
    sent: Vec<ClientMessage>,
}

impl Sink for FakePage {
    fn now_ms(&self) -> f64 {
        self.now
    }
    fn push_scene(&mut self, messages: Vec<SceneOut>) {
        self.scene.extend(messages);
    }
    fn send(&mut self, message: ClientMessage) {
        self.sent.push(message);
    }
}

impl FakePage {
    fn take_requests(&mut self) -> Vec<u32> {
        let requests = self
            .sent
            .iter()
            .filter_map(|m| match m {
                ClientMessage::TimelineBlockRequest(r) => Some(r.index),
                _ => None,
            })
            .collect();
        self.sent.clear();
        requests
    }
}

/// A timeline whose step `t` puts payload "t" under one key.
fn store(num_steps: u32, block_size: u32) -> Store<Bytes> {
    let config = StoreConfig::default().block_size(block_size);
    let mut store = Store::with_config(num_steps, config).expect("a store");
    let key = Key::create("/n").expect("a key");
    for t in 0..num_steps {
        store
            .put(t, key.clone(), Bytes::from(t.to_string()))
            .expect("recording");
    }
    store
}

fn configure(num_steps: u32, block_size: u32, cache_bytes: u64) -> ServerMessage {
    TimelineConfigure {
        num_steps,
        first_step: 0,
        standalone: false,
        fps: 10.0,
        block_size,
        cache_bytes,
        block_bytes: Vec::new(),
        global_defaults: Vec::new(),
    }
    .into()
}

fn block(store: &mut Store<Bytes>, index: u32) -> ServerMessage {
    TimelineBlock {
        index,
        revision: store.block_revision(index).expect("a revision"),
        audio_revision: 0,
        data: TypedArray::from_u8(store.encoded_block(index).expect("encoded")),
        audio: Vec::new(),
    }
    .into()
}

fn shown_payloads(page: &mut FakePage) -> Vec<String> {
    page.scene
        .drain(..)
        .filter_map(|m| match m {
            SceneOut::Packed(b) => Some(String::from_utf8_lossy(&b).into_owned()),
            SceneOut::Remove(_) => None,
        })
        .collect()
}

#[test]
fn plays_every_crossed_step_in_order_and_prefetches_one_block_ahead() {
    let mut store = store(40, 8);
    let mut c = Controller::new();
    let mut page = FakePage::default();
    c.handle(configure(40, 8, 1 << 20), &mut page);
    assert_eq!(page.take_requests(), vec![0], "the block of step 0");
    c.handle(block(&mut store, 0), &mut page);
    assert_eq!(shown_payloads(&mut page), ["0"]);
    page.sent.clear();

    c.handle(
        TimelinePlay {
            speed: Some(2.0),
            r#loop: None,
        }
        .into(),
        &mut page,
    );
    page.now = 250.0; // 20 steps/s: steps 1..=5
    c.tick(&mut page);
    assert_eq!(shown_payloads(&mut page), ["1", "2", "3", "4", "5"]);
    let commits: Vec<u32> = page
        .sent
        .iter()
        .filter_map(|m| match m {
            ClientMessage::TimelineTimestep(t) => Some(t.step),
            _ => None,
        })
        .collect();
    assert_eq!(commits, [1, 2, 3, 4, 5]);
    assert_eq!(page.take_requests(), vec![1], "one speculative block ahead");
    c.tick(&mut page);
    assert!(page.take_requests().is_empty(), "only one in flight");

    // Step 8 needs block 1: the clock holds at 7 until it arrives.
    page.now = 500.0;
    c.tick(&mut page);
    assert_eq!(shown_payloads(&mut page), ["6", "7"]);
    assert_eq!(c.shown(), Some(7));
    c.handle(block(&mut store, 1), &mut page);
    assert!(shown_payloads(&mut page).is_empty());
    page.now = 550.0; // 50 ms later: one step on from the held one
    c.tick(&mut page);
    assert_eq!(
        shown_payloads(&mut page),
        ["8"],
        "resumes from the held step"
    );
}

#[test]
fn a_seek_far_away_fetches_only_its_block_and_evicts_within_budget() {
    let mut store = store(64, 8);
    let mut c = Controller::new();
    let mut page = FakePage::default();
    let size = store.encoded_block(0).expect("encoded").len() as u64;
    // Room for one block and a bit.
    c.handle(configure(64, 8, size + size / 2), &mut page);
    page.take_requests();
    c.handle(block(&mut store, 0), &mut page);
    shown_payloads(&mut page);

    c.seek(63, &mut page);
    assert_eq!(page.take_requests(), vec![7]);
    c.handle(block(&mut store, 7), &mut page);
    assert_eq!(
        shown_payloads(&mut page),
        ["63"],
        "a diff: only what differs"
    );
    let discards: Vec<u32> = page
        .sent
        .iter()
        .filter_map(|m| match m {
            ClientMessage::TimelineBlockDiscard(d) => Some(d.index),
            _ => None,
        })
        .collect();
    assert_eq!(discards, [0], "block 0 evicted and the server told");
    assert_eq!(c.cache().len(), 1);
    assert_eq!(c.stats().block_requests, 2);
}

#[test]
fn a_long_stall_applies_every_step_in_bounded_ticks_instead_of_skipping() {
    use viser4d_runtime_wasm::controller::MAX_STEPS_PER_TICK;
    let steps = 2 * MAX_STEPS_PER_TICK + 40;
    let mut store = store(steps, 64);
    let mut c = Controller::new();
    let mut page = FakePage::default();
    c.handle(configure(steps, 64, 1 << 30), &mut page);
    for index in 0..store.num_blocks() {
        c.handle(block(&mut store, index), &mut page);
    }
    shown_payloads(&mut page);
    c.handle(
        TimelinePlay {
            speed: None,
            r#loop: None,
        }
        .into(),
        &mut page,
    );
    // The page froze for a minute: the clock is 600 steps on. One frame
    // applies at most MAX_STEPS_PER_TICK steps and holds the clock there.
    page.now = 60_000.0;
    c.tick(&mut page);
    let first = shown_payloads(&mut page);
    let expected: Vec<String> = (1..=MAX_STEPS_PER_TICK).map(|t| t.to_string()).collect();
    assert_eq!(first, expected, "the first frame: steps 1..=256, in order");
    assert_eq!(c.shown(), Some(MAX_STEPS_PER_TICK));
    // More stalls: it goes on from where it was, never skipping.
    let mut rest = Vec::new();
    for _ in 0..5 {
        page.now += 60_000.0;
        c.tick(&mut page);
        rest.extend(shown_payloads(&mut page));
    }
    let expected: Vec<String> = (MAX_STEPS_PER_TICK + 1..steps)
        .map(|t| t.to_string())
        .collect();
    assert_eq!(rest, expected);
    assert_eq!(c.shown(), Some(steps - 1));
}
