//! A tab whose runtime speaks another protocol revision than this server:
//! an old page cached by the browser, or a bundle from another build. It
//! would sit inert or misread blocks, so the server configures it not at
//! all, says why once in the log, and tells the user in the page with a
//! viser notification, which every runtime version and the stock client
//! can show.

use viser4d_proto::messages::{
    ColorSpec, LiteralColor, NotificationProps, NotificationShowMessage,
};
use viser4d_proto::timeline::{PROTOCOL_REVISION, TimelineReady};
use viser4d_proto::{AnyMessage, Message};

use crate::shared::{ClientId, State};

/// What the server calls itself in the message.
const SERVER_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Refuses tab `id`, whose runtime said `ready` with another revision.
pub(crate) fn refuse(state: &mut State, id: ClientId, ready: &TimelineReady) {
    let runtime = ready.runtime_version.as_deref().unwrap_or("unknown");
    // Before revision 2 a runtime sent no version at all.
    let protocol = ready.protocol.unwrap_or(1);
    let first_time = state.timeline.as_mut().is_some_and(|t| {
        t.refused_runtimes
            .insert((runtime.to_owned(), ready.protocol))
    });
    if first_time {
        tracing::error!(
            client = id,
            runtime_version = runtime,
            runtime_protocol = protocol,
            server_version = SERVER_VERSION,
            server_protocol = PROTOCOL_REVISION,
            "a tab runs a viser4d runtime this server cannot drive; it gets no timeline \
             (the page is stale or the bundle comes from another build: reload it, or \
             serve the runtime that matches this server)"
        );
    }
    let body = format!(
        "This page runs viser4d runtime {runtime} (protocol {protocol}); the server is \
         viser4d {SERVER_VERSION} (protocol {PROTOCOL_REVISION}). Reload the page; if this \
         stays, the server's runtime bundle comes from another version."
    );
    let notice = NotificationShowMessage {
        uuid: format!("viser4d-version-mismatch-{id}"),
        props: NotificationProps {
            title: "viser4d: timeline unavailable".to_owned(),
            body,
            loading: false,
            with_close_button: true,
            auto_close_seconds: None,
            color: Some(ColorSpec::Named(LiteralColor::Red)),
        },
    };
    state.push(id, AnyMessage::Viser(Message::from(notice)));
}
