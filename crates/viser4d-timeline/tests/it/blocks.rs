//! Block bytes: round trips, and no panic on bytes from outside.

use proptest::prelude::*;
use viser4d_timeline::{Block, Compression, Key, NodeName, Store, StoreConfig};

use crate::script::config;

fn sample() -> Store<String> {
    let mut s = Store::with_config(6, StoreConfig::default().block_size(3)).expect("valid config");
    for step in 0..6 {
        for n in 0..20 {
            let name = format!("/frames/{n}");
            if step == 0 {
                s.put(
                    step,
                    Key::create(&name).expect("valid"),
                    format!("frame {n}"),
                )
                .expect("in range");
            }
            s.put(
                step,
                Key::prop(&name, "position").expect("valid"),
                format!("{step},{n}"),
            )
            .expect("in range");
        }
    }
    s.remove_node(4, NodeName::new("/frames/3").expect("valid"))
        .expect("in range");
    s
}

#[test]
fn a_block_round_trips_with_either_compression() {
    let mut s = sample();
    let block = s.block(1).expect("block");
    for compression in [Compression::None, Compression::default()] {
        let bytes = block.encode(compression).expect("encodes");
        assert_eq!(Block::decode(&bytes).expect("decodes"), block);
    }
    let stored = s.encoded_block(1).expect("encodes");
    assert_eq!(Block::decode(&stored).expect("decodes"), block);
    assert!(
        stored.len() < block.encode(Compression::None).expect("encodes").len(),
        "zstd pays on repetitive blocks"
    );
}

#[test]
fn foreign_bytes_are_errors() {
    assert!(Block::<String>::decode(&[]).is_err());
    assert!(Block::<String>::decode(b"hello world").is_err());
    let mut s = sample();
    let bytes = s.encoded_block(0).expect("encodes");
    assert!(Block::<String>::decode(&bytes[..bytes.len() - 1]).is_err());
    // Steps decode lazily: a wrong payload type surfaces when a step is read.
    let wrong = Block::<u32>::decode(&bytes).expect("header and empty checkpoint");
    assert!(wrong.delta(0).is_err());
    assert!(wrong.state_at(2).is_err());
}

proptest! {
    #![proptest_config(config())]

    /// Corrupt blocks never panic the decoder.
    #[test]
    fn corrupt_blocks_do_not_panic(flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4), compress in any::<bool>()) {
        let mut s = sample();
        let block = s.block(1).expect("block");
        let compression = if compress { Compression::default() } else { Compression::None };
        let mut bytes = block.encode(compression).expect("encodes");
        for (at, value) in flips {
            let i = at.index(bytes.len());
            bytes[i] ^= value | 1;
        }
        if let Ok(block) = Block::<String>::decode(&bytes) {
            for step in block.steps() {
                block.delta(step).ok();
            }
        }
    }
}

#[test]
fn the_store_says_which_steps_a_block_holds_and_which_blocks_hold_steps() {
    let store: Store<String> =
        Store::with_config(10, StoreConfig::default().block_size(4)).expect("a store");
    let blocks: Vec<_> = (0..4).map(|i| store.block_steps(i)).collect();
    assert_eq!(blocks, [0..4, 4..8, 8..10, 10..10]);
    assert_eq!(store.blocks_of_steps(0..1), Some(0..=0));
    assert_eq!(store.blocks_of_steps(3..5), Some(0..=1));
    assert_eq!(store.blocks_of_steps(9..400), Some(2..=2));
    assert_eq!(
        store.blocks_of_steps(50..60),
        Some(2..=2),
        "past the end: the last block"
    );
    assert_eq!(store.blocks_of_steps(5..5), None);
}
