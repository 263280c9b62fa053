//! Polling with backoff and a deadline, for Athena and Logs Insights
//! queries, and full jitter for our own retries.

use std::time::Duration;

use tokio::time::Instant;

/// How to wait for a query: the first pause, its growth, its cap, and when
/// to give up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Polling {
    pub first: Duration,
    pub max: Duration,
    pub deadline: Duration,
}

impl Default for Polling {
    fn default() -> Self {
        Self {
            first: Duration::from_millis(200),
            max: Duration::from_secs(2),
            deadline: Duration::from_secs(20),
        }
    }
}

impl Polling {
    /// No waiting at all: for tests against mocks.
    pub fn immediate(deadline: Duration) -> Self {
        Self {
            first: Duration::ZERO,
            max: Duration::ZERO,
            deadline,
        }
    }

    pub fn start(self) -> Poller {
        Poller {
            polling: self,
            started: Instant::now(),
            pause: self.first,
            polls: 0,
        }
    }
}

#[derive(Debug)]
pub struct Poller {
    polling: Polling,
    started: Instant,
    pause: Duration,
    polls: u32,
}

impl Poller {
    /// Waits before the next poll; false once the deadline has passed.
    pub async fn wait(&mut self) -> bool {
        if self.started.elapsed() + self.pause > self.polling.deadline {
            return false;
        }
        tokio::time::sleep(self.pause).await;
        self.polls += 1;
        self.pause = (self.pause * 2).min(self.polling.max);
        true
    }

    pub fn polls(&self) -> u32 {
        self.polls
    }
}

/// A full-jitter delay in `[0, base * 2^attempt]`, capped: AWS's advice for
/// retries, so that throttled callers spread out.
pub fn full_jitter(base: Duration, cap: Duration, attempt: u32) -> Duration {
    let ceiling = base.saturating_mul(2u32.saturating_pow(attempt)).min(cap);
    let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
    if nanos == 0 {
        return Duration::ZERO;
    }
    Duration::from_nanos(random_u64() % nanos)
}

/// A little randomness without a dependency: the clock's nanoseconds mixed
/// (splitmix64). Jitter needs spread, not unpredictability.
fn random_u64() -> u64 {
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
