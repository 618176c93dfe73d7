//! Setting up a district from files: units, categories, staff and boundaries, in the
//! same formats as the demo district (`data/demo/README.md`). Everything is validated
//! before anything is stored.

use crate::{App, AppError, Result, hash_password};
use serde::Deserialize;
use std::collections::HashSet;
use yiwang_core::id::{UnitCode, Username};
use yiwang_core::org::{Organisation, Role, Unit};
use yiwang_core::taxonomy::{Category, Taxonomy};
use yiwang_store::StaffRecord;

/// The texts of a district's set-up files. Any may be absent to keep what is stored.
#[derive(Debug, Clone, Default)]
pub struct DistrictFiles {
    /// `units.json`
    pub units: Option<String>,
    /// `categories.json`
    pub categories: Option<String>,
    /// `staff.json`
    pub staff: Option<String>,
    /// `boundaries.geojson`
    pub boundaries: Option<String>,
    /// `places.json`: the gazetteer (named places and the area each lies in).
    pub places: Option<String>,
    /// `routing.json`: routing rules (category × area → unit).
    pub routing: Option<String>,
    /// `services.toml`: the service catalogue of 一网通办 (`crate::application`).
    pub services: Option<String>,
    /// `supervision.toml`: the 随机抽查事项清单 and the 执法检查人员名录 (`crate::plan`).
    pub supervision: Option<String>,
}

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct SetupReport {
    pub units: usize,
    pub categories: usize,
    pub staff: usize,
    pub boundaries: usize,
    pub places: usize,
    pub routing_rules: usize,
    /// Services added or given a new version.
    pub services: usize,
    /// Matters and inspectors of `supervision.toml`.
    pub matters: usize,
    pub inspectors: usize,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StaffEntry {
    username: String,
    name: String,
    unit: String,
    roles: Vec<String>,
    #[serde(default)]
    password: Option<String>,
}

fn parse<T: serde::de::DeserializeOwned>(file: &str, text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| AppError::invalid(file, format!("{file} 格式错误：{e}")))
}

impl App {
    /// Loads the given files. Staff without a `password` get `default_password`
    /// (required then); existing staff keep theirs unless the file gives one.
    pub fn setup_district(&self, files: &DistrictFiles, default_password: Option<&str>) -> Result<SetupReport> {
        let report = self.setup_district_files(files, default_password)?;
        let detail =
            format!("辖区设置导入：{} 个单位，{} 个分类，{} 个账号", report.units, report.categories, report.staff);
        self.security(self.now(), "config_changed", None, None, detail)?;
        Ok(report)
    }

    fn setup_district_files(&self, files: &DistrictFiles, default_password: Option<&str>) -> Result<SetupReport> {
        let mut report = SetupReport::default();
        let units: Vec<Unit> = match &files.units {
            Some(t) => parse("units.json", t)?,
            None => self.store.units()?,
        };
        let org = Organisation::new(units.clone())
            .map_err(|e| AppError::invalid("units.json", format!("组织机构有误：{e}")))?;
        if let Some(t) = &files.services {
            crate::application::parse_services(t, &org)?;
        }
        if let Some(t) = &files.supervision {
            crate::plan::parse_supervision(t, &org)?;
        }
        let categories: Vec<Category> = match &files.categories {
            Some(t) => parse("categories.json", t)?,
            None => self.store.categories()?,
        };
        Taxonomy::new(categories.clone())
            .map_err(|e| AppError::invalid("categories.json", format!("分类有误：{e}")))?;
        for c in &categories {
            match org.get(&c.unit) {
                Some(u) if u.kind.can_handle() => {}
                _ => {
                    return Err(AppError::invalid(
                        "categories.json",
                        format!("分类 {} 的承办单位 {} 不存在或不能承办", c.code, c.unit),
                    ));
                }
            }
        }
        let mut staff = vec![];
        if let Some(t) = &files.staff {
            let entries: Vec<StaffEntry> = parse("staff.json", t)?;
            let mut seen = HashSet::new();
            let default_hash = match default_password {
                Some(p) => Some(hash_password(p)?),
                None => None,
            };
            for e in entries {
                let username = Username::parse(&e.username)
                    .map_err(|_| AppError::invalid("staff.json", format!("用户名 {} 不合法", e.username)))?;
                if !seen.insert(username.clone()) {
                    return Err(AppError::invalid("staff.json", format!("用户名 {username} 重复")));
                }
                let unit = UnitCode::parse(&e.unit)
                    .ok()
                    .filter(|u| org.get(u).is_some())
                    .ok_or_else(|| AppError::invalid("staff.json", format!("{username} 的单位 {} 不存在", e.unit)))?;
                let roles = e
                    .roles
                    .iter()
                    .map(|r| Role::parse(r))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|_| AppError::invalid("staff.json", format!("{username} 的角色有误")))?;
                // A password set by an import must be changed at first login, except in
                // the demo, whose logins are published.
                let imported = !self.config.demo;
                let (password_hash, must_change_password, password_changed_at) =
                    match (&e.password, self.store.staff(&username)?, &default_hash) {
                        (Some(p), _, _) => (hash_password(p)?, imported, None),
                        (None, Some(existing), _) => {
                            (existing.password_hash, existing.must_change_password, existing.password_changed_at)
                        }
                        (None, None, Some(h)) => (h.clone(), imported, None),
                        (None, None, None) => {
                            return Err(AppError::invalid(
                                "staff.json",
                                format!("{username} 没有密码，请提供默认密码"),
                            ));
                        }
                    };
                let existing = self.store.staff(&username)?;
                staff.push(StaffRecord {
                    username,
                    name: e.name,
                    unit,
                    roles,
                    password_hash,
                    active: true,
                    must_change_password,
                    password_changed_at,
                    totp_secret: existing.as_ref().and_then(|x| x.totp_secret.clone()),
                    recovery_codes: existing.map(|x| x.recovery_codes).unwrap_or_default(),
                });
            }
        }
        let mut boundaries = vec![];
        if let Some(t) = &files.boundaries {
            let fc: serde_json::Value = parse("boundaries.geojson", t)?;
            let features = fc["features"]
                .as_array()
                .ok_or_else(|| AppError::invalid("boundaries.geojson", "应为 GeoJSON FeatureCollection"))?;
            for f in features {
                let unit = f["properties"]["unit"]
                    .as_str()
                    .and_then(|u| UnitCode::parse(u).ok())
                    .filter(|u| org.get(u).is_some())
                    .ok_or_else(|| {
                        AppError::invalid("boundaries.geojson", "每个要素的 properties.unit 须为已有单位")
                    })?;
                boundaries.push((unit, f["geometry"].to_string()));
            }
            crate::AreaIndex::from_geojson(&boundaries)
                .map_err(|e| AppError::invalid("boundaries.geojson", format!("边界有误：{e}")))?;
        }
        let mut places = None;
        if let Some(t) = &files.places {
            let list: Vec<yiwang_dispatch::gazetteer::Place> = parse("places.json", t)?;
            for p in &list {
                if UnitCode::parse(&p.area).ok().and_then(|u| org.get(&u).cloned()).is_none() {
                    return Err(AppError::invalid(
                        "places.json",
                        format!("地名 {} 所在区域 {} 不存在", p.name, p.area),
                    ));
                }
            }
            report.places = list.len();
            places = Some(t.clone());
        }
        let mut routing = None;
        if let Some(t) = &files.routing {
            let rules: Vec<yiwang_dispatch::routing::Rule> = parse("routing.json", t)?;
            let cats: HashSet<&str> = categories.iter().map(|c| c.code.as_str()).collect();
            for r in &rules {
                let handles = UnitCode::parse(&r.unit)
                    .ok()
                    .and_then(|u| org.get(&u).cloned())
                    .is_some_and(|u| u.kind.can_handle());
                let area_ok = r
                    .area
                    .as_ref()
                    .is_none_or(|a| UnitCode::parse(a).ok().and_then(|u| org.get(&u).cloned()).is_some());
                let cat_ok = r.category.as_ref().is_none_or(|c| cats.contains(c.as_str()));
                if !handles || !area_ok || !cat_ok {
                    return Err(AppError::invalid(
                        "routing.json",
                        format!(
                            "派单规则有误：分类 {:?}、区域 {:?}、单位 {} 须为已有的分类、区域和承办单位",
                            r.category, r.area, r.unit
                        ),
                    ));
                }
            }
            report.routing_rules = rules.len();
            routing = Some(t.clone());
        }
        let now = self.now();
        if files.units.is_some() {
            self.store.replace_organisation(&units, now)?;
            report.units = units.len();
        }
        if files.categories.is_some() {
            self.store.replace_categories(&categories, now)?;
            report.categories = categories.len();
        }
        for s in &staff {
            self.store.put_staff(s, now)?;
        }
        report.staff = staff.len();
        if files.boundaries.is_some() {
            self.store.replace_boundaries(&boundaries, now)?;
            report.boundaries = boundaries.len();
        }
        if let Some(t) = places {
            self.store.put_document("places", &t, now)?;
        }
        if let Some(t) = routing {
            self.store.put_document("routing", &t, now)?;
        }
        self.reload()?;
        if let Some(t) = &files.services {
            let r = self.load_services(&yiwang_core::org::Actor::System, t)?;
            report.services = r.added.len() + r.updated.len();
        }
        if let Some(t) = &files.supervision {
            let r = self.load_supervision(&yiwang_core::org::Actor::System, t)?;
            report.matters = r.matters;
            report.inspectors = r.inspectors;
        }
        Ok(report)
    }

    /// Adds or updates one staff member (e.g. the first administrator).
    pub fn put_staff(&self, username: &str, name: &str, unit: &str, roles: &[Role], password: &str) -> Result<()> {
        let username = Username::parse(username)?;
        let unit = UnitCode::parse(unit)?;
        if self.reference().org.get(&unit).is_none() {
            return Err(AppError::invalid("unit", format!("单位 {unit} 不存在")));
        }
        crate::auth::check_password(username.as_str(), password)?;
        // A staff member keeps their second factor when their record is saved again.
        let existing = self.store.staff(&username)?;
        self.store.put_staff(
            &StaffRecord {
                username: username.clone(),
                name: name.to_owned(),
                unit: unit.clone(),
                roles: roles.to_vec(),
                password_hash: hash_password(password)?,
                active: true,
                must_change_password: false,
                password_changed_at: Some(self.now()),
                totp_secret: existing.as_ref().and_then(|x| x.totp_secret.clone()),
                recovery_codes: existing.map(|x| x.recovery_codes).unwrap_or_default(),
            },
            self.now(),
        )?;
        let roles: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
        let detail = format!("账号保存：{name}，单位 {unit}，角色 {}", roles.join(","));
        self.security(self.now(), "staff_changed", Some(username.as_str()), None, detail)
    }
}
