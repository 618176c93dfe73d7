//! The two registers of 双随机一公开, reference data like the service catalogue
//! (`supervision.toml`): the 随机抽查事项清单 (`[[matter]]`: what may be inspected, by
//! which department, under which law, over which enterprises, with which check items)
//! and the 执法检查人员名录 (`[[inspector]]`: who may inspect, for which department,
//! qualified for which domains, with their 执法证 and their 回避 list).
//!
//! `Registers::parse_toml` reads a file and checks every entry, naming each bad one;
//! a file with any bad entry is refused whole.

use crate::enterprise::Profile;
use crate::id::{CreditCode, UnitCode};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Which enterprises a matter (or a plan) covers. Every non-empty list must match:
/// the industry code starts with one of `industries` (GB/T 4754 prefixes: `H62`,
/// `C`), the enterprise has any one of `tags`, its type is one of `entity_types`,
/// it lies in one of `streets`. An empty list matches everyone.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TargetFilter {
    #[serde(default)]
    pub industries: Vec<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub entity_types: Vec<String>,
    #[serde(default)]
    pub streets: Vec<String>,
}

impl TargetFilter {
    pub fn matches(&self, p: &Profile) -> bool {
        (self.industries.is_empty() || self.industries.iter().any(|i| p.industry.starts_with(i.as_str())))
            && (self.tags.is_empty() || self.tags.iter().any(|t| p.tags.contains(t)))
            && (self.entity_types.is_empty() || self.entity_types.contains(&p.entity_type))
            && (self.streets.is_empty()
                || p.street.as_ref().is_some_and(|s| self.streets.iter().any(|x| x == s.as_str())))
    }

    /// The filter as people read it.
    pub fn describe(&self) -> String {
        let mut parts = vec![];
        if !self.industries.is_empty() {
            parts.push(format!("行业 {}", self.industries.join("/")));
        }
        if !self.tags.is_empty() {
            parts.push(format!("标签 {}", self.tags.join("/")));
        }
        if !self.entity_types.is_empty() {
            parts.push(format!("类型 {}", self.entity_types.join("/")));
        }
        if !self.streets.is_empty() {
            parts.push(format!("街道 {}", self.streets.join("/")));
        }
        if parts.is_empty() { "全部市场主体".into() } else { parts.join("；") }
    }

    fn check(&self) -> Result<(), String> {
        for i in &self.industries {
            let mut c = i.chars();
            let ok = c.next().is_some_and(|c| c.is_ascii_uppercase()) && i.len() <= 5 && c.all(|c| c.is_ascii_digit());
            if !ok {
                return Err(format!("行业代码前缀“{i}”应为门类字母加至多4位数字，如 H62"));
            }
        }
        for t in self.tags.iter().chain(&self.entity_types).chain(&self.streets) {
            if t.trim().is_empty() || t.chars().count() > 40 {
                return Err("标签、企业类型、街道不能为空，且不超过40字".into());
            }
        }
        Ok(())
    }
}

/// A check item (检查项目) of a matter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CheckItem {
    pub code: String,
    pub name: String,
}

/// A 随机抽查事项.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Matter {
    pub code: String,
    pub name: String,
    /// The department that inspects (a unit of the organisation).
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub unit: UnitCode,
    /// The domain an inspector must be qualified for (食品安全, 特种设备 …).
    pub domain: String,
    /// 检查依据.
    pub legal_basis: String,
    #[serde(default)]
    pub filter: TargetFilter,
    pub items: Vec<CheckItem>,
}

/// An entry of the 执法检查人员名录.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Inspector {
    pub id: String,
    pub name: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub unit: UnitCode,
    /// The domains they may inspect (a matter's `domain`).
    pub qualifications: Vec<String>,
    /// 执法证号.
    pub licence: String,
    /// Their staff account, when they have one (to find their inspections).
    #[serde(default)]
    pub username: Option<String>,
    /// 回避: enterprises they must never inspect.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub recusals: Vec<CreditCode>,
}

/// Both registers.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Registers {
    /// `[[matter]]` in the TOML file; `matters` in JSON.
    #[serde(default, rename(deserialize = "matter"), alias = "matters")]
    pub matters: Vec<Matter>,
    /// `[[inspector]]` in the TOML file; `inspectors` in JSON.
    #[serde(default, rename(deserialize = "inspector"), alias = "inspectors")]
    pub inspectors: Vec<Inspector>,
}

impl Registers {
    /// Reads `supervision.toml` and checks it: every problem, each naming its entry.
    /// `unit_exists` says whether a unit code is one of the organisation.
    pub fn parse_toml(text: &str, unit_exists: impl Fn(&UnitCode) -> bool) -> Result<Self, Vec<String>> {
        let r: Registers = toml::from_str(text).map_err(|e| vec![format!("supervision.toml 格式有误：{e}")])?;
        let problems = r.problems(unit_exists);
        if problems.is_empty() { Ok(r) } else { Err(problems) }
    }

    /// Every problem of the registers, each naming its entry; empty when they are good.
    pub fn problems(&self, unit_exists: impl Fn(&UnitCode) -> bool) -> Vec<String> {
        let mut out = vec![];
        let mut codes = BTreeSet::new();
        let mut domains = BTreeSet::new();
        for (i, m) in self.matters.iter().enumerate() {
            let at = format!("第{}个抽查事项（{}）", i + 1, m.code);
            if m.code.trim().is_empty() || m.code.len() > 40 {
                out.push(format!("{at}：事项编码不能为空，且不超过40字符"));
            }
            if !codes.insert(m.code.as_str()) {
                out.push(format!("{at}：事项编码重复"));
            }
            if m.name.trim().is_empty() {
                out.push(format!("{at}：事项名称不能为空"));
            }
            if m.domain.trim().is_empty() {
                out.push(format!("{at}：检查领域不能为空"));
            }
            if m.legal_basis.trim().is_empty() {
                out.push(format!("{at}：检查依据不能为空"));
            }
            if !unit_exists(&m.unit) {
                out.push(format!("{at}：所属部门 {} 不存在", m.unit));
            }
            if let Err(e) = m.filter.check() {
                out.push(format!("{at}：{e}"));
            }
            if m.items.is_empty() {
                out.push(format!("{at}：至少需要一个检查项目"));
            }
            let mut items = BTreeSet::new();
            for it in &m.items {
                if it.code.trim().is_empty() || it.name.trim().is_empty() {
                    out.push(format!("{at}：检查项目的编码和名称不能为空"));
                }
                if !items.insert(it.code.as_str()) {
                    out.push(format!("{at}：检查项目编码 {} 重复", it.code));
                }
            }
            domains.insert(m.domain.as_str());
        }
        let mut ids = BTreeSet::new();
        let mut licences = BTreeSet::new();
        for (i, p) in self.inspectors.iter().enumerate() {
            let at = format!("第{}名执法检查人员（{} {}）", i + 1, p.id, p.name);
            if p.id.trim().is_empty() || p.id.len() > 40 {
                out.push(format!("{at}：编号不能为空，且不超过40字符"));
            }
            if !ids.insert(p.id.as_str()) {
                out.push(format!("{at}：编号重复"));
            }
            if p.name.trim().is_empty() {
                out.push(format!("{at}：姓名不能为空"));
            }
            if p.licence.trim().is_empty() {
                out.push(format!("{at}：执法证号不能为空"));
            } else if !licences.insert(p.licence.as_str()) {
                out.push(format!("{at}：执法证号 {} 重复", p.licence));
            }
            if !unit_exists(&p.unit) {
                out.push(format!("{at}：所属部门 {} 不存在", p.unit));
            }
            if p.qualifications.is_empty() {
                out.push(format!("{at}：至少需要一项执法资格"));
            }
            for q in &p.qualifications {
                if !domains.contains(q.as_str()) {
                    out.push(format!("{at}：执法资格“{q}”不是任何抽查事项的检查领域"));
                }
            }
        }
        out
    }

    pub fn matter(&self, code: &str) -> Option<&Matter> {
        self.matters.iter().find(|m| m.code == code)
    }
}
