//! viser4d's own `Timeline*` messages, which ride in ordinary frames next
//! to viser's (the stock client ignores types it does not know; our browser
//! runtime takes them out of the client's message queue).
//!
//! Their design belongs to the recording-and-playback issue (configure,
//! block manifests, block bytes, seek/play/pause, and the client's replies);
//! until it lands this module defines only the naming rule they will follow.

/// Every viser4d message type starts with this, so that it can never
/// collide with a viser class name.
pub const TIMELINE_TYPE_PREFIX: &str = "Timeline";
