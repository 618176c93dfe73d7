//! The organisation: a tree of units (district → centre, departments and streets →
//! communities → grids), the staff roles, and who is acting.

use crate::id::{InvalidValue, UnitCode, Username};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum UnitKind {
    /// 区政府: the jurisdiction; catches what no other unit owns (兜底).
    District,
    /// 12345 热线中心: takes appeals in, dispatches, calls back, supervises.
    Centre,
    /// 委办局: a functional department.
    Department,
    /// 街道/乡镇.
    Street,
    /// 社区/村.
    Community,
    /// 网格.
    Grid,
}

impl UnitKind {
    pub fn label(self) -> &'static str {
        match self {
            Self::District => "区政府",
            Self::Centre => "热线中心",
            Self::Department => "委办局",
            Self::Street => "街道",
            Self::Community => "社区",
            Self::Grid => "网格",
        }
    }
    /// Units a case can be dispatched to. The centre dispatches but never handles, and
    /// a grid is an area patrolled by a worker, not a handling unit.
    pub fn can_handle(self) -> bool {
        matches!(self, Self::District | Self::Department | Self::Street | Self::Community)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Unit {
    pub code: UnitCode,
    pub name: String,
    #[serde(default)]
    pub short: Option<String>,
    pub kind: UnitKind,
    #[serde(default)]
    pub parent: Option<UnitCode>,
}

impl Unit {
    pub fn display_name(&self) -> &str {
        self.short.as_deref().unwrap_or(&self.name)
    }
}

/// The whole tree, validated: codes unique, parents exist, no cycles, exactly one
/// district at the root and at most one centre.
#[derive(Debug, Clone, Default)]
pub struct Organisation {
    units: BTreeMap<UnitCode, Unit>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrgError {
    #[error("单位 {0} 重复")]
    Duplicate(UnitCode),
    #[error("单位 {unit} 的上级 {parent} 不存在")]
    MissingParent { unit: UnitCode, parent: UnitCode },
    #[error("组织树须有且只有一个区作为根，现有 {0} 个根")]
    Roots(usize),
    #[error("单位 {0} 的上级链形成了环")]
    Cycle(UnitCode),
    #[error("单位 {unit}：{} 不能隶属于{}", kind.label(), parent_kind.label())]
    Misplaced { unit: UnitCode, kind: UnitKind, parent_kind: UnitKind },
}

impl Organisation {
    pub fn new(units: Vec<Unit>) -> Result<Self, OrgError> {
        let mut map = BTreeMap::new();
        for u in units {
            if map.contains_key(&u.code) {
                return Err(OrgError::Duplicate(u.code));
            }
            map.insert(u.code.clone(), u);
        }
        for u in map.values() {
            if let Some(p) = &u.parent {
                let Some(parent) = map.get(p) else {
                    return Err(OrgError::MissingParent { unit: u.code.clone(), parent: p.clone() });
                };
                use UnitKind::*;
                let fits = match u.kind {
                    District => false,
                    Centre | Department | Street => parent.kind == District,
                    Community => parent.kind == Street,
                    Grid => parent.kind == Community,
                };
                if !fits {
                    return Err(OrgError::Misplaced { unit: u.code.clone(), kind: u.kind, parent_kind: parent.kind });
                }
            }
            // Depth is bounded by the kinds above, but check anyway so a corrupt file
            // cannot loop.
            let mut cur = u;
            for _ in 0..=map.len() {
                match &cur.parent {
                    Some(p) => cur = &map[p],
                    None => break,
                }
                if cur.code == u.code {
                    return Err(OrgError::Cycle(u.code.clone()));
                }
            }
        }
        // Checked after the parents, so a unit naming a missing parent is reported as
        // such rather than as a second root.
        let roots = map.values().filter(|u| u.parent.is_none()).count();
        let district_roots = map.values().filter(|u| u.parent.is_none() && u.kind == UnitKind::District).count();
        if !map.is_empty() && (roots != 1 || district_roots != 1) {
            return Err(OrgError::Roots(roots));
        }
        Ok(Self { units: map })
    }
    pub fn get(&self, code: &UnitCode) -> Option<&Unit> {
        self.units.get(code)
    }
    pub fn units(&self) -> impl Iterator<Item = &Unit> {
        self.units.values()
    }
    /// Every unit in the order of the tree, with its depth (the district 0): each
    /// unit followed by its own, the centre first, then departments, then streets
    /// (each with its communities and their grids), each kind by code. How people
    /// look for a unit in a list.
    pub fn in_tree_order(&self) -> Vec<(&Unit, usize)> {
        let mut children: BTreeMap<Option<&UnitCode>, Vec<&Unit>> = BTreeMap::new();
        for u in self.units.values() {
            children.entry(u.parent.as_ref()).or_default().push(u);
        }
        for list in children.values_mut() {
            list.sort_by(|a, b| (a.kind, &a.code).cmp(&(b.kind, &b.code)));
        }
        let mut out = Vec::with_capacity(self.units.len());
        let mut stack: Vec<(&Unit, usize)> = children.get(&None).into_iter().flatten().rev().map(|u| (*u, 0)).collect();
        while let Some((u, depth)) = stack.pop() {
            out.push((u, depth));
            if let Some(kids) = children.get(&Some(&u.code)) {
                stack.extend(kids.iter().rev().map(|k| (*k, depth + 1)));
            }
        }
        out
    }
    pub fn district(&self) -> Option<&Unit> {
        self.units.values().find(|u| u.kind == UnitKind::District)
    }
    pub fn is_empty(&self) -> bool {
        self.units.is_empty()
    }
    /// The unit and its ancestors, nearest first.
    pub fn ancestry<'a>(&'a self, code: &UnitCode) -> impl Iterator<Item = &'a Unit> + 'a {
        let mut next = self.units.get(code);
        std::iter::from_fn(move || {
            let cur = next?;
            next = cur.parent.as_ref().and_then(|p| self.units.get(p));
            Some(cur)
        })
    }
    /// The street a unit (community, grid) lies in, if any.
    pub fn street_of(&self, code: &UnitCode) -> Option<&Unit> {
        self.ancestry(code).find(|u| u.kind == UnitKind::Street)
    }
}

/// What a staff member may do. Roles are checked by core, per action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Role {
    /// 系统管理员: set-up (units, categories, calendar, the knowledge base, imports).
    /// Reads no case data (三员分立).
    Admin,
    /// 安全管理员: accounts' lock-outs and API keys (三员分立).
    SecurityAdmin,
    /// 安全审计员: reads the security audit log, and nothing else (三员分立).
    Auditor,
    /// 话务员: takes calls in, answers consultations directly, calls back.
    Operator,
    /// 派单员: dispatches, reassigns, merges, decides returns and extensions.
    Dispatcher,
    /// 督办员: reminds and supervises, closes and reopens.
    Supervisor,
    /// 承办人: handles the cases of their unit.
    Handler,
    /// 单位负责人: a unit's leader; may do what a handler does.
    UnitLeader,
    /// 区领导: reads dashboards and measures.
    Leader,
    /// 网格员: patrols a grid and reports what they find.
    GridWorker,
    /// 督查员: staff of the 督查室, who track the government's own commitments (督查督办):
    /// open tasks, review progress, issue notices, close tasks off (销号).
    Inspector,
    /// 窗口受理员: registers applications for government services at the hall or a
    /// department's window, checks materials, accepts, refuses or asks for 补正.
    Clerk,
    /// 审查员: reviews accepted applications of their department and gives an opinion.
    Reviewer,
    /// 审批人: decides applications of their department (准予 or 不予).
    Approver,
    /// 核验员: checks the e-certificates presented to them (at a bank, or another
    /// department's window) and sees nothing else: no case, queue, dashboard or
    /// personal data. A staff member with this role alone is refused everywhere but
    /// the verification page (`Role::only_verifies`).
    Verifier,
    /// 监管人员: a department's supervision staff (一网通管): keep the enterprise
    /// register, plan and draw random inspections, review findings and 陈述申辩, decide
    /// rectifications and 信用修复, publish results.
    Regulator,
    /// 执法检查人员: a law-enforcement officer with a 执法证, on the 执法检查人员名录;
    /// carries out the inspections they are drawn or assigned to.
    Enforcer,
    /// 政策专员: defines, dry-runs and runs 免申即享 policies, and records payments.
    PolicyOfficer,
    /// 数据专员: registers and amends their department's resources in the catalogue
    /// (政务信息资源目录, 一网共享); one at the district (the big-data bureau, 数据局)
    /// keeps every department's entries.
    DataOfficer,
}

impl Role {
    pub const ALL: [Role; 19] = [
        Role::Admin,
        Role::SecurityAdmin,
        Role::Auditor,
        Role::Operator,
        Role::Dispatcher,
        Role::Supervisor,
        Role::Handler,
        Role::UnitLeader,
        Role::Leader,
        Role::GridWorker,
        Role::Inspector,
        Role::Clerk,
        Role::Reviewer,
        Role::Approver,
        Role::Verifier,
        Role::Regulator,
        Role::Enforcer,
        Role::PolicyOfficer,
        Role::DataOfficer,
    ];
    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        Self::ALL.into_iter().find(|r| r.as_str() == s).ok_or(InvalidValue {
            field: "role",
            rule: "应为 admin、security_admin、auditor、operator、dispatcher、supervisor、handler、unit_leader、leader、grid_worker、inspector、clerk、reviewer、approver、verifier、regulator、enforcer、policy_officer、data_officer 之一",
        })
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::SecurityAdmin => "security_admin",
            Role::Auditor => "auditor",
            Role::Operator => "operator",
            Role::Dispatcher => "dispatcher",
            Role::Supervisor => "supervisor",
            Role::Handler => "handler",
            Role::UnitLeader => "unit_leader",
            Role::Leader => "leader",
            Role::GridWorker => "grid_worker",
            Role::Inspector => "inspector",
            Role::Clerk => "clerk",
            Role::Reviewer => "reviewer",
            Role::Approver => "approver",
            Role::Verifier => "verifier",
            Role::Regulator => "regulator",
            Role::Enforcer => "enforcer",
            Role::PolicyOfficer => "policy_officer",
            Role::DataOfficer => "data_officer",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "系统管理员",
            Role::SecurityAdmin => "安全管理员",
            Role::Auditor => "安全审计员",
            Role::Operator => "话务员",
            Role::Dispatcher => "派单员",
            Role::Supervisor => "督办员",
            Role::Handler => "承办人",
            Role::UnitLeader => "单位负责人",
            Role::Leader => "区领导",
            Role::GridWorker => "网格员",
            Role::Inspector => "督查员",
            Role::Clerk => "窗口受理员",
            Role::Reviewer => "审查员",
            Role::Approver => "审批人",
            Role::Verifier => "核验员",
            Role::Regulator => "监管人员",
            Role::Enforcer => "执法检查人员",
            Role::PolicyOfficer => "政策专员",
            Role::DataOfficer => "数据专员",
        }
    }

    /// Whether `roles` are the verifier's alone: such a staff member may verify
    /// certificates and do nothing else, whatever their unit could see.
    pub fn only_verifies(roles: &[Role]) -> bool {
        !roles.is_empty() && roles.iter().all(|r| *r == Role::Verifier)
    }
}

/// A staff member as the domain sees them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Staff {
    pub username: Username,
    pub name: String,
    pub unit: UnitCode,
    pub roles: Vec<Role>,
}

/// Who is acting. Every event records its actor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Actor {
    /// A staff member acting for their unit.
    Staff { username: Username, unit: UnitCode, unit_kind: UnitKind, roles: Vec<Role> },
    /// The citizen who filed the appeal (proved by tracking code and phone).
    Citizen,
    /// Another system, e.g. an Open311 client app, by its registered name.
    Client { name: String },
    /// yiwang itself: the deadline scheduler.
    System,
}

impl Actor {
    pub fn staff(s: &Staff, unit_kind: UnitKind) -> Self {
        Actor::Staff { username: s.username.clone(), unit: s.unit.clone(), unit_kind, roles: s.roles.clone() }
    }
    pub fn has_role(&self, role: Role) -> bool {
        matches!(self, Actor::Staff { roles, .. } if roles.contains(&role))
    }
    pub fn has_any_role(&self, roles: &[Role]) -> bool {
        roles.iter().any(|r| self.has_role(*r))
    }
    pub fn unit(&self) -> Option<&UnitCode> {
        match self {
            Actor::Staff { unit, .. } => Some(unit),
            _ => None,
        }
    }
    /// The staff member's username, if a staff member acts.
    pub fn username(&self) -> Option<&str> {
        match self {
            Actor::Staff { username, .. } => Some(username.as_str()),
            _ => None,
        }
    }
    pub fn is_centre(&self) -> bool {
        matches!(self, Actor::Staff { unit_kind: UnitKind::Centre, .. })
    }
    /// A short description for timelines: the username, or who else acted.
    pub fn label(&self) -> String {
        match self {
            Actor::Staff { username, .. } => username.to_string(),
            Actor::Citizen => "诉求人".into(),
            Actor::Client { name } => name.clone(),
            Actor::System => "系统".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(code: &str, kind: UnitKind, parent: Option<&str>) -> Unit {
        Unit {
            code: UnitCode::parse(code).unwrap(),
            name: code.into(),
            short: None,
            kind,
            parent: parent.map(|p| UnitCode::parse(p).unwrap()),
        }
    }

    #[test]
    fn units_list_in_the_order_of_the_tree() {
        let org = Organisation::new(vec![
            unit("s2", UnitKind::Street, Some("d")),
            unit("c1", UnitKind::Community, Some("s1")),
            unit("dept", UnitKind::Department, Some("d")),
            unit("d", UnitKind::District, None),
            unit("s1", UnitKind::Street, Some("d")),
            unit("centre", UnitKind::Centre, Some("d")),
            unit("c2", UnitKind::Community, Some("s2")),
            unit("g1", UnitKind::Grid, Some("c1")),
        ])
        .unwrap();
        let order: Vec<(&str, usize)> = org.in_tree_order().iter().map(|(u, d)| (u.code.as_str(), *d)).collect();
        assert_eq!(
            order,
            [("d", 0), ("centre", 1), ("dept", 1), ("s1", 1), ("c1", 2), ("g1", 3), ("s2", 1), ("c2", 2)]
        );
    }

    #[test]
    fn a_valid_tree_answers_ancestry() {
        let org = Organisation::new(vec![
            unit("d", UnitKind::District, None),
            unit("s", UnitKind::Street, Some("d")),
            unit("c", UnitKind::Community, Some("s")),
            unit("g", UnitKind::Grid, Some("c")),
        ])
        .unwrap();
        let chain: Vec<_> = org.ancestry(&UnitCode::parse("g").unwrap()).map(|u| u.code.to_string()).collect();
        assert_eq!(chain, ["g", "c", "s", "d"]);
        assert_eq!(org.street_of(&UnitCode::parse("g").unwrap()).unwrap().code.as_str(), "s");
    }

    #[test]
    fn broken_trees_are_refused() {
        let cases: Vec<(Vec<Unit>, &str)> = vec![
            (vec![unit("d", UnitKind::District, None), unit("d", UnitKind::Street, Some("d"))], "重复"),
            (vec![unit("d", UnitKind::District, None), unit("s", UnitKind::Street, Some("x"))], "不存在"),
            (vec![unit("d", UnitKind::District, None), unit("e", UnitKind::District, None)], "有且只有一个区"),
            (vec![unit("d", UnitKind::District, None), unit("g", UnitKind::Grid, Some("d"))], "不能隶属于"),
        ];
        for (units, msg) in cases {
            let err = Organisation::new(units).unwrap_err().to_string();
            assert!(err.contains(msg), "{err} should mention {msg}");
        }
    }
}
