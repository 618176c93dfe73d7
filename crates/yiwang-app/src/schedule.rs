//! The deadline scheduler, one for every kind of case: finds the cases whose next
//! alarm has come, lets each one's kind decide what the time means (`Kind::alarms`:
//! clocks turning yellow or red, and whatever else a kind does when time passes), and
//! records it. It reads time only from the injected clock; `yiwang serve` calls
//! `tick` every few seconds.

use crate::{App, Result};
use serde::Serialize;
use yiwang_core::org::Actor;
use yiwang_store::{AppendBatch, Notice, StoreError};

#[derive(Debug, Clone, Default, Serialize)]
pub struct TickReport {
    pub cases: u32,
    pub events: u32,
}

impl App {
    /// Marks every alarm that has come; its time and outcome are counted
    /// (`yiwang_metrics::SCHEDULER`: the lag is the time since the last good tick).
    pub fn tick(&self) -> Result<TickReport> {
        let began = std::time::Instant::now();
        let r = self.mark_due_alarms();
        yiwang_metrics::SCHEDULER.ticked(began.elapsed(), r.is_ok());
        r
    }

    fn mark_due_alarms(&self) -> Result<TickReport> {
        let now = self.now();
        let mut report = TickReport::default();
        loop {
            let events_before = report.events;
            let due = self.store.due_alarms(now, 500)?;
            let n = due.len();
            for id in due {
                for _ in 0..5 {
                    // A case gone or closed in between has nothing left to mark.
                    let Some(case) = self.store.load(&id)? else { break };
                    let r = self.reference();
                    let Some((events, notices)) = case.kind_of().alarms(&case, &self.context(&r, &Actor::System, now))
                    else {
                        break;
                    };
                    let n = events.len() as u32;
                    // What time does to a case its person hears of, as they hear of what
                    // people do (an application accepted by the law's deadline).
                    // (Or the enterprise the case is about: a rectification's deadline.)
                    let told = case.project().header.person.is_some() || case.kind_of().notices_to_enterprise();
                    let mut notices: Vec<Notice> =
                        if told { notices.into_iter().map(Notice::to_citizen).collect() } else { vec![] };
                    notices.extend(self.feed_notices(Some(&case), &events, None, now, &Actor::System));
                    let mut batch = AppendBatch::new(r.tenant.clone(), case, now, Actor::System, events);
                    batch.notices = notices;
                    match self.store.append(batch).wait() {
                        Err(StoreError::Conflict { .. }) => continue,
                        written => {
                            written?;
                            report.cases += 1;
                            report.events += n;
                            break;
                        }
                    }
                }
            }
            // Stop when the page was the last, or when nothing changed (a case whose alarm
            // did not move would otherwise come back forever).
            if n < 500 || report.events == events_before {
                break;
            }
        }
        // A bundle and its parts brought into agreement after a crash between writes.
        self.reconcile_bundles()?;
        // A published plan's inspections (双随机一公开), opened after a crash.
        self.reconcile_plans()?;
        // An inspection's or a rectification's follow-up (credit fact, rectification).
        self.settle_supervision()?;
        // An approved 信用修复 whose enterprise's record a crash left unrepaired.
        self.reconcile_repairs()?;
        // 免申即享 policies that run on a schedule.
        self.run_due_policies()?;
        // 数据开放: the open datasets, exported once a day. A failed export is
        // logged and tried again at the next tick; it never stops the deadlines.
        if let Err(e) = self.refresh_open_data_daily() {
            tracing::warn!(error = %e, "open data export failed");
        }
        // Clients' Idempotency-Keys are kept IDEMPOTENCY_HOURS.
        self.store.purge_idempotency(now - chrono::Duration::hours(crate::IDEMPOTENCY_HOURS))?;
        Ok(report)
    }
}
