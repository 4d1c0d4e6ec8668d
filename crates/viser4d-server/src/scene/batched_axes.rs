//! Batched axes: many coordinate frames drawn as one instanced node, much
//! faster than a frame per pose.

use viser4d_proto::Message;
use viser4d_proto::messages::{BatchedAxesMessage, BatchedAxesProps, Scale};

use crate::error::Result;
use crate::scene::instances::{INSTANCES, Instances};
use crate::scene::setters::{float_setter, node_handle, scale_setter};
use crate::scene::{Pose, SceneApi};
use crate::validate;

/// Options of [`SceneApi::add_batched_axes`], with viser's defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchedAxesOptions {
    /// Length of each axis.
    pub axes_length: f64,
    /// Radius of each axis.
    pub axes_radius: f64,
    /// Scale of the whole batch.
    pub scale: Scale,
    /// Initial pose (applied to every instance) and visibility.
    pub pose: Pose,
}

impl Default for BatchedAxesOptions {
    fn default() -> BatchedAxesOptions {
        BatchedAxesOptions {
            axes_length: 0.5,
            axes_radius: 0.025,
            scale: Scale::Uniform(1.0),
            pose: Pose::default(),
        }
    }
}

node_handle!(
    /// Batched coordinate axes.
    BatchedAxesHandle
);

impl SceneApi {
    /// Adds one set of axes per instance. The instance arrays must have
    /// one entry per instance each.
    pub fn add_batched_axes(
        &self,
        name: &str,
        instances: Instances<'_>,
        options: BatchedAxesOptions,
    ) -> Result<BatchedAxesHandle> {
        validate::non_negative("axes_length", options.axes_length)?;
        validate::non_negative("axes_radius", options.axes_radius)?;
        validate::check_scale(&options.scale)?;
        let instances = instances.encode()?;
        let lengths = [(INSTANCES, instances.count)];
        self.add_node_with_lengths(name, &options.pose, &lengths, |name, owner| {
            Message::from(BatchedAxesMessage {
                name,
                owner,
                r#virtual: false,
                props: BatchedAxesProps {
                    batched_wxyzs: instances.wxyzs,
                    batched_positions: instances.positions,
                    batched_scales: instances.scales,
                    axes_length: options.axes_length,
                    axes_radius: options.axes_radius,
                    scale: options.scale,
                },
            })
        })
        .map(BatchedAxesHandle)
    }
}

impl BatchedAxesHandle {
    /// Replaces the instances (their number may change).
    pub fn set_instances(&self, instances: Instances<'_>) -> Result<()> {
        let instances = instances.encode()?;
        self.set_props_checked(|lengths| {
            lengths.insert(INSTANCES, instances.count);
            Ok(instances.into_props())
        })
    }
}

float_setter!(
    BatchedAxesHandle,
    /// Sets the length of each axis.
    set_axes_length,
    "axes_length",
    validate::non_negative
);
float_setter!(
    BatchedAxesHandle,
    /// Sets the radius of each axis.
    set_axes_radius,
    "axes_radius",
    validate::non_negative
);
scale_setter!(BatchedAxesHandle);

#[cfg(test)]
mod tests {
    use viser4d_proto::Message;

    use super::*;
    use crate::scene::testing::Harness;

    #[test]
    fn batched_axes_are_created_and_updated() -> Result<()> {
        let h = Harness::new()?;
        let wxyzs = [[1.0, 0.0, 0.0, 0.0]; 3];
        let positions = [[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [2.0, 0.0, 0.0]];
        let axes = h.scene.add_batched_axes(
            "/axes",
            Instances::new(&wxyzs, &positions),
            BatchedAxesOptions::default(),
        )?;
        let sent = h.sent();
        let Some(Message::BatchedAxesMessage(m)) = sent.first() else {
            panic!("expected a BatchedAxesMessage first, got {sent:?}");
        };
        assert_eq!(m.props.batched_positions.len(), 9);
        assert_eq!(m.props.batched_scales, None);

        axes.set_instances(Instances::new(&wxyzs[..1], &positions[..1]))?;
        let props: Vec<String> = h.updates().into_iter().map(|(_, p, _)| p).collect();
        assert_eq!(
            props,
            ["batched_wxyzs", "batched_positions", "batched_scales"]
        );
        assert!(
            axes.set_instances(Instances::new(&wxyzs, &positions[..2]))
                .is_err()
        );
        assert!(h.updates().is_empty());
        Ok(())
    }
}
