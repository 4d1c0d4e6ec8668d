//! Playing a `.viser` recording with no server: the runtime reads the
//! timeline out of the recording itself.
//!
//! viser hands a recording's messages to the page in one batch and runs our
//! script (a `RunJavascriptMessage`) in the middle of it; the runtime's
//! wasm starts asynchronously, after that batch is gone. So instead of
//! waiting for the timeline messages in the queue, the runtime fetches the
//! same file (`?playbackPath=`) or decodes the page's embedded copy
//! (`window.__VISER_EMBED_DATA__`), decodes it with the proto crate's
//! codec, and feeds its `Timeline*` messages to the controller in file
//! order. Blocks stay binary buffers throughout.

use js_sys::{Reflect, Uint8Array};
use viser4d_proto::timeline::ServerMessage;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

/// Where the page's recording comes from, if it plays one.
pub enum Source {
    /// `window.__VISER_EMBED_DATA__` (base64 of the file).
    Embedded(String),
    /// `?playbackPath=URL`.
    Url(String),
}

/// The page's recording source, if any.
pub fn source() -> Option<Source> {
    let window = web_sys::window()?;
    if let Ok(data) = Reflect::get(&window, &"__VISER_EMBED_DATA__".into())
        && let Some(data) = data.as_string()
    {
        return Some(Source::Embedded(data));
    }
    let search = window.location().search().ok()?;
    let value = search
        .trim_start_matches('?')
        .split('&')
        .find_map(|kv| kv.strip_prefix("playbackPath="))?;
    let url = js_sys::decode_uri_component(value).ok()?.as_string()?;
    Some(Source::Url(url))
}

/// The timeline messages of a `.viser` file, in file order.
pub fn timeline_messages(file: &[u8]) -> Result<Vec<ServerMessage>, String> {
    let recording = viser4d_proto::decode_recording_values(file).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    for (_, value) in recording.messages {
        if let Some(m) = ServerMessage::from_value(value).map_err(|e| e.to_string())? {
            out.push(m);
        }
    }
    Ok(out)
}

/// Loads the recording and calls `done` with its timeline messages (or
/// why it could not).
pub fn load(source: Source, done: impl FnOnce(Result<Vec<ServerMessage>, String>) + 'static) {
    match source {
        Source::Embedded(base64) => {
            done(decode_base64(&base64).and_then(|b| timeline_messages(&b)))
        }
        Source::Url(url) => fetch(&url, move |bytes| {
            done(bytes.and_then(|b| timeline_messages(&b)))
        }),
    }
}

fn decode_base64(data: &str) -> Result<Vec<u8>, String> {
    let window = web_sys::window().ok_or("no window")?;
    let binary = window
        .atob(data)
        .map_err(|_| "the embedded recording is not base64".to_owned())?;
    // `atob` yields one char per byte.
    Ok(binary.chars().map(|c| c as u32 as u8).collect())
}

pub(crate) fn fetch(url: &str, done: impl FnOnce(Result<Vec<u8>, String>) + 'static) {
    type Done = std::rc::Rc<std::cell::RefCell<Option<Box<dyn FnOnce(Result<Vec<u8>, String>)>>>>;
    let Some(window) = web_sys::window() else {
        return done(Err("no window".into()));
    };
    let done: Done = std::rc::Rc::new(std::cell::RefCell::new(Some(Box::new(done))));
    let finish = |done: &Done, result: Result<Vec<u8>, String>| {
        if let Some(done) = done.borrow_mut().take() {
            done(result);
        }
    };
    let fail = |done: Done, what: String| {
        Closure::once(move |error: JsValue| finish(&done, Err(format!("{what}: {error:?}"))))
    };
    let on_bytes = {
        let done = done.clone();
        Closure::once(move |buffer: JsValue| finish(&done, Ok(Uint8Array::new(&buffer).to_vec())))
    };
    let on_body_error = fail(done.clone(), format!("reading {url}"));
    let on_response = {
        let done = done.clone();
        let url = url.to_owned();
        Closure::once(move |response: JsValue| {
            let body = match response.dyn_into::<web_sys::Response>() {
                Ok(r) if r.ok() => r.array_buffer(),
                Ok(r) => return finish(&done, Err(format!("fetching {url}: HTTP {}", r.status()))),
                Err(e) => return finish(&done, Err(format!("fetching {url}: {e:?}"))),
            };
            match body {
                Ok(promise) => {
                    let _ = promise.then2(&on_bytes, &on_body_error);
                }
                Err(e) => finish(&done, Err(format!("reading {url}: {e:?}"))),
            }
            // The promise owns them now.
            on_bytes.forget();
            on_body_error.forget();
        })
    };
    let on_fetch_error = fail(done, format!("fetching {url}"));
    let _ = window
        .fetch_with_str(url)
        .then2(&on_response, &on_fetch_error);
    on_response.forget();
    on_fetch_error.forget();
}
