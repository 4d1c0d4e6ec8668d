//! The look of the page (viser's `configure_theme`) and the control
//! panel's label (`set_panel_label`).

use viser4d_proto::Message;
use viser4d_proto::messages::{
    SetGuiPanelLabelMessage, ThemeConfigurationMessage, ThemeConfigurationMessageControlLayout,
    ThemeConfigurationMessageControlWidth,
};

use crate::error::Result;
use crate::gui::GuiApi;

pub use viser4d_proto::messages::{
    ThemeConfigurationMessageControlLayout as ControlLayout,
    ThemeConfigurationMessageControlWidth as ControlWidth,
};

/// A link button in the title bar.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TitlebarButton {
    /// Its text.
    pub text: Option<String>,
    /// One of viser's icons: `GitHub`, `Description`, `Keyboard`.
    pub icon: Option<String>,
    /// Where it links to.
    pub href: Option<String>,
}

/// An image in the title bar.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TitlebarImage {
    /// Image URL in light mode.
    pub image_url_light: String,
    /// Image URL in dark mode (default: the light one).
    pub image_url_dark: Option<String>,
    /// Alt text.
    pub image_alt: String,
    /// Where it links to.
    pub href: Option<String>,
}

/// What the title bar shows; with none, the page has no title bar.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Titlebar {
    /// Link buttons.
    pub buttons: Vec<TitlebarButton>,
    /// An image (a logo).
    pub image: Option<TitlebarImage>,
}

/// Options of [`GuiApi::configure_theme`], with viser's defaults (except
/// the share button: sharing needs viser's relay on the internet, which
/// this server does not use, so it is off by default).
#[derive(Debug, Clone, PartialEq)]
pub struct ThemeOptions {
    /// Title bar content (`None`: no title bar).
    pub titlebar: Option<Titlebar>,
    /// Where the control panel sits (viser keeps `Floating`; docking is now
    /// done by placing the main panel).
    pub control_layout: ThemeConfigurationMessageControlLayout,
    /// How wide the control panel is.
    pub control_width: ThemeConfigurationMessageControlWidth,
    /// Dark mode.
    pub dark_mode: bool,
    /// Show viser's logo.
    pub show_logo: bool,
    /// Show the share button (see the struct docs).
    pub show_share_button: bool,
    /// A brand color: the page's palette of ten shades is made from it, as
    /// viser does.
    pub brand_color: Option<[u8; 3]>,
}

impl Default for ThemeOptions {
    fn default() -> ThemeOptions {
        ThemeOptions {
            titlebar: None,
            control_layout: ThemeConfigurationMessageControlLayout::Floating,
            control_width: ThemeConfigurationMessageControlWidth::Medium,
            dark_mode: false,
            show_logo: true,
            show_share_button: false,
            brand_color: None,
        }
    }
}

impl GuiApi {
    /// Sets the page's look: title bar, control panel width, dark mode,
    /// logo, brand colors. In every tab (or this tab, for a tab's GUI); a
    /// later call replaces it whole.
    pub fn configure_theme(&self, options: ThemeOptions) -> Result<()> {
        let message = Message::from(ThemeConfigurationMessage {
            titlebar_content: options.titlebar.as_ref().map(titlebar_value),
            control_layout: options.control_layout,
            control_width: options.control_width,
            show_logo: options.show_logo,
            show_share_button: options.show_share_button,
            dark_mode: options.dark_mode,
            colors: options.brand_color.map(palette),
        });
        self.shared().lock().send_live(self.scope(), message, None);
        Ok(())
    }

    /// Sets the label at the top of the control panel (`None`: viser's
    /// default).
    pub fn set_panel_label(&self, label: Option<&str>) -> Result<()> {
        let message = Message::from(SetGuiPanelLabelMessage {
            label: label.map(str::to_owned),
        });
        self.shared().lock().send_live(self.scope(), message, None);
        Ok(())
    }
}

fn titlebar_value(t: &Titlebar) -> viser4d_proto::Value {
    use viser4d_proto::Value;
    let opt = |s: &Option<String>| s.clone().map_or(Value::Nil, Value::Str);
    let buttons = Value::Array(
        t.buttons
            .iter()
            .map(|b| {
                Value::Map(vec![
                    ("text".into(), opt(&b.text)),
                    ("icon".into(), opt(&b.icon)),
                    ("href".into(), opt(&b.href)),
                ])
            })
            .collect(),
    );
    let image = t.image.as_ref().map_or(Value::Nil, |i| {
        Value::Map(vec![
            (
                "image_url_light".into(),
                Value::Str(i.image_url_light.clone()),
            ),
            ("image_url_dark".into(), opt(&i.image_url_dark)),
            ("image_alt".into(), Value::Str(i.image_alt.clone())),
            ("href".into(), opt(&i.href)),
        ])
    });
    Value::Map(vec![("buttons".into(), buttons), ("image".into(), image)])
}

/// viser's ten-shade palette from one RGB color: the lightness runs from
/// light to the color itself at index 8, then a little darker.
fn palette(rgb: [u8; 3]) -> [String; 10] {
    let [r, g, b] = rgb.map(|c| f64::from(c) / 255.0);
    let (h, l, s) = rgb_to_hls(r, g, b);
    let min_l = (l - 0.08).max(0.0);
    let max_l = (0.8_f64 + 0.5).min(0.9);
    let l = l.clamp(min_l, max_l);
    let primary = 8.0;
    std::array::from_fn(|i| {
        let x = i as f64;
        // np.interp over (0, 8, 9) -> (max_l, l, min_l).
        let li = if x <= primary {
            max_l + (l - max_l) * x / primary
        } else {
            l + (min_l - l) * (x - primary)
        };
        let (r, g, b) = hls_to_rgb(h, li, s);
        let hex = |c: f64| (c * 255.0).clamp(0.0, 255.0) + 0.5;
        format!(
            "#{:02x}{:02x}{:02x}",
            hex(r) as u8,
            hex(g) as u8,
            hex(b) as u8
        )
    })
}

/// Python's `colorsys.rgb_to_hls`.
fn rgb_to_hls(r: f64, g: f64, b: f64) -> (f64, f64, f64) {
    let max = r.max(g).max(b);
    let min = r.min(g).min(b);
    let l = (min + max) / 2.0;
    if max == min {
        return (0.0, l, 0.0);
    }
    let s = if l <= 0.5 {
        (max - min) / (max + min)
    } else {
        (max - min) / (2.0 - max - min)
    };
    let rc = (max - r) / (max - min);
    let gc = (max - g) / (max - min);
    let bc = (max - b) / (max - min);
    let h = if r == max {
        bc - gc
    } else if g == max {
        2.0 + rc - bc
    } else {
        4.0 + gc - rc
    };
    ((h / 6.0).rem_euclid(1.0), l, s)
}

/// Python's `colorsys.hls_to_rgb`.
fn hls_to_rgb(h: f64, l: f64, s: f64) -> (f64, f64, f64) {
    if s == 0.0 {
        return (l, l, l);
    }
    let m2 = if l <= 0.5 {
        l * (1.0 + s)
    } else {
        l + s - l * s
    };
    let m1 = 2.0 * l - m2;
    let v = |hue: f64| {
        let hue = hue.rem_euclid(1.0);
        if hue < 1.0 / 6.0 {
            m1 + (m2 - m1) * hue * 6.0
        } else if hue < 0.5 {
            m2
        } else if hue < 2.0 / 3.0 {
            m1 + (m2 - m1) * (2.0 / 3.0 - hue) * 6.0
        } else {
            m1
        }
    };
    (v(h + 1.0 / 3.0), v(h), v(h - 1.0 / 3.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gui::testing::harness;

    #[test]
    fn the_palette_puts_the_brand_color_at_index_eight() {
        let colors = palette([255, 0, 0]);
        assert_eq!(colors[8], "#ff0000");
        assert!(colors.iter().all(|c| c.len() == 7 && c.starts_with('#')));
        // Lighter first.
        assert!(colors[0] > colors[8]);
        let grey = palette([128, 128, 128]);
        assert_eq!(grey[8], "#808080");
    }

    #[test]
    fn theme_and_label_reach_the_tabs() -> Result<()> {
        let h = harness();
        let tab = h.connect();
        h.gui().configure_theme(ThemeOptions {
            dark_mode: true,
            brand_color: Some([10, 120, 200]),
            ..ThemeOptions::default()
        })?;
        h.gui().set_panel_label(Some("Robot"))?;
        let sent = h.take(&tab);
        assert!(sent.iter().any(|m| matches!(m,
            Message::ThemeConfigurationMessage(t) if t.dark_mode && t.colors.is_some())));
        assert!(sent.iter().any(|m| matches!(m,
            Message::SetGuiPanelLabelMessage(l) if l.label.as_deref() == Some("Robot"))));
        Ok(())
    }
}
