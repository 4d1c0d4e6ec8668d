//! `open_archive`: a server holding an archive's recording again, for
//! serving with callbacks and per-tab handles, more recording or editing.
//!
//! Blocks are read one at a time (checked against the manifest first) and
//! recorded into the store, which holds them like steps recorded live:
//! within its memory budget, spilling past it. The live scene comes back
//! as broadcast messages, the overrides as overrides.

use viser4d_proto::archive::{ArchiveManifest, MANIFEST_FILE};
use viser4d_proto::timeline::{PROTOCOL_REVISION, ServerMessage};
use viser4d_proto::{AnyMessage, Message};

use super::{ArchiveTarget, archive_error_for};
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
        let json = store.get(MANIFEST_FILE).map_err(|e| {
            archive_error_for(
                &target,
                format!("not an archive (no readable {MANIFEST_FILE}): {e}"),
            )
        })?;
        let manifest = ArchiveManifest::parse(&json).map_err(|e| archive_error_for(&target, e))?;
        if manifest.protocol != PROTOCOL_REVISION {
            return Err(archive_error_for(
                &target,
                format!(
                    "its blocks are for timeline protocol {}, this viser4d reads {PROTOCOL_REVISION} (written by {})",
                    manifest.protocol, manifest.writer
                ),
            ));
        }
        let timeline = store.get(&manifest.timeline)?;
        let mut messages = viser4d_proto::timeline::unpack_messages(&timeline)
            .map_err(|e| archive_error_for(&target, format!("{}: {e}", manifest.timeline)))?
            .into_iter();
        let (
            Some(ServerMessage::TimelineConfigure(configure)),
            Some(ServerMessage::TimelineOverrides(overrides)),
        ) = (messages.next(), messages.next())
        else {
            return Err(archive_error_for(
                &target,
                format!(
                    "{} does not hold a configuration and overrides",
                    manifest.timeline
                ),
            ));
        };
        configure
            .check()
            .map_err(|e| archive_error_for(&target, format!("{}: {e}", manifest.timeline)))?;
        let scene = viser4d_proto::decode_recording(&store.get(&manifest.scene)?)
            .map_err(|e| archive_error_for(&target, format!("{}: {e}", manifest.scene)))?;
        let server = self
            .num_steps(configure.num_steps)
            .fps(configure.fps)
            .block_size(configure.block_size)
            .start()?;
        let live: Vec<Message> = scene
            .messages
            .into_iter()
            .filter_map(|(_, m)| match m {
                AnyMessage::Viser(m) => Some(m),
                AnyMessage::Custom(_) => None,
            })
            .collect();
        server.shared.send(Scope::Broadcast, live)?;
        let total = manifest.blocks.len() as u32;
        let first_step = manifest
            .blocks
            .first()
            .and_then(|b| configure.starts().get(b.index as usize).copied())
            .unwrap_or(0);
        for (done, entry) in manifest.blocks.iter().enumerate() {
            // Read and checked off the lock; recorded under it.
            let bytes = store.get(&entry.file)?;
            entry
                .verify(&bytes)
                .map_err(|e| archive_error_for(&target, e))?;
            let value = viser4d_proto::timeline::unpack(&bytes)
                .map_err(|e| archive_error_for(&target, format!("{}: {e}", entry.file)))?;
            let block = match ServerMessage::from_value(value) {
                Ok(Some(ServerMessage::TimelineBlock(b))) if b.index == entry.index => b,
                _ => {
                    return Err(archive_error_for(
                        &target,
                        format!("{} does not hold block {}", entry.file, entry.index),
                    ));
                }
            };
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
            first_step,
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
