#!/usr/bin/env python3
"""Generate `src/messages/generated.rs` from viser 1.1.1's `_messages.py`.

Run through `cargo xtask codegen` (which passes the `_messages.py` that
`cargo xtask dist` extracted from the verified wheel). The script only
*parses* the Python file with `ast`; it never imports viser, so it needs no
third-party package.

Why generate: viser 1.1.1 has ~180 wire classes. Transcribing them by hand
would drift; generating them, committing the output, and checking it with a
drift test written in Rust (`tests/it/drift.rs`, which re-reads
`_messages.py` independently) gives reviewable Rust types that cannot
silently diverge from the client.

Mapping rules (Python annotation -> Rust type):
- `float` -> `f64` (Python floats are doubles; msgspec writes float64),
  `int` -> `i64`, `bool`, `str` -> `String`, `bytes` -> `bytes::Bytes` (msgpack bin).
- `Tuple[int, int, int]` -> `Rgb` (`[u8; 3]`), `Tuple[int, int, int, int]` -> `Rgba`:
  in viser 1.1.1 every such field is a color.
- fixed tuples -> arrays, `Tuple[T, ...]` -> `Vec<T>`,
  `Optional[T]` / `Union[T, None]` -> `Option<T>`.
- `npt.NDArray[...]` -> `TypedArray` (sent as an out-of-band binary buffer).
- `Literal[...]` of strings -> a Rust enum; the well-known unions get
  hand-picked names (see UNIONS).
- `Dict[str, Any]`, `Any`, and the uplot/theme TypedDicts from other modules
  -> `Value` (kept as an ordered msgpack value tree; the client treats
  them as opaque JSON-like data).
"""

from __future__ import annotations

import ast
import re
import sys

RUST_KEYWORDS = {
    "type", "virtual", "loop", "move", "ref", "static", "self", "super", "crate",
    "match", "mod", "use", "fn", "let", "impl", "trait", "struct", "enum", "where",
    "async", "await", "dyn", "box", "final", "override", "macro", "abstract",
    "become", "do", "priv", "typeof", "unsized", "yield", "try", "gen",
}

# Literal value sets that occur more than once get one shared, readable name.
LITERAL_NAMES = {
    ("front", "back", "double"): "Side",
    ("standard", "toon3", "toon5"): "Material",
    ("jpeg", "png"): "ImageFormat",
    ("image/jpeg", "image/png"): "ImageMimeType",
    ("screen", "world"): "SizeUnits",
    ("left", "middle", "right"): "DragButton",
}

# Unions other than Optional. Every one in viser 1.1.1 is listed; an unknown
# union stops the generator so that a human names it.
UNIONS = {
    "Union[float, Tuple[float, float, float]]": "Scale",
    "Union[bool, float]": "ReceiveShadow",
    "Union[LiteralColor, Tuple[int, int, int]]": "ColorSpec",
    "Union[Literal['auto', 'off'], Tuple[Tuple[float, float], ...]]": "Lod",
    "Union[EdgePlacement, SplitPlacement, FloatPlacement]": "PanelPlacement",
}
UNION_DEFS = {
    "Scale": (
        "Uniform or per-axis scale (`Union[float, Tuple[float, float, float]]`).",
        [("Uniform", "f64"), ("PerAxis", "[f64; 3]")],
    ),
    "ReceiveShadow": (
        "`True`/`False`, or a fixed shadow opacity in [0, 1] (`Union[bool, float]`).",
        [("Enabled", "bool"), ("Opacity", "f64")],
    ),
    "ColorSpec": (
        "A named Mantine color or an RGB triple (`Union[LiteralColor, Tuple[int, int, int]]`).",
        [("Named", "LiteralColor"), ("Rgb", "Rgb")],
    ),
    "Lod": (
        "Level-of-detail setting: `\"auto\"`, `\"off\"`, or explicit (distance, ratio) pairs.",
        [("Mode", "LodMode"), ("Levels", "Vec<[f64; 2]>")],
    ),
    "PanelPlacement": (
        "Where a standalone GUI panel goes.",
        [("Edge", "EdgePlacement"), ("Split", "SplitPlacement"), ("Float", "FloatPlacement")],
    ),
}
EXTRA_LITERALS = {"LodMode": ("auto", "off")}

# Dataclasses in `_messages.py` that never go on the wire.
NOT_ON_THE_WIRE = {"EntityLifecycle"}


def camel(s: str) -> str:
    parts = re.split(r"[^0-9A-Za-z]+", s)
    out = "".join(p[:1].upper() + p[1:] for p in parts if p)
    if not out:
        out = "Empty"
    if out[0].isdigit():
        out = "Digit" + out
    return out


def snake_field(name: str) -> str:
    stripped = name.lstrip("_")
    if stripped in RUST_KEYWORDS:
        return "r#" + stripped
    return stripped


class Gen:
    def __init__(self, tree: ast.Module):
        self.aliases: dict[str, ast.expr] = {}
        self.classes: dict[str, ast.ClassDef] = {}
        for node in tree.body:
            if isinstance(node, ast.ClassDef):
                self.classes[node.name] = node
            elif isinstance(node, ast.Assign) and len(node.targets) == 1:
                t = node.targets[0]
                if isinstance(t, ast.Name):
                    self.aliases[t.id] = node.value
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
                self.aliases[node.target.id] = node.value
        self.literal_enums: dict[str, tuple[str, ...]] = dict(EXTRA_LITERALS)
        self.used_unions: set[str] = set()

    # -- class structure ------------------------------------------------
    def bases(self, name: str) -> list[str]:
        return [ast.unparse(b) for b in self.classes[name].bases]

    def is_message(self, name: str) -> bool:
        for b in self.bases(name):
            if b == "Message":
                return True
            if b in self.classes and self.is_message(b):
                return True
        return False

    def is_typed_dict(self, name: str) -> bool:
        return "TypedDict" in self.bases(name)

    def is_dataclass(self, name: str) -> bool:
        c = self.classes[name]
        return any("dataclass" in ast.unparse(d) for d in c.decorator_list)

    def own_fields(self, name: str) -> list[tuple[str, ast.expr, bool]]:
        out = []
        for s in self.classes[name].body:
            if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name):
                ann = ast.unparse(s.annotation)
                if ann.startswith("ClassVar"):
                    continue
                out.append((s.target.id, s.annotation, s.value is not None))
        return out

    def fields(self, name: str) -> list[tuple[str, ast.expr, bool]]:
        out: list[tuple[str, ast.expr, bool]] = []
        for b in self.bases(name):
            if b in self.classes and b not in ("Message",):
                out.extend(self.fields(b))
        # Dataclass semantics: a redeclared field keeps its first position.
        for f in self.own_fields(name):
            for i, g in enumerate(out):
                if g[0] == f[0]:
                    out[i] = f
                    break
            else:
                out.append(f)
        return out

    def wire_classes(self) -> list[str]:
        """Public message classes plus every struct-like type they reach."""
        return [n for n in self.classes if not n.startswith("_") and self.is_message(n)]

    # -- types ------------------------------------------------------------
    def literal_enum(self, values: tuple, hint: str) -> str:
        if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            return "i64"
        key = tuple(values)
        name = LITERAL_NAMES.get(key)
        if name is None:
            for n, vs in self.literal_enums.items():
                if vs == key:
                    return n
            name = hint
        existing = self.literal_enums.get(name)
        if existing is not None and existing != key:
            raise SystemExit(f"literal enum name clash: {name}: {existing} vs {key}")
        self.literal_enums[name] = key
        return name

    def rust_type(self, ann: ast.expr, hint: str) -> str:
        src = ast.unparse(ann)
        if isinstance(ann, ast.Constant) and isinstance(ann.value, str):
            return self.rust_type(ast.parse(ann.value, mode="eval").body, hint)
        if isinstance(ann, ast.Name):
            n = ann.id
            simple = {"float": "f64", "int": "i64", "bool": "bool", "str": "String", "bytes": "Bytes", "Any": "Value"}
            if n in simple:
                return simple[n]
            if n in self.aliases:
                alias = self.aliases[n]
                if isinstance(alias, ast.Subscript) and ast.unparse(alias.value) == "Literal":
                    return self.literal_enum(self.literal_values(alias), n.lstrip("_"))
                return self.rust_type(alias, n)
            if n in self.classes:
                return n.lstrip("_")
            raise SystemExit(f"unknown name in annotation: {n} ({hint})")
        if isinstance(ann, ast.Attribute):
            mod = ast.unparse(ann.value)
            if mod in ("uplot", "theme"):
                return "Value"
            raise SystemExit(f"unknown attribute type: {src} ({hint})")
        if isinstance(ann, ast.Subscript):
            head = ast.unparse(ann.value)
            sl = ann.slice
            args = list(sl.elts) if isinstance(sl, ast.Tuple) else [sl]
            if head == "Literal":
                return self.literal_enum(self.literal_values(ann), hint)
            if head == "Annotated":
                return self.rust_type(args[0], hint)
            if head == "npt.NDArray":
                return "TypedArray"
            if head in ("Dict", "dict"):
                return "Value"
            if head == "Optional":
                return f"Option<{self.rust_type(args[0], hint)}>"
            if head == "Union":
                non_none = [a for a in args if ast.unparse(a) != "None"]
                has_none = len(non_none) != len(args)
                if len(non_none) == 1:
                    inner = self.rust_type(non_none[0], hint)
                elif all(ast.unparse(a).startswith("npt.NDArray") for a in non_none):
                    inner = "TypedArray"
                else:
                    key = "Union[" + ", ".join(ast.unparse(a) for a in non_none) + "]"
                    if key not in UNIONS:
                        raise SystemExit(f"unmapped union {key} ({hint}); add it to UNIONS")
                    inner = UNIONS[key]
                    self.used_unions.add(inner)
                    # Make sure referenced literal aliases are registered.
                    for a in non_none:
                        self.rust_type(a, hint)
                return f"Option<{inner}>" if has_none else inner
            if head in ("Tuple", "tuple"):
                if len(args) == 2 and ast.unparse(args[1]) == "...":
                    return f"Vec<{self.rust_type(args[0], hint)}>"
                srcs = [ast.unparse(a) for a in args]
                if srcs == ["int"] * 3:
                    return "Rgb"
                if srcs == ["int"] * 4:
                    return "Rgba"
                inner = {self.rust_type(a, hint) for a in args}
                if len(inner) != 1:
                    raise SystemExit(f"heterogeneous tuple {src} ({hint})")
                return f"[{inner.pop()}; {len(args)}]"
        raise SystemExit(f"unsupported annotation {src} ({hint})")

    @staticmethod
    def literal_values(sub: ast.Subscript) -> tuple:
        sl = sub.slice
        elts = list(sl.elts) if isinstance(sl, ast.Tuple) else [sl]
        return tuple(e.value for e in elts)  # type: ignore[attr-defined]

    # -- emit ---------------------------------------------------------------
    def reachable_structs(self) -> list[str]:
        seen: list[str] = []

        def visit_ann(ann: ast.expr) -> None:
            for node in ast.walk(ann):
                if isinstance(node, ast.Constant) and isinstance(node.value, str):
                    try:
                        visit_ann(ast.parse(node.value, mode="eval").body)
                    except SyntaxError:
                        pass
                if isinstance(node, ast.Name) and node.id in self.classes:
                    visit_class(node.id)

        def visit_class(n: str) -> None:
            if n in seen or n.startswith("_"):
                return
            seen.append(n)
            for _, ann, _ in self.fields(n):
                visit_ann(ann)

        for m in self.wire_classes():
            visit_class(m)
        # Public bases such as GuiBaseProps reach the wire only through
        # inheritance; they get a type too, so every Python wire class has one.
        for n in self.classes:
            if n not in NOT_ON_THE_WIRE and (self.is_dataclass(n) or self.is_typed_dict(n)):
                visit_class(n)
        return seen

    def emit(self) -> str:
        structs = self.reachable_structs()
        messages = self.wire_classes()
        out: list[str] = []
        w = out.append
        w("// @generated by crates/viser4d-proto/codegen/gen_messages.py from viser 1.1.1")
        w("// `viser/_messages.py`. Do not edit by hand: run `cargo xtask codegen`.")
        w("")
        w("#![allow(clippy::large_enum_variant, clippy::struct_excessive_bools)]")
        w("")
        w("use bytes::Bytes;")
        w("use serde::{Deserialize, Serialize};")
        w("")
        w("use crate::typed_array::TypedArray;")
        w("use crate::value::Value;")
        w("")
        w("/// An RGB color, 0-255 per channel (`Tuple[int, int, int]` in viser).")
        w("pub type Rgb = [u8; 3];")
        w("/// An RGBA color, 0-255 per channel (`Tuple[int, int, int, int]` in viser).")
        w("pub type Rgba = [u8; 4];")
        w("")
        body: list[str] = []
        for n in structs:
            body.extend(self.emit_struct(n, n in messages))
        # Unions.
        for u in sorted(self.used_unions):
            doc, variants = UNION_DEFS[u]
            body.append(f"/// {doc}")
            body.append("#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]")
            body.append("#[serde(untagged)]")
            body.append(f"pub enum {u} {{")
            for vn, vt in variants:
                body.append(f"    /// The `{vt}` form.")
                body.append(f"    {vn}({vt}),")
            body.append("}")
            body.append("")
        # Literal enums (after structs so all are registered).
        lits: list[str] = []
        for name in sorted(self.literal_enums):
            values = self.literal_enums[name]
            lits.append(f"/// One of viser's literal strings: {', '.join(repr(v) for v in values)}.")
            lits.append("#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]")
            lits.append(f"pub enum {name} {{")
            variant_names = set()
            for v in values:
                vn = camel(str(v))
                if vn in variant_names:
                    raise SystemExit(f"variant clash in {name}: {vn}")
                variant_names.add(vn)
                lits.append(f"    /// viser's `{v}`.")
                lits.append(f"    #[serde(rename = {rust_str(v)})]")
                lits.append(f"    {vn},")
            lits.append("}")
            lits.append("")
            lits.append(f"impl {name} {{")
            lits.append("    /// The exact string viser puts on the wire.")
            lits.append("    pub fn as_str(self) -> &'static str {")
            lits.append("        match self {")
            for v in values:
                lits.append(f"            Self::{camel(str(v))} => {rust_str(v)},")
            lits.append("        }")
            lits.append("    }")
            lits.append("}")
            lits.append("")
            lits.append(f"impl std::fmt::Display for {name} {{")
            lits.append("    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {")
            lits.append("        f.write_str(self.as_str())")
            lits.append("    }")
            lits.append("}")
            lits.append("")
        out.extend(body)
        out.extend(lits)
        out.extend(self.emit_message_enum(messages))
        out.extend(self.emit_redundancy(messages))
        out.extend(self.emit_struct_registry(structs))
        return "\n".join(out).rstrip() + "\n"

    def emit_struct(self, name: str, is_message: bool) -> list[str]:
        # viser's docstrings are not Markdown: "[0,1]" would be a broken
        # intra-doc link, so brackets outside code spans are escaped.
        def md(line: str) -> str:
            parts = line.split("`")
            for i in range(0, len(parts), 2):
                parts[i] = parts[i].replace("[", "\\[").replace("]", "\\]")
            return "`".join(parts)

        c = self.classes[name]
        out: list[str] = []
        doc = ast.get_docstring(c)
        kind = "message" if is_message else ("TypedDict" if self.is_typed_dict(name) else "dataclass")
        if doc:
            for line in doc.strip().splitlines():
                out.append(("/// " + md(line)).rstrip())
            out.append("///")
        out.append(f"/// Python: `viser._messages.{name}` ({kind}).")
        out.append("#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]")
        out.append(f"pub struct {name} {{")
        fields = self.fields(name)
        docs = self.field_docs(name)
        for fname, ann, has_default in fields:
            rt = self.rust_type(ann, camel(name) + camel(fname))
            fd = docs.get(fname)
            if fd:
                for line in fd.strip().splitlines():
                    out.append(("    /// " + md(line.strip())).rstrip())
            else:
                # viser documents no such field; say at least what it is there.
                out.append(f"    /// `{fname}` of viser's `{name}` (`{ast.unparse(ann)}` in Python).")
            rust_name = snake_field(fname)
            attrs = []
            if rust_name.removeprefix("r#") != fname:
                attrs.append(f"rename = {rust_str(fname)}")
            if has_default:
                attrs.append("default")
            if attrs:
                out.append(f"    #[serde({', '.join(attrs)})]")
            out.append(f"    pub {rust_name}: {rt},")
        out.append("}")
        out.append("")
        if is_message:
            out.append(f"impl {name} {{")
            out.append("    /// The `type` tag of this message on the wire.")
            out.append(f"    pub const TYPE: &'static str = {rust_str(name)};")
            flag = self.scene_serialization_flag(name)
            out.append("    /// Whether viser writes this message into `.viser` recordings.")
            out.append(f"    pub const IN_SCENE_SERIALIZATION: bool = {'true' if flag else 'false'};")
            out.append("}")
            out.append("")
        return out

    def field_docs(self, name: str) -> dict[str, str]:
        docs: dict[str, str] = {}
        for b in self.bases(name):
            if b in self.classes:
                docs.update(self.field_docs(b))
        body = self.classes[name].body
        for i, s in enumerate(body):
            if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name) and i + 1 < len(body):
                nxt = body[i + 1]
                if isinstance(nxt, ast.Expr) and isinstance(nxt.value, ast.Constant) and isinstance(nxt.value.value, str):
                    docs[s.target.id] = nxt.value.value
        return docs

    def scene_serialization_flag(self, name: str) -> bool:
        for k in self.classes[name].keywords:
            if k.arg == "include_in_scene_serialization":
                return bool(ast.literal_eval(k.value))
        for b in self.bases(name):
            if b in self.classes:
                return self.scene_serialization_flag(b)
        raise SystemExit(f"{name}: no include_in_scene_serialization")

    def emit_message_enum(self, messages: list[str]) -> list[str]:
        out = []
        out.append("/// Every message class of viser 1.1.1. On the wire it is a map of the")
        out.append("/// message's fields followed by `type`, the class name (viser's order).")
        out.append("#[derive(Debug, Clone, PartialEq)]")
        out.append("pub enum Message {")
        for m in messages:
            out.append(f"    /// A [`{m}`].")
            out.append(f"    {m}({m}),")
        out.append("}")
        out.append("")
        for m in messages:
            out.append(f"impl From<{m}> for Message {{")
            out.append(f"    fn from(m: {m}) -> Self {{")
            out.append(f"        Message::{m}(m)")
            out.append("    }")
            out.append("}")
            out.append("")
        out.append("impl Serialize for Message {")
        out.append("    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {")
        out.append("        match self {")
        for m in messages:
            out.append(f"            Message::{m}(m) => crate::registry::serialize_type_last(m, {m}::TYPE, s),")
        out.append("        }")
        out.append("    }")
        out.append("}")
        out.append("")
        out.append("impl Message {")
        out.append("    /// The `type` tag of this message on the wire.")
        out.append("    pub fn type_name(&self) -> &'static str {")
        out.append("        match self {")
        for m in messages:
            out.append(f"            Message::{m}(_) => {m}::TYPE,")
        out.append("        }")
        out.append("    }")
        out.append("")
        out.append("    /// Whether viser writes this message into `.viser` recordings.")
        out.append("    pub fn in_scene_serialization(&self) -> bool {")
        out.append("        match self {")
        for m in messages:
            out.append(f"            Message::{m}(_) => {m}::IN_SCENE_SERIALIZATION,")
        out.append("        }")
        out.append("    }")
        out.append("}")
        out.append("")
        out.append("/// One entry per message class: its `type` tag and its decoder.")
        out.append("pub(crate) const MESSAGE_TYPES: &[crate::registry::MessageType] = &[")
        for m in messages:
            out.append("    crate::registry::MessageType {")
            out.append(f"        name: {m}::TYPE,")
            out.append(f"        decode: |v| {m}::deserialize(v).map(Message::{m}),")
            out.append("    },")
        out.append("];")
        out.append("")
        return out

    # -- entity lifecycle and redundancy keys --------------------------------
    def entity(self, name: str):
        for k in self.classes[name].keywords:
            if k.arg == "entity":
                call = k.value
                return tuple(ast.literal_eval(a) for a in call.args)  # type: ignore[attr-defined]
        for b in self.bases(name):
            if b in self.classes:
                e = self.entity(b)
                if e is not None:
                    return e
        return None

    def custom_key(self, name: str):
        for s in self.classes[name].body:
            if isinstance(s, ast.FunctionDef) and s.name == "redundancy_key":
                rets = [n for n in ast.walk(s) if isinstance(n, ast.Return)]
                if len(rets) != 1:
                    raise SystemExit(f"{name}.redundancy_key: expected one return")
                return rets[0].value
        for b in self.bases(name):
            if b in self.classes and b != "Message":
                r = self.custom_key(b)
                if r is not None:
                    return r
        return None

    def key_parts(self, name: str, expr: ast.expr) -> list[str]:
        """A `+` chain of literals, `type(self).__name__`, `self.x`, `str(self.x)`."""
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
            return self.key_parts(name, expr.left) + self.key_parts(name, expr.right)
        src = ast.unparse(expr)
        if src == "type(self).__name__":
            return [f"{rust_str(name)}.to_owned()"]
        if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
            return [f"{rust_str(expr.value)}.to_owned()"]
        m = re.fullmatch(r"(?:str\()?self\.(\w+)\)?", src)
        if m:
            return [f"m.{snake_field(m.group(1))}.to_string()"]
        raise SystemExit(f"{name}.redundancy_key: cannot translate {src}")

    def field_type(self, name: str, field: str):
        for f, ann, _ in self.fields(name):
            if f == field:
                return ast.unparse(ann)
        return None

    def emit_redundancy(self, messages: list[str]) -> list[str]:
        out = []
        out.append("impl Message {")
        out.append("    /// The entity lifecycle marker of this message class, if it has one")
        out.append("    /// (`entity=EntityLifecycle(...)` in `_messages.py`).")
        out.append("    pub fn entity(&self) -> Option<crate::entity::Entity<'_>> {")
        out.append("        use crate::entity::{Entity, EntityKind, Phase};")
        out.append("        match self {")
        for m in messages:
            e = self.entity(m)
            if e is None:
                continue
            kind, phase, id_field = e
            out.append(f"            Message::{m}(m) => Some(Entity {{")
            out.append(f"                kind: EntityKind::{camel(kind)},")
            out.append(f"                phase: Phase::{camel(phase)},")
            out.append(f"                id: &m.{snake_field(id_field)},")
            out.append("            }),")
        out.append("            _ => None,")
        out.append("        }")
        out.append("    }")
        out.append("")
        out.append("    /// The scene scope this message belongs to (its `owner` field: empty")
        out.append("    /// for the shared scene), if the class has one.")
        out.append("    pub fn owner(&self) -> Option<&str> {")
        out.append("        match self {")
        owned = [m for m in messages if self.field_type(m, "owner") is not None]
        for m in owned:
            out.append(f"            Message::{m}(m) => Some(&m.owner),")
        out.append("            _ => None,")
        out.append("        }")
        out.append("    }")
        out.append("")
        out.append("    /// The redundancy key viser computes for this message: a buffered")
        out.append("    /// message is replaced by a newer one with the same key.")
        out.append("    /// `None` means never replaced (viser uses a fresh uuid).")
        out.append("    pub fn redundancy_key(&self) -> Option<String> {")
        out.append("        match self {")
        for m in messages:
            custom = self.custom_key(m)
            if custom is not None:
                if "uuid.uuid4()" in ast.unparse(custom):
                    out.append(f"            Message::{m}(_) => None,")
                else:
                    parts = self.key_parts(m, custom)
                    out.append(f"            Message::{m}(m) => Some([{', '.join(parts)}].concat()),")
                continue
            if self.entity(m) is not None:
                has_updates = self.field_type(m, "updates") is not None
                binding = "m" if has_updates else "_"
                updates = "Some(&m.updates)" if has_updates else "None"
                out.append(f"            Message::{m}({binding}) => Some(crate::entity::entity_key(self.entity()?, {rust_str(m)}, {updates})),")
                continue
            parts = [f"{rust_str(m)}.to_owned()"]
            for fld in ("name", "uuid"):
                t = self.field_type(m, fld)
                if t is None:
                    continue
                if t.startswith("Optional") or "None" in t:
                    parts.append(f"m.{fld}.as_ref().map(|v| format!(\"_{{v}}\")).unwrap_or_default()")
                else:
                    parts.append(f"format!(\"_{{}}\", m.{fld})")
            binding = "m" if len(parts) > 1 else "_"
            out.append(f"            Message::{m}({binding}) => Some([{', '.join(parts)}].concat()),")
        out.append("        }")
        out.append("    }")
        out.append("}")
        out.append("")
        return out

    def emit_struct_registry(self, structs: list[str]) -> list[str]:
        out = []
        out.append("/// Every struct-like wire type (messages, props dataclasses, TypedDicts),")
        out.append("/// by its Python class name, with the field names serde uses for it.")
        out.append("pub(crate) const WIRE_STRUCTS: &[crate::registry::WireStruct] = &[")
        for s in structs:
            out.append("    crate::registry::WireStruct {")
            out.append(f"        name: {rust_str(s)},")
            out.append(f"        fields: crate::registry::fields_of::<{s}>,")
            out.append("    },")
        out.append("];")
        return out


def rust_str(v) -> str:
    return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'


def main() -> None:
    if len(sys.argv) != 3:
        raise SystemExit("usage: gen_messages.py PATH/TO/_messages.py OUT.rs")
    tree = ast.parse(open(sys.argv[1], encoding="utf-8").read())
    code = Gen(tree).emit()
    with open(sys.argv[2], "w", encoding="utf-8") as f:
        f.write(code)


if __name__ == "__main__":
    main()
