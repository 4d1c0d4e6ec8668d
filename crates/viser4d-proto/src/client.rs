//! Client-to-server messages: one plain msgpack map per WebSocket message,
//! no framing, no compression. The browser's encoder writes whole-number
//! floats as integers, so decoding is lenient about numbers (see
//! [`Value`](crate::Value)); anything malformed is a [`DecodeError`] that
//! names the type and the field, for the server to log and move on.

use crate::any_message::AnyMessage;
use crate::error::DecodeError;
use crate::value::Value;

/// Largest client message we decode (file uploads arrive in parts well
/// below this).
pub const MAX_CLIENT_MESSAGE_BYTES: usize = 64 << 20;

/// Decodes one client message. Unknown `type`s (our runtime's own messages)
/// come back as [`AnyMessage::Custom`].
pub fn decode_client_message(bytes: &[u8]) -> Result<AnyMessage, DecodeError> {
    if bytes.len() > MAX_CLIENT_MESSAGE_BYTES {
        return Err(DecodeError::Msgpack(format!(
            "{} bytes is over the {MAX_CLIENT_MESSAGE_BYTES}-byte limit",
            bytes.len()
        )));
    }
    let value: Value =
        crate::msgpack::from_slice(bytes).map_err(|e| DecodeError::Msgpack(e.to_string()))?;
    if !matches!(value, Value::Map(_)) {
        return Err(DecodeError::NotAMap {
            found: value.kind(),
        });
    }
    AnyMessage::from_value(value)
}

/// Encodes a message the way a client sends it (for tests and tools that
/// act as a client): plain msgpack, arrays inline.
pub fn encode_client_message(message: &AnyMessage) -> Result<Vec<u8>, crate::EncodeError> {
    rmp_serde::to_vec_named(message).map_err(|e| crate::EncodeError::Msgpack(e.to_string()))
}
