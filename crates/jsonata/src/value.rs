//! Values while evaluating: JSON plus functions, with the flags JSONata
//! keeps on arrays (a sequence of results versus an array the data holds).
//! `undefined` is `None` wherever a value may be missing.

use std::rc::Rc;

use indexmap::IndexMap;

use crate::function::Function;

pub type Object = IndexMap<Rc<str>, Value>;

#[derive(Clone, Debug)]
pub enum Value {
    Null,
    Bool(bool),
    Number(f64),
    String(Rc<str>),
    Array(Rc<Array>),
    Object(Rc<Object>),
    Function(Rc<Function>),
}

/// An array and what JSONata knows of it.
#[derive(Clone, Debug, Default)]
pub struct Array {
    pub items: Vec<Value>,
    pub flags: u8,
}

/// A sequence of results, flattened into its parent and collapsed to its
/// single item, unlike an array of the data.
pub const SEQUENCE: u8 = 1;
/// A sequence that stays an array even with one item (`path[]`).
pub const KEEP_SINGLETON: u8 = 2;
/// An array built by a `[...]` constructor: not flattened into a path.
pub const CONS: u8 = 4;
/// The input array, wrapped so that it counts as one input.
pub const OUTER_WRAPPER: u8 = 8;
/// A stream of tuples (the bindings of `@`, `#` and `%`).
pub const TUPLE_STREAM: u8 = 16;

impl Array {
    pub fn has(&self, flag: u8) -> bool {
        self.flags & flag != 0
    }
}

impl Value {
    pub fn string(s: &str) -> Self {
        Self::String(Rc::from(s))
    }

    pub fn array(items: Vec<Value>, flags: u8) -> Self {
        Self::Array(Rc::new(Array { items, flags }))
    }

    /// An empty sequence.
    pub fn sequence(items: Vec<Value>) -> Self {
        Self::array(items, SEQUENCE)
    }

    pub fn object(map: Object) -> Self {
        Self::Object(Rc::new(map))
    }

    pub fn as_array(&self) -> Option<&Array> {
        match self {
            Self::Array(a) => Some(a),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Self::Number(n) => Some(*n),
            _ => None,
        }
    }

    pub fn is_array(&self) -> bool {
        matches!(self, Self::Array(_))
    }

    pub fn is_function(&self) -> bool {
        matches!(self, Self::Function(_))
    }

    /// A sequence (as opposed to an array of the data).
    pub fn is_sequence(&self) -> bool {
        matches!(self, Self::Array(a) if a.has(SEQUENCE))
    }

    /// The one-letter type of a function signature: `s n b l a o f`.
    pub fn symbol(value: Option<&Value>) -> char {
        match value {
            None => 'm',
            Some(Self::Null) => 'l',
            Some(Self::Bool(_)) => 'b',
            Some(Self::Number(_)) => 'n',
            Some(Self::String(_)) => 's',
            Some(Self::Array(_)) => 'a',
            Some(Self::Object(_)) => 'o',
            Some(Self::Function(_)) => 'f',
        }
    }

    /// The same array with `flag` set (copied only if shared).
    pub fn with_flag(self, flag: u8) -> Self {
        match self {
            Self::Array(mut a) => {
                if !a.has(flag) {
                    Rc::make_mut(&mut a).flags |= flag;
                }
                Self::Array(a)
            }
            other => other,
        }
    }

    /// The items of an array, or the value as a one-item list.
    pub fn items(&self) -> Vec<Value> {
        match self {
            Self::Array(a) => a.items.clone(),
            other => vec![other.clone()],
        }
    }

    pub fn from_json(json: &serde_json::Value) -> Self {
        match json {
            serde_json::Value::Null => Self::Null,
            serde_json::Value::Bool(b) => Self::Bool(*b),
            serde_json::Value::Number(n) => Self::Number(n.as_f64().unwrap_or(f64::NAN)),
            serde_json::Value::String(s) => Self::string(s),
            serde_json::Value::Array(items) => {
                Self::array(items.iter().map(Self::from_json).collect(), 0)
            }
            serde_json::Value::Object(map) => Self::object(
                map.iter()
                    .map(|(k, v)| (Rc::from(k.as_str()), Self::from_json(v)))
                    .collect(),
            ),
        }
    }

    /// The JSON this value stands for; functions become `""`, as
    /// JSONata's `$string` renders them.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Self::Null => serde_json::Value::Null,
            Self::Bool(b) => serde_json::Value::Bool(*b),
            Self::Number(n) => number_to_json(*n),
            Self::String(s) => serde_json::Value::String(s.to_string()),
            Self::Array(a) => serde_json::Value::Array(a.items.iter().map(Self::to_json).collect()),
            Self::Object(map) => serde_json::Value::Object(
                map.iter()
                    .map(|(k, v)| (k.to_string(), v.to_json()))
                    .collect(),
            ),
            Self::Function(_) => serde_json::Value::String(String::new()),
        }
    }
}

/// Integers stay integers in JSON (as JavaScript prints them); other
/// numbers are doubles.
pub fn number_to_json(n: f64) -> serde_json::Value {
    const SAFE: f64 = 9_007_199_254_740_992.0;
    if n.fract() == 0.0 && n.abs() <= SAFE {
        serde_json::Value::from(n as i64)
    } else {
        serde_json::Number::from_f64(n).map_or(serde_json::Value::Null, serde_json::Value::Number)
    }
}

/// JSONata's equality: deep for arrays and objects (keys in any order).
pub fn deep_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Number(x), Value::Number(y)) => x == y,
        (Value::String(x), Value::String(y)) => x == y,
        (Value::Array(x), Value::Array(y)) => {
            x.items.len() == y.items.len()
                && x.items.iter().zip(&y.items).all(|(p, q)| deep_equal(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| deep_equal(v, w)))
        }
        (Value::Function(x), Value::Function(y)) => Rc::ptr_eq(x, y),
        _ => false,
    }
}

/// JSONata's truthiness (`$boolean`): `None` for undefined.
pub fn boolean(value: Option<&Value>) -> Option<bool> {
    let value = value?;
    Some(match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => *n != 0.0,
        Value::String(s) => !s.is_empty(),
        Value::Object(map) => !map.is_empty(),
        Value::Function(_) => false,
        Value::Array(a) => match a.items.as_slice() {
            [] => false,
            [one] => boolean(Some(one)).unwrap_or(false),
            many => many.iter().any(|v| boolean(Some(v)).unwrap_or(false)),
        },
    })
}
