//! Cursors on the GUI plots bound to the timeline: on every frame, each
//! bound plot gets a vertical line at the step this tab shows, drawn by
//! this tab alone (no message to the server).
//!
//! uPlot charts are found through the stock client's registry of charts
//! by uuid (`window.__viserTestpoints.uplots`), and the line is a child of
//! the chart's plotting area placed with the chart's own `valToPos`.
//! Plotly plots are found by the uuid the server writes into
//! `layout.meta.viser4d_uuid`, and the line is a layout shape. Both are
//! redrawn when missing (the client re-creates plots as they resize), and
//! otherwise touched only when the step changes. `window.__viser4dPlotCursors`
//! holds the step each cursor shows, by uuid, for tests.

use js_sys::{Array, Function, Object, Reflect};
use viser4d_proto::timeline::PlotCursor;
use wasm_bindgen::JsValue;

/// `(plots, step)`: plots is `[{uuid, library, x}]`; step `-1` hides.
const DRAW: &str = r#"
const shown = (window.__viser4dPlotCursors ??= {});
const wanted = new Set(plots.map((p) => p.uuid));
for (const uuid of Object.keys(shown)) if (!wanted.has(uuid)) delete shown[uuid];
for (const p of plots) {
  if (p.library === "uplot") {
    const chart = window.__viserTestpoints?.uplots?.[p.uuid]?.chart;
    const over = chart?.over;
    if (!over) { delete shown[p.uuid]; continue; }
    let line = over.querySelector(":scope > [data-viser4d-cursor]");
    if (!line) {
      line = document.createElement("div");
      line.setAttribute("data-viser4d-cursor", p.uuid);
      line.style.cssText = "position:absolute;top:0;bottom:0;width:0;" +
        "border-left:2px solid rgba(255,72,72,0.9);pointer-events:none;z-index:5";
      over.appendChild(line);
      line.dataset.step = "";
    }
    const key = String(step);
    if (line.dataset.step === key && line.dataset.width === String(over.clientWidth)) {
      shown[p.uuid] = step;
      continue;
    }
    const left = step < 0 ? NaN : chart.valToPos(p.x, "x");
    const visible = Number.isFinite(left) && left >= 0 && left <= over.clientWidth;
    line.style.display = visible ? "block" : "none";
    if (visible) line.style.left = left + "px";
    line.dataset.step = key;
    line.dataset.width = String(over.clientWidth);
    shown[p.uuid] = visible ? step : null;
  } else if (p.library === "plotly") {
    const Plotly = window.Plotly;
    if (!Plotly) continue;
    let gd = null;
    for (const el of document.querySelectorAll(".js-plotly-plot")) {
      if (el.layout?.meta?.viser4d_uuid === p.uuid) { gd = el; break; }
    }
    if (!gd) { delete shown[p.uuid]; continue; }
    const shapes = (gd.layout.shapes ?? []);
    const ours = shapes.find((s) => s.name === "viser4d-cursor");
    if (ours && gd.dataset.viser4dStep === String(step)) continue;
    const others = shapes.filter((s) => s.name !== "viser4d-cursor");
    if (step >= 0) others.push({
      type: "line", name: "viser4d-cursor", xref: "x", yref: "paper",
      x0: p.x, x1: p.x, y0: 0, y1: 1,
      line: { color: "rgba(255,72,72,0.9)", width: 2 },
    });
    gd.dataset.viser4dStep = String(step);
    Plotly.relayout(gd, { shapes: others });
    shown[p.uuid] = step < 0 ? null : step;
  }
}
"#;

/// Draws the cursors of bound plots.
pub struct PlotCursors {
    draw: Option<Function>,
    failed: bool,
}

impl PlotCursors {
    pub fn new() -> PlotCursors {
        PlotCursors {
            draw: None,
            failed: false,
        }
    }

    /// Whether this is the first failure (each frame would fail alike;
    /// one warning is enough).
    pub fn first_failure(&mut self) -> bool {
        !std::mem::replace(&mut self.failed, true)
    }

    /// Puts every bound plot's cursor at `step` (`None`: no step shown).
    pub fn render(&mut self, plots: &[PlotCursor], step: Option<u32>) -> Result<(), JsValue> {
        if plots.is_empty() && self.draw.is_none() {
            return Ok(());
        }
        let draw = self
            .draw
            .get_or_insert_with(|| Function::new_with_args("plots, step", DRAW));
        let list = Array::new();
        for plot in plots {
            let entry = Object::new();
            Reflect::set(&entry, &"uuid".into(), &plot.uuid.as_str().into())?;
            Reflect::set(&entry, &"library".into(), &plot.library.as_str().into())?;
            let x = step.map_or(f64::NAN, |s| f64::from(s) * plot.x_per_step);
            Reflect::set(&entry, &"x".into(), &x.into())?;
            list.push(&entry);
        }
        let step = step.map_or(-1.0, f64::from);
        draw.call2(&JsValue::NULL, &list, &step.into())?;
        Ok(())
    }
}
