//! Every kind of GUI element viser has, live: inputs, buttons (click and
//! hold), folders, tabs, a form, a modal, notifications, markdown, HTML,
//! an image, a uPlot chart, a Plotly figure, a standalone panel, a command
//! in the command palette, a 3D GUI panel in the scene, and the theme.
//! Each event is printed with the tab it came from.
//!
//! `cargo run -p viser4d-examples --bin gui_gallery -- [PORT]`

use viser4d::Server;
use viser4d::gui::{
    CommandOptions, FolderOptions, GuiImageOptions, PanelOptions, Placement, PlotlyOptions,
    ThemeOptions, UplotOptions, UplotSeries,
};
use viser4d::scene::{EncodedImage, Pose};

fn main() -> anyhow::Result<()> {
    let port = viser4d_examples::init()?;
    let server = Server::builder().port(port).start()?;
    let gui = server.gui();
    gui.configure_theme(ThemeOptions {
        brand_color: Some([40, 110, 220]),
        ..ThemeOptions::default()
    })?;
    gui.set_panel_label(Some("GUI gallery"))?;

    let inputs = gui.add_folder("Inputs", FolderOptions::default())?;
    let ui = inputs.gui();
    ui.add_slider("Slider", 0.0, 10.0, 0.5, 3.0, Default::default())?
        .on_update(|e| println!("tab {}: slider {}", e.client.id(), e.value))?;
    ui.add_multi_slider("Range", 0.0, 100.0, 1.0, &[20.0, 80.0], Default::default())?;
    ui.add_number("Number", 42.0, Default::default())?;
    ui.add_text("Text", "hello", Default::default())?
        .on_update(|e| println!("tab {}: text {:?}", e.client.id(), e.value))?;
    ui.add_checkbox("Checkbox", true, Default::default())?;
    ui.add_dropdown("Dropdown", &["red", "green", "blue"], Default::default())?;
    ui.add_rgb("Color", [255, 120, 0], Default::default())?;
    ui.add_rgba("Color with alpha", [0, 120, 255, 128], Default::default())?;
    ui.add_vector2("Vector2", [1.0, 2.0], Default::default())?;
    ui.add_vector3("Vector3", [1.0, 2.0, 3.0], Default::default())?;

    let buttons = gui.add_folder("Buttons", FolderOptions::default())?;
    let button = buttons
        .gui()
        .add_button("Click or hold", Default::default())?;
    button.on_click(|e| println!("tab {}: click", e.client.id()))?;
    button.on_hold(5.0, |e| {
        println!("tab {}: held ({} Hz)", e.client.id(), e.frequency)
    })?;
    buttons
        .gui()
        .add_button_group("Mode", &["move", "rotate", "scale"], Default::default())?
        .on_click(|e| println!("tab {}: mode {}", e.client.id(), e.value))?;
    buttons
        .gui()
        .add_upload_button("Upload", Default::default())?
        .on_upload(|e| {
            println!(
                "tab {}: uploaded {} ({} bytes)",
                e.client.id(),
                e.file.name,
                e.file.content.len()
            )
        })?;
    let notify = buttons.gui().add_button("Notify me", Default::default())?;
    notify.on_click(|e| {
        e.client
            .gui()
            .add_notification("Hello", "only this tab sees this", Default::default())
            .ok();
    })?;
    let modal_button = buttons
        .gui()
        .add_button("Open a modal", Default::default())?;
    modal_button.on_click(|e| {
        if let Ok(modal) = e.client.gui().add_modal("A modal") {
            modal
                .gui()
                .add_markdown("Close me with the **x**.", Default::default())
                .ok();
        }
    })?;

    let form = gui.add_form("A form (Cmd/Ctrl+Enter submits)", FolderOptions::default())?;
    form.gui().add_text("Name", "", Default::default())?;
    form.gui().add_number("Age", 30.0, Default::default())?;
    form.on_submit(|e| println!("form submitted by {:?}", e.client.as_ref().map(|c| c.id())))?;

    let tabs = gui.add_tab_group(Default::default())?;
    let text = tabs.add_tab("Text")?;
    text.gui().add_markdown(
        "**Markdown**, with `code` and a [link](https://viser.studio).",
        Default::default(),
    )?;
    text.gui()
        .add_html("<em>HTML</em> too", Default::default())?;
    text.gui().add_divider(Default::default())?;
    text.gui().add_progress_bar(65.0, Default::default())?;
    let media = tabs.add_tab("Media")?;
    let xs: Vec<f64> = (0..100).map(|i| f64::from(i) * 0.1).collect();
    let ys: Vec<f64> = xs.iter().map(|x| x.sin()).collect();
    media.gui().add_uplot(
        &[&xs, &ys],
        &[UplotSeries::default(), UplotSeries::new("sin", "#2f7fe6")],
        UplotOptions {
            title: Some("uPlot".into()),
            aspect: 2.0,
            // Plain numbers on x (uPlot reads x as a time by default).
            scales: Some(serde_json::json!({"x": {"time": false}})),
            ..UplotOptions::default()
        },
    )?;
    let pixels: Vec<[u8; 3]> = (0..64 * 32)
        .map(|i| [(i % 64 * 4) as u8, (i / 64 * 8) as u8, 160])
        .collect();
    media.gui().add_image(
        EncodedImage::from_rgb8(64, 32, &pixels)?,
        GuiImageOptions {
            label: Some("A gradient".into()),
            ..GuiImageOptions::default()
        },
    )?;
    media.gui().add_plotly(
        &serde_json::json!({
            "data": [{"type": "bar", "x": ["a", "b", "c"], "y": [3, 1, 2]}],
            "layout": {"title": {"text": "Plotly"}, "margin": {"t": 40, "b": 30, "l": 30, "r": 10}}
        }),
        PlotlyOptions {
            aspect: 0.6,
            ..PlotlyOptions::default()
        },
    )?;

    let panel = gui.add_panel(PanelOptions::default())?;
    panel
        .add_tab("A panel")?
        .gui()
        .add_markdown("A standalone panel, docked left.", Default::default())?;
    panel.place(Placement::DockLeft)?;
    panel.set_width(260.0)?;

    gui.add_command(
        "Say hello",
        CommandOptions {
            description: Some("from the command palette".into()),
            ..CommandOptions::default()
        },
    )?
    .on_trigger(|e| println!("tab {}: command", e.client.id()))?;

    let in_scene = server.scene().add_3d_gui_container(
        "/gui_in_3d",
        Pose {
            position: [0.0, 0.0, 1.0],
            ..Pose::default()
        },
    )?;
    in_scene
        .gui()
        .add_button("A button in the scene", Default::default())?;
    server.scene().on_click(None, |e| {
        println!("tab {}: scene clicked at {:?}", e.client.id(), e.screen_pos)
    })?;

    println!("open {}", server.url());
    server.sleep_forever();
}
