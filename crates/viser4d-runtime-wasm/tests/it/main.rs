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
        block_starts: Vec::new(),
        cache_bytes,
        block_bytes: Vec::new(),
        global_defaults: Vec::new(),
        live: false,
        speed: None,
        r#loop: None,
        plots: Vec::new(),
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
fn plays_every_crossed_step_in_order_and_reads_ahead_by_time() {
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
    // 4 s ahead at 20 steps/s is the whole timeline: the nearest blocks
    // first, at most four in flight.
    assert_eq!(page.take_requests(), vec![1, 2, 3, 4]);
    c.tick(&mut page);
    assert!(page.take_requests().is_empty(), "four in flight at most");

    // Step 8 needs block 1: the clock holds at 7 until it arrives, and then
    // until a second (20 steps) is buffered, not step by step.
    page.now = 500.0;
    c.tick(&mut page);
    assert_eq!(shown_payloads(&mut page), ["6", "7"]);
    assert_eq!(c.shown(), Some(7));
    assert!(c.buffering());
    assert_eq!(c.stats().stalls, 1);
    c.handle(block(&mut store, 1), &mut page);
    page.now = 600.0;
    c.tick(&mut page);
    assert_eq!(c.shown(), Some(7), "8..15 held is not a second");
    c.handle(block(&mut store, 2), &mut page);
    c.handle(block(&mut store, 3), &mut page);
    assert_eq!(c.buffered(), vec![std::ops::Range { start: 0, end: 32 }]);
    page.now = 650.0; // 50 ms after resuming: one step on from the held one
    c.tick(&mut page);
    c.tick(&mut page);
    assert!(!c.buffering());
    assert_eq!(
        shown_payloads(&mut page),
        ["8"],
        "resumes from the held step"
    );
    assert!(
        page.take_requests().is_empty(),
        "block 4 is still in flight"
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

    // Blocks this small are asked for whole, even paused (see the cold-seek
    // tests for heavy ones).
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
            live: false,
            num_steps,
            first_step,
            standalone: false,
            fps,
            block_size,
            block_starts: Vec::new(),
            cache_bytes: 1 << 20,
            block_bytes: Vec::new(),
            global_defaults: Vec::new(),
            speed: None,
            r#loop: None,
            plots: Vec::new(),
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

/// A timeline whose step `t` puts a 100-byte payload starting with "t:",
/// in blocks of at most 8 steps and 700 bytes (two steps a block: a step
/// is its payload plus the store's bookkeeping).
fn heavy_store(num_steps: u32) -> Store<Bytes> {
    let config = StoreConfig::default().block_size(8).max_block_bytes(700);
    let mut store = Store::with_config(num_steps, config).expect("a store");
    let key = Key::create("/cloud").expect("a key");
    for t in 0..num_steps {
        let mut payload = format!("{t}:").into_bytes();
        payload.resize(100, b'.');
        store
            .put(t, key.clone(), Bytes::from(payload))
            .expect("recording");
    }
    store
}

fn configure_layout(store: &Store<Bytes>) -> ServerMessage {
    TimelineConfigure {
        num_steps: store.num_steps(),
        first_step: 0,
        standalone: false,
        fps: 10.0,
        block_size: store.block_size(),
        block_starts: store.layout().starts().to_vec(),
        cache_bytes: 1 << 20,
        block_bytes: Vec::new(),
        global_defaults: Vec::new(),
        live: false,
        speed: None,
        r#loop: None,
        plots: Vec::new(),
    }
    .into()
}

fn step_shown(page: &mut FakePage) -> Vec<String> {
    shown_payloads(page)
        .into_iter()
        .map(|p| p.split(':').next().unwrap_or_default().to_owned())
        .collect()
}

#[test]
fn blocks_of_uneven_length_are_found_by_their_starts() {
    let mut store = heavy_store(20);
    assert_eq!(store.layout().starts(), [0, 2, 4, 6, 8, 10, 12, 14, 16, 18]);
    let mut c = Controller::new();
    let mut page = FakePage::default();
    c.handle(configure_layout(&store), &mut page);
    assert_eq!(page.take_requests(), [0]);
    c.handle(block(&mut store, 0), &mut page);
    assert_eq!(step_shown(&mut page), ["0"]);

    c.seek(13, &mut page);
    assert_eq!(page.take_requests(), [6], "step 13 is in the block from 12");
    c.handle(block(&mut store, 6), &mut page);
    assert_eq!(step_shown(&mut page), ["13"]);
    assert_eq!(c.shown(), Some(13));

    // A block sent under another layout is not taken for this one's.
    let mut other = store_with_whole_blocks(20);
    c.seek(17, &mut page);
    assert_eq!(page.take_requests(), [8]);
    c.handle(block(&mut other, 2), &mut page);
    assert!(
        step_shown(&mut page).is_empty(),
        "block 2 of whole blocks is steps 16..24"
    );
    c.handle(block(&mut store, 8), &mut page);
    assert_eq!(step_shown(&mut page), ["17"]);
}

fn store_with_whole_blocks(num_steps: u32) -> Store<Bytes> {
    let config = StoreConfig::default().block_size(8);
    Store::with_config(num_steps, config).expect("a store")
}

#[test]
fn new_block_starts_drop_the_cache_but_keep_the_scene() {
    use viser4d_proto::timeline::TimelineManifest;
    // Recorded light first: whole blocks of 8.
    let config = StoreConfig::default().block_size(8).max_block_bytes(2000);
    let mut store = Store::with_config(16, config).expect("a store");
    let key = Key::create("/cloud").expect("a key");
    for t in 0..16 {
        store
            .put(t, key.clone(), Bytes::from(format!("{t}:")))
            .expect("recording");
    }
    let mut c = Controller::new();
    let mut page = FakePage::default();
    c.handle(configure_layout(&store), &mut page);
    page.take_requests();
    c.handle(block(&mut store, 0), &mut page);
    c.seek(5, &mut page);
    assert_eq!(step_shown(&mut page).last().map(String::as_str), Some("5"));
    assert_eq!(c.shown(), Some(5));

    // Step 1 gets heavy: block 0 splits around it, and the tab is told.
    store
        .put(
            1,
            key.clone(),
            Bytes::from(format!("1:{}", ".".repeat(2000))),
        )
        .expect("recording");
    assert_eq!(store.layout().starts(), [0, 1, 2, 8]);
    c.handle(
        TimelineManifest {
            block_bytes: Vec::new(),
            block_starts: Some(store.layout().starts().to_vec()),
            num_steps: None,
            first_step: None,
            from_block: None,
            live: None,
        }
        .into(),
        &mut page,
    );
    c.tick(&mut page);
    assert_eq!(page.take_requests(), [2], "step 5 is in block 2 now");
    assert!(
        page.scene.is_empty(),
        "nothing removed while the block comes"
    );
    c.handle(block(&mut store, 2), &mut page);
    // Shown again by a diff from what is on screen: step 5 did not change.
    assert!(shown_payloads(&mut page).is_empty());
    assert_eq!(c.shown(), Some(5));
    c.seek(1, &mut page);
    assert_eq!(page.take_requests(), [1]);
    c.handle(block(&mut store, 1), &mut page);
    assert_eq!(c.shown(), Some(1));
    assert_eq!(step_shown(&mut page), ["1"]);
}

fn state(store: &mut Store<Bytes>, step: u32) -> ServerMessage {
    use viser4d_proto::timeline::TimelineState;
    let block = store.state_block(step).expect("a state");
    TimelineState {
        step,
        revision: block.revision(),
        data: TypedArray::from_u8(
            block
                .encode(viser4d_timeline::Compression::None)
                .expect("encoded"),
        ),
    }
    .into()
}

fn state_requests(page: &FakePage) -> Vec<u32> {
    page.sent
        .iter()
        .filter_map(|m| match m {
            ClientMessage::TimelineStateRequest(r) => Some(r.step),
            _ => None,
        })
        .collect()
}

/// [`configure`] with the blocks' sizes known to be `block_bytes` each,
/// as a server says them once it encoded them.
fn configure_heavy(num_steps: u32, block_size: u32, block_bytes: u64) -> ServerMessage {
    let ServerMessage::TimelineConfigure(mut m) = configure(num_steps, block_size, 64 << 20) else {
        unreachable!("configure builds a TimelineConfigure")
    };
    m.block_bytes = vec![Some(block_bytes); num_steps.div_ceil(block_size) as usize];
    m.into()
}

#[test]
fn a_cold_seek_while_paused_asks_for_one_step_and_play_fetches_the_block() {
    let mut store = store(64, 16);
    let mut c = Controller::new();
    let mut page = FakePage::default();
    c.handle(configure_heavy(64, 16, 8 << 20), &mut page);
    assert_eq!(
        page.take_requests(),
        [0],
        "a fresh tab asks for its first block"
    );
    c.handle(block(&mut store, 0), &mut page);
    shown_payloads(&mut page);
    page.sent.clear();

    c.seek(50, &mut page);
    assert_eq!(state_requests(&page), [50], "the step's state");
    assert!(page.take_requests().is_empty(), "no block while paused");
    c.tick(&mut page);
    assert!(state_requests(&page).is_empty(), "asked once");
    c.handle(state(&mut store, 50), &mut page);
    assert_eq!(shown_payloads(&mut page), ["50"]);
    assert_eq!(c.shown(), Some(50));
    assert_eq!(c.stats().states_received, 1);
    assert_eq!(c.stats().blocks_received, 1);

    // Playing on needs the block: the clock holds at 50 until it comes,
    // then steps on from the state without a jump.
    c.play(None, None, &mut page);
    page.now = 200.0;
    c.tick(&mut page);
    assert_eq!(page.take_requests(), [3]);
    assert_eq!(c.shown(), Some(50));
    c.handle(block(&mut store, 3), &mut page);
    page.now = 300.0;
    c.tick(&mut page);
    assert_eq!(shown_payloads(&mut page), ["51"], "one step on, not a diff");
}

#[test]
fn a_cold_seek_while_playing_asks_for_the_state_and_the_block() {
    let mut store = store(64, 16);
    let mut c = Controller::new();
    let mut page = FakePage::default();
    c.handle(configure_heavy(64, 16, 8 << 20), &mut page);
    c.handle(block(&mut store, 0), &mut page);
    c.play(None, None, &mut page);
    page.sent.clear();
    c.seek(40, &mut page);
    assert_eq!(state_requests(&page), [40]);
    assert_eq!(page.take_requests(), [2]);
    // A state for a step the tab left is kept, not shown.
    c.seek(45, &mut page);
    c.handle(state(&mut store, 40), &mut page);
    assert_ne!(c.shown(), Some(40));

    // Light blocks are asked for whole: a state would save nothing.
    let mut c = Controller::new();
    c.handle(configure(64, 16, 1 << 20), &mut page);
    c.handle(block(&mut store, 0), &mut page);
    page.sent.clear();
    c.seek(40, &mut page);
    assert!(state_requests(&page).is_empty());
    assert_eq!(page.take_requests(), [2]);
}

#[test]
fn a_seek_while_buffering_goes_where_asked() {
    let mut store = store(40, 8);
    let mut c = Controller::new();
    let mut page = FakePage::default();
    c.handle(configure(40, 8, 1 << 20), &mut page);
    c.handle(block(&mut store, 0), &mut page);
    c.play(None, None, &mut page);
    page.now = 1000.0; // 10 steps/s: step 10 is due, block 1 is not here
    c.tick(&mut page);
    assert!(c.buffering());
    assert_eq!(c.shown(), Some(7));
    c.seek(2, &mut page);
    page.now = 1010.0;
    c.tick(&mut page);
    assert_eq!(c.shown(), Some(2), "the seek is not undone by the hold");
}

#[test]
fn a_cache_smaller_than_a_second_of_blocks_still_plays() {
    let mut store = store(40, 8);
    let size = store.encoded_block(0).expect("encoded").len() as u64;
    let mut c = Controller::new();
    let mut page = FakePage::default();
    // Room for one block and a bit: a second at 10 steps/s needs two.
    c.handle(configure(40, 8, size + size / 2), &mut page);
    c.handle(block(&mut store, 0), &mut page);
    c.play(None, None, &mut page);
    page.sent.clear();
    for tick in 1..=80u32 {
        page.now = f64::from(tick) * 100.0;
        c.tick(&mut page);
        for index in page.take_requests() {
            c.handle(block(&mut store, index), &mut page);
        }
    }
    assert_eq!(c.shown(), Some(39), "played to the end one block at a time");
}

fn grown(store: &mut Store<Bytes>, num_steps: u32) -> ServerMessage {
    use viser4d_proto::timeline::TimelineManifest;
    let key = Key::create("/n").expect("a key");
    let old = store.num_steps();
    store.set_steps(num_steps).expect("resized");
    for t in old..num_steps {
        store
            .put(t, key.clone(), Bytes::from(t.to_string()))
            .expect("recording");
    }
    TimelineManifest {
        block_bytes: Vec::new(),
        block_starts: Some(Vec::new()),
        num_steps: Some(num_steps),
        first_step: None,
        from_block: None,
        live: None,
    }
    .into()
}

fn last_reported(page: &FakePage) -> Option<(bool, bool, u32)> {
    page.sent.iter().rev().find_map(|m| match m {
        ClientMessage::TimelinePlaybackState(s) => Some((s.playing, s.following, s.step)),
        _ => None,
    })
}

#[test]
fn a_live_timeline_grows_under_a_following_tab_keeping_the_blocks_whose_steps_did_not_move() {
    let mut store = store(6, 4);
    let mut c = Controller::new();
    let mut page = FakePage::default();
    let ServerMessage::TimelineConfigure(mut m) = configure(6, 4, 1 << 20) else {
        unreachable!("configure builds a TimelineConfigure")
    };
    m.live = true;
    c.handle(m.into(), &mut page);
    assert!(
        c.player().following(),
        "a new tab of a live timeline follows"
    );
    assert_eq!(last_reported(&page), Some((false, true, 5)));
    assert_eq!(page.take_requests(), [1], "the block of the newest step");
    c.handle(block(&mut store, 1), &mut page);
    assert_eq!(shown_payloads(&mut page), ["5"]);
    c.seek(1, &mut page);
    assert!(!c.player().following(), "a seek leaves follow mode");
    assert_eq!(page.take_requests(), [0]);
    c.handle(block(&mut store, 0), &mut page);
    c.follow(&mut page);
    assert_eq!(
        shown_payloads(&mut page).last().map(String::as_str),
        Some("5")
    );
    assert_eq!(c.buffered(), held(0, 6));

    // Step 6 is recorded: block 1 grows, so the tab drops it; following,
    // it asks for the newest step's state, not the growing block. Block 0
    // stays.
    c.handle(grown(&mut store, 7), &mut page);
    assert_eq!(c.player().num_steps(), 7);
    assert_eq!(state_requests(&page), [6]);
    assert!(page.take_requests().is_empty(), "no block asked for");
    assert_eq!(c.buffered(), held(0, 4));
    assert!(page.scene.is_empty(), "step 5 stays on screen meanwhile");
    c.handle(state(&mut store, 6), &mut page);
    assert_eq!(shown_payloads(&mut page), ["6"]);
    assert_eq!(c.shown(), Some(6));

    // Two more at once: the tab goes straight to the newest, by its state.
    page.sent.clear();
    c.handle(grown(&mut store, 9), &mut page);
    assert_eq!(state_requests(&page), [8]);
    assert!(
        page.take_requests().is_empty(),
        "no growing block asked for"
    );
    c.handle(state(&mut store, 8), &mut page);
    assert_eq!(c.shown(), Some(8));
    assert_eq!(shown_payloads(&mut page), ["8"]);

    // Scrubbing back leaves follow mode; the step holds as steps come.
    c.seek(2, &mut page);
    assert_eq!(shown_payloads(&mut page), ["2"]);
    c.handle(grown(&mut store, 10), &mut page);
    c.handle(block(&mut store, 2), &mut page);
    c.tick(&mut page);
    assert_eq!(c.shown(), Some(2));
    assert_eq!(c.step(page.now), 2);
    assert_eq!(last_reported(&page), Some((false, false, 2)));

    // Played into the edge of a live timeline, it follows on.
    page.sent.clear();
    c.play(Some(4.0), None, &mut page);
    page.now += 2000.0;
    c.tick(&mut page);
    assert_eq!(c.shown(), Some(3), "block 1 is asked for again");
    assert_eq!(page.take_requests(), [1]);
    c.handle(block(&mut store, 1), &mut page);
    page.now += 2000.0;
    c.tick(&mut page);
    assert!(c.player().following());
    assert_eq!(c.shown(), Some(9));
    assert_eq!(last_reported(&page), Some((false, true, 9)));

    // A shrink moves the tab back to the new last step, by a diff.
    use viser4d_proto::timeline::TimelineManifest;
    store.set_steps(3).expect("shrunk");
    page.scene.clear();
    c.handle(
        TimelineManifest {
            block_bytes: Vec::new(),
            block_starts: Some(Vec::new()),
            num_steps: Some(3),
            first_step: None,
            from_block: None,
            live: None,
        }
        .into(),
        &mut page,
    );
    assert_eq!(c.player().num_steps(), 3);
    assert_eq!(c.step(page.now), 2);
    assert_eq!(
        page.take_requests(),
        Vec::<u32>::new(),
        "block 0 (steps 0..3) was cut at its end: it comes again"
    );
    c.handle(block(&mut store, 0), &mut page);
    assert_eq!(c.shown(), Some(2));
    assert_eq!(shown_payloads(&mut page), ["2"]);
}

#[test]
fn a_manifest_with_an_impossible_length_is_ignored() {
    use viser4d_proto::timeline::TimelineManifest;
    let mut store = store(4, 4);
    let mut c = Controller::new();
    let mut page = FakePage::default();
    c.handle(configure(4, 4, 1 << 20), &mut page);
    c.handle(block(&mut store, 0), &mut page);
    for bad in [0, u32::MAX] {
        c.handle(
            TimelineManifest {
                block_bytes: Vec::new(),
                block_starts: None,
                num_steps: Some(bad),
                first_step: None,
                from_block: None,
                live: None,
            }
            .into(),
            &mut page,
        );
        assert_eq!(c.player().num_steps(), 4);
        assert_eq!(c.buffered(), held(0, 4));
    }
}

#[test]
fn a_tab_on_steps_the_server_dropped_moves_to_the_first_kept_and_says_so() {
    use viser4d_proto::timeline::TimelineManifest;
    let mut store = store(12, 4);
    let mut c = Controller::new();
    let mut page = FakePage::default();
    c.handle(configure(12, 4, 1 << 20), &mut page);
    for k in [0, 1] {
        c.handle(block(&mut store, k), &mut page);
    }
    c.seek(2, &mut page);
    assert_eq!(c.shown(), Some(2));
    page.sent.clear();
    page.scene.clear();

    store.retire_before(8).expect("retired");
    c.handle(
        TimelineManifest {
            block_bytes: Vec::new(),
            block_starts: Some(Vec::new()),
            num_steps: None,
            first_step: Some(8),
            from_block: None,
            live: None,
        }
        .into(),
        &mut page,
    );
    assert_eq!(c.player().first(), 8);
    assert_eq!(c.step(page.now), 8);
    assert_eq!(c.dropped_before(), Some(8));
    assert!(c.buffered().is_empty(), "blocks 0 and 1 are gone");
    assert_eq!(page.take_requests(), [2]);
    c.handle(block(&mut store, 2), &mut page);
    assert_eq!(c.shown(), Some(8));
    assert_eq!(shown_payloads(&mut page), ["8"]);
    c.seek(0, &mut page);
    assert_eq!(c.step(page.now), 8, "a seek stays within what is kept");
    assert_eq!(
        c.dropped_before(),
        None,
        "the notice goes with the next move"
    );
}

/// One buffered range, as `Controller::buffered` gives it.
fn held(start: u32, end: u32) -> Vec<std::ops::Range<u32>> {
    std::iter::once(start..end).collect()
}

#[test]
fn a_manifest_from_a_block_on_keeps_what_the_tab_knows_of_the_blocks_before() {
    use viser4d_proto::timeline::TimelineManifest;
    let mut store = store(10, 4);
    let mut c = Controller::new();
    let mut page = FakePage::default();
    c.handle(configure(10, 4, 1 << 20), &mut page);
    c.handle(block(&mut store, 0), &mut page);
    page.take_requests();
    let manifest = |from_block, starts: Vec<u32>, num_steps| -> ServerMessage {
        TimelineManifest {
            block_bytes: vec![Some(7)],
            block_starts: Some(starts),
            num_steps: Some(num_steps),
            first_step: Some(0),
            from_block: Some(from_block),
            live: None,
        }
        .into()
    };
    // Block 2 (8..10) splits at 9 and the timeline grows to 12.
    c.handle(manifest(2, vec![8, 9], 12), &mut page);
    assert_eq!(c.player().num_steps(), 12);
    assert_eq!(c.buffered(), held(0, 4), "block 0 did not move");
    c.seek(11, &mut page);
    assert_eq!(page.take_requests(), [3], "step 11 is in block 3 (9..12)");
    // Past what the tab knows: ignored whole.
    c.handle(manifest(9, vec![40], 50), &mut page);
    assert_eq!(c.player().num_steps(), 12);
}

/// An archive's block that cannot be had: playback skips its steps and
/// goes on, a step back skips back, and with nothing to go to the tab
/// stays (and asks for nothing more).
#[test]
fn a_broken_block_is_skipped_forward_and_back_and_never_asked_for_again() {
    let mut store = store(24, 8);
    let mut c = Controller::new();
    c.set_static_source(true);
    let mut page = FakePage::default();
    c.handle(configure(24, 8, 1 << 20), &mut page);
    c.handle(block(&mut store, 0), &mut page);
    assert_eq!(c.shown(), Some(0));
    page.sent.clear();
    c.seek(6, &mut page);
    assert_eq!(c.shown(), Some(6));
    c.handle(
        TimelinePlay {
            speed: None,
            r#loop: None,
        }
        .into(),
        &mut page,
    );
    // Block 1 (steps 8..16) is asked for while playing, then fails.
    page.now += 150.0;
    c.tick(&mut page);
    let mut asked = page.take_requests();
    assert!(asked.contains(&1));
    c.block_failed(1, &mut page);
    page.now += 150.0;
    c.tick(&mut page);
    // The transport jumped to block 2's start and waits for that block
    // (asked for by the read-ahead, or now).
    assert_eq!(c.step(page.now), 16);
    asked.extend(page.take_requests());
    assert!(asked.contains(&2), "{asked:?}");
    c.handle(block(&mut store, 2), &mut page);
    page.now += 100.0;
    c.tick(&mut page);
    assert!(c.shown().is_some_and(|s| s >= 16), "{:?}", c.shown());
    assert!(c.player().playing());
    c.pause(&mut page);
    // A seek back into the broken block lands at the end of block 0.
    c.seek(10, &mut page);
    c.tick(&mut page);
    assert_eq!(c.shown(), Some(7));
    assert!(
        !page.take_requests().contains(&1),
        "a broken block is not asked for again"
    );
    // Everything broken: the tab stays where it is, without looping.
    c.block_failed(0, &mut page);
    c.block_failed(2, &mut page);
    c.seek(20, &mut page);
    for _ in 0..5 {
        page.now += 100.0;
        c.tick(&mut page);
    }
    assert!(page.take_requests().is_empty());
    assert_eq!(c.broken().len(), 3);
}
