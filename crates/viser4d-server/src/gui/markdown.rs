//! Markdown, HTML and dividers: elements that only show something.

use viser4d_proto::messages::{
    GuiDividerMessage, GuiDividerProps, GuiHtmlMessage, GuiHtmlProps, GuiMarkdownMessage,
    GuiMarkdownProps,
};
use viser4d_proto::{Message, Value};

use crate::error::Result;
use crate::gui::{GuiApi, GuiElementHandle, NewEntry};

/// Options of elements that only show something.
#[derive(Debug, Clone, PartialEq)]
pub struct ContentOptions {
    /// Shown (default true).
    pub visible: bool,
    /// Place among its siblings (smallest first); default: after them.
    pub order: Option<f64>,
}

impl Default for ContentOptions {
    fn default() -> ContentOptions {
        ContentOptions {
            visible: true,
            order: None,
        }
    }
}

/// Options of [`GuiApi::add_markdown`].
pub type MarkdownOptions = ContentOptions;

/// Options of [`GuiApi::add_html`].
pub type HtmlOptions = ContentOptions;

/// Options of [`GuiApi::add_divider`].
pub type DividerOptions = ContentOptions;

/// A divider: a horizontal line.
pub type DividerHandle = GuiElementHandle;

/// A block of Markdown.
#[derive(Debug, Clone)]
pub struct MarkdownHandle(GuiElementHandle);

impl MarkdownHandle {
    /// The element, for what every element can do (visibility, removal).
    pub fn element(&self) -> &GuiElementHandle {
        &self.0
    }

    /// The Markdown shown.
    pub fn content(&self) -> Result<String> {
        content_of(&self.0)
    }

    /// Replaces the Markdown shown.
    pub fn set_content(&self, markdown: &str) -> Result<()> {
        set_content(&self.0, "_markdown", markdown)
    }

    /// Hides the block (or shows it).
    pub fn set_visible(&self, visible: bool) -> Result<()> {
        self.0.set_visible(visible)
    }

    /// Removes the block from every tab.
    pub fn remove(&self) -> Result<()> {
        self.0.remove()
    }
}

/// A block of HTML.
#[derive(Debug, Clone)]
pub struct HtmlHandle(GuiElementHandle);

impl HtmlHandle {
    /// The element, for what every element can do (visibility, removal).
    pub fn element(&self) -> &GuiElementHandle {
        &self.0
    }

    /// The HTML shown.
    pub fn content(&self) -> Result<String> {
        content_of(&self.0)
    }

    /// Replaces the HTML shown.
    pub fn set_content(&self, html: &str) -> Result<()> {
        set_content(&self.0, "content", html)
    }

    /// Hides the block (or shows it).
    pub fn set_visible(&self, visible: bool) -> Result<()> {
        self.0.set_visible(visible)
    }

    /// Removes the block from every tab.
    pub fn remove(&self) -> Result<()> {
        self.0.remove()
    }
}

/// The text of a markdown or HTML block, kept as the entry's value.
fn content_of(element: &GuiElementHandle) -> Result<String> {
    element.read(|entry| entry.value.as_str().unwrap_or_default().to_owned())
}

fn set_content(element: &GuiElementHandle, prop: &str, text: &str) -> Result<()> {
    let value = Value::Str(text.to_owned());
    element.update(|entry| {
        entry.value = value.clone();
        Ok(vec![(prop.to_owned(), value)])
    })
}

/// A display entry that remembers its text.
fn text_entry(text: &str) -> NewEntry {
    NewEntry {
        value: Value::Str(text.to_owned()),
        ..NewEntry::display()
    }
}

impl GuiApi {
    /// Adds a block of Markdown. Images must be URLs (`http...` or
    /// `data:`): unlike viser, relative paths are not read from disk.
    pub fn add_markdown(&self, markdown: &str, options: MarkdownOptions) -> Result<MarkdownHandle> {
        self.add_entry(
            text_entry(markdown),
            options.order,
            |uuid, container_uuid, order| {
                Message::from(GuiMarkdownMessage {
                    uuid,
                    container_uuid,
                    props: GuiMarkdownProps {
                        order,
                        markdown: markdown.to_owned(),
                        visible: options.visible,
                    },
                })
            },
        )
        .map(MarkdownHandle)
    }

    /// Adds a block of HTML.
    pub fn add_html(&self, html: &str, options: HtmlOptions) -> Result<HtmlHandle> {
        self.add_entry(
            text_entry(html),
            options.order,
            |uuid, container_uuid, order| {
                Message::from(GuiHtmlMessage {
                    uuid,
                    container_uuid,
                    props: GuiHtmlProps {
                        order,
                        content: html.to_owned(),
                        visible: options.visible,
                    },
                })
            },
        )
        .map(HtmlHandle)
    }

    /// Adds a horizontal divider.
    pub fn add_divider(&self, options: DividerOptions) -> Result<DividerHandle> {
        self.add_entry(
            NewEntry::display(),
            options.order,
            |uuid, container_uuid, order| {
                Message::from(GuiDividerMessage {
                    uuid,
                    container_uuid,
                    props: GuiDividerProps {
                        order,
                        visible: options.visible,
                    },
                })
            },
        )
    }
}
