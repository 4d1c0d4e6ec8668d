//! Plots in the GUI panel: uPlot charts with typed series (viser's
//! `add_uplot`) and Plotly figures given as JSON (viser's `add_plotly`,
//! with the `plotly` feature). Either can follow the timeline: each tab
//! then draws a cursor at its own step, moved by its runtime with no round
//! trip (see [`PlotTimeAxis`]), and samples pushed inside `at(t)` extend
//! the plot at that step.

use serde_json::Value as Json;
use viser4d_proto::messages::{GuiUplotMessage, GuiUplotProps};
use viser4d_proto::{Message, TypedArray, Value};

use crate::error::{Result, ServerError};
use crate::gui::registry::{EntryKind, PlotSlot};
use crate::gui::{GuiApi, GuiElementHandle, NewEntry};

/// How a plot bound to the timeline maps a step to its x axis.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PlotTimeAxis {
    /// x is the step number.
    Step,
    /// x is the step's time in seconds (`step / fps`).
    Seconds,
}

/// One uPlot series: the common settings typed, any other uPlot series
/// option in `extra` (passed through as JSON).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct UplotSeries {
    /// Legend label.
    pub label: Option<String>,
    /// Line (and legend) color, any CSS color.
    pub stroke: Option<String>,
    /// Area fill color, any CSS color.
    pub fill: Option<String>,
    /// Line width in CSS pixels.
    pub width: Option<f64>,
    /// Dash pattern (segment lengths in CSS pixels).
    pub dash: Option<Vec<f64>>,
    /// Scale key (for several y axes).
    pub scale: Option<String>,
    /// Hidden at first when `Some(false)`.
    pub show: Option<bool>,
    /// Further uPlot options (`spanGaps`, `points`, ...).
    pub extra: serde_json::Map<String, Json>,
}

impl UplotSeries {
    /// A series with a legend label and a line color.
    pub fn new(label: &str, stroke: &str) -> UplotSeries {
        UplotSeries {
            label: Some(label.to_owned()),
            stroke: Some(stroke.to_owned()),
            ..UplotSeries::default()
        }
    }

    fn to_value(&self) -> Value {
        let mut map = self.extra.clone();
        let mut put = |key: &str, value: Option<Json>| {
            if let Some(v) = value {
                map.insert(key.to_owned(), v);
            }
        };
        put("label", self.label.clone().map(Json::from));
        put("stroke", self.stroke.clone().map(Json::from));
        put("fill", self.fill.clone().map(Json::from));
        put("width", self.width.map(Json::from));
        put("dash", self.dash.clone().map(Json::from));
        put("scale", self.scale.clone().map(Json::from));
        put("show", self.show.map(Json::from));
        json_value(&Json::Object(map))
    }
}

/// uPlot's layout modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UplotMode {
    /// Every series on shared axes (uPlot's default).
    Aligned,
    /// A panel per series.
    Faceted,
}

/// Options of [`GuiApi::add_uplot`], with viser's defaults. The open-ended
/// uPlot settings (scales, axes, legend, cursor, focus, bands) are JSON as
/// uPlot documents them.
#[derive(Debug, Clone, PartialEq)]
pub struct UplotOptions {
    /// Layout mode (default aligned).
    pub mode: Option<UplotMode>,
    /// Title above the chart.
    pub title: Option<String>,
    /// Bands between series.
    pub bands: Option<Vec<Json>>,
    /// Scales by key. uPlot reads x as a Unix time unless told otherwise:
    /// `{"x": {"time": false}}` for plain numbers (steps, seconds).
    pub scales: Option<Json>,
    /// Axes.
    pub axes: Option<Vec<Json>>,
    /// Legend settings.
    pub legend: Option<Json>,
    /// Cursor settings.
    pub cursor: Option<Json>,
    /// Focus settings.
    pub focus: Option<Json>,
    /// Width over height (default 1), when `height` is not given.
    pub aspect: f64,
    /// Height in pixels.
    pub height: Option<u32>,
    /// Padding (top, right, bottom, left) in pixels.
    pub padding: Option<[u8; 4]>,
    /// Shown (default true).
    pub visible: bool,
    /// Place among its siblings (smallest first); default: after them.
    pub order: Option<f64>,
}

impl Default for UplotOptions {
    fn default() -> UplotOptions {
        UplotOptions {
            mode: None,
            title: None,
            bands: None,
            scales: None,
            axes: None,
            legend: None,
            cursor: None,
            focus: None,
            aspect: 1.0,
            height: None,
            padding: None,
            visible: true,
            order: None,
        }
    }
}

/// A uPlot chart.
#[derive(Debug, Clone)]
pub struct UplotHandle(GuiElementHandle);

impl std::ops::Deref for UplotHandle {
    type Target = GuiElementHandle;
    fn deref(&self) -> &GuiElementHandle {
        &self.0
    }
}

/// Checks chart data: x then at least one y column, equal lengths, x
/// finite (y may hold NaN for gaps).
fn check_columns(columns: &[&[f64]]) -> Result<()> {
    if columns.len() < 2 {
        return Err(ServerError::invalid(
            "data",
            format!(
                "{} columns; a chart needs x and at least one y",
                columns.len()
            ),
        ));
    }
    let len = columns[0].len();
    if let Some((i, c)) = columns.iter().enumerate().find(|(_, c)| c.len() != len) {
        return Err(ServerError::invalid(
            "data",
            format!("column {i} has {} values, x has {len}", c.len()),
        ));
    }
    if let Some(i) = columns[0].iter().position(|x| !x.is_finite()) {
        return Err(ServerError::invalid(
            "data",
            format!("x value {i} is {}, not finite", columns[0][i]),
        ));
    }
    Ok(())
}

fn data_value(columns: &[Vec<f64>]) -> Value {
    Value::Array(
        columns
            .iter()
            .map(|c| Value::Typed(TypedArray::from_f64(c)))
            .collect(),
    )
}

impl GuiApi {
    /// Adds a uPlot chart of `data` (x values, then one column per y
    /// series, all the same length) drawn with `series` (one per column,
    /// the first for x, as uPlot wants).
    pub fn add_uplot(
        &self,
        data: &[&[f64]],
        series: &[UplotSeries],
        options: UplotOptions,
    ) -> Result<UplotHandle> {
        check_columns(data)?;
        if series.len() != data.len() {
            return Err(ServerError::invalid(
                "series",
                format!("{} series for {} data columns", series.len(), data.len()),
            ));
        }
        if !(options.aspect.is_finite() && options.aspect > 0.0) {
            return Err(ServerError::invalid(
                "aspect",
                format!("{} is not a finite ratio > 0", options.aspect),
            ));
        }
        let columns: Vec<Vec<f64>> = data.iter().map(|c| c.to_vec()).collect();
        let entry = NewEntry {
            kind: EntryKind::Plot(PlotSlot {
                columns: columns.clone(),
                figure: None,
                axis: None,
            }),
            ..NewEntry::display()
        };
        let series: Vec<Value> = series.iter().map(UplotSeries::to_value).collect();
        let json_list = |v: Option<Vec<Json>>| v.map(|l| l.iter().map(json_value).collect());
        self.add_entry(entry, options.order, |uuid, container_uuid, order| {
            Message::from(GuiUplotMessage {
                uuid,
                container_uuid,
                props: GuiUplotProps {
                    order,
                    data: columns.iter().map(|c| TypedArray::from_f64(c)).collect(),
                    mode: options.mode.map(|m| match m {
                        UplotMode::Aligned => 1,
                        UplotMode::Faceted => 2,
                    }),
                    title: options.title,
                    series,
                    bands: json_list(options.bands),
                    scales: Some(json_value(&x_follows_data(options.scales))),
                    axes: json_list(options.axes),
                    legend: options.legend.as_ref().map(json_value),
                    cursor: options.cursor.as_ref().map(json_value),
                    focus: options.focus.as_ref().map(json_value),
                    aspect: options.aspect,
                    height: options.height.map(i64::from),
                    padding: options.padding,
                    visible: options.visible,
                },
            })
        })
        .map(UplotHandle)
    }
}

impl UplotHandle {
    /// Replaces the data (same rules as `add_uplot`; the series count
    /// stays).
    pub fn set_data(&self, data: &[&[f64]]) -> Result<()> {
        check_columns(data)?;
        self.0.update(|entry| {
            let EntryKind::Plot(slot) = &mut entry.kind else {
                return Ok(Vec::new());
            };
            if data.len() != slot.columns.len() {
                return Err(ServerError::invalid(
                    "data",
                    format!(
                        "{} columns for a chart of {}",
                        data.len(),
                        slot.columns.len()
                    ),
                ));
            }
            slot.columns = data.iter().map(|c| c.to_vec()).collect();
            Ok(vec![("data".to_owned(), data_value(&slot.columns))])
        })
    }

    /// Appends one sample: `x` (not below the last) and a value per y
    /// series.
    pub fn push(&self, x: f64, ys: &[f64]) -> Result<()> {
        if !x.is_finite() {
            return Err(ServerError::invalid("x", format!("{x} is not finite")));
        }
        self.0.update(|entry| {
            let EntryKind::Plot(slot) = &mut entry.kind else {
                return Ok(Vec::new());
            };
            slot.push(x, ys)?;
            Ok(vec![("data".to_owned(), data_value(&slot.columns))])
        })
    }

    /// Appends one sample at the step being recorded, its x given by the
    /// plot's time axis (see [`Self::bind_to_timeline`]): a sample pushed
    /// in each `at(t)` extends the plot step by step. A step recorded again
    /// replaces its sample. Errors outside `at(t)` and for a plot not bound
    /// to the timeline.
    pub fn push_at_step(&self, ys: &[f64]) -> Result<()> {
        let shared = self.0.shared().clone();
        let step = crate::timeline::current_step(shared.id).ok_or_else(|| {
            ServerError::invalid(
                "ys",
                "push_at_step records into a step: call it inside at(t)",
            )
        })?;
        let fps = shared.lock().timeline.as_ref().map_or(1.0, |t| t.fps);
        self.0.update(|entry| {
            let EntryKind::Plot(slot) = &mut entry.kind else {
                return Ok(Vec::new());
            };
            let Some(axis) = slot.axis else {
                return Err(ServerError::invalid(
                    "ys",
                    "the plot is not bound to the timeline (bind_to_timeline)",
                ));
            };
            let x = match axis {
                PlotTimeAxis::Step => f64::from(step),
                PlotTimeAxis::Seconds => f64::from(step) / fps,
            };
            slot.put(x, ys)?;
            Ok(vec![("data".to_owned(), data_value(&slot.columns))])
        })
    }

    /// Makes every tab draw a cursor at the step it shows, on x as `axis`
    /// maps it (the tab's runtime moves it locally as it plays, seeks or
    /// scrubs). Needs a timeline.
    pub fn bind_to_timeline(&self, axis: PlotTimeAxis) -> Result<()> {
        bind(&self.0, "uplot", axis)
    }

    /// Changes the title (`None` removes it).
    pub fn set_title(&self, title: Option<&str>) -> Result<()> {
        let value = title.map_or(Value::Nil, |t| Value::Str(t.to_owned()));
        self.0.set_prop("title", value)
    }
}

/// Binds `element` to the timeline for its library's cursor.
pub(crate) fn bind(
    element: &GuiElementHandle,
    library: &'static str,
    axis: PlotTimeAxis,
) -> Result<()> {
    let shared = element.shared().clone();
    let uuid = element.uuid().to_owned();
    let mut state = shared.lock();
    if state.timeline.is_none() {
        return Err(ServerError::NoTimeline);
    }
    match state.gui.get_mut(&uuid).map(|e| &mut e.kind) {
        Some(EntryKind::Plot(slot)) => slot.axis = Some(axis),
        _ => return Err(element.removed()),
    }
    let scope = element.scope();
    state.with_timeline(|t, out| t.bind_plot(uuid, library, axis, scope, out))
}

/// The scales with x ranged on the data unless the caller set a range:
/// the stock client otherwise keeps a remounted chart's x at [0, 1] (it
/// remounts a chart when the color scheme changes, and restores the old
/// chart's zoom from a scale that was never set), and with a data range it
/// also follows samples pushed later.
fn x_follows_data(scales: Option<Json>) -> Json {
    let mut scales = match scales {
        Some(Json::Object(map)) => map,
        _ => serde_json::Map::new(),
    };
    let x = scales
        .entry("x")
        .or_insert_with(|| Json::Object(serde_json::Map::new()));
    if let Json::Object(x) = x {
        x.entry("range")
            .or_insert_with(|| serde_json::json!([null, null]));
    }
    Json::Object(scales)
}

/// Converts JSON to the wire's value model (integers stay integers).
pub(crate) fn json_value(json: &Json) -> Value {
    match json {
        Json::Null => Value::Nil,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Json::String(s) => Value::Str(s.clone()),
        Json::Array(items) => Value::Array(items.iter().map(json_value).collect()),
        Json::Object(map) => Value::Map(
            map.iter()
                .map(|(k, v)| (k.clone(), json_value(v)))
                .collect(),
        ),
    }
}

impl PlotSlot {
    /// Appends a sample after the last one.
    fn push(&mut self, x: f64, ys: &[f64]) -> Result<()> {
        self.check_ys(ys)?;
        if let Some(&last) = self.columns[0].last()
            && x < last
        {
            return Err(ServerError::invalid(
                "x",
                format!("{x} is before the last sample's x {last}"),
            ));
        }
        self.columns[0].push(x);
        for (column, y) in self.columns[1..].iter_mut().zip(ys) {
            column.push(*y);
        }
        Ok(())
    }

    /// Puts a sample at `x`: replaces one already there, else inserts it in
    /// order (steps may be recorded in any order).
    fn put(&mut self, x: f64, ys: &[f64]) -> Result<()> {
        self.check_ys(ys)?;
        let xs = &self.columns[0];
        let at = xs.partition_point(|&v| v < x);
        if xs.get(at) == Some(&x) {
            for (column, y) in self.columns[1..].iter_mut().zip(ys) {
                column[at] = *y;
            }
        } else {
            self.columns[0].insert(at, x);
            for (column, y) in self.columns[1..].iter_mut().zip(ys) {
                column.insert(at, *y);
            }
        }
        Ok(())
    }

    fn check_ys(&self, ys: &[f64]) -> Result<()> {
        let want = self.columns.len() - 1;
        if ys.len() != want {
            return Err(ServerError::invalid(
                "ys",
                format!("{} values for {want} series", ys.len()),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gui::testing::harness;

    #[test]
    fn data_is_checked_and_samples_extend_it() -> Result<()> {
        let h = harness();
        let tab = h.connect();
        let gui = h.gui();
        let series = [UplotSeries::default(), UplotSeries::new("y", "red")];
        assert!(
            gui.add_uplot(&[&[0.0, 1.0]], &series[..1], UplotOptions::default())
                .is_err()
        );
        assert!(
            gui.add_uplot(&[&[0.0, 1.0], &[1.0]], &series, UplotOptions::default())
                .is_err()
        );
        assert!(
            gui.add_uplot(&[&[f64::NAN], &[1.0]], &series, UplotOptions::default())
                .is_err()
        );
        assert!(h.take(&tab).is_empty(), "refused charts send nothing");
        let plot = gui.add_uplot(
            &[&[0.0, 1.0], &[5.0, 6.0]],
            &series,
            UplotOptions::default(),
        )?;
        plot.push(2.0, &[7.0])?;
        assert!(plot.push(1.5, &[0.0]).is_err(), "x goes forward");
        assert!(plot.push(3.0, &[0.0, 1.0]).is_err(), "one value per series");
        let sent = h.take(&tab);
        let last = sent.iter().rev().find_map(|m| match m {
            Message::GuiUpdateMessage(u) => u.updates.get("data").cloned(),
            _ => None,
        });
        let Some(Value::Array(columns)) = last else {
            panic!("no data update in {sent:?}");
        };
        assert!(
            matches!(&columns[0], Value::Typed(t) if t.to_f64_vec() == Some(vec![0.0, 1.0, 2.0]))
        );
        assert!(plot.push_at_step(&[1.0]).is_err(), "outside a step");
        Ok(())
    }

    #[test]
    fn samples_put_at_steps_keep_x_in_order() -> Result<()> {
        let mut slot = PlotSlot {
            columns: vec![Vec::new(), Vec::new()],
            figure: None,
            axis: Some(PlotTimeAxis::Step),
        };
        for (x, y) in [(2.0, 20.0), (0.0, 0.0), (1.0, 10.0), (2.0, 21.0)] {
            slot.put(x, &[y])?;
        }
        assert_eq!(slot.columns, [vec![0.0, 1.0, 2.0], vec![0.0, 10.0, 21.0]]);
        Ok(())
    }

    #[test]
    fn x_ranges_on_the_data_unless_set() {
        let default = x_follows_data(None);
        assert_eq!(default, serde_json::json!({"x": {"range": [null, null]}}));
        let mine = x_follows_data(Some(
            serde_json::json!({"x": {"range": [0, 5], "time": false}}),
        ));
        assert_eq!(mine["x"]["range"], serde_json::json!([0, 5]));
        assert_eq!(mine["x"]["time"], serde_json::json!(false));
    }

    #[test]
    fn json_keeps_integers() {
        let v = json_value(&serde_json::json!({"a": [1, 2.5, null, "s", true]}));
        assert_eq!(
            v,
            Value::Map(vec![(
                "a".into(),
                Value::Array(vec![
                    Value::Int(1),
                    Value::Float(2.5),
                    Value::Nil,
                    Value::Str("s".into()),
                    Value::Bool(true)
                ])
            )])
        );
    }
}

#[cfg(test)]
mod export_tests {
    use super::*;
    use crate::Server;
    use crate::gui::FolderOptions;

    /// A bound plot goes into an export with the folder that holds it, and
    /// the cursor binding with the configure; unbound GUI stays out.
    #[test]
    fn a_bound_plot_is_exported_with_its_folder() -> Result<()> {
        let server = Server::builder().port(0).num_steps(4).fps(2.0).start()?;
        let folder = server.gui().add_folder("Plots", FolderOptions::default())?;
        let plot = folder.gui().add_uplot(
            &[&[], &[]],
            &[UplotSeries::default(), UplotSeries::new("y", "red")],
            UplotOptions::default(),
        )?;
        plot.bind_to_timeline(PlotTimeAxis::Seconds)?;
        server
            .gui()
            .add_markdown("not exported", Default::default())?;
        for t in 0..4 {
            let _step = server.at(t)?;
            server.scene().add_frame("/f", Default::default())?;
            plot.push_at_step(&[f64::from(t)])?;
        }
        let file = server.serialize(0, None)?;
        let recording = viser4d_proto::decode_recording(&file)
            .map_err(|e| ServerError::invalid("file", e.to_string()))?;
        let types: Vec<&str> = recording
            .messages
            .iter()
            .map(|(_, m)| m.type_name())
            .collect();
        assert!(types.contains(&"GuiUplotMessage"), "{types:?}");
        assert!(types.contains(&"GuiFolderMessage"), "{types:?}");
        assert!(!types.contains(&"GuiMarkdownMessage"), "{types:?}");
        let configure = recording.messages.iter().find_map(|(_, m)| {
            let viser4d_proto::AnyMessage::Custom(v) = m else {
                return None;
            };
            match viser4d_proto::timeline::ServerMessage::from_value(v.clone()).ok()?? {
                viser4d_proto::timeline::ServerMessage::TimelineConfigure(c) => Some(c),
                _ => None,
            }
        });
        let plots = configure.map(|c| c.plots).unwrap_or_default();
        assert_eq!(plots.len(), 1);
        assert_eq!(plots[0].uuid, plot.uuid());
        assert_eq!(plots[0].x_per_step, 0.5);
        Ok(())
    }
}
