//! Plotly figures in the GUI panel (viser's `add_plotly`), with the
//! `plotly` feature. The stock client draws them with the global `Plotly`
//! that `plotly.min.js` defines, which is ~4.6 MB: it is sent once per
//! scope as a `RunJavascriptMessage` (the shared GUI's copy reaches every
//! tab through the replay state), and only by programs that plot.

use viser4d_proto::Message;

/// Marks the script message that loads Plotly, so exports can leave it
/// out when they hold no Plotly plot.
const LOADER_MARK: &str = "/* viser4d: plotly.min.js */\n";

/// Whether `message` is the script that loads Plotly.
pub(crate) fn is_plotly_loader(message: &Message) -> bool {
    matches!(message, Message::RunJavascriptMessage(m) if m.source.starts_with(LOADER_MARK))
}

#[cfg(feature = "plotly")]
pub use with_plotly::{PlotlyHandle, PlotlyOptions};

#[cfg(feature = "plotly")]
mod with_plotly {
    use super::*;
    use serde_json::Value as Json;
    use viser4d_proto::Value;
    use viser4d_proto::messages::{GuiPlotlyMessage, GuiPlotlyProps, RunJavascriptMessage};

    use crate::error::{Result, ServerError};
    use crate::gui::registry::{EntryKind, PlotSlot};
    use crate::gui::{GuiApi, GuiElementHandle, NewEntry, PlotTimeAxis};
    use crate::shared::{Scope, State};

    /// Options of [`GuiApi::add_plotly`], with viser's defaults.
    #[derive(Debug, Clone, PartialEq)]
    pub struct PlotlyOptions {
        /// Plotly `config` entries merged over the figure's own
        /// (`{"displayModeBar": false}`, ...).
        pub config: Option<serde_json::Map<String, Json>>,
        /// Height over width (default 1).
        pub aspect: f64,
        /// Shown (default true).
        pub visible: bool,
        /// Place among its siblings (smallest first); default: after them.
        pub order: Option<f64>,
    }

    impl Default for PlotlyOptions {
        fn default() -> PlotlyOptions {
            PlotlyOptions {
                config: None,
                aspect: 1.0,
                visible: true,
                order: None,
            }
        }
    }

    /// A Plotly figure.
    #[derive(Debug, Clone)]
    pub struct PlotlyHandle(GuiElementHandle);

    impl std::ops::Deref for PlotlyHandle {
        type Target = GuiElementHandle;
        fn deref(&self) -> &GuiElementHandle {
            &self.0
        }
    }

    /// The JSON the client parses: an object with `data` and `layout` (the
    /// client writes into `layout`), the config merged in, and, for a plot
    /// bound to the timeline, its uuid in `layout.meta` so a tab's runtime
    /// finds its plot.
    fn figure_json(
        figure: &Json,
        config: Option<&serde_json::Map<String, Json>>,
        bound_uuid: Option<&str>,
    ) -> Result<String> {
        let Json::Object(map) = figure else {
            return Err(ServerError::invalid(
                "figure",
                "a Plotly figure is a JSON object ({\"data\": [...], \"layout\": {...}})",
            ));
        };
        let mut map = map.clone();
        match map.get("data") {
            None => {
                map.insert("data".to_owned(), Json::Array(Vec::new()));
            }
            Some(Json::Array(_)) => {}
            Some(_) => {
                return Err(ServerError::invalid(
                    "figure",
                    "`data` must be an array of traces",
                ));
            }
        }
        let layout = map
            .entry("layout")
            .or_insert_with(|| Json::Object(serde_json::Map::new()));
        let Json::Object(layout) = layout else {
            return Err(ServerError::invalid("figure", "`layout` must be an object"));
        };
        if let Some(uuid) = bound_uuid {
            let meta = layout
                .entry("meta")
                .or_insert_with(|| Json::Object(serde_json::Map::new()));
            if let Json::Object(meta) = meta {
                meta.insert("viser4d_uuid".to_owned(), Json::from(uuid));
            }
        }
        if let Some(extra) = config {
            let config = map
                .entry("config")
                .or_insert_with(|| Json::Object(serde_json::Map::new()));
            if let Json::Object(config) = config {
                for (k, v) in extra {
                    config.insert(k.clone(), v.clone());
                }
            }
        }
        serde_json::to_string(&Json::Object(map))
            .map_err(|e| ServerError::invalid("figure", e.to_string()))
    }

    /// Sends Plotly's script to `scope` unless it already has it.
    fn ensure_loaded(state: &mut State, scope: Scope) {
        if state.gui.plotly_sent.contains(&Scope::Broadcast) || !state.gui.plotly_sent.insert(scope)
        {
            return;
        }
        let mut source = String::with_capacity(LOADER_MARK.len() + viser4d_assets::PLOTLY_JS.len());
        source.push_str(LOADER_MARK);
        source.push_str(&String::from_utf8_lossy(viser4d_assets::PLOTLY_JS));
        state.send_live(scope, Message::from(RunJavascriptMessage { source }), None);
    }

    impl GuiApi {
        /// Adds a Plotly figure, given as Plotly's JSON (what
        /// `fig.to_json()` gives in Python, or `{"data": [...], "layout":
        /// {...}}` built with `serde_json::json!`).
        pub fn add_plotly(&self, figure: &Json, options: PlotlyOptions) -> Result<PlotlyHandle> {
            if !(options.aspect.is_finite() && options.aspect > 0.0) {
                return Err(ServerError::invalid(
                    "aspect",
                    format!("{} is not a finite ratio > 0", options.aspect),
                ));
            }
            let json = figure_json(figure, options.config.as_ref(), None)?;
            let mut stored = figure.clone();
            if let (Json::Object(map), Some(config)) = (&mut stored, &options.config) {
                map.insert("config".to_owned(), Json::Object(config.clone()));
            }
            {
                // The script goes before the plot (the client draws with
                // it at once), so the plot's checks go before the script.
                let mut state = self.shared().lock();
                self.check_can_add(&state, options.order)?;
                ensure_loaded(&mut state, self.scope());
            }
            let entry = NewEntry {
                kind: EntryKind::Plot(PlotSlot {
                    columns: Vec::new(),
                    figure: Some(stored),
                    axis: None,
                }),
                ..NewEntry::display()
            };
            self.add_entry(entry, options.order, |uuid, container_uuid, order| {
                Message::from(GuiPlotlyMessage {
                    uuid,
                    container_uuid,
                    props: GuiPlotlyProps {
                        order,
                        plotly_json_str: json,
                        aspect: options.aspect,
                        visible: options.visible,
                    },
                })
            })
            .map(PlotlyHandle)
        }
    }

    impl PlotlyHandle {
        /// Replaces the figure.
        pub fn set_figure(&self, figure: &Json) -> Result<()> {
            let uuid = self.0.uuid().to_owned();
            self.0.update(|entry| {
                let EntryKind::Plot(slot) = &mut entry.kind else {
                    return Ok(Vec::new());
                };
                let config = match slot.figure.as_ref().and_then(|f| f.get("config")) {
                    Some(Json::Object(c)) => Some(c.clone()),
                    _ => None,
                };
                let bound = slot.axis.map(|_| uuid.as_str());
                let json = figure_json(figure, config.as_ref(), bound)?;
                let mut stored = figure.clone();
                if let (Json::Object(map), Some(config)) = (&mut stored, config) {
                    map.insert("config".to_owned(), Json::Object(config));
                }
                slot.figure = Some(stored);
                Ok(vec![("_plotly_json_str".to_owned(), Value::Str(json))])
            })
        }

        /// Changes the height over width.
        pub fn set_aspect(&self, aspect: f64) -> Result<()> {
            if !(aspect.is_finite() && aspect > 0.0) {
                return Err(ServerError::invalid(
                    "aspect",
                    format!("{aspect} is not a finite ratio > 0"),
                ));
            }
            self.0.set_prop("aspect", Value::Float(aspect))
        }

        /// Makes every tab draw a vertical line at the step it shows, on x
        /// as `axis` maps it (see `UplotHandle::bind_to_timeline`).
        pub fn bind_to_timeline(&self, axis: PlotTimeAxis) -> Result<()> {
            crate::gui::plot::bind(&self.0, "plotly", axis)?;
            // The figure carries its uuid from now on, for the runtime.
            let figure = self
                .0
                .read(|entry| match &entry.kind {
                    EntryKind::Plot(slot) => slot.figure.clone(),
                    _ => None,
                })?
                .unwrap_or(Json::Null);
            self.set_figure(&figure)
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use crate::gui::testing::harness;

        #[test]
        fn the_script_goes_once_and_figures_are_checked() -> Result<()> {
            let h = harness();
            let tab = h.connect();
            let gui = h.gui();
            assert!(
                gui.add_plotly(&serde_json::json!([1]), PlotlyOptions::default())
                    .is_err()
            );
            let figure = serde_json::json!({"data": [{"x": [1, 2], "y": [3, 4]}]});
            let plot = gui.add_plotly(&figure, PlotlyOptions::default())?;
            gui.add_plotly(&figure, PlotlyOptions::default())?;
            let sent = h.take(&tab);
            let loaders = sent.iter().filter(|m| is_plotly_loader(m)).count();
            assert_eq!(loaders, 1, "Plotly's script is sent once");
            let json = sent.iter().find_map(|m| match m {
                Message::GuiPlotlyMessage(p) => Some(p.props.plotly_json_str.clone()),
                _ => None,
            });
            let parsed: Json = serde_json::from_str(&json.unwrap_or_default())
                .map_err(|e| ServerError::invalid("json", e.to_string()))?;
            assert!(parsed["layout"].is_object(), "the client needs a layout");
            plot.set_aspect(0.5)?;
            assert!(plot.set_aspect(0.0).is_err());
            Ok(())
        }
    }
}
