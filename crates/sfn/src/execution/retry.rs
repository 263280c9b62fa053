//! Errors in a state: Retry, then Catch, then the thread fails.

use serde_json::json;

use crate::definition::Kind;

use super::*;

/// Records the state's failure event (`TaskFailed`, `MapStateFailed`, ...)
/// with the error, then lets the state's Retry and Catch decide.
pub(super) fn fail_with_event(
    run: &mut Run<'_>,
    th: &mut Thread,
    kind: &'static str,
    error: StatesError,
) {
    emit(
        run,
        th,
        kind,
        Details {
            error: Some(error.error.clone()),
            cause: Some(error.cause.clone()),
            ..Details::default()
        },
    );
    fail(run, th, error);
}

/// An error in the current state: a matching retrier waits and tries again;
/// else a matching catcher moves on; else the thread fails.
pub(super) fn fail(run: &mut Run<'_>, th: &mut Thread, error: StatesError) {
    let state = state(run, th);
    let handlers = match &state.kind {
        Kind::Task(t) => Some(&t.handlers),
        Kind::Parallel { handlers, .. } => Some(handlers),
        Kind::Map(m) => Some(&m.handlers),
        _ => None,
    };
    let Some(handlers) = handlers.filter(|_| !error.is_terminal()) else {
        th.finish(Err(error));
        return;
    };
    for (i, retrier) in handlers.retry.iter().enumerate() {
        if !retrier.errors.iter().any(|e| error.matches(e)) {
            continue;
        }
        let used = th.retries.get(i).copied().unwrap_or(0);
        if used < retrier.max_attempts {
            let mut delay = retrier.interval_seconds
                * retrier
                    .backoff_rate
                    .powi(i32::try_from(used).unwrap_or(i32::MAX));
            if let Some(max) = retrier.max_delay_seconds {
                delay = delay.min(max);
            }
            if retrier.full_jitter {
                let fraction = (random(run) >> 11) as f64 / (1u64 << 53) as f64;
                delay *= fraction;
            }
            if let Some(n) = th.retries.get_mut(i) {
                *n += 1;
            }
            th.retry_count += 1;
            run.tracker.transitions += 1;
            let millis = (delay * 1000.0).round().min(1e15) as i64;
            th.step = Step::Sleep {
                until: run.now + Duration::milliseconds(millis),
                retry: true,
            };
            return;
        }
        // The first matching retrier decides, even when it is used up.
        break;
    }
    for catcher in &handlers.catch {
        if !catcher.errors.iter().any(|e| error.matches(e)) {
            continue;
        }
        let error_output = json!({ "Error": error.error, "Cause": error.cause });
        let output = match &catcher.result_path {
            None => th.input.clone(),
            Some(p) if p.is_root() => error_output,
            Some(p) => {
                let mut base = th.input.clone();
                if let Err(e) = p.write(&mut base, error_output) {
                    th.finish(Err(StatesError::runtime(format!(
                        "{e} (Catch of state '{}')",
                        state.name
                    ))));
                    return;
                }
                base
            }
        };
        exit(run, th, output, Some(catcher.next));
        return;
    }
    th.finish(Err(error));
}
