//! Dispatch intelligence at intake and over time: where an appeal is, which category
//! and unit it most likely belongs to, which earlier appeals it probably repeats, and
//! the period's hot topics (每月一题).

use crate::{App, AppError, Located, Result};
use serde::{Deserialize, Serialize};
use std::sync::{Arc, Mutex};
use yiwang_core::appeal::{AppealEvent, AppealKind, Location, Status};
use yiwang_core::case::Kind;
use yiwang_core::id::{CaseId, CategoryCode, UnitCode};
use yiwang_core::org::{Actor, Role};
use yiwang_core::taxonomy::{Category, Taxonomy};
use yiwang_dispatch::duplicate::{self, Candidate, DuplicateParams};
use yiwang_dispatch::leaf::{self, LeafParams};
use yiwang_dispatch::routing::{Route, RoutingRules};
use yiwang_dispatch::similarity::TfIdf;
use yiwang_dispatch::topic::{self, TopicDoc, TopicParams};

/// Below this confidence the suggestion says it is unsure and leaves the choice to
/// the operator.
pub const CONFIDENT: f32 = 0.6;

#[derive(Debug, Clone, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SuggestInput {
    #[serde(default)]
    pub title: Option<String>,
    pub text: String,
    #[serde(default)]
    pub location: Location,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CategorySuggestion {
    pub category: CategoryCode,
    pub name: String,
    pub confidence: f32,
    pub unit: UnitCode,
    pub unit_name: String,
    /// Why this unit: a routing rule, the category's owner, or the district.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub route: Route,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DuplicateView {
    pub case_id: CaseId,
    pub title: Option<String>,
    pub excerpt: String,
    pub status: Status,
    pub status_label: &'static str,
    pub accepted_at: chrono::DateTime<chrono::Utc>,
    pub similarity: f32,
    pub metres: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DispatchSuggestion {
    pub located: Located,
    pub area_name: Option<String>,
    /// The three likeliest categories, best first.
    pub categories: Vec<CategorySuggestion>,
    /// The best confidence is below the threshold: the operator chooses.
    pub unsure: bool,
    pub duplicates: Vec<DuplicateView>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TopicCase {
    pub case_id: CaseId,
    pub title: Option<String>,
    pub excerpt: String,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TopicView {
    pub rank: u32,
    pub size: usize,
    /// Appeals in the second half of the period minus the first half.
    pub growth: i64,
    pub keywords: Vec<String>,
    pub representatives: Vec<TopicCase>,
    /// Up to 100 of its cases, oldest first.
    pub cases: Vec<CaseId>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TopicsReport {
    pub from: chrono::DateTime<chrono::Utc>,
    pub to: chrono::DateTime<chrono::Utc>,
    pub appeals: usize,
    pub topics: Vec<TopicView>,
}

/// Word weights for similarity, fitted on the district's recent appeals and kept for
/// a while: refitting on every keystroke would be wasted work.
#[derive(Default)]
pub(crate) struct WordWeights(Mutex<Option<(chrono::DateTime<chrono::Utc>, Arc<TfIdf>)>>);

/// The district's corrected cases, ready for the leaf ranking, kept for a while as the
/// word weights are.
#[derive(Default)]
pub(crate) struct Corrections(Mutex<Option<(chrono::DateTime<chrono::Utc>, Arc<leaf::Memory>)>>);

/// The hot-topic labeller with the district's place names as words of their own,
/// built on first use and again when the gazetteer changes (it copies the segmenter's
/// dictionary: tens of megabytes, not to be built per request).
#[derive(Default)]
pub(crate) struct TopicLabeller(Mutex<Option<(Vec<String>, Arc<topic::Labeller>)>>);

/// The most recent corrected cases the leaf ranking consults.
const CORRECTIONS_KEPT: usize = 5000;

/// The leaves of a category tree as the leaf ranking takes them: every category without
/// subcategories, under its first-level category's name (what the classifier speaks).
pub fn leaves_of(taxonomy: &Taxonomy) -> Vec<leaf::Leaf> {
    taxonomy
        .categories()
        .filter(|c| taxonomy.is_leaf(&c.code))
        .filter_map(|c| {
            Some(leaf::Leaf {
                code: c.code.to_string(),
                first_level: taxonomy.top_level(&c.code)?.name.clone(),
                keywords: c.keywords.clone(),
                catch_all: c.name == "其他",
            })
        })
        .collect()
}

/// The unit a category routes to in an area (`areas`: the area and its ancestors, empty
/// when unknown), and why.
pub fn route_of(
    taxonomy: &Taxonomy,
    routing: &RoutingRules,
    cat: &Category,
    areas: &[&str],
    district: &str,
) -> (UnitCode, Route) {
    let mut chain = vec![cat.code.as_str()];
    let mut cur = cat;
    while let Some(p) = cur.parent.as_ref().and_then(|p| taxonomy.get(p)) {
        chain.push(p.code.as_str());
        cur = p;
    }
    let route = routing.route(&chain, areas, Some(cat.unit.as_str()), district);
    (UnitCode::parse(route.unit()).unwrap_or_else(|_| cat.unit.clone()), route)
}

fn excerpt(s: &str) -> String {
    let mut e: String = s.chars().take(80).collect();
    if s.chars().count() > 80 {
        e.push('…');
    }
    e
}

/// An appeal's text as the store finds it (`CaseText`), read from its first event.
struct AppealText {
    id: CaseId,
    title: Option<String>,
    text: String,
    area: Option<UnitCode>,
    point: Option<(f64, f64)>,
    status: Status,
    accepted_at: chrono::DateTime<chrono::Utc>,
}

fn appeal_texts(found: Vec<yiwang_store::CaseText>) -> Result<Vec<AppealText>> {
    found
        .into_iter()
        .map(|c| {
            let bad = |what: &str| AppError::Internal(format!("case {}: unreadable {what}", c.id));
            let Ok(AppealEvent::Accepted { text, location, .. }) = serde_json::from_str(&c.opening) else {
                return Err(bad("first event"));
            };
            Ok(AppealText {
                status: Status::parse(&c.status).ok_or_else(|| bad("status"))?,
                point: location.point.map(|p| (p.lon, p.lat)),
                id: c.id,
                title: c.title,
                text,
                area: c.area,
                accepted_at: c.opened_at,
            })
        })
        .collect()
}

fn joined(title: &Option<String>, text: &str) -> String {
    match title {
        Some(t) => format!("{t} {text}"),
        None => text.to_owned(),
    }
}

impl App {
    fn word_weights(&self) -> Result<Arc<TfIdf>> {
        let now = self.now();
        let mut guard = self.weights.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((at, w)) = guard.as_ref()
            && now - *at < chrono::Duration::minutes(10)
            && now >= *at
        {
            return Ok(w.clone());
        }
        let sample = appeal_texts(self.store.case_texts(
            AppealKind::NAME,
            now - chrono::Duration::days(90),
            now + chrono::Duration::days(1),
            2000,
        )?)?;
        let w = Arc::new(TfIdf::fit(sample.iter().map(|c| c.text.as_str())));
        *guard = Some((now, w.clone()));
        Ok(w)
    }

    fn topic_labeller(&self) -> Arc<topic::Labeller> {
        let r = self.reference();
        let mut names: Vec<String> = r.gazetteer.names().map(str::to_owned).collect();
        names.sort();
        names.dedup();
        let mut guard = self.labeller.0.lock().unwrap_or_else(|p| p.into_inner());
        match guard.as_ref() {
            Some((n, l)) if *n == names => l.clone(),
            _ => {
                let words: Vec<&str> = names.iter().map(String::as_str).collect();
                let l = Arc::new(topic::Labeller::new(&words));
                *guard = Some((names, l.clone()));
                l
            }
        }
    }

    /// The district's most recent corrected cases, refreshed every ten minutes.
    fn corrections(&self) -> Result<Arc<leaf::Memory>> {
        let now = self.now();
        let mut guard = self.corrections.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((at, m)) = guard.as_ref()
            && now - *at < chrono::Duration::minutes(10)
            && now >= *at
        {
            return Ok(m.clone());
        }
        let found = self.store.labelled_cases()?;
        let recent = &found[found.len().saturating_sub(CORRECTIONS_KEPT)..];
        let m = Arc::new(leaf::Memory::new(recent.iter().map(|c| (c.text.as_str(), c.category.as_str()))));
        *guard = Some((now, m.clone()));
        Ok(m)
    }

    fn require_staff(actor: &Actor) -> Result<()> {
        match actor {
            Actor::Staff { .. } => Ok(()),
            _ => Err(AppError::Forbidden("只有工作人员可以使用派单建议".into())),
        }
    }

    /// What the operator sees while typing: the area, the likely categories with the
    /// unit each routes to, and likely duplicates.
    pub fn suggest_dispatch(&self, actor: &Actor, input: &SuggestInput) -> Result<DispatchSuggestion> {
        Self::require_staff(actor)?;
        let text = joined(&input.title, &input.text);
        if text.trim().is_empty() {
            return Err(AppError::invalid("text", "请先输入诉求内容"));
        }
        let r = self.reference();
        let located = r.locate(&input.location);
        let area_chain: Vec<String> =
            located.area.as_ref().map(|a| r.org.ancestry(a).map(|u| u.code.to_string()).collect()).unwrap_or_default();
        let district = r.org.district().map(|d| d.code.to_string()).unwrap_or_else(|| "district".into());

        // The model speaks first-level category names; the tree's leaves, their
        // keywords and the district's corrected cases take it down to the leaf.
        let leaves = leaves_of(&r.taxonomy);
        let memory = self.corrections()?;
        let ranked = leaf::rank(&leaves, &self.classify(&text), &text, Some(&memory), LeafParams::default());
        let areas: Vec<&str> = area_chain.iter().map(String::as_str).collect();
        let mut categories = vec![];
        for (i, confidence) in ranked.into_iter().take(3) {
            let Some(cat) = CategoryCode::parse(&leaves[i].code).ok().and_then(|c| r.taxonomy.get(&c)) else {
                continue;
            };
            let (unit, route) = route_of(&r.taxonomy, &r.routing, cat, &areas, &district);
            categories.push(CategorySuggestion {
                category: cat.code.clone(),
                name: r.taxonomy.path_name(&cat.code).unwrap_or_else(|| cat.name.clone()),
                confidence,
                unit_name: r.unit_name(&unit),
                unit,
                route,
            });
        }
        let unsure = categories.first().is_none_or(|c| c.confidence < CONFIDENT);
        let duplicates = self.likely_duplicates(actor, &text, &located, &area_chain)?;
        Ok(DispatchSuggestion {
            area_name: located.area.as_ref().map(|a| r.unit_name(a)),
            located,
            categories,
            unsure,
            duplicates,
        })
    }

    /// The closest matches among the cases `actor` may see.
    fn likely_duplicates(
        &self,
        actor: &Actor,
        text: &str,
        located: &Located,
        areas: &[String],
    ) -> Result<Vec<DuplicateView>> {
        let Some(q) = yiwang_store::search::fts_any_query(text, 64) else { return Ok(vec![]) };
        let now = self.now();
        let params = DuplicateParams::default();
        let since = now - chrono::Duration::days(params.window_days);
        let found = appeal_texts(self.store.similar_case_texts(AppealKind::NAME, &q, since, 50)?)?;
        if found.is_empty() {
            return Ok(vec![]);
        }
        let weights = self.word_weights()?;
        let new = Candidate {
            id: String::new(),
            vector: weights.vector(text),
            point: located.point.map(|p| (p.lon, p.lat)),
            area: located.area.as_ref().map(|a| a.to_string()),
            at: now.timestamp(),
        };
        let pool: Vec<Candidate> = found
            .iter()
            .map(|c| Candidate {
                id: c.id.to_string(),
                vector: weights.vector(&joined(&c.title, &c.text)),
                point: c.point,
                area: c.area.as_ref().map(|a| a.to_string()),
                at: c.accepted_at.timestamp(),
            })
            .collect();
        let matches = duplicate::find(&new, areas, &pool, params);
        let mut seen = vec![];
        for m in matches {
            if seen.len() == 5 {
                break;
            }
            let Some(c) = found.iter().find(|c| c.id.as_str() == m.id) else { continue };
            if self.store.load(&c.id)?.is_some_and(|case| case.can_view(actor)) {
                seen.push((m, c));
            }
        }
        Ok(seen
            .into_iter()
            .map(|(m, c)| DuplicateView {
                case_id: c.id.clone(),
                title: c.title.clone(),
                excerpt: excerpt(&c.text),
                status: c.status,
                status_label: c.status.label(),
                accepted_at: c.accepted_at,
                similarity: m.similarity,
                metres: m.metres,
            })
            .collect())
    }

    /// 每月一题: the period's appeals grouped into topics, largest first.
    pub fn hot_topics(
        &self,
        actor: &Actor,
        from: chrono::DateTime<chrono::Utc>,
        to: chrono::DateTime<chrono::Utc>,
    ) -> Result<TopicsReport> {
        let across = actor.is_centre() || actor.has_role(Role::Leader);
        if !across {
            return Err(AppError::Forbidden("热点分析仅热线中心和区领导可见".into()));
        }
        if to <= from || to - from > chrono::Duration::days(366) {
            return Err(AppError::invalid("to", "时间段须在一年以内，且结束晚于开始"));
        }
        let cases = appeal_texts(self.store.case_texts(AppealKind::NAME, from, to, 50_000)?)?;
        let docs: Vec<TopicDoc> = cases
            .iter()
            .map(|c| TopicDoc { id: c.id.to_string(), text: joined(&c.title, &c.text), at: c.accepted_at.timestamp() })
            .collect();
        let labeller = self.topic_labeller();
        let topics = topic::topics_with(&docs, TopicParams::default(), &labeller);
        Ok(TopicsReport {
            from,
            to,
            appeals: cases.len(),
            topics: topics
                .into_iter()
                .take(30)
                .enumerate()
                .map(|(k, t)| TopicView {
                    rank: k as u32 + 1,
                    size: t.members.len(),
                    growth: t.growth,
                    keywords: t.keywords,
                    representatives: t
                        .representatives
                        .iter()
                        .map(|&i| TopicCase {
                            case_id: cases[i].id.clone(),
                            title: cases[i].title.clone(),
                            excerpt: excerpt(&cases[i].text),
                        })
                        .collect(),
                    cases: t.members.iter().take(100).map(|&i| cases[i].id.clone()).collect(),
                })
                .collect(),
        })
    }

    /// Places whose names match what is typed, for address pickers.
    pub fn complete_place(&self, typed: &str, limit: usize) -> Vec<yiwang_dispatch::gazetteer::Place> {
        self.reference().gazetteer.complete(typed, limit.clamp(1, 20)).into_iter().cloned().collect()
    }

    /// The dispatch model's first-level categories for a text, best first. The model
    /// shipped inside the binary is loaded once, on first use.
    fn classify(&self, text: &str) -> Vec<(String, f32)> {
        yiwang_dispatch::Classifier::shipped().predict(text).into_iter().map(|p| (p.label, p.confidence)).collect()
    }
}

impl App {
    /// The district's own corrected cases as (text, first-level category name) pairs:
    /// what `yiwang train dispatch --corrections` adds to the training rows.
    pub fn corrected_examples(&self) -> Result<Vec<(String, String)>> {
        let r = self.reference();
        Ok(self
            .store
            .labelled_cases()?
            .into_iter()
            .filter_map(|c| r.taxonomy.top_level(&c.category).map(|top| (c.text, top.name.clone())))
            .collect())
    }
}
