//! Questions the program asks one tab and waits for: a render of its view
//! (`get_render`) and a value from its local storage. Each request carries
//! a fresh id that the tab echoes back; the reply is matched by that id, so
//! concurrent requests to one tab never take each other's answers.
//!
//! The caller blocks (the API is blocking), polling for the tab leaving so
//! a closed tab fails the call at once instead of hanging it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, mpsc};
use std::time::{Duration, Instant};

use bytes::Bytes;
use viser4d_proto::Message;
use viser4d_proto::messages::{
    FileTransferPart, FileTransferStartDownload, GetRenderRequestMessage, ImageMimeType,
    LocalStorageClearMessage, LocalStorageGetItemRequestMessage, LocalStorageRemoveItemMessage,
    LocalStorageSetItemMessage,
};

use crate::client::ClientHandle;
use crate::error::{Result, ServerError};
use crate::shared::ClientId;

/// What a tab answered.
#[derive(Debug)]
pub(crate) enum Reply {
    Render(Bytes),
    StorageItem {
        value: Option<String>,
        error: Option<String>,
    },
}

/// Requests waiting for their tab's answer, by request id.
#[derive(Default)]
pub(crate) struct Pending {
    waiting: Mutex<HashMap<String, (ClientId, mpsc::Sender<Reply>)>>,
    next: AtomicU64,
}

impl Pending {
    fn open(&self, client: ClientId) -> (String, mpsc::Receiver<Reply>) {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let id = format!("viser4d-request-{n}");
        let (tx, rx) = mpsc::channel();
        self.lock().insert(id.clone(), (client, tx));
        (id, rx)
    }

    fn close(&self, id: &str) {
        self.lock().remove(id);
    }

    /// Hands a tab's answer to the caller waiting for it. An answer to a
    /// request this tab was not asked (or one that gave up) is dropped.
    pub(crate) fn answer(&self, client: ClientId, id: &str, reply: Reply) {
        let mut waiting = self.lock();
        match waiting.get(id) {
            Some((asked, _)) if *asked == client => {
                if let Some((_, tx)) = waiting.remove(id) {
                    // The caller may have given up just now; nothing to do.
                    let _ = tx.send(reply);
                }
            }
            _ => tracing::debug!(client, request = id, "answer to no pending request"),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (ClientId, mpsc::Sender<Reply>)>> {
        self.waiting.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// How [`ClientHandle::get_render`] sends the image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RenderFormat {
    /// Lossy RGB, small on any content (viser's default, quality 80).
    #[default]
    Jpeg,
    /// Lossless RGBA with a transparent background.
    Png,
}

/// Options of [`ClientHandle::get_render`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RenderOptions {
    /// Camera orientation (world from camera); default: the tab's camera.
    pub wxyz: Option<[f64; 4]>,
    /// Camera position; default: the tab's camera.
    pub position: Option<[f64; 3]>,
    /// Vertical field of view in radians; default: the tab's camera.
    pub fov: Option<f64>,
    /// Image encoding.
    pub format: RenderFormat,
    /// Most time to wait for the tab (default: as long as it stays
    /// connected).
    pub timeout: Option<Duration>,
}

/// An image a tab rendered: encoded bytes as the browser produced them.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderedImage {
    /// The encoding.
    pub format: RenderFormat,
    /// JPEG or PNG file bytes.
    pub bytes: Bytes,
}

impl RenderedImage {
    /// Width and height in pixels, read from the image header (`None` if
    /// the bytes are not a JPEG or PNG this can read).
    pub fn dimensions(&self) -> Option<(u32, u32)> {
        match self.format {
            RenderFormat::Png => png_dimensions(&self.bytes),
            RenderFormat::Jpeg => jpeg_dimensions(&self.bytes),
        }
    }
}

fn png_dimensions(b: &[u8]) -> Option<(u32, u32)> {
    if b.len() < 24 || &b[..8] != b"\x89PNG\r\n\x1a\n" || &b[12..16] != b"IHDR" {
        return None;
    }
    let w = u32::from_be_bytes(b[16..20].try_into().ok()?);
    let h = u32::from_be_bytes(b[20..24].try_into().ok()?);
    Some((w, h))
}

fn jpeg_dimensions(b: &[u8]) -> Option<(u32, u32)> {
    if b.get(..2)? != [0xFF, 0xD8] {
        return None;
    }
    let mut i = 2;
    while i + 4 <= b.len() {
        if b[i] != 0xFF {
            return None;
        }
        let marker = b[i + 1];
        let len = usize::from(u16::from_be_bytes([b[i + 2], b[i + 3]]));
        // Start-of-frame markers (baseline, progressive, ...) hold the size;
        // C4, C8 and CC are other tables.
        if (0xC0..=0xCF).contains(&marker) && ![0xC4, 0xC8, 0xCC].contains(&marker) {
            let h = u16::from_be_bytes([*b.get(i + 5)?, *b.get(i + 6)?]);
            let w = u16::from_be_bytes([*b.get(i + 7)?, *b.get(i + 8)?]);
            return Some((u32::from(w), u32::from(h)));
        }
        i += 2 + len;
    }
    None
}

/// The most pixels on a side a render may ask for (the largest canvas a
/// browser draws).
const MAX_RENDER_SIDE: u32 = 16_384;

/// The most pixels a render may have: its answer must fit in one tab
/// message (64 MiB), and an RGBA PNG of noise barely compresses.
const MAX_RENDER_PIXELS: u64 = 12 << 20;

/// A download waits after each part until the tab's queue is under this,
/// so a large file never sits whole in the queue (which would cut the tab
/// off past its budget).
const DOWNLOAD_QUEUE_BYTES: usize = 8 << 20;

/// How long a download waits for the tab to take a part.
const DOWNLOAD_PART_TIMEOUT: Duration = Duration::from_secs(60);

/// Bytes per part of a download (viser's default chunk size).
const DOWNLOAD_PART_BYTES: usize = 1 << 20;

impl ClientHandle {
    /// Asks the tab to render its scene at `width` x `height` pixels from
    /// its own camera (or the one `options` gives) and waits for the image
    /// (viser's `get_render`). Pending scene updates are sent first, so the
    /// render shows them. Fails when the tab leaves before answering, when
    /// `options.timeout` passes, and before the tab first reported its
    /// camera when `options` does not give the whole camera. From inside a
    /// callback run for this same tab (its `on_click`, ...) or an open
    /// `atomic()` batch it fails at once, since the answer could never
    /// arrive there: call it from another thread.
    pub fn get_render(
        &self,
        width: u32,
        height: u32,
        options: RenderOptions,
    ) -> Result<RenderedImage> {
        for (name, side) in [("width", width), ("height", height)] {
            if side == 0 || side > MAX_RENDER_SIDE {
                return Err(ServerError::invalid(
                    name,
                    format!("{side} is not in 1..={MAX_RENDER_SIDE} pixels"),
                ));
            }
        }
        if u64::from(width) * u64::from(height) > MAX_RENDER_PIXELS {
            return Err(ServerError::invalid(
                "width",
                format!(
                    "{width} x {height} is over {MAX_RENDER_PIXELS} pixels, more than one answer from a tab can carry"
                ),
            ));
        }
        let camera = self.camera();
        let missing = || {
            ServerError::invalid(
                "options",
                "the tab has not reported its camera yet; give wxyz, position and fov",
            )
        };
        let wxyz = match options.wxyz {
            Some(q) => q,
            None => camera.as_ref().ok_or_else(missing)?.wxyz,
        };
        let position = match options.position {
            Some(p) => p,
            None => camera.as_ref().ok_or_else(missing)?.position,
        };
        let fov = match options.fov {
            Some(f) => f,
            None => camera.as_ref().ok_or_else(missing)?.fov,
        };
        crate::validate::finite("wxyz", &wxyz)?;
        crate::validate::finite("position", &position)?;
        if !(fov > 0.0 && fov < std::f64::consts::PI) {
            return Err(ServerError::invalid(
                "fov",
                format!("{fov} is not in (0, pi) radians"),
            ));
        }
        let format = options.format;
        let reply = self.ask("a render", options.timeout, |request_id| {
            Message::from(GetRenderRequestMessage {
                format: match format {
                    RenderFormat::Jpeg => ImageMimeType::ImageJpeg,
                    RenderFormat::Png => ImageMimeType::ImagePng,
                },
                height: i64::from(height),
                width: i64::from(width),
                quality: 80,
                wxyz,
                position,
                fov,
                render_uuid: request_id,
            })
        })?;
        match reply {
            Reply::Render(bytes) => Ok(RenderedImage { format, bytes }),
            Reply::StorageItem { .. } => Err(ServerError::ClientFailed {
                client: self.id(),
                what: "a render",
                reason: "it answered another request".to_owned(),
            }),
        }
    }

    /// This tab's browser local storage (viser's `client.local_storage`).
    /// Keys live under a viser prefix in the browser, so they cannot clash
    /// with other state of the same origin.
    pub fn local_storage(&self) -> LocalStorage {
        LocalStorage {
            client: self.clone(),
        }
    }

    /// Sends `content` to this tab as a file named `filename` (the MIME
    /// type follows its extension): the browser saves it at once
    /// (`save_immediately`) or shows a notification with a link to it.
    /// Sent in parts of 1 MiB, each flushed, as viser does.
    pub fn send_file_download(
        &self,
        filename: &str,
        content: impl Into<Bytes>,
        save_immediately: bool,
    ) -> Result<()> {
        if filename.is_empty() || filename.contains(['/', '\\']) {
            return Err(ServerError::invalid(
                "filename",
                format!("{filename:?} is not a plain file name"),
            ));
        }
        let content: Bytes = content.into();
        if content.len() > DOWNLOAD_QUEUE_BYTES {
            // It is sent as the tab takes it: refuse now, not half-way.
            self.check_can_wait("a download larger than 8 MiB")?;
        }
        let part_count = content.len().div_ceil(DOWNLOAD_PART_BYTES);
        let transfer_uuid = format!(
            "viser4d-download-{}",
            self.shared().pending.next.fetch_add(1, Ordering::Relaxed)
        );
        self.send(Message::from(FileTransferStartDownload {
            save_immediately,
            transfer_uuid: transfer_uuid.clone(),
            filename: filename.to_owned(),
            mime_type: mime_type(filename).to_owned(),
            part_count: i64::try_from(part_count).unwrap_or(i64::MAX),
            size_bytes: i64::try_from(content.len()).unwrap_or(i64::MAX),
        }))?;
        for index in 0..part_count {
            let start = index * DOWNLOAD_PART_BYTES;
            let end = (start + DOWNLOAD_PART_BYTES).min(content.len());
            self.send(Message::from(FileTransferPart {
                source_component_uuid: None,
                transfer_uuid: transfer_uuid.clone(),
                part_index: i64::try_from(index).unwrap_or(i64::MAX),
                content: content.slice(start..end),
            }))?;
            self.shared().flush_clients();
            self.wait_for_queue_below(DOWNLOAD_QUEUE_BYTES, "a download part")?;
        }
        Ok(())
    }

    /// Waits until this tab's queue holds under `bytes` (the writer took
    /// the rest). Refused where the queue cannot drain: inside a callback
    /// of this tab, or inside an atomic batch.
    fn wait_for_queue_below(&self, bytes: usize, what: &'static str) -> Result<()> {
        let started = Instant::now();
        loop {
            match self.shared().queued_bytes(self.id()) {
                None => return Err(ServerError::ClientGone(self.id())),
                Some(queued) if queued < bytes => return Ok(()),
                Some(_) => {}
            }
            self.check_can_wait(what)?;
            if started.elapsed() > DOWNLOAD_PART_TIMEOUT {
                return Err(ServerError::Timeout {
                    client: self.id(),
                    what,
                    seconds: DOWNLOAD_PART_TIMEOUT.as_secs_f64(),
                });
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// A call that waits for this tab cannot work while its socket is not
    /// served (this thread runs one of its callbacks) or nothing is sent
    /// (an atomic batch is open): it would wait forever.
    fn check_can_wait(&self, what: &'static str) -> Result<()> {
        if crate::callbacks::handling(self.id()) {
            return Err(ServerError::invalid(
                "client",
                format!(
                    "{what} waits for tab {}, whose messages are not served while its own callback runs: \
                     call it from another thread (std::thread::spawn)",
                    self.id()
                ),
            ));
        }
        if self.shared().in_atomic() {
            return Err(ServerError::invalid(
                "client",
                format!("{what} waits for a tab, which hears nothing until the atomic batch ends"),
            ));
        }
        Ok(())
    }

    /// Sends the request `make` builds from a fresh id, then waits for the
    /// tab's answer to it.
    fn ask(
        &self,
        what: &'static str,
        timeout: Option<Duration>,
        make: impl FnOnce(String) -> Message,
    ) -> Result<Reply> {
        self.check_can_wait(what)?;
        let pending = &self.shared().pending;
        let (id, rx) = pending.open(self.id());
        // A capture should show the scene updates made before the call.
        self.shared().flush_clients();
        if let Err(error) = self.send(make(id.clone())) {
            pending.close(&id);
            return Err(error);
        }
        self.shared().flush_clients();
        let deadline = timeout.map(|t| Instant::now() + t);
        let poll = Duration::from_millis(100);
        loop {
            let wait = deadline.map_or(poll, |d| {
                d.saturating_duration_since(Instant::now()).min(poll)
            });
            match rx.recv_timeout(wait) {
                Ok(reply) => return Ok(reply),
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
                Err(mpsc::RecvTimeoutError::Timeout) => {}
            }
            if !self.is_connected() {
                break;
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                pending.close(&id);
                // The answer may have landed between the last wait and now.
                return rx.try_recv().map_err(|_| ServerError::Timeout {
                    client: self.id(),
                    what,
                    seconds: timeout.map_or(0.0, |t| t.as_secs_f64()),
                });
            }
        }
        pending.close(&id);
        rx.try_recv()
            .map_err(|_| ServerError::ClientGone(self.id()))
    }
}

/// A tab's browser local storage, from [`ClientHandle::local_storage`].
#[derive(Debug, Clone)]
pub struct LocalStorage {
    client: ClientHandle,
}

impl LocalStorage {
    /// Stores `value` under `key`.
    pub fn set_item(&self, key: &str, value: &str) -> Result<()> {
        self.client.send(Message::from(LocalStorageSetItemMessage {
            key: key.to_owned(),
            value: value.to_owned(),
        }))
    }

    /// Removes `key`.
    pub fn remove_item(&self, key: &str) -> Result<()> {
        self.client
            .send(Message::from(LocalStorageRemoveItemMessage {
                key: key.to_owned(),
            }))
    }

    /// Removes every key written through this API (the origin's other
    /// local storage stays).
    pub fn clear(&self) -> Result<()> {
        self.client.send(Message::from(LocalStorageClearMessage {}))
    }

    /// The value under `key` (`None` if absent), asked of the tab; waits
    /// at most `timeout` when given.
    pub fn get_item(&self, key: &str, timeout: Option<Duration>) -> Result<Option<String>> {
        let reply = self
            .client
            .ask("a local-storage read", timeout, |request_id| {
                Message::from(LocalStorageGetItemRequestMessage {
                    key: key.to_owned(),
                    request_uuid: request_id,
                })
            })?;
        match reply {
            Reply::StorageItem { error: Some(e), .. } => Err(ServerError::ClientFailed {
                client: self.client.id(),
                what: "a local-storage read",
                reason: e,
            }),
            Reply::StorageItem { value, error: None } => Ok(value),
            Reply::Render(_) => Err(ServerError::ClientFailed {
                client: self.client.id(),
                what: "a local-storage read",
                reason: "it answered another request".to_owned(),
            }),
        }
    }
}

/// The MIME type of a file name, by extension (what browsers need to open
/// a download); `application/octet-stream` when unknown.
pub(crate) fn mime_type(filename: &str) -> &'static str {
    let ext = filename
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "txt" | "log" => "text/plain",
        "csv" => "text/csv",
        "json" => "application/json",
        "html" | "htm" => "text/html",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "svg" => "image/svg+xml",
        "webp" => "image/webp",
        "pdf" => "application/pdf",
        "zip" => "application/zip",
        "gz" => "application/gzip",
        "mp4" => "video/mp4",
        "wav" => "audio/wav",
        "mp3" => "audio/mpeg",
        "glb" => "model/gltf-binary",
        "gltf" => "model/gltf+json",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_headers_give_dimensions() {
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        png.extend_from_slice(&640u32.to_be_bytes());
        png.extend_from_slice(&480u32.to_be_bytes());
        let png = RenderedImage {
            format: RenderFormat::Png,
            bytes: Bytes::from(png),
        };
        assert_eq!(png.dimensions(), Some((640, 480)));
        // SOI, an APP0 of 4 bytes, then SOF0 with height 2, width 3.
        let jpeg = [
            0xFF, 0xD8, 0xFF, 0xE0, 0, 4, 0, 0, 0xFF, 0xC0, 0, 11, 8, 0, 2, 0, 3, 3,
        ];
        let jpeg = RenderedImage {
            format: RenderFormat::Jpeg,
            bytes: Bytes::copy_from_slice(&jpeg),
        };
        assert_eq!(jpeg.dimensions(), Some((3, 2)));
        let junk = RenderedImage {
            format: RenderFormat::Jpeg,
            bytes: Bytes::from_static(b"no"),
        };
        assert_eq!(junk.dimensions(), None);
    }

    #[test]
    fn answers_reach_only_their_own_request() {
        let pending = Pending::default();
        let (id, rx) = pending.open(7);
        pending.answer(8, &id, Reply::Render(Bytes::from_static(b"other tab")));
        assert!(rx.try_recv().is_err(), "another tab cannot answer");
        pending.answer(7, "unknown", Reply::Render(Bytes::new()));
        pending.answer(7, &id, Reply::Render(Bytes::from_static(b"ok")));
        assert!(matches!(rx.try_recv(), Ok(Reply::Render(b)) if b == "ok"));
        assert!(pending.lock().is_empty());
    }

    #[test]
    fn mime_types_follow_extensions() {
        assert_eq!(mime_type("a.CSV"), "text/csv");
        assert_eq!(mime_type("scene.glb"), "model/gltf-binary");
        assert_eq!(mime_type("noext"), "application/octet-stream");
    }
}
