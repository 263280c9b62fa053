//! JSONPath as Step Functions applies it.
//!
//! - `$` is the state's data, `$$` the context object, `$name` the
//!   workflow variable `name`.
//! - A *definite* path (only `.name`, `['name']` and `[index]`) selects one
//!   value; when it selects nothing, the caller raises `States.Runtime`.
//! - Any other path (`*`, `..`, slices, unions, `[?(...)]` filters) selects
//!   a list, and its value is a JSON array of the matches, possibly empty.
//! - A *reference path* (ResultPath) is definite and names object fields only.

use std::fmt;

use serde_json::{Map, Value};

mod parser;

use parser::Parser;
pub(crate) use parser::bare_word;

/// A parsed JSONPath.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonPath {
    text: String,
    root: Root,
    segments: Vec<Segment>,
    definite: bool,
}

/// What a path starts from.
#[derive(Debug, Clone, PartialEq)]
enum Root {
    /// `$`: the state's data.
    Data,
    /// `$$`: the context object.
    Context,
    /// `$name`: a workflow variable.
    Variable(String),
}

/// Workflow variables, as a path reads them.
pub(crate) trait Vars {
    fn var(&self, name: &str) -> Option<&Value>;
}

/// No variables in scope.
pub(crate) struct NoVars;

impl Vars for NoVars {
    fn var(&self, _: &str) -> Option<&Value> {
        None
    }
}

/// What paths read: the state's data, the context object, the variables.
#[derive(Clone, Copy)]
pub(crate) struct Sources<'a> {
    pub data: &'a Value,
    pub context: &'a Value,
    pub vars: &'a dyn Vars,
}

#[derive(Debug, Clone, PartialEq)]
enum Segment {
    Field(String),
    Index(i64),
    Wildcard,
    /// `..name`, or `..*` when `None`.
    Descendant(Option<String>),
    Slice(Option<i64>, Option<i64>, i64),
    Union(Vec<Key>),
    Filter(Box<Filter>),
}

#[derive(Debug, Clone, PartialEq)]
enum Key {
    Field(String),
    Index(i64),
}

#[derive(Debug, Clone, PartialEq)]
enum Filter {
    Or(Box<Filter>, Box<Filter>),
    And(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
    Exists(Operand),
    Compare(Operand, Op, Operand),
}

#[derive(Debug, Clone, PartialEq)]
enum Operand {
    /// `@...`: relative to the item under test.
    Item(Vec<Segment>),
    /// `$...`: relative to the document.
    Root(Vec<Segment>),
    Literal(Value),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl JsonPath {
    /// Parses `text`; the error says what is malformed.
    pub fn parse(text: &str) -> Result<Self, String> {
        let (root, rest) = if let Some(rest) = text.strip_prefix("$$") {
            (Root::Context, rest)
        } else if let Some(rest) = text.strip_prefix('$') {
            let name_len = rest
                .char_indices()
                .find(|(i, c)| !(c.is_alphanumeric() || *c == '_') || (*i == 0 && c.is_numeric()))
                .map_or(rest.len(), |(i, _)| i);
            match rest.split_at_checked(name_len) {
                Some((name, after)) if !name.is_empty() => (Root::Variable(name.to_owned()), after),
                _ => (Root::Data, rest),
            }
        } else {
            return Err(format!(
                "'{text}' is not a JSONPath: it must start with '$'"
            ));
        };
        let mut parser = Parser {
            text: rest.as_bytes(),
            pos: 0,
        };
        let segments = parser
            .segments(false)
            .map_err(|e| format!("'{text}' is not a valid JSONPath: {e}"))?;
        if parser.pos < parser.text.len() {
            return Err(format!(
                "'{text}' is not a valid JSONPath: unexpected '{}'",
                String::from_utf8_lossy(parser.text.get(parser.pos..).unwrap_or_default())
            ));
        }
        let definite = segments
            .iter()
            .all(|s| matches!(s, Segment::Field(_) | Segment::Index(_)));
        Ok(Self {
            text: text.to_owned(),
            root,
            segments,
            definite,
        })
    }

    /// `$`: the whole data.
    pub fn root() -> Self {
        Self {
            text: "$".to_owned(),
            root: Root::Data,
            segments: Vec::new(),
            definite: true,
        }
    }

    /// Parses a reference path (ResultPath): `$` and object fields only.
    pub fn parse_reference(text: &str) -> Result<Self, String> {
        let path = Self::parse(text)?;
        if path.root != Root::Data {
            return Err(format!(
                "'{text}' is not a reference path: it cannot refer to the context object or a \
                 variable"
            ));
        }
        if !path.segments.iter().all(|s| matches!(s, Segment::Field(_))) {
            return Err(format!(
                "'{text}' is not a reference path: only '.field' and ['field'] steps are allowed"
            ));
        }
        Ok(path)
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// `$$...`: reads the context object.
    pub fn is_context(&self) -> bool {
        self.root == Root::Context
    }

    /// `$name...`: the variable it reads.
    pub fn variable(&self) -> Option<&str> {
        match &self.root {
            Root::Variable(name) => Some(name),
            _ => None,
        }
    }

    /// Whether the path selects one value (rather than a list).
    pub fn is_definite(&self) -> bool {
        self.definite
    }

    /// `$` alone.
    pub fn is_root(&self) -> bool {
        self.root == Root::Data && self.segments.is_empty()
    }

    /// The value the path selects from `data` (or `context` for `$$`).
    /// `None` when a definite path selects nothing.
    pub fn read(&self, data: &Value, context: &Value) -> Option<Value> {
        self.read_in(&Sources {
            data,
            context,
            vars: &NoVars,
        })
    }

    /// The value the path selects from its sources (a variable it names
    /// must be defined).
    pub(crate) fn read_in(&self, src: &Sources<'_>) -> Option<Value> {
        let root = self.base(src)?;
        if self.definite {
            return definite(root, &self.segments).cloned();
        }
        let mut out = Vec::new();
        select(root, root, &self.segments, &mut out);
        Some(Value::Array(out.into_iter().cloned().collect()))
    }

    fn base<'v>(&self, src: &Sources<'v>) -> Option<&'v Value> {
        match &self.root {
            Root::Data => Some(src.data),
            Root::Context => Some(src.context),
            Root::Variable(name) => src.vars.var(name),
        }
    }

    /// Like [`read`](Self::read) but borrowing, for definite paths.
    pub fn read_ref<'v>(&self, data: &'v Value, context: &'v Value) -> Option<&'v Value> {
        let root = self.base(&Sources {
            data,
            context,
            vars: &NoVars,
        })?;
        if self.definite {
            definite(root, &self.segments)
        } else {
            None
        }
    }

    /// Writes `value` at this reference path inside `target`, creating the
    /// objects on the way. Fails (the caller raises `States.Runtime`) when a
    /// step on the way exists and is not an object.
    pub fn write(&self, target: &mut Value, value: Value) -> Result<(), String> {
        let Some((last, init)) = self.segments.split_last() else {
            *target = value;
            return Ok(());
        };
        let mut node = target;
        for segment in init {
            let Segment::Field(name) = segment else {
                return Err(format!("'{}' is not a reference path", self.text));
            };
            let Value::Object(map) = node else {
                return Err(format!(
                    "ResultPath '{}' cannot be applied: a step on the way is not an object",
                    self.text
                ));
            };
            node = map
                .entry(name.clone())
                .or_insert_with(|| Value::Object(Map::new()));
        }
        let Segment::Field(name) = last else {
            return Err(format!("'{}' is not a reference path", self.text));
        };
        match node {
            Value::Object(map) => {
                map.insert(name.clone(), value);
                Ok(())
            }
            _ => Err(format!(
                "ResultPath '{}' cannot be applied: its parent is not an object",
                self.text
            )),
        }
    }
}

impl fmt::Display for JsonPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

fn definite<'v>(mut node: &'v Value, segments: &[Segment]) -> Option<&'v Value> {
    for segment in segments {
        node = match (segment, node) {
            (Segment::Field(name), Value::Object(map)) => map.get(name)?,
            (Segment::Index(i), Value::Array(items)) => {
                items.get(resolve_index(*i, items.len())?)?
            }
            _ => return None,
        };
    }
    Some(node)
}

fn resolve_index(i: i64, len: usize) -> Option<usize> {
    if i >= 0 {
        usize::try_from(i).ok()
    } else {
        len.checked_sub(usize::try_from(i.unsigned_abs()).ok()?)
    }
}

fn select<'v>(root: &'v Value, node: &'v Value, segments: &[Segment], out: &mut Vec<&'v Value>) {
    let Some((segment, rest)) = segments.split_first() else {
        out.push(node);
        return;
    };
    match segment {
        Segment::Field(name) => {
            if let Some(child) = node.as_object().and_then(|m| m.get(name)) {
                select(root, child, rest, out);
            }
        }
        Segment::Index(i) => {
            if let Some(items) = node.as_array()
                && let Some(child) = resolve_index(*i, items.len()).and_then(|i| items.get(i))
            {
                select(root, child, rest, out);
            }
        }
        Segment::Wildcard => {
            for child in children(node) {
                select(root, child, rest, out);
            }
        }
        Segment::Descendant(name) => {
            descend(root, node, name.as_deref(), rest, out);
        }
        Segment::Slice(start, end, step) => {
            if let Some(items) = node.as_array() {
                for i in slice_indices(items.len(), *start, *end, *step) {
                    if let Some(child) = items.get(i) {
                        select(root, child, rest, out);
                    }
                }
            }
        }
        Segment::Union(keys) => {
            for key in keys {
                let child = match (key, node) {
                    (Key::Field(name), Value::Object(map)) => map.get(name),
                    (Key::Index(i), Value::Array(items)) => {
                        resolve_index(*i, items.len()).and_then(|i| items.get(i))
                    }
                    _ => None,
                };
                if let Some(child) = child {
                    select(root, child, rest, out);
                }
            }
        }
        Segment::Filter(filter) => {
            for child in children(node) {
                if filter.test(root, child) {
                    select(root, child, rest, out);
                }
            }
        }
    }
}

fn children(node: &Value) -> Box<dyn Iterator<Item = &Value> + '_> {
    match node {
        Value::Object(map) => Box::new(map.values()),
        Value::Array(items) => Box::new(items.iter()),
        _ => Box::new(std::iter::empty()),
    }
}

/// `..name`: `name` on this node and on every node below it, document order.
fn descend<'v>(
    root: &'v Value,
    node: &'v Value,
    name: Option<&str>,
    rest: &[Segment],
    out: &mut Vec<&'v Value>,
) {
    match name {
        Some(name) => {
            if let Some(child) = node.as_object().and_then(|m| m.get(name)) {
                select(root, child, rest, out);
            }
        }
        None => {
            for child in children(node) {
                select(root, child, rest, out);
            }
        }
    }
    for child in children(node) {
        descend(root, child, name, rest, out);
    }
}

fn slice_indices(len: usize, start: Option<i64>, end: Option<i64>, step: i64) -> Vec<usize> {
    let len = i64::try_from(len).unwrap_or(i64::MAX);
    let clamp = |i: i64| if i < 0 { (len + i).max(0) } else { i.min(len) };
    let mut out = Vec::new();
    if step > 0 {
        let (mut i, end) = (clamp(start.unwrap_or(0)), clamp(end.unwrap_or(len)));
        while i < end {
            out.extend(usize::try_from(i).ok());
            i += step;
        }
    } else if step < 0 {
        let mut i = start.map_or(len - 1, |s| clamp(s).min(len - 1));
        let end = end.map_or(-1, clamp);
        while i > end {
            out.extend(usize::try_from(i).ok());
            i += step;
        }
    }
    out
}

impl Filter {
    fn test(&self, root: &Value, item: &Value) -> bool {
        match self {
            Self::Or(a, b) => a.test(root, item) || b.test(root, item),
            Self::And(a, b) => a.test(root, item) && b.test(root, item),
            Self::Not(a) => !a.test(root, item),
            Self::Exists(operand) => operand.value(root, item).is_some(),
            Self::Compare(a, op, b) => match (a.value(root, item), b.value(root, item)) {
                (Some(a), Some(b)) => compare(&a, *op, &b),
                _ => false,
            },
        }
    }
}

impl Operand {
    fn value(&self, root: &Value, item: &Value) -> Option<Value> {
        match self {
            Self::Item(segments) => definite(item, segments).cloned(),
            Self::Root(segments) => definite(root, segments).cloned(),
            Self::Literal(v) => Some(v.clone()),
        }
    }
}

fn compare(a: &Value, op: Op, b: &Value) -> bool {
    use std::cmp::Ordering;
    let ordering = match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64().partial_cmp(&y.as_f64()),
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        _ => None,
    };
    match op {
        Op::Eq => ordering.map_or(a == b, |o| o == Ordering::Equal),
        Op::Ne => ordering.map_or(a != b, |o| o != Ordering::Equal),
        Op::Lt => ordering == Some(Ordering::Less),
        Op::Le => matches!(ordering, Some(Ordering::Less | Ordering::Equal)),
        Op::Gt => ordering == Some(Ordering::Greater),
        Op::Ge => matches!(ordering, Some(Ordering::Greater | Ordering::Equal)),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use serde_json::json;

    use super::*;

    fn read(path: &str, data: &Value) -> Option<Value> {
        JsonPath::parse(path).unwrap().read(data, &Value::Null)
    }

    #[test]
    fn definite_paths_select_one_value() {
        let data = json!({"a": {"b": [1, 2, {"c": "x"}]}, "d e": 1});
        assert_eq!(read("$", &data), Some(data.clone()));
        assert_eq!(read("$.a.b[2].c", &data), Some(json!("x")));
        assert_eq!(read("$['a']['b'][0]", &data), Some(json!(1)));
        assert_eq!(read("$.a.b[-1].c", &data), Some(json!("x")));
        assert_eq!(read("$['d e']", &data), Some(json!(1)));
        assert_eq!(read("$.a.missing", &data), None);
        assert_eq!(read("$.a.b.c", &data), None);
    }

    #[test]
    fn indefinite_paths_select_an_array() {
        let data = json!({"items": [{"n": 1, "ok": true}, {"n": 2}, {"n": 3, "ok": false}]});
        assert_eq!(read("$.items[*].n", &data), Some(json!([1, 2, 3])));
        assert_eq!(read("$..n", &data), Some(json!([1, 2, 3])));
        assert_eq!(read("$.items[0:2].n", &data), Some(json!([1, 2])));
        assert_eq!(read("$.items[0,2].n", &data), Some(json!([1, 3])));
        assert_eq!(read("$.items[?(@.n > 1)].n", &data), Some(json!([2, 3])));
        assert_eq!(
            read("$.items[?(@.n >= 2 && @.ok == false)].n", &data),
            Some(json!([3]))
        );
        assert_eq!(read("$.items[?(@.ok)].n", &data), Some(json!([1, 3])));
        assert_eq!(read("$.items[?(@.n == 9)]", &data), Some(json!([])));
        assert_eq!(read("$.items[::-1].n", &data), Some(json!([3, 2, 1])));
    }

    #[test]
    fn malformed_paths_are_refused_with_the_reason() {
        for bad in ["a.b", "$.", "$[", "$.a[x]", "$.a[1:2:0]", "$.a[?(@.b ==)]"] {
            assert!(JsonPath::parse(bad).is_err(), "{bad}");
        }
        assert!(JsonPath::parse_reference("$.a[0]").is_err());
        assert!(JsonPath::parse_reference("$$.Execution").is_err());
    }

    #[test]
    fn reference_paths_create_objects_on_the_way() {
        let mut data = json!({"a": 1});
        JsonPath::parse_reference("$.x.y")
            .unwrap()
            .write(&mut data, json!(2))
            .unwrap();
        assert_eq!(data, json!({"a": 1, "x": {"y": 2}}));
        let error = JsonPath::parse_reference("$.a.b")
            .unwrap()
            .write(&mut data, json!(3));
        assert!(error.is_err());
    }
}
