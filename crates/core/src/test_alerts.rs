//! Alerts the unit tests share, normalized from `events/`.

use crate::alert::Alert;
use crate::normalize::{NormalizeOptions, normalize};

/// The demo alarm: `Errors` of the Lambda function `checkout-api` (period
/// 60 s, service `checkout-api`), state change at 09:14:07.
pub fn demo_alarm() -> Alert {
    let payload = include_str!("../../../events/eventbridge/metric-alarm-lambda-errors.json");
    normalize(payload, &NormalizeOptions::default())
        .unwrap()
        .remove(0)
}
