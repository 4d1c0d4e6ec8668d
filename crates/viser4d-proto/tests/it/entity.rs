//! Redundancy keys and entity markers, as viser 1.1.1 computes them.

use viser4d_proto::Value;
use viser4d_proto::entity::{EntityKind, Phase};
use viser4d_proto::messages::{
    Message, RemoveSceneNodeMessage, RunJavascriptMessage, SceneNodeUpdateMessage,
    ScenePointerEnableMessage, ScenePointerEventType, SetPositionMessage,
    SetSceneNodeVisibilityMessage, ViewerCameraMessage,
};

#[test]
fn scene_node_lifecycle_keys() {
    let remove = Message::from(RemoveSceneNodeMessage {
        name: "/a".into(),
        owner: String::new(),
    });
    assert_eq!(
        remove.redundancy_key().as_deref(),
        Some("scene:/a:create-or-remove")
    );
    let entity = remove.entity().expect("entity");
    assert_eq!(
        (entity.kind, entity.phase, entity.id),
        (EntityKind::Scene, Phase::Remove, "/a")
    );

    let pos = Message::from(SetPositionMessage {
        name: "/a".into(),
        position: [0.0; 3],
        owner: String::new(),
    });
    assert_eq!(
        pos.redundancy_key().as_deref(),
        Some("scene:/a:update:SetPositionMessage")
    );
    let vis = Message::from(SetSceneNodeVisibilityMessage {
        name: "/a".into(),
        visible: true,
        owner: String::new(),
    });
    assert_eq!(
        vis.redundancy_key().as_deref(),
        Some("scene:/a:update:SetSceneNodeVisibilityMessage")
    );

    let update = Message::from(SceneNodeUpdateMessage {
        name: "/a".into(),
        updates: Value::Map(vec![
            ("opacity".into(), Value::Float(0.5)),
            ("color".into(), Value::Nil),
        ]),
        owner: String::new(),
    });
    // Props sorted, so the same set coalesces whatever its order.
    assert_eq!(
        update.redundancy_key().as_deref(),
        Some("scene:/a:update:color,opacity")
    );
}

#[test]
fn non_entity_keys() {
    let js = Message::from(RunJavascriptMessage { source: "1".into() });
    assert_eq!(js.redundancy_key(), None, "never culled");
    let pointer = Message::from(ScenePointerEnableMessage {
        event_type: ScenePointerEventType::RectSelect,
        modifiers: vec![],
        owner: String::new(),
    });
    assert_eq!(
        pointer.redundancy_key().as_deref(),
        Some("ScenePointerEnableMessage-rect-select")
    );
    let camera = Message::from(ViewerCameraMessage {
        wxyz: [1.0, 0.0, 0.0, 0.0],
        position: [0.0; 3],
        fov: 1.0,
        near: 0.1,
        far: 10.0,
        image_height: 1,
        image_width: 1,
        look_at: [0.0; 3],
        up_direction: [0.0, 0.0, 1.0],
    });
    assert_eq!(
        camera.redundancy_key().as_deref(),
        Some("ViewerCameraMessage")
    );
    assert!(camera.entity().is_none());
}
