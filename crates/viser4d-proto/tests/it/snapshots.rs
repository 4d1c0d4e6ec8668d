//! The encoded bytes of representative messages, so that any change to
//! the wire shows up in review as a diff of these snapshots.

use std::fmt::Write;

use viser4d_proto::messages::{
    FrameMessage, FrameProps, GuiSliderMessage, GuiSliderProps, Message, PointCloudMessage,
    PointCloudProps, PointCloudPropsPointShading, PointCloudPropsPointShape,
    PointCloudPropsPrecision, Scale, SceneNodeUpdateMessage, ViewerCameraMessage,
};
use viser4d_proto::{
    AnyMessage, TypedArray, Value, encode_client_message, encode_frame, encode_recording,
};

fn hexdump(bytes: &[u8]) -> String {
    let mut out = String::new();
    for (i, chunk) in bytes.chunks(16).enumerate() {
        let hex: Vec<String> = chunk.iter().map(|b| format!("{b:02x}")).collect();
        let text: String = chunk
            .iter()
            .map(|&b| if b.is_ascii_graphic() { b as char } else { '.' })
            .collect();
        writeln!(out, "{:06x}  {:<47}  {text}", i * 16, hex.join(" ")).expect("write to string");
    }
    out
}

/// The frame with its zstd section replaced by the msgpack it contains, so
/// the snapshot does not depend on the zstd build.
fn describe_frame(frame: &[u8]) -> String {
    let len = u64::from_le_bytes(frame[..8].try_into().expect("header")) as usize;
    let clen = u64::from_le_bytes(frame[8..16].try_into().expect("header")) as usize;
    let msgpack = zstd::bulk::decompress(&frame[16..16 + clen], len).expect("zstd");
    let tail = &frame[16 + clen..];
    format!(
        "msgpack ({len} bytes):\n{}\nafter the compressed payload (frame offset {}):\n{}",
        hexdump(&msgpack),
        16 + clen,
        hexdump(tail)
    )
}

fn frame_message() -> Message {
    Message::from(FrameMessage {
        name: "/robot".into(),
        owner: String::new(),
        r#virtual: false,
        props: FrameProps {
            show_axes: true,
            axes_length: 0.5,
            axes_radius: 0.025,
            origin_radius: 0.05,
            origin_color: [236, 236, 0],
            scale: Scale::Uniform(1.0),
        },
    })
}

fn point_cloud() -> Message {
    // 1.0, -2.0, 0.5 as IEEE half floats.
    let half = [0x3c00u16, 0xc000, 0x3800, 0x0000, 0x3c00, 0x3c00];
    Message::from(PointCloudMessage {
        name: "/cloud".into(),
        owner: String::new(),
        r#virtual: false,
        props: PointCloudProps {
            points: TypedArray::from_f16_bits(&half),
            colors: TypedArray::from_rgb_u8(&[[255, 0, 0], [0, 0, 255]]),
            point_size: 0.05,
            point_shape: PointCloudPropsPointShape::Square,
            precision: PointCloudPropsPrecision::Float16,
            scale: Scale::Uniform(1.0),
            point_shading: PointCloudPropsPointShading::Gradient,
        },
    })
}

#[test]
fn frame_message_frame() {
    let frame = encode_frame(&[frame_message()], 0.0).expect("encodes");
    insta::assert_snapshot!(describe_frame(&frame));
}

#[test]
fn point_cloud_frame_with_aligned_buffers() {
    let frame = encode_frame(&[point_cloud()], 0.0).expect("encodes");
    insta::assert_snapshot!(describe_frame(&frame));
}

#[test]
fn scene_node_update_with_array_frame() {
    let update = Message::from(SceneNodeUpdateMessage {
        name: "/cloud".into(),
        updates: Value::Map(vec![(
            "points".into(),
            Value::Typed(TypedArray::from_f32(&[0.0, 1.0, 2.0])),
        )]),
        owner: String::new(),
    });
    let frame = encode_frame(&[update], 0.0).expect("encodes");
    insta::assert_snapshot!(describe_frame(&frame));
}

#[test]
fn gui_slider_frame() {
    let slider = Message::from(GuiSliderMessage {
        uuid: "slider-1".into(),
        value: 0.5,
        container_uuid: "root".into(),
        props: GuiSliderProps {
            order: 1.0,
            label: "Speed".into(),
            hint: None,
            visible: true,
            disabled: false,
            min: 0.0,
            max: 2.0,
            step: 0.25,
            precision: 2,
            marks: None,
        },
    });
    let frame = encode_frame(&[slider], 0.0).expect("encodes");
    insta::assert_snapshot!(describe_frame(&frame));
}

#[test]
fn viewer_camera_client_message() {
    let camera = AnyMessage::Viser(Message::from(ViewerCameraMessage {
        wxyz: [1.0, 0.0, 0.0, 0.0],
        position: [3.0, 3.0, 3.0],
        fov: 1.3,
        near: 0.01,
        far: 1000.0,
        image_height: 720,
        image_width: 1280,
        look_at: [0.0, 0.0, 0.0],
        up_direction: [0.0, 0.0, 1.0],
    }));
    insta::assert_snapshot!(hexdump(&encode_client_message(&camera).expect("encodes")));
}

#[test]
fn recording_inner_payload() {
    let cloud = point_cloud();
    let messages = vec![(0.0, frame_message()), (0.5, cloud.clone()), (1.0, cloud)];
    let file = encode_recording(1.5, &messages).expect("encodes");
    let inner_len = u64::from_le_bytes(file[..8].try_into().expect("header")) as usize;
    let inner = zstd::bulk::decompress(&file[8..], inner_len).expect("zstd");
    insta::assert_snapshot!(hexdump(&inner));
}

/// A configure that carries what new tabs start with and a bound plot;
/// the fields are absent when default, so older configures keep their
/// bytes.
#[test]
fn timeline_configure_with_start_settings_and_plots() {
    use viser4d_proto::timeline::{PlotCursor, TimelineConfigure, TimelineSetLoop};
    let configure = TimelineConfigure {
        num_steps: 10,
        first_step: 0,
        standalone: false,
        fps: 10.0,
        block_size: 32,
        block_starts: Vec::new(),
        cache_bytes: 1 << 20,
        block_bytes: vec![None],
        global_defaults: Vec::new(),
        live: false,
        speed: Some(2.0),
        r#loop: Some(true),
        plots: vec![PlotCursor {
            uuid: "viser4d-gui-1".into(),
            library: "uplot".into(),
            x_per_step: 0.1,
        }],
    };
    let configure = viser4d_proto::timeline::ServerMessage::from(configure)
        .to_value()
        .expect("encodes");
    let set_loop = viser4d_proto::timeline::ServerMessage::from(TimelineSetLoop { r#loop: true })
        .to_value()
        .expect("encodes");
    let frame = encode_frame(
        &[AnyMessage::Custom(configure), AnyMessage::Custom(set_loop)],
        0.0,
    )
    .expect("encodes");
    insta::assert_snapshot!(describe_frame(&frame));
}

#[test]
fn skinned_mesh_bone_frame() {
    use viser4d_proto::messages::{SetBoneOrientationMessage, SetBonePositionMessage};
    let messages = [
        AnyMessage::Viser(Message::from(SetBoneOrientationMessage {
            name: "/rig".into(),
            bone_index: 3,
            wxyz: [1.0, 0.0, 0.0, 0.0],
            owner: String::new(),
        })),
        AnyMessage::Viser(Message::from(SetBonePositionMessage {
            name: "/rig".into(),
            bone_index: 3,
            position: [0.0, 1.0, 0.0],
            owner: String::new(),
        })),
    ];
    let frame = encode_frame(&messages, 0.0).expect("encodes");
    insta::assert_snapshot!(describe_frame(&frame));
}
