//! Playing an archive from a static host: the page's boot script names the
//! manifest (`window.__VISER4D_ARCHIVE__`); the runtime fetches it and the
//! timeline file at start, then each block file when the controller asks
//! for that block, over plain HTTP GETs. The controller runs exactly as
//! against a live server (cache, read-ahead, cursor); only where its
//! requests go differs. Every block file is checked against the
//! manifest's size and SHA-256 before it is decoded.

use std::cell::RefCell;
use std::collections::BTreeSet;

use js_sys::Reflect;
use viser4d_proto::archive::ArchiveManifest;
use viser4d_proto::timeline::{ClientMessage, ServerMessage};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

/// Attempts at fetching a block before it counts as missing (a network
/// error or a 5xx; a damaged file is not fetched again).
const ATTEMPTS: u32 = 3;

/// Between attempts, ms.
const RETRY_AFTER_MS: i32 = 1_000;

struct Archive {
    /// The manifest's URL: every file is relative to it.
    base: String,
    manifest: ArchiveManifest,
    /// First step of each block, from the timeline's configuration.
    starts: Vec<u32>,
    fetching: BTreeSet<u32>,
}

thread_local! {
    static ARCHIVE: RefCell<Option<Archive>> = const { RefCell::new(None) };
}

/// What a block fetch came to.
pub type Delivered = Result<ServerMessage, (u32, String)>;

/// The manifest URL, when the page is an archive's.
pub fn manifest_url() -> Option<String> {
    let window = web_sys::window()?;
    Reflect::get(&window, &"__VISER4D_ARCHIVE__".into())
        .ok()?
        .as_string()
}

/// Fetches `url`, or takes what the page's boot script already started
/// fetching for it (`window.__viser4dPrefetch[url]`, while viser and this
/// runtime were still loading), once; a prefetch that failed is fetched
/// again.
fn fetch(url: String, done: impl FnOnce(Result<Vec<u8>, String>) + 'static) {
    let Some(promise) = take_prefetched(&url) else {
        return crate::recording::fetch(&url, done);
    };
    let done = std::rc::Rc::new(std::cell::RefCell::new(Some(done)));
    let on_bytes = {
        let done = done.clone();
        Closure::once(move |buffer: JsValue| {
            if let Some(done) = done.borrow_mut().take() {
                done(Ok(js_sys::Uint8Array::new(&buffer).to_vec()));
            }
        })
    };
    let on_error = Closure::once(move |_error: JsValue| {
        if let Some(done) = done.borrow_mut().take() {
            crate::recording::fetch(&url, done);
        }
    });
    let _ = promise.then2(&on_bytes, &on_error);
    // The promise owns them now.
    on_bytes.forget();
    on_error.forget();
}

fn take_prefetched(url: &str) -> Option<js_sys::Promise> {
    let window = web_sys::window()?;
    let prefetch = Reflect::get(&window, &"__viser4dPrefetch".into()).ok()?;
    if !prefetch.is_object() {
        return None;
    }
    let promise = Reflect::get(&prefetch, &url.into()).ok()?;
    let _ = Reflect::delete_property(prefetch.unchecked_ref::<js_sys::Object>(), &url.into());
    promise.dyn_into::<js_sys::Promise>().ok()
}

fn resolve(base: &str, file: &str) -> Result<String, String> {
    web_sys::Url::new_with_base(file, base)
        .map(|u| u.href())
        .map_err(|e| format!("cannot resolve {file} against {base}: {e:?}"))
}

/// Loads the manifest and the timeline file; `done` gets the timeline's
/// messages (configuration, overrides) or why the archive cannot play.
pub fn open(url: String, done: impl FnOnce(Result<Vec<ServerMessage>, String>) + 'static) {
    let base = url.clone();
    fetch(url, move |bytes| {
        let manifest =
            match bytes.and_then(|b| ArchiveManifest::parse(&b).map_err(|e| e.to_string())) {
                Ok(m) => m,
                Err(e) => return done(Err(e)),
            };
        if manifest.protocol != viser4d_proto::timeline::PROTOCOL_REVISION {
            return done(Err(format!(
                "the archive's blocks are for timeline protocol {}, this runtime reads {}",
                manifest.protocol,
                viser4d_proto::timeline::PROTOCOL_REVISION
            )));
        }
        let timeline_url = match resolve(&base, &manifest.timeline) {
            Ok(u) => u,
            Err(e) => return done(Err(e)),
        };
        fetch(timeline_url, move |bytes| {
            let messages = match bytes.and_then(|b| {
                viser4d_proto::archive::verify_content_name(&manifest.timeline, &b)
                    .map_err(|e| e.to_string())?;
                viser4d_proto::timeline::unpack_messages(&b)
                    .map_err(|e| format!("{}: {e}", manifest.timeline))
            }) {
                Ok(m) => m,
                Err(e) => return done(Err(e)),
            };
            let Some(ServerMessage::TimelineConfigure(configure)) = messages.first() else {
                return done(Err(format!(
                    "{} does not start with the timeline's configuration",
                    manifest.timeline
                )));
            };
            if let Err(reason) = configure.check() {
                return done(Err(reason));
            }
            let starts = configure.starts();
            ARCHIVE.with(|a| {
                *a.borrow_mut() = Some(Archive {
                    base,
                    manifest,
                    starts,
                    fetching: BTreeSet::new(),
                });
            });
            done(Ok(messages));
        });
    });
}

/// Takes a message the controller would send to a server: block requests
/// become fetches of the block's file, state requests of the step's state
/// file (or of its block, for light blocks, which have none); the rest is
/// dropped.
pub fn send(message: &ClientMessage, deliver: fn(Delivered)) {
    enum Fetch {
        Block(u32),
        State(u32, String, viser4d_proto::archive::ArchiveState),
    }
    let fetch = ARCHIVE.with(|a| {
        let a = a.borrow();
        let a = a.as_ref()?;
        match message {
            ClientMessage::TimelineBlockRequest(m) => Some(Fetch::Block(m.index)),
            ClientMessage::TimelineStateRequest(m) => {
                let after = a.starts.partition_point(|s| *s <= m.step);
                let index = after.checked_sub(1)? as u32;
                // A heavy block has a file for each step's state; a light
                // one comes whole, as a live server would send it.
                match a.manifest.block(index).and_then(|b| b.state(m.step)) {
                    Some(state) => resolve(&a.base, &state.file)
                        .ok()
                        .map(|url| Fetch::State(index, url, state.clone())),
                    None => Some(Fetch::Block(index)),
                }
            }
            _ => None,
        }
    });
    match fetch {
        Some(Fetch::Block(index)) => fetch_block(index, 1, deliver),
        Some(Fetch::State(index, url, entry)) => fetch_state(index, url, entry, deliver),
        None => {}
    }
}

/// A step's state file; if it cannot be had, the block instead (which
/// holds the step too).
fn fetch_state(
    index: u32,
    url: String,
    entry: viser4d_proto::archive::ArchiveState,
    deliver: fn(Delivered),
) {
    fetch(url, move |bytes| {
        let decoded = bytes.and_then(|bytes| {
            entry
                .decode(&bytes)
                .map(ServerMessage::TimelineState)
                .map_err(|e| e.to_string())
        });
        match decoded {
            Ok(message) => deliver(Ok(message)),
            Err(reason) => {
                web_sys::console::warn_1(
                    &format!("viser4d: {reason}; fetching block {index} instead").into(),
                );
                fetch_block(index, 1, deliver);
            }
        }
    });
}

fn fetch_block(index: u32, attempt: u32, deliver: fn(Delivered)) {
    let target = ARCHIVE.with(|a| {
        let mut a = a.borrow_mut();
        let a = a.as_mut()?;
        if attempt == 1 && !a.fetching.insert(index) {
            return None; // already on its way
        }
        let Some(entry) = a.manifest.block(index).cloned() else {
            a.fetching.remove(&index);
            return Some(Err(format!("the archive has no block {index}")));
        };
        Some(resolve(&a.base, &entry.file).map(|url| (url, entry)))
    });
    let (url, entry) = match target {
        None => return,
        Some(Ok(t)) => t,
        Some(Err(reason)) => return deliver(Err((index, reason))),
    };
    fetch(url, move |bytes| {
        let result = match bytes {
            Err(reason) if attempt < ATTEMPTS && transient(&reason) => {
                retry_later(index, attempt + 1, deliver);
                return;
            }
            Err(reason) => Err(reason),
            Ok(bytes) => decode_block(&entry, &bytes),
        };
        ARCHIVE.with(|a| {
            if let Some(a) = a.borrow_mut().as_mut() {
                a.fetching.remove(&index);
            }
        });
        deliver(result.map_err(|reason| (index, reason)));
    });
}

fn decode_block(
    entry: &viser4d_proto::archive::ArchiveBlock,
    bytes: &[u8],
) -> Result<ServerMessage, String> {
    entry
        .decode(bytes)
        .map(ServerMessage::TimelineBlock)
        .map_err(|e| e.to_string())
}

/// Whether a failed fetch is worth trying again: a network error, a
/// server error, a timeout or a rate limit; not a missing or refused file.
fn transient(reason: &str) -> bool {
    let status = reason
        .split("HTTP ")
        .nth(1)
        .and_then(|s| s.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|s| s.parse::<u16>().ok());
    match status {
        None => true,
        Some(408 | 425 | 429) => true,
        Some(s) => s >= 500,
    }
}

fn retry_later(index: u32, attempt: u32, deliver: fn(Delivered)) {
    let Some(window) = web_sys::window() else {
        return deliver(Err((index, "no window".into())));
    };
    let again = Closure::once(move || fetch_block(index, attempt, deliver));
    let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(
        again.as_ref().unchecked_ref(),
        RETRY_AFTER_MS,
    );
    again.forget();
}
