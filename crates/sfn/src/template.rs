//! Payload templates: `Parameters`, `ResultSelector` and `ItemSelector`.
//! A field whose name ends in `.$` takes its value from a path or an
//! intrinsic function; the `.$` is dropped from the name.

use serde_json::{Map, Value};

use crate::error::StatesError;
use crate::intrinsics::Intrinsic;
use crate::path::{JsonPath, Sources};

#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    node: Node,
    uses_context: bool,
}

#[derive(Debug, Clone, PartialEq)]
enum Node {
    /// A part with nothing to evaluate.
    Literal(Value),
    Object(Vec<(String, Node)>),
    Array(Vec<Node>),
    Path(JsonPath, String),
    Intrinsic(Box<Intrinsic>, String),
}

impl Template {
    /// Compiles a template; the error names the field at fault.
    pub fn compile(value: &Value) -> Result<Self, String> {
        let node = compile(value)?;
        let uses_context = node.uses_context();
        Ok(Self { node, uses_context })
    }

    /// The names of the top-level fields (`.$` removed).
    pub fn field_names(&self) -> Vec<String> {
        match &self.node {
            Node::Object(fields) => fields.iter().map(|(n, _)| n.clone()).collect(),
            Node::Literal(Value::Object(map)) => map.keys().cloned().collect(),
            _ => Vec::new(),
        }
    }

    /// Whether evaluating needs the context object (`$$`).
    pub fn uses_context(&self) -> bool {
        self.uses_context
    }

    pub(crate) fn evaluate(
        &self,
        src: &Sources<'_>,
        random: &mut dyn FnMut() -> u64,
    ) -> Result<Value, StatesError> {
        self.node.evaluate(src, random)
    }
}

fn compile(value: &Value) -> Result<Node, String> {
    Ok(match value {
        Value::Object(map) => {
            let mut fields = Vec::with_capacity(map.len());
            for (key, value) in map {
                if let Some(name) = key.strip_suffix(".$") {
                    let Value::String(text) = value else {
                        return Err(format!(
                            "the value of '{key}' must be a string holding a path or an \
                             intrinsic function"
                        ));
                    };
                    let node = if text.starts_with('$') {
                        Node::Path(
                            JsonPath::parse(text).map_err(|e| format!("field '{key}': {e}"))?,
                            key.clone(),
                        )
                    } else if text.starts_with("States.") {
                        Node::Intrinsic(
                            Box::new(
                                Intrinsic::parse(text)
                                    .map_err(|e| format!("field '{key}': {e}"))?,
                            ),
                            key.clone(),
                        )
                    } else {
                        return Err(format!(
                            "field '{key}': '{text}' is neither a path (starting with '$') nor an \
                             intrinsic function (starting with 'States.')"
                        ));
                    };
                    fields.push((name.to_owned(), node));
                } else {
                    fields.push((key.clone(), compile(value)?));
                }
            }
            if fields.iter().all(|(_, n)| matches!(n, Node::Literal(_))) {
                Node::Literal(value.clone())
            } else {
                Node::Object(fields)
            }
        }
        Value::Array(items) => {
            let nodes = items.iter().map(compile).collect::<Result<Vec<_>, _>>()?;
            if nodes.iter().all(|n| matches!(n, Node::Literal(_))) {
                Node::Literal(value.clone())
            } else {
                Node::Array(nodes)
            }
        }
        other => Node::Literal(other.clone()),
    })
}

impl Node {
    fn uses_context(&self) -> bool {
        match self {
            Self::Literal(_) => false,
            Self::Object(fields) => fields.iter().any(|(_, n)| n.uses_context()),
            Self::Array(items) => items.iter().any(Self::uses_context),
            Self::Path(path, _) => path.is_context(),
            Self::Intrinsic(call, _) => call.uses_context(),
        }
    }

    fn evaluate(
        &self,
        src: &Sources<'_>,
        random: &mut dyn FnMut() -> u64,
    ) -> Result<Value, StatesError> {
        Ok(match self {
            Self::Literal(v) => v.clone(),
            Self::Object(fields) => {
                let mut map = Map::new();
                for (name, node) in fields {
                    map.insert(name.clone(), node.evaluate(src, random)?);
                }
                Value::Object(map)
            }
            Self::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|n| n.evaluate(src, random))
                    .collect::<Result<_, _>>()?,
            ),
            Self::Path(path, key) => path.read_in(src).ok_or_else(|| {
                if let Some(name) = path.variable() {
                    return StatesError::runtime(format!(
                        "The JSONPath '{path}' specified for the field '{key}' could not be found: \
                         the variable '{name}' is not defined or has no such field"
                    ));
                }
                StatesError::runtime(format!(
                    "The JSONPath '{path}' specified for the field '{key}' could not be found in \
                     the input '{}'",
                    if path.is_context() {
                        src.context
                    } else {
                        src.data
                    }
                ))
            })?,
            Self::Intrinsic(call, _) => call.evaluate(src, random)?,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use serde_json::json;

    use super::*;

    fn eval(template: Value, data: Value) -> Result<Value, StatesError> {
        let mut random = || 4u64;
        let context = json!({"Execution": {"Name": "run-1"}});
        Template::compile(&template).unwrap().evaluate(
            &Sources {
                data: &data,
                context: &context,
                vars: &crate::path::NoVars,
            },
            &mut random,
        )
    }

    #[test]
    fn dollar_fields_read_paths_context_and_intrinsics() {
        let out = eval(
            json!({
                "static": {"x": [1, 2]},
                "id.$": "$.detail.id",
                "name.$": "$$.Execution.Name",
                "greeting.$": "States.Format('Hello {}, \\{literal\\}', $.who)",
                "nested": [{"n.$": "$.detail.id"}]
            }),
            json!({"detail": {"id": 7}, "who": "ops"}),
        )
        .unwrap();
        assert_eq!(
            out,
            json!({
                "static": {"x": [1, 2]},
                "id": 7,
                "name": "run-1",
                "greeting": "Hello ops, {literal}",
                "nested": [{"n": 7}]
            })
        );
    }

    #[test]
    fn a_missing_path_is_a_runtime_error_naming_the_field() {
        let error = eval(json!({"id.$": "$.nope"}), json!({})).unwrap_err();
        assert_eq!(error.error, "States.Runtime");
        assert!(error.cause.contains("'id.$'"), "{}", error.cause);
    }

    #[test]
    fn bad_templates_are_refused_at_compile_time() {
        assert!(Template::compile(&json!({"a.$": 1})).is_err());
        assert!(Template::compile(&json!({"a.$": "nope"})).is_err());
        assert!(Template::compile(&json!({"a.$": "States.Nope()"})).is_err());
        assert!(Template::compile(&json!({"a.$": "States.ArrayLength()"})).is_err());
    }
}
