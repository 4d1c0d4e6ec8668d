//! The Rust message types must match viser 1.1.1's `_messages.py` exactly:
//! every class, every field, by wire name and in order. The Python file is
//! read here with an independent, line-based reader (not the generator), so
//! a hand edit of the generated code or a new viser version fails here,
//! naming the class and the field.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

/// Python classes that are not wire types.
const NOT_ON_THE_WIRE: &[&str] = &["EntityLifecycle", "Message"];

#[derive(Debug, Default, Clone)]
struct PyClass {
    bases: Vec<String>,
    fields: Vec<String>,
    struct_like: bool,
}

fn messages_py_path() -> PathBuf {
    if let Ok(dir) = std::env::var("VISER4D_CLIENT_DIR") {
        return PathBuf::from(dir).join("_messages.py");
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/viser-client/1.1.1/_messages.py")
}

fn parse_classes(src: &str) -> BTreeMap<String, PyClass> {
    let mut classes = BTreeMap::new();
    let mut current: Option<(String, PyClass)> = None;
    let mut decorated_dataclass = false;
    let mut in_docstring = false;
    let mut header: Option<String> = None;

    for line in src.lines() {
        if let Some(h) = header.as_mut() {
            h.push_str(line.trim());
            if line.trim_end().ends_with(':') {
                let text = header.take().unwrap_or_default();
                current = Some(class_from_header(&text, decorated_dataclass));
                decorated_dataclass = false;
            }
            continue;
        }
        let quotes = line.matches("\"\"\"").count();
        if in_docstring {
            if quotes % 2 == 1 {
                in_docstring = false;
            }
            continue;
        }
        if quotes % 2 == 1 {
            in_docstring = true;
            continue;
        }
        if !line.starts_with(' ') && !line.trim().is_empty() {
            if let Some((name, class)) = current.take() {
                classes.insert(name, class);
            }
            if line.starts_with("@dataclasses.dataclass") {
                decorated_dataclass = true;
            } else if line.starts_with("class ") {
                if line.trim_end().ends_with(':') {
                    current = Some(class_from_header(line, decorated_dataclass));
                    decorated_dataclass = false;
                } else {
                    header = Some(line.to_owned());
                }
            } else if !line.starts_with('@') {
                decorated_dataclass = false;
            }
            continue;
        }
        let Some((_, class)) = current.as_mut() else {
            continue;
        };
        let Some(rest) = line.strip_prefix("    ") else {
            continue;
        };
        if rest.starts_with(' ') {
            continue;
        }
        let Some((name, annotation)) = rest.split_once(':') else {
            continue;
        };
        let is_ident =
            !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if is_ident
            && !annotation.trim_start().starts_with("ClassVar")
            && !annotation.trim().is_empty()
        {
            class.fields.push(name.to_owned());
        }
    }
    if let Some((name, class)) = current.take() {
        classes.insert(name, class);
    }
    classes
}

fn class_from_header(header: &str, dataclass: bool) -> (String, PyClass) {
    let header = header
        .trim()
        .trim_start_matches("class ")
        .trim_end_matches(':');
    let (name, bases) = match header.split_once('(') {
        Some((n, b)) => (n.trim(), b.trim_end_matches(')')),
        None => (header, ""),
    };
    let bases: Vec<String> = bases
        .split(',')
        .map(str::trim)
        .filter(|b| !b.is_empty() && !b.contains('='))
        .map(str::to_owned)
        .collect();
    let struct_like = dataclass || bases.iter().any(|b| b == "TypedDict");
    (
        name.to_owned(),
        PyClass {
            bases,
            fields: Vec::new(),
            struct_like,
        },
    )
}

fn is_message(classes: &BTreeMap<String, PyClass>, name: &str) -> bool {
    classes.get(name).is_some_and(|c| {
        c.bases
            .iter()
            .any(|b| b == "Message" || is_message(classes, b))
    })
}

/// Fields in dataclass order: inherited first; a redeclared field keeps
/// its first position.
fn all_fields(classes: &BTreeMap<String, PyClass>, name: &str) -> Vec<String> {
    let Some(class) = classes.get(name) else {
        return Vec::new();
    };
    let mut out: Vec<String> = Vec::new();
    for base in &class.bases {
        if base != "Message" && classes.contains_key(base) {
            out.extend(all_fields(classes, base));
        }
    }
    for f in &class.fields {
        if !out.contains(f) {
            out.push(f.clone());
        }
    }
    out
}

fn read_python() -> BTreeMap<String, PyClass> {
    let path = messages_py_path();
    let src = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read viser's _messages.py at {}: {e}. Run `cargo xtask dist` (or `cargo xtask test`), \
             which fetches and verifies the viser 1.1.1 wheel.",
            path.display()
        )
    });
    parse_classes(&src)
}

#[test]
fn every_message_class_exists_on_both_sides() {
    let py = read_python();
    let python: BTreeSet<&str> = py
        .keys()
        .filter(|n| !n.starts_with('_') && is_message(&py, n))
        .map(String::as_str)
        .collect();
    let rust: BTreeSet<&str> = viser4d_proto::message_type_names().collect();
    let missing: Vec<_> = python.difference(&rust).collect();
    let extra: Vec<_> = rust.difference(&python).collect();
    assert!(
        missing.is_empty(),
        "viser message classes missing in Rust: {missing:?}"
    );
    assert!(
        extra.is_empty(),
        "Rust message types that viser 1.1.1 does not define: {extra:?}"
    );
    assert!(
        python.len() > 100,
        "expected ~120 message classes, parsed {}",
        python.len()
    );
}

#[test]
fn every_struct_and_field_matches() {
    let py = read_python();
    let rust: BTreeMap<&str, Vec<&str>> = viser4d_proto::wire_structs().into_iter().collect();
    let python_structs: BTreeSet<&str> = py
        .iter()
        .filter(|(n, c)| {
            c.struct_like && !n.starts_with('_') && !NOT_ON_THE_WIRE.contains(&n.as_str())
        })
        .map(|(n, _)| n.as_str())
        .collect();
    let rust_names: BTreeSet<&str> = rust.keys().copied().collect();
    let missing: Vec<_> = python_structs.difference(&rust_names).collect();
    let extra: Vec<_> = rust_names.difference(&python_structs).collect();
    assert!(
        missing.is_empty(),
        "viser classes with no Rust type: {missing:?}"
    );
    assert!(
        extra.is_empty(),
        "Rust types with no viser class: {extra:?}"
    );

    let mut problems = Vec::new();
    for (name, rust_fields) in &rust {
        let python_fields = all_fields(&py, name);
        for f in &python_fields {
            if !rust_fields.contains(&f.as_str()) {
                problems.push(format!("{name}.{f}: in viser, missing in Rust"));
            }
        }
        for f in rust_fields {
            if !python_fields.iter().any(|p| p == f) {
                problems.push(format!("{name}.{f}: in Rust, not in viser"));
            }
        }
        if problems.is_empty()
            && python_fields
                .iter()
                .map(String::as_str)
                .ne(rust_fields.iter().copied())
        {
            problems.push(format!(
                "{name}: field order differs: viser {python_fields:?}, Rust {rust_fields:?}"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "{} field mismatches:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn the_reader_sees_inheritance_and_skips_class_vars() {
    let src = r#"
@dataclasses.dataclass
class _Base(
    Message,
    tag="x",
):
    """Docs.

    not_a_field: int
    """

    name: str
    _tags: ClassVar[Tuple[str, ...]] = ()
    owner: str = dataclasses.field(default="", init=False)

    def method(self) -> None:
        inner: int = 3


@dataclasses.dataclass
class Leaf(_Base):
    props: LeafProps
"#;
    let classes = parse_classes(src);
    assert_eq!(all_fields(&classes, "Leaf"), ["name", "owner", "props"]);
    assert!(is_message(&classes, "Leaf"));
}
