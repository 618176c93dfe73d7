//! Work queues (待签收, 办理中, 即将超时, 已超时, 待回访 …) and the centre's views across
//! units. Lists mask names and phone numbers.

use crate::{App, AppError, Result};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use yiwang_core::appeal::{AppealKind, AppealType, Channel, Detail, Status};
use yiwang_core::case::Kind;
use yiwang_core::deadline::{Stage, Urgency};
use yiwang_core::id::{CaseId, CategoryCode, UnitCode, mask_name, mask_phone};
use yiwang_core::org::{Actor, Role};
use yiwang_store::CaseQuery;

/// The named queues.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Queue {
    /// 待派单 (centre)
    ToDispatch,
    /// 退单待处理 (centre)
    Returned,
    /// 待签收
    ToSign,
    /// 办理中
    Handling,
    /// 即将超时 (yellow)
    Warning,
    /// 已超时 (red)
    Overdue,
    /// 待回访 (centre)
    ToCallback,
    /// 未解决待定 (centre): called back, not solved
    Unsolved,
    /// 协办 (cases the unit was summoned to)
    CoHandling,
    /// Everything the actor may see.
    All,
}

impl Queue {
    pub const ALL: [Queue; 10] = [
        Queue::ToDispatch,
        Queue::Returned,
        Queue::ToSign,
        Queue::Handling,
        Queue::Warning,
        Queue::Overdue,
        Queue::ToCallback,
        Queue::Unsolved,
        Queue::CoHandling,
        Queue::All,
    ];
    pub fn label(self) -> &'static str {
        match self {
            Queue::ToDispatch => "待派单",
            Queue::Returned => "退单待处理",
            Queue::ToSign => "待签收",
            Queue::Handling => "办理中",
            Queue::Warning => "即将超时",
            Queue::Overdue => "已超时",
            Queue::ToCallback => "待回访",
            Queue::Unsolved => "回访未解决",
            Queue::CoHandling => "协办",
            Queue::All => "全部",
        }
    }
    /// Queues that only make sense for the centre.
    pub fn centre_only(self) -> bool {
        matches!(self, Queue::ToDispatch | Queue::Returned | Queue::ToCallback | Queue::Unsolved)
    }
}

/// Filters of a search; empty fields do not filter.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SearchFilter {
    pub unit: Option<UnitCode>,
    /// Cases in this street (or any area): in it, its communities or their grids.
    pub street: Option<UnitCode>,
    pub category: Option<CategoryCode>,
    pub status: Option<Status>,
    /// Accepted at or after.
    pub from: Option<DateTime<Utc>>,
    /// Accepted before.
    pub to: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CaseSummary {
    pub id: CaseId,
    pub status: Status,
    pub status_label: &'static str,
    pub appeal_type: AppealType,
    pub urgency: Urgency,
    pub channel: Channel,
    pub title: Option<String>,
    pub unit: Option<UnitCode>,
    pub unit_name: Option<String>,
    pub category: Option<CategoryCode>,
    pub area: Option<UnitCode>,
    pub stage: Stage,
    pub next_due: Option<DateTime<Utc>>,
    /// Working time left before `next_due`, in seconds (negative when overdue).
    pub seconds_left: Option<i64>,
    /// Whether `seconds_left` counts working time (a resolve limit) or natural time.
    pub working: bool,
    pub returned: bool,
    pub supervised: bool,
    pub accepted_at: DateTime<Utc>,
    /// Masked: 张*
    pub citizen_name: Option<String>,
    /// Masked: 138****5678
    pub citizen_phone: Option<String>,
}

/// Queues and searches count matching cases up to this many; past it a list says
/// "10000+" (as search engines do), since counting every one of a common word's
/// hundreds of thousands of matches costs seconds and tells a reader nothing more.
pub const COUNT_LIMIT: u64 = 10_000;

/// A full-text search counts its matches up to this many ("1000+"). On PostgreSQL
/// counting a match reads its row, so ten thousand of them took some 100 ms (`bench
/// scale`), more than the page itself; a thousand says as much to a reader.
pub const SEARCH_COUNT_LIMIT: u64 = 1_000;

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QueuePage {
    pub queue: Queue,
    /// Matching cases, counted up to `COUNT_LIMIT` (a search: `SEARCH_COUNT_LIMIT`).
    pub total: u64,
    /// More cases match than `total` (which is then that limit).
    pub more: bool,
    pub offset: u32,
    pub items: Vec<CaseSummary>,
}

impl App {
    /// The query behind a queue for this actor: centre staff and leaders see across
    /// units (optionally one unit), a unit's staff only their unit.
    fn queue_query(&self, actor: &Actor, queue: Queue, unit: Option<UnitCode>) -> Result<CaseQuery> {
        let Actor::Staff { unit: own, .. } = actor else {
            return Err(AppError::Forbidden("只有工作人员可以查看工单队列".into()));
        };
        let across = actor.is_centre() || actor.has_role(Role::Leader);
        if !across && queue.centre_only() {
            return Err(AppError::Forbidden("该队列仅热线中心可见".into()));
        }
        let unit = if across { unit } else { Some(own.clone()) };
        let statuses = |s: &[Status]| s.iter().map(|s| s.as_str()).collect::<Vec<_>>();
        let open = statuses(&[Status::Dispatched, Status::Handling]);
        let mut q = CaseQuery { kind: Some(AppealKind::NAME), count_up_to: Some(COUNT_LIMIT), ..Default::default() };
        // Every queue but 全部 lists open cases: the store reads them from indexes over
        // open cases alone.
        q.open = (queue != Queue::All).then_some(true);
        match queue {
            Queue::ToDispatch => q.statuses = statuses(&[Status::Accepted]),
            Queue::Returned => {
                q.statuses = statuses(&[Status::Accepted]);
                q.detail = vec![("returned", serde_json::Value::Bool(true))];
            }
            Queue::ToSign => q.statuses = statuses(&[Status::Dispatched]),
            Queue::Handling => q.statuses = statuses(&[Status::Handling]),
            Queue::Warning => {
                q.statuses = open;
                q.stage = Some(Stage::Yellow);
            }
            Queue::Overdue => {
                // The centre's own late work is overdue too: dispatch and callback.
                q.statuses = if across {
                    statuses(&[Status::Accepted, Status::Dispatched, Status::Handling, Status::Replied])
                } else {
                    open
                };
                q.stage = Some(Stage::Red);
            }
            Queue::ToCallback => q.statuses = statuses(&[Status::Replied]),
            Queue::Unsolved => q.statuses = statuses(&[Status::CalledBack]),
            Queue::CoHandling => {
                q.statuses = statuses(&[Status::Handling]);
                q.co_unit = unit.clone().or(Some(own.clone()));
                return Ok(q);
            }
            Queue::All => {}
        }
        if queue != Queue::ToDispatch && queue != Queue::Returned {
            q.unit = unit;
        }
        if !across && queue == Queue::All {
            // A unit sees what it holds; co-unit cases are in their own queue.
            q.unit = Some(own.clone());
        }
        Ok(q)
    }

    pub fn queue(
        &self,
        actor: &Actor,
        queue: Queue,
        unit: Option<UnitCode>,
        limit: u32,
        offset: u32,
    ) -> Result<QueuePage> {
        let mut q = self.queue_query(actor, queue, unit)?;
        q.limit = limit.clamp(1, 200);
        q.offset = offset;
        self.case_page(queue, q)
    }

    /// Full-text search over the cases the actor may see, newest first, with filters.
    pub fn search_cases(
        &self,
        actor: &Actor,
        text: &str,
        filter: SearchFilter,
        limit: u32,
        offset: u32,
    ) -> Result<QueuePage> {
        let Actor::Staff { unit: own, .. } = actor else {
            return Err(AppError::Forbidden("只有工作人员可以检索工单".into()));
        };
        let across = actor.is_centre() || actor.has_role(Role::Leader);
        let text = if text.trim().is_empty() {
            None
        } else {
            Some(
                yiwang_store::search::fts_query(text)
                    .ok_or_else(|| AppError::invalid("q", "检索词太短：中文请至少输入两个字"))?,
            )
        };
        let q = CaseQuery {
            kind: Some(AppealKind::NAME),
            text,
            visible_to: (!across).then(|| own.clone()),
            unit: filter.unit,
            category: filter.category.map(|c| c.to_string()),
            areas: match &filter.street {
                Some(s) => {
                    let r = self.reference();
                    if r.org.get(s).is_none() {
                        return Err(AppError::invalid("street", "所选街道不存在"));
                    }
                    // The street and every unit whose ancestry passes through it.
                    r.org
                        .units()
                        .filter(|u| r.org.ancestry(&u.code).any(|a| &a.code == s))
                        .map(|u| u.code.clone())
                        .collect()
                }
                None => vec![],
            },
            statuses: filter.status.into_iter().map(|s| s.as_str()).collect(),
            opened_from: filter.from,
            opened_to: filter.to,
            limit: limit.clamp(1, 200),
            offset,
            count_up_to: Some(SEARCH_COUNT_LIMIT),
            ..Default::default()
        };
        self.case_page(Queue::All, q)
    }

    fn case_page(&self, queue: Queue, q: CaseQuery) -> Result<QueuePage> {
        let offset = q.offset;
        let page = self.store.list_cases(&q)?;
        let r = self.reference();
        let now = self.now();
        let cal = &self.config.calendar;
        let items = page
            .rows
            .into_iter()
            .map(|c| {
                let status = Status::parse(&c.status).ok_or_else(|| bad_row(&c.id, "status"))?;
                let detail: Detail = serde_json::from_str(&c.detail).map_err(|_| bad_row(&c.id, "detail"))?;
                let category = c.category.as_deref().map(CategoryCode::parse).transpose()?;
                Ok(CaseSummary {
                    seconds_left: c
                        .next_due
                        .map(|d| yiwang_core::deadline::time_left(cal, now, d, c.next_due_working).num_seconds()),
                    working: c.next_due_working,
                    status_label: status.label(),
                    unit_name: c.unit.as_ref().map(|u| r.unit_name(u)),
                    citizen_name: c.person_name.as_deref().map(mask_name),
                    citizen_phone: c.person_phone.as_deref().map(mask_phone),
                    id: c.id,
                    status,
                    appeal_type: detail.appeal_type,
                    urgency: detail.urgency,
                    channel: detail.channel,
                    title: c.title,
                    unit: c.unit,
                    category,
                    area: c.area,
                    stage: c.stage,
                    next_due: c.next_due,
                    returned: detail.returned,
                    supervised: detail.supervised,
                    accepted_at: c.opened_at,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let more = q.count_up_to.is_some_and(|n| page.total >= n);
        Ok(QueuePage { queue, total: page.total, more, offset, items })
    }

    /// Counts of every queue the actor may see, for the console's badges, each counted
    /// up to `COUNT_LIMIT` ("at least" when it is reached).
    pub fn queue_counts(&self, actor: &Actor) -> Result<Vec<(Queue, u64)>> {
        let mut out = vec![];
        for q in Queue::ALL {
            if let Ok(query) = self.queue_query(actor, q, None) {
                out.push((q, self.store.count_cases(&query)?));
            }
        }
        Ok(out)
    }
}

/// A queue row the appeal cannot read: the store holds a projection this build did not
/// write.
fn bad_row(id: &CaseId, what: &str) -> AppError {
    AppError::Internal(format!("case {id}: unreadable {what} in its projection"))
}

/// One line of 我的待办: an open case of any kind that the unit holds.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TodoItem {
    pub id: CaseId,
    /// The kind's name (`appeal`, `task`) and its name for people.
    pub kind: String,
    pub kind_label: &'static str,
    pub title: Option<String>,
    pub status_label: &'static str,
    pub stage: Stage,
    pub next_due: Option<DateTime<Utc>>,
    /// Time left before `next_due`, in seconds (negative when overdue).
    pub seconds_left: Option<i64>,
    /// Whether `seconds_left` counts working time (a resolve limit) or natural time.
    pub working: bool,
    pub opened_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TodoPage {
    /// Counted up to `COUNT_LIMIT`.
    pub total: u64,
    pub more: bool,
    pub offset: u32,
    pub items: Vec<TodoItem>,
}

impl App {
    /// 我的待办: the open cases of every kind (or of `kind`) the actor's unit holds,
    /// newest first, with the time left on each; the same queue mechanics for every
    /// kind.
    pub fn todo(&self, actor: &Actor, kind: Option<&str>, limit: u32, offset: u32) -> Result<TodoPage> {
        let Actor::Staff { unit, .. } = actor else {
            return Err(AppError::Forbidden("只有工作人员可以查看待办".into()));
        };
        let kinds = yiwang_core::kinds();
        let kind = match kind {
            None | Some("") => None,
            Some(k) => Some(kinds.get(k).ok_or_else(|| AppError::invalid("kind", "没有这类工作"))?.name()),
        };
        let q = CaseQuery {
            kind,
            unit: Some(unit.clone()),
            open: Some(true),
            limit: limit.clamp(1, 200),
            offset,
            count_up_to: Some(COUNT_LIMIT),
            ..Default::default()
        };
        let page = self.store.list_cases(&q)?;
        let now = self.now();
        let cal = &self.config.calendar;
        let items = page
            .rows
            .into_iter()
            .map(|c| {
                let k = kinds.get(&c.kind);
                TodoItem {
                    kind_label: k.map(|k| k.label()).unwrap_or(""),
                    status_label: k.map(|k| k.status_label(&c.status)).unwrap_or(""),
                    seconds_left: c
                        .next_due
                        .map(|d| yiwang_core::deadline::time_left(cal, now, d, c.next_due_working).num_seconds()),
                    working: c.next_due_working,
                    id: c.id,
                    kind: c.kind,
                    title: c.title,
                    stage: c.stage,
                    next_due: c.next_due,
                    opened_at: c.opened_at,
                }
            })
            .collect();
        Ok(TodoPage { more: page.total >= COUNT_LIMIT, total: page.total, offset, items })
    }
}
