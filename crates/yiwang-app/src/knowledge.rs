//! The knowledge base (知识库): answers operators give directly to consultations.
//! A unit keeps its own articles current; an article is offered only while valid.
//! Search scores character bigrams (Chinese needs no word segmentation for this),
//! weighting the question and keywords above the answer.

use crate::{App, AppError, Result};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use yiwang_core::calendar::civil_date;
use yiwang_core::id::UnitCode;
use yiwang_core::org::{Actor, Role};
use yiwang_store::Article;

/// An article as an editor submits it.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ArticleInput {
    pub question: String,
    pub answer: String,
    #[serde(default)]
    pub keywords: String,
    /// Defaults to the editor's unit; only administrators may set another.
    #[serde(default)]
    pub unit: Option<UnitCode>,
    /// `YYYY-MM-DD`, default today.
    #[serde(default)]
    pub valid_from: Option<chrono::NaiveDate>,
    /// `YYYY-MM-DD`, inclusive; none for open-ended.
    #[serde(default)]
    pub valid_to: Option<chrono::NaiveDate>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ArticleView {
    pub id: i64,
    pub unit: String,
    pub unit_name: String,
    pub question: String,
    pub answer: String,
    pub keywords: String,
    pub valid_from: chrono::NaiveDate,
    pub valid_to: Option<chrono::NaiveDate>,
    /// Whether it is offered today.
    pub current: bool,
    pub updated_by: String,
    pub updated_at: chrono::DateTime<chrono::Utc>,
    /// Search relevance, 0–1 (search results only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f32>,
}

/// The distinct character bigrams of a text (one character alone is not searchable).
pub(crate) fn bigrams(text: &str) -> HashSet<[char; 2]> {
    yiwang_dispatch::similarity::bigrams(text).into_iter().collect()
}

/// Share of the query's bigrams found in the document.
fn coverage(query: &HashSet<[char; 2]>, doc: &HashSet<[char; 2]>) -> f32 {
    if query.is_empty() {
        return 0.0;
    }
    query.iter().filter(|b| doc.contains(*b)).count() as f32 / query.len() as f32
}

impl App {
    fn article_view(&self, a: Article, score: Option<f32>) -> ArticleView {
        let today = civil_date(self.now());
        ArticleView {
            current: a.valid_from <= today && a.valid_to.is_none_or(|t| today <= t),
            unit_name: self.reference().unit_name(&a.unit),
            unit: a.unit.to_string(),
            id: a.id,
            question: a.question,
            answer: a.answer,
            keywords: a.keywords,
            valid_from: a.valid_from,
            valid_to: a.valid_to,
            updated_by: a.updated_by,
            updated_at: a.updated_at,
            score,
        }
    }

    /// Who may edit a unit's articles: its handlers and leaders, and administrators.
    fn may_edit_articles(actor: &Actor, unit: &UnitCode) -> bool {
        actor.has_role(Role::Admin)
            || (actor.unit() == Some(unit) && actor.has_any_role(&[Role::Handler, Role::UnitLeader]))
    }

    /// Adds (`id` none) or updates an article.
    pub fn save_article(&self, actor: &Actor, id: Option<i64>, input: ArticleInput) -> Result<ArticleView> {
        let Actor::Staff { username, unit: own, .. } = actor else {
            return Err(AppError::Forbidden("只有工作人员可以维护知识库".into()));
        };
        let unit = input.unit.clone().unwrap_or_else(|| own.clone());
        if self.reference().org.get(&unit).is_none() {
            return Err(AppError::invalid("unit", format!("单位 {unit} 不存在")));
        }
        if !Self::may_edit_articles(actor, &unit) {
            return Err(AppError::Forbidden("只能维护本单位的知识库条目".into()));
        }
        if let Some(id) = id {
            let existing = self.store.article(id)?.ok_or(AppError::NotFound("知识库条目"))?;
            if !Self::may_edit_articles(actor, &existing.unit) {
                return Err(AppError::Forbidden("只能维护本单位的知识库条目".into()));
            }
        }
        let field = |name: &str, v: &str, max: usize, label: &str| -> Result<String> {
            let t = v.trim();
            if t.is_empty() {
                return Err(AppError::invalid(name, format!("{label}不能为空")));
            }
            if t.chars().count() > max {
                return Err(AppError::invalid(name, format!("{label}不能超过{max}个字")));
            }
            Ok(t.to_owned())
        };
        let question = field("question", &input.question, 200, "问题")?;
        let answer = field("answer", &input.answer, 5000, "答案")?;
        if input.keywords.chars().count() > 200 {
            return Err(AppError::invalid("keywords", "关键词不能超过200个字"));
        }
        let now = self.now();
        let valid_from = input.valid_from.unwrap_or_else(|| civil_date(now));
        if input.valid_to.is_some_and(|t| t < valid_from) {
            return Err(AppError::invalid("valid_to", "失效日期不能早于生效日期"));
        }
        let a = Article {
            id: id.unwrap_or(0),
            unit,
            question,
            answer,
            keywords: input.keywords.trim().to_owned(),
            valid_from,
            valid_to: input.valid_to,
            updated_by: username.to_string(),
            updated_at: now,
        };
        let id = self.store.put_article(&a)?;
        let saved = self.store.article(id)?.ok_or(AppError::NotFound("知识库条目"))?;
        Ok(self.article_view(saved, None))
    }

    /// Articles offered today that match what the operator is typing, best first.
    pub fn search_knowledge(&self, actor: &Actor, query: &str, limit: usize) -> Result<Vec<ArticleView>> {
        if !matches!(actor, Actor::Staff { .. }) {
            return Err(AppError::Forbidden("只有工作人员可以查询知识库".into()));
        }
        let q = bigrams(query);
        if q.is_empty() {
            return Ok(vec![]);
        }
        let today = civil_date(self.now());
        let mut hits: Vec<(f32, Article)> = self
            .store
            .articles()?
            .into_iter()
            .filter(|a| a.valid_from <= today && a.valid_to.is_none_or(|t| today <= t))
            .map(|a| {
                let head = bigrams(&format!("{} {}", a.question, a.keywords));
                let body = bigrams(&a.answer);
                let score = 0.75 * coverage(&q, &head) + 0.25 * coverage(&q, &body);
                (score, a)
            })
            .filter(|(s, _)| *s >= 0.2)
            .collect();
        hits.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.id.cmp(&b.1.id)));
        Ok(hits.into_iter().take(limit.clamp(1, 50)).map(|(s, a)| self.article_view(a, Some(s))).collect())
    }

    /// A unit's articles, current and ended, for the people who maintain them.
    pub fn unit_articles(&self, actor: &Actor, unit: Option<UnitCode>) -> Result<Vec<ArticleView>> {
        let Actor::Staff { unit: own, .. } = actor else {
            return Err(AppError::Forbidden("只有工作人员可以查看知识库".into()));
        };
        let unit = unit.unwrap_or_else(|| own.clone());
        Ok(self.store.articles()?.into_iter().filter(|a| a.unit == unit).map(|a| self.article_view(a, None)).collect())
    }
}
