//! The clock is injected so the scheduler and every time limit can be stepped by hand
//! in tests.

use std::sync::Mutex;
use yiwang_core::Instant;

pub trait Clock: Send + Sync {
    fn now(&self) -> Instant;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        chrono::Utc::now()
    }
}

/// A clock that moves only when told to.
pub struct ManualClock(Mutex<Instant>);

impl ManualClock {
    pub fn new(at: Instant) -> Self {
        ManualClock(Mutex::new(at))
    }
    pub fn set(&self, at: Instant) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = at;
    }
    pub fn advance(&self, by: chrono::Duration) {
        let mut t = self.0.lock().unwrap_or_else(|p| p.into_inner());
        *t += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}
