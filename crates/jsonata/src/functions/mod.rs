//! The built-in functions: one table of name, signature, arity and
//! implementation. Arguments reach an implementation already checked
//! against its signature.

mod calendar;
mod collections;
mod datetime;
mod format_number;
mod hof;
mod integer;
mod numeric;
mod parse_time;
pub(crate) mod regex;
mod strings;
mod words;

use std::sync::OnceLock;

use crate::eval::{Evaluator, Out};
use crate::function::Env;
use crate::signature::Signature;
use crate::value::Value;

pub(crate) type Implementation =
    fn(&mut Evaluator<'_>, &[Option<Value>], Option<&Value>, &Env) -> Out;

pub struct Builtin {
    pub name: &'static str,
    signature: &'static str,
    /// How many arguments a higher-order function passes it.
    pub arity: usize,
    pub(crate) call: Implementation,
    parsed: OnceLock<Option<Signature>>,
}

impl std::fmt::Debug for Builtin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "${}{}", self.name, self.signature)
    }
}

impl Builtin {
    const fn new(
        name: &'static str,
        signature: &'static str,
        arity: usize,
        call: Implementation,
    ) -> Self {
        Self {
            name,
            signature,
            arity,
            call,
            parsed: OnceLock::new(),
        }
    }

    pub(crate) fn signature(&self) -> Option<&Signature> {
        self.parsed
            .get_or_init(|| Signature::parse(self.signature).ok())
            .as_ref()
    }
}

use collections as c;
use datetime as d;
use hof as h;
use integer as i;
use numeric as n;
use strings as s;

static BUILTINS: [Builtin; 65] = [
    Builtin::new("sum", "<a<n>:n>", 1, n::sum),
    Builtin::new("count", "<a:n>", 1, n::count),
    Builtin::new("max", "<a<n>:n>", 1, n::max),
    Builtin::new("min", "<a<n>:n>", 1, n::min),
    Builtin::new("average", "<a<n>:n>", 1, n::average),
    Builtin::new("string", "<x-b?:s>", 1, s::string),
    Builtin::new("substring", "<s-nn?:s>", 3, s::substring),
    Builtin::new("substringBefore", "<s-s:s>", 2, s::substring_before),
    Builtin::new("substringAfter", "<s-s:s>", 2, s::substring_after),
    Builtin::new("lowercase", "<s-:s>", 1, s::lowercase),
    Builtin::new("uppercase", "<s-:s>", 1, s::uppercase),
    Builtin::new("length", "<s-:n>", 1, s::length),
    Builtin::new("trim", "<s-:s>", 1, s::trim),
    Builtin::new("pad", "<s-ns?:s>", 3, s::pad),
    Builtin::new("match", "<s-f<s:o>n?:a<o>>", 3, regex::match_fn),
    Builtin::new("contains", "<s-(sf):b>", 2, regex::contains),
    Builtin::new("replace", "<s-(sf)(sf)n?:s>", 4, regex::replace),
    Builtin::new("split", "<s-(sf)n?:a<s>>", 3, regex::split),
    Builtin::new("join", "<a<s>s?:s>", 2, s::join),
    Builtin::new("formatNumber", "<n-so?:s>", 3, format_number::format_number),
    Builtin::new("formatBase", "<n-n?:s>", 2, n::format_base),
    Builtin::new("formatInteger", "<n-s:s>", 2, i::format_integer),
    Builtin::new("parseInteger", "<s-s:n>", 2, i::parse_integer),
    Builtin::new("number", "<(nsb)-:n>", 1, n::number),
    Builtin::new("floor", "<n-:n>", 1, n::floor),
    Builtin::new("ceil", "<n-:n>", 1, n::ceil),
    Builtin::new("round", "<n-n?:n>", 2, n::round),
    Builtin::new("abs", "<n-:n>", 1, n::abs),
    Builtin::new("sqrt", "<n-:n>", 1, n::sqrt),
    Builtin::new("power", "<n-n:n>", 2, n::power),
    Builtin::new("random", "<:n>", 0, n::random),
    Builtin::new("boolean", "<x-:b>", 1, c::boolean),
    Builtin::new("not", "<x-:b>", 1, c::not),
    Builtin::new("map", "<af>", 2, h::map),
    Builtin::new("zip", "<a+>", 0, c::zip),
    Builtin::new("filter", "<af>", 2, h::filter),
    Builtin::new("single", "<af?>", 2, h::single),
    Builtin::new("reduce", "<afj?:j>", 3, h::reduce),
    Builtin::new("sift", "<o-f?:o>", 2, h::sift),
    Builtin::new("keys", "<x-:a<s>>", 1, c::keys),
    Builtin::new("lookup", "<x-s:x>", 2, c::lookup),
    Builtin::new("append", "<xx:a>", 2, c::append),
    Builtin::new("exists", "<x:b>", 1, c::exists),
    Builtin::new("spread", "<x-:a<o>>", 1, c::spread),
    Builtin::new("merge", "<a<o>:o>", 1, c::merge),
    Builtin::new("reverse", "<a:a>", 1, c::reverse),
    Builtin::new("each", "<o-f:a>", 2, h::each),
    Builtin::new("error", "<s?:x>", 1, c::error),
    Builtin::new("assert", "<bs?:x>", 2, c::assert),
    Builtin::new("type", "<x:s>", 1, c::type_of),
    Builtin::new("sort", "<af?:a>", 2, h::sort),
    Builtin::new("shuffle", "<a:a>", 1, c::shuffle),
    Builtin::new("distinct", "<x:x>", 1, c::distinct),
    Builtin::new("base64encode", "<s-:s>", 1, s::base64_encode),
    Builtin::new("base64decode", "<s-:s>", 1, s::base64_decode),
    Builtin::new("encodeUrlComponent", "<s-:s>", 1, s::encode_url_component),
    Builtin::new("encodeUrl", "<s-:s>", 1, s::encode_url),
    Builtin::new("decodeUrlComponent", "<s-:s>", 1, s::decode_url_component),
    Builtin::new("decodeUrl", "<s-:s>", 1, s::decode_url),
    Builtin::new("eval", "<sx?:x>", 2, c::eval),
    Builtin::new("toMillis", "<s-s?:n>", 2, d::to_millis),
    Builtin::new("fromMillis", "<n-s?s?:s>", 3, d::from_millis),
    Builtin::new("clone", "<(oa)-:o>", 1, c::clone),
    Builtin::new("now", "<s?s?:s>", 2, d::now),
    Builtin::new("millis", "<:n>", 0, d::millis),
];

pub(crate) fn builtin(name: &str) -> Option<&'static Builtin> {
    BUILTINS.iter().find(|b| b.name == name)
}

/// The argument at `i`, if given and defined.
pub(crate) fn arg(args: &[Option<Value>], i: usize) -> Option<&Value> {
    args.get(i).and_then(Option::as_ref)
}

pub(crate) fn str_arg(args: &[Option<Value>], i: usize) -> Option<&str> {
    arg(args, i).and_then(Value::as_str)
}

pub(crate) fn num_arg(args: &[Option<Value>], i: usize) -> Option<f64> {
    arg(args, i).and_then(Value::as_f64)
}

pub(crate) fn items_arg(args: &[Option<Value>], i: usize) -> Option<Vec<Value>> {
    arg(args, i).map(Value::items)
}

pub(crate) fn string(s: impl AsRef<str>) -> Out {
    Ok(Some(Value::string(s.as_ref())))
}

pub(crate) fn number(n: f64) -> Out {
    Ok(Some(Value::Number(n)))
}
