//! Named tests of the cursor: forward steps, jumps, overrides.

use std::sync::Arc;

use viser4d_timeline::{Cursor, Emit, Key, NodeName, Overrides, Store, StoreConfig};

fn key(s: &str) -> Key {
    s.parse().expect("valid key")
}

fn name(s: &str) -> NodeName {
    NodeName::new(s).expect("valid name")
}

/// Emits as readable strings.
fn show(emits: &[Emit<'_, u32>]) -> Vec<String> {
    emits
        .iter()
        .map(|e| match e {
            Emit::Remove(n) => format!("remove {n}"),
            Emit::ClearGlobal(t) => format!("clear {t}"),
            Emit::Put(k, v) => format!("{k}={v}"),
        })
        .collect()
}

fn store(num_steps: u32) -> Store<u32> {
    Store::with_config(num_steps, StoreConfig::default().block_size(4)).expect("valid config")
}

#[test]
fn forward_within_a_block_sends_only_the_crossed_steps() -> Result<(), Box<dyn std::error::Error>> {
    let mut s = store(4);
    s.put(0, key("create:/a"), 1)?;
    s.put(1, key("update:/a:p"), 2)?;
    s.put(2, key("update:/a:p"), 3)?;
    s.put(3, key("Fog"), 4)?;
    let block = s.block(0)?;
    let mut c = Cursor::new();
    assert_eq!(show(&c.seek(&block, 0)?), ["create:/a=1"]);
    assert_eq!(
        show(&c.seek(&block, 3)?),
        ["update:/a:p=2", "update:/a:p=3", "Fog=4"]
    );
    assert_eq!(c.step(), Some(3));
    assert!(c.seek(&block, 3)?.is_empty());
    Ok(())
}

#[test]
fn a_jump_back_diffs_and_recreates_a_node_that_lost_a_property()
-> Result<(), Box<dyn std::error::Error>> {
    let mut s = store(4);
    s.put(0, key("create:/a"), 1)?;
    s.put(0, key("create:/a/b"), 1)?;
    s.put(2, key("update:/a:p"), 2)?;
    s.put(2, key("Fog"), 3)?;
    s.put(3, key("create:/c"), 1)?;
    let block = s.block(0)?;
    let mut c = Cursor::new();
    c.seek(&block, 3)?;
    // viser cannot unset a property: /a is created again; its child stays.
    assert_eq!(
        show(&c.seek(&block, 1)?),
        ["remove /c", "clear Fog", "create:/a=1"]
    );
    Ok(())
}

#[test]
fn removals_are_topmost_and_take_the_subtree() -> Result<(), Box<dyn std::error::Error>> {
    let mut s = store(2);
    for n in ["/a", "/a/b", "/a/b/c", "/a-b"] {
        s.put(0, Key::create(n)?, 1)?;
    }
    s.remove_node(1, name("/a"))?;
    s.remove_node(1, name("/a-b"))?;
    let block = s.block(0)?;
    let mut c = Cursor::new();
    c.seek(&block, 0)?;
    assert_eq!(show(&c.seek(&block, 1)?), ["remove /a", "remove /a-b"]);
    let mut jumper = Cursor::new();
    jumper.seek(&block, 0)?;
    let other = s.block(0)?; // same block: forward path again
    assert_eq!(show(&jumper.seek(&other, 1)?), ["remove /a", "remove /a-b"]);
    Ok(())
}

#[test]
fn a_node_recreated_under_a_parent_removed_in_the_same_step_is_shown()
-> Result<(), Box<dyn std::error::Error>> {
    let mut s = store(2);
    s.put(0, key("create:/a"), 1)?;
    s.put(0, key("create:/a/old"), 1)?;
    s.remove_node(1, name("/a"))?;
    s.put(1, key("create:/a/b"), 2)?;
    let block = s.block(0)?;
    let mut c = Cursor::new();
    c.seek(&block, 0)?;
    assert_eq!(show(&c.seek(&block, 1)?), ["remove /a", "create:/a/b=2"]);
    Ok(())
}

#[test]
fn overrides_mask_recorded_values_and_wait_for_their_node() -> Result<(), Box<dyn std::error::Error>>
{
    let mut s = store(4);
    s.overrides_mut().put(&key("update:/a:color"), 9);
    s.put(1, key("create:/a"), 1)?;
    s.put(2, key("update:/a:color"), 5)?;
    s.put(3, key("update:/a:p"), 6)?;
    let block = s.block(0)?;
    let mut c = Cursor::new();
    c.set_overrides(s.overrides().clone());
    assert!(
        c.seek(&block, 0)?.is_empty(),
        "no /a yet: the override waits"
    );
    assert_eq!(
        show(&c.seek(&block, 1)?),
        ["create:/a=1", "update:/a:color=9"]
    );
    assert_eq!(
        show(&c.seek(&block, 3)?),
        ["update:/a:p=6"],
        "color 5 is masked"
    );

    // An edit of the timeline does not remove the override.
    s.put(1, key("create:/a"), 2)?;
    let edited = s.block(0)?;
    assert_eq!(
        show(&c.seek(&edited, 3)?),
        ["create:/a=2", "update:/a:color=9", "update:/a:p=6"]
    );

    // Dropping the override shows the recorded value again.
    assert_eq!(
        show(&c.set_overrides(Arc::new(Overrides::new()))),
        ["update:/a:color=5"]
    );
    Ok(())
}

#[test]
fn a_tombstone_hides_a_node_at_every_step() -> Result<(), Box<dyn std::error::Error>> {
    let mut s = store(3);
    s.put(0, key("create:/a"), 1)?;
    s.put(0, key("create:/a/b"), 1)?;
    s.put(1, key("update:/a/b:p"), 2)?;
    s.overrides_mut().remove_node(&name("/a"));
    let block = s.block(0)?;
    let mut c = Cursor::new();
    c.set_overrides(s.overrides().clone());
    assert!(c.seek(&block, 0)?.is_empty());
    assert!(c.seek(&block, 2)?.is_empty());
    assert_eq!(
        show(&c.set_overrides(Arc::new(Overrides::new()))),
        ["create:/a=1", "create:/a/b=1", "update:/a/b:p=2"]
    );
    Ok(())
}

#[test]
fn seeking_outside_the_block_is_an_error() -> Result<(), Box<dyn std::error::Error>> {
    let mut s = store(8);
    let block = s.block(1)?;
    let mut c = Cursor::<u32>::new();
    assert!(c.seek(&block, 3).is_err());
    assert!(c.seek(&block, 8).is_err());
    assert_eq!(c.step(), None);
    Ok(())
}

#[test]
fn clearing_a_cursor_removes_what_it_showed() -> Result<(), Box<dyn std::error::Error>> {
    let mut s = store(1);
    s.put(0, key("create:/a"), 1)?;
    s.put(0, key("Fog"), 1)?;
    let block = s.block(0)?;
    let mut c = Cursor::new();
    c.seek(&block, 0)?;
    assert_eq!(show(&c.clear()), ["remove /a", "clear Fog"]);
    assert!(c.clear().is_empty());
    Ok(())
}
