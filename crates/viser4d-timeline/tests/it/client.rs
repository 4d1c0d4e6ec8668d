//! A model of the viewer: what it holds after receiving [`Emit`]s, checked
//! strictly (no property for a missing node, no child before its parent,
//! messages in phase order).

use std::collections::BTreeMap;

use viser4d_timeline::{Emit, Key, KeyRef};

use crate::model::{Flat, V, under};

#[derive(Clone, Debug, PartialEq)]
pub struct ClientNode {
    pub create: V,
    pub props: BTreeMap<String, V>,
    pub messages: BTreeMap<String, V>,
}

/// What a viewer shows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Client {
    pub globals: BTreeMap<String, V>,
    pub nodes: BTreeMap<String, ClientNode>,
}

fn parent(name: &str) -> Option<&str> {
    if name == "/" {
        return None;
    }
    match name.rfind('/') {
        Some(0) => Some("/"),
        Some(i) => Some(&name[..i]),
        None => None,
    }
}

impl Client {
    /// What a viewer showing `shown` holds: created nodes only.
    pub fn of(shown: &Flat) -> Self {
        let mut client = Self::default();
        for (key, v) in shown {
            if let Key::Create(n) = key {
                client.nodes.insert(
                    n.to_string(),
                    ClientNode {
                        create: *v,
                        props: BTreeMap::new(),
                        messages: BTreeMap::new(),
                    },
                );
            }
        }
        for (key, v) in shown {
            match key {
                Key::Global(t) => {
                    client.globals.insert(t.to_string(), *v);
                }
                Key::Prop(n, p) => {
                    if let Some(node) = client.nodes.get_mut(n.as_str()) {
                        node.props.insert(p.to_string(), *v);
                    }
                }
                Key::NodeMessage(t, n) => {
                    if let Some(node) = client.nodes.get_mut(n.as_str()) {
                        node.messages.insert(t.to_string(), *v);
                    }
                }
                Key::Create(_) => {}
            }
        }
        client
    }

    /// Applies emitted messages; `target` is the state they lead to. When
    /// they are one transition (`strict`: a diff or a single step), they
    /// must come in phase order (removals, globals, creations, properties)
    /// and create a parent before its children. (Several steps applied in
    /// order may legitimately create a child a step before its parent.)
    pub fn apply(
        &mut self,
        emits: &[Emit<'_, V>],
        target: &Flat,
        strict: bool,
    ) -> Result<(), String> {
        let mut phase = 0;
        for emit in emits {
            let this_phase = match emit {
                Emit::Remove(_) => 0,
                Emit::ClearGlobal(_) | Emit::Put(KeyRef::Global(_), _) => 1,
                Emit::Put(KeyRef::Create(_), _) => 2,
                Emit::Put(_, _) => 3,
            };
            if strict && this_phase < phase {
                return Err(format!("{emit:?} out of phase order in {emits:?}"));
            }
            phase = this_phase;
            match *emit {
                Emit::Remove(ref n) => self.nodes.retain(|m, _| !under(m, n.as_str())),
                Emit::ClearGlobal(ref t) => {
                    if self.globals.remove(t.as_str()).is_none() {
                        return Err(format!("cleared global {t:?} was not shown"));
                    }
                }
                Emit::Put(KeyRef::Global(t), v) => {
                    self.globals.insert(t.to_string(), *v);
                }
                Emit::Put(KeyRef::Create(n), v) => {
                    if let Some(p) = parent(n.as_str()) {
                        let parent_key = Key::create(p).map_err(|e| e.to_string())?;
                        if strict && target.contains_key(&parent_key) && !self.nodes.contains_key(p)
                        {
                            return Err(format!("{n:?} created before its parent in {emits:?}"));
                        }
                    }
                    let node = self.nodes.entry(n.to_string()).or_insert(ClientNode {
                        create: *v,
                        props: BTreeMap::new(),
                        messages: BTreeMap::new(),
                    });
                    node.create = *v;
                    node.props.clear();
                    node.messages.clear();
                }
                Emit::Put(KeyRef::Prop(n, p), v) => {
                    let Some(node) = self.nodes.get_mut(n.as_str()) else {
                        return Err(format!("property {p:?} sent to missing node {n:?}"));
                    };
                    node.props.insert(p.to_string(), *v);
                }
                Emit::Put(KeyRef::NodeMessage(t, n), v) => {
                    let Some(node) = self.nodes.get_mut(n.as_str()) else {
                        return Err(format!("message {t:?} sent to missing node {n:?}"));
                    };
                    node.messages.insert(t.to_string(), *v);
                }
            }
        }
        Ok(())
    }
}
