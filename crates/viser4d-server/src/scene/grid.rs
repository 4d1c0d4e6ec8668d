//! Grids: a reference plane of cells and sections, finite or infinite.

use viser4d_proto::Message;
use viser4d_proto::messages::{GridMessage, GridProps, GridPropsFadeFrom, GridPropsPlane, Scale};

use crate::error::Result;
use crate::scene::setters::{
    bool_setter, float_setter, literal_setter, node_handle, rgb_setter, scale_setter,
};
use crate::scene::{Pose, SceneApi};
use crate::validate;

/// Options of [`SceneApi::add_grid`], with viser's defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct GridOptions {
    /// Width of the grid.
    pub width: f64,
    /// Height of the grid.
    pub height: f64,
    /// The plane the grid lies in.
    pub plane: GridPropsPlane,
    /// Color of the cell lines.
    pub cell_color: [u8; 3],
    /// Thickness of the cell lines.
    pub cell_thickness: f64,
    /// Size of each cell.
    pub cell_size: f64,
    /// Color of the section lines.
    pub section_color: [u8; 3],
    /// Thickness of the section lines.
    pub section_thickness: f64,
    /// Size of each section.
    pub section_size: f64,
    /// Draw an infinite grid (width and height are then ignored).
    pub infinite_grid: bool,
    /// Distance at which the grid fades out.
    pub fade_distance: f64,
    /// Strength of the fade.
    pub fade_strength: f64,
    /// Fade by distance from the camera or from the origin.
    pub fade_from: GridPropsFadeFrom,
    /// Opacity of shadows cast onto the plane (0: none, 1: black).
    pub shadow_opacity: f64,
    /// Color of the ground plane.
    pub plane_color: [u8; 3],
    /// Opacity of the ground plane (0: invisible, 1: opaque).
    pub plane_opacity: f64,
    /// Scale of the grid.
    pub scale: Scale,
    /// Initial pose and visibility.
    pub pose: Pose,
}

impl Default for GridOptions {
    fn default() -> GridOptions {
        GridOptions {
            width: 10.0,
            height: 10.0,
            plane: GridPropsPlane::Xy,
            cell_color: [200, 200, 200],
            cell_thickness: 1.0,
            cell_size: 0.5,
            section_color: [140, 140, 140],
            section_thickness: 1.0,
            section_size: 1.0,
            infinite_grid: false,
            fade_distance: 100.0,
            fade_strength: 1.0,
            fade_from: GridPropsFadeFrom::Camera,
            shadow_opacity: 0.125,
            plane_color: [255, 255, 255],
            plane_opacity: 0.0,
            scale: Scale::Uniform(1.0),
            pose: Pose::default(),
        }
    }
}

node_handle!(
    /// A grid.
    GridHandle
);

impl SceneApi {
    /// Adds a grid, for example as a ground plane.
    pub fn add_grid(&self, name: &str, options: GridOptions) -> Result<GridHandle> {
        for (argument, value) in [
            ("width", options.width),
            ("height", options.height),
            ("cell_thickness", options.cell_thickness),
            ("cell_size", options.cell_size),
            ("section_thickness", options.section_thickness),
            ("section_size", options.section_size),
            ("fade_distance", options.fade_distance),
            ("fade_strength", options.fade_strength),
        ] {
            validate::non_negative(argument, value)?;
        }
        validate::unit_interval("shadow_opacity", options.shadow_opacity)?;
        validate::unit_interval("plane_opacity", options.plane_opacity)?;
        validate::check_scale(&options.scale)?;
        self.add_node(name, &options.pose, |name, owner| {
            Message::from(GridMessage {
                name,
                owner,
                r#virtual: false,
                props: GridProps {
                    width: options.width,
                    height: options.height,
                    plane: options.plane,
                    cell_color: options.cell_color,
                    cell_thickness: options.cell_thickness,
                    cell_size: options.cell_size,
                    section_color: options.section_color,
                    section_thickness: options.section_thickness,
                    section_size: options.section_size,
                    infinite_grid: options.infinite_grid,
                    fade_distance: options.fade_distance,
                    fade_strength: options.fade_strength,
                    fade_from: options.fade_from,
                    shadow_opacity: options.shadow_opacity,
                    plane_color: options.plane_color,
                    plane_opacity: options.plane_opacity,
                    scale: options.scale,
                },
            })
        })
        .map(GridHandle)
    }
}

float_setter!(GridHandle, /// Sets the width.
    set_width, "width", validate::non_negative);
float_setter!(GridHandle, /// Sets the height.
    set_height, "height", validate::non_negative);
literal_setter!(GridHandle, /// Sets the plane the grid lies in.
    set_plane, "plane", GridPropsPlane);
rgb_setter!(GridHandle, /// Sets the color of the cell lines.
    set_cell_color, "cell_color");
float_setter!(GridHandle, /// Sets the thickness of the cell lines.
    set_cell_thickness, "cell_thickness", validate::non_negative);
float_setter!(GridHandle, /// Sets the size of each cell.
    set_cell_size, "cell_size", validate::non_negative);
rgb_setter!(GridHandle, /// Sets the color of the section lines.
    set_section_color, "section_color");
float_setter!(GridHandle, /// Sets the thickness of the section lines.
    set_section_thickness, "section_thickness", validate::non_negative);
float_setter!(GridHandle, /// Sets the size of each section.
    set_section_size, "section_size", validate::non_negative);
bool_setter!(GridHandle, /// Makes the grid infinite (or not).
    set_infinite_grid, "infinite_grid");
float_setter!(GridHandle, /// Sets the distance at which the grid fades out.
    set_fade_distance, "fade_distance", validate::non_negative);
float_setter!(GridHandle, /// Sets the strength of the fade.
    set_fade_strength, "fade_strength", validate::non_negative);
literal_setter!(GridHandle, /// Fades by distance from the camera or from the origin.
    set_fade_from, "fade_from", GridPropsFadeFrom);
float_setter!(GridHandle, /// Sets the opacity of shadows cast onto the plane, in [0, 1].
    set_shadow_opacity, "shadow_opacity", validate::unit_interval);
rgb_setter!(GridHandle, /// Sets the color of the ground plane.
    set_plane_color, "plane_color");
float_setter!(GridHandle, /// Sets the opacity of the ground plane, in [0, 1].
    set_plane_opacity, "plane_opacity", validate::unit_interval);
scale_setter!(GridHandle);

#[cfg(test)]
mod tests {
    use viser4d_proto::Value;

    use super::*;
    use crate::scene::testing::Harness;

    #[test]
    fn grid_defaults_and_setters() -> Result<()> {
        let h = Harness::new()?;
        let grid = h.scene.add_grid("/grid", GridOptions::default())?;
        assert!(matches!(
            h.sent().first(),
            Some(Message::GridMessage(m)) if m.props.plane == GridPropsPlane::Xy
        ));
        grid.set_plane(GridPropsPlane::Xz)?;
        assert_eq!(
            h.updates(),
            [(
                "/grid".to_owned(),
                "plane".to_owned(),
                Value::Str("xz".into())
            )]
        );
        assert!(grid.set_plane_opacity(2.0).is_err());
        let bad = GridOptions {
            cell_size: -1.0,
            ..GridOptions::default()
        };
        assert!(h.scene.add_grid("/bad", bad).is_err());
        assert!(!h.scene.node_names().contains(&"/bad".to_owned()));
        Ok(())
    }
}
