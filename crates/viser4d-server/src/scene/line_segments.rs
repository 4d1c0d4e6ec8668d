//! Line segments: many `[start, end]` lines in one node, the efficient way
//! to draw many lines or splines.

use std::collections::HashMap;

use viser4d_proto::messages::{LineSegmentsMessage, LineSegmentsProps, Scale, SizeUnits};
use viser4d_proto::{Message, TypedArray, Value};

use crate::error::{Result, ServerError};
use crate::scene::props;
use crate::scene::setters::{node_handle, scale_setter, thickness_setters};
use crate::scene::{Pose, SceneApi};
use crate::validate;

/// Recorded lengths: the segment count, and the number of per-segment
/// colors when the colors are not uniform.
const SEGMENTS: &str = "segments";
const COLORS: &str = "colors";

/// Colors of line segments.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SegmentColors<'a> {
    /// One color for every segment.
    Uniform([u8; 3]),
    /// One color per segment (both ends get it).
    PerSegment(&'a [[u8; 3]]),
    /// A color per end of each segment; the line blends between them.
    PerEndpoint(&'a [[[u8; 3]; 2]]),
}

impl SegmentColors<'_> {
    fn per_segment_len(&self) -> Option<usize> {
        match self {
            SegmentColors::Uniform(_) => None,
            SegmentColors::PerSegment(c) => Some(c.len()),
            SegmentColors::PerEndpoint(c) => Some(c.len()),
        }
    }

    /// viser's shapes: `(3,)` or `(N, 2, 3)`.
    fn encode(&self, count: usize) -> Result<TypedArray> {
        if let Some(n) = self.per_segment_len().filter(|&n| n != count) {
            return Err(ServerError::invalid(
                "colors",
                format!("{n} colors for {count} segments"),
            ));
        }
        Ok(match *self {
            SegmentColors::Uniform(c) => TypedArray::from_u8(c.to_vec()),
            SegmentColors::PerSegment(c) => {
                let both: Vec<[u8; 3]> = c.iter().flat_map(|&c| [c, c]).collect();
                TypedArray::from_rgb_u8(&both)
            }
            SegmentColors::PerEndpoint(c) => TypedArray::from_rgb_u8(c.as_flattened()),
        })
    }
}

/// Options of [`SceneApi::add_line_segments`], with viser's defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct LineSegmentsOptions {
    /// Line thickness, in `thickness_units`.
    pub thickness: f64,
    /// World units (lines thin out with distance) or screen pixels.
    pub thickness_units: SizeUnits,
    /// Scale of the node.
    pub scale: Scale,
    /// Initial pose and visibility.
    pub pose: Pose,
}

impl Default for LineSegmentsOptions {
    fn default() -> LineSegmentsOptions {
        LineSegmentsOptions {
            thickness: 0.01,
            thickness_units: SizeUnits::World,
            scale: Scale::Uniform(1.0),
            pose: Pose::default(),
        }
    }
}

node_handle!(
    /// Line segments.
    LineSegmentsHandle
);

fn record_colors(lengths: &mut HashMap<&'static str, usize>, colors: &SegmentColors<'_>) {
    match colors.per_segment_len() {
        Some(n) => lengths.insert(COLORS, n),
        None => lengths.remove(COLORS),
    };
}

impl SceneApi {
    /// Adds line segments, one per `[start, end]` pair.
    pub fn add_line_segments(
        &self,
        name: &str,
        points: &[[[f32; 3]; 2]],
        colors: SegmentColors<'_>,
        options: LineSegmentsOptions,
    ) -> Result<LineSegmentsHandle> {
        validate::non_negative("thickness", options.thickness)?;
        validate::check_scale(&options.scale)?;
        let encoded_points = props::encode_segments("points", points)?;
        let encoded_colors = colors.encode(points.len())?;
        let mut lengths = vec![(SEGMENTS, points.len())];
        if let Some(n) = colors.per_segment_len() {
            lengths.push((COLORS, n));
        }
        self.add_node_with_lengths(name, &options.pose, &lengths, |name, owner| {
            Message::from(LineSegmentsMessage {
                name,
                owner,
                r#virtual: false,
                props: LineSegmentsProps {
                    points: encoded_points,
                    thickness: options.thickness,
                    colors: encoded_colors,
                    scale: options.scale,
                    thickness_units: options.thickness_units,
                },
            })
        })
        .map(LineSegmentsHandle)
    }
}

impl LineSegmentsHandle {
    /// Replaces the segments. With per-segment colors their number must
    /// not change: use [`Self::set_segments`] for that.
    pub fn set_points(&self, points: &[[[f32; 3]; 2]]) -> Result<()> {
        let encoded = props::encode_segments("points", points)?;
        self.set_props_checked(|lengths| {
            validate::check_len(lengths, COLORS, "points", points.len())?;
            lengths.insert(SEGMENTS, points.len());
            Ok(vec![("points", Value::Typed(encoded))])
        })
    }

    /// Replaces the colors.
    pub fn set_colors(&self, colors: SegmentColors<'_>) -> Result<()> {
        self.set_props_checked(|lengths| {
            let count = lengths.get(SEGMENTS).copied().unwrap_or(0);
            let encoded = colors.encode(count)?;
            record_colors(lengths, &colors);
            Ok(vec![("colors", Value::Typed(encoded))])
        })
    }

    /// Replaces segments and colors together.
    pub fn set_segments(&self, points: &[[[f32; 3]; 2]], colors: SegmentColors<'_>) -> Result<()> {
        let encoded_points = props::encode_segments("points", points)?;
        let encoded_colors = colors.encode(points.len())?;
        self.set_props_checked(|lengths| {
            lengths.insert(SEGMENTS, points.len());
            record_colors(lengths, &colors);
            Ok(vec![
                ("points", Value::Typed(encoded_points)),
                ("colors", Value::Typed(encoded_colors)),
            ])
        })
    }
}

thickness_setters!(LineSegmentsHandle);
scale_setter!(LineSegmentsHandle);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scene::testing::Harness;

    #[test]
    fn per_segment_colors_cover_both_ends() -> Result<()> {
        let encoded = SegmentColors::PerSegment(&[[1, 2, 3]]).encode(1)?;
        assert_eq!(encoded.bytes().as_ref(), [1, 2, 3, 1, 2, 3]);
        assert!(SegmentColors::PerEndpoint(&[]).encode(1).is_err());
        assert_eq!(SegmentColors::Uniform([9, 9, 9]).encode(5)?.len(), 3);
        Ok(())
    }

    #[test]
    fn segments_are_created_and_checked() -> Result<()> {
        let h = Harness::new()?;
        let points = [[[0.0; 3], [1.0, 1.0, 1.0]]; 4];
        let lines = h.scene.add_line_segments(
            "/lines",
            &points,
            SegmentColors::PerEndpoint(&[[[255, 0, 0], [0, 0, 255]]; 4]),
            LineSegmentsOptions::default(),
        )?;
        assert!(matches!(
            h.sent().first(),
            Some(Message::LineSegmentsMessage(m))
                if m.props.points.len() == 24 && m.props.colors.len() == 24
        ));
        assert!(lines.set_points(&points[..2]).is_err());
        lines.set_segments(&points[..2], SegmentColors::Uniform([0, 0, 0]))?;
        lines.set_thickness_units(SizeUnits::Screen)?;
        assert!(lines.set_thickness(-1.0).is_err());
        Ok(())
    }
}
