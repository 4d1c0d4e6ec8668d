//! Client messages that belong to the GUI: value changes and clicks
//! (`GuiUpdateMessage`), and file uploads (`FileTransferStartUpload`,
//! `FileTransferPart`).
//!
//! Anything a tab sends is checked before it touches the registry: an
//! element the tab cannot see, a value of the wrong shape, an option that
//! is not offered or a malformed upload is logged and dropped.

use bytes::Bytes;
use viser4d_proto::messages::{
    ColorSpec, FileTransferPart, FileTransferPartAck, FileTransferStartUpload, GuiUpdateMessage,
    LiteralColor, NotificationProps, NotificationShowMessage,
};
use viser4d_proto::{AnyMessage, Message, Value};

use crate::callbacks::run_blocking;
use crate::client::ClientHandle;
use crate::gui::registry::EntryKind;
use crate::gui::upload::{
    MAX_UPLOADS_IN_FLIGHT_PER_CLIENT, PartOutcome, PendingUpload, UploadAssembly, UploadError,
    UploadEvent, UploadedFile,
};
use crate::shared::{Scope, Shared, State};

/// Handles `message` if it is the GUI's; otherwise hands it back.
pub(crate) fn handle(
    shared: &Shared,
    client: &ClientHandle,
    message: AnyMessage,
) -> Option<AnyMessage> {
    match message {
        AnyMessage::Viser(Message::GuiUpdateMessage(m)) => {
            gui_update(shared, client, m);
            None
        }
        AnyMessage::Viser(Message::GuiFormSubmitMessage(m)) => {
            crate::gui::form::form_submit(shared, client, m);
            None
        }
        AnyMessage::Viser(Message::GuiFormDirtyMessage(m)) => {
            crate::gui::form::form_dirty(shared, client, m);
            None
        }
        AnyMessage::Viser(Message::GuiButtonHoldMessage(m)) => {
            crate::gui::form::button_hold(shared, client, m);
            None
        }
        AnyMessage::Viser(Message::CommandTriggerMessage(m)) => {
            crate::gui::command::trigger(shared, client, m);
            None
        }
        AnyMessage::Viser(Message::FileTransferStartUpload(m)) => {
            upload_start(shared, client, m);
            None
        }
        AnyMessage::Viser(Message::FileTransferPart(m)) => {
            upload_part(shared, client, m);
            None
        }
        other => Some(other),
    }
}

fn gui_update(shared: &Shared, client: &ClientHandle, message: GuiUpdateMessage) {
    let Value::Map(updates) = message.updates else {
        tracing::warn!(client = client.id(), uuid = %message.uuid, "GuiUpdateMessage without an updates map");
        return;
    };
    // Tabs only ever change an input's value; other properties belong to
    // the program.
    let Some((_, value)) = updates.into_iter().find(|(prop, _)| prop == "value") else {
        return;
    };
    let mut state = shared.lock();
    let Some(entry) = state.gui.get_mut(&message.uuid) else {
        // Removed while the tab was still showing it.
        return;
    };
    if !entry.in_scope_of(client.id()) {
        tracing::warn!(client = client.id(), uuid = %message.uuid, "tab changed another tab's GUI element; ignored");
        return;
    }
    let syncs = match entry.kind {
        EntryKind::Input => true,
        EntryKind::Button => false,
        _ => {
            tracing::warn!(client = client.id(), uuid = %message.uuid, "tab sent a value for an element that takes none; ignored");
            return;
        }
    };
    let Some(check) = &entry.check else {
        return;
    };
    let value = match check.check_from_tab(&value) {
        Ok(value) => value,
        Err(reason) => {
            tracing::warn!(client = client.id(), uuid = %message.uuid, %reason, "tab sent an invalid GUI value; ignored");
            return;
        }
    };
    // A button click counts even when the value is unchanged; an input's
    // unchanged value is no news.
    if syncs && entry.value == value {
        return;
    }
    entry.value = value.clone();
    let scope = entry.scope;
    if syncs {
        // Keep the other tabs (and late joiners) in sync.
        let sync = Message::from(GuiUpdateMessage {
            uuid: message.uuid.clone(),
            updates: Value::Map(vec![("value".to_owned(), value.clone())]),
        });
        state.send_live(scope, sync, Some(client.id()));
    }
    let callbacks = state.gui.callbacks(&message.uuid);
    drop(state);
    for cb in callbacks {
        run_blocking(|| cb(client, &value));
    }
}

fn upload_start(shared: &Shared, client: &ClientHandle, message: FileTransferStartUpload) {
    let mut state = shared.lock();
    let component = &message.source_component_uuid;
    let max_size_bytes = match state.gui.get(component) {
        Some(entry) if entry.in_scope_of(client.id()) => match &entry.kind {
            EntryKind::Upload(slot) => slot.max_size_bytes,
            _ => {
                tracing::warn!(client = client.id(), uuid = %component, "upload to an element that is not an upload button; ignored");
                return;
            }
        },
        // Removed, or another tab's: as viser, ignore it.
        _ => return,
    };
    if state.gui.uploads.contains_key(&message.transfer_uuid) {
        tracing::warn!(client = client.id(), transfer = %message.transfer_uuid, "upload started twice; ignored");
        return;
    }
    let in_flight = state
        .gui
        .uploads
        .values()
        .filter(|u| u.client == client.id())
        .count();
    let assembly = if in_flight >= MAX_UPLOADS_IN_FLIGHT_PER_CLIENT {
        Err(UploadError::TooMany)
    } else {
        UploadAssembly::start(message.part_count, message.size_bytes, max_size_bytes)
    };
    let assembly = match assembly {
        Ok(assembly) => assembly,
        Err(error) => {
            let total = u64::try_from(message.size_bytes).unwrap_or(0);
            refuse(
                &mut state,
                client,
                component,
                &message.transfer_uuid,
                &message.filename,
                total,
                &error,
            );
            return;
        }
    };
    let pending = PendingUpload {
        client: client.id(),
        component: component.clone(),
        filename: message.filename,
        mime_type: message.mime_type,
        assembly,
    };
    if pending.assembly.is_complete() {
        // An empty file comes with no parts: nothing else will arrive to
        // finish it, so finish it now.
        ack(
            &mut state,
            client,
            &pending.component,
            &message.transfer_uuid,
            0,
            0,
        );
        drop(state);
        finish(shared, client, &message.transfer_uuid, pending);
        return;
    }
    state.gui.uploads.insert(message.transfer_uuid, pending);
}

fn upload_part(shared: &Shared, client: &ClientHandle, message: FileTransferPart) {
    let mut state = shared.lock();
    let transfer = message.transfer_uuid;
    let Some(pending) = state.gui.uploads.get_mut(&transfer) else {
        // Unknown, refused, or its button was removed.
        return;
    };
    if pending.client != client.id() {
        tracing::warn!(client = client.id(), %transfer, "tab sent a part of another tab's upload; ignored");
        return;
    }
    let outcome = pending
        .assembly
        .add_part(message.part_index, message.content);
    let component = pending.component.clone();
    match outcome {
        Ok(PartOutcome::Ignored) => {
            tracing::debug!(client = client.id(), %transfer, index = message.part_index, "repeated or out-of-range upload part dropped");
        }
        Ok(PartOutcome::Accepted {
            transferred_bytes,
            total_bytes,
            complete,
        }) => {
            ack(
                &mut state,
                client,
                &component,
                &transfer,
                transferred_bytes,
                total_bytes,
            );
            if complete && let Some(pending) = state.gui.uploads.remove(&transfer) {
                drop(state);
                finish(shared, client, &transfer, pending);
            }
        }
        Err(error) => {
            if let Some(pending) = state.gui.uploads.remove(&transfer) {
                let total = pending.assembly.declared_bytes();
                refuse(
                    &mut state,
                    client,
                    &component,
                    &transfer,
                    &pending.filename,
                    total,
                    &error,
                );
            }
        }
    }
}

/// Joins a complete upload and runs its button's callbacks. The copy runs
/// without the state lock.
fn finish(shared: &Shared, client: &ClientHandle, transfer: &str, pending: PendingUpload) {
    let PendingUpload {
        component,
        filename,
        mime_type,
        assembly,
        ..
    } = pending;
    let content: Bytes = match assembly.assemble() {
        Ok(content) => content,
        Err(error) => {
            tracing::warn!(client = client.id(), %transfer, file = ?filename, %error, "upload dropped");
            return;
        }
    };
    let file = UploadedFile {
        name: filename,
        mime_type,
        content,
    };
    let callbacks = {
        let mut state = shared.lock();
        let Some(entry) = state.gui.get_mut(&component) else {
            // The button was removed while the last part was joined.
            return;
        };
        let EntryKind::Upload(slot) = &mut entry.kind else {
            return;
        };
        slot.last = Some(file.clone());
        slot.callbacks.to_vec()
    };
    tracing::debug!(client = client.id(), uuid = %component, file = ?file.name, bytes = file.content.len(), "upload complete");
    let event = UploadEvent {
        client: client.clone(),
        uuid: component,
        file,
    };
    for cb in callbacks {
        run_blocking(|| cb(&event));
    }
}

/// Acknowledges upload progress to the uploading tab (its progress bar).
/// viser broadcasts acks, which shows the progress on every tab's copy of
/// the button; only the uploader needs them.
fn ack(
    state: &mut State,
    client: &ClientHandle,
    component: &str,
    transfer: &str,
    transferred_bytes: u64,
    total_bytes: u64,
) {
    let to_wire = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    let message = Message::from(FileTransferPartAck {
        source_component_uuid: Some(component.to_owned()),
        transfer_uuid: transfer.to_owned(),
        transferred_bytes: to_wire(transferred_bytes),
        total_bytes: to_wire(total_bytes),
    });
    state.send_live(Scope::Client(client.id()), message, None);
}

/// Refuses or drops an upload: logs it, marks the transfer done on the tab
/// (so its button is usable again) and tells the user why.
fn refuse(
    state: &mut State,
    client: &ClientHandle,
    component: &str,
    transfer: &str,
    filename: &str,
    total_bytes: u64,
    error: &UploadError,
) {
    tracing::warn!(client = client.id(), uuid = %component, %transfer, file = ?filename, %error, "upload refused");
    ack(state, client, component, transfer, total_bytes, total_bytes);
    let uuid = state.gui.new_uuid();
    let notification = Message::from(NotificationShowMessage {
        uuid,
        props: NotificationProps {
            title: "Upload failed".to_owned(),
            body: format!("{filename}: {error}"),
            loading: false,
            with_close_button: true,
            auto_close_seconds: Some(10.0),
            color: Some(ColorSpec::Named(LiteralColor::Red)),
        },
    });
    state.send_live(Scope::Client(client.id()), notification, None);
}

#[cfg(test)]
mod tests;
