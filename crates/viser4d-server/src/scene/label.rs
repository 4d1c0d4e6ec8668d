//! Labels: text anchored at a point of the scene.

use viser4d_proto::messages::{LabelAnchor, LabelMessage, LabelProps, LabelPropsFontSizeMode};
use viser4d_proto::{Message, Value};

use crate::error::Result;
use crate::scene::setters::{bool_setter, float_setter, literal_setter, node_handle};
use crate::scene::{Pose, SceneApi};
use crate::validate;

/// Options of [`SceneApi::add_label`], with viser's defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelOptions {
    /// Size the text in screen pixels or in scene units.
    pub font_size_mode: LabelPropsFontSizeMode,
    /// Scale of the screen-space font size (screen mode only).
    pub font_screen_scale: f64,
    /// Height of the text in scene units (scene mode only).
    pub font_scene_height: f64,
    /// Hide the label behind nearer geometry.
    pub depth_test: bool,
    /// Which point of the label sits at its position.
    pub anchor: LabelAnchor,
    /// Initial pose and visibility.
    pub pose: Pose,
}

impl Default for LabelOptions {
    fn default() -> LabelOptions {
        LabelOptions {
            font_size_mode: LabelPropsFontSizeMode::Screen,
            font_screen_scale: 1.0,
            font_scene_height: 0.075,
            depth_test: false,
            anchor: LabelAnchor::TopLeft,
            pose: Pose::default(),
        }
    }
}

node_handle!(
    /// A text label.
    LabelHandle
);

impl SceneApi {
    /// Adds a text label.
    pub fn add_label(&self, name: &str, text: &str, options: LabelOptions) -> Result<LabelHandle> {
        validate::non_negative("font_screen_scale", options.font_screen_scale)?;
        validate::non_negative("font_scene_height", options.font_scene_height)?;
        self.add_node(name, &options.pose, |name, owner| {
            Message::from(LabelMessage {
                name,
                owner,
                r#virtual: false,
                props: LabelProps {
                    text: text.to_owned(),
                    font_size_mode: options.font_size_mode,
                    font_screen_scale: options.font_screen_scale,
                    font_scene_height: options.font_scene_height,
                    depth_test: options.depth_test,
                    anchor: options.anchor,
                },
            })
        })
        .map(LabelHandle)
    }
}

impl LabelHandle {
    /// Replaces the text.
    pub fn set_text(&self, text: &str) -> Result<()> {
        self.set_prop("text", Value::Str(text.to_owned()))
    }
}

literal_setter!(LabelHandle, /// Sizes the text in screen pixels or in scene units.
    set_font_size_mode, "font_size_mode", LabelPropsFontSizeMode);
float_setter!(LabelHandle, /// Sets the scale of the screen-space font size.
    set_font_screen_scale, "font_screen_scale", validate::non_negative);
float_setter!(LabelHandle, /// Sets the height of the text in scene units.
    set_font_scene_height, "font_scene_height", validate::non_negative);
bool_setter!(LabelHandle, /// Hides the label behind nearer geometry (or not).
    set_depth_test, "depth_test");
literal_setter!(LabelHandle, /// Sets which point of the label sits at its position.
    set_anchor, "anchor", LabelAnchor);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scene::testing::Harness;

    #[test]
    fn label_text_and_anchor() -> Result<()> {
        let h = Harness::new()?;
        let label = h
            .scene
            .add_label("/a/label", "hello", LabelOptions::default())?;
        assert_eq!(h.scene.node_names(), ["/WorldAxes", "/a", "/a/label"]);
        label.set_text("bye")?;
        label.set_anchor(LabelAnchor::BottomRight)?;
        let updates = h.updates();
        assert!(updates.contains(&(
            "/a/label".to_owned(),
            "anchor".to_owned(),
            Value::Str("bottom-right".into())
        )));
        Ok(())
    }
}
