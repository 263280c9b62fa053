//! JSONata fields: a JSON value whose strings of the form `{% expression %}`
//! (exactly: no space before `{%` or after `%}`) are JSONata expressions,
//! at any depth of objects and arrays. Parsed once, at load.

use std::sync::Arc;

use responder_jsonata::Expression;
use serde_json::Value;

#[derive(Debug)]
pub(crate) enum Jsonata {
    /// Nothing to evaluate.
    Literal(Value),
    Expr(Box<Query>),
    Object(Vec<(String, Jsonata)>),
    Array(Vec<Jsonata>),
}

#[derive(Debug)]
pub(crate) struct Query {
    pub expr: Arc<Expression>,
    /// The expression's text, for error messages.
    pub text: String,
    /// Whether it may read `$states.context` (built only if so).
    pub uses_context: bool,
    /// Whether it may call Step Functions' functions (`$partition`, ...):
    /// they are made available only if so.
    pub uses_functions: bool,
    /// Whether it may read the execution's input from the context (each
    /// use of `context` not followed by `.Map`, `.Task` or `.State...`):
    /// the context carries it only if so.
    pub uses_execution_input: bool,
}

/// The functions Step Functions adds to JSONata (and `$eval`, which it
/// refuses): a function is only reached by its name in the text.
const AWS_FUNCTIONS: [&str; 7] = [
    "$partition",
    "$range",
    "$hash",
    "$random",
    "$uuid",
    "$parse",
    "$eval",
];

/// The expression inside `{% ... %}`, if `text` is one.
pub(crate) fn expression_text(text: &str) -> Option<&str> {
    text.strip_prefix("{%")?.strip_suffix("%}")
}

impl Jsonata {
    /// Compiles a field's value; the error says which expression is
    /// malformed and where, as `/key/...: why` below the field (AWS's
    /// `location` form, `Output/FunctionResult`).
    pub fn compile(value: &Value) -> Result<Self, String> {
        Ok(match value {
            Value::String(s) => match expression_text(s) {
                None => Self::Literal(value.clone()),
                Some(text) => Self::Expr(Box::new(Query::parse(text)?)),
            },
            Value::Object(map) => {
                let mut fields = Vec::with_capacity(map.len());
                for (k, v) in map {
                    let field = Self::compile(v).map_err(|e| below(k, &e))?;
                    fields.push((k.clone(), field));
                }
                if fields.iter().all(|(_, f)| matches!(f, Self::Literal(_))) {
                    Self::Literal(value.clone())
                } else {
                    Self::Object(fields)
                }
            }
            Value::Array(items) => {
                let nodes = items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| Self::compile(item).map_err(|e| below(&i.to_string(), &e)))
                    .collect::<Result<Vec<_>, _>>()?;
                if nodes.iter().all(|n| matches!(n, Self::Literal(_))) {
                    Self::Literal(value.clone())
                } else {
                    Self::Array(nodes)
                }
            }
            other => Self::Literal(other.clone()),
        })
    }

    /// Whether evaluating may read `$states.context`.
    pub fn uses_context(&self) -> bool {
        self.any(&|q| q.uses_context)
    }

    /// Whether evaluating may read `$states.context.Execution.Input`.
    pub fn uses_execution_input(&self) -> bool {
        self.any(&|q| q.uses_execution_input)
    }

    /// Whether evaluating may call Step Functions' functions.
    pub fn uses_functions(&self) -> bool {
        self.any(&|q| q.uses_functions)
    }

    fn any(&self, test: &dyn Fn(&Query) -> bool) -> bool {
        match self {
            Self::Literal(_) => false,
            Self::Expr(q) => test(q),
            Self::Object(fields) => fields.iter().any(|(_, f)| f.any(test)),
            Self::Array(items) => items.iter().any(|i| i.any(test)),
        }
    }
}

/// An error from inside `key`, its path one step longer.
fn below(key: &str, error: &str) -> String {
    if error.starts_with('/') {
        format!("/{key}{error}")
    } else {
        format!("/{key}: {error}")
    }
}

impl Query {
    pub fn parse(text: &str) -> Result<Self, String> {
        let expr = Expression::parse(text)
            .map_err(|e| format!("the JSONata expression '{text}' is not valid: {e}"))?;
        Ok(Self {
            expr: Arc::new(expr),
            // AWS quotes the expression without the spaces around it.
            text: text.trim().to_owned(),
            uses_functions: AWS_FUNCTIONS.iter().any(|f| text.contains(f)),
            uses_execution_input: text.match_indices("context").any(|(i, _)| {
                let after = text.get(i + "context".len()..).unwrap_or_default();
                ![".Map", ".Task", ".State"]
                    .iter()
                    .any(|known| after.starts_with(known))
            }) || text.contains("$states["),
            uses_context: text.contains("context") || text.contains("$states[") || {
                // `$states` used whole (not `.input` and the like).
                let mut rest = text;
                let mut whole = false;
                while let Some(i) = rest.find("$states") {
                    let after = rest.get(i + 7..).unwrap_or_default();
                    if !after.starts_with('.') {
                        whole = true;
                    }
                    rest = after;
                }
                whole
            },
        })
    }
}
