//! `viser4d-proto`: the wire protocol of the viser 1.1.1 web client, as
//! viser4d speaks it.
//!
//! It owns:
//! - a Rust type for every viser 1.1.1 message class ([`messages`],
//!   generated from the wheel's `_messages.py` and checked against it by a
//!   drift test), with the exact `type` tags and field names;
//! - numeric arrays as out-of-band binary buffers ([`TypedArray`]) and a
//!   dynamic [`Value`] for the protocol's untyped corners;
//! - the server-to-client frame codec ([`encode_frame`], [`decode_frame`]),
//!   the client-to-server message decoder ([`decode_client_message`]), and
//!   the `.viser` recording codec ([`encode_recording`], [`decode_recording`]);
//! - viser4d's own `Timeline*` messages ([`timeline`]);
//! - the archive manifest, its versioning rule and content hashes
//!   ([`archive`]).
//!
//! It is pure: no I/O, no sockets, no tokio, no threads. It builds for
//! `wasm32-unknown-unknown` (zstd is `ruzstd` there). It depends on no other
//! viser4d crate; the timeline store, the server and the browser runtime
//! all depend on it.
//!
//! ```
//! use viser4d_proto::messages::{FrameMessage, FrameProps, Message, Scale};
//! use viser4d_proto::{decode_frame, encode_frame, AnyMessage};
//!
//! let frame = FrameMessage {
//!     name: "/robot/base".into(),
//!     owner: String::new(),
//!     r#virtual: false,
//!     props: FrameProps {
//!         show_axes: true,
//!         axes_length: 0.5,
//!         axes_radius: 0.025,
//!         origin_radius: 0.05,
//!         origin_color: [236, 236, 0],
//!         scale: Scale::Uniform(1.0),
//!     },
//! };
//! let bytes = encode_frame(&[Message::from(frame.clone())], 0.0)?;
//! let decoded = decode_frame(bytes.into())?;
//! assert_eq!(decoded.messages, vec![AnyMessage::Viser(frame.into())]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![deny(missing_docs)]

mod any_message;
pub mod archive;
mod base64;
mod buffers;
mod client;
pub mod entity;
mod error;
mod file;
mod frame;
pub mod messages;
mod msgpack;
mod pose_pack;
mod registry;
pub mod timeline;
mod typed_array;
mod value;

pub use any_message::AnyMessage;
pub use base64::base64_encode;
pub use client::{MAX_CLIENT_MESSAGE_BYTES, decode_client_message, encode_client_message};
pub use error::{DecodeError, EncodeError, FileError, FrameError};
pub use file::{
    FILE_ZSTD_LEVEL, MAX_FILE_PAYLOAD_BYTES, RawRecording, Recording, RecordingEncoder,
    VISER_VERSION, decode_recording, decode_recording_values, encode_recording,
    encode_recording_at_level,
};
pub use frame::{
    Frame, FrameEncoder, LIVE_ZSTD_LEVEL, MAX_FRAME_PAYLOAD_BYTES, decode_frame, encode_frame,
    encoded_size_bytes,
};
pub use messages::Message;
pub use registry::{message_type_names, wire_structs};
pub use typed_array::{Dtype, TypedArray, TypedArrayLengthError};
pub use value::{Value, ValueError};

/// The WebSocket subprotocol the viser 1.1.1 client offers; the server must
/// select it or the browser drops the connection.
pub const SUBPROTOCOL: &str = "viser-v1.1.1";
