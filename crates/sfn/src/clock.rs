//! Time and randomness, injectable so that tests with waits, timeouts and
//! jitter run instantly and repeat exactly.

use std::fmt::Debug;
use std::io::Read as _;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;

/// The engine's clock.
pub trait Clock: Send + Sync + Debug {
    fn now(&self) -> DateTime<Utc>;
    /// Resolves when `deadline` has passed.
    fn sleep_until(&self, deadline: DateTime<Utc>) -> BoxFuture<'static, ()>;
    /// Whether time stands still while a task runs (virtual time): then the
    /// engine waits for running tasks before it lets a timer fire, so a task
    /// doing real I/O is not overtaken by a jump of the clock.
    fn stands_still_while_tasks_run(&self) -> bool {
        false
    }
}

/// Wall-clock time; sleeping uses tokio's timer.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    fn sleep_until(&self, deadline: DateTime<Utc>) -> BoxFuture<'static, ()> {
        let wait = (deadline - Utc::now()).to_std().unwrap_or_default();
        Box::pin(tokio::time::sleep(wait))
    }
}

/// A clock that only moves when told to, or when the engine sleeps: then it
/// jumps straight to the deadline. A 24-hour wait takes no time. The jump
/// happens when the sleep is polled, so a task that is already done wins
/// over a timer, and a task that hangs meets its timeout at once.
#[derive(Debug)]
pub struct ManualClock {
    now: Arc<Mutex<DateTime<Utc>>>,
    tasks_first: bool,
}

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> Self {
        Self {
            now: Arc::new(Mutex::new(start)),
            tasks_first: false,
        }
    }

    /// Time stands still while a task runs: running tasks finish before any
    /// timer fires, so a task doing real I/O (a model server, a relay on
    /// 127.0.0.1) is not overtaken by a jump to its own timeout. A task that
    /// never ends then never times out: use it only where tasks end.
    pub fn standing_still_while_tasks_run(mut self) -> Self {
        self.tasks_first = true;
        self
    }

    pub fn advance(&self, by: chrono::Duration) {
        if let Ok(mut now) = self.now.lock() {
            *now += by;
        }
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        self.now.lock().map(|n| *n).unwrap_or_default()
    }

    fn stands_still_while_tasks_run(&self) -> bool {
        self.tasks_first
    }

    fn sleep_until(&self, deadline: DateTime<Utc>) -> BoxFuture<'static, ()> {
        let now = Arc::clone(&self.now);
        Box::pin(async move {
            if let Ok(mut now) = now.lock()
                && *now < deadline
            {
                *now = deadline;
            }
        })
    }
}

/// Where the engine's randomness comes from: task tokens, execution names,
/// retry jitter, `States.UUID` and `States.MathRandom`.
pub trait Random: Send + Sync + Debug {
    fn next_u64(&self) -> u64;
}

/// The operating system's randomness (`/dev/urandom`): tokens are secrets.
#[derive(Debug, Default)]
pub struct OsRandom;

impl Random for OsRandom {
    fn next_u64(&self) -> u64 {
        let mut bytes = [0u8; 8];
        let read = std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut bytes));
        if read.is_err() {
            // No /dev/urandom: fall back on the hasher's per-process random keys.
            use std::hash::{BuildHasher as _, Hasher as _};
            let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
            hasher.write_u128(
                Utc::now()
                    .timestamp_nanos_opt()
                    .unwrap_or(0)
                    .unsigned_abs()
                    .into(),
            );
            return hasher.finish();
        }
        u64::from_le_bytes(bytes)
    }
}

/// A repeatable sequence (SplitMix64), for tests.
#[derive(Debug)]
pub struct SeededRandom {
    state: Mutex<u64>,
}

impl SeededRandom {
    pub fn new(seed: u64) -> Self {
        Self {
            state: Mutex::new(seed),
        }
    }
}

impl Random for SeededRandom {
    fn next_u64(&self) -> u64 {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        splitmix(&mut state)
    }
}

/// One step of SplitMix64: small, fast, and its whole state is one `u64`, so
/// an execution can carry its own generator in its snapshot.
pub(crate) fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
