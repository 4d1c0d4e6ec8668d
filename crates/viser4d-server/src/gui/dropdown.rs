//! Dropdowns: one string out of a list.

use std::ops::Deref;

use viser4d_proto::messages::{GuiDropdownMessage, GuiDropdownProps, GuiUpdateMessage};
use viser4d_proto::{Message, Value};

use crate::error::{Result, ServerError};
use crate::gui::registry::EntryKind;
use crate::gui::value::ValueRule;
use crate::gui::{GuiApi, GuiInputHandle, check_options};

/// Options of [`GuiApi::add_dropdown`].
#[derive(Debug, Clone, PartialEq)]
pub struct DropdownOptions {
    /// The option selected at first; default: the first one.
    pub initial: Option<String>,
    /// Greyed out.
    pub disabled: bool,
    /// Shown (default true).
    pub visible: bool,
    /// Hover text.
    pub hint: Option<String>,
    /// Place among its siblings (smallest first); default: after them.
    pub order: Option<f64>,
}

impl Default for DropdownOptions {
    fn default() -> DropdownOptions {
        DropdownOptions {
            initial: None,
            disabled: false,
            visible: true,
            hint: None,
            order: None,
        }
    }
}

/// A dropdown. Its value is always one of its options:
/// [`GuiInputHandle::set_value`] refuses anything else.
#[derive(Debug, Clone)]
pub struct DropdownHandle(GuiInputHandle<String>);

impl Deref for DropdownHandle {
    type Target = GuiInputHandle<String>;
    fn deref(&self) -> &GuiInputHandle<String> {
        &self.0
    }
}

impl DropdownHandle {
    /// The options, in order.
    pub fn options(&self) -> Result<Vec<String>> {
        self.0.element().read(|entry| match &entry.check {
            Some(check) => match &check.rule {
                ValueRule::OneOf(options) => options.clone(),
                _ => Vec::new(),
            },
            None => Vec::new(),
        })
    }

    /// Replaces the options. If the value is not among them, it becomes the
    /// first option (as in viser); callbacks do not run for that.
    pub fn set_options<S: AsRef<str>>(&self, options: &[S]) -> Result<()> {
        let options: Vec<String> = options.iter().map(|o| o.as_ref().to_owned()).collect();
        check_options(&options)?;
        let element = self.0.element();
        let mut state = element.shared().lock();
        let entry = state
            .gui
            .get_mut(element.uuid())
            .ok_or_else(|| element.removed())?;
        let Some(check) = entry.check.as_mut() else {
            return Err(element.removed());
        };
        check.rule = ValueRule::OneOf(options.clone());
        let keep = entry
            .value
            .as_str()
            .is_some_and(|v| options.iter().any(|o| o == v));
        // `check_options` guarantees a first option.
        let first = options.first().cloned().unwrap_or_default();
        let new_value = (!keep).then(|| Value::Str(first));
        if let Some(value) = &new_value {
            entry.value = value.clone();
        }
        let wire_options = Value::Array(options.into_iter().map(Value::Str).collect());
        // Two updates, as viser sends them: each coalesces with later
        // updates of the same property.
        let mut updates = vec![("options".to_owned(), wire_options)];
        if let Some(value) = new_value {
            updates.push(("value".to_owned(), value));
        }
        for update in updates {
            let message = Message::from(GuiUpdateMessage {
                uuid: element.uuid().to_owned(),
                updates: Value::Map(vec![update]),
            });
            state.send_live(element.scope(), message, None);
        }
        Ok(())
    }
}

impl GuiApi {
    /// Adds a dropdown offering `options` (at least one, no repeats).
    pub fn add_dropdown<S: AsRef<str>>(
        &self,
        label: &str,
        options: &[S],
        settings: DropdownOptions,
    ) -> Result<DropdownHandle> {
        let options: Vec<String> = options.iter().map(|o| o.as_ref().to_owned()).collect();
        check_options(&options)?;
        let initial = match settings.initial {
            Some(initial) if !options.contains(&initial) => {
                return Err(ServerError::invalid(
                    "initial",
                    format!("{initial:?} is not one of the options {options:?}"),
                ));
            }
            Some(initial) => initial,
            None => options.first().cloned().unwrap_or_default(),
        };
        let handle = self.add_input(
            &initial,
            EntryKind::Input,
            ValueRule::OneOf(options.clone()),
            settings.order,
            |uuid, container_uuid, order| {
                Message::from(GuiDropdownMessage {
                    uuid,
                    value: initial.clone(),
                    container_uuid,
                    props: GuiDropdownProps {
                        order,
                        label: label.to_owned(),
                        hint: settings.hint,
                        visible: settings.visible,
                        disabled: settings.disabled,
                        options,
                    },
                })
            },
        )?;
        Ok(DropdownHandle(handle))
    }
}
