//! Notifications: toasts in the corner of the viewer.
//!
//! viser shows them per tab. Here [`GuiApi::add_notification`] on a tab's
//! GUI shows one to that tab; on the server's GUI it shows one to every tab
//! connected at that moment. A notification is an event, not state: a tab
//! that connects later does not get it, and updates and removal go to the
//! tabs that got it.

use std::sync::{Arc, Mutex, MutexGuard};

use viser4d_proto::Message;
use viser4d_proto::messages::{
    ColorSpec, NotificationProps, NotificationShowMessage, NotificationUpdateMessage,
    RemoveNotificationMessage,
};

use crate::error::{Result, ServerError};
use crate::gui::GuiApi;
use crate::shared::{ClientId, Scope, Shared};

/// Options of [`GuiApi::add_notification`].
#[derive(Debug, Clone, PartialEq)]
pub struct NotificationOptions {
    /// Shows a spinner instead of an icon.
    pub loading: bool,
    /// The user can close it (default true).
    pub with_close_button: bool,
    /// Closes itself after this many seconds; `None`: stays until closed or
    /// removed.
    pub auto_close_seconds: Option<f64>,
    /// Accent color (`None`: the theme's).
    pub color: Option<ColorSpec>,
}

impl Default for NotificationOptions {
    fn default() -> NotificationOptions {
        NotificationOptions {
            loading: false,
            with_close_button: true,
            auto_close_seconds: None,
            color: None,
        }
    }
}

#[derive(Debug)]
struct NotificationState {
    props: NotificationProps,
    removed: bool,
}

/// A notification shown in one or more tabs. Cloning the handle does not
/// clone the notification; after `remove()` every call returns
/// [`ServerError::Removed`].
#[derive(Clone)]
pub struct NotificationHandle {
    shared: Arc<Shared>,
    uuid: String,
    recipients: Arc<[ClientId]>,
    state: Arc<Mutex<NotificationState>>,
}

impl std::fmt::Debug for NotificationHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NotificationHandle")
            .field("uuid", &self.uuid)
            .field("recipients", &self.recipients)
            .finish()
    }
}

fn check_auto_close(seconds: Option<f64>) -> Result<()> {
    match seconds {
        Some(s) if !(s.is_finite() && s > 0.0) => Err(ServerError::invalid(
            "auto_close_seconds",
            format!("{s} must be finite and > 0"),
        )),
        _ => Ok(()),
    }
}

impl NotificationHandle {
    /// The notification's uuid (what the browser calls it).
    pub fn uuid(&self) -> &str {
        &self.uuid
    }

    /// The tabs it was shown to.
    pub fn recipients(&self) -> &[ClientId] {
        &self.recipients
    }

    fn lock(&self) -> Result<MutexGuard<'_, NotificationState>> {
        // A callback that panicked while holding this lock cannot have left
        // the props half-written (they are replaced field by field).
        let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if state.removed {
            return Err(ServerError::Removed {
                what: "notification",
                name: self.uuid.clone(),
            });
        }
        Ok(state)
    }

    /// Sends `message` to every recipient still connected.
    fn send(&self, message: Message) {
        let mut state = self.shared.lock();
        for id in self.recipients.iter() {
            state.send_live(Scope::Client(*id), message.clone(), None);
        }
    }

    /// Changes the props with `f` and sends them all, as viser does.
    fn update(&self, f: impl FnOnce(&mut NotificationProps)) -> Result<()> {
        let mut state = self.lock()?;
        f(&mut state.props);
        self.send(Message::from(NotificationUpdateMessage {
            uuid: self.uuid.clone(),
            props: state.props.clone(),
        }));
        Ok(())
    }

    /// Changes the title.
    pub fn set_title(&self, title: &str) -> Result<()> {
        self.update(|p| p.title = title.to_owned())
    }

    /// Changes the body text.
    pub fn set_body(&self, body: &str) -> Result<()> {
        self.update(|p| p.body = body.to_owned())
    }

    /// Shows or hides the spinner.
    pub fn set_loading(&self, loading: bool) -> Result<()> {
        self.update(|p| p.loading = loading)
    }

    /// Shows or hides the close button.
    pub fn set_with_close_button(&self, with_close_button: bool) -> Result<()> {
        self.update(|p| p.with_close_button = with_close_button)
    }

    /// Closes it after this many seconds (`None`: never by itself).
    pub fn set_auto_close_seconds(&self, seconds: Option<f64>) -> Result<()> {
        check_auto_close(seconds)?;
        self.update(|p| p.auto_close_seconds = seconds)
    }

    /// Changes the accent color (`None`: the theme's).
    pub fn set_color(&self, color: Option<ColorSpec>) -> Result<()> {
        self.update(|p| p.color = color)
    }

    /// Removes it from the tabs that show it.
    pub fn remove(&self) -> Result<()> {
        let mut state = self.lock()?;
        state.removed = true;
        self.send(Message::from(RemoveNotificationMessage {
            uuid: self.uuid.clone(),
        }));
        Ok(())
    }
}

impl GuiApi {
    /// Shows a notification: to this tab for a tab's GUI, to every tab
    /// connected now for the server's GUI.
    pub fn add_notification(
        &self,
        title: &str,
        body: &str,
        options: NotificationOptions,
    ) -> Result<NotificationHandle> {
        check_auto_close(options.auto_close_seconds)?;
        let recipients: Arc<[ClientId]> = match self.scope() {
            Scope::Client(id) => Arc::new([id]),
            Scope::Broadcast | Scope::Timeline => self.shared().client_ids().into(),
        };
        let props = NotificationProps {
            title: title.to_owned(),
            body: body.to_owned(),
            loading: options.loading,
            with_close_button: options.with_close_button,
            auto_close_seconds: options.auto_close_seconds,
            color: options.color,
        };
        let uuid = self.shared().lock().gui.new_uuid();
        let handle = NotificationHandle {
            shared: self.shared().clone(),
            uuid: uuid.clone(),
            recipients,
            state: Arc::new(Mutex::new(NotificationState {
                props: props.clone(),
                removed: false,
            })),
        };
        handle.send(Message::from(NotificationShowMessage { uuid, props }));
        Ok(handle)
    }
}
