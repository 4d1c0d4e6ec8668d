//! proptest strategies for wire values and messages.

use bytes::Bytes;
use proptest::prelude::*;
use viser4d_proto::messages::{
    FrameMessage, FrameProps, Message, PointCloudMessage, PointCloudProps,
    PointCloudPropsPointShading, PointCloudPropsPointShape, PointCloudPropsPrecision, Scale,
    SceneNodeUpdateMessage, SetPositionMessage, ViewerCameraMessage,
};
use viser4d_proto::{AnyMessage, Dtype, TypedArray, Value};

/// Cases per property: 1,000 by default, `VISER4D_PROPTEST_CASES` to raise it.
pub fn config() -> ProptestConfig {
    let cases = std::env::var("VISER4D_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    ProptestConfig {
        cases,
        ..ProptestConfig::default()
    }
}

fn finite() -> impl Strategy<Value = f64> {
    prop_oneof![
        Just(0.0),
        Just(-1.5),
        any::<f64>().prop_filter("finite", |f| f.is_finite())
    ]
}

pub fn typed_array() -> impl Strategy<Value = TypedArray> {
    (prop::sample::select(Dtype::ALL.to_vec()), 0usize..64).prop_flat_map(|(dtype, n)| {
        prop::collection::vec(any::<u8>(), n * dtype.item_size_bytes())
            .prop_map(move |bytes| TypedArray::new(dtype, bytes).expect("whole elements"))
    })
}

fn name() -> impl Strategy<Value = String> {
    prop::collection::vec("[a-z0-9_]{1,6}", 1..4).prop_map(|parts| format!("/{}", parts.join("/")))
}

/// Value trees as our runtime's custom messages might carry them.
pub fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Nil),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::Int),
        ((i64::MAX as u64 + 1)..=u64::MAX).prop_map(Value::UInt),
        finite().prop_map(Value::Float),
        ".{0,12}".prop_map(Value::Str),
        prop::collection::vec(any::<u8>(), 0..32).prop_map(|b| Value::Bin(Bytes::from(b))),
        typed_array().prop_map(Value::Typed),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec(("k[a-z]{0,6}", inner), 0..6).prop_map(Value::Map),
        ]
    })
}

pub fn custom_message() -> impl Strategy<Value = AnyMessage> {
    (
        prop::collection::vec(("k[a-z]{0,6}", value()), 0..5),
        "[A-Z][a-z]{0,8}",
    )
        .prop_map(|(mut fields, suffix)| {
            fields.push(("type".to_owned(), Value::Str(format!("Timeline{suffix}"))));
            AnyMessage::Custom(Value::Map(fields))
        })
}

fn scale() -> impl Strategy<Value = Scale> {
    prop_oneof![
        finite().prop_map(Scale::Uniform),
        [finite(), finite(), finite()].prop_map(Scale::PerAxis)
    ]
}

pub fn viser_message() -> impl Strategy<Value = Message> {
    prop_oneof![
        (
            name(),
            any::<bool>(),
            finite(),
            finite(),
            any::<[u8; 3]>(),
            scale()
        )
            .prop_map(
                |(name, show_axes, axes_length, origin_radius, origin_color, scale)| {
                    Message::from(FrameMessage {
                        name,
                        owner: String::new(),
                        r#virtual: false,
                        props: FrameProps {
                            show_axes,
                            axes_length,
                            axes_radius: axes_length / 20.0,
                            origin_radius,
                            origin_color,
                            scale,
                        },
                    })
                }
            ),
        (
            name(),
            prop::collection::vec(any::<[f32; 3]>(), 0..40),
            any::<[u8; 3]>(),
            finite()
        )
            .prop_map(|(name, points, color, point_size)| {
                Message::from(PointCloudMessage {
                    name,
                    owner: "client-7".to_owned(),
                    r#virtual: false,
                    props: PointCloudProps {
                        points: TypedArray::from_vec3_f32(&points),
                        colors: TypedArray::from_u8(color.to_vec()),
                        point_size,
                        point_shape: PointCloudPropsPointShape::Circle,
                        precision: PointCloudPropsPrecision::Float32,
                        scale: Scale::Uniform(1.0),
                        point_shading: PointCloudPropsPointShading::Flat,
                    },
                })
            }),
        (name(), [finite(), finite(), finite()]).prop_map(|(name, position)| Message::from(
            SetPositionMessage {
                name,
                position,
                owner: String::new()
            }
        )),
        (
            name(),
            prop::collection::vec(("[a-z_]{1,8}", value()), 0..4)
        )
            .prop_map(|(name, updates)| {
                Message::from(SceneNodeUpdateMessage {
                    name,
                    updates: Value::Map(updates),
                    owner: String::new(),
                })
            }),
        camera().prop_map(Message::from),
    ]
}

pub fn camera() -> impl Strategy<Value = ViewerCameraMessage> {
    (
        [finite(), finite(), finite(), finite()],
        [finite(), finite(), finite()],
        finite(),
        0i64..10_000,
        0i64..10_000,
    )
        .prop_map(
            |(wxyz, position, fov, image_height, image_width)| ViewerCameraMessage {
                wxyz,
                position,
                fov,
                near: 0.01,
                far: 1000.0,
                image_height,
                image_width,
                look_at: [0.0, 0.0, 0.0],
                up_direction: [0.0, 0.0, 1.0],
            },
        )
}

pub fn any_message() -> impl Strategy<Value = AnyMessage> {
    prop_oneof![3 => viser_message().prop_map(AnyMessage::Viser), 1 => custom_message()]
}
