//! `$formatInteger` and `$parseInteger`: XPath's integer pictures.

use crate::error::Error;
use crate::eval::{Evaluator, Out};
use crate::function::Env;
use crate::value::Value;

type Args<'a> = &'a [Option<Value>];

pub(super) fn format_integer(_: &mut Evaluator<'_>, _: Args<'_>, _: Option<&Value>, _: &Env) -> Out {
    Err(Error::new("D3130", "not yet"))
}

pub(super) fn parse_integer(_: &mut Evaluator<'_>, _: Args<'_>, _: Option<&Value>, _: &Env) -> Out {
    Err(Error::new("D3130", "not yet"))
}
