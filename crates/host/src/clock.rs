//! Maps tokio's clock onto the [`susurro_wire::Instant`] the cores use, so
//! tests with tokio's paused clock run cores and links in simulated time.

use std::time::Duration;

use susurro_wire::Instant;

/// The host's clock: microseconds since the host started.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    origin: tokio::time::Instant,
}

impl Clock {
    /// A clock whose zero is now.
    pub fn new() -> Self {
        Self {
            origin: tokio::time::Instant::now(),
        }
    }

    /// The current time.
    pub fn now(&self) -> Instant {
        let us = self.origin.elapsed().as_micros();
        Instant::from_micros(u64::try_from(us).unwrap_or(u64::MAX))
    }

    /// The tokio instant of a core deadline.
    pub fn to_tokio(&self, t: Instant) -> tokio::time::Instant {
        self.origin + Duration::from_micros(t.as_micros())
    }
}

impl Default for Clock {
    fn default() -> Self {
        Self::new()
    }
}
