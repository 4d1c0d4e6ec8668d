//! Keys of the scene state: node names, symbols and [`Key`].
//!
//! A key is structured (which node, which property) so that removing a node
//! or re-creating it can find every key it affects without parsing strings.
//! Each key still has the canonical string form (`create:{n}`, `update:{n}:{p}`, ...), given by
//! `Display` and read back by `FromStr`:
//!
//! | key | string |
//! | --- | --- |
//! | [`Key::Create`] | `create:{name}` |
//! | [`Key::Prop`] | `update:{name}:{prop}` |
//! | [`Key::NodeMessage`] | `{type}:{name}` |
//! | [`Key::Global`] | `{type}` |

use std::borrow::Borrow;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::KeyError;

/// A shared string that compares fast: its first 16 bytes, zero-padded and
/// read big-endian, decide most comparisons in one integer compare (the same
/// order as the strings', so `Borrow<str>` lookups stay consistent). Names
/// like `/frames/123` share long prefixes, where `memcmp` calls dominated
/// map lookups.
#[derive(Clone)]
struct Text {
    head: u128,
    text: Arc<str>,
}

impl Text {
    fn new(text: &str) -> Self {
        let mut head = [0u8; 16];
        let bytes = text.as_bytes();
        let n = bytes.len().min(16);
        head[..n].copy_from_slice(&bytes[..n]);
        Self {
            head: u128::from_be_bytes(head),
            text: Arc::from(text),
        }
    }
}

impl PartialEq for Text {
    #[inline]
    fn eq(&self, other: &Self) -> bool {
        self.head == other.head && (Arc::ptr_eq(&self.text, &other.text) || self.text == other.text)
    }
}

impl Eq for Text {}

impl Ord for Text {
    #[inline]
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        // Equal heads only say the first 16 bytes match (or one name is the
        // other plus NUL bytes): the full comparison decides.
        self.head.cmp(&other.head).then_with(|| {
            if Arc::ptr_eq(&self.text, &other.text) {
                std::cmp::Ordering::Equal
            } else {
                self.text.cmp(&other.text)
            }
        })
    }
}

impl PartialOrd for Text {
    #[inline]
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl std::hash::Hash for Text {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        // As `str` hashes, for `Borrow<str>` lookups.
        self.text.hash(state);
    }
}

/// A scene node's path: `/`-separated, such as `/frames/3`.
///
/// The parent of `/a/b` is `/a`, the parent of `/a` is `/`, and `/` has no
/// parent. Names without a leading `/` are allowed (`a/b` has parent `a`,
/// `a` has none). Empty components and a trailing `/` are rejected, so
/// every name has exactly one spelling. Cloning is a reference-count bump.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeName(Text);

impl NodeName {
    /// Checks and wraps a node name.
    pub fn new(name: &str) -> Result<Self, KeyError> {
        check_node_name(name)?;
        Ok(Self(Text::new(name)))
    }

    /// The name as a string.
    pub fn as_str(&self) -> &str {
        &self.0.text
    }

    /// The parent node's name; `None` for `/` and for a top-level relative name.
    pub fn parent(&self) -> Option<&str> {
        parent_of(&self.0.text)
    }

    /// Whether `other` is strictly below this node.
    pub fn is_ancestor_of(&self, other: &str) -> bool {
        is_strict_ancestor(&self.0.text, other)
    }
}

/// The parent of a node name, by the rules of [`NodeName`].
pub(crate) fn parent_of(name: &str) -> Option<&str> {
    if name == "/" {
        return None;
    }
    match name.rfind('/') {
        Some(0) => Some("/"),
        Some(i) => name.get(..i),
        None => None,
    }
}

/// Iterates the strict ancestors of a node name, nearest first.
pub(crate) fn ancestors(name: &str) -> impl Iterator<Item = &str> {
    std::iter::successors(parent_of(name), |n| parent_of(n))
}

/// Whether `descendant` lies strictly below `ancestor`.
pub(crate) fn is_strict_ancestor(ancestor: &str, descendant: &str) -> bool {
    if ancestor == "/" {
        return descendant.len() > 1 && descendant.starts_with('/');
    }
    descendant.len() > ancestor.len()
        && descendant.starts_with(ancestor)
        && descendant.as_bytes().get(ancestor.len()) == Some(&b'/')
}

fn check_node_name(name: &str) -> Result<(), KeyError> {
    if name.is_empty() {
        return Err(KeyError::EmptyName);
    }
    if name == "/" {
        return Ok(());
    }
    let body = name.strip_prefix('/').unwrap_or(name);
    // An empty component, by bytes (splitting was most of a short name's
    // check, and every recorded call checks one).
    let empty_component = body.is_empty()
        || body.starts_with('/')
        || body.ends_with('/')
        || body.as_bytes().windows(2).any(|w| w == b"//");
    if empty_component {
        return Err(KeyError::EmptyComponent(name.to_owned()));
    }
    Ok(())
}

impl Borrow<str> for NodeName {
    fn borrow(&self) -> &str {
        &self.0.text
    }
}

impl AsRef<str> for NodeName {
    fn as_ref(&self) -> &str {
        &self.0.text
    }
}

impl fmt::Display for NodeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for NodeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl TryFrom<&str> for NodeName {
    type Error = KeyError;
    fn try_from(name: &str) -> Result<Self, KeyError> {
        Self::new(name)
    }
}

/// A message type (`SetSceneNodeVisibilityMessage`) or a property name
/// (`position`). Non-empty and without `:`, so key strings stay unambiguous.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Symbol(Text);

impl Symbol {
    /// Checks and wraps a symbol.
    pub fn new(symbol: &str) -> Result<Self, KeyError> {
        if symbol.is_empty() || symbol.bytes().any(|b| b == b':') {
            return Err(KeyError::InvalidSymbol(symbol.to_owned()));
        }
        Ok(Self(Text::new(symbol)))
    }

    /// Checks and wraps a message type for [`Key::NodeMessage`] or
    /// [`Key::Global`]: a symbol that is not `create` or `update`, which
    /// would make `{type}:{name}` read as another kind of key. Callers that
    /// record many messages of few types make each type's symbol once.
    pub fn message_type(ty: &str) -> Result<Self, KeyError> {
        message_type(ty)
    }

    /// The symbol as a string.
    pub fn as_str(&self) -> &str {
        &self.0.text
    }
}

/// A message type used in a key: also not `create` or `update`, which would
/// make `{type}:{name}` read as another kind of key.
fn message_type(ty: &str) -> Result<Symbol, KeyError> {
    if ty == "create" || ty == "update" {
        return Err(KeyError::ReservedType(ty.to_owned()));
    }
    Symbol::new(ty)
}

impl Borrow<str> for Symbol {
    fn borrow(&self) -> &str {
        &self.0.text
    }
}

impl AsRef<str> for Symbol {
    fn as_ref(&self) -> &str {
        &self.0.text
    }
}

impl fmt::Display for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

/// One key of the scene state.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum Key {
    /// A global message, one per type (fog, environment map): `{type}`.
    Global(Symbol),
    /// The message that creates a node: `create:{name}`.
    Create(NodeName),
    /// A per-node message such as `SetSceneNodeVisibilityMessage`: `{type}:{name}`.
    NodeMessage(Symbol, NodeName),
    /// One updated property of a node: `update:{name}:{prop}`.
    Prop(NodeName, Symbol),
}

impl Key {
    /// `create:{name}`.
    pub fn create(name: &str) -> Result<Self, KeyError> {
        Ok(Self::Create(NodeName::new(name)?))
    }

    /// `update:{name}:{prop}`.
    pub fn prop(name: &str, prop: &str) -> Result<Self, KeyError> {
        Ok(Self::Prop(NodeName::new(name)?, Symbol::new(prop)?))
    }

    /// `{type}:{name}`.
    pub fn node_message(ty: &str, name: &str) -> Result<Self, KeyError> {
        Ok(Self::NodeMessage(message_type(ty)?, NodeName::new(name)?))
    }

    /// `{type}`.
    pub fn global(ty: &str) -> Result<Self, KeyError> {
        Ok(Self::Global(message_type(ty)?))
    }

    /// The node this key belongs to; `None` for a global.
    pub fn node(&self) -> Option<&NodeName> {
        match self {
            Self::Global(_) => None,
            Self::Create(n) | Self::NodeMessage(_, n) | Self::Prop(n, _) => Some(n),
        }
    }

    /// A borrowed view of this key.
    pub fn as_key_ref(&self) -> KeyRef<'_> {
        match self {
            Self::Global(t) => KeyRef::Global(t),
            Self::Create(n) => KeyRef::Create(n),
            Self::NodeMessage(t, n) => KeyRef::NodeMessage(t, n),
            Self::Prop(n, p) => KeyRef::Prop(n, p),
        }
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.as_key_ref().fmt(f)
    }
}

impl FromStr for Key {
    type Err = KeyError;

    fn from_str(s: &str) -> Result<Self, KeyError> {
        if let Some(name) = s.strip_prefix("create:") {
            return Self::create(name);
        }
        if let Some(rest) = s.strip_prefix("update:") {
            let Some((name, prop)) = rest.rsplit_once(':') else {
                return Err(KeyError::Unparsable(s.to_owned()));
            };
            return Self::prop(name, prop);
        }
        match s.split_once(':') {
            Some((ty, name)) => Self::node_message(ty, name),
            None => Self::global(s),
        }
    }
}

impl Serialize for Key {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A borrowed key, as found inside a state, a delta or the overrides.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum KeyRef<'a> {
    /// See [`Key::Global`].
    Global(&'a Symbol),
    /// See [`Key::Create`].
    Create(&'a NodeName),
    /// See [`Key::NodeMessage`].
    NodeMessage(&'a Symbol, &'a NodeName),
    /// See [`Key::Prop`].
    Prop(&'a NodeName, &'a Symbol),
}

impl KeyRef<'_> {
    /// An owned copy (reference-count bumps only).
    pub fn to_key(&self) -> Key {
        match *self {
            Self::Global(t) => Key::Global(t.clone()),
            Self::Create(n) => Key::Create(n.clone()),
            Self::NodeMessage(t, n) => Key::NodeMessage(t.clone(), n.clone()),
            Self::Prop(n, p) => Key::Prop(n.clone(), p.clone()),
        }
    }

    /// The node this key belongs to; `None` for a global.
    pub fn node(&self) -> Option<&NodeName> {
        match *self {
            Self::Global(_) => None,
            Self::Create(n) | Self::NodeMessage(_, n) | Self::Prop(n, _) => Some(n),
        }
    }
}

impl fmt::Display for KeyRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Global(t) => write!(f, "{t}"),
            Self::Create(n) => write!(f, "create:{n}"),
            Self::NodeMessage(t, n) => write!(f, "{t}:{n}"),
            Self::Prop(n, p) => write!(f, "update:{n}:{p}"),
        }
    }
}

/// One recorded operation.
///
/// The server maps each viser message recorded inside a step to one op:
/// a node's creation message to `Put(Key::Create)`, a property update to
/// `Put(Key::Prop)`, a per-node message to `Put(Key::NodeMessage)`, a global
/// message to `Put(Key::Global)`, and a removal to `RemoveNode`.
#[derive(Clone, PartialEq, Debug)]
pub enum Op<P> {
    /// Store `P` under the key (last write wins; a `Create` also resets the
    /// node's own properties and per-node messages, keeping its children).
    Put(Key, P),
    /// Remove the node and its whole subtree.
    RemoveNode(NodeName),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_strings_round_trip() {
        for s in [
            "create:/a/b",
            "update:/a/b:position",
            "update:/a:b:wxyz",
            "SetSceneNodeVisibilityMessage:/a",
            "FogMessage",
            "create:/",
        ] {
            let key: Key = s.parse().expect("valid key");
            assert_eq!(key.to_string(), s);
        }
        assert_eq!(
            "update:/a:b:wxyz".parse::<Key>().ok(),
            Key::prop("/a:b", "wxyz").ok()
        );
    }

    #[test]
    fn bad_names_are_rejected() {
        assert!(NodeName::new("").is_err());
        assert!(NodeName::new("/a/").is_err());
        assert!(NodeName::new("/a//b").is_err());
        assert!(NodeName::new("//").is_err());
        assert!(Symbol::new("a:b").is_err());
        assert!(Key::global("create").is_err());
        assert!("update:/a".parse::<Key>().is_err());
    }

    #[test]
    fn fast_order_agrees_with_string_order() {
        let names = [
            "/",
            "/a",
            "/a\0",
            "/a-b",
            "/a/b",
            "/frames/10",
            "/frames/100",
            "/frames/9",
            "/a/very/long/name/past/sixteen",
            "/a/very/long/name/past/sixteen/x",
            "/b",
            "a",
        ];
        for x in names {
            for y in names {
                let (a, b) = (NodeName::new(x), NodeName::new(y));
                if let (Ok(a), Ok(b)) = (a, b) {
                    assert_eq!(a.cmp(&b), x.cmp(y), "{x:?} vs {y:?}");
                    assert_eq!(a == b, x == y);
                }
            }
        }
    }

    #[test]
    fn parents_and_ancestors() {
        let n = NodeName::new("/a/b/c").expect("valid");
        assert_eq!(n.parent(), Some("/a/b"));
        assert_eq!(ancestors("/a/b/c").collect::<Vec<_>>(), ["/a/b", "/a", "/"]);
        assert_eq!(ancestors("a/b").collect::<Vec<_>>(), ["a"]);
        assert_eq!(parent_of("/"), None);
        assert!(is_strict_ancestor("/a", "/a/b"));
        assert!(!is_strict_ancestor("/a", "/a-b"));
        assert!(!is_strict_ancestor("/a", "/a"));
        assert!(is_strict_ancestor("/", "/a"));
        assert!(!is_strict_ancestor("/", "a"));
    }
}
