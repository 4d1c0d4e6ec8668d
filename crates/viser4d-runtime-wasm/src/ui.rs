//! The playback bar: play/pause, previous, next, a step slider with the
//! step number, a speed selector, a loop toggle and, for a timeline being
//! recorded, a live toggle that follows the newest step; plus the keyboard
//! (space, left, right, End to follow). Plain DOM built from Rust; it reads viser's colour
//! scheme (Mantine's `data-mantine-color-scheme`) so it matches the light
//! and dark themes, and uses the page's font.

use std::ops::Range;

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{Document, Element, HtmlElement, HtmlInputElement, HtmlSelectElement};

use crate::player::SPEEDS;

/// What the user asked for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Intent {
    /// Play or pause.
    Toggle,
    /// One step back.
    Prev,
    /// One step forward.
    Next,
    /// Go to a step.
    Seek(u32),
    /// New speed factor.
    Speed(f64),
    /// Loop on or off.
    Loop(bool),
    /// Follow the newest step, or stop following.
    ToggleFollow,
    /// The End key: follow the newest step (the last, when not live).
    Follow,
    /// Let the page play audio (a user gesture).
    EnableAudio,
}

/// What the bar shows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct View {
    /// Playing or paused.
    pub playing: bool,
    /// Current step.
    pub step: u32,
    /// First step played.
    pub first: u32,
    /// Number of steps.
    pub num_steps: u32,
    /// Speed factor.
    pub speed: f64,
    /// Looping.
    pub looping: bool,
    /// The timeline is being recorded (the live toggle is shown).
    pub live: bool,
    /// Following the newest step.
    pub following: bool,
    /// The tab was moved off steps the server dropped, to this one.
    pub dropped_before: Option<u32>,
    /// Dark theme.
    pub dark: bool,
    /// Offer to enable audio (the browser holds it back until a gesture).
    pub audio_prompt: bool,
    /// Changes whenever the blocks the tab holds change (the buffered
    /// ranges are drawn again then).
    pub held: u64,
}

const PLAY: &str = r#"<svg width="16" height="16" viewBox="0 0 16 16" fill="currentColor" aria-hidden="true"><path d="M4 2.8v10.4l8.5-5.2z"/></svg>"#;
const PAUSE: &str = r#"<svg width="16" height="16" viewBox="0 0 16 16" fill="currentColor" aria-hidden="true"><rect x="3.5" y="3" width="3" height="10" rx="1"/><rect x="9.5" y="3" width="3" height="10" rx="1"/></svg>"#;
const PREV: &str = r#"<svg width="16" height="16" viewBox="0 0 16 16" fill="currentColor" aria-hidden="true"><path d="M5 3v10H3.5V3zm8 0v10L6 8z"/></svg>"#;
const NEXT: &str = r#"<svg width="16" height="16" viewBox="0 0 16 16" fill="currentColor" aria-hidden="true"><path d="M11 3v10h1.5V3zM3 3v10l7-5z"/></svg>"#;
const LIVE: &str = r#"<svg width="8" height="8" viewBox="0 0 8 8" fill="currentColor" aria-hidden="true"><circle cx="4" cy="4" r="4"/></svg>LIVE"#;
const LOOP: &str = r#"<svg width="16" height="16" viewBox="0 0 16 16" fill="none" stroke="currentColor" stroke-width="1.6" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M2.5 7V6a2.5 2.5 0 0 1 2.5-2.5h7.5M10.5 1.5l2 2-2 2M13.5 9v1a2.5 2.5 0 0 1-2.5 2.5H3.5M5.5 14.5l-2-2 2-2"/></svg>"#;

/// Mantine's palette, as viser's UI uses it.
struct Palette {
    background: &'static str,
    border: &'static str,
    text: &'static str,
    dim: &'static str,
    hover: &'static str,
    accent: &'static str,
    buffered: &'static str,
}

const LIGHT: Palette = Palette {
    background: "rgba(255,255,255,0.95)",
    border: "#dee2e6",
    text: "#212529",
    dim: "#868e96",
    hover: "#f1f3f5",
    accent: "#228be6",
    buffered: "rgba(34,139,230,0.28)",
};

const DARK: Palette = Palette {
    background: "rgba(37,38,43,0.95)",
    border: "#373a40",
    text: "#c1c2c5",
    dim: "#909296",
    hover: "#2c2e33",
    accent: "#4dabf7",
    buffered: "rgba(77,171,247,0.30)",
};

/// The slider drawn by us, not the platform: its track shows what was
/// played and what is buffered, as video players do, which a native range
/// input cannot.
const SLIDER_CSS: &str = "\
[data-viser4d-role=slider]{-webkit-appearance:none;appearance:none;height:18px;background:transparent;}\
[data-viser4d-role=slider]:focus{outline:none;}\
[data-viser4d-role=slider]::-webkit-slider-runnable-track{height:4px;border-radius:2px;background:var(--viser4d-track);}\
[data-viser4d-role=slider]::-moz-range-track{height:4px;border-radius:2px;background:var(--viser4d-track);}\
[data-viser4d-role=slider]::-webkit-slider-thumb{-webkit-appearance:none;width:14px;height:14px;margin-top:-5px;border:none;border-radius:50%;background:var(--viser4d-accent);}\
[data-viser4d-role=slider]::-moz-range-thumb{width:14px;height:14px;border:none;border-radius:50%;background:var(--viser4d-accent);}";

/// The bar's elements.
pub struct Bar {
    root: HtmlElement,
    play: HtmlElement,
    prev: HtmlElement,
    next: HtmlElement,
    slider: HtmlInputElement,
    label: HtmlElement,
    speed: HtmlSelectElement,
    looping: HtmlElement,
    follow: HtmlElement,
    dropped: HtmlElement,
    audio: HtmlElement,
    shown: Option<View>,
    /// The track's layers: what was played, and what is buffered.
    played: String,
    buffered: String,
    /// Event handlers, kept alive as long as the bar.
    _handlers: Vec<Closure<dyn FnMut(web_sys::Event)>>,
}

fn element<T: JsCast>(document: &Document, tag: &str) -> Result<T, JsValue> {
    document
        .create_element(tag)?
        .dyn_into::<T>()
        .map_err(|_| JsValue::from_str("viser4d: unexpected element type"))
}

fn button(
    document: &Document,
    icon: &str,
    label: &str,
    role: &str,
) -> Result<HtmlElement, JsValue> {
    let b: HtmlElement = element(document, "button")?;
    b.set_inner_html(icon);
    b.set_attribute("type", "button")?;
    b.set_attribute("aria-label", label)?;
    b.set_attribute("title", label)?;
    b.set_attribute("data-viser4d-role", role)?;
    b.style().set_css_text(
        "display:flex;align-items:center;justify-content:center;flex:none;width:30px;height:30px;\
         padding:0;border:none;border-radius:4px;background:transparent;color:inherit;cursor:pointer;",
    );
    Ok(b)
}

impl Bar {
    /// Builds the bar (hidden until [`Bar::render`]) and wires `on_intent`.
    pub fn new(on_intent: impl Fn(Intent) + Clone + 'static) -> Result<Bar, JsValue> {
        let window = web_sys::window().ok_or("viser4d: no window")?;
        let document = window.document().ok_or("viser4d: no document")?;
        let root: HtmlElement = element(&document, "div")?;
        let style: HtmlElement = element(&document, "style")?;
        style.set_text_content(Some(SLIDER_CSS));
        root.append_child(&style)?;
        root.set_attribute("data-viser4d-playback", "")?;
        root.set_attribute("role", "group")?;
        root.set_attribute("aria-label", "Timeline playback")?;
        root.style().set_css_text(
            "position:fixed;left:50%;bottom:16px;transform:translateX(-50%);z-index:1000;\
             display:none;align-items:center;gap:4px;padding:6px 10px;box-sizing:border-box;\
             width:560px;max-width:calc(100vw - 16px);border-radius:8px;border:1px solid;\
             box-shadow:0 1px 3px rgba(0,0,0,0.05),0 10px 15px -5px rgba(0,0,0,0.1);\
             font-family:inherit;font-size:13px;line-height:1;user-select:none;",
        );
        let play = button(&document, PLAY, "Play", "play")?;
        let prev = button(&document, PREV, "Previous step", "prev")?;
        let next = button(&document, NEXT, "Next step", "next")?;
        let looping = button(&document, LOOP, "Loop", "loop")?;
        let follow = button(&document, LIVE, "Follow the newest step (End)", "live")?;
        follow.style().set_property("width", "auto")?;
        follow.style().set_property("padding", "0 6px")?;
        follow.style().set_property("gap", "4px")?;
        follow.style().set_property("font", "inherit")?;
        follow.style().set_property("font-size", "11px")?;
        follow.style().set_property("font-weight", "600")?;
        follow.style().set_property("letter-spacing", "0.04em")?;
        follow.style().set_property("display", "none")?;
        let audio = button(
            &document,
            "&#128264; Click to enable audio",
            "Enable audio",
            "audio",
        )?;
        audio.style().set_css_text(
            "display:none;flex:none;height:26px;margin-left:4px;padding:0 8px;border:1px solid;\
             border-radius:4px;background:transparent;color:inherit;font:inherit;cursor:pointer;white-space:nowrap;",
        );
        let dropped: HtmlElement = element(&document, "span")?;
        dropped.set_attribute("data-viser4d-role", "dropped")?;
        dropped.set_attribute("role", "status")?;
        dropped.style().set_css_text(
            // Above the bar, not in its row: the slider keeps its width.
            "display:none;position:absolute;left:10px;bottom:100%;margin-bottom:6px;padding:3px 8px;\
             border-radius:4px;border:1px solid;font-size:11px;white-space:nowrap;",
        );
        let slider: HtmlInputElement = element(&document, "input")?;
        slider.set_type("range");
        slider.set_min("0");
        slider.set_max("0");
        slider.set_step("1");
        slider.set_value("0");
        slider.set_attribute("aria-label", "Timestep")?;
        slider.set_attribute("data-viser4d-role", "slider")?;
        slider
            .style()
            .set_css_text("flex:1 1 auto;min-width:40px;margin:0 6px;cursor:pointer;");
        let label: HtmlElement = element(&document, "span")?;
        label.set_attribute("data-viser4d-role", "step")?;
        label.style().set_css_text(
            "flex:none;min-width:64px;text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap;",
        );
        let speed: HtmlSelectElement = element(&document, "select")?;
        speed.set_attribute("aria-label", "Playback speed")?;
        speed.set_attribute("data-viser4d-role", "speed")?;
        speed.style().set_css_text(
            "flex:none;height:26px;margin-left:4px;padding:0 4px;border:1px solid;border-radius:4px;\
             background:transparent;color:inherit;font:inherit;cursor:pointer;",
        );
        for s in SPEEDS {
            let option: web_sys::HtmlOptionElement = element(&document, "option")?;
            option.set_value(&s.to_string());
            option.set_text(&format!("{s}x"));
            speed.append_child(&option)?;
        }
        speed.set_value("1");
        for child in [&play, &prev, &next] {
            root.append_child(child)?;
        }
        root.append_child(&slider)?;
        root.append_child(&label)?;
        root.append_child(&speed)?;
        root.append_child(&looping)?;
        root.append_child(&follow)?;
        root.append_child(&dropped)?;
        root.append_child(&audio)?;
        document
            .body()
            .ok_or("viser4d: no body")?
            .append_child(&root)?;

        let mut handlers: Vec<Closure<dyn FnMut(web_sys::Event)>> = Vec::new();
        let mut on = |target: &Element,
                      event: &str,
                      f: Box<dyn FnMut(web_sys::Event)>|
         -> Result<(), JsValue> {
            let closure = Closure::wrap(f);
            target.add_event_listener_with_callback(event, closure.as_ref().unchecked_ref())?;
            handlers.push(closure);
            Ok(())
        };
        for (el, intent) in [
            (&play, Intent::Toggle),
            (&prev, Intent::Prev),
            (&next, Intent::Next),
            (&follow, Intent::ToggleFollow),
            (&audio, Intent::EnableAudio),
        ] {
            let f = on_intent.clone();
            on(el, "click", Box::new(move |_| f(intent)))?;
        }
        {
            let f = on_intent.clone();
            let l = looping.clone();
            on(
                &looping,
                "click",
                Box::new(move |_| {
                    let on = l.get_attribute("aria-pressed").as_deref() == Some("true");
                    f(Intent::Loop(!on));
                }),
            )?;
        }
        {
            let f = on_intent.clone();
            let s = slider.clone();
            on(
                &slider,
                "input",
                Box::new(move |_| {
                    if let Ok(step) = s.value().parse::<u32>() {
                        f(Intent::Seek(step));
                    }
                }),
            )?;
        }
        {
            let f = on_intent.clone();
            let s = speed.clone();
            on(
                &speed,
                "change",
                Box::new(move |_| {
                    if let Ok(v) = s.value().parse::<f64>() {
                        f(Intent::Speed(v));
                    }
                }),
            )?;
        }
        {
            // Keyboard: anywhere on the page except while typing in a field.
            let f = on_intent.clone();
            let closure = Closure::wrap(Box::new(move |event: web_sys::Event| {
                let Some(key) = event.dyn_ref::<web_sys::KeyboardEvent>() else {
                    return;
                };
                if key.ctrl_key() || key.meta_key() || key.alt_key() || typing_in(&event) {
                    return;
                }
                let intent = match key.key().as_str() {
                    " " => Intent::Toggle,
                    "ArrowLeft" => Intent::Prev,
                    "ArrowRight" => Intent::Next,
                    "End" => Intent::Follow,
                    _ => return,
                };
                event.prevent_default();
                event.stop_propagation();
                f(intent);
            }) as Box<dyn FnMut(web_sys::Event)>);
            let options = web_sys::AddEventListenerOptions::new();
            options.set_capture(true);
            window.add_event_listener_with_callback_and_add_event_listener_options(
                "keydown",
                closure.as_ref().unchecked_ref(),
                &options,
            )?;
            handlers.push(closure);
        }
        Ok(Bar {
            played: String::new(),
            buffered: String::new(),
            root,
            play,
            prev,
            next,
            slider,
            label,
            speed,
            looping,
            follow,
            dropped,
            audio,
            shown: None,
            _handlers: handlers,
        })
    }

    /// Shows `view`, touching the DOM only where it changed; `buffered`
    /// gives the step ranges held, asked for only when they are drawn.
    pub fn render(&mut self, view: View, buffered: impl FnOnce() -> Vec<Range<u32>>) {
        if self.shown == Some(view) {
            return;
        }
        let old = self.shown;
        self.shown = Some(view);
        let p = if view.dark { &DARK } else { &LIGHT };
        if old.map(|o| o.dark) != Some(view.dark) {
            let style = self.root.style();
            let _ = style.set_property("display", "flex");
            let _ = style.set_property("background", p.background);
            let _ = style.set_property("border-color", p.border);
            let _ = style.set_property("color", p.text);
            let _ = self
                .slider
                .style()
                .set_property("--viser4d-accent", p.accent);
            let _ = self.label.style().set_property("color", p.dim);
            let _ = self.speed.style().set_property("border-color", p.border);
            let _ = self.speed.style().set_property("color", p.text);
            let _ = self.speed.style().set_property("background", p.background);
            for b in [
                &self.play,
                &self.prev,
                &self.next,
                &self.looping,
                &self.follow,
            ] {
                let _ = b.style().set_property("--viser4d-hover", p.hover);
            }
        }
        let moving = view.playing || view.following;
        if old.map(|o| o.playing || o.following) != Some(moving) {
            self.play.set_inner_html(if moving { PAUSE } else { PLAY });
            let label = if moving { "Pause" } else { "Play" };
            let _ = self.play.set_attribute("aria-label", label);
            let _ = self.play.set_attribute("title", label);
        }
        let last = view.num_steps.saturating_sub(1);
        if old.map(|o| (o.first, o.num_steps)) != Some((view.first, view.num_steps)) {
            self.slider.set_min(&view.first.to_string());
            self.slider.set_max(&last.to_string());
        }
        if old.map(|o| (o.step, o.first, o.num_steps, o.dark))
            != Some((view.step, view.first, view.num_steps, view.dark))
        {
            let at = track_percent(view, view.step);
            self.played = format!(
                "linear-gradient(to right, {a} 0%, {a} {at:.3}%, transparent {at:.3}%)",
                a = p.accent
            );
            self.draw_track(p);
        }
        if old.map(|o| (o.step, o.num_steps)) != Some((view.step, view.num_steps)) {
            self.slider.set_value(&view.step.to_string());
            self.label
                .set_text_content(Some(&format!("{} / {}", view.step, last)));
        }
        if old.map(|o| (o.audio_prompt, o.dark)) != Some((view.audio_prompt, view.dark)) {
            let style = self.audio.style();
            let _ = style.set_property("display", if view.audio_prompt { "flex" } else { "none" });
            let _ = style.set_property("border-color", p.accent);
            let _ = style.set_property("color", p.accent);
        }
        if old.map(|o| (o.held, o.first, o.num_steps, o.dark))
            != Some((view.held, view.first, view.num_steps, view.dark))
        {
            self.draw_buffered(&buffered(), view, p);
        }
        if old.map(|o| o.speed) != Some(view.speed) {
            self.speed.set_value(&view.speed.to_string());
        }
        if old.map(|o| (o.live, o.following, o.dark))
            != Some((view.live, view.following, view.dark))
        {
            let style = self.follow.style();
            let _ = style.set_property("display", if view.live { "flex" } else { "none" });
            let _ = style.set_property("color", if view.following { p.accent } else { p.dim });
            let _ = self.follow.set_attribute(
                "aria-pressed",
                if view.following { "true" } else { "false" },
            );
        }
        if old.map(|o| (o.dropped_before, o.dark)) != Some((view.dropped_before, view.dark)) {
            let style = self.dropped.style();
            match view.dropped_before {
                Some(first) => {
                    let _ = style.set_property("display", "inline");
                    let _ = style.set_property("color", p.text);
                    let _ = style.set_property("background", p.background);
                    let _ = style.set_property("border-color", p.border);
                    self.dropped
                        .set_text_content(Some(&format!("steps before {first} were dropped")));
                    let _ = self.dropped.set_attribute(
                        "title",
                        "The server keeps only the newest steps of this recording: the tab moved to the oldest one kept.",
                    );
                }
                None => {
                    let _ = style.set_property("display", "none");
                }
            }
        }
        if old.map(|o| (o.looping, o.dark)) != Some((view.looping, view.dark)) {
            let _ = self
                .looping
                .set_attribute("aria-pressed", if view.looping { "true" } else { "false" });
            let _ = self
                .looping
                .style()
                .set_property("color", if view.looping { p.accent } else { p.dim });
        }
    }
}

impl Bar {
    /// Draws the held step ranges in the slider's track, as video
    /// players show what is buffered, and names them in
    /// `data-viser4d-buffered` (`a..b` half-open ranges).
    fn draw_buffered(&mut self, ranges: &[Range<u32>], view: View, p: &Palette) {
        let mut stops = vec!["transparent 0%".to_owned()];
        let mut names = Vec::new();
        for r in ranges {
            let (a, b) = (r.start.max(view.first), r.end.min(view.num_steps));
            if a >= b {
                continue;
            }
            names.push(format!("{a}..{b}"));
            let (a, b) = (track_percent(view, a), track_percent(view, b));
            stops.push(format!("transparent {a:.3}%"));
            stops.push(format!("{} {a:.3}%", p.buffered));
            stops.push(format!("{} {b:.3}%", p.buffered));
            stops.push(format!("transparent {b:.3}%"));
        }
        stops.push("transparent 100%".to_owned());
        self.buffered = format!("linear-gradient(to right, {})", stops.join(", "));
        self.draw_track(p);
        let _ = self
            .slider
            .set_attribute("data-viser4d-buffered", &names.join(","));
    }

    fn draw_track(&self, p: &Palette) {
        let layers = [self.played.as_str(), self.buffered.as_str(), p.border]
            .into_iter()
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join(", ");
        let _ = self.slider.style().set_property("--viser4d-track", &layers);
    }
}

/// Where `step` sits along the track, in percent (the thumb's centre
/// travels the whole width, first step to last).
fn track_percent(view: View, step: u32) -> f64 {
    let span = f64::from(view.num_steps.saturating_sub(view.first + 1).max(1));
    f64::from(step.saturating_sub(view.first)) / span * 100.0
}

/// Whether the key went to a text field (where space and arrows edit).
fn typing_in(event: &web_sys::Event) -> bool {
    let Some(target) = event.target().and_then(|t| t.dyn_into::<Element>().ok()) else {
        return false;
    };
    if target.get_attribute("data-viser4d-role").is_some() {
        return false;
    }
    let tag = target.tag_name().to_ascii_lowercase();
    let editable = target
        .dyn_ref::<HtmlElement>()
        .is_some_and(|h| h.is_content_editable());
    editable || matches!(tag.as_str(), "input" | "textarea" | "select")
}

/// Shows `text` in a red banner at the bottom of the page (once; later calls
/// replace the text), for what stops the timeline from playing at all: the
/// user must see it, not find it in the console.
pub fn show_notice(text: &str) -> Result<(), JsValue> {
    notice("data-viser4d-notice", "bottom:12px", text)
}

/// A problem that does not stop playback (an archive's block that cannot
/// be read), shown at the top so the bar stays usable.
pub fn show_alert(text: &str) -> Result<(), JsValue> {
    notice("data-viser4d-alert", "top:12px", text)
}

fn notice(attribute: &str, position: &str, text: &str) -> Result<(), JsValue> {
    let window = web_sys::window().ok_or("viser4d: no window")?;
    let document = window.document().ok_or("viser4d: no document")?;
    let notice: HtmlElement = match document.query_selector(&format!("[{attribute}]"))? {
        Some(existing) => existing.dyn_into()?,
        None => {
            let notice: HtmlElement = element(&document, "div")?;
            notice.set_attribute(attribute, "")?;
            notice.set_attribute("role", "alert")?;
            notice.style().set_css_text(&format!(
                "position:fixed;left:12px;right:12px;{position};z-index:1000;\
                 padding:10px 14px;border-radius:8px;background:#c92a2a;color:#fff;\
                 font:14px/1.4 system-ui,sans-serif;box-shadow:0 2px 8px rgba(0,0,0,.3)"
            ));
            document
                .body()
                .ok_or("viser4d: no body")?
                .append_child(&notice)?;
            notice
        }
    };
    notice.set_text_content(Some(text));
    Ok(())
}
