//! Arrows: a shaft and a cone from each start point to its end point.

use std::collections::HashMap;

use viser4d_proto::messages::{ArrowMessage, ArrowProps, Scale};
use viser4d_proto::{Message, Value};

use crate::error::Result;
use crate::scene::props::{self, Colors};
use crate::scene::setters::{float_setter, node_handle, scale_setter};
use crate::scene::{Pose, SceneApi};
use crate::validate;

/// Recorded lengths: the arrow count, and the per-arrow color count when
/// the colors are per arrow.
const ARROWS: &str = "arrows";
const COLORS: &str = "colors";

/// Options of [`SceneApi::add_arrows`], with viser's defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct ArrowsOptions {
    /// Radius of each shaft.
    pub shaft_radius: f64,
    /// Radius of each head cone.
    pub head_radius: f64,
    /// Length of each head.
    pub head_length: f64,
    /// Scale of the node.
    pub scale: Scale,
    /// Initial pose and visibility.
    pub pose: Pose,
}

impl Default for ArrowsOptions {
    fn default() -> ArrowsOptions {
        ArrowsOptions {
            shaft_radius: 0.02,
            head_radius: 0.05,
            head_length: 0.1,
            scale: Scale::Uniform(1.0),
            pose: Pose::default(),
        }
    }
}

node_handle!(
    /// Arrows.
    ArrowsHandle
);

fn record_colors(lengths: &mut HashMap<&'static str, usize>, colors: &Colors<'_>) {
    match colors.per_item_len() {
        Some(n) => lengths.insert(COLORS, n),
        None => lengths.remove(COLORS),
    };
}

impl SceneApi {
    /// Adds arrows, one per `[start, end]` pair. `colors` is one color for
    /// all, or one per arrow.
    pub fn add_arrows(
        &self,
        name: &str,
        points: &[[[f32; 3]; 2]],
        colors: Colors<'_>,
        options: ArrowsOptions,
    ) -> Result<ArrowsHandle> {
        validate::non_negative("shaft_radius", options.shaft_radius)?;
        validate::non_negative("head_radius", options.head_radius)?;
        validate::non_negative("head_length", options.head_length)?;
        validate::check_scale(&options.scale)?;
        let encoded_points = props::encode_segments("points", points)?;
        let encoded_colors = colors.encode("colors", points.len())?;
        let mut lengths = vec![(ARROWS, points.len())];
        if let Some(n) = colors.per_item_len() {
            lengths.push((COLORS, n));
        }
        self.add_node_with_lengths(name, &options.pose, &lengths, |name, owner| {
            Message::from(ArrowMessage {
                name,
                owner,
                r#virtual: false,
                props: ArrowProps {
                    points: encoded_points,
                    colors: encoded_colors,
                    shaft_radius: options.shaft_radius,
                    head_radius: options.head_radius,
                    head_length: options.head_length,
                    scale: options.scale,
                },
            })
        })
        .map(ArrowsHandle)
    }
}

impl ArrowsHandle {
    /// Replaces the arrows. With per-arrow colors their number must not
    /// change: use [`Self::set_arrows`] for that.
    pub fn set_points(&self, points: &[[[f32; 3]; 2]]) -> Result<()> {
        let encoded = props::encode_segments("points", points)?;
        self.set_props_checked(|lengths| {
            validate::check_len(lengths, COLORS, "points", points.len())?;
            lengths.insert(ARROWS, points.len());
            Ok(vec![("points", Value::Typed(encoded))])
        })
    }

    /// Replaces the colors: one for all, or one per arrow.
    pub fn set_colors(&self, colors: Colors<'_>) -> Result<()> {
        self.set_props_checked(|lengths| {
            let count = lengths.get(ARROWS).copied().unwrap_or(0);
            let encoded = colors.encode("colors", count)?;
            record_colors(lengths, &colors);
            Ok(vec![("colors", Value::Typed(encoded))])
        })
    }

    /// Replaces arrows and colors together.
    pub fn set_arrows(&self, points: &[[[f32; 3]; 2]], colors: Colors<'_>) -> Result<()> {
        let encoded_points = props::encode_segments("points", points)?;
        let encoded_colors = colors.encode("colors", points.len())?;
        self.set_props_checked(|lengths| {
            lengths.insert(ARROWS, points.len());
            record_colors(lengths, &colors);
            Ok(vec![
                ("points", Value::Typed(encoded_points)),
                ("colors", Value::Typed(encoded_colors)),
            ])
        })
    }
}

float_setter!(ArrowsHandle, /// Sets the shaft radius.
    set_shaft_radius, "shaft_radius", validate::non_negative);
float_setter!(ArrowsHandle, /// Sets the head radius.
    set_head_radius, "head_radius", validate::non_negative);
float_setter!(ArrowsHandle, /// Sets the head length.
    set_head_length, "head_length", validate::non_negative);
scale_setter!(ArrowsHandle);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scene::testing::Harness;

    #[test]
    fn arrow_colors_follow_the_arrows() -> Result<()> {
        let h = Harness::new()?;
        let points = [[[0.0; 3], [1.0, 0.0, 0.0]], [[0.0; 3], [0.0, 1.0, 0.0]]];
        let colors = [[255, 0, 0], [0, 255, 0]];
        let arrows = h.scene.add_arrows(
            "/arrows",
            &points,
            Colors::PerItem(&colors),
            ArrowsOptions::default(),
        )?;
        assert!(matches!(
            h.sent().first(),
            Some(Message::ArrowMessage(m)) if m.props.points.len() == 12 && m.props.colors.len() == 6
        ));
        assert!(arrows.set_points(&points[..1]).is_err());
        arrows.set_arrows(&points[..1], Colors::Uniform([1, 2, 3]))?;
        arrows.set_points(&points)?;
        assert!(arrows.set_colors(Colors::PerItem(&colors[..1])).is_err());
        assert!(arrows.set_head_length(f64::NAN).is_err());
        Ok(())
    }
}
