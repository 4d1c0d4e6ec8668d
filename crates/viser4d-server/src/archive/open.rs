//! `open_archive`: a server holding an archive's recording again, for
//! serving with callbacks and per-tab handles, more recording or editing.
//!
//! Blocks are read one at a time (checked against the manifest first) and
//! recorded into the store, which holds them like steps recorded live:
//! within its memory budget, spilling past it. The live scene comes back
//! as broadcast messages, the overrides as overrides.

use viser4d_proto::timeline::{
    PROTOCOL_REVISION, ServerMessage, TimelineBlock, TimelineConfigure, TimelineOverrides,
};
use viser4d_proto::{AnyMessage, Message};

use super::{ArchiveTarget, archive_error};
use crate::error::{Result, ServerError};
use crate::server::{Server, ServerBuilder};
use crate::shared::Scope;

impl ServerBuilder {
    /// Starts the server with the recording of the archive at `target` (a
    /// folder or an object-store URL, see [`ArchiveTarget`]) as its
    /// timeline: the archive's steps, fps, blocks, audio, overrides and
    /// live scene. The builder's network and memory settings apply; the
    /// timeline's shape comes from the archive. An archive of a range
    /// starts at its first block: the steps before are dropped, as by a
    /// retention limit.
    pub fn open_archive(self, target: impl Into<ArchiveTarget>) -> Result<Server> {
        self.open_archive_with_progress(target, |_, _| {})
    }

    /// [`ServerBuilder::open_archive`], calling `progress(blocks_done,
    /// blocks_total)` as blocks are loaded.
    pub fn open_archive_with_progress(
        self,
        target: impl Into<ArchiveTarget>,
        mut progress: impl FnMut(u32, u32),
    ) -> Result<Server> {
        let target = target.into();
        let store = target.open()?;
        let (_, manifest) = super::read_manifest(store.as_ref(), &target)?;
        if manifest.protocol != PROTOCOL_REVISION {
            return Err(archive_error(
                &target,
                format!(
                    "its blocks are for timeline protocol {}, this viser4d reads {PROTOCOL_REVISION} (written by {})",
                    manifest.protocol, manifest.writer
                ),
            ));
        }
        let timeline = store.get(&manifest.timeline)?;
        viser4d_proto::archive::verify_content_name(&manifest.timeline, &timeline)
            .map_err(|e| archive_error(&target, e))?;
        let mut messages = viser4d_proto::timeline::unpack_messages(&timeline)
            .map_err(|e| archive_error(&target, format!("{}: {e}", manifest.timeline)))?
            .into_iter();
        let (
            Some(ServerMessage::TimelineConfigure(configure)),
            Some(ServerMessage::TimelineOverrides(overrides)),
        ) = (messages.next(), messages.next())
        else {
            return Err(archive_error(
                &target,
                format!(
                    "{} does not hold a configuration and overrides",
                    manifest.timeline
                ),
            ));
        };
        configure
            .check()
            .map_err(|e| archive_error(&target, format!("{}: {e}", manifest.timeline)))?;
        let scene = store.get(&manifest.scene)?;
        viser4d_proto::archive::verify_content_name(&manifest.scene, &scene)
            .map_err(|e| archive_error(&target, e))?;
        let scene = viser4d_proto::decode_recording(&scene)
            .map_err(|e| archive_error(&target, format!("{}: {e}", manifest.scene)))?;
        let live = scene
            .messages
            .into_iter()
            .filter(|(_, m)| !super::is_runtime_script(m))
            .filter_map(|(_, m)| match m {
                AnyMessage::Viser(m) => Some(m),
                AnyMessage::Custom(_) => None,
            })
            .collect();
        let blocks = manifest.blocks.iter().map(|entry| {
            let bytes = store.get_at_most(&entry.file, entry.bytes)?;
            entry.decode(&bytes).map_err(|e| archive_error(&target, e))
        });
        let total = manifest.blocks.len() as u32;
        self.load(live, configure, overrides, blocks, total, &mut progress)
    }

    /// Starts the server with a `.viser` recording that viser4d wrote (an
    /// export) as its timeline, like [`ServerBuilder::open_archive`]: for
    /// serving it with callbacks and per-tab handles, recording on, or
    /// saving it as an archive. A recording with no viser4d timeline
    /// (Python viser's) is refused: serve it as a file instead
    /// ([`ServerBuilder::recording`]).
    pub fn open_recording(self, recording: &[u8]) -> Result<Server> {
        self.open_recording_range(recording)
            .map(|(server, _)| server)
    }

    /// [`ServerBuilder::open_recording`], and the first step of the
    /// recording's range.
    pub(crate) fn open_recording_range(self, recording: &[u8]) -> Result<(Server, u32)> {
        let invalid = |reason: String| ServerError::invalid("recording", reason);
        let decoded = viser4d_proto::decode_recording(recording)
            .map_err(|e| invalid(format!("not a valid .viser recording: {e}")))?;
        let mut live = Vec::new();
        let (mut configure, mut overrides, mut blocks) = (None, None, Vec::new());
        for (_, message) in decoded.messages {
            match ServerMessage::from_any(&message) {
                Some(ServerMessage::TimelineBlock(b)) => blocks.push(b),
                Some(ServerMessage::TimelineConfigure(c)) => configure = Some(c),
                Some(ServerMessage::TimelineOverrides(o)) => overrides = Some(o),
                Some(_) => {}
                None if super::is_runtime_script(&message) => {}
                None => {
                    if let AnyMessage::Viser(m) = message {
                        live.push(m);
                    }
                }
            }
        }
        let (Some(configure), Some(overrides)) = (configure, overrides) else {
            return Err(invalid(
                "this recording has no viser4d timeline (a Python viser recording?): `viser4d html` makes a page of it, `viser4d serve` plays it"
                    .into(),
            ));
        };
        configure
            .check()
            .map_err(|e| invalid(format!("its timeline configuration: {e}")))?;
        blocks.sort_by_key(|b| b.index);
        blocks.dedup_by_key(|b| b.index);
        let total = blocks.len() as u32;
        let first = configure.first_step;
        let server = self.load(
            live,
            configure,
            overrides,
            blocks.into_iter().map(Ok),
            total,
            &mut |_, _| {},
        )?;
        Ok((server, first))
    }

    /// Starts the server and records `blocks` (in index order) into its
    /// timeline; the live scene and overrides as they were.
    fn load(
        self,
        live: Vec<Message>,
        configure: TimelineConfigure,
        overrides: TimelineOverrides,
        blocks: impl Iterator<Item = Result<TimelineBlock>>,
        total: u32,
        progress: &mut dyn FnMut(u32, u32),
    ) -> Result<Server> {
        let server = self
            .num_steps(configure.num_steps)
            .fps(configure.fps)
            .block_size(configure.block_size)
            .start()?;
        server.shared.send(Scope::Broadcast, live)?;
        let starts = configure.starts();
        let mut first_step = None;
        let mut previous: Option<u32> = None;
        for (done, block) in blocks.enumerate() {
            // Read and checked off the lock; recorded under it.
            let block = block?;
            // Each block holds on from the one before: only the first is
            // loaded with its checkpoint.
            if previous.is_some_and(|p| Some(block.index) != p.checked_add(1)) {
                return Err(ServerError::invalid(
                    "archive",
                    format!(
                        "block {} follows block {previous:?}: blocks must be consecutive",
                        block.index
                    ),
                ));
            }
            previous = Some(block.index);
            first_step.get_or_insert(starts.get(block.index as usize).copied().unwrap_or(0));
            let mut state = server.shared.lock();
            let timeline = state.timeline.as_mut().ok_or(ServerError::NoTimeline)?;
            timeline.load_archived_block(block, done == 0)?;
            drop(state);
            progress(done as u32 + 1, total);
        }
        let mut state = server.shared.lock();
        let timeline = state.timeline.as_mut().ok_or(ServerError::NoTimeline)?;
        timeline.finish_loading(
            configure
                .global_defaults
                .into_iter()
                .map(|d| d.message_type),
            overrides,
            first_step.unwrap_or(0),
        )?;
        drop(state);
        Ok(server)
    }
}

impl Server {
    /// [`ServerBuilder::open_archive`] with the default settings (port
    /// 8080 on localhost).
    pub fn open_archive(target: impl Into<ArchiveTarget>) -> Result<Server> {
        Server::builder().open_archive(target)
    }
}
