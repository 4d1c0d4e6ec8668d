//! The browser glue: finds viser's mutable state, hooks its message queue,
//! runs the controller on animation frames, renders the bar, and exposes
//! `window.__viser4dRuntime` (status, stats, and controls for tests).

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Array, Function, Object, Reflect};
use viser4d_proto::Value;
use viser4d_proto::timeline::{ClientMessage, ServerMessage};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use crate::controller::{Controller, SceneOut, Sink};
use crate::js::{from_js, to_js};
use crate::ui::{Bar, Intent, View};
use crate::webaudio::Engine;

/// How long to look for viser's state before giving up, ms.
const INSTALL_TIMEOUT_MS: f64 = 20_000.0;

/// viser's page, as the runtime uses it.
struct Page {
    engine: Engine,
    performance: web_sys::Performance,
    mutable: JsValue,
    queue: JsValue,
    original_push: Function,
    /// The page plays an archive: requests become fetches of its files.
    archive: bool,
}

impl Page {
    /// Takes the timeline's audio messages (track creation, volume) out
    /// of what goes to viser; returns whether `value` was one.
    fn audio_message(&mut self, value: &Value) -> bool {
        let name = value.get("name").and_then(Value::as_str).unwrap_or("");
        let volume = value.get("volume").and_then(Value::as_f64).unwrap_or(1.0) as f32;
        match value.get("type").and_then(Value::as_str) {
            Some("TimelineAudioTrack") => self.engine.add_track(name, volume),
            Some("TimelineAudioVolume") => self.engine.set_volume(name, volume),
            _ => return false,
        }
        true
    }
}

impl Sink for Page {
    fn now_ms(&self) -> f64 {
        self.performance.now()
    }

    fn push_scene(&mut self, messages: Vec<SceneOut>) {
        if messages.is_empty() {
            return;
        }
        let batch = Array::new();
        for m in messages {
            match m {
                SceneOut::Packed(bytes) => match viser4d_proto::timeline::unpack(&bytes) {
                    Ok(value) => {
                        if !self.audio_message(&value) {
                            batch.push(&to_js(&value));
                        }
                    }
                    Err(error) => warn(&format!("viser4d: dropping a bad scene message: {error}")),
                },
                SceneOut::Remove(name) => {
                    self.engine.remove(&name);
                    let value = Value::Map(vec![
                        ("name".into(), Value::Str(name)),
                        ("owner".into(), Value::Str(String::new())),
                        ("type".into(), Value::Str("RemoveSceneNodeMessage".into())),
                    ]);
                    batch.push(&to_js(&value));
                }
            }
        }
        if let Err(error) = self.original_push.apply(&self.queue, &batch) {
            warn_js("viser4d: pushing into viser's queue failed", &error);
        }
    }

    fn send(&mut self, message: ClientMessage) {
        if self.archive {
            crate::archive::send(&message, on_archive_block);
            return;
        }
        let value = match message.to_value() {
            Ok(v) => v,
            Err(error) => {
                warn(&format!(
                    "viser4d: cannot encode {}: {error}",
                    message.type_name()
                ));
                return;
            }
        };
        let send = Reflect::get(&self.mutable, &"sendMessage".into()).ok();
        match send.and_then(|f| f.dyn_into::<Function>().ok()) {
            Some(f) => {
                if let Err(error) = f.call1(&self.mutable, &to_js(&value)) {
                    warn_js("viser4d: sendMessage failed", &error);
                }
            }
            None => warn("viser4d: viser's sendMessage is missing"),
        }
    }
}

struct App {
    page: Page,
    controller: Controller,
    bar: Option<Bar>,
    plot_cursors: crate::plot_cursor::PlotCursors,
    /// The version notice is up (shown once per mismatch).
    notice_shown: bool,
}

thread_local! {
    static APP: RefCell<Option<App>> = const { RefCell::new(None) };
    /// Messages that arrived while the app was busy (re-entrancy).
    static INBOX: RefCell<Vec<ServerMessage>> = const { RefCell::new(Vec::new()) };
    /// Archive blocks that could not be had, not yet told to the
    /// controller (a failure can come back inside the controller's own
    /// request).
    static FAILED: RefCell<Vec<u32>> = const { RefCell::new(Vec::new()) };

}

fn warn(message: &str) {
    web_sys::console::warn_1(&message.into());
}

fn warn_js(message: &str, error: &JsValue) {
    web_sys::console::warn_2(&message.into(), error);
}

fn set(target: &JsValue, key: &str, value: &JsValue) {
    // Setting a property on our own plain object cannot fail.
    let _ = Reflect::set(target, &key.into(), value);
}

/// Runs `f` on the app, first draining messages that waited.
fn with_app(f: impl FnOnce(&mut App)) {
    APP.with(|app| {
        let Ok(mut guard) = app.try_borrow_mut() else {
            return;
        };
        let Some(app) = guard.as_mut() else { return };
        let waiting = INBOX.with(|i| std::mem::take(&mut *i.borrow_mut()));
        for m in waiting {
            app.controller.handle(m, &mut app.page);
        }
        let failed = FAILED.with(|f| std::mem::take(&mut *f.borrow_mut()));
        for index in failed {
            app.controller.block_failed(index, &mut app.page);
        }
        f(app);
    });
}

fn on_timeline_message(message: JsValue) {
    let value = from_js(&message, 0);
    let message = match ServerMessage::from_value(value) {
        Ok(Some(m)) => m,
        Ok(None) => return,
        Err(error) => {
            warn(&format!("viser4d: malformed timeline message: {error}"));
            return;
        }
    };
    deliver(message);
}

/// A block fetched from an archive, or why it could not be.
fn on_archive_block(delivered: crate::archive::Delivered) {
    match delivered {
        Ok(message) => deliver(message),
        Err((index, reason)) => {
            // The reason names the file (or its URL).
            let text = format!(
                "viser4d: block {index} of this archive cannot be played: {reason}. Its steps are skipped."
            );
            warn(&text);
            if let Err(error) = crate::ui::show_alert(&text) {
                warn_js("viser4d: cannot show the notice", &error);
            }
            if let Some(window) = web_sys::window() {
                let global = Reflect::get(&window, &crate::GLOBAL_NAME.into()).unwrap_or_default();
                set(&global, "archiveError", &text.into());
            }
            // Told at once, or at the next frame when the controller is
            // busy (the failure came back inside its own request).
            FAILED.with(|f| f.borrow_mut().push(index));
            with_app(render);
        }
    }
}

fn deliver(message: ServerMessage) {
    let busy = APP.with(|a| a.try_borrow_mut().is_err());
    if busy {
        INBOX.with(|i| i.borrow_mut().push(message));
        return;
    }
    with_app(|app| {
        app.controller.handle(message, &mut app.page);
        render(app);
    });
}

fn on_intent(intent: Intent) {
    with_app(|app| {
        let (c, p) = (&mut app.controller, &mut app.page);
        match intent {
            Intent::EnableAudio => p.engine.resume(),
            Intent::Toggle => c.toggle(p),
            Intent::Prev => c.prev(p),
            Intent::Next => c.next(p),
            Intent::Seek(step) => c.seek(step, p),
            Intent::Speed(s) => c.set_speed(s, p),
            Intent::Loop(l) => c.set_looping(l, p),
            Intent::ToggleFollow => c.toggle_follow(p),
            Intent::Follow => c.end_key(p),
        }
        render(app);
    });
}

fn dark_theme() -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
        .and_then(|e| e.get_attribute("data-mantine-color-scheme"))
        .is_some_and(|s| s == "dark")
}

fn render(app: &mut App) {
    let problem = match (app.controller.mismatch(), app.controller.refused()) {
        (Some(text), _) => Some(("mismatch", text)),
        (None, Some(text)) => Some(("refused", text)),
        (None, None) => None,
    };
    if let Some((status, text)) = problem {
        if !app.notice_shown {
            if let Err(error) = crate::ui::show_notice(text) {
                warn_js("viser4d: cannot show the version notice", &error);
            }
            if let Some(window) = web_sys::window() {
                let global = Reflect::get(&window, &crate::GLOBAL_NAME.into()).unwrap_or_default();
                set(&global, "status", &status.into());
                set(&global, "error", &text.into());
            }
            app.notice_shown = true;
        }
        return;
    }
    app.notice_shown = false;
    if !app.controller.configured() {
        return;
    }
    let now = app.page.now_ms();
    let player = app.controller.player();
    let view = View {
        playing: player.playing(),
        step: app
            .controller
            .shown()
            .unwrap_or_else(|| app.controller.step(now)),
        first: player.first(),
        num_steps: player.num_steps(),
        speed: player.speed(),
        looping: player.looping(),
        live: app.controller.live(),
        following: player.following(),
        dropped_before: app.controller.dropped_before(),
        dark: dark_theme(),
        audio_prompt: app.page.engine.suspended(),
        held: app.controller.held_revision(),
    };
    if app.bar.is_none() {
        match Bar::new(on_intent) {
            Ok(bar) => app.bar = Some(bar),
            Err(error) => {
                warn_js("viser4d: cannot build the playback bar", &error);
                return;
            }
        }
    }
    if let Some(bar) = app.bar.as_mut() {
        let controller = &app.controller;
        bar.render(view, || controller.buffered());
    }
    if let Err(error) = app
        .plot_cursors
        .render(app.controller.plots(), app.controller.shown())
        && app.plot_cursors.first_failure()
    {
        warn_js("viser4d: drawing the plot cursors failed", &error);
    }
}

type FrameCallback = Rc<RefCell<Option<Closure<dyn FnMut(f64)>>>>;

fn request_frame(callback: &FrameCallback) {
    if let (Some(window), Some(cb)) = (web_sys::window(), callback.borrow().as_ref()) {
        let _ = window.request_animation_frame(cb.as_ref().unchecked_ref());
    }
}

/// Starts looking for viser's state on every animation frame; installs
/// once found.
pub fn start(global: JsValue) -> Result<(), JsValue> {
    let window = web_sys::window().ok_or("viser4d: no window")?;
    let performance = window
        .performance()
        .ok_or("viser4d: no performance clock")?;
    let started = performance.now();
    let frame: FrameCallback = Rc::new(RefCell::new(None));
    let again = frame.clone();
    *frame.borrow_mut() = Some(Closure::new(move |_timestamp: f64| {
        // `try_borrow`: a frame may arrive while the app is busy (viser
        // can run page code from inside our own calls); it skips then.
        let installed = APP.with(|a| a.try_borrow().map_or(true, |b| b.is_some()));
        if installed {
            with_app(|app| {
                app.controller.tick(&mut app.page);
                let now = app.page.now_ms();
                let player = app.controller.player();
                app.page.engine.update(
                    player.playing(),
                    player.time_sec(now),
                    player.speed(),
                    player.fps(),
                    app.controller.jumps(),
                    app.controller.cache().blocks(),
                );
                render(app);
            });
            request_frame(&again);
            return;
        }
        match try_install(&global) {
            Ok(true) => {
                set(&global, "status", &"installed".into());
                with_app(|app| app.controller.announce(&mut app.page));
            }
            Ok(false) => {
                if performance.now() - started > INSTALL_TIMEOUT_MS {
                    set(&global, "status", &"no-viewer".into());
                    warn(
                        "viser4d: viser's state (window.__viserMutable) never appeared; the timeline runtime is inactive",
                    );
                    return;
                }
            }
            Err(error) => {
                set(&global, "status", &"failed".into());
                warn_js("viser4d: installing the runtime failed", &error);
                return;
            }
        }
        request_frame(&again);
    }));
    request_frame(&frame);
    // The closure lives as long as the page.
    std::mem::forget(frame);
    Ok(())
}

fn try_install(global: &JsValue) -> Result<bool, JsValue> {
    let window = web_sys::window().ok_or("viser4d: no window")?;
    let mutable = Reflect::get(&window, &"__viserMutable".into())?;
    if !mutable.is_object() {
        return Ok(false);
    }
    let queue = Reflect::get(&mutable, &"messageQueue".into())?;
    if !Array::is_array(&queue) {
        return Ok(false);
    }
    // The single script's prelude may hold messages that came before us:
    // give viser its own push back, then wrap that.
    let pending = Reflect::get(&window, &"__viser4dPending".into())?;
    let held = if pending.is_object() {
        if let Ok(restore) = Reflect::get(&pending, &"restore".into())?.dyn_into::<Function>() {
            restore.call0(&pending)?;
        }
        let messages = Reflect::get(&pending, &"messages".into())?;
        Reflect::set(&window, &"__viser4dPending".into(), &JsValue::UNDEFINED)?;
        Array::is_array(&messages).then(|| Array::from(&messages))
    } else {
        None
    };
    let original_push: Function = Reflect::get(&queue, &"push".into())?.dyn_into()?;
    // viser pushes with `push(...messages)`; a Rust closure cannot take
    // rest arguments, so a one-line shim splits ours from viser's.
    let make_shim = Function::new_with_args(
        "handle, original",
        "return function (...messages) {\
           const rest = [];\
           for (const m of messages) {\
             if (m && typeof m.type === 'string' && m.type.startsWith('Timeline')) handle(m); else rest.push(m);\
           }\
           return rest.length ? original.apply(this, rest) : this.length;\
         };",
    );
    let handler = Closure::<dyn Fn(JsValue)>::new(on_timeline_message);
    let shim = make_shim.call2(&JsValue::NULL, handler.as_ref(), &original_push)?;
    Reflect::set(&queue, &"push".into(), &shim)?;
    handler.forget();
    let performance = window
        .performance()
        .ok_or("viser4d: no performance clock")?;
    let archive = crate::archive::manifest_url();
    APP.with(|a| {
        let Ok(mut slot) = a.try_borrow_mut() else {
            return;
        };
        *slot = Some(App {
            page: Page {
                engine: Engine::default(),
                performance,
                mutable,
                queue,
                original_push,
                archive: archive.is_some(),
            },
            controller: {
                let mut c = Controller::new();
                // An archive's files do not change: a block that does not
                // decode or fit is broken, not stale.
                c.set_static_source(archive.is_some());
                c
            },
            bar: None,
            plot_cursors: crate::plot_cursor::PlotCursors::new(),
            notice_shown: false,
        });
    });
    install_api(global)?;
    for message in held.iter().flat_map(|a| a.iter()) {
        on_timeline_message(message);
    }
    if let Some(url) = archive {
        // An archive: its timeline and blocks come from its files.
        let global = global.clone();
        crate::archive::open(url, move |opened| match opened {
            Ok(messages) => {
                set(&global, "archive", &true.into());
                for m in messages {
                    INBOX.with(|i| i.borrow_mut().push(m));
                }
                with_app(render);
            }
            Err(error) => {
                let text = format!("viser4d: this archive cannot be played: {error}");
                warn(&text);
                set(&global, "status", &"failed".into());
                set(&global, "error", &text.clone().into());
                if let Err(error) = crate::ui::show_notice(&text) {
                    warn_js("viser4d: cannot show the notice", &error);
                }
            }
        });
    } else if let Some(source) = crate::recording::source() {
        // A recording: its timeline comes from the file itself.
        let global = global.clone();
        crate::recording::load(source, move |loaded| match loaded {
            Ok(messages) => {
                set(&global, "recording", &(messages.len() as u32).into());
                for m in messages {
                    INBOX.with(|i| i.borrow_mut().push(m));
                }
                with_app(render);
            }
            Err(error) => warn(&format!(
                "viser4d: cannot read the recording's timeline: {error}"
            )),
        });
    }
    Ok(true)
}

/// `stats()`, `play()`, `pause()`, `seek(step)`, `follow()` on the global object.
fn install_api(global: &JsValue) -> Result<(), JsValue> {
    let stats = Closure::<dyn Fn() -> JsValue>::new(|| {
        let out = Object::new();
        with_app(|app| {
            let now = app.page.now_ms();
            let c = &app.controller;
            let s = c.stats();
            let p = c.player();
            set(&out, "configured", &c.configured().into());
            set(&out, "step", &c.step(now).into());
            set(
                &out,
                "shown",
                &c.shown().map_or(JsValue::NULL, JsValue::from),
            );
            set(&out, "playing", &p.playing().into());
            set(&out, "speed", &p.speed().into());
            set(&out, "loop", &p.looping().into());
            set(&out, "following", &p.following().into());
            set(&out, "live", &c.live().into());
            set(&out, "first", &p.first().into());
            set(
                &out,
                "droppedBefore",
                &c.dropped_before().map_or(JsValue::NULL, JsValue::from),
            );
            set(&out, "numSteps", &p.num_steps().into());
            set(&out, "blockRequests", &(s.block_requests as f64).into());
            set(&out, "blocksReceived", &(s.blocks_received as f64).into());
            set(&out, "stateRequests", &(s.state_requests as f64).into());
            set(&out, "statesReceived", &(s.states_received as f64).into());
            set(&out, "bytesReceived", &(s.bytes_received as f64).into());
            set(&out, "stepsApplied", &(s.steps_applied as f64).into());
            set(&out, "maxLagSteps", &s.max_lag_steps.into());
            set(
                &out,
                "lastSeekMs",
                &s.last_seek_ms.map_or(JsValue::NULL, JsValue::from),
            );
            let ms = |v: Option<f64>| v.map_or(JsValue::NULL, JsValue::from);
            set(&out, "lastBlockWaitMs", &ms(s.last_block_wait_ms));
            set(&out, "firstShownMs", &ms(s.first_shown_ms));
            set(&out, "lastBlockDecodeMs", &ms(s.last_block_decode_ms));
            set(
                &out,
                "applyMs",
                &js_sys::Float64Array::from(s.apply_ms.as_slice()).into(),
            );
            set(&out, "brokenBlocks", &(c.broken().len() as u32).into());
            set(&out, "cachedBlocks", &(c.cache().len() as u32).into());
            set(&out, "cacheBytes", &(c.cache().used() as f64).into());
            let e = &app.page.engine;
            let audio = Object::new();
            set(&audio, "state", &e.state().into());
            set(&audio, "sources", &(e.active_sources() as u32).into());
            set(
                &audio,
                "sourcesStarted",
                &(e.stats.sources_started as f64).into(),
            );
            set(
                &audio,
                "audioTimeSec",
                &e.stats.audio_time_sec.map_or(JsValue::NULL, JsValue::from),
            );
            set(&audio, "timelineTimeSec", &e.stats.timeline_time_sec.into());
            set(&audio, "driftMs", &(e.stats.drift_sec * 1000.0).into());
            set(
                &audio,
                "maxDriftMs",
                &(e.stats.max_drift_sec * 1000.0).into(),
            );
            set(&audio, "resyncs", &(e.stats.resyncs as f64).into());
            set(
                &audio,
                "playbackRate",
                &e.stats.last_rate.map_or(JsValue::NULL, JsValue::from),
            );
            let gains = Object::new();
            for (name, gain) in e.gains() {
                set(&gains, &name, &f64::from(gain).into());
            }
            set(&audio, "gains", &gains);
            set(&out, "audio", &audio);
        });
        out.into()
    });
    set(global, "stats", stats.as_ref());
    stats.forget();
    let play = Closure::<dyn Fn()>::new(|| on_intent_play(true));
    set(global, "play", play.as_ref());
    play.forget();
    let pause = Closure::<dyn Fn()>::new(|| on_intent_play(false));
    set(global, "pause", pause.as_ref());
    pause.forget();
    let seek = Closure::<dyn Fn(f64)>::new(|step: f64| {
        if step.is_finite() && step >= 0.0 {
            on_intent(Intent::Seek(step as u32));
        }
    });
    set(global, "seek", seek.as_ref());
    seek.forget();
    let follow = Closure::<dyn Fn()>::new(|| on_intent(Intent::Follow));
    set(global, "follow", follow.as_ref());
    follow.forget();
    Ok(())
}

fn on_intent_play(play: bool) {
    with_app(|app| {
        if play {
            app.controller.play(None, None, &mut app.page);
        } else {
            app.controller.pause(&mut app.page);
        }
        render(app);
    });
}
