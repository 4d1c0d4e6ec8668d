//! A state sent on its own (a seek's, a following tab's, an archive's state
//! file) carries each node's property updates folded into its creation
//! message. The store keeps them apart, because a block's deltas update
//! properties one by one; but a state is applied from scratch, where
//! "create with the first points, then set the current points" and "create
//! with the current points" show the same. The folded one carries a point
//! cloud once, not twice.

use bytes::Bytes;
use viser4d_proto::timeline::{pack, unpack};
use viser4d_proto::{AnyMessage, Value};
use viser4d_timeline::{Block, Compression, EncodeError, SymbolMap};

/// The type of the message a property update is stored as.
const UPDATE_TYPE: &str = "SceneNodeUpdateMessage";

/// Only creations this big are folded: there the second copy costs
/// bytes worth saving. A tab moving by a diff between two folded states
/// re-creates a folded node instead of updating its properties, which for
/// a node this heavy rebuilds what an update rebuilds anyway; small nodes
/// keep their updates.
const FOLD_MIN_CREATE_BYTES: usize = 16 << 10;

/// `state` (a one-step block from `Store::state_block`) encoded for
/// sending, its property updates folded into the creation messages.
pub(crate) fn encode_state(
    state: &Block<Bytes>,
    compression: Compression,
) -> Result<Vec<u8>, EncodeError> {
    state
        .with_props_folded(merge_props)
        .encode(compression)
        .or_else(|error| {
            tracing::warn!(%error, "cannot encode a folded state; sending it unfolded");
            state.encode(compression)
        })
}

/// `create` with each update's value in its `props`; `None` (the node is
/// left as it is) unless every update is a plain update of one property
/// and the result is still a valid message of the creation's type.
///
/// A creation recorded as an override would replace the folded one and
/// lose the folded properties; no path records one (a timeline node is
/// created inside `at()` only), and the store keeps them apart anyway.
pub(crate) fn merge_props(create: &Bytes, props: &SymbolMap<Bytes>) -> Option<Bytes> {
    if create.len() < FOLD_MIN_CREATE_BYTES {
        return None;
    }
    let mut message = unpack(create).ok()?;
    let Value::Map(fields) = &mut message else {
        return None;
    };
    let (_, Value::Map(target)) = fields.iter_mut().find(|(k, _)| k == "props")? else {
        return None;
    };
    for (symbol, entry) in props.iter() {
        let Value::Map(update) = unpack(&entry.value).ok()? else {
            return None;
        };
        let typed = update
            .iter()
            .any(|(k, v)| k == "type" && v.as_str() == Some(UPDATE_TYPE));
        let updates = update.into_iter().find(|(k, _)| k == "updates")?.1;
        let Value::Map(updates) = updates else {
            return None;
        };
        let [(key, value)]: [(String, Value); 1] = updates.try_into().ok()?;
        if !typed || key != symbol.as_str() {
            return None;
        }
        match target.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => target.push((key, value)),
        }
    }
    // Parsed as its class, so the folded message is one viser accepts and
    // is packed exactly as a recorded one is.
    match AnyMessage::from_value(message).ok()? {
        message @ AnyMessage::Viser(_) => pack(&message).ok(),
        AnyMessage::Custom(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use viser4d_proto::Message;
    use viser4d_proto::messages::{
        PointCloudMessage, PointCloudProps, PointCloudPropsPointShading, PointCloudPropsPointShape,
        PointCloudPropsPrecision, Scale, SceneNodeUpdateMessage, SetPositionMessage,
    };
    use viser4d_proto::timeline::{pack, unpack};
    use viser4d_proto::{AnyMessage, TypedArray, Value};
    use viser4d_timeline::{Key, Op, Store};

    use super::*;

    /// Points enough for the creation to be folded.
    const POINTS: usize = 2_000;

    fn cloud(x: f32, points: usize) -> PointCloudMessage {
        PointCloudMessage {
            name: "/cloud".into(),
            owner: String::new(),
            r#virtual: false,
            props: PointCloudProps {
                points: TypedArray::from_vec3_f32(&vec![[x; 3]; points]),
                colors: TypedArray::from_u8(vec![255, 0, 0]),
                point_size: 0.1,
                point_shape: PointCloudPropsPointShape::Square,
                precision: PointCloudPropsPrecision::Float32,
                scale: Scale::Uniform(1.0),
                point_shading: PointCloudPropsPointShading::Flat,
            },
        }
    }

    fn packed(message: impl Into<Message>) -> Bytes {
        pack(&AnyMessage::Viser(message.into())).expect("packs")
    }

    fn update(prop: &str, value: Value) -> Bytes {
        packed(SceneNodeUpdateMessage {
            name: "/cloud".into(),
            updates: Value::Map(vec![(prop.into(), value)]),
            owner: String::new(),
        })
    }

    /// The key the server records a property update under.
    fn prop_key(update: &Bytes) -> String {
        let prop = match unpack(update).expect("unpacks").get("updates") {
            Some(Value::Map(entries)) => entries[0].0.clone(),
            other => panic!("an update: {other:?}"),
        };
        format!("update:/cloud:{prop}")
    }

    fn key(s: &str) -> Key {
        s.parse().expect("a key")
    }

    /// A store whose step 1 holds `/cloud` created as `creation` and
    /// given `update` (a property update), plus a pose message.
    fn state_with(creation: PointCloudMessage, update: Bytes) -> Block<Bytes> {
        let mut store = Store::new(2).expect("a store");
        store
            .record_all(0, vec![Op::Put(key("create:/cloud"), packed(creation))])
            .expect("step 0");
        let pose = packed(SetPositionMessage {
            name: "/cloud".into(),
            position: [1.0, 2.0, 3.0],
            owner: String::new(),
        });
        store
            .record_all(
                1,
                vec![
                    Op::Put(key(&prop_key(&update)), update),
                    Op::Put(key("SetPositionMessage:/cloud"), pose),
                ],
            )
            .expect("step 1");
        store.state_block(1).expect("the state")
    }

    #[test]
    fn a_state_carries_the_current_points_once() {
        let points = update(
            "points",
            Value::Typed(TypedArray::from_vec3_f32(&[[7.0; 3]; POINTS])),
        );
        let state = state_with(cloud(0.0, POINTS), points);
        let folded = state.with_props_folded(merge_props);
        let node = folded.checkpoint().node("/cloud").expect("the cloud");
        assert!(node.props().is_empty(), "the update went into the creation");
        assert_eq!(node.messages().len(), 1, "other messages stay");
        let create = node.create().expect("created");
        assert_eq!(
            create.value,
            packed(cloud(7.0, POINTS)),
            "as if recorded so"
        );
        let plain = state.encode(Compression::None).expect("encodes");
        let small = state
            .with_props_folded(merge_props)
            .encode(Compression::None)
            .expect("encodes");
        assert!(
            small.len() < plain.len(),
            "{} >= {}",
            small.len(),
            plain.len()
        );
        assert_eq!(encode_state(&state, Compression::None).ok(), Some(small));
    }

    #[test]
    fn a_light_node_keeps_its_updates() {
        let state = state_with(cloud(0.0, 1), update("point_size", Value::Float(0.5)));
        let folded = state.with_props_folded(merge_props);
        assert_eq!(folded.checkpoint(), state.checkpoint(), "not worth folding");
    }

    #[test]
    fn an_update_the_creation_cannot_take_leaves_the_node_as_it_is() {
        // A string where the class wants an array: not a valid message.
        let state = state_with(
            cloud(0.0, POINTS),
            update("points", Value::Str("nope".into())),
        );
        let folded = state.with_props_folded(merge_props);
        let node = folded.checkpoint().node("/cloud").expect("the cloud");
        assert_eq!(node.props().len(), 1, "kept apart");
        assert_eq!(folded.checkpoint(), state.checkpoint());
    }
}
