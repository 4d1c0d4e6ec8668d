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

#[test]
fn a_configuration_out_of_bounds_is_refused_before_anything_is_sized_from_it() {
    // A crafted recording: four billion one-step blocks would be 64 GB of
    // block sizes before a single step is shown.
    let hostile = [
        (u32::MAX, 1, 0, 10.0),
        (0, 32, 0, 10.0),
        (100, 0, 0, 10.0),
        (100, 32, 100, 10.0),
        (100, 32, 0, f64::NAN),
    ];
    for (num_steps, block_size, first_step, fps) in hostile {
        let mut page = FakePage::default();
        let mut controller = Controller::new();
        let configure = TimelineConfigure {
            num_steps,
            first_step,
            standalone: false,
            fps,
            block_size,
            cache_bytes: 1 << 20,
            block_bytes: Vec::new(),
            global_defaults: Vec::new(),
        };
        controller.handle(configure.into(), &mut page);
        assert!(
            !controller.configured(),
            "{num_steps}/{block_size}/{first_step}/{fps}"
        );
        let reason = controller.refused().unwrap_or_default();
        assert!(reason.contains("invalid"), "{reason}");
        assert!(page.take_requests().is_empty(), "nothing fetched");
    }
    // A valid configure afterwards plays again.
    let mut page = FakePage::default();
    let mut controller = Controller::new();
    controller.handle(configure(u32::MAX, 1, 1 << 20), &mut page);
    controller.handle(configure(10, 4, 1 << 20), &mut page);
    assert!(controller.configured() && controller.refused().is_none());
}

#[test]
fn a_server_of_another_protocol_revision_is_named_and_nothing_plays() {
    use viser4d_proto::timeline::{PROTOCOL_REVISION, TimelineHello};
    let mut page = FakePage::default();
    let mut controller = Controller::new();
    let old = TimelineHello {
        protocol: None,
        server_version: None,
    };
    controller.handle(old.into(), &mut page);
    let text = controller.mismatch().unwrap_or_default().to_owned();
    assert!(
        text.contains("protocol 1") && text.contains(&format!("protocol {PROTOCOL_REVISION}")),
        "{text}"
    );
    // It still says who it is, so the server can log both versions.
    assert!(matches!(
        page.sent.last(),
        Some(ClientMessage::TimelineReady(r)) if r.compatible()
    ));
    controller.handle(configure(10, 4, 1 << 20), &mut page);
    assert!(
        !controller.configured(),
        "a mismatched runtime is never configured"
    );
    controller.handle(TimelineHello::new("0.1.0").into(), &mut page);
    assert!(controller.mismatch().is_none());
    controller.handle(configure(10, 4, 1 << 20), &mut page);
    assert!(controller.configured());
}
