//! Named tests of the store: editing, changes, steps, errors.

use viser4d_timeline::{Key, NodeName, Store, StoreConfig, StoreError};

use crate::model::flatten;

fn key(s: &str) -> Key {
    s.parse().expect("valid key")
}

fn store(num_steps: u32, block_size: u32) -> Store<u32> {
    Store::with_config(num_steps, StoreConfig::default().block_size(block_size))
        .expect("valid config")
}

#[test]
fn an_edit_invalidates_only_later_blocks() -> Result<(), StoreError> {
    let mut s = store(12, 4);
    for step in 0..12 {
        s.put(step, key("update:/a:p"), step)?;
    }
    s.put(0, key("create:/a"), 0)?;
    let revs: Vec<u64> = (0..3)
        .map(|k| s.block_revision(k))
        .collect::<Result<_, _>>()?;
    s.take_changes();

    s.put(5, key("update:/b:p"), 9)?;
    let changes = s.take_changes();
    assert_eq!(changes.edited_blocks().collect::<Vec<_>>(), [1]);
    assert_eq!(changes.checkpoints_from(), Some(2));
    assert!(!changes.affects_block(0));
    assert!(changes.affects_block(1) && changes.affects_block(2));
    assert_eq!(s.block_revision(0)?, revs[0]);
    assert!(s.block_revision(1)? > revs[1]);
    assert!(s.block_revision(2)? > revs[2], "its checkpoint gained /b");
    Ok(())
}

#[test]
fn a_recomputed_checkpoint_that_did_not_change_keeps_its_revision() -> Result<(), StoreError> {
    let mut s = store(8, 4);
    s.put(0, key("create:/a"), 0)?;
    s.put(3, key("update:/a:p"), 3)?;
    let before = s.block_revision(1)?;
    let bytes = s.encoded_block(1)?;
    // Overwritten later in the same block: block 1's checkpoint is the same.
    s.put(1, key("update:/a:p"), 1)?;
    assert_eq!(s.block_revision(1)?, before);
    assert_eq!(
        s.encoded_block(1)?.as_ptr(),
        bytes.as_ptr(),
        "still the cached encoding"
    );
    Ok(())
}

#[test]
fn encoded_blocks_are_cached_and_shared() -> Result<(), StoreError> {
    let mut s = store(4, 2);
    s.put(0, key("create:/a"), 1)?;
    let first = s.encoded_block(0)?;
    let second = s.encoded_block(0)?;
    assert_eq!(first.as_ptr(), second.as_ptr());
    s.put(1, key("update:/a:p"), 2)?;
    assert_ne!(s.encoded_block(0)?, first);
    Ok(())
}

#[test]
fn set_steps_grows_and_shrinks() -> Result<(), StoreError> {
    let mut s = store(5, 2);
    s.put(0, key("create:/a"), 1)?;
    s.put(4, key("create:/b"), 2)?;
    s.take_changes();
    s.set_steps(9)?;
    assert_eq!((s.num_steps(), s.num_blocks()), (9, 5));
    let changes = s.take_changes();
    assert!(changes.num_steps_changed());
    assert_eq!(changes.edited_blocks().collect::<Vec<_>>(), [2, 3, 4]);
    assert_eq!(
        flatten(&s.state_at(8)?).len(),
        2,
        "new steps carry the state on"
    );
    s.set_steps(3)?;
    assert_eq!((s.num_steps(), s.num_blocks()), (3, 2));
    assert_eq!(s.block(1)?.len(), 1);
    assert!(matches!(
        s.state_at(3),
        Err(StoreError::StepOutOfRange {
            step: 3,
            num_steps: 3
        })
    ));
    s.set_steps(5)?;
    assert_eq!(flatten(&s.state_at(4)?).len(), 1, "what was cut stays cut");
    s.set_steps(0)?;
    assert_eq!(s.num_blocks(), 0);
    Ok(())
}

#[test]
fn clear_empties_steps_and_overrides() -> Result<(), Box<dyn std::error::Error>> {
    let mut s = store(4, 2);
    s.put(1, key("create:/a"), 1)?;
    s.record_audio(2, 7)?;
    s.overrides_mut().put(&key("Fog"), 3);
    s.clear();
    assert_eq!(s.num_steps(), 4);
    assert!(s.overrides().is_empty());
    for step in 0..4 {
        assert!(s.shown_state_at(step)?.is_empty());
    }
    let block = s.block(1)?;
    assert!(block.deltas()?.iter().all(|d| d.is_empty()));
    Ok(())
}

#[test]
fn bad_arguments_are_errors_not_panics() {
    let mut s = store(3, 2);
    assert!(matches!(
        s.put(3, key("create:/a"), 0),
        Err(StoreError::StepOutOfRange {
            step: 3,
            num_steps: 3
        })
    ));
    assert!(matches!(
        s.block(2),
        Err(StoreError::BlockOutOfRange {
            index: 2,
            num_blocks: 2
        })
    ));
    assert!(matches!(
        s.encoded_block(u32::MAX),
        Err(StoreError::BlockOutOfRange { .. })
    ));
    assert!(matches!(
        Store::<u32>::with_config(3, StoreConfig::default().block_size(0)),
        Err(StoreError::InvalidConfig(_))
    ));
    assert!(NodeName::new("/a//b").is_err());
    assert!(matches!(
        Store::<u32>::new(viser4d_timeline::MAX_STEPS + 1),
        Err(StoreError::TooManySteps { .. })
    ));
    assert!(matches!(
        s.set_steps(u32::MAX),
        Err(StoreError::TooManySteps { .. })
    ));
    assert_eq!(s.num_steps(), 3);
}

#[test]
fn a_long_empty_timeline_is_cheap() -> Result<(), StoreError> {
    let mut s = Store::<u32>::new(1 << 20)?;
    assert!(s.memory().resident_bytes < 64 << 20);
    s.put((1 << 20) - 1, key("create:/a"), 1)?;
    assert_eq!(flatten(&s.state_at((1 << 20) - 1)?).len(), 1);
    Ok(())
}

#[test]
fn audio_events_travel_with_their_step() -> Result<(), StoreError> {
    let mut s = store(6, 4);
    s.record_audio(5, 11)?;
    s.record_audio(5, 12)?;
    let bytes = s.encoded_block(1)?;
    let block = viser4d_timeline::Block::<u32>::decode(&bytes).expect("decodes");
    assert_eq!(
        block.delta(5).map(|d| d.audio().to_vec()).ok(),
        Some(vec![11, 12])
    );
    Ok(())
}

#[test]
fn the_server_can_share_its_types_across_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Store<u32>>();
    send_sync::<viser4d_timeline::Block<u32>>();
    send_sync::<viser4d_timeline::Cursor<u32>>();
    send_sync::<viser4d_timeline::Overrides<u32>>();
    send_sync::<StoreError>();
}

fn job(s: &mut Store<u32>, index: u32) -> Result<viser4d_timeline::BlockJob<u32>, StoreError> {
    match s.encoded_block_or_job(index)? {
        viser4d_timeline::Encoding::Job(job) => Ok(job),
        viser4d_timeline::Encoding::Ready { .. } => panic!("block {index} was already encoded"),
    }
}

#[test]
fn a_block_encoded_outside_the_store_is_the_one_it_would_encode() -> Result<(), StoreError> {
    let mut s = store(12, 4);
    for step in 0..12 {
        s.put(step, key("update:/a:p"), step)?;
    }
    let mut reference = store(12, 4);
    for step in 0..12 {
        reference.put(step, key("update:/a:p"), step)?;
    }
    let job = job(&mut s, 2)?;
    let revision = job.revision();
    // The store keeps serving while the job runs elsewhere.
    let other = s.encoded_block(0)?;
    assert_eq!(other, reference.encoded_block(0)?);
    let encoded = std::thread::spawn(move || job.run())
        .join()
        .expect("the job thread")?;
    let bytes = s
        .install_encoded(encoded)
        .expect("nothing changed meanwhile");
    assert_eq!(bytes, reference.encoded_block(2)?);
    assert_eq!(revision, s.block_revision(2)?);
    match s.encoded_block_or_job(2)? {
        viser4d_timeline::Encoding::Ready {
            bytes: again,
            revision: r,
        } => {
            assert_eq!(again, bytes);
            assert_eq!(r, revision);
        }
        viser4d_timeline::Encoding::Job(_) => panic!("the installed encoding was not kept"),
    }
    Ok(())
}

#[test]
fn a_block_edited_while_it_was_encoded_is_not_installed() -> Result<(), StoreError> {
    let mut s = store(12, 4);
    for step in 0..12 {
        s.put(step, key("update:/a:p"), step)?;
    }
    // An edit in the block itself, and one before it (its checkpoint moves).
    for edit in [9, 1] {
        s.put(10, key("update:/a:p"), 200 + edit)?;
        let job = job(&mut s, 2)?;
        s.put(edit, key("update:/a:p"), 100 + edit)?;
        let encoded = job.run()?;
        assert!(s.install_encoded(encoded).is_none(), "edit at {edit}");
        let fresh = job_or_bytes(&mut s, 2)?;
        assert_eq!(fresh, s.encoded_block(2)?);
    }
    Ok(())
}

/// The block's bytes, encoding it through a job if needed.
fn job_or_bytes(s: &mut Store<u32>, index: u32) -> Result<bytes::Bytes, StoreError> {
    match s.encoded_block_or_job(index)? {
        viser4d_timeline::Encoding::Ready { bytes, .. } => Ok(bytes),
        viser4d_timeline::Encoding::Job(job) => {
            let encoded = job.run()?;
            Ok(s.install_encoded(encoded).expect("no edit in between"))
        }
    }
}

fn heavy_store(num_steps: u32, max_block_bytes: usize) -> Store<Vec<u8>> {
    let config = StoreConfig::default()
        .block_size(32)
        .max_block_bytes(max_block_bytes);
    Store::with_config(num_steps, config).expect("valid config")
}

#[test]
fn heavy_steps_close_blocks_by_bytes_and_light_ones_by_steps() -> Result<(), StoreError> {
    // 100 steps of a 3 KiB cloud against a 10 KiB limit: 3 steps a block.
    let mut heavy = heavy_store(100, 10 << 10);
    let mut light = heavy_store(100, 10 << 10);
    for step in 0..100 {
        heavy.put(step, key("update:/cloud:points"), vec![step as u8; 3 << 10])?;
        light.put(step, key("update:/frame:position"), vec![step as u8; 24])?;
    }
    assert_eq!(light.num_blocks(), 4, "light steps keep whole blocks");
    // Each 32-step block splits into ten of 3 steps and one of 2, and the
    // last four steps into 3 + 1.
    assert_eq!(heavy.num_blocks(), 3 * 11 + 2);
    for k in 0..heavy.num_blocks() {
        let steps = heavy.block_steps(k);
        assert!(steps.len() <= 3, "block {k} holds {steps:?}");
        let bytes = heavy.encoded_block(k)?;
        // Three steps and the checkpoint before them (one more cloud).
        assert!(
            bytes.len() < 4 * (3 << 10) + 1024,
            "block {k}: {} bytes",
            bytes.len()
        );
    }
    for step in [0, 2, 3, 50, 99] {
        let state = heavy.state_at(step)?;
        assert_eq!(state.len(), 1);
        let block = heavy.block(heavy.block_of(step)?)?;
        assert!(block.contains(step));
    }
    Ok(())
}

#[test]
fn a_split_is_a_layout_change_that_touches_every_later_block() -> Result<(), StoreError> {
    let mut s = heavy_store(64, 10 << 10);
    for step in 0..3 {
        s.put(step, key("update:/cloud:points"), vec![1; 3 << 10])?;
    }
    s.take_changes();
    assert_eq!(s.num_blocks(), 2);
    s.put(3, key("update:/cloud:points"), vec![2; 3 << 10])?;
    let changes = s.take_changes();
    assert!(changes.layout_changed());
    assert_eq!(s.layout().starts(), [0, 3, 32]);
    assert!((0..3).all(|k| changes.affects_block(k)));
    // The block that moved is encoded with its new place.
    let moved = viser4d_timeline::Block::<Vec<u8>>::decode(&s.encoded_block(2)?).map_err(|e| {
        StoreError::Corrupt {
            index: 2,
            source: e,
        }
    })?;
    assert_eq!((moved.index(), moved.steps()), (2, 32..64));
    Ok(())
}

#[test]
fn a_block_encoded_before_a_split_moved_it_is_rewritten_with_its_new_place()
-> Result<(), StoreError> {
    let mut s = heavy_store(64, 10 << 10);
    s.put(40, key("update:/frame:p"), vec![7; 8])?;
    let before = s.encoded_block(1)?;
    for step in 0..4 {
        s.put(step, key("update:/cloud:points"), vec![1; 3 << 10])?;
    }
    assert_eq!(s.block_of(40)?, 2);
    let after = s.encoded_block(2)?;
    assert_ne!(before, after);
    let block =
        viser4d_timeline::Block::<Vec<u8>>::decode(&after).map_err(|e| StoreError::Corrupt {
            index: 2,
            source: e,
        })?;
    assert_eq!(block.index(), 2);
    assert!(block.delta(40).is_ok_and(|d| !d.is_empty()));
    Ok(())
}

#[test]
fn set_steps_keeps_split_blocks_and_grows_the_last_to_a_whole_block() -> Result<(), StoreError> {
    let mut s = heavy_store(10, 10 << 10);
    for step in 0..10 {
        s.put(step, key("update:/cloud:points"), vec![1; 3 << 10])?;
    }
    assert_eq!(s.layout().starts(), [0, 3, 6, 9]);
    s.set_steps(50)?;
    assert_eq!(s.layout().starts(), [0, 3, 6, 9, 41]);
    s.set_steps(7)?;
    assert_eq!(s.layout().starts(), [0, 3, 6]);
    assert_eq!(s.block_steps(2), 6..7);
    assert_eq!(s.state_at(6)?.len(), 1);
    s.take_changes();
    s.clear();
    assert!(
        s.take_changes().layout_changed(),
        "whole blocks again: held indices mean other steps"
    );
    assert_eq!(s.layout().starts(), [0]);
    assert_eq!(s.num_steps(), 7);
    Ok(())
}

#[test]
fn a_state_block_shows_one_step_for_a_fraction_of_its_block_and_steps_on_into_it()
-> Result<(), Box<dyn std::error::Error>> {
    use viser4d_timeline::{Block, Compression, Cursor};
    let mut s = heavy_store(32, usize::MAX);
    s.put(0, key("create:/cloud"), vec![0; 16])?;
    // Noise, as a scan is: zstd cannot shrink the block to nothing.
    let mut seed = 7u64;
    let mut noise = |len: usize| -> Vec<u8> {
        (0..len)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                seed as u8
            })
            .collect()
    };
    for step in 0..32 {
        s.put(step, key("update:/cloud:points"), noise(3 << 10))?;
    }
    let whole = s.encoded_block(0)?;
    let state = s.state_block(20)?;
    let bytes = state.encode(Compression::None)?;
    assert!(
        bytes.len() < 2 * (3 << 10) && whole.len() > 10 * bytes.len(),
        "one step's state ({} bytes), not the block ({} bytes)",
        bytes.len(),
        whole.len()
    );
    let state = Block::<Vec<u8>>::decode(&bytes)?;
    assert_eq!((state.index(), state.steps()), (0, 20..21));
    assert_eq!(state.state_at(20)?, s.state_at(20)?);

    let mut cursor = Cursor::new();
    cursor.seek(&state, 20)?;
    let block = s.block(0)?;
    let on = cursor.seek(&block, 21)?.len();
    assert_eq!(on, 1, "one step forward, not a diff");
    assert_eq!(cursor.state(), &s.state_at(21)?);
    Ok(())
}

#[test]
fn a_state_after_a_state_of_the_same_block_shows_its_own_step()
-> Result<(), Box<dyn std::error::Error>> {
    use viser4d_timeline::Cursor;
    let mut s = heavy_store(32, usize::MAX);
    s.put(0, key("create:/cloud"), vec![0; 16])?;
    for step in 0..32 {
        s.put(step, key("update:/cloud:points"), vec![step as u8; 64])?;
    }
    // Two seeks, each shown from its state: both carry block 0's index
    // and revision, and there are no deltas from the one to the other.
    let mut cursor = Cursor::new();
    cursor.seek(&s.state_block(20)?, 20)?;
    for target in [21, 25] {
        cursor.seek(&s.state_block(target)?, target)?;
        assert_eq!(cursor.state(), &s.state_at(target)?, "step {target}");
    }
    Ok(())
}

#[test]
fn deferred_encoding_hands_the_compression_out_and_stays_within_twice_the_budget()
-> Result<(), StoreError> {
    let config = StoreConfig::default()
        .block_size(4)
        .budget_bytes(64 << 10)
        .defer_encoding(true);
    let mut s: Store<Vec<u8>> = Store::with_config(64, config)?;
    for step in 0..12 {
        s.put(step, key("update:/cloud:points"), vec![step as u8; 8 << 10])?;
    }
    let memory = s.memory();
    assert!(
        memory.resident_bytes > 64 << 10 && memory.encoded_bytes == 0,
        "past the budget, nothing was encoded here: {memory:?}"
    );
    let jobs = s.take_encode_jobs(8);
    assert!(!jobs.is_empty());
    assert!(
        s.take_encode_jobs(8).is_empty(),
        "jobs out are not handed out twice"
    );
    for job in jobs {
        let done = std::thread::spawn(move || job.run())
            .join()
            .expect("the job thread")?;
        s.install_encoded(done);
    }
    // Within one block of the budget (the block installed last stays
    // decoded until the next write lets go of it).
    assert!(
        s.memory().resident_bytes <= (64 << 10) + (34 << 10),
        "{:?}",
        s.memory()
    );
    // Far past the budget, with no one encoding, the store does it itself.
    for step in 12..64 {
        s.put(step, key("update:/cloud:points"), vec![step as u8; 8 << 10])?;
    }
    assert!(
        s.memory().resident_bytes <= 2 * (64 << 10),
        "{:?}",
        s.memory()
    );
    for step in [0, 11, 40, 63] {
        assert_eq!(s.state_at(step)?.len(), 1);
    }
    Ok(())
}

#[test]
fn retired_blocks_free_their_memory_and_the_kept_ones_fold_as_before() -> Result<(), StoreError> {
    // Spill everything: the retired blocks' files go too.
    let config = StoreConfig::default().block_size(4).budget_bytes(0);
    let mut s: Store<u32> = Store::with_config(12, config)?;
    let mut reference = store(12, 4);
    for step in 0..12 {
        for store in [&mut s, &mut reference] {
            if step == 0 {
                store.put(0, key("create:/a"), 0)?;
            }
            store.put(step, key("update:/a:p"), step)?;
            if step % 3 == 0 {
                store.put(step, key(&format!("create:/b{step}")), step)?;
            }
        }
    }
    for k in 0..3 {
        s.encoded_block(k)?;
    }
    let before = s.memory();
    assert!(before.spilled_blocks >= 2, "{before:?}");
    s.take_changes();

    assert_eq!(
        s.retire_before(9)?,
        8,
        "the block holding step 9 starts at 8"
    );
    assert_eq!(s.first_step(), 8);
    assert_eq!(s.retired_blocks(), 2);
    let after = s.memory();
    assert!(after.spilled_blocks < before.spilled_blocks, "{after:?}");
    assert!(after.spilled_bytes < before.spilled_bytes);
    assert!(after.resident_bytes <= before.resident_bytes);
    let changes = s.take_changes();
    assert!(changes.layout_changed());
    for step in 8..12 {
        assert_eq!(
            flatten(&s.state_at(step)?),
            flatten(&reference.state_at(step)?),
            "step {step}"
        );
    }
    // Steps before the first kept are refused, to read and to record.
    assert!(matches!(
        s.state_at(3),
        Err(StoreError::Retired {
            step: 3,
            first_step: 8
        })
    ));
    assert!(matches!(
        s.put(7, key("update:/a:p"), 1),
        Err(StoreError::Retired { .. })
    ));
    assert!(matches!(s.block(1), Err(StoreError::Retired { .. })));
    assert!(matches!(s.set_steps(8), Err(StoreError::Retired { .. })));
    // Retiring less than before, or again, changes nothing.
    assert_eq!(s.retire_before(2)?, 8);
    // The kept block takes edits, and the timeline grows and retires on.
    s.put(8, key("update:/a:p"), 80)?;
    reference.put(8, key("update:/a:p"), 80)?;
    s.set_steps(20)?;
    reference.set_steps(20)?;
    s.put(17, key("create:/c"), 17)?;
    reference.put(17, key("create:/c"), 17)?;
    assert_eq!(s.retire_before(16)?, 16);
    for step in 16..20 {
        assert_eq!(
            flatten(&s.state_at(step)?),
            flatten(&reference.state_at(step)?)
        );
    }
    // Clearing starts over from step 0.
    s.clear();
    assert_eq!(s.first_step(), 0);
    s.put(0, key("create:/a"), 1)?;
    Ok(())
}
