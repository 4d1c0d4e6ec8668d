//! A message as it travels: one of viser's, or one of a `type` we do not
//! model (our own `Timeline*` messages, or a newer client's). viser's
//! client ignores types it does not know, so frames and files carry both.

use serde::{Serialize, Serializer};

use crate::messages::Message;
use crate::registry;
use crate::value::Value;
use crate::{DecodeError, EncodeError};

/// A viser message, or any other map with a `type`.
// `Message` is large because its biggest variants are; boxing it would add an
// allocation per message on the send path to save memory nobody holds long.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum AnyMessage {
    /// A viser 1.1.1 message.
    Viser(Message),
    /// A map with a string `type` that is not a viser 1.1.1 class.
    Custom(Value),
}

impl AnyMessage {
    /// Wraps a value tree with a `type` that viser does not define.
    pub fn custom(value: Value) -> Result<AnyMessage, EncodeError> {
        match value.get("type").and_then(Value::as_str) {
            Some(t) if registry::lookup(t).is_none() => Ok(AnyMessage::Custom(value)),
            Some(_) => Message::from_value(value)
                .map(AnyMessage::Viser)
                .map_err(|e| EncodeError::Msgpack(e.to_string())),
            None => Err(EncodeError::UntypedCustomMessage),
        }
    }

    /// Decodes a value tree: viser types become [`AnyMessage::Viser`] (and
    /// must be well formed), any other `type` stays a tree.
    pub fn from_value(value: Value) -> Result<AnyMessage, DecodeError> {
        match value.get("type").and_then(Value::as_str) {
            Some(t) if registry::lookup(t).is_none() => Ok(AnyMessage::Custom(value)),
            _ => Message::from_value(value).map(AnyMessage::Viser),
        }
    }

    /// The `type` tag.
    pub fn type_name(&self) -> &str {
        match self {
            AnyMessage::Viser(m) => m.type_name(),
            AnyMessage::Custom(v) => v.get("type").and_then(Value::as_str).unwrap_or(""),
        }
    }
}

impl From<Message> for AnyMessage {
    fn from(m: Message) -> AnyMessage {
        AnyMessage::Viser(m)
    }
}

impl Serialize for AnyMessage {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            AnyMessage::Viser(m) => m.serialize(s),
            AnyMessage::Custom(v) => v.serialize(s),
        }
    }
}
