//! viser4d's own `Timeline*` messages, which ride in ordinary frames next
//! to viser's. The stock client ignores types it does not know; our browser
//! runtime takes them out of the client's message queue before viser sees
//! them, and sends its replies through the client's `sendMessage`.
//!
//! # The conversation
//!
//! ```text
//! server                                   tab (runtime)
//!   TimelineHello  (in every replay)  --->
//!                                     <---  TimelineReady (on install, and on each Hello)
//!   TimelineConfigure                 --->  resets cache and cursor; keeps its transport
//!   TimelineOverrides                 --->
//!   (commands held while not ready)   --->
//!                                     <---  TimelineStateRequest {step} (a seek to a missing block)
//!   TimelineState {step, revision, data} ->  shown until the block comes
//!                                     <---  TimelineBlockRequest {index}
//!   TimelineBlock {index, revision, data} ->
//!                                     <---  TimelineTimestep {step} (each new step shown)
//!                                     <---  TimelinePlaybackState {playing, step, speed, loop, following}
//!                                     <---  TimelineBlockDiscard {index} (evicted)
//!   TimelineBlock (a held block edited) --->
//!   TimelineManifest (sizes changed,  --->  (new length or starts: drops the blocks
//!     blocks start elsewhere, or the          whose steps moved, keeps what it shows)
//!     timeline grew or shrank)
//!   TimelineSeek / Play / Pause / SetSpeed / Follow / Refresh / Clear --->
//! ```
//!
//! Blocks and overrides travel as one binary field (`|u1`), which the
//! client's worker turns into a `Uint8Array` view; their bytes are what
//! `viser4d-timeline` encodes (`Block::encode`, `Overrides::encode`) with
//! every payload a [`pack`]ed viser message. Field names are snake_case like
//! viser's; each message's `type` comes last, as viser's do.
//!
//! Every type here starts with [`TIMELINE_TYPE_PREFIX`], so it can never
//! collide with a viser class name.

use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::any_message::AnyMessage;
use crate::error::{DecodeError, EncodeError};
use crate::messages::Message;
use crate::typed_array::TypedArray;
use crate::value::Value;

/// The revision of this conversation. The server says it in
/// [`TimelineHello`] and the runtime in [`TimelineReady`]; each side refuses
/// to play with another revision and says so, because a stale runtime (an
/// old bundle, a page cached by the browser) would otherwise sit inert or
/// misread blocks. Bump it with any change a peer of the old revision would
/// misread.
pub const PROTOCOL_REVISION: u32 = 4;

/// Every viser4d message type starts with this.
pub const TIMELINE_TYPE_PREFIX: &str = "Timeline";

/// A message of the timeline protocol.
pub trait TimelineMessage: Serialize + DeserializeOwned {
    /// Its `type` tag.
    const TYPE: &'static str;

    /// The message as a value tree, `type` last.
    fn to_value(&self) -> Result<Value, EncodeError> {
        let mut value =
            Value::from_serialize(self).map_err(|e| EncodeError::Msgpack(e.to_string()))?;
        match &mut value {
            Value::Map(entries) => entries.push(("type".to_owned(), Value::Str(Self::TYPE.into()))),
            other => {
                return Err(EncodeError::Msgpack(format!(
                    "{} serialized to a {}, not a map",
                    Self::TYPE,
                    other.kind()
                )));
            }
        }
        Ok(value)
    }

    /// The message ready to queue for a client.
    fn to_any(&self) -> Result<AnyMessage, EncodeError> {
        Ok(AnyMessage::Custom(self.to_value()?))
    }

    /// Reads the message from a value tree (the `type` is not checked here;
    /// see [`ServerMessage::from_value`] and [`ClientMessage::from_value`]).
    fn from_value(value: Value) -> Result<Self, DecodeError> {
        let without_type = match value {
            Value::Map(entries) => {
                Value::Map(entries.into_iter().filter(|(k, _)| k != "type").collect())
            }
            other => {
                return Err(DecodeError::NotAMap {
                    found: other.kind(),
                });
            }
        };
        Self::deserialize(without_type).map_err(|e| DecodeError::Field {
            type_name: Self::TYPE,
            path: e.path_string(),
            message: e.to_string(),
        })
    }
}

macro_rules! timeline_messages {
    ($($(#[$doc:meta])* $name:ident = $tag:literal { $($(#[$fdoc:meta])* $field:ident : $ty:ty),* $(,)? })*) => {
        $(
            $(#[$doc])*
            #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
            pub struct $name {
                $($(#[$fdoc])* pub $field: $ty,)*
            }

            impl TimelineMessage for $name {
                const TYPE: &'static str = $tag;
            }
        )*
    };
}

timeline_messages! {
    /// Sent in every replay: a tab's runtime answers with
    /// [`TimelineReady`]. A runtime that was already running (the page
    /// reconnected) starts over.
    TimelineHello = "TimelineHello" {
        /// The server's [`PROTOCOL_REVISION`] (absent before revision 2).
        #[serde(default)]
        protocol: Option<u32>,
        /// The server's crate version.
        #[serde(default)]
        server_version: Option<String>,
    }

    /// The timeline's shape and the tab's cache budget. Resets the
    /// runtime's blocks and shown state; its transport (step, speed, loop,
    /// playing) carries over, clamped to the new length.
    TimelineConfigure = "TimelineConfigure" {
        /// Number of steps (at least 1).
        num_steps: u32,
        /// The first step played (0, or the start of an exported range).
        first_step: u32,
        /// No server behind the tab (a `.viser` recording): every block
        /// arrives unasked and the tab sends nothing.
        standalone: bool,
        /// Base step rate, steps per second.
        fps: f64,
        /// The most steps a block holds.
        block_size: u32,
        /// The first step of every block, when blocks are not all
        /// `block_size` steps (heavy steps close a block early); empty when
        /// they are, so a long light timeline costs nothing here.
        #[serde(default)]
        block_starts: Vec<u32>,
        /// Bytes of blocks the tab may hold.
        cache_bytes: u64,
        /// Encoded size of each block, where known.
        block_bytes: Vec<Option<u64>>,
        /// For each global message type the timeline uses, the packed
        /// message that restores viser's default once no step sets it.
        global_defaults: Vec<GlobalDefault>,
        /// The timeline is being recorded and grows: a new tab follows its
        /// newest step, and a tab playing into the end follows on instead
        /// of stopping. Absent (false) in recordings.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        live: bool,
        /// The speed factor a new tab starts with (absent: 1). A tab that
        /// was configured before keeps its own.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        speed: Option<f64>,
        /// Whether a new tab starts looping (absent: no). A tab that was
        /// configured before keeps its own.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        r#loop: Option<bool>,
        /// GUI plots that draw a cursor at the tab's step.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        plots: Vec<PlotCursor>,
    }

    /// The GUI plots bound to the timeline changed: every one, as now.
    TimelinePlots = "TimelinePlots" {
        /// Every bound plot.
        plots: Vec<PlotCursor>,
    }

    /// New encoded sizes of the blocks (after edits or first encodings).
    TimelineManifest = "TimelineManifest" {
        /// Encoded size of each block, where known.
        block_bytes: Vec<Option<u64>>,
        /// The new first step of every block, when blocks now start
        /// elsewhere (a heavy block split while recording): the indices the
        /// tab holds mean other steps, so it drops its blocks. Empty means
        /// every block is whole (`block_size` steps, the last one shorter).
        #[serde(default)]
        block_starts: Option<Vec<u32>>,
        /// The new number of steps, when the timeline grew or shrank (steps
        /// recorded live, `set_steps`): the tab keeps its transport, clamped,
        /// and the blocks whose steps did not move. `block_starts` comes
        /// with it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        num_steps: Option<u32>,
        /// The new first step kept, when the server dropped the oldest
        /// blocks of a long recording (its retention): the tab drops them
        /// too, and a tab on a dropped step moves to this one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        first_step: Option<u32>,
        /// When set, `block_bytes` and `block_starts` list the blocks from
        /// this index on, and the tab keeps what it knows of the ones
        /// before: a live recording's manifest then costs a block or two,
        /// not one entry per block of an hours-long timeline.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from_block: Option<u32>,
        /// Whether the timeline is being recorded now, when that changed
        /// (see [`TimelineConfigure`]'s `live`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        live: Option<bool>,
    }

    /// One block's bytes and the audio of its steps; replaces any copy
    /// the tab holds.
    TimelineBlock = "TimelineBlock" {
        /// Block index.
        index: u32,
        /// Its revision: equal revisions mean equal blocks.
        revision: u64,
        /// Revision of its audio (tracks appended to change it).
        audio_revision: u64,
        /// `Block::encode` output (`|u1`).
        data: TypedArray,
        /// For each track sounding during the block's steps, those samples.
        audio: Vec<AudioSlice>,
    }

    /// The folded state at one step, for a tab that seeks to a step whose
    /// block it lacks (see [`TimelineStateRequest`]).
    TimelineState = "TimelineState" {
        /// The step.
        step: u32,
        /// The revision of the block holding it: equal revisions mean the
        /// state is that block's at this step.
        revision: u64,
        /// `Block::encode` output of a one-step block whose checkpoint is
        /// the state at `step` and whose step changes nothing (`|u1`).
        data: TypedArray,
    }

    /// The overrides (edits made outside any step), applied on every step.
    TimelineOverrides = "TimelineOverrides" {
        /// Increases with every change.
        revision: u64,
        /// `Overrides::encode` output (`|u1`).
        data: TypedArray,
    }

    /// Show this step (the tab keeps playing if it was).
    TimelineSeek = "TimelineSeek" {
        /// The step, clamped by the tab to the timeline.
        step: u32,
    }

    /// Start playing from the tab's own current step.
    TimelinePlay = "TimelinePlay" {
        /// New speed, or keep the tab's.
        speed: Option<f64>,
        /// New loop setting, or keep the tab's.
        r#loop: Option<bool>,
    }

    /// Stop playing, staying on the current step.
    TimelinePause = "TimelinePause" {}

    /// Follow the newest step: show each step as soon as it is recorded,
    /// until the tab seeks, pauses or plays.
    TimelineFollow = "TimelineFollow" {}

    /// Change the speed (a factor on `fps`).
    TimelineSetSpeed = "TimelineSetSpeed" {
        /// The factor, > 0.
        speed: f64,
    }

    /// Turn looping on or off (the tab keeps playing or paused).
    TimelineSetLoop = "TimelineSetLoop" {
        /// Loop from the last step back to the first.
        r#loop: bool,
    }

    /// The timeline was cleared: drop every block and shown node.
    TimelineClear = "TimelineClear" {}

    /// Drop cached blocks and show the current step again from fresh blocks.
    TimelineRefresh = "TimelineRefresh" {}

    /// The runtime is installed and listening (tab to server).
    TimelineReady = "TimelineReady" {
        /// The runtime's version (absent before protocol revision 2).
        #[serde(default)]
        runtime_version: Option<String>,
        /// The runtime's [`PROTOCOL_REVISION`] (absent before revision 2).
        #[serde(default)]
        protocol: Option<u32>,
    }

    /// Please send the state at this step (tab to server): a seek to a
    /// step whose block the tab lacks shows this first, at the cost of one
    /// step's state instead of a whole block.
    TimelineStateRequest = "TimelineStateRequest" {
        /// The step.
        step: u32,
    }

    /// Please send this block (tab to server).
    TimelineBlockRequest = "TimelineBlockRequest" {
        /// Block index.
        index: u32,
    }

    /// The tab evicted this block; do not refresh it (tab to server).
    TimelineBlockDiscard = "TimelineBlockDiscard" {
        /// Block index.
        index: u32,
    }

    /// The tab now shows this step (tab to server).
    TimelineTimestep = "TimelineTimestep" {
        /// The step.
        step: u32,
    }

    /// An audio track, stored in the timeline as the creation of the node
    /// named like the track (so adding, removing and seeking follow the
    /// scene's rules). Its samples travel with the blocks.
    TimelineAudioTrack = "TimelineAudioTrack" {
        /// Track name (a node name).
        name: String,
        /// Frames per second.
        sample_rate: u32,
        /// Channels per frame.
        channels: u16,
        /// Volume in [0, 1].
        volume: f32,
        /// The step the track starts at.
        start_step: u32,
    }

    /// A track's volume, stored as the track node's `volume` property.
    TimelineAudioVolume = "TimelineAudioVolume" {
        /// Track name.
        name: String,
        /// Volume in [0, 1].
        volume: f32,
    }

    /// The tab's transport changed (tab to server).
    TimelinePlaybackState = "TimelinePlaybackState" {
        /// Whether it plays.
        playing: bool,
        /// Its current step.
        step: u32,
        /// Its speed factor.
        speed: f64,
        /// Whether it loops.
        r#loop: bool,
        /// Whether it follows the newest step (absent before revision 4).
        #[serde(default)]
        following: bool,
    }
}

/// The samples of one track that sound during one block's steps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AudioSlice {
    /// Track name.
    pub name: String,
    /// Frames per second.
    pub sample_rate: u32,
    /// Channels per frame.
    pub channels: u16,
    /// The step the track starts at.
    pub start_step: u32,
    /// Index in the track of the slice's first frame.
    pub start_frame: u64,
    /// Interleaved samples (`<f4`).
    pub samples: TypedArray,
}

/// A GUI plot whose cursor follows the tab's step (see
/// [`TimelineConfigure::plots`]): at step `s` it sits at x = `s *
/// x_per_step`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlotCursor {
    /// The plot's GUI element uuid.
    pub uuid: String,
    /// Which library draws it: `uplot` or `plotly`.
    pub library: String,
    /// x per step: 1 for steps, `1 / fps` for seconds.
    pub x_per_step: f64,
}

/// The reset message for one global type (see [`TimelineConfigure`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GlobalDefault {
    /// The global's message type.
    pub message_type: String,
    /// The [`pack`]ed message that restores the default (`|u1`).
    pub message: TypedArray,
}

macro_rules! message_enum {
    ($(#[$doc:meta])* $enum:ident { $($variant:ident),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq)]
        #[allow(clippy::large_enum_variant)]
        pub enum $enum {
            $(
                #[allow(missing_docs)]
                $variant($variant),
            )*
        }

        impl $enum {
            /// Reads a message of one of these types from a value tree;
            /// `Ok(None)` when its `type` is not one of them.
            pub fn from_value(value: Value) -> Result<Option<$enum>, DecodeError> {
                let Some(tag) = value.get("type").and_then(Value::as_str) else {
                    return Ok(None);
                };
                Ok(Some(match tag {
                    $(<$variant as TimelineMessage>::TYPE => {
                        $enum::$variant(<$variant as TimelineMessage>::from_value(value)?)
                    })*
                    _ => return Ok(None),
                }))
            }

            /// A decoded frame's or recording's message as one of these;
            /// `None` for viser's own, other types, and malformed ones.
            pub fn from_any(message: &AnyMessage) -> Option<$enum> {
                match message {
                    AnyMessage::Custom(value) => $enum::from_value(value.clone()).ok().flatten(),
                    AnyMessage::Viser(_) => None,
                }
            }

            /// The message as a value tree, `type` last.
            pub fn to_value(&self) -> Result<Value, EncodeError> {
                match self {
                    $($enum::$variant(m) => m.to_value(),)*
                }
            }

            /// Its `type` tag.
            pub fn type_name(&self) -> &'static str {
                match self {
                    $($enum::$variant(_) => <$variant as TimelineMessage>::TYPE,)*
                }
            }
        }

        $(
            impl From<$variant> for $enum {
                fn from(m: $variant) -> $enum {
                    $enum::$variant(m)
                }
            }
        )*
    };
}

message_enum! {
    /// A message the server sends to a tab's runtime.
    ServerMessage {
        TimelineHello,
        TimelineConfigure,
        TimelineManifest,
        TimelineBlock,
        TimelineState,
        TimelineOverrides,
        TimelineSeek,
        TimelinePlay,
        TimelinePause,
        TimelineFollow,
        TimelineSetSpeed,
        TimelineSetLoop,
        TimelinePlots,
        TimelineClear,
        TimelineRefresh,
    }
}

message_enum! {
    /// A message a tab's runtime sends to the server.
    ClientMessage {
        TimelineReady,
        TimelineStateRequest,
        TimelineBlockRequest,
        TimelineBlockDiscard,
        TimelineTimestep,
        TimelinePlaybackState,
    }
}

/// The most steps a timeline may have; also what the timeline store
/// accepts. A configure that claims more comes from a broken or crafted
/// file, and sizing anything from it would ask for gigabytes.
pub const MAX_STEPS: u32 = 1 << 24;

impl TimelineConfigure {
    /// Checks every size a peer (a server, or a `.viser` file from anywhere)
    /// claims, before anything is allocated from them; the error says which
    /// value is out of range.
    pub fn check(&self) -> Result<(), String> {
        if self.num_steps == 0 || self.num_steps > MAX_STEPS {
            return Err(format!(
                "num_steps {} is outside 1..={MAX_STEPS}",
                self.num_steps
            ));
        }
        if self.first_step >= self.num_steps {
            return Err(format!(
                "first_step {} is not below num_steps {}",
                self.first_step, self.num_steps
            ));
        }
        if self.block_size == 0 || self.block_size > MAX_STEPS {
            return Err(format!(
                "block_size {} is outside 1..={MAX_STEPS}",
                self.block_size
            ));
        }
        if !(self.fps.is_finite() && self.fps > 0.0) {
            return Err(format!("fps {} is not positive and finite", self.fps));
        }
        if let Some(speed) = self.speed
            && !(speed.is_finite() && speed > 0.0)
        {
            return Err(format!("speed {speed} is not positive and finite"));
        }
        if !self.block_starts.is_empty() {
            check_block_starts(&self.block_starts, self.num_steps)?;
        }
        let num_blocks = self.num_blocks() as usize;
        if self.block_bytes.len() > num_blocks {
            return Err(format!(
                "{} block sizes given for {num_blocks} blocks",
                self.block_bytes.len()
            ));
        }
        Ok(())
    }

    /// Blocks in the timeline (valid once [`TimelineConfigure::check`] passed).
    pub fn num_blocks(&self) -> u32 {
        if self.block_starts.is_empty() {
            self.num_steps.div_ceil(self.block_size.max(1))
        } else {
            self.block_starts.len() as u32
        }
    }

    /// The first step of every block (valid once
    /// [`TimelineConfigure::check`] passed).
    pub fn starts(&self) -> Vec<u32> {
        if self.block_starts.is_empty() {
            (0..self.num_steps)
                .step_by(self.block_size.max(1) as usize)
                .collect()
        } else {
            self.block_starts.clone()
        }
    }
}

/// Checks block starts from outside: block 0 at step 0, increasing, each
/// below `num_steps`.
pub fn check_block_starts(starts: &[u32], num_steps: u32) -> Result<(), String> {
    match starts.first() {
        Some(0) => {}
        Some(first) => return Err(format!("the first block starts at step {first}, not 0")),
        None => return Err(format!("no block for {num_steps} steps")),
    }
    if let Some(pair) = starts.windows(2).find(|p| p[1] <= p[0]) {
        return Err(format!(
            "block starts {} then {}: starts must increase",
            pair[0], pair[1]
        ));
    }
    if let Some(&last) = starts.last()
        && last >= num_steps
    {
        return Err(format!(
            "a block starts at step {last}, not below num_steps {num_steps}"
        ));
    }
    Ok(())
}

impl TimelineHello {
    /// The hello of a server of crate version `server_version` speaking
    /// this [`PROTOCOL_REVISION`].
    pub fn new(server_version: &str) -> TimelineHello {
        TimelineHello {
            protocol: Some(PROTOCOL_REVISION),
            server_version: Some(server_version.to_owned()),
        }
    }
}

impl TimelineReady {
    /// The ready of a runtime of version `runtime_version` speaking this
    /// [`PROTOCOL_REVISION`].
    pub fn new(runtime_version: &str) -> TimelineReady {
        TimelineReady {
            runtime_version: Some(runtime_version.to_owned()),
            protocol: Some(PROTOCOL_REVISION),
        }
    }

    /// Whether the runtime speaks this revision of the conversation.
    pub fn compatible(&self) -> bool {
        self.protocol == Some(PROTOCOL_REVISION)
    }
}

/// Packs a message for the timeline: msgpack with arrays inline, so one
/// payload is self-contained and comparable as bytes.
pub fn pack(message: &AnyMessage) -> Result<Bytes, EncodeError> {
    match message {
        AnyMessage::Viser(m) => pack_message(m),
        AnyMessage::Custom(_) => pack_sized(message),
    }
}

pub use crate::pose_pack::{pack_orientation, pack_position, pack_visibility};

/// [`pack`] for a viser message, which a caller holding one need not wrap.
pub fn pack_message(message: &Message) -> Result<Bytes, EncodeError> {
    // Poses and flags, the messages recorded most often, are written by
    // hand; every other kind goes through serde.
    match crate::pose_pack::pack(message) {
        Some(packed) => Ok(packed),
        None => pack_sized(message),
    }
}

/// Sized first (counting is cheap: an array is one write of its length),
/// so a point cloud's bytes are copied once, not again at every doubling of
/// a growing vector.
fn pack_sized(message: &impl Serialize) -> Result<Bytes, EncodeError> {
    let msgpack = |e: rmp_serde::encode::Error| EncodeError::Msgpack(e.to_string());
    let mut count = crate::msgpack::ByteCount::default();
    message
        .serialize(&mut rmp_serde::Serializer::new(&mut count).with_struct_map())
        .map_err(msgpack)?;
    let mut out = Vec::with_capacity(count.0);
    message
        .serialize(&mut rmp_serde::Serializer::new(&mut out).with_struct_map())
        .map_err(msgpack)?;
    Ok(Bytes::from(out))
}

/// Unpacks a [`pack`]ed message into a value tree (arrays come back as
/// [`Value::Typed`]).
pub fn unpack(packed: &[u8]) -> Result<Value, DecodeError> {
    let value: Value =
        crate::msgpack::from_slice(packed).map_err(|e| DecodeError::Msgpack(e.to_string()))?;
    if !matches!(value, Value::Map(_)) {
        return Err(DecodeError::NotAMap {
            found: value.kind(),
        });
    }
    Ok(value)
}

/// Timeline messages as one msgpack array (an archive's timeline file).
pub fn pack_messages(messages: &[ServerMessage]) -> Result<Bytes, EncodeError> {
    let values = messages
        .iter()
        .map(ServerMessage::to_value)
        .collect::<Result<Vec<Value>, _>>()?;
    pack(&AnyMessage::Custom(Value::Array(values)))
}

/// Reads what [`pack_messages`] wrote; a message of a type this revision
/// does not know is an error (an archive's timeline must be whole).
pub fn unpack_messages(packed: &[u8]) -> Result<Vec<ServerMessage>, DecodeError> {
    let value: Value =
        crate::msgpack::from_slice(packed).map_err(|e| DecodeError::Msgpack(e.to_string()))?;
    let Value::Array(items) = value else {
        return Err(DecodeError::Msgpack(format!(
            "expected an array of timeline messages, found a {}",
            value.kind()
        )));
    };
    items
        .into_iter()
        .map(|item| {
            let name = item
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            ServerMessage::from_value(item)?.ok_or(DecodeError::UnknownType(name))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_round_trip_through_values_with_type_last() -> Result<(), Box<dyn std::error::Error>>
    {
        let block = TimelineBlock {
            index: 3,
            revision: 9,
            audio_revision: 2,
            data: TypedArray::from_u8(vec![1, 2, 3]),
            audio: vec![AudioSlice {
                name: "/speech".into(),
                sample_rate: 16_000,
                channels: 1,
                start_step: 0,
                start_frame: 1_600,
                samples: TypedArray::from_f32(&[0.5, -0.5]),
            }],
        };
        let value = block.to_value()?;
        let Value::Map(entries) = &value else {
            panic!("not a map");
        };
        assert_eq!(entries.last().map(|(k, _)| k.as_str()), Some("type"));
        assert_eq!(
            ServerMessage::from_value(value)?,
            Some(ServerMessage::TimelineBlock(block))
        );
        let play = TimelinePlay {
            speed: None,
            r#loop: Some(true),
        };
        let value = play.to_value()?;
        assert!(value.get("loop").is_some());
        assert_eq!(ServerMessage::from_value(value)?, Some(play.into()));
        Ok(())
    }

    #[test]
    fn packed_message_lists_round_trip_and_unknown_types_are_refused()
    -> Result<(), Box<dyn std::error::Error>> {
        let block = TimelineBlock {
            index: 1,
            revision: 2,
            audio_revision: 0,
            data: TypedArray::from_u8(vec![7; 100]),
            audio: vec![],
        };
        let messages = vec![
            ServerMessage::from(block.clone()),
            TimelineOverrides {
                revision: 1,
                data: TypedArray::from_u8(vec![1, 2]),
            }
            .into(),
        ];
        let packed = pack_messages(&messages)?;
        assert_eq!(unpack_messages(&packed)?, messages);
        let one = pack(&AnyMessage::Custom(
            ServerMessage::from(block.clone()).to_value()?,
        ))?;
        assert_eq!(
            ServerMessage::from_value(unpack(&one)?)?,
            Some(ServerMessage::TimelineBlock(block))
        );
        let other = pack(&AnyMessage::Custom(Value::Array(vec![Value::Map(vec![(
            "type".into(),
            Value::Str("TimelineFromTheFuture".into()),
        )])])))?;
        assert!(unpack_messages(&other).is_err());
        assert!(unpack_messages(&[0xc1]).is_err());
        Ok(())
    }

    #[test]
    fn numbers_are_read_leniently_and_bad_fields_are_named() {
        let value = Value::Map(vec![
            ("step".into(), Value::Float(4.0)),
            ("type".into(), Value::Str("TimelineTimestep".into())),
        ]);
        assert_eq!(
            ClientMessage::from_value(value).ok().flatten(),
            Some(ClientMessage::TimelineTimestep(TimelineTimestep {
                step: 4
            }))
        );
        let bad = Value::Map(vec![
            ("index".into(), Value::Str("x".into())),
            ("type".into(), Value::Str("TimelineBlockRequest".into())),
        ]);
        let err = ClientMessage::from_value(bad).err().map(|e| e.to_string());
        assert!(err.is_some_and(|e| e.contains("TimelineBlockRequest") && e.contains("index")));
        let other = Value::Map(vec![("type".into(), Value::Str("GuiFoo".into()))]);
        assert_eq!(ClientMessage::from_value(other).ok().flatten(), None);
    }

    /// The hand-written path for poses and flags gives msgpack's bytes,
    /// wrapped or not, for short names and a long one.
    #[test]
    fn small_messages_pack_to_msgpacks_bytes() -> Result<(), Box<dyn std::error::Error>> {
        use crate::messages::{SetPositionMessage, SetSceneNodeVisibilityMessage};
        let long = format!("/{}", "n".repeat(8192));
        for name in ["/a", long.as_str(), "/b"] {
            for message in [
                Message::from(SetPositionMessage {
                    name: name.into(),
                    position: [1.0, -2.5, 3.0],
                    owner: String::new(),
                }),
                Message::from(SetSceneNodeVisibilityMessage {
                    name: name.into(),
                    visible: false,
                    owner: "tab".into(),
                }),
            ] {
                let mut plain = Vec::new();
                message.serialize(&mut rmp_serde::Serializer::new(&mut plain).with_struct_map())?;
                assert_eq!(pack_message(&message)?.as_ref(), plain.as_slice());
                let message = AnyMessage::Viser(message);
                assert_eq!(pack(&message)?.as_ref(), plain.as_slice());
            }
        }
        Ok(())
    }

    #[test]
    fn packed_messages_unpack_with_typed_arrays() -> Result<(), Box<dyn std::error::Error>> {
        let message = AnyMessage::Custom(Value::Map(vec![
            (
                "points".into(),
                Value::Typed(TypedArray::from_f32(&[1.0, 2.0])),
            ),
            ("type".into(), Value::Str("Custom".into())),
        ]));
        let packed = pack(&message)?;
        let value = unpack(&packed)?;
        assert!(matches!(value.get("points"), Some(Value::Typed(t)) if t.len() == 2));
        assert!(unpack(&[0x01]).is_err());
        Ok(())
    }
}
