//! Random op sequences, and running one against a store and the model.

use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use viser4d_timeline::{Key, NodeName, Op, Store, StoreConfig, StoreError};

use crate::model::{MOp, Model, OvOp, V, flatten};

/// Cases per property: 1,000 by default, more with `VISER4D_PROPTEST_CASES`
/// (`cargo xtask test --long`).
pub fn config() -> ProptestConfig {
    let cases = std::env::var("VISER4D_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    ProptestConfig::with_cases(cases)
}

/// Few names, nested, including a sibling that sorts between a node and its
/// children (`/a-b` between `/a` and `/a/b`), and the root.
const NODES: &[&str] = &[
    "/a", "/b", "/a/b", "/a/c", "/a/b/c", "/a-b", "/a-b/c", "/b/a", "/",
];

fn node() -> impl Strategy<Value = String> {
    prop::sample::select(NODES).prop_map(str::to_owned)
}

fn key() -> impl Strategy<Value = Key> {
    let props = prop::sample::select(&["p", "q"][..]);
    let types = prop::sample::select(&["Vis", "Pos"][..]);
    let globals = prop::sample::select(&["Fog", "Env"][..]);
    prop_oneof![
        3 => node().prop_map(|n| Key::create(&n).expect("valid")),
        4 => (node(), props).prop_map(|(n, p)| Key::prop(&n, p).expect("valid")),
        2 => (types, node()).prop_map(|(t, n)| Key::node_message(t, &n).expect("valid")),
        1 => globals.prop_map(|t| Key::global(t).expect("valid")),
    ]
}

/// Small values, so that equal values under different revisions happen.
fn value() -> impl Strategy<Value = V> {
    0..4u32
}

/// One random recorded op.
pub fn mop_strategy() -> impl Strategy<Value = MOp> {
    prop_oneof![
        8 => (key(), value()).prop_map(|(k, v)| MOp::Put(k, v)),
        2 => node().prop_map(MOp::Remove),
    ]
}

fn ovop() -> impl Strategy<Value = OvOp> {
    prop_oneof![
        5 => (key(), value()).prop_map(|(k, v)| OvOp::Put(k, v)),
        2 => node().prop_map(OvOp::RemoveNode),
        1 => key().prop_map(OvOp::ClearKey),
        1 => node().prop_map(OvOp::ClearNode),
        1 => Just(OvOp::ClearAll),
    ]
}

#[derive(Clone, Debug)]
pub enum Action {
    /// Record into step `step % num_steps`.
    Record(u32, MOp),
    Audio(u32, V),
    Override(OvOp),
    SetSteps(u32),
    Clear,
    /// Read a state (and encode its block) mid-way, checked against the model.
    Read(u32),
    /// Drop the blocks before the one holding step `step % num_steps`.
    Retire(u32),
}

fn action(overrides: bool, retire: bool) -> impl Strategy<Value = Action> {
    let ov_weight = if overrides { 3 } else { 0 };
    let retire_weight = if retire { 2 } else { 0 };
    prop_oneof![
        retire_weight => any::<u32>().prop_map(Action::Retire),
        20 => (any::<u32>(), mop_strategy()).prop_map(|(s, op)| Action::Record(s, op)),
        1 => (any::<u32>(), value()).prop_map(|(s, v)| Action::Audio(s, v)),
        ov_weight => ovop().prop_map(Action::Override),
        2 => (0..=12u32).prop_map(Action::SetSteps),
        1 => Just(Action::Clear),
        3 => any::<u32>().prop_map(Action::Read),
    ]
}

#[derive(Clone, Debug)]
pub struct Script {
    pub block_size: u32,
    /// The store's byte limit per block: small ones split blocks.
    pub max_block_bytes: usize,
    pub num_steps: u32,
    pub actions: Vec<Action>,
}

pub fn script(overrides: bool) -> impl Strategy<Value = Script> {
    script_with(overrides, false)
}

/// [`script`] that also retires blocks from the front, as a bounded live
/// recording does.
pub fn retiring_script() -> impl Strategy<Value = Script> {
    script_with(true, true)
}

fn script_with(overrides: bool, retire: bool) -> impl Strategy<Value = Script> {
    (
        1..=4u32,
        prop::sample::select(&[usize::MAX, usize::MAX, 0, 150, 400][..]),
        1..=12u32,
        prop::collection::vec(action(overrides, retire), 0..48),
    )
        .prop_map(|(block_size, max_block_bytes, num_steps, actions)| Script {
            block_size,
            max_block_bytes,
            num_steps,
            actions,
        })
}

pub struct Run {
    pub store: Store<V>,
    pub model: Model,
}

/// The crate's op for a model op.
pub fn op(m: &MOp) -> Op<V> {
    match m {
        MOp::Put(k, v) => Op::Put(k.clone(), *v),
        MOp::Remove(n) => Op::RemoveNode(NodeName::new(n).expect("valid")),
    }
}

fn name(n: &str) -> NodeName {
    NodeName::new(n).expect("valid")
}

fn fail(e: impl std::fmt::Display) -> TestCaseError {
    TestCaseError::fail(e.to_string())
}

/// Whether a store with these retired steps takes the action (records
/// into retired steps, and shrinking into them, are refused; the model
/// skips what the store refuses).
pub fn allowed(store: &Store<V>, action: &Action) -> bool {
    let (n, first) = (store.num_steps(), store.first_step());
    match action {
        Action::Record(step, _) | Action::Audio(step, _) | Action::Read(step) if n > 0 => {
            step % n >= first
        }
        Action::SetSteps(new) => first == 0 || *new > first,
        _ => true,
    }
}

/// Applies one action to a store alone.
pub fn apply_to_store(store: &mut Store<V>, action: &Action) -> Result<(), StoreError> {
    let n = store.num_steps();
    if !allowed(store, action) {
        return Ok(());
    }
    match action {
        Action::Retire(step) if n > 0 => {
            store.retire_before(step % n)?;
        }
        Action::Retire(_) => {}
        Action::Record(step, m) if n > 0 => store.record(step % n, op(m))?,
        Action::Audio(step, v) if n > 0 => store.record_audio(step % n, *v)?,
        Action::Read(step) if n > 0 => {
            store.state_at(step % n)?;
            store.encoded_block(store.block_of(step % n)?)?;
        }
        Action::Record(..) | Action::Audio(..) | Action::Read(_) => {}
        Action::Override(o) => {
            let overrides = store.overrides_mut();
            match o {
                OvOp::Put(k, v) => overrides.put(k, *v),
                OvOp::RemoveNode(n) => overrides.remove_node(&name(n)),
                OvOp::ClearKey(k) => overrides.clear_key(k),
                OvOp::ClearNode(n) => overrides.clear_node(&name(n)),
                OvOp::ClearAll => overrides.clear(),
            }
        }
        Action::SetSteps(new) => store.set_steps(*new)?,
        Action::Clear => store.clear(),
    }
    Ok(())
}

/// Applies one action to the model.
fn apply_to_model(model: &mut Model, num_steps: u32, action: &Action) {
    let n = num_steps;
    match action {
        Action::Record(step, m) if n > 0 => model.steps[(step % n) as usize].push(m.clone()),
        Action::Audio(step, v) if n > 0 => model.audio[(step % n) as usize].push(*v),
        Action::Record(..) | Action::Audio(..) | Action::Read(_) | Action::Retire(_) => {}
        Action::Override(o) => model.overrides.push(o.clone()),
        Action::SetSteps(new) => {
            model.steps.resize(*new as usize, Vec::new());
            model.audio.resize(*new as usize, Vec::new());
        }
        Action::Clear => *model = Model::new(n),
    }
}

/// Runs the script against a store with this budget and the model,
/// checking every mid-way read.
pub fn run(script: &Script, budget_bytes: usize) -> Result<Run, TestCaseError> {
    // Some budgets defer encoding to an owner that never comes: the store
    // then runs on its cheap path (drop what is encoded, spill) up to twice
    // the budget, and inline past it.
    let config = StoreConfig::default()
        .block_size(script.block_size)
        .max_block_bytes(script.max_block_bytes)
        .budget_bytes(budget_bytes)
        .defer_encoding(matches!(budget_bytes, 300 | 600));
    let mut store = Store::with_config(script.num_steps, config).map_err(fail)?;
    let mut model = Model::new(script.num_steps);
    for action in &script.actions {
        let n = store.num_steps();
        if !allowed(&store, action) {
            continue;
        }
        apply_to_store(&mut store, action).map_err(fail)?;
        apply_to_model(&mut model, n, action);
        if let Action::Read(step) = action
            && n > 0
        {
            let s = step % n;
            let state = store.state_at(s).map_err(fail)?;
            prop_assert_eq!(flatten(&state), model.state_at(s));
        }
    }
    Ok(Run { store, model })
}
