//! The block's byte format: what a server sends and a browser decodes.
//!
//! A block is a msgpack array (the header) holding two sections as msgpack
//! `bin` values: the checkpoint (optional while the store has not computed
//! it) and the step deltas. A section is msgpack, zstd-compressed only where
//! it pays. The deltas section is a name table and one such section per
//! step, so a client decodes only the steps it crosses (a cold seek to a
//! block's first step decodes its checkpoint and one step). Keeping the
//! sections apart also lets the store re-encode a block whose checkpoint
//! changed by copying its deltas untouched, and lets a decoder borrow every
//! section straight from the input.
//!
//! Inside a section, node names and symbols are indices into a name table
//! written at the section's end, so a name repeated on every step is stored
//! and decoded once. Payloads are plain `rmp-serde` output with structs as
//! maps; when the proto crate lands, its encoder (binary arrays as aligned
//! buffers that decoding borrows) replaces it here.
//!
//! ```text
//! header     ["v4dblk", version, [index, first_step, num_steps, deltas_rev, checkpoint_rev],
//!             checkpoint: nil | section, deltas: section]
//! section    [codec (0 raw, 1 zstd), raw_len, bin]
//! checkpoint [names, bin([revision, globals, nodes])]
//! deltas     [names, [step section, ...]]        (never compressed as a whole)
//! step       [removed, globals, nodes, audio]
//! globals    [[type, rev, payload], ...]
//! nodes      [[name, nil | [rev, payload], props, messages], ...]
//! ```

use std::cell::RefCell;
use std::collections::HashMap;

use std::marker::PhantomData;

use serde::de::{self, DeserializeSeed, SeqAccess, Visitor};
use serde::ser::{SerializeSeq, SerializeTuple};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::compression::{Compression, Packer, zstd_decompress};
use crate::delta::StepDelta;
use crate::error::{DecodeError, EncodeError};
use crate::hasher::FxBuild;
use crate::key::{NodeName, Symbol};
use crate::payload::Payload;
use crate::scene::{Entry, Node, NodeMap, Scene, SymbolMap, sorted};
use crate::state::State;

const MAGIC: &str = "v4dblk";
const VERSION: u32 = 1;
const CODEC_RAW: u8 = 0;
const CODEC_ZSTD: u8 = 1;
/// Largest decompressed section accepted, against bytes that claim absurd sizes.
const MAX_SECTION_BYTES: u64 = 1 << 30;

/// Identity and extent of a block, as written in its header.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct BlockMeta {
    pub index: u32,
    pub first_step: u32,
    pub num_steps: u32,
    pub deltas_rev: u64,
    pub checkpoint_rev: u64,
}

/// One encoded section, borrowed from the block's bytes.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub(crate) struct SectionRef<'a> {
    codec: u8,
    raw_len: u64,
    #[serde(borrow, with = "serde_bytes")]
    data: &'a [u8],
}

/// One encoded section, owned.
#[derive(Debug)]
pub(crate) struct Section {
    codec: u8,
    raw_len: u64,
    data: Vec<u8>,
}

impl Section {
    pub fn as_ref(&self) -> SectionRef<'_> {
        SectionRef {
            codec: self.codec,
            raw_len: self.raw_len,
            data: &self.data,
        }
    }

    fn pack(raw: Vec<u8>, packer: &mut Packer) -> Result<Self, EncodeError> {
        let raw_len = raw.len() as u64;
        Ok(match packer.compress(&raw)? {
            Some(data) => Self {
                codec: CODEC_ZSTD,
                raw_len,
                data,
            },
            None => Self {
                codec: CODEC_RAW,
                raw_len,
                data: raw,
            },
        })
    }
}

/// A block's header with its sections borrowed from the bytes.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Header<'a> {
    #[serde(borrow)]
    magic: &'a str,
    version: u32,
    pub meta: BlockMeta,
    #[serde(borrow)]
    pub checkpoint: Option<SectionRef<'a>>,
    #[serde(borrow)]
    pub deltas: SectionRef<'a>,
}

/// The first bytes of every block: a 5-element msgpack array, then the
/// fixstr magic.
const PREFIX: [u8; 8] = [0x95, 0xa6, b'v', b'4', b'd', b'b', b'l', b'k'];

/// Reads a block's header without touching its sections.
pub(crate) fn read_header(bytes: &[u8]) -> Result<Header<'_>, DecodeError> {
    if !bytes.starts_with(&PREFIX) {
        return Err(DecodeError::NotABlock { expected: MAGIC });
    }
    let header: Header<'_> = rmp_serde::from_slice(bytes)?;
    if header.magic != MAGIC {
        return Err(DecodeError::NotABlock { expected: MAGIC });
    }
    if header.version != VERSION {
        return Err(DecodeError::Version {
            found: header.version,
            expected: VERSION,
        });
    }
    Ok(header)
}

/// Writes a block from its sections.
pub(crate) fn assemble(
    meta: BlockMeta,
    checkpoint: Option<SectionRef<'_>>,
    deltas: SectionRef<'_>,
) -> Result<Vec<u8>, EncodeError> {
    let header = Header {
        magic: MAGIC,
        version: VERSION,
        meta,
        checkpoint,
        deltas,
    };
    let size = 64 + deltas.data.len() + checkpoint.map_or(0, |c| c.data.len());
    let mut out = Vec::with_capacity(size);
    header.serialize(&mut rmp_serde::Serializer::new(&mut out))?;
    Ok(out)
}

/// The section's msgpack bytes, decompressed if needed.
fn unpack(section: SectionRef<'_>) -> Result<std::borrow::Cow<'_, [u8]>, DecodeError> {
    if section.raw_len > MAX_SECTION_BYTES {
        return Err(DecodeError::TooLarge {
            size: section.raw_len,
            limit: MAX_SECTION_BYTES,
        });
    }
    let raw_len = usize::try_from(section.raw_len).map_err(|_| DecodeError::TooLarge {
        size: section.raw_len,
        limit: usize::MAX as u64,
    })?;
    match section.codec {
        CODEC_RAW if section.data.len() == raw_len => Ok(section.data.into()),
        CODEC_RAW => Err(DecodeError::LengthMismatch {
            declared: section.raw_len,
            found: section.data.len() as u64,
        }),
        CODEC_ZSTD => Ok(zstd_decompress(section.data, raw_len)?.into()),
        other => Err(DecodeError::UnknownCodec(other)),
    }
}

// ---------------------------------------------------------------- encoding

/// Assigns name-table indices while a section is serialized.
#[derive(Default)]
struct NameIndex<'s> {
    /// By address: names are shared `Arc<str>`s, so most lookups hit here
    /// and hash one word instead of the whole string.
    by_address: HashMap<usize, u32, FxBuild>,
    by_text: HashMap<&'s str, u32, FxBuild>,
    names: Vec<&'s str>,
}

struct Names<'s>(RefCell<NameIndex<'s>>);

impl<'s> Names<'s> {
    fn id(&self, name: &'s str) -> u32 {
        let mut table = self.0.borrow_mut();
        // Every name is a live, non-empty allocation borrowed for 's, so its
        // address identifies it.
        let address = name.as_ptr() as usize;
        if let Some(&id) = table.by_address.get(&address) {
            return id;
        }
        let id = match table.by_text.get(name) {
            Some(&id) => id,
            None => {
                let id = table.names.len() as u32;
                table.names.push(name);
                table.by_text.insert(name, id);
                id
            }
        };
        table.by_address.insert(address, id);
        id
    }
}

impl Serialize for Names<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.borrow().names.iter())
    }
}

/// `[[symbol, rev, payload], ...]`
struct EntriesSer<'c, 's, P> {
    names: &'c Names<'s>,
    map: &'s SymbolMap<P>,
}

impl<P: Payload> Serialize for EntriesSer<'_, '_, P> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.map.len()))?;
        for (symbol, entry) in self.map {
            seq.serialize_element(&(self.names.id(symbol.as_str()), entry.rev, &entry.value))?;
        }
        seq.end()
    }
}

/// `[[name, nil | [rev, payload], props, messages], ...]`
struct NodesSer<'c, 's, P> {
    names: &'c Names<'s>,
    nodes: &'s NodeMap<P>,
}

impl<P: Payload> Serialize for NodesSer<'_, '_, P> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.nodes.len()))?;
        for (name, node) in sorted(self.nodes) {
            let create = node.create.as_ref().map(|e| (e.rev, &e.value));
            let props = EntriesSer {
                names: self.names,
                map: &node.props,
            };
            let messages = EntriesSer {
                names: self.names,
                map: &node.messages,
            };
            seq.serialize_element(&(self.names.id(name.as_str()), create, props, messages))?;
        }
        seq.end()
    }
}

/// `[revision, globals, nodes]`
struct CheckpointSer<'c, 's, P> {
    names: &'c Names<'s>,
    state: &'s State<P>,
}

impl<P: Payload> Serialize for CheckpointSer<'_, '_, P> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut tuple = serializer.serialize_tuple(3)?;
        tuple.serialize_element(&self.state.revision)?;
        tuple.serialize_element(&EntriesSer {
            names: self.names,
            map: &self.state.scene.globals,
        })?;
        tuple.serialize_element(&NodesSer {
            names: self.names,
            nodes: &self.state.scene.nodes,
        })?;
        tuple.end()
    }
}

/// `[removed, globals, nodes, audio]`
struct StepSer<'c, 's, P> {
    names: &'c Names<'s>,
    delta: &'s StepDelta<P>,
}

impl<P: Payload> Serialize for StepSer<'_, '_, P> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let names = self.names;
        let delta = self.delta;
        let removed: Vec<u32> = delta.removed.iter().map(|n| names.id(n.as_str())).collect();
        let globals = EntriesSer {
            names,
            map: &delta.puts.globals,
        };
        let nodes = NodesSer {
            names,
            nodes: &delta.puts.nodes,
        };
        (removed, globals, nodes, &delta.audio).serialize(serializer)
    }
}

fn to_msgpack<T: Serialize>(value: &T, size_hint: usize) -> Result<Vec<u8>, EncodeError> {
    let mut out = Vec::with_capacity(size_hint);
    value.serialize(&mut rmp_serde::Serializer::new(&mut out).with_struct_map())?;
    Ok(out)
}

/// Encodes a checkpoint into a section.
pub(crate) fn checkpoint_section<P: Payload>(
    state: &State<P>,
    compression: Compression,
) -> Result<Section, EncodeError> {
    let names = Names(RefCell::default());
    let body = to_msgpack(
        &CheckpointSer {
            names: &names,
            state,
        },
        state.approx_bytes() / 2,
    )?;
    // The names go first so that a decoder resolves them while it reads.
    let raw = to_msgpack(&(&names, serde_bytes::Bytes::new(&body)), body.len() + 1024)?;
    Section::pack(raw, &mut compression.packer())
}

/// Encodes a block's `num_steps` step deltas into a section: the name table
/// and one section per step. Steps past the end of `deltas` are empty.
pub(crate) fn deltas_section<P: Payload>(
    deltas: &[StepDelta<P>],
    num_steps: u32,
    compression: Compression,
) -> Result<Section, EncodeError> {
    let names = Names(RefCell::default());
    let empty = StepDelta::new();
    let mut packer = compression.packer();
    let steps = deltas
        .iter()
        .chain(std::iter::repeat(&empty))
        .take(num_steps as usize)
        .map(|delta| {
            let raw = to_msgpack(
                &StepSer {
                    names: &names,
                    delta,
                },
                delta.approx_bytes() / 2,
            )?;
            Section::pack(raw, &mut packer)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let size = steps.iter().map(|s| s.data.len() + 16).sum::<usize>() + 64;
    let step_refs: Vec<SectionRef<'_>> = steps.iter().map(Section::as_ref).collect();
    let raw = to_msgpack(&(&names, step_refs), size)?;
    Ok(Section {
        codec: CODEC_RAW,
        raw_len: raw.len() as u64,
        data: raw,
    })
}

// ---------------------------------------------------------------- decoding

/// The checkpoint section's outer level: names, then the body.
#[derive(Deserialize)]
struct CheckpointTable<'a>(
    #[serde(borrow)] Vec<&'a str>,
    #[serde(borrow, with = "serde_bytes")] &'a [u8],
);

/// Reads `[[symbol, rev, payload], ...]` straight into a [`SymbolMap`].
struct EntriesSeed<'n, P>(&'n NameTable, PhantomData<P>);

impl<'de, P: Deserialize<'de>> DeserializeSeed<'de> for EntriesSeed<'_, P> {
    type Value = SymbolMap<P>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<SymbolMap<P>, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, P: Deserialize<'de>> Visitor<'de> for EntriesSeed<'_, P> {
    type Value = SymbolMap<P>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a list of [symbol, revision, payload]")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<SymbolMap<P>, A::Error> {
        let mut pairs = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some((symbol, rev, value)) = seq.next_element::<(u32, u64, P)>()? {
            let symbol = self.0.symbol(symbol).map_err(de::Error::custom)?;
            pairs.push((symbol, Entry { rev, value }));
        }
        Ok(SymbolMap::from_unsorted(pairs))
    }
}

/// Reads `[[name, nil | [rev, payload], props, messages], ...]` into a node map.
struct NodesSeed<'n, P>(&'n NameTable, PhantomData<P>);

impl<'de, P: Deserialize<'de>> DeserializeSeed<'de> for NodesSeed<'_, P> {
    type Value = NodeMap<P>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, P: Deserialize<'de>> Visitor<'de> for NodesSeed<'_, P> {
    type Value = NodeMap<P>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a list of nodes")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let capacity = seq.size_hint().unwrap_or(0).min(4096);
        let mut nodes = NodeMap::with_capacity_and_hasher(capacity, FxBuild::default());
        while let Some(node) = seq.next_element_seed(NodeSeed(self.0, PhantomData))? {
            if let Some((name, node)) = node {
                nodes.insert(name, node);
            }
        }
        Ok(nodes)
    }
}

/// Reads one node; `None` for a node without any key.
struct NodeSeed<'n, P>(&'n NameTable, PhantomData<P>);

impl<'de, P: Deserialize<'de>> DeserializeSeed<'de> for NodeSeed<'_, P> {
    type Value = Option<(NodeName, Node<P>)>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, P: Deserialize<'de>> Visitor<'de> for NodeSeed<'_, P> {
    type Value = Option<(NodeName, Node<P>)>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[name, creation, properties, messages]")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let missing = || de::Error::custom("node with fewer than 4 fields");
        let name: u32 = seq.next_element()?.ok_or_else(missing)?;
        let create: Option<(u64, P)> = seq.next_element()?.ok_or_else(missing)?;
        let props = seq
            .next_element_seed(EntriesSeed(self.0, PhantomData))?
            .ok_or_else(missing)?;
        let messages = seq
            .next_element_seed(EntriesSeed(self.0, PhantomData))?
            .ok_or_else(missing)?;
        let node = Node {
            create: create.map(|(rev, value)| Entry { rev, value }),
            props,
            messages,
        };
        if node.is_empty() {
            return Ok(None);
        }
        let name = self.0.node(name).map_err(de::Error::custom)?;
        Ok(Some((name, node)))
    }
}

/// Reads `[revision, globals, nodes]` into a state.
struct CheckpointSeed<'n, P>(&'n NameTable, PhantomData<P>);

impl<'de, P: Payload> DeserializeSeed<'de> for CheckpointSeed<'_, P> {
    type Value = State<P>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<State<P>, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, P: Payload> Visitor<'de> for CheckpointSeed<'_, P> {
    type Value = State<P>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[revision, globals, nodes]")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<State<P>, A::Error> {
        let missing = || de::Error::custom("checkpoint with fewer than 3 fields");
        let revision: u64 = seq.next_element()?.ok_or_else(missing)?;
        let mut scene = Scene::default();
        scene.globals = seq
            .next_element_seed(EntriesSeed(self.0, PhantomData))?
            .ok_or_else(missing)?;
        scene.nodes = seq
            .next_element_seed(NodesSeed(self.0, PhantomData))?
            .ok_or_else(missing)?;
        scene.recount_bytes();
        Ok(State { scene, revision })
    }
}

/// Reads `[removed, globals, nodes, audio]` into a step delta.
struct StepSeed<'n, P>(&'n NameTable, PhantomData<P>);

impl<'de, P: Payload> DeserializeSeed<'de> for StepSeed<'_, P> {
    type Value = StepDelta<P>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<StepDelta<P>, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, P: Payload> Visitor<'de> for StepSeed<'_, P> {
    type Value = StepDelta<P>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[removed, globals, nodes, audio]")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<StepDelta<P>, A::Error> {
        let missing = || de::Error::custom("step with fewer than 4 fields");
        let removed: Vec<u32> = seq.next_element()?.ok_or_else(missing)?;
        let mut delta = StepDelta::default();
        for index in removed {
            delta.insert_removed(self.0.node(index).map_err(de::Error::custom)?);
        }
        delta.puts.globals = seq
            .next_element_seed(EntriesSeed(self.0, PhantomData))?
            .ok_or_else(missing)?;
        delta.puts.nodes = seq
            .next_element_seed(NodesSeed(self.0, PhantomData))?
            .ok_or_else(missing)?;
        delta.puts.recount_bytes();
        let audio: Vec<P> = seq.next_element()?.ok_or_else(missing)?;
        for event in audio {
            delta.push_audio(event);
        }
        Ok(delta)
    }
}

/// The deltas section's outer level: names, then one section per step.
#[derive(Deserialize)]
pub(crate) struct StepTable<'a>(
    #[serde(borrow)] pub Vec<&'a str>,
    #[serde(borrow)] pub Vec<SectionRef<'a>>,
);

/// Turns table indices into names; each name is checked and allocated
/// once, as a node name and as a symbol (whichever it is valid as).
#[derive(Debug)]
pub(crate) struct NameTable {
    nodes: Vec<Option<NodeName>>,
    symbols: Vec<Option<Symbol>>,
}

impl NameTable {
    pub fn new(table: &[&str]) -> Self {
        Self {
            nodes: table.iter().map(|n| NodeName::new(n).ok()).collect(),
            symbols: table.iter().map(|n| Symbol::new(n).ok()).collect(),
        }
    }

    fn node(&self, index: u32) -> Result<NodeName, DecodeError> {
        match self.nodes.get(index as usize) {
            Some(Some(name)) => Ok(name.clone()),
            Some(None) => Err(DecodeError::NameKind {
                index,
                kind: "node name",
            }),
            None => Err(DecodeError::NameIndex {
                index,
                len: self.nodes.len(),
            }),
        }
    }

    fn symbol(&self, index: u32) -> Result<Symbol, DecodeError> {
        match self.symbols.get(index as usize) {
            Some(Some(symbol)) => Ok(symbol.clone()),
            Some(None) => Err(DecodeError::NameKind {
                index,
                kind: "symbol",
            }),
            None => Err(DecodeError::NameIndex {
                index,
                len: self.symbols.len(),
            }),
        }
    }
}

/// Decodes a checkpoint section.
pub(crate) fn decode_checkpoint<P: Payload>(
    section: SectionRef<'_>,
) -> Result<State<P>, DecodeError> {
    let raw = unpack(section)?;
    let CheckpointTable(table, body) = rmp_serde::from_slice(&raw)?;
    let names = NameTable::new(&table);
    let mut de = rmp_serde::Deserializer::from_read_ref(body);
    Ok(CheckpointSeed(&names, PhantomData).deserialize(&mut de)?)
}

/// Reads the outer level of a deltas section holding `num_steps` steps,
/// borrowing every step's section.
pub(crate) fn read_steps(
    section: SectionRef<'_>,
    num_steps: u32,
) -> Result<StepTable<'_>, DecodeError> {
    if section.codec != CODEC_RAW {
        return Err(DecodeError::UnknownCodec(section.codec));
    }
    let table: StepTable<'_> = rmp_serde::from_slice(section.data)?;
    if table.1.len() != num_steps as usize {
        return Err(DecodeError::StepCount {
            declared: num_steps,
            found: table.1.len(),
        });
    }
    Ok(table)
}

/// Decodes one step's section.
pub(crate) fn decode_step<P: Payload>(
    section: SectionRef<'_>,
    names: &NameTable,
) -> Result<StepDelta<P>, DecodeError> {
    let raw = unpack(section)?;
    let mut de = rmp_serde::Deserializer::from_read_ref(&*raw);
    Ok(StepSeed(names, PhantomData).deserialize(&mut de)?)
}

/// Decodes every step of a deltas section.
pub(crate) fn decode_deltas<P: Payload>(
    section: SectionRef<'_>,
    num_steps: u32,
) -> Result<Vec<StepDelta<P>>, DecodeError> {
    let StepTable(table, steps) = read_steps(section, num_steps)?;
    let names = NameTable::new(&table);
    steps.into_iter().map(|s| decode_step(s, &names)).collect()
}

impl SectionRef<'_> {
    /// Where the section's bytes lie inside `outer`, if they do.
    pub fn range_in(&self, outer: &[u8]) -> Option<std::ops::Range<usize>> {
        let start = (self.data.as_ptr() as usize).checked_sub(outer.as_ptr() as usize)?;
        let end = start.checked_add(self.data.len())?;
        (end <= outer.len()).then_some(start..end)
    }

    pub fn codec(&self) -> u8 {
        self.codec
    }

    pub fn raw_len(&self) -> u64 {
        self.raw_len
    }
}

impl<'a> SectionRef<'a> {
    pub fn new(codec: u8, raw_len: u64, data: &'a [u8]) -> Self {
        Self {
            codec,
            raw_len,
            data,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::{Key, Op};

    fn sample_deltas() -> Vec<StepDelta<String>> {
        let mut deltas = vec![StepDelta::new(), StepDelta::new(), StepDelta::new()];
        let ops = [
            (0, Op::Put(Key::create("/a").expect("key"), "a".repeat(300))),
            (
                0,
                Op::Put(Key::prop("/a", "position").expect("key"), "p".into()),
            ),
            (0, Op::Put(Key::global("Fog").expect("key"), "fog".into())),
            (2, Op::RemoveNode(NodeName::new("/a").expect("name"))),
            (
                2,
                Op::Put(Key::node_message("Vis", "/a/b").expect("key"), "v".into()),
            ),
        ];
        for (rev, (step, op)) in (1..).zip(ops) {
            deltas[step].record(op, rev);
        }
        deltas[1].push_audio("beep".into());
        deltas
    }

    #[test]
    fn sections_round_trip_with_and_without_zstd() {
        let deltas = sample_deltas();
        let mut state = State::new();
        for d in &deltas {
            state.apply_delta(d);
        }
        for compression in [Compression::None, Compression::default()] {
            let section = deltas_section(&deltas, 3, compression).expect("encodes");
            let back: Vec<StepDelta<String>> = decode_deltas(section.as_ref(), 3).expect("decodes");
            assert_eq!(back, deltas);
            assert!(decode_deltas::<String>(section.as_ref(), 2).is_err());
            let section = checkpoint_section(&state, compression).expect("encodes");
            let back: State<String> = decode_checkpoint(section.as_ref()).expect("decodes");
            assert_eq!(back, state);
            assert_eq!(back.approx_bytes(), state.approx_bytes());
        }
    }

    #[test]
    fn header_borrows_sections_and_rejects_foreign_bytes() {
        let deltas = sample_deltas();
        let section = deltas_section(&deltas, 3, Compression::None).expect("encodes");
        let meta = BlockMeta {
            index: 3,
            first_step: 96,
            num_steps: 3,
            deltas_rev: 7,
            checkpoint_rev: 8,
        };
        let bytes = assemble(meta, None, section.as_ref()).expect("assembles");
        let header = read_header(&bytes).expect("reads");
        assert_eq!(header.meta, meta);
        assert!(header.checkpoint.is_none());
        let inside = bytes.as_ptr_range();
        assert!(
            inside.contains(&header.deltas.data.as_ptr()),
            "borrowed, not copied"
        );
        assert!(matches!(
            read_header(b"\x93\x01\x02\x03"),
            Err(DecodeError::NotABlock { .. })
        ));
        assert!(read_header(&bytes[..bytes.len() / 2]).is_err());
    }
}
