//! Upload buttons, and the assembly of the files tabs upload through them.
//!
//! A tab uploads a file as viser's client does: `FileTransferStartUpload`
//! (name, MIME type, size, part count), then `FileTransferPart`s of up to
//! 512 KiB in any order. The server answers each new part with a
//! `FileTransferPartAck` carrying the bytes received so far, which drives
//! the tab's progress bar; once every part is in, the parts are joined in
//! index order and the button's `on_upload` callbacks run. The message flow
//! lives in [`crate::gui::events`]; the assembly here is pure.
//!
//! Unlike viser, sizes are bounded: a file over the button's limit is
//! refused at its first message, and a transfer whose parts carry more than
//! it declared is dropped.

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use viser4d_proto::Message;
use viser4d_proto::Value;
use viser4d_proto::messages::{ColorSpec, GuiUploadButtonMessage, GuiUploadButtonProps};

use crate::callbacks::{CallbackId, CallbackList};
use crate::client::ClientHandle;
use crate::error::{Result, ServerError};
use crate::gui::registry::{EntryKind, UploadSlot};
use crate::gui::{GuiApi, GuiElementHandle, NewEntry};
use crate::shared::ClientId;

/// Default largest file an upload button accepts.
pub const DEFAULT_MAX_UPLOAD_BYTES: u64 = 128 << 20;

/// Transfers one tab may have in flight at once. The stock client uploads
/// one file at a time per button; the cap bounds what a misbehaving tab can
/// make the server buffer.
pub(crate) const MAX_UPLOADS_IN_FLIGHT_PER_CLIENT: usize = 8;

/// The smallest average part size accepted. The client sends 512 KiB
/// parts; requiring parts of at least 1 KiB on average bounds how many
/// parts (and map entries) one transfer can claim.
const MIN_AVERAGE_PART_BYTES: u64 = 1024;

/// Options of [`GuiApi::add_upload_button`].
#[derive(Debug, Clone, PartialEq)]
pub struct UploadButtonOptions {
    /// Which files the browser's picker offers (an `accept` attribute, for
    /// example `"image/*"` or `".ply,.glb"`); default `"*/*"`.
    pub mime_type: String,
    /// Largest file accepted; larger ones are refused and the tab is told
    /// why. Default [`DEFAULT_MAX_UPLOAD_BYTES`].
    pub max_size_bytes: u64,
    /// Button color.
    pub color: Option<ColorSpec>,
    /// Greyed out.
    pub disabled: bool,
    /// Shown (default true).
    pub visible: bool,
    /// Hover text.
    pub hint: Option<String>,
    /// Place among its siblings (smallest first); default: after them.
    pub order: Option<f64>,
}

impl Default for UploadButtonOptions {
    fn default() -> UploadButtonOptions {
        UploadButtonOptions {
            mime_type: "*/*".to_owned(),
            max_size_bytes: DEFAULT_MAX_UPLOAD_BYTES,
            color: None,
            disabled: false,
            visible: true,
            hint: None,
            order: None,
        }
    }
}

/// A file a tab uploaded.
#[derive(Debug, Clone, PartialEq)]
pub struct UploadedFile {
    /// Its name, as the browser gave it (no directories).
    pub name: String,
    /// Its MIME type as the browser guessed it (may be empty).
    pub mime_type: String,
    /// Its bytes.
    pub content: Bytes,
}

/// An upload that completed.
#[derive(Debug, Clone)]
pub struct UploadEvent {
    /// The tab that uploaded.
    pub client: ClientHandle,
    /// The upload button's uuid.
    pub uuid: String,
    /// The file.
    pub file: UploadedFile,
}

/// A callback on completed uploads.
pub(crate) type UploadCallback = Arc<dyn Fn(&UploadEvent) + Send + Sync>;

/// A button that uploads a file from the tab to the server.
#[derive(Debug, Clone)]
pub struct UploadButtonHandle(GuiElementHandle);

impl UploadButtonHandle {
    /// The element's uuid (what the browser calls it).
    pub fn uuid(&self) -> &str {
        self.0.uuid()
    }

    /// Runs `callback` for each file uploaded, with the tab, the file's
    /// name, MIME type and bytes.
    pub fn on_upload(
        &self,
        callback: impl Fn(&UploadEvent) + Send + Sync + 'static,
    ) -> Result<CallbackId> {
        let callback: UploadCallback = Arc::new(callback);
        let mut id = None;
        self.0.update(|entry| {
            if let EntryKind::Upload(slot) = &mut entry.kind {
                id = Some(slot.callbacks.push(callback));
            }
            Ok(Vec::new())
        })?;
        id.ok_or_else(|| self.0.removed())
    }

    /// Unregisters a callback given to [`Self::on_upload`]; `false` if it
    /// is not registered on this button.
    pub fn remove_callback(&self, id: CallbackId) -> bool {
        self.0.remove_callback(id)
    }

    /// The last file uploaded through this button, if any.
    pub fn last_upload(&self) -> Result<Option<UploadedFile>> {
        self.0.read(|entry| match &entry.kind {
            EntryKind::Upload(slot) => slot.last.clone(),
            _ => None,
        })
    }

    /// Greys the button out (or back).
    pub fn set_disabled(&self, disabled: bool) -> Result<()> {
        self.0.set_prop("disabled", Value::Bool(disabled))
    }

    /// Hides the button (or shows it).
    pub fn set_visible(&self, visible: bool) -> Result<()> {
        self.0.set_visible(visible)
    }

    /// Changes the label.
    pub fn set_label(&self, label: &str) -> Result<()> {
        self.0.set_prop("label", Value::Str(label.to_owned()))
    }

    /// Changes the hint shown on hover (`None` removes it).
    pub fn set_hint(&self, hint: Option<&str>) -> Result<()> {
        let value = hint.map_or(Value::Nil, |h| Value::Str(h.to_owned()));
        self.0.set_prop("hint", value)
    }

    /// Changes the color (`None`: the theme's).
    pub fn set_color(&self, color: Option<ColorSpec>) -> Result<()> {
        let value = crate::gui::color::color_value(color.as_ref())?;
        self.0.set_prop("color", value)
    }

    /// Removes the button from every tab; uploads through it in flight are
    /// dropped.
    pub fn remove(&self) -> Result<()> {
        self.0.remove()
    }
}

impl GuiApi {
    /// Adds a button that uploads a file from the tab.
    pub fn add_upload_button(
        &self,
        label: &str,
        options: UploadButtonOptions,
    ) -> Result<UploadButtonHandle> {
        if options.max_size_bytes == 0 {
            return Err(ServerError::invalid("max_size_bytes", "must be > 0"));
        }
        let entry = NewEntry {
            kind: EntryKind::Upload(UploadSlot {
                max_size_bytes: options.max_size_bytes,
                callbacks: CallbackList::default(),
                last: None,
            }),
            ..NewEntry::display()
        };
        self.add_entry(entry, options.order, |uuid, container_uuid, order| {
            Message::from(GuiUploadButtonMessage {
                uuid,
                container_uuid,
                props: GuiUploadButtonProps {
                    order,
                    label: label.to_owned(),
                    hint: options.hint,
                    visible: options.visible,
                    disabled: options.disabled,
                    color: options.color,
                    icon_html: None,
                    mime_type: options.mime_type,
                },
            })
        })
        .map(UploadButtonHandle)
    }
}

/// An upload in flight.
#[derive(Debug)]
pub(crate) struct PendingUpload {
    /// The tab uploading; only it may send parts.
    pub(crate) client: ClientId,
    /// The upload button's uuid.
    pub(crate) component: String,
    pub(crate) filename: String,
    pub(crate) mime_type: String,
    pub(crate) assembly: UploadAssembly,
}

/// Why an upload was refused or dropped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum UploadError {
    /// The start message does not describe a file.
    #[error("{part_count} parts of {size_bytes} bytes in all do not describe a file")]
    BadDeclaration { part_count: i64, size_bytes: i64 },
    /// Over the button's limit.
    #[error("{size_bytes} bytes is over the limit of {limit_bytes} bytes")]
    TooLarge { size_bytes: u64, limit_bytes: u64 },
    /// The tab has too many uploads in flight.
    #[error("too many uploads at once")]
    TooMany,
    /// The parts carry more than declared.
    #[error("the parts carry more than the {declared_bytes} bytes declared")]
    Overflow { declared_bytes: u64 },
    /// Assembly was asked for before every part arrived.
    #[error("part {index} of {part_count} is missing")]
    MissingPart { index: u64, part_count: u64 },
    /// Every part arrived, but they do not add up to the declared size.
    #[error("received {received_bytes} bytes, but {declared_bytes} were declared")]
    SizeMismatch {
        received_bytes: u64,
        declared_bytes: u64,
    },
}

/// What a part did to its transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PartOutcome {
    /// A repeated or out-of-range part: dropped, as viser drops it, with no
    /// acknowledgement.
    Ignored,
    /// Stored; acknowledge `transferred_bytes` of `total_bytes`.
    Accepted {
        transferred_bytes: u64,
        total_bytes: u64,
        /// Every part is in: assemble.
        complete: bool,
    },
}

/// The parts of one file, gathered in any order and joined in index order.
#[derive(Debug)]
pub(crate) struct UploadAssembly {
    part_count: u64,
    declared_bytes: u64,
    received_bytes: u64,
    /// Only the parts received so far: the declared count is not trusted to
    /// size an allocation.
    parts: BTreeMap<u64, Bytes>,
}

impl UploadAssembly {
    /// Starts a transfer of `part_count` parts, `size_bytes` in all, for a
    /// button that takes at most `max_size_bytes`.
    pub(crate) fn start(
        part_count: i64,
        size_bytes: i64,
        max_size_bytes: u64,
    ) -> Result<UploadAssembly, UploadError> {
        let bad = UploadError::BadDeclaration {
            part_count,
            size_bytes,
        };
        let (Ok(parts), Ok(size)) = (u64::try_from(part_count), u64::try_from(size_bytes)) else {
            return Err(bad);
        };
        if size > max_size_bytes {
            return Err(UploadError::TooLarge {
                size_bytes: size,
                limit_bytes: max_size_bytes,
            });
        }
        // An empty file comes with no parts; any other file with at least
        // one, and not so many that parts average under the minimum size.
        let max_parts = size.div_ceil(MIN_AVERAGE_PART_BYTES);
        let consistent = if size == 0 {
            parts == 0
        } else {
            (1..=max_parts.max(1)).contains(&parts)
        };
        if !consistent {
            return Err(bad);
        }
        Ok(UploadAssembly {
            part_count: parts,
            declared_bytes: size,
            received_bytes: 0,
            parts: BTreeMap::new(),
        })
    }

    /// The declared size.
    pub(crate) fn declared_bytes(&self) -> u64 {
        self.declared_bytes
    }

    /// Whether every part is in (true at once for an empty file).
    pub(crate) fn is_complete(&self) -> bool {
        self.parts.len() as u64 == self.part_count
    }

    /// Adds part `index`.
    pub(crate) fn add_part(
        &mut self,
        index: i64,
        content: Bytes,
    ) -> Result<PartOutcome, UploadError> {
        let Ok(index) = u64::try_from(index) else {
            return Ok(PartOutcome::Ignored);
        };
        if index >= self.part_count || self.parts.contains_key(&index) {
            return Ok(PartOutcome::Ignored);
        }
        let received = self.received_bytes + content.len() as u64;
        if received > self.declared_bytes {
            return Err(UploadError::Overflow {
                declared_bytes: self.declared_bytes,
            });
        }
        self.received_bytes = received;
        self.parts.insert(index, content);
        Ok(PartOutcome::Accepted {
            transferred_bytes: received,
            total_bytes: self.declared_bytes,
            complete: self.is_complete(),
        })
    }

    /// Joins the parts in index order.
    pub(crate) fn assemble(self) -> Result<Bytes, UploadError> {
        if let Some(index) = (0..self.part_count).find(|i| !self.parts.contains_key(i)) {
            return Err(UploadError::MissingPart {
                index,
                part_count: self.part_count,
            });
        }
        if self.received_bytes != self.declared_bytes {
            return Err(UploadError::SizeMismatch {
                received_bytes: self.received_bytes,
                declared_bytes: self.declared_bytes,
            });
        }
        // One part: hand its bytes over without copying.
        if self.parts.len() == 1 {
            return Ok(self.parts.into_values().next().unwrap_or_default());
        }
        let capacity = usize::try_from(self.received_bytes).unwrap_or(0);
        let mut file = BytesMut::with_capacity(capacity);
        for part in self.parts.into_values() {
            file.extend_from_slice(&part);
        }
        Ok(file.freeze())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KIB: usize = 1024;

    /// `len` bytes of `byte`.
    fn chunk(byte: u8, len: usize) -> Bytes {
        Bytes::from(vec![byte; len])
    }

    fn accepted(outcome: Result<PartOutcome, UploadError>) -> (u64, u64, bool) {
        match outcome {
            Ok(PartOutcome::Accepted {
                transferred_bytes,
                total_bytes,
                complete,
            }) => (transferred_bytes, total_bytes, complete),
            other => panic!("expected an accepted part, got {other:?}"),
        }
    }

    #[test]
    fn parts_out_of_order_are_joined_in_order() {
        let mut upload = UploadAssembly::start(3, 2049, 1 << 20).expect("valid");
        assert_eq!(
            accepted(upload.add_part(2, chunk(b'c', 1))),
            (1, 2049, false)
        );
        assert_eq!(
            accepted(upload.add_part(0, chunk(b'a', KIB))),
            (1025, 2049, false)
        );
        assert_eq!(
            accepted(upload.add_part(1, chunk(b'b', KIB))),
            (2049, 2049, true)
        );
        let file = upload.assemble().expect("complete");
        let expected: Vec<u8> = [vec![b'a'; KIB], vec![b'b'; KIB], vec![b'c']].concat();
        assert_eq!(file, Bytes::from(expected));
    }

    #[test]
    fn a_missing_part_blocks_assembly() {
        let mut upload = UploadAssembly::start(3, 2049, 1 << 20).expect("valid");
        accepted(upload.add_part(0, chunk(b'a', KIB)));
        accepted(upload.add_part(2, chunk(b'c', 1)));
        assert!(!upload.is_complete());
        assert_eq!(
            upload.assemble(),
            Err(UploadError::MissingPart {
                index: 1,
                part_count: 3
            })
        );
    }

    #[test]
    fn repeated_and_out_of_range_parts_are_ignored() {
        let mut upload = UploadAssembly::start(2, 2048, 1 << 20).expect("valid");
        accepted(upload.add_part(0, chunk(b'a', KIB)));
        for index in [0, 2, -1] {
            assert_eq!(
                upload.add_part(index, chunk(b'z', KIB)),
                Ok(PartOutcome::Ignored)
            );
        }
        accepted(upload.add_part(1, chunk(b'b', KIB)));
        let expected: Vec<u8> = [vec![b'a'; KIB], vec![b'b'; KIB]].concat();
        assert_eq!(upload.assemble(), Ok(Bytes::from(expected)));
    }

    #[test]
    fn oversize_is_refused_up_front_and_in_flight() {
        assert_eq!(
            UploadAssembly::start(1, 101, 100).err(),
            Some(UploadError::TooLarge {
                size_bytes: 101,
                limit_bytes: 100
            })
        );
        let mut upload = UploadAssembly::start(2, 2048, 1 << 20).expect("valid");
        accepted(upload.add_part(0, chunk(b'a', KIB + 1)));
        assert_eq!(
            upload.add_part(1, chunk(b'b', KIB)),
            Err(UploadError::Overflow {
                declared_bytes: 2048
            })
        );
    }

    #[test]
    fn parts_short_of_the_declared_size_are_refused() {
        let mut upload = UploadAssembly::start(2, 2048, 1 << 20).expect("valid");
        accepted(upload.add_part(0, chunk(b'a', KIB)));
        accepted(upload.add_part(1, chunk(b'b', 1)));
        assert!(upload.is_complete());
        assert_eq!(
            upload.assemble(),
            Err(UploadError::SizeMismatch {
                received_bytes: 1025,
                declared_bytes: 2048
            })
        );
    }

    #[test]
    fn declarations_must_describe_a_file() {
        // An empty file has no parts and is complete at once.
        let empty = UploadAssembly::start(0, 0, 100).expect("valid");
        assert!(empty.is_complete());
        assert_eq!(empty.assemble(), Ok(Bytes::new()));
        // Negative numbers; a file with no parts; parts for an empty file;
        // parts averaging under 1 KiB.
        for (parts, size) in [(-1, 10), (1, -10), (0, 10), (1, 0), (3, 2048)] {
            assert_eq!(
                UploadAssembly::start(parts, size, 1 << 20).err(),
                Some(UploadError::BadDeclaration {
                    part_count: parts,
                    size_bytes: size
                }),
                "{parts} parts, {size} bytes"
            );
        }
        // A small file in one part, and the stock client's 512 KiB parts.
        assert!(UploadAssembly::start(1, 5, 100).is_ok());
        assert!(UploadAssembly::start(3, (1 << 20) + 1, 2 << 20).is_ok());
    }
}
