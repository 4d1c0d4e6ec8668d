//! Which Rust call sends or receives each viser 1.1.1 message type, or why
//! none does. `docs/viser-api.md` is generated from this table, and the
//! tests below fail when a message type of the protocol crate has no
//! entry, when an entry names a type viser does not have, or when the
//! document no longer matches (`VISER4D_UPDATE_API_TABLE=1` rewrites it).

/// How a message type is covered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coverage {
    /// The calls that send it (server to tab) or receive it (tab to server).
    Api(&'static str),
    /// Why no call does.
    Reason(&'static str),
}

use Coverage::{Api, Reason};

/// Every viser 1.1.1 message type with its coverage, in the protocol's
/// order.
pub const VISER_API: &[(&str, Coverage)] = &[
    (
        "RemoveSceneNodeMessage",
        Api("`SceneNodeHandle::remove`, `SceneApi::reset`"),
    ),
    (
        "GuiRemoveMessage",
        Api("`GuiElementHandle::remove` (and every element handle's `remove`), `GuiApi::reset`"),
    ),
    (
        "RunJavascriptMessage",
        Reason(
            "sent by the server itself only: it loads the viser4d runtime into each tab and Plotly's script for `add_plotly`; viser has no public API for it either",
        ),
    ),
    ("NotificationShowMessage", Api("`GuiApi::add_notification`")),
    (
        "NotificationUpdateMessage",
        Api("`NotificationHandle::set_title`, `set_body`, `set_loading`, ..."),
    ),
    (
        "RemoveNotificationMessage",
        Api("`NotificationHandle::remove`"),
    ),
    (
        "ViewerCameraMessage",
        Api("received: `ClientHandle::camera`, `ClientHandle::on_camera_update`"),
    ),
    (
        "ScenePointerMessage",
        Api(
            "received: `SceneApi::on_pointer_event`, `SceneApi::on_click`, `SceneApi::on_rect_select`",
        ),
    ),
    (
        "ScenePointerEnableMessage",
        Api(
            "`SceneApi::on_pointer_event` / `on_click` / `on_rect_select`, `SceneApi::remove_pointer_callback`",
        ),
    ),
    (
        "CameraFrustumMessage",
        Api("`SceneApi::add_camera_frustum`"),
    ),
    ("GlbMessage", Api("`SceneApi::add_glb`")),
    (
        "FrameMessage",
        Api("`SceneApi::add_frame` (and the virtual parents of any node)"),
    ),
    ("BatchedAxesMessage", Api("`SceneApi::add_batched_axes`")),
    ("GridMessage", Api("`SceneApi::add_grid`")),
    ("LabelMessage", Api("`SceneApi::add_label`")),
    ("Gui3DMessage", Api("`SceneApi::add_3d_gui_container`")),
    ("PointCloudMessage", Api("`SceneApi::add_point_cloud`")),
    (
        "DirectionalLightMessage",
        Api("`SceneApi::add_light_directional`"),
    ),
    ("AmbientLightMessage", Api("`SceneApi::add_light_ambient`")),
    (
        "HemisphereLightMessage",
        Api("`SceneApi::add_light_hemisphere`"),
    ),
    ("PointLightMessage", Api("`SceneApi::add_light_point`")),
    (
        "RectAreaLightMessage",
        Api("`SceneApi::add_light_rectarea`"),
    ),
    ("SpotLightMessage", Api("`SceneApi::add_light_spot`")),
    ("FogMessage", Api("`SceneApi::configure_fog`")),
    (
        "EnvironmentMapMessage",
        Api("`SceneApi::configure_environment_map`"),
    ),
    (
        "EnableLightsMessage",
        Api("`SceneApi::configure_default_lights`"),
    ),
    ("MeshMessage", Api("`SceneApi::add_mesh`")),
    ("BoxMessage", Api("`SceneApi::add_box`")),
    ("IcosphereMessage", Api("`SceneApi::add_icosphere`")),
    ("CylinderMessage", Api("`SceneApi::add_cylinder`")),
    ("SkinnedMeshMessage", Api("`SceneApi::add_mesh_skinned`")),
    (
        "BatchedMeshesMessage",
        Api("`SceneApi::add_batched_meshes`"),
    ),
    ("BatchedGlbMessage", Api("`SceneApi::add_batched_glb`")),
    (
        "SetBoneOrientationMessage",
        Api("`BoneHandle::set_wxyz` (recorded per bone inside `at(t)`)"),
    ),
    (
        "SetBonePositionMessage",
        Api("`BoneHandle::set_position` (recorded per bone inside `at(t)`)"),
    ),
    (
        "TransformControlsMessage",
        Api("`SceneApi::add_transform_controls`"),
    ),
    (
        "SetCameraPositionMessage",
        Api("`ClientHandle::set_camera_position`"),
    ),
    (
        "SetCameraUpDirectionMessage",
        Api("`ClientHandle::set_camera_up_direction`"),
    ),
    (
        "SetCameraLookAtMessage",
        Api("`ClientHandle::set_camera_look_at`"),
    ),
    (
        "SetCameraNearMessage",
        Api("`ClientHandle::set_camera_near`"),
    ),
    ("SetCameraFarMessage", Api("`ClientHandle::set_camera_far`")),
    ("SetCameraFovMessage", Api("`ClientHandle::set_camera_fov`")),
    (
        "SetCameraMinOrbitDistanceMessage",
        Api("`ClientHandle::set_camera_min_orbit_distance`"),
    ),
    (
        "SetCameraMaxOrbitDistanceMessage",
        Api("`ClientHandle::set_camera_max_orbit_distance`"),
    ),
    (
        "SetOrientationMessage",
        Api(
            "`SceneNodeHandle::set_wxyz`, `SceneApi::set_up_direction`, node poses given to every `add_*`",
        ),
    ),
    (
        "SetPositionMessage",
        Api("`SceneNodeHandle::set_position`, node poses given to every `add_*`"),
    ),
    (
        "TransformControlsUpdateMessage",
        Api("received: `TransformControlsHandle::on_update`"),
    ),
    (
        "TransformControlsDragStartMessage",
        Api("received: `TransformControlsHandle::on_drag_start`"),
    ),
    (
        "TransformControlsDragEndMessage",
        Api("received: `TransformControlsHandle::on_drag_end`"),
    ),
    (
        "BackgroundImageMessage",
        Api("`SceneApi::set_background_image`"),
    ),
    ("ImageMessage", Api("`SceneApi::add_image`")),
    (
        "SetSceneNodeVisibilityMessage",
        Api("`SceneNodeHandle::set_visible`, `SceneApi::set_global_visibility`"),
    ),
    (
        "SetSceneNodeDragBindingsMessage",
        Api("`SceneNodeHandle::on_drag`, `SceneNodeHandle::remove_callback`"),
    ),
    (
        "SetSceneNodeClickBindingsMessage",
        Api("`SceneNodeHandle::on_click`, `SceneNodeHandle::remove_callback`"),
    ),
    (
        "SceneNodeClickMessage",
        Api("received: `SceneNodeHandle::on_click`"),
    ),
    (
        "SceneNodeDragMessage",
        Api("received: `SceneNodeHandle::on_drag`"),
    ),
    (
        "ResetGuiMessage",
        Reason(
            "`GuiApi::reset` removes each element instead: the client would also clear the other scope's elements (a tab's own GUI, or the shared one)",
        ),
    ),
    ("GuiFolderMessage", Api("`GuiApi::add_folder`")),
    ("GuiFormMessage", Api("`GuiApi::add_form`")),
    (
        "GuiFormSubmitMessage",
        Api("`FormHandle::submit`; received: `FormHandle::on_submit`"),
    ),
    (
        "GuiFormDirtyMessage",
        Api(
            "received from a tab and passed on to the scope's other tabs (the form's changed mark)",
        ),
    ),
    ("GuiMarkdownMessage", Api("`GuiApi::add_markdown`")),
    ("GuiHtmlMessage", Api("`GuiApi::add_html`")),
    ("GuiDividerMessage", Api("`GuiApi::add_divider`")),
    ("GuiProgressBarMessage", Api("`GuiApi::add_progress_bar`")),
    (
        "GuiPlotlyMessage",
        Api("`GuiApi::add_plotly` (feature `plotly`)"),
    ),
    ("GuiUplotMessage", Api("`GuiApi::add_uplot`")),
    ("GuiImageMessage", Api("`GuiApi::add_image`")),
    (
        "GuiSetPanelPositionMessage",
        Api("`PanelHandle::place`, `MainPanelHandle::place`"),
    ),
    (
        "GuiSetPanelWidthMessage",
        Api("`PanelHandle::set_width`, `MainPanelHandle::set_width`"),
    ),
    (
        "GuiSetPanelHeightMessage",
        Api("`PanelHandle::set_height`, `MainPanelHandle::set_height`"),
    ),
    ("GuiTabGroupMessage", Api("`GuiApi::add_tab_group`")),
    (
        "GuiSetPanelCollapsedMessage",
        Api("`PanelHandle::set_minimized`, `MainPanelHandle::set_minimized`"),
    ),
    ("GuiPanelMessage", Api("`GuiApi::add_panel`")),
    ("GuiPanelRemoveMessage", Api("`PanelHandle::remove`")),
    ("GuiModalMessage", Api("`GuiApi::add_modal`")),
    ("GuiCloseModalMessage", Api("`ModalHandle::close`")),
    ("GuiButtonMessage", Api("`GuiApi::add_button`")),
    (
        "GuiButtonHoldMessage",
        Api("received: `ButtonHandle::on_hold`"),
    ),
    ("GuiUploadButtonMessage", Api("`GuiApi::add_upload_button`")),
    ("GuiSliderMessage", Api("`GuiApi::add_slider`")),
    ("GuiMultiSliderMessage", Api("`GuiApi::add_multi_slider`")),
    ("GuiNumberMessage", Api("`GuiApi::add_number`")),
    ("GuiRgbMessage", Api("`GuiApi::add_rgb`")),
    ("GuiRgbaMessage", Api("`GuiApi::add_rgba`")),
    ("GuiCheckboxMessage", Api("`GuiApi::add_checkbox`")),
    ("GuiVector2Message", Api("`GuiApi::add_vector2`")),
    ("GuiVector3Message", Api("`GuiApi::add_vector3`")),
    ("GuiTextMessage", Api("`GuiApi::add_text`")),
    ("GuiDropdownMessage", Api("`GuiApi::add_dropdown`")),
    ("GuiButtonGroupMessage", Api("`GuiApi::add_button_group`")),
    (
        "GuiUpdateMessage",
        Api(
            "every GUI handle's setters (`set_value`, `set_label`, ...); received: `GuiInputHandle::on_update`, `ButtonHandle::on_click`, `ButtonGroupHandle::on_click`",
        ),
    ),
    (
        "SceneNodeUpdateMessage",
        Api("every scene handle's property setters (`set_points`, `set_color`, ...)"),
    ),
    (
        "ThemeConfigurationMessage",
        Api("`GuiApi::configure_theme`"),
    ),
    ("LineSegmentsMessage", Api("`SceneApi::add_line_segments`")),
    ("ArrowMessage", Api("`SceneApi::add_arrows`")),
    (
        "CatmullRomSplineMessage",
        Api("`SceneApi::add_spline_catmull_rom`"),
    ),
    (
        "CubicBezierSplineMessage",
        Api("`SceneApi::add_spline_cubic_bezier`"),
    ),
    (
        "GaussianSplatsMessage",
        Api("`SceneApi::add_gaussian_splats`"),
    ),
    ("GetRenderRequestMessage", Api("`ClientHandle::get_render`")),
    (
        "GetRenderResponseMessage",
        Api("received: `ClientHandle::get_render` returns it"),
    ),
    (
        "FileTransferStartUpload",
        Api("received: `UploadButtonHandle::on_upload`"),
    ),
    (
        "FileTransferStartDownload",
        Api("`ClientHandle::send_file_download`"),
    ),
    (
        "FileTransferPart",
        Api("`ClientHandle::send_file_download`; received: `UploadButtonHandle::on_upload`"),
    ),
    (
        "FileTransferPartAck",
        Api("sent for each upload part received (the tab's upload progress)"),
    ),
    (
        "ShareUrlRequest",
        Reason(
            "share links need viser's relay server on the internet; this server does not use it, and `ThemeOptions::show_share_button` is off by default",
        ),
    ),
    (
        "ReplayDoneMessage",
        Api("sent to each new tab after the state replay (no call needed)"),
    ),
    (
        "ShareUrlUpdated",
        Reason("share links need viser's relay server on the internet (see ShareUrlRequest)"),
    ),
    (
        "ShareUrlDisconnect",
        Reason("share links need viser's relay server on the internet (see ShareUrlRequest)"),
    ),
    ("SetGuiPanelLabelMessage", Api("`GuiApi::set_panel_label`")),
    ("RegisterCommandMessage", Api("`GuiApi::add_command`")),
    (
        "CommandUpdateMessage",
        Api("`CommandHandle::set_label`, `set_description`, `set_disabled`"),
    ),
    ("RemoveCommandMessage", Api("`CommandHandle::remove`")),
    (
        "CommandTriggerMessage",
        Api("received: `CommandHandle::on_trigger`"),
    ),
    (
        "LocalStorageSetItemMessage",
        Api("`LocalStorage::set_item` (from `ClientHandle::local_storage`)"),
    ),
    (
        "LocalStorageRemoveItemMessage",
        Api("`LocalStorage::remove_item`"),
    ),
    ("LocalStorageClearMessage", Api("`LocalStorage::clear`")),
    (
        "LocalStorageGetItemRequestMessage",
        Api("`LocalStorage::get_item`"),
    ),
    (
        "LocalStorageGetItemResponseMessage",
        Api("received: `LocalStorage::get_item` returns it"),
    ),
];

/// The table as `docs/viser-api.md` holds it.
pub fn markdown() -> String {
    let mut out = String::from(
        "# viser 1.1.1 messages and the Rust calls that send or receive them\n\n\
         Generated from `crates/viser4d-server/src/api_map.rs` and checked by its tests \
         (`VISER4D_UPDATE_API_TABLE=1 cargo test -p viser4d-server --lib api_map` rewrites it). \
         Every message type of the viser 1.1.1 protocol has a row: the calls on \
         `viser4d::Server`, `SceneApi`, `GuiApi`, `ClientHandle` and the handles, or the \
         reason no call sends it. \"received\" marks what a tab sends.\n\n\
         | viser message | Rust |\n|---|---|\n",
    );
    for (name, coverage) in VISER_API {
        let cell = match coverage {
            Api(calls) => (*calls).to_owned(),
            Reason(why) => format!("none: {why}"),
        };
        out.push_str(&format!("| `{name}` | {cell} |\n"));
    }
    let apis = VISER_API
        .iter()
        .filter(|(_, c)| matches!(c, Api(_)))
        .count();
    out.push_str(&format!(
        "\n{apis} of {} message types have a Rust call; the other {} are listed with the reason.\n",
        VISER_API.len(),
        VISER_API.len() - apis
    ));
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn every_viser_message_type_has_a_call_or_a_reason() {
        let protocol: Vec<&str> = viser4d_proto::message_type_names().collect();
        let listed: Vec<&str> = VISER_API.iter().map(|(n, _)| *n).collect();
        let missing: Vec<&&str> = protocol.iter().filter(|n| !listed.contains(n)).collect();
        assert!(
            missing.is_empty(),
            "message types with neither a Rust call nor a reason in api_map.rs: {missing:?}"
        );
        let unknown: Vec<&&str> = listed.iter().filter(|n| !protocol.contains(n)).collect();
        assert!(
            unknown.is_empty(),
            "api_map.rs lists types viser does not have: {unknown:?}"
        );
        let unique: BTreeSet<&str> = listed.iter().copied().collect();
        assert_eq!(unique.len(), listed.len(), "a type is listed twice");
        assert_eq!(listed, protocol, "keep the protocol's order");
        for (name, coverage) in VISER_API {
            let text = match coverage {
                Api(t) | Reason(t) => t,
            };
            assert!(!text.trim().is_empty(), "{name} has an empty entry");
        }
    }

    #[test]
    fn the_document_matches_the_table() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/viser-api.md");
        let want = markdown();
        if std::env::var_os("VISER4D_UPDATE_API_TABLE").is_some() {
            std::fs::write(&path, &want).expect("writing docs/viser-api.md");
            return;
        }
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            have == want,
            "docs/viser-api.md is out of date: run VISER4D_UPDATE_API_TABLE=1 cargo test -p viser4d-server --lib api_map"
        );
    }
}
