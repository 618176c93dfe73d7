//! 督查督办: a work report's targets become tasks, and what the 督查室, the units and
//! the leaders do with them beyond the engine's own use cases (`App::act_on`): the
//! extraction a supervisor confirms, the task page, the commitments board, and the
//! queues of tasks.

use crate::{App, AppError, Result};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::Serialize;
use yiwang_core::case::{Events, Kind};
use yiwang_core::id::{CaseId, UnitCode};
use yiwang_core::org::{Actor, Role};
use yiwang_core::task::{
    self, Command, Direction, Grade, Light, NewTask, Task, TaskDetail, TaskEvent, TaskKind, TaskStatus,
};
use yiwang_store::{CaseQuery, NewCase};

/// The largest document that is read (a work report is some 20,000–60,000 characters).
pub const MAX_DOCUMENT_BYTES: usize = 10 * 1024 * 1024;
/// The most characters extracted from at once.
pub const MAX_DOCUMENT_CHARS: usize = 300_000;
/// The most tasks opened at once.
pub const MAX_TASKS_AT_ONCE: usize = 300;

/// A target the extractor found, for an inspector to confirm, edit, merge or drop.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TargetProposal {
    /// A title for the task it would become: what it counts and the target
    /// (城镇新增就业8000人, 城镇调查失业率控制在5.5%以内).
    pub title: String,
    pub value: String,
    pub unit: String,
    pub what: String,
    pub direction: Direction,
    pub sentence: String,
    /// Where the number stands in the text (character offsets), for highlighting.
    pub start: usize,
    pub end: usize,
}

/// A task as staff see it: its state, names for people, its timeline, and what the
/// viewer may do now.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TaskView {
    pub task: Task,
    pub status_label: &'static str,
    pub type_name: String,
    pub lead_name: Option<String>,
    pub co_unit_names: Vec<String>,
    pub light_label: &'static str,
    pub achieved: Option<f64>,
    pub progress: Option<f64>,
    pub met: bool,
    /// The grade the rule gives if the task were closed off now (`task::grade`).
    pub grade_now: Option<Grade>,
    pub events: Vec<TaskTimelineEntry>,
    /// The commands (`Command::name`) the viewer may give now.
    pub actions: Vec<&'static str>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TaskTimelineEntry {
    pub seq: u32,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub kind: &'static str,
    pub summary: String,
}

/// One line of the commitments board or a task queue.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TaskRow {
    pub id: CaseId,
    pub title: String,
    pub what: String,
    /// `8000人`.
    pub target: String,
    pub direction: Direction,
    pub achieved: Option<f64>,
    pub progress: Option<f64>,
    pub light: Light,
    pub light_label: &'static str,
    pub status: TaskStatus,
    pub status_label: &'static str,
    pub deadline: NaiveDate,
    pub lead: Option<UnitCode>,
    pub lead_name: Option<String>,
    pub review: bool,
    pub escalated: Option<&'static str>,
    pub grade: Option<&'static str>,
}

/// The commitments board: every target of a year by unit and light.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Board {
    pub year: i32,
    pub total: usize,
    pub green: usize,
    pub yellow: usize,
    pub red: usize,
    pub closed: usize,
    /// Open and past their deadline, unmet.
    pub overdue: Vec<TaskRow>,
    pub units: Vec<BoardUnit>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BoardUnit {
    pub unit: Option<UnitCode>,
    pub unit_name: String,
    pub green: usize,
    pub yellow: usize,
    pub red: usize,
    pub closed: usize,
    pub tasks: Vec<TaskRow>,
}

/// The queues of tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum TaskQueue {
    /// 待审核: reports waiting for an inspector (督查室).
    ToReview,
    /// 红灯任务 (督查室, leaders).
    Red,
    /// 督办升级: notices unanswered and gone up to the viewer (a unit's leader, the
    /// district leader in charge).
    Escalated,
    /// The tasks the viewer's unit leads or takes part in.
    Mine,
    /// Every task the viewer may see.
    All,
}

impl TaskQueue {
    pub const ALL: [TaskQueue; 5] = [Self::ToReview, Self::Red, Self::Escalated, Self::Mine, Self::All];
    pub fn label(self) -> &'static str {
        match self {
            Self::ToReview => "待审核",
            Self::Red => "红灯任务",
            Self::Escalated => "督办升级",
            Self::Mine => "本单位任务",
            Self::All => "全部任务",
        }
    }
}

impl App {
    /// The text of an uploaded document: `.txt` (UTF-8, with or without a byte-order
    /// mark) or `.docx`.
    pub fn document_text(name: &str, bytes: &[u8]) -> Result<String> {
        if bytes.len() > MAX_DOCUMENT_BYTES {
            return Err(AppError::invalid("file", "文件不能超过 10 MB"));
        }
        let lower = name.to_lowercase();
        if lower.ends_with(".docx") {
            return yiwang_dispatch::targets::docx_text(bytes)
                .map_err(|e| AppError::invalid("file", format!("无法读取该 Word 文档：{e}")));
        }
        if lower.ends_with(".txt") || lower.ends_with(".text") {
            let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
            return String::from_utf8(body.to_vec())
                .map_err(|_| AppError::invalid("file", "文本文件应为 UTF-8 编码（可在记事本“另存为”中选择 UTF-8）"));
        }
        if lower.ends_with(".doc") {
            return Err(AppError::invalid("file", "不支持旧版 .doc 文件，请在 Word 中另存为 .docx 后上传"));
        }
        Err(AppError::invalid("file", "只支持 .txt 和 .docx 文件"))
    }

    /// 提取目标: the measurable targets of a work report or plan, for an inspector to
    /// confirm.
    pub fn propose_targets(&self, actor: &Actor, text: &str) -> Result<Vec<TargetProposal>> {
        require_inspector(actor)?;
        if text.trim().is_empty() {
            return Err(AppError::invalid("text", "请粘贴或上传工作报告的文字"));
        }
        if text.chars().count() > MAX_DOCUMENT_CHARS {
            return Err(AppError::invalid("text", "文字太长：一次最多 30 万字"));
        }
        let char_at = |byte: usize| text[..byte].chars().count();
        Ok(yiwang_dispatch::targets::extract(text)
            .into_iter()
            .map(|t| TargetProposal {
                title: proposed_title(&t),
                start: char_at(t.span.start),
                end: char_at(t.span.end),
                direction: match t.direction {
                    yiwang_dispatch::targets::Direction::AtLeast => Direction::AtLeast,
                    yiwang_dispatch::targets::Direction::AtMost => Direction::AtMost,
                    yiwang_dispatch::targets::Direction::About => Direction::About,
                    yiwang_dispatch::targets::Direction::Exact => Direction::Exact,
                },
                value: t.value,
                unit: t.unit,
                what: t.what,
                sentence: t.sentence,
            })
            .collect())
    }

    /// 立项 and 交办: each confirmed target becomes a task. Every task is checked before
    /// any is opened, so a bad one opens none; the numbers come back in order.
    pub fn open_tasks(&self, actor: &Actor, tasks: &[NewTask]) -> Result<Vec<CaseId>> {
        require_inspector(actor)?;
        if tasks.is_empty() {
            return Err(AppError::invalid("tasks", "请至少确认一项目标"));
        }
        if tasks.len() > MAX_TASKS_AT_ONCE {
            return Err(AppError::invalid("tasks", "一次最多立项 300 项"));
        }
        let now = self.now();
        let r = self.reference();
        let ctx = self.context(&r, actor, now);
        let leaders = self.district_leaders()?;
        let mut decided = Vec::with_capacity(tasks.len());
        for (i, n) in tasks.iter().enumerate() {
            if let Some(l) = &n.leader
                && !leaders.iter().any(|(u, _)| u == l)
            {
                return Err(AppError::invalid(
                    format!("tasks[{i}].leader"),
                    format!("第 {} 项：分管领导须是区领导", i + 1),
                ));
            }
            let events = task::open(n, &ctx).map_err(|refusal| {
                use yiwang_core::case::Refusal as R;
                let within = match &refusal {
                    R::Invalid(v) => format!(".{}", v.field),
                    R::UnknownUnit(u) | R::UnitCannotHandle(u) if *u == n.lead => ".lead".into(),
                    R::UnknownUnit(_) | R::UnitCannotHandle(_) => ".co_units".into(),
                    R::Rule { code: "unknown_task_type", .. } => ".task_type".into(),
                    _ => String::new(),
                };
                AppError::RefusedItem { field: format!("tasks[{i}]{within}"), index: i, refusal }
            })?;
            decided.push(events);
        }
        let mut ids = Vec::with_capacity(decided.len());
        for events in decided {
            let new = NewCase {
                tenant: r.tenant.clone(),
                at: now,
                actor: actor.clone(),
                person: None,
                events: Events::new::<TaskKind>(events),
                notices: vec![],
                idempotency: None,
            };
            ids.push(self.create_case(new).wait()?.id().clone());
        }
        Ok(ids)
    }

    /// One command on a task.
    pub fn act_on_task(&self, actor: &Actor, id: &CaseId, command: &Command) -> Result<Task> {
        self.act_on::<TaskKind>(actor, id, command)
    }

    /// A task for staff. Tasks the viewer may not see are "not found".
    pub fn task_view(&self, actor: &Actor, id: &CaseId) -> Result<TaskView> {
        let case = self.load_case(id)?;
        if !case.is::<TaskKind>() || !case.can_view(actor) {
            return Err(AppError::NotFound(TaskKind::LABEL));
        }
        let t = case.into_state::<TaskKind>().map_err(|c| crate::case::wrong_kind(c.id()))?;
        let r = self.reference();
        let limits = &self.config.limits.task;
        let events = self
            .store
            .events(id)?
            .iter()
            .map(|e| {
                let env = e.decode::<TaskKind>().map_err(|e| AppError::Internal(e.to_string()))?;
                Ok(TaskTimelineEntry {
                    seq: env.seq,
                    at: env.at,
                    actor: env.actor.label(),
                    kind: env.event.name(),
                    summary: task_summary(&r, &env.event),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let achieved = t.achieved();
        Ok(TaskView {
            status_label: t.status.label(),
            type_name: limits.get(&t.task_type).map(|x| x.name.clone()).unwrap_or_else(|| t.task_type.clone()),
            lead_name: t.lead.as_ref().map(|u| r.unit_name(u)),
            co_unit_names: t.co_units.iter().map(|(u, _)| r.unit_name(u)).collect(),
            light_label: t.light.label(),
            progress: achieved.map(|a| t.target.progress(a)),
            achieved,
            met: t.met(),
            grade_now: task::grade(&t).map(|(g, _)| g),
            actions: self.task_actions(actor, &t),
            events,
            task: t,
        })
    }

    /// The commands (`Command::name`) this actor may give the task now, in the order
    /// the console shows them: the task's `decide` run on sample input, nothing stored.
    pub fn task_actions(&self, actor: &Actor, t: &Task) -> Vec<&'static str> {
        let r = self.reference();
        let ctx = self.context(&r, actor, self.now());
        let later = t.deadline + chrono::Duration::days(30);
        let pending = t.pending_reports().next().map(|p| p.seq).unwrap_or(0);
        let samples = [
            Command::SignFor,
            Command::Report { achieved: Some(0.0), text: "—".into(), evidence: vec![] },
            Command::Review { report: pending, accept: true, note: None },
            Command::AnswerNotice { text: "—".into() },
            Command::RequestExtension { deadline: later, reason: "—".into() },
            Command::DecideExtension { approve: true, note: None },
            Command::IssueNotice { note: "—".into() },
            Command::Close { note: None },
            Command::Conclude { note: "—".into() },
        ];
        samples.into_iter().filter(|c| task::decide(t, c, &ctx).is_ok()).map(|c| c.name()).collect()
    }

    /// The commitments board of `year`: for leaders, inspectors and administrators.
    pub fn board(&self, actor: &Actor, year: i32) -> Result<Board> {
        if !actor.has_any_role(&[Role::Leader, Role::Inspector]) {
            return Err(AppError::Forbidden("督查督办看板仅供区领导和督查室查看".into()));
        }
        if !(2000..3000).contains(&year) {
            return Err(AppError::invalid("year", "年份不正确"));
        }
        let q = CaseQuery {
            kind: Some(TaskKind::NAME),
            detail: vec![("year", serde_json::json!(year))],
            ..Default::default()
        };
        let rows = self.task_rows(q, 5_000)?;
        let mut board = Board {
            year,
            total: rows.len(),
            green: 0,
            yellow: 0,
            red: 0,
            closed: 0,
            overdue: rows.iter().filter(|r| r.status == TaskStatus::Overdue).cloned().collect(),
            units: vec![],
        };
        for row in rows {
            let i = match board.units.iter().position(|u| u.unit == row.lead) {
                Some(i) => i,
                None => {
                    board.units.push(BoardUnit {
                        unit: row.lead.clone(),
                        unit_name: row.lead_name.clone().unwrap_or_else(|| "未交办".into()),
                        green: 0,
                        yellow: 0,
                        red: 0,
                        closed: 0,
                        tasks: vec![],
                    });
                    board.units.len() - 1
                }
            };
            let u = &mut board.units[i];
            if row.status.is_open() {
                let (all, unit) = match row.light {
                    Light::Green => (&mut board.green, &mut u.green),
                    Light::Yellow => (&mut board.yellow, &mut u.yellow),
                    Light::Red => (&mut board.red, &mut u.red),
                };
                *all += 1;
                *unit += 1;
            } else {
                board.closed += 1;
                u.closed += 1;
            }
            u.tasks.push(row);
        }
        // The units with the most red first, then yellow; within a unit, open tasks
        // first, the worst light first, the least progress first.
        board.units.sort_by(|a, b| b.red.cmp(&a.red).then(b.yellow.cmp(&a.yellow)).then(a.unit_name.cmp(&b.unit_name)));
        for u in &mut board.units {
            u.tasks.sort_by(|a, b| {
                b.status
                    .is_open()
                    .cmp(&a.status.is_open())
                    .then(b.light.cmp(&a.light))
                    .then(a.progress.unwrap_or(0.0).total_cmp(&b.progress.unwrap_or(0.0)))
            });
        }
        Ok(board)
    }

    /// A queue of tasks for this actor.
    pub fn task_queue(&self, actor: &Actor, queue: TaskQueue, limit: u32) -> Result<Vec<TaskRow>> {
        let Actor::Staff { unit, username, .. } = actor else {
            return Err(AppError::Forbidden("只有工作人员可以查看任务".into()));
        };
        let all = TaskKind::sees_all(actor);
        let mut q = CaseQuery { kind: Some(TaskKind::NAME), ..Default::default() };
        if !all {
            q.visible_to = Some(unit.clone());
        }
        match queue {
            TaskQueue::ToReview => {
                if !actor.has_role(Role::Inspector) {
                    return Err(AppError::Forbidden("该队列仅督查室可见".into()));
                }
                q.open = Some(true);
                q.detail = vec![("review", serde_json::json!(true))];
            }
            TaskQueue::Red => {
                q.open = Some(true);
                q.stage = Some(yiwang_core::deadline::Stage::Red);
            }
            TaskQueue::Escalated => {
                q.open = Some(true);
                if actor.has_role(Role::Leader) {
                    q.detail = vec![
                        ("escalated", serde_json::json!("district_leader")),
                        ("leader", serde_json::json!(username.as_str())),
                    ];
                } else {
                    q.unit = Some(unit.clone());
                    q.detail = vec![("escalated", serde_json::json!("unit_leader"))];
                }
            }
            TaskQueue::Mine => {
                q.visible_to = Some(unit.clone());
                q.open = Some(true);
            }
            TaskQueue::All => {}
        }
        self.task_rows(q, limit.clamp(1, 5_000))
    }

    /// The tasks `q` finds, as board rows, newest first.
    fn task_rows(&self, mut q: CaseQuery, max: u32) -> Result<Vec<TaskRow>> {
        let r = self.reference();
        let mut out = vec![];
        q.limit = 500;
        loop {
            let page = self.store.list_cases(&q)?;
            let n = page.rows.len() as u32;
            for c in page.rows {
                let d: TaskDetail = serde_json::from_str(&c.detail)
                    .map_err(|_| AppError::Internal(format!("case {}: unreadable task detail", c.id)))?;
                let status = TaskStatus::parse(&c.status)
                    .ok_or_else(|| AppError::Internal(format!("case {}: unknown status", c.id)))?;
                out.push(TaskRow {
                    title: c.title.unwrap_or_default(),
                    target: format!("{}{}", d.value, d.unit),
                    what: d.what,
                    direction: d.direction,
                    achieved: d.achieved,
                    progress: d.progress,
                    light: d.light,
                    light_label: d.light.label(),
                    status_label: status.label(),
                    status,
                    deadline: d.deadline,
                    lead_name: c.unit.as_ref().map(|u| r.unit_name(u)),
                    lead: c.unit,
                    review: d.review,
                    escalated: d.escalated.map(|e| e.label()),
                    grade: d.grade.map(|g| g.label()),
                    id: c.id,
                });
            }
            q.offset += n;
            if n < q.limit || out.len() as u32 >= max {
                break;
            }
        }
        out.truncate(max as usize);
        Ok(out)
    }

    /// The units that may lead a task or help with one, departments first, then the
    /// streets, the district's own offices and the communities (grids do not).
    pub fn task_units(&self) -> Vec<(UnitCode, String)> {
        use yiwang_core::org::UnitKind as K;
        let r = self.reference();
        let mut units: Vec<_> = r.org.units().filter(|u| u.kind != K::Grid).collect();
        let order = |k: K| match k {
            K::Department => 0,
            K::Street => 1,
            K::Centre | K::District => 2,
            K::Community | K::Grid => 3,
        };
        units.sort_by(|a, b| order(a.kind).cmp(&order(b.kind)).then(a.code.cmp(&b.code)));
        units.into_iter().map(|u| (u.code.clone(), u.display_name().to_owned())).collect()
    }

    /// The district leaders a task may name as 分管领导: (username, name).
    pub fn district_leaders(&self) -> Result<Vec<(yiwang_core::id::Username, String)>> {
        Ok(self
            .store
            .list_staff()?
            .into_iter()
            .filter(|s| s.active && s.roles.contains(&Role::Leader))
            .map(|s| (s.username, s.name))
            .collect())
    }

    /// The task types of the district (`limits.toml`): (code, name).
    pub fn task_types(&self) -> Vec<(String, String)> {
        self.config.limits.task.types.iter().map(|t| (t.code.clone(), t.name.clone())).collect()
    }

    /// The year a board opens on: this year in China.
    pub fn this_year(&self) -> i32 {
        yiwang_core::calendar::civil_date(self.now()).year()
    }
}

/// `城镇新增就业8000人`, `城镇调查失业率控制在5.5%以内`, `粮食产量40万吨左右`.
fn proposed_title(t: &yiwang_dispatch::targets::Target) -> String {
    use yiwang_dispatch::targets::Direction as D;
    let (before, after) = match t.direction {
        D::AtMost => ("控制在", "以内"),
        D::About => ("", "左右"),
        D::AtLeast | D::Exact => ("", ""),
    };
    format!("{}{before}{}{}{after}", t.what, t.value, t.unit)
}

fn require_inspector(actor: &Actor) -> Result<()> {
    if actor.has_role(Role::Inspector) {
        Ok(())
    } else {
        Err(AppError::Forbidden("只有督查室可以立项督办任务".into()))
    }
}

/// A timeline line with unit names for people.
fn task_summary(r: &crate::Reference, e: &TaskEvent) -> String {
    match e {
        TaskEvent::Assigned { lead, co_units, .. } if co_units.is_empty() => format!("交办{}牵头", r.unit_name(lead)),
        TaskEvent::Assigned { lead, co_units, .. } => format!(
            "交办{}牵头，{}配合",
            r.unit_name(lead),
            co_units.iter().map(|u| r.unit_name(u)).collect::<Vec<_>>().join("、")
        ),
        TaskEvent::Reported { unit, achieved: Some(v), .. } => format!("{}报告进度：已完成 {v}", r.unit_name(unit)),
        TaskEvent::Reported { unit, .. } => format!("{}报告进度", r.unit_name(unit)),
        other => other.summary(),
    }
}
