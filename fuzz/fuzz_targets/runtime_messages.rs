#![no_main]
//! Any frame into the browser runtime's controller, as the page hands it
//! over: each timeline message (configure, blocks, overrides, transport
//! commands) is decoded and applied, with the clock moving between them and
//! a few animation ticks after. The runtime must refuse what is out of
//! bounds and never panic or size an allocation from an unchecked field.
use libfuzzer_sys::fuzz_target;
use viser4d_proto::timeline::{ClientMessage, ServerMessage};
use viser4d_runtime_wasm::controller::{Controller, SceneOut, Sink};

struct Page {
    now: f64,
    pushed: usize,
}

impl Sink for Page {
    fn now_ms(&self) -> f64 {
        self.now
    }
    fn push_scene(&mut self, messages: Vec<SceneOut>) {
        self.pushed += messages.len();
    }
    fn send(&mut self, _message: ClientMessage) {}
}

fuzz_target!(|data: &[u8]| {
    let Ok(frame) = viser4d_proto::decode_frame(bytes::Bytes::copy_from_slice(data)) else {
        return;
    };
    let mut controller = Controller::new();
    let mut page = Page { now: 0.0, pushed: 0 };
    controller.announce(&mut page);
    for message in &frame.messages {
        if let Some(message) = ServerMessage::from_any(message) {
            controller.handle(message, &mut page);
        }
        page.now += 40.0;
        controller.tick(&mut page);
    }
    for _ in 0..4 {
        page.now += 250.0;
        controller.tick(&mut page);
    }
});
