//! Date and time: `$now`, `$millis`, `$fromMillis`, `$toMillis`.

use chrono::{DateTime, SecondsFormat, Utc};

use super::{num_arg, str_arg};
use crate::error::Error;
use crate::eval::{Evaluator, Out};
use crate::function::Env;
use crate::value::Value;

type Args<'a> = &'a [Option<Value>];

pub(super) fn millis(ev: &mut Evaluator<'_>, _: Args<'_>, _: Option<&Value>, _: &Env) -> Out {
    super::number(ev.host.now.timestamp_millis() as f64)
}

pub(super) fn now(ev: &mut Evaluator<'_>, args: Args<'_>, input: Option<&Value>, env: &Env) -> Out {
    let millis = Some(Value::Number(ev.host.now.timestamp_millis() as f64));
    let mut full = vec![millis];
    full.extend(args.iter().cloned());
    from_millis(ev, &full, input, env)
}

pub(super) fn from_millis(_: &mut Evaluator<'_>, args: Args<'_>, _: Option<&Value>, _: &Env) -> Out {
    let Some(millis) = num_arg(args, 0) else {
        return Ok(None);
    };
    let Some(time) = DateTime::<Utc>::from_timestamp_millis(millis as i64) else {
        return Err(Error::new("D3110", "the time is out of range"));
    };
    super::string(time.to_rfc3339_opts(SecondsFormat::Millis, true))
}

pub(super) fn to_millis(_: &mut Evaluator<'_>, args: Args<'_>, _: Option<&Value>, _: &Env) -> Out {
    let Some(text) = str_arg(args, 0) else {
        return Ok(None);
    };
    match DateTime::parse_from_rfc3339(text) {
        Ok(t) => super::number(t.timestamp_millis() as f64),
        Err(_) => Err(Error::new("D3110", format!("the argument of $toMillis must be an ISO 8601 timestamp, not {text}"))),
    }
}
