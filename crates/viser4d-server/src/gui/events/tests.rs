//! The GUI end to end without sockets: the program's calls, what each tab
//! is sent, what a new tab is replayed, and what tabs send back.

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use viser4d_proto::Message;
use viser4d_proto::Value;
use viser4d_proto::messages::{
    FileTransferPart, FileTransferStartUpload, GuiRemoveMessage, GuiUpdateMessage,
};

use crate::error::ServerError;
use crate::gui::testing::harness;
use crate::gui::*;

fn types(messages: &[Message]) -> Vec<&str> {
    messages.iter().map(Message::type_name).collect()
}

fn value_update(uuid: &str, value: Value) -> Message {
    Message::from(GuiUpdateMessage {
        uuid: uuid.to_owned(),
        updates: Value::Map(vec![("value".to_owned(), value)]),
    })
}

fn invalid_argument<T: std::fmt::Debug>(result: crate::Result<T>) -> &'static str {
    match result {
        Err(ServerError::InvalidArgument { argument, .. }) => argument,
        other => panic!("expected an invalid argument, got {other:?}"),
    }
}

/// What callbacks were given, shared with the callbacks.
type Seen<T> = Arc<Mutex<Vec<T>>>;

/// Records what callbacks were given: one copy to read, one to move in.
fn recorder<T: Send + 'static>() -> (Seen<T>, Seen<T>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    (seen.clone(), seen)
}

#[test]
fn a_tab_change_updates_the_handle_syncs_other_tabs_and_runs_callbacks() {
    let h = harness();
    let a = h.connect();
    let b = h.connect();
    let number = h
        .gui()
        .add_number("n", 1.0, NumberOptions::default())
        .expect("add");
    let (seen, sink) = recorder();
    number
        .on_update(move |e| sink.lock().expect("lock").push((e.client.id(), e.value)))
        .expect("callback");
    h.take(&a);
    h.take(&b);

    // Browsers send whole numbers as integers.
    h.send(&a, value_update(number.uuid(), Value::Int(4)));
    assert_eq!(number.value().expect("value"), 4.0);
    assert_eq!(*seen.lock().expect("lock"), vec![(a.id(), 4.0)]);
    assert!(h.take(&a).is_empty(), "the sender is not echoed");
    assert_eq!(
        h.take(&b),
        vec![value_update(number.uuid(), Value::Float(4.0))]
    );
    // A late joiner sees the new value too.
    assert!(
        h.replay()
            .contains(&value_update(number.uuid(), Value::Float(4.0)))
    );

    // The same value again is no news; a value of the wrong shape is dropped.
    h.send(&a, value_update(number.uuid(), Value::Float(4.0)));
    h.send(&a, value_update(number.uuid(), Value::Str("x".into())));
    assert_eq!(seen.lock().expect("lock").len(), 1);
    assert_eq!(number.value().expect("value"), 4.0);
}

#[test]
fn buttons_fire_on_every_click_and_are_not_synced() {
    let h = harness();
    let a = h.connect();
    let b = h.connect();
    let gui = h.gui();
    let button = gui.add_button("b", ButtonOptions::default()).expect("add");
    let group = gui
        .add_button_group("g", &["x", "y"], ButtonGroupOptions::default())
        .expect("add");
    let (clicks, sink) = recorder();
    button
        .on_click(move |e| sink.lock().expect("lock").push(e.client.id()))
        .expect("callback");
    let (options, sink) = recorder();
    group
        .on_click(move |e| sink.lock().expect("lock").push(e.value.clone()))
        .expect("callback");
    h.take(&b);

    for _ in 0..2 {
        h.send(&a, value_update(button.uuid(), Value::Bool(true)));
        h.send(&a, value_update(group.uuid(), Value::Str("y".into())));
    }
    // A button group only offers its options.
    h.send(&a, value_update(group.uuid(), Value::Str("z".into())));
    assert_eq!(*clicks.lock().expect("lock"), vec![a.id(), a.id()]);
    assert_eq!(*options.lock().expect("lock"), vec!["y", "y"]);
    assert_eq!(group.value().expect("value"), "y");
    assert!(h.take(&b).is_empty());
}

#[test]
fn a_tab_cannot_change_another_tabs_elements() {
    let h = harness();
    let a = h.connect();
    let b = h.connect();
    let own = a
        .gui()
        .add_checkbox("mine", false, CheckboxOptions::default())
        .expect("add");
    assert_eq!(types(&h.take(&a)), ["GuiCheckboxMessage"]);
    assert!(h.take(&b).is_empty(), "a tab's GUI is its own");
    h.send(&b, value_update(own.uuid(), Value::Bool(true)));
    assert!(!own.value().expect("value"));
    h.send(&a, value_update(own.uuid(), Value::Bool(true)));
    assert!(own.value().expect("value"));
    // Its elements go with it.
    h.shared.unregister_client(a.id());
    assert!(matches!(own.value(), Err(ServerError::Removed { .. })));
}

#[test]
fn refused_arguments_leave_no_trace() {
    let h = harness();
    let gui = h.gui();
    let before = h.replay();
    assert_eq!(
        invalid_argument(gui.add_dropdown(
            "d",
            &["a", "b"],
            DropdownOptions {
                initial: Some("c".into()),
                ..DropdownOptions::default()
            }
        )),
        "initial"
    );
    assert_eq!(
        invalid_argument(gui.add_dropdown("d", &[] as &[&str], DropdownOptions::default())),
        "options"
    );
    assert_eq!(
        invalid_argument(gui.add_button_group("g", &["a", "a"], ButtonGroupOptions::default())),
        "options"
    );
    assert_eq!(
        invalid_argument(gui.add_slider("s", 1.0, 0.0, 0.1, 0.5, SliderOptions::default())),
        "min/max"
    );
    assert_eq!(
        invalid_argument(gui.add_slider("s", 0.0, 1.0, 0.1, 2.0, SliderOptions::default())),
        "initial"
    );
    assert_eq!(
        invalid_argument(gui.add_multi_slider(
            "m",
            0.0,
            1.0,
            0.1,
            &[0.2],
            MultiSliderOptions {
                min_range: Some(2.0),
                ..MultiSliderOptions::default()
            }
        )),
        "min_range"
    );
    assert_eq!(
        invalid_argument(gui.add_progress_bar(101.0, ProgressBarOptions::default())),
        "value"
    );
    assert_eq!(
        invalid_argument(gui.add_checkbox(
            "c",
            true,
            CheckboxOptions {
                order: Some(f64::NAN),
                ..CheckboxOptions::default()
            }
        )),
        "order"
    );
    assert_eq!(
        invalid_argument(gui.add_upload_button(
            "u",
            UploadButtonOptions {
                max_size_bytes: 0,
                ..UploadButtonOptions::default()
            }
        )),
        "max_size_bytes"
    );
    assert_eq!(
        invalid_argument(gui.add_notification(
            "t",
            "b",
            NotificationOptions {
                auto_close_seconds: Some(-1.0),
                ..NotificationOptions::default()
            }
        )),
        "auto_close_seconds"
    );
    assert_eq!(h.replay(), before);
}

#[test]
fn set_value_is_checked_against_what_the_input_was_made_with() {
    let h = harness();
    let gui = h.gui();
    let slider = gui
        .add_slider("s", 0.0, 10.0, 1.0, 5.0, SliderOptions::default())
        .expect("add");
    assert_eq!(invalid_argument(slider.set_value(11.0)), "value");
    assert_eq!(invalid_argument(slider.set_value(f64::NAN)), "value");
    slider.set_value(7.0).expect("in range");
    assert_eq!(slider.value().expect("value"), 7.0);

    let vector = gui
        .add_vector2(
            "v",
            [0.0, 0.0],
            VectorOptions {
                max: Some([1.0, 2.0]),
                ..VectorOptions::default()
            },
        )
        .expect("add");
    assert_eq!(invalid_argument(vector.set_value([0.0, 3.0])), "value");
    vector.set_value([1.0, 2.0]).expect("in range");

    let multi = gui
        .add_multi_slider(
            "m",
            0.0,
            1.0,
            0.1,
            &[0.2, 0.8],
            MultiSliderOptions::default(),
        )
        .expect("add");
    assert_eq!(invalid_argument(multi.set_value(vec![0.9, 0.1])), "value");

    let dropdown = gui
        .add_dropdown("d", &["a", "b"], DropdownOptions::default())
        .expect("add");
    assert_eq!(dropdown.value().expect("value"), "a");
    assert_eq!(invalid_argument(dropdown.set_value("c".into())), "value");
    dropdown.set_value("b".into()).expect("an option");
    // New options without the value: it falls back to the first one.
    dropdown.set_options(&["c", "d"]).expect("options");
    assert_eq!(dropdown.value().expect("value"), "c");
    assert_eq!(dropdown.options().expect("options"), ["c", "d"]);
    assert_eq!(
        invalid_argument(dropdown.set_options(&[] as &[&str])),
        "options"
    );

    let text = gui
        .add_text(
            "t",
            "hi",
            TextOptions {
                multiline: true,
                ..TextOptions::default()
            },
        )
        .expect("add");
    text.set_value("a\nb".into()).expect("any text");
    let rgba = gui
        .add_rgba("c", [1, 2, 3, 4], RgbaOptions::default())
        .expect("add");
    rgba.set_value([5, 6, 7, 8]).expect("any color");
    assert_eq!(rgba.value().expect("value"), [5, 6, 7, 8]);
}

#[test]
fn removing_a_folder_removes_its_contents_everywhere() {
    let h = harness();
    let a = h.connect();
    let gui = h.gui();
    let folder = gui.add_folder("f", FolderOptions::default()).expect("add");
    let inner = folder
        .gui()
        .add_folder("inner", FolderOptions::default())
        .expect("add");
    let checkbox = inner
        .gui()
        .add_checkbox("c", true, CheckboxOptions::default())
        .expect("add");
    let outside = gui
        .add_markdown("**kept**", MarkdownOptions::default())
        .expect("add");
    h.take(&a);

    folder.remove().expect("remove");
    let removed: Vec<Message> = h.take(&a);
    assert_eq!(
        removed,
        [
            folder.element().uuid(),
            inner.element().uuid(),
            checkbox.uuid()
        ]
        .map(|uuid| Message::from(GuiRemoveMessage {
            uuid: uuid.to_owned()
        }))
    );
    assert!(matches!(checkbox.value(), Err(ServerError::Removed { .. })));
    assert!(matches!(folder.remove(), Err(ServerError::Removed { .. })));
    // Nothing can be added into it any more.
    assert!(matches!(
        inner.gui().add_divider(DividerOptions::default()),
        Err(ServerError::Removed { .. })
    ));
    // A new tab is replayed only what is left.
    assert_eq!(
        types(&h.replay()),
        ["GuiMarkdownMessage", "ReplayDoneMessage"]
    );
    outside.set_content("changed").expect("still there");
    assert_eq!(outside.content().expect("content"), "changed");
}

#[test]
fn tabs_hold_elements_and_keep_their_lists_in_step() {
    let h = harness();
    let a = h.connect();
    let group = h
        .gui()
        .add_tab_group(TabGroupOptions::default())
        .expect("add");
    let first = group.add_tab("one").expect("tab");
    let second = group.add_tab("two").expect("tab");
    let html = second
        .gui()
        .add_html("<b>2</b>", HtmlOptions::default())
        .expect("add");
    assert_eq!(group.tab_labels().expect("labels"), ["one", "two"]);
    h.take(&a);

    second.remove().expect("remove");
    let sent = h.take(&a);
    assert_eq!(types(&sent), ["GuiUpdateMessage", "GuiRemoveMessage"]);
    let Message::GuiUpdateMessage(update) = &sent[0] else {
        panic!("{sent:?}")
    };
    assert_eq!(
        update.updates.get("_tab_labels"),
        Some(&Value::Array(vec![Value::Str("one".into())]))
    );
    assert_eq!(
        update.updates.get("_tab_icons_html"),
        Some(&Value::Array(vec![Value::Nil]))
    );
    assert!(matches!(html.remove(), Err(ServerError::Removed { .. })));
    assert!(matches!(second.remove(), Err(ServerError::Removed { .. })));

    // Removing the group takes the remaining tab's contents along.
    let number = first
        .gui()
        .add_number("n", 0.0, NumberOptions::default())
        .expect("add");
    group.remove().expect("remove");
    assert!(matches!(number.value(), Err(ServerError::Removed { .. })));
    assert!(matches!(
        group.add_tab("three"),
        Err(ServerError::Removed { .. })
    ));
}

#[test]
fn modals_close_with_their_contents_and_reset_clears_a_scope() {
    let h = harness();
    let a = h.connect();
    let gui = h.gui();
    let modal = gui.add_modal("Hello").expect("add");
    let ok = modal
        .gui()
        .add_button("OK", ButtonOptions::default())
        .expect("add");
    h.take(&a);
    modal.close().expect("close");
    assert_eq!(
        types(&h.take(&a)),
        ["GuiCloseModalMessage", "GuiRemoveMessage"]
    );
    assert!(matches!(ok.remove(), Err(ServerError::Removed { .. })));

    let folder = gui.add_folder("f", FolderOptions::default()).expect("add");
    folder
        .gui()
        .add_rgb("c", [0, 0, 0], RgbOptions::default())
        .expect("add");
    gui.add_modal("again").expect("add");
    let own = a
        .gui()
        .add_text("mine", "", TextOptions::default())
        .expect("add");
    gui.reset();
    assert_eq!(types(&h.replay()), ["ReplayDoneMessage"]);
    // The tab's own GUI is its own scope: the server's reset leaves it.
    assert_eq!(own.value().expect("value"), "");
    a.gui().reset();
    assert!(matches!(own.value(), Err(ServerError::Removed { .. })));
}

#[test]
fn notifications_reach_the_tabs_connected_now() {
    let h = harness();
    let a = h.connect();
    let notification = h
        .gui()
        .add_notification("Saved", "all good", NotificationOptions::default())
        .expect("add");
    let late = h.connect();
    assert_eq!(types(&h.take(&a)), ["NotificationShowMessage"]);
    assert!(h.take(&late).is_empty(), "not part of the replayed state");
    notification.set_loading(true).expect("update");
    let sent = h.take(&a);
    let [Message::NotificationUpdateMessage(update)] = sent.as_slice() else {
        panic!("{sent:?}")
    };
    // Each update carries every prop.
    assert!(update.props.loading);
    assert_eq!(update.props.title, "Saved");
    notification.remove().expect("remove");
    assert_eq!(types(&h.take(&a)), ["RemoveNotificationMessage"]);
    assert!(matches!(
        notification.set_body("x"),
        Err(ServerError::Removed { .. })
    ));

    // A tab's own notification reaches only that tab.
    late.gui()
        .add_notification("Hi", "", NotificationOptions::default())
        .expect("add");
    assert!(h.take(&a).is_empty());
    assert_eq!(types(&h.take(&late)), ["NotificationShowMessage"]);
}

fn start(component: &str, transfer: &str, part_count: i64, size_bytes: i64) -> Message {
    Message::from(FileTransferStartUpload {
        source_component_uuid: component.to_owned(),
        transfer_uuid: transfer.to_owned(),
        filename: "cloud.ply".to_owned(),
        mime_type: "application/octet-stream".to_owned(),
        part_count,
        size_bytes,
    })
}

fn part(component: &str, transfer: &str, index: i64, content: Bytes) -> Message {
    Message::from(FileTransferPart {
        source_component_uuid: Some(component.to_owned()),
        transfer_uuid: transfer.to_owned(),
        part_index: index,
        content,
    })
}

const KIB: usize = 1024;

/// `len` bytes of `byte`.
fn chunk(byte: u8, len: usize) -> Bytes {
    Bytes::from(vec![byte; len])
}

/// The acks sent, as (transferred, total).
fn acks(messages: &[Message]) -> Vec<(i64, i64)> {
    messages
        .iter()
        .filter_map(|m| match m {
            Message::FileTransferPartAck(a) => Some((a.transferred_bytes, a.total_bytes)),
            _ => None,
        })
        .collect()
}

#[test]
fn an_upload_arrives_in_order_and_runs_callbacks_with_the_tab() {
    let h = harness();
    let a = h.connect();
    let b = h.connect();
    let button = h
        .gui()
        .add_upload_button("Upload", UploadButtonOptions::default())
        .expect("add");
    let (files, sink) = recorder();
    button
        .on_upload(move |e| {
            sink.lock()
                .expect("lock")
                .push((e.client.id(), e.file.clone()))
        })
        .expect("callback");
    h.take(&a);
    h.take(&b);

    let id = button.uuid();
    h.send(&a, start(id, "t1", 3, 2049));
    h.send(&a, part(id, "t1", 2, chunk(b'c', 1)));
    // Another tab cannot slip a part in.
    h.send(&b, part(id, "t1", 1, chunk(b'x', KIB)));
    h.send(&a, part(id, "t1", 0, chunk(b'a', KIB)));
    h.send(&a, part(id, "t1", 0, chunk(b'a', KIB)));
    assert!(files.lock().expect("lock").is_empty());
    h.send(&a, part(id, "t1", 1, chunk(b'b', KIB)));

    assert_eq!(acks(&h.take(&a)), [(1, 2049), (1025, 2049), (2049, 2049)]);
    assert!(h.take(&b).is_empty(), "acks go to the uploader only");
    let expected = UploadedFile {
        name: "cloud.ply".to_owned(),
        mime_type: "application/octet-stream".to_owned(),
        content: Bytes::from([vec![b'a'; KIB], vec![b'b'; KIB], vec![b'c']].concat()),
    };
    assert_eq!(
        *files.lock().expect("lock"),
        vec![(a.id(), expected.clone())]
    );
    assert_eq!(button.last_upload().expect("last"), Some(expected));

    // An empty file has no parts and completes at once.
    h.send(&a, start(id, "t2", 0, 0));
    assert_eq!(acks(&h.take(&a)), [(0, 0)]);
    let last = files.lock().expect("lock").last().cloned();
    assert_eq!(last.map(|(_, f)| f.content), Some(Bytes::new()));
}

#[test]
fn oversize_uploads_are_refused_and_the_tab_is_told() {
    let h = harness();
    let a = h.connect();
    let button = h
        .gui()
        .add_upload_button(
            "Upload",
            UploadButtonOptions {
                max_size_bytes: 4096,
                ..UploadButtonOptions::default()
            },
        )
        .expect("add");
    let (files, sink) = recorder::<UploadedFile>();
    button
        .on_upload(move |e| sink.lock().expect("lock").push(e.file.clone()))
        .expect("callback");
    h.take(&a);
    let id = button.uuid();

    // Declared too large: refused at once; the ack frees the tab's button.
    h.send(&a, start(id, "big", 1, 5000));
    let sent = h.take(&a);
    assert_eq!(acks(&sent), [(5000, 5000)]);
    assert!(types(&sent).contains(&"NotificationShowMessage"));
    h.send(&a, part(id, "big", 0, chunk(b'a', 5000)));
    assert!(
        h.take(&a).is_empty(),
        "parts of a refused upload are dropped"
    );

    // Parts carrying more than declared: dropped mid-flight.
    h.send(&a, start(id, "liar", 2, 2048));
    h.send(&a, part(id, "liar", 0, chunk(b'a', KIB + 1)));
    h.send(&a, part(id, "liar", 1, chunk(b'b', KIB)));
    let sent = h.take(&a);
    assert_eq!(acks(&sent), [(1025, 2048), (2048, 2048)]);
    assert!(types(&sent).contains(&"NotificationShowMessage"));
    assert!(files.lock().expect("lock").is_empty());

    // Uploads in flight go with their button.
    h.send(&a, start(id, "late", 2, 2048));
    button.remove().expect("remove");
    h.send(&a, part(id, "late", 0, chunk(b'a', KIB)));
    h.send(&a, part(id, "late", 1, chunk(b'b', KIB)));
    assert!(files.lock().expect("lock").is_empty());
    assert!(h.shared.lock().gui.uploads.is_empty());
}
