//! The memory budget: a timeline four times larger than the budget.

use viser4d_timeline::{Block, Compression, Key, Payload, Store, StoreConfig, StoreError};

/// An incompressible payload of `len` bytes, so encoded blocks are as big
/// as decoded ones and the budget cannot be met by compression alone.
#[derive(Clone, PartialEq, Debug, serde::Serialize, serde::Deserialize)]
struct Blob(#[serde(with = "serde_bytes")] Vec<u8>);

impl Payload for Blob {
    fn size_bytes(&self) -> usize {
        self.0.capacity()
    }
}

fn blob(seed: u64, len: usize) -> Blob {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    Blob(
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect(),
    )
}

const NODES: u32 = 32;
const STEPS: u32 = 160;
const BLOB_BYTES: usize = 1024;
const BLOCK_SIZE: u32 = 8;

fn record(store: &mut Store<Blob>) -> Result<(), StoreError> {
    for step in 0..STEPS {
        for n in 0..NODES {
            let name = format!("/n/{n}");
            if step == 0 {
                store.put(
                    step,
                    Key::create(&name).expect("valid"),
                    blob(u64::from(n), 8),
                )?;
            }
            let seed = u64::from(step) * 1000 + u64::from(n);
            store.put(
                step,
                Key::prop(&name, "data").expect("valid"),
                blob(seed, BLOB_BYTES),
            )?;
        }
    }
    Ok(())
}

#[test]
fn a_timeline_four_times_the_budget_stays_near_the_budget() -> Result<(), Box<dyn std::error::Error>>
{
    let timeline_bytes = (NODES * STEPS) as usize * BLOB_BYTES; // about 5 MiB
    let budget = timeline_bytes / 4;
    // What one operation may hold beyond the budget: the two blocks it pins
    // (decoded deltas, checkpoint and encoding of each).
    let block_bytes = (NODES * BLOCK_SIZE) as usize * (BLOB_BYTES + 200);
    let slack = 2 * (2 * block_bytes + NODES as usize * (BLOB_BYTES + 200));

    let parent = tempfile::tempdir()?;
    let config = StoreConfig::default()
        .block_size(BLOCK_SIZE)
        .budget_bytes(budget)
        .spill_dir(parent.path())
        .compression(Compression::default());
    let mut bounded = Store::<Blob>::with_config(STEPS, config)?;
    let mut unbounded =
        Store::<Blob>::with_config(STEPS, StoreConfig::default().block_size(BLOCK_SIZE))?;
    record(&mut bounded)?;
    record(&mut unbounded)?;

    let mut peak = bounded.memory().resident_bytes;
    for k in (0..bounded.num_blocks()).rev() {
        let a = Block::<Blob>::decode(&bounded.encoded_block(k)?)?;
        let b = Block::<Blob>::decode(&unbounded.encoded_block(k)?)?;
        assert_eq!(a.checkpoint(), b.checkpoint(), "block {k}");
        assert_eq!(a.deltas()?, b.deltas()?, "block {k}");
        peak = peak.max(bounded.memory().resident_bytes);
    }
    for step in (0..STEPS).step_by(7) {
        assert_eq!(
            bounded.state_at(step)?,
            unbounded.state_at(step)?,
            "step {step}"
        );
        peak = peak.max(bounded.memory().resident_bytes);
    }

    let stats = bounded.memory();
    assert!(
        unbounded.memory().resident_bytes > 4 * budget,
        "the timeline is 4x the budget"
    );
    assert!(
        peak <= budget + slack,
        "peak {peak} > budget {budget} + slack {slack}"
    );
    assert!(
        stats.spilled_blocks > 0 && stats.spilled_bytes > 2 * budget,
        "{stats:?}"
    );
    let dir = stats.spill_dir.clone().expect("a spill directory");
    assert!(dir.starts_with(parent.path()) && dir.is_dir());
    drop(bounded);
    assert!(!dir.exists(), "the spill directory goes with the store");
    Ok(())
}

#[test]
fn editing_a_spilled_block_brings_it_back() -> Result<(), Box<dyn std::error::Error>> {
    let config = StoreConfig::default().block_size(2).budget_bytes(0);
    let mut store = Store::<Blob>::with_config(8, config)?;
    store.put(0, Key::create("/a")?, blob(1, 64))?;
    for step in 0..8 {
        store.put(step, Key::prop("/a", "data")?, blob(u64::from(step), 4096))?;
    }
    assert!(store.memory().spilled_blocks >= 3);
    store.put(1, Key::prop("/a", "data")?, blob(99, 16))?;
    assert_eq!(
        store
            .state_at(7)?
            .node("/a")
            .and_then(|n| n.props().get("data"))
            .map(|e| e.value.0.len()),
        Some(4096)
    );
    assert_eq!(
        store
            .state_at(1)?
            .node("/a")
            .and_then(|n| n.props().get("data"))
            .map(|e| e.value.0.len()),
        Some(16)
    );
    Ok(())
}

#[test]
fn a_spill_directory_that_cannot_be_written_loses_nothing() -> Result<(), Box<dyn std::error::Error>>
{
    // A regular file where the spill directory should go: creating the
    // directory inside it fails (as an unwritable or full disk would), and
    // root's permissions cannot hide that.
    let parent = tempfile::tempdir()?;
    let not_a_dir = parent.path().join("file");
    std::fs::write(&not_a_dir, b"in the way")?;
    let budget = 64 * 1024;
    let config = StoreConfig::default()
        .block_size(BLOCK_SIZE)
        .budget_bytes(budget)
        .spill_dir(&not_a_dir)
        .compression(Compression::None);
    let mut store = Store::with_config(STEPS, config)?;
    // Every record succeeds: the edit landed, only the spill failed.
    record(&mut store)?;
    let error = store
        .take_spill_error()
        .expect("the spill failure is reported");
    assert!(
        matches!(&error, StoreError::Spill { path, .. } if path.starts_with(&not_a_dir)),
        "{error}"
    );
    assert!(store.take_spill_error().is_none(), "reported once");
    let stats = store.memory();
    assert_eq!(stats.spilled_blocks, 0, "{stats:?}");
    assert!(
        stats.resident_bytes > budget,
        "kept in memory past the budget: {stats:?}"
    );
    // Nothing recorded was lost.
    for step in [0, STEPS / 2, STEPS - 1] {
        let state = store.state_at(step)?;
        let expected = blob(u64::from(step) * 1000 + 7, BLOB_BYTES);
        let got = state
            .scene()
            .node("/n/7")
            .and_then(|node| node.props().get("data"))
            .map(|entry| &entry.value);
        assert_eq!(got, Some(&expected), "step {step}");
    }
    Ok(())
}
