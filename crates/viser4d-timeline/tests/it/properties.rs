//! Property tests: the store against the naive model, and the viewer model
//! against the shown states.

use std::sync::Arc;

use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use viser4d_timeline::{Block, Cursor, Overrides, State, StepDelta, diff};

use crate::client::Client;
use crate::model::{Flat, Model, V, apply, flatten};
use crate::script::{Run, config, retiring_script, run, script};

fn fail(e: impl std::fmt::Display) -> TestCaseError {
    TestCaseError::fail(e.to_string())
}

fn blocks(run: &mut Run) -> Result<Vec<Block<V>>, TestCaseError> {
    (0..run.store.num_blocks())
        .map(|k| run.store.block(k).map_err(fail))
        .collect()
}

/// A delta without its write revisions.
fn plain_delta(d: &StepDelta<V>) -> (Vec<String>, Vec<(String, V)>, Vec<V>) {
    (
        d.removed().iter().map(|n| n.as_str().to_owned()).collect(),
        d.puts()
            .iter()
            .map(|(k, e)| (k.to_string(), e.value))
            .collect(),
        d.audio().to_vec(),
    )
}

fn shown_states(model: &Model, num_steps: u32) -> Vec<Flat> {
    (0..num_steps).map(|s| model.shown_at(s)).collect()
}

proptest! {
    #![proptest_config(config())]

    /// (a) The state at every step, built from its block alone, equals a
    /// full replay from step 0; so do the shown states, the audio, and the
    /// blocks after an encode/decode round trip.
    #[test]
    fn a_state_from_block_equals_full_replay(script in script(true), budget in prop::sample::select(&[usize::MAX, 0, 600][..])) {
        let mut run = run(&script, budget)?;
        let n = run.store.num_steps();
        let layout = run.store.layout().clone();
        viser4d_timeline::BlockLayout::from_starts(layout.starts().to_vec(), n).map_err(fail)?;
        for k in 0..layout.num_blocks() {
            prop_assert!(layout.steps(k).len() <= script.block_size as usize, "block {} of {:?}", k, layout);
            let block = run.store.block(k).map_err(fail)?;
            prop_assert_eq!(block.steps(), layout.steps(k));
        }
        if script.max_block_bytes == usize::MAX {
            // Light steps never split: the layout is whole blocks.
            let whole = viser4d_timeline::BlockLayout::fixed(n, script.block_size);
            prop_assert_eq!(&layout, &whole);
        }
        for s in 0..n {
            let state = run.store.state_at(s).map_err(fail)?;
            prop_assert_eq!(flatten(&state), run.model.state_at(s), "step {}", s);
            let shown = run.store.shown_state_at(s).map_err(fail)?;
            prop_assert_eq!(flatten(&shown), run.model.shown_at(s), "shown step {}", s);
        }
        for block in blocks(&mut run)? {
            for s in block.steps() {
                let audio = block.delta(s).map_err(fail)?.audio().to_vec();
                prop_assert_eq!(&audio, &run.model.audio[s as usize]);
            }
            let bytes = run.store.encoded_block(block.index()).map_err(fail)?;
            prop_assert_eq!(&Block::decode(&bytes).map_err(fail)?, &block);
        }
    }

    /// (e) Retiring blocks from the front keeps every later step as a full
    /// replay has it, in memory or spilled, and frees what it dropped.
    #[test]
    fn e_retired_blocks_leave_the_kept_steps_as_a_full_replay_has_them(script in retiring_script(), budget in prop::sample::select(&[usize::MAX, 0, 300][..])) {
        let mut run = run(&script, budget)?;
        let n = run.store.num_steps();
        let first = run.store.first_step();
        let retired = run.store.retired_blocks();
        prop_assert_eq!(first, if retired == 0 { 0 } else { run.store.layout().steps(retired).start });
        for s in first..n {
            let state = run.store.state_at(s).map_err(fail)?;
            prop_assert_eq!(flatten(&state), run.model.state_at(s), "step {}", s);
            let shown = run.store.shown_state_at(s).map_err(fail)?;
            prop_assert_eq!(flatten(&shown), run.model.shown_at(s), "shown step {}", s);
        }
        for k in retired..run.store.num_blocks() {
            let block = run.store.block(k).map_err(fail)?;
            let bytes = run.store.encoded_block(k).map_err(fail)?;
            prop_assert_eq!(&Block::decode(&bytes).map_err(fail)?, &block);
        }
        for s in 0..first {
            prop_assert!(run.store.state_at(s).is_err(), "retired step {} is refused", s);
        }
        if budget == 0 {
            let memory = run.store.memory();
            prop_assert!(memory.spilled_blocks <= (run.store.num_blocks() - retired) as usize, "{:?}", memory);
        }
    }

    /// (b) Applying the diff from the state shown at any step A (or nothing)
    /// to step B yields exactly what B shows.
    #[test]
    fn b_diff_from_any_state_reaches_the_target(script in script(true)) {
        let mut run = run(&script, usize::MAX)?;
        let n = run.store.num_steps();
        let shown = shown_states(&run.model, n);
        let states: Vec<State<V>> = (0..n).map(|s| run.store.state_at(s)).collect::<Result<_, _>>().map_err(fail)?;
        let overrides = run.store.overrides().clone();
        let empty = State::new();
        let none = run.model.shown(Flat::new());
        let starts = std::iter::once((&empty, &none)).chain(states.iter().zip(&shown));
        for (from, from_shown) in starts {
            for (to, to_shown) in states.iter().zip(&shown) {
                let emits = diff(from, &overrides, to, &overrides);
                let mut client = Client::of(from_shown);
                client.apply(&emits, to_shown, true).map_err(fail)?;
                prop_assert_eq!(&client, &Client::of(to_shown));
            }
        }
        // A change of overrides alone, both ways.
        let bare = Overrides::new();
        for (state, state_shown) in states.iter().zip(&shown) {
            let plain = flatten(state);
            let emits = diff(state, &bare, state, &overrides);
            let mut client = Client::of(&plain);
            client.apply(&emits, state_shown, true).map_err(fail)?;
            prop_assert_eq!(&client, &Client::of(state_shown));
            let emits = diff(state, &overrides, state, &bare);
            let mut client = Client::of(state_shown);
            client.apply(&emits, &plain, true).map_err(fail)?;
            prop_assert_eq!(&client, &Client::of(&plain));
        }
    }

    /// (c) A cursor moving forward (applying deltas inside a block, diffing
    /// across blocks) and a cursor jumping (diffing) agree with the model at
    /// every step, and so does the viewer fed by either.
    #[test]
    fn c_forward_apply_and_diff_agree(script in script(true), stride in 1..=3u32) {
        let mut run = run(&script, usize::MAX)?;
        let n = run.store.num_steps();
        let shown = shown_states(&run.model, n);
        let blocks = blocks(&mut run)?;
        let overrides = run.store.overrides().clone();

        let mut walker = Cursor::new();
        prop_assert!(walker.set_overrides(overrides.clone()).is_empty());
        let mut walked = Client::default();
        let mut s = 0;
        while s < n {
            let block = &blocks[run.store.block_of(s).map_err(fail)? as usize];
            let emits = walker.seek(block, s).map_err(fail)?;
            walked.apply(&emits, &shown[s as usize], stride == 1).map_err(fail)?;
            prop_assert_eq!(&walked, &Client::of(&shown[s as usize]), "step {}", s);
            prop_assert_eq!(walker.state(), &run.store.state_at(s).map_err(fail)?);

            // A fresh cursor jumping straight here shows the same.
            let mut jumper = Cursor::new();
            jumper.set_overrides(overrides.clone());
            let mut jumped = Client::default();
            jumped.apply(&jumper.seek(block, s).map_err(fail)?, &shown[s as usize], true).map_err(fail)?;
            prop_assert_eq!(&jumped, &walked);
            prop_assert_eq!(jumper.state(), walker.state());
            s += stride;
        }

        // Dropping and restoring the overrides on a cursor.
        if let Some(last) = walker.step() {
            let plain = flatten(walker.state());
            let emits = walker.set_overrides(Arc::new(Overrides::new()));
            walked.apply(&emits, &plain, true).map_err(fail)?;
            prop_assert_eq!(&walked, &Client::of(&plain));
            let emits = walker.set_overrides(overrides.clone());
            walked.apply(&emits, &shown[last as usize], true).map_err(fail)?;
            prop_assert_eq!(&walked, &Client::of(&shown[last as usize]));
            let emits = walker.clear();
            walked.apply(&emits, &Flat::new(), true).map_err(fail)?;
            prop_assert_eq!(&walked, &Client::default());
        }
    }

    /// (d) A store forced to spill everything agrees with one kept in memory.
    #[test]
    fn d_spilled_and_in_memory_stores_agree(script in script(true), budget in prop::sample::select(&[0usize, 300, 2000][..])) {
        let mut memory = run(&script, usize::MAX)?;
        let mut spilled = run(&script, budget)?;
        prop_assert_eq!(memory.store.num_blocks(), spilled.store.num_blocks());
        for s in 0..memory.store.num_steps() {
            let a = memory.store.state_at(s).map_err(fail)?;
            let b = spilled.store.state_at(s).map_err(fail)?;
            prop_assert_eq!(a, b, "step {}", s);
        }
        for k in 0..memory.store.num_blocks() {
            let a = Block::<V>::decode(&memory.store.encoded_block(k).map_err(fail)?).map_err(fail)?;
            let b = Block::<V>::decode(&spilled.store.encoded_block(k).map_err(fail)?).map_err(fail)?;
            prop_assert_eq!(a.checkpoint(), b.checkpoint());
            prop_assert_eq!(a.deltas().map_err(fail)?, b.deltas().map_err(fail)?);
        }
        prop_assert_eq!(memory.store.overrides(), spilled.store.overrides());
    }

    /// (f) Blocks encoded by one store and loaded in order into an empty
    /// one (an archive opened again) give back the same timeline: from the
    /// start, the same layout, states and deltas; from a middle block (an
    /// archive of a range), the same states from that block on. (Blocks
    /// closed by bytes may split elsewhere: a split depends on what was
    /// recorded, edits since undone included.)
    #[test]
    fn f_blocks_loaded_in_order_give_the_timeline_back(script in script(true), from in 0..3u32) {
        let mut source = run(&script, usize::MAX)?;
        let n = source.store.num_steps();
        if n == 0 {
            return Ok(());
        }
        let from = from
            .max(source.store.retired_blocks())
            .min(source.store.num_blocks() - 1);
        let config = viser4d_timeline::StoreConfig::default()
            .block_size(script.block_size)
            .max_block_bytes(script.max_block_bytes);
        let mut loaded = viser4d_timeline::Store::<V>::with_config(n, config).map_err(fail)?;
        for k in from..source.store.num_blocks() {
            let bytes = source.store.encoded_block(k).map_err(fail)?;
            let block = Block::<V>::decode(&bytes).map_err(fail)?;
            loaded.load_block(&block, k == from).map_err(fail)?;
        }
        let start = source.store.layout().steps(from).start;
        for s in start..n {
            let a = source.store.state_at(s).map_err(fail)?;
            let b = loaded.state_at(s).map_err(fail)?;
            prop_assert_eq!(flatten(&a), flatten(&b), "step {}", s);
        }
        // Byte-closed blocks split as steps were recorded, edits included,
        // so their layout depends on the history; whole blocks do not.
        if from == 0 && script.max_block_bytes == usize::MAX {
            prop_assert_eq!(source.store.layout().starts(), loaded.layout().starts());
            for k in 0..source.store.num_blocks() {
                let a = source.store.block(k).map_err(fail)?;
                let b = loaded.block(k).map_err(fail)?;
                // Revisions count writes; what a step changes is the same.
                let plain = |b: &Block<V>| -> Result<Vec<_>, TestCaseError> {
                    Ok(b.deltas().map_err(fail)?.into_iter().map(plain_delta).collect())
                };
                prop_assert_eq!(plain(&a)?, plain(&b)?, "block {}", k);
            }
        }
    }

    /// A block that the store does not report as changed did not change.
    #[test]
    fn unreported_blocks_are_unchanged(script in script(false)) {
        let config = viser4d_timeline::StoreConfig::default()
            .block_size(script.block_size)
            .max_block_bytes(script.max_block_bytes);
        let mut store = viser4d_timeline::Store::<V>::with_config(script.num_steps, config).map_err(fail)?;
        for action in &script.actions {
            let before: Vec<(Block<V>, u64)> = (0..store.num_blocks())
                .map(|k| Ok((store.block(k)?, store.block_revision(k)?)))
                .collect::<Result<_, viser4d_timeline::StoreError>>()
                .map_err(fail)?;
            store.take_changes();
            crate::script::apply_to_store(&mut store, action).map_err(fail)?;
            let changes = store.take_changes();
            for (k, (block, rev)) in before.iter().enumerate() {
                let k = k as u32;
                if changes.affects_block(k) || k >= store.num_blocks() {
                    continue;
                }
                let now = store.block(k).map_err(fail)?;
                prop_assert_eq!(&now, block, "block {} changed unreported after {:?}", k, action);
                prop_assert_eq!(store.block_revision(k).map_err(fail)?, *rev);
            }
        }
    }

    /// A step's delta, in normal form, equals folding its ops one by one.
    #[test]
    fn delta_normal_form_equals_sequential_fold(before in prop::collection::vec(crate::script::mop_strategy(), 0..12), ops in prop::collection::vec(crate::script::mop_strategy(), 0..24)) {
        let mut base = State::new();
        let mut flat = Flat::new();
        for (rev, m) in (1..).zip(&before) {
            base.apply(crate::script::op(m), rev);
            apply(&mut flat, m);
        }
        let mut delta = StepDelta::new();
        for (rev, m) in (100..).zip(&ops) {
            delta.record(crate::script::op(m), rev);
            apply(&mut flat, m);
        }
        base.apply_delta(&delta);
        prop_assert_eq!(flatten(&base), flat);
        // Normal form: no removal below another, at most one put per key.
        let removed: Vec<_> = delta.removed().iter().collect();
        for a in &removed {
            for b in &removed {
                prop_assert!(!a.is_ancestor_of(b.as_str()));
            }
        }
    }
}
