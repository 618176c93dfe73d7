//! The deadline scheduler: finds cases whose clocks change colour, lets core write
//! the yellow (warning) and red (overdue) events, and so feeds the queues. It reads
//! time only from the injected clock; `yiwang serve` calls `tick` every few seconds.

use crate::{App, AppError, Result};
use serde::Serialize;
use yiwang_core::appeal::Action;
use yiwang_core::org::Actor;

#[derive(Debug, Clone, Default, Serialize)]
pub struct TickReport {
    pub cases: u32,
    pub events: u32,
}

impl App {
    pub fn tick(&self) -> Result<TickReport> {
        let now = self.now();
        let mut report = TickReport::default();
        loop {
            let events_before = report.events;
            let due = self.store.due_alarms(now, 500)?;
            let n = due.len();
            for id in due {
                let before = self.store.load(&id)?.map(|a| a.version);
                match self.act(&Actor::System, &id, &Action::Tick) {
                    Ok(a) => {
                        report.cases += 1;
                        report.events += a.version - before.unwrap_or(a.version);
                    }
                    // A case closed in between has nothing left to mark.
                    Err(AppError::Refused(_)) | Err(AppError::NotFound(_)) => {}
                    Err(e) => return Err(e),
                }
            }
            // Stop when the page was the last, or when nothing changed (a case whose alarm
            // did not move would otherwise come back forever).
            if n < 500 || report.events == events_before {
                break;
            }
        }
        Ok(report)
    }
}
