//! The 18 intrinsic functions (`States.Format(...)` and the rest), parsed at
//! load and evaluated against the state's data and the context object.
//! AWS reports every intrinsic failure as `States.Runtime`, so we do too.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::Value;

use crate::error::StatesError;
use crate::path::{JsonPath, Sources};

mod parser;
mod values;

use parser::{Parser, unmark};
use values::{
    array, format_template, integer, limited_string, object, rounded, string, without_negative_zero,
};
pub(crate) use values::{hash, uuid_v4};

/// AWS's limit on the string given to `Base64Encode`, `Base64Decode` and `Hash`.
const MAX_STRING_INPUT: usize = 10_000;
/// AWS's limit on the array `ArrayRange` builds.
const MAX_RANGE_ITEMS: i64 = 1000;

#[derive(Debug, Clone, PartialEq)]
pub struct Intrinsic {
    function: Function,
    args: Vec<Arg>,
}

#[derive(Debug, Clone, PartialEq)]
enum Arg {
    Literal(Value),
    Path(JsonPath),
    Call(Intrinsic),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Function {
    Format,
    StringToJson,
    JsonToString,
    Array,
    ArrayPartition,
    ArrayContains,
    ArrayRange,
    ArrayGetItem,
    ArrayLength,
    ArrayUnique,
    Base64Encode,
    Base64Decode,
    Hash,
    JsonMerge,
    MathRandom,
    MathAdd,
    StringSplit,
    Uuid,
}

impl Function {
    /// Every function with the name AWS gives it.
    const ALL: [(&'static str, Self); 18] = [
        ("States.Format", Self::Format),
        ("States.StringToJson", Self::StringToJson),
        ("States.JsonToString", Self::JsonToString),
        ("States.Array", Self::Array),
        ("States.ArrayPartition", Self::ArrayPartition),
        ("States.ArrayContains", Self::ArrayContains),
        ("States.ArrayRange", Self::ArrayRange),
        ("States.ArrayGetItem", Self::ArrayGetItem),
        ("States.ArrayLength", Self::ArrayLength),
        ("States.ArrayUnique", Self::ArrayUnique),
        ("States.Base64Encode", Self::Base64Encode),
        ("States.Base64Decode", Self::Base64Decode),
        ("States.Hash", Self::Hash),
        ("States.JsonMerge", Self::JsonMerge),
        ("States.MathRandom", Self::MathRandom),
        ("States.MathAdd", Self::MathAdd),
        ("States.StringSplit", Self::StringSplit),
        ("States.UUID", Self::Uuid),
    ];

    fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
    }

    fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, f)| *f == self)
            .map_or("States.?", |(n, _)| n)
    }

    /// The number of arguments accepted: (min, max).
    fn arity(self) -> (usize, usize) {
        match self {
            Self::Format => (1, usize::MAX),
            Self::Array => (0, usize::MAX),
            Self::StringToJson
            | Self::JsonToString
            | Self::ArrayLength
            | Self::ArrayUnique
            | Self::Base64Encode
            | Self::Base64Decode => (1, 1),
            Self::ArrayPartition
            | Self::ArrayContains
            | Self::ArrayGetItem
            | Self::Hash
            | Self::MathAdd
            | Self::StringSplit => (2, 2),
            Self::ArrayRange | Self::JsonMerge => (3, 3),
            Self::MathRandom => (2, 3),
            Self::Uuid => (0, 0),
        }
    }
}

impl Intrinsic {
    /// Parses `States.Name(arg, ...)`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut parser = Parser {
            text: text.as_bytes(),
            pos: 0,
        };
        let call = parser.call()?;
        parser.skip_spaces();
        if parser.pos != parser.text.len() {
            return Err(format!("unexpected text after the call in '{text}'"));
        }
        Ok(call)
    }

    pub fn uses_context(&self) -> bool {
        self.args.iter().any(|a| match a {
            Arg::Path(p) => p.is_context(),
            Arg::Call(c) => c.uses_context(),
            Arg::Literal(_) => false,
        })
    }

    pub(crate) fn evaluate(
        &self,
        src: &Sources<'_>,
        random: &mut dyn FnMut() -> u64,
    ) -> Result<Value, StatesError> {
        let mut args = Vec::with_capacity(self.args.len());
        for (i, arg) in self.args.iter().enumerate() {
            args.push(match arg {
                // Only the format string gives `\{` and `\}` a meaning of their own.
                Arg::Literal(v) if i == 0 && self.function == Function::Format => v.clone(),
                Arg::Literal(v) => unmark(v.clone()),
                Arg::Path(path) => path.read_in(src).ok_or_else(|| {
                    StatesError::runtime(format!(
                        "The JsonPath argument '{path}' of the intrinsic function {} could not be \
                         found in the input",
                        self.name()
                    ))
                })?,
                Arg::Call(call) => call.evaluate(src, random)?,
            });
        }
        self.apply(args, random)
            .map_err(|cause| StatesError::runtime(format!("{}: {cause}", self.name())))
    }

    fn name(&self) -> &'static str {
        self.function.name()
    }

    fn apply(&self, args: Vec<Value>, random: &mut dyn FnMut() -> u64) -> Result<Value, String> {
        let mut args = args.into_iter();
        let mut next = || args.next().unwrap_or(Value::Null);
        Ok(match self.function {
            Function::Format => {
                let template = string(next(), "the format string")?;
                let rest: Vec<Value> = std::iter::from_fn(|| Some(next()))
                    .take(self.args.len().saturating_sub(1))
                    .collect();
                Value::String(format_template(&template, &rest)?)
            }
            Function::StringToJson => {
                let text = string(next(), "the argument")?;
                // AWS gives null for a blank string and 0 for "-0".
                if text.trim().is_empty() {
                    Value::Null
                } else {
                    let value = serde_json::from_str(&text)
                        .map_err(|e| format!("the string is not JSON: {e}"))?;
                    without_negative_zero(value)
                }
            }
            Function::JsonToString => Value::String(next().to_string()),
            Function::Array => Value::Array(
                std::iter::from_fn(|| Some(next()))
                    .take(self.args.len())
                    .collect(),
            ),
            Function::ArrayPartition => {
                let items = array(next(), "the first argument")?;
                let size = integer(&next(), "the chunk size")?;
                let size = usize::try_from(size)
                    .ok()
                    .filter(|s| *s > 0)
                    .ok_or("the chunk size must be a positive integer")?;
                Value::Array(
                    items
                        .chunks(size)
                        .map(|c| Value::Array(c.to_vec()))
                        .collect(),
                )
            }
            Function::ArrayContains => {
                let items = array(next(), "the first argument")?;
                let wanted = next();
                Value::Bool(items.contains(&wanted))
            }
            Function::ArrayRange => {
                let (start, end, step) = (
                    integer(&next(), "the start")?,
                    integer(&next(), "the end")?,
                    integer(&next(), "the step")?,
                );
                if step == 0 {
                    return Err("the step cannot be 0".to_owned());
                }
                let count = (end - start) / step + 1;
                if count > MAX_RANGE_ITEMS {
                    return Err(format!(
                        "the range has {count} items; the limit is {MAX_RANGE_ITEMS}"
                    ));
                }
                let mut out = Vec::new();
                let mut i = start;
                while (step > 0 && i <= end) || (step < 0 && i >= end) {
                    out.push(Value::from(i));
                    i += step;
                }
                Value::Array(out)
            }
            Function::ArrayGetItem => {
                let items = array(next(), "the first argument")?;
                let index = integer(&next(), "the index")?;
                usize::try_from(index)
                    .ok()
                    .and_then(|i| items.get(i).cloned())
                    .ok_or_else(|| {
                        format!(
                            "index {index} is out of bounds (the array has {} items)",
                            items.len()
                        )
                    })?
            }
            Function::ArrayLength => Value::from(array(next(), "the argument")?.len()),
            Function::ArrayUnique => {
                let mut unique: Vec<Value> = Vec::new();
                for item in array(next(), "the argument")? {
                    if !unique.contains(&item) {
                        unique.push(item);
                    }
                }
                Value::Array(unique)
            }
            Function::Base64Encode => {
                let text = limited_string(next())?;
                Value::String(BASE64.encode(text.as_bytes()))
            }
            Function::Base64Decode => {
                let text = limited_string(next())?;
                let bytes = BASE64
                    .decode(text.as_bytes())
                    .map_err(|e| format!("the string is not base64: {e}"))?;
                Value::String(
                    String::from_utf8(bytes).map_err(|_| "the decoded bytes are not UTF-8")?,
                )
            }
            Function::Hash => {
                let text = limited_string(next())?;
                let algorithm = string(next(), "the algorithm")?;
                Value::String(hash(&text, &algorithm)?)
            }
            Function::JsonMerge => {
                let (mut left, right) = (
                    object(next(), "the first argument")?,
                    object(next(), "the second argument")?,
                );
                if next() != Value::Bool(false) {
                    return Err("only a shallow merge (false) is supported, as on AWS".to_owned());
                }
                left.extend(right);
                Value::Object(left)
            }
            Function::MathRandom => {
                // Like States.MathAdd, AWS rounds numbers with a fraction.
                let (start, end) = (rounded(&next(), "the start")?, rounded(&next(), "the end")?);
                if end <= start {
                    return Err(format!(
                        "the end ({end}) must be greater than the start ({start})"
                    ));
                }
                let span = u64::try_from(end - start).unwrap_or(1);
                let offset = i64::try_from(random() % span).unwrap_or(0);
                Value::from(start + offset)
            }
            Function::MathAdd => {
                // AWS rounds each operand half up (1.5 is 2, -1.5 is -1)
                // before adding, where its guide asks for integers.
                let (a, b) = (
                    rounded(&next(), "the first argument")?,
                    rounded(&next(), "the second argument")?,
                );
                Value::from(a.checked_add(b).ok_or("the sum overflows")?)
            }
            Function::StringSplit => {
                let text = string(next(), "the string")?;
                let delimiters = string(next(), "the delimiter")?;
                Value::Array(
                    text.split(|c| delimiters.contains(c))
                        .filter(|piece| !piece.is_empty())
                        .map(|piece| Value::String(piece.to_owned()))
                        .collect(),
                )
            }
            Function::Uuid => Value::String(uuid_v4(random(), random())),
        })
    }
}
