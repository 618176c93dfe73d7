//! The category tree of appeals. Each category is owned by a unit: the default
//! destination of a dispatch (routing rules may refine it by area).

use crate::id::{CategoryCode, UnitCode};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Category {
    pub code: CategoryCode,
    pub name: String,
    #[serde(default)]
    pub parent: Option<CategoryCode>,
    /// The unit that owns appeals of this category.
    pub unit: UnitCode,
    /// Water, power, gas or heat (水电气热): dispatched within 2 hours (DB11/T 2021-2022).
    #[serde(default)]
    pub utility: bool,
    /// Extra questions the category asks at intake (Open311 GeoReport v2 service
    /// definition attributes). Most categories ask none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<Question>,
    /// Words in a citizen's message that point to this category (a leaf's sub-topics and
    /// the words people use for them): what the leaf-category suggestion matches.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keywords: Vec<String>,
}

/// One extra question of a category, answered at intake (Open311 GeoReport v2, GET
/// Service Definition: `attribute`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Question {
    /// Unique within the category; clients send the answer as `attribute[code]`.
    pub code: String,
    /// The question put to the person reporting.
    pub description: String,
    pub datatype: QuestionType,
    #[serde(default)]
    pub required: bool,
    /// The choices of a single- or multi-value list.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<Choice>,
}

/// The kinds of answer Open311 knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum QuestionType {
    String,
    Number,
    Datetime,
    Text,
    Singlevaluelist,
    Multivaluelist,
}

impl QuestionType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::String => "string",
            Self::Number => "number",
            Self::Datetime => "datetime",
            Self::Text => "text",
            Self::Singlevaluelist => "singlevaluelist",
            Self::Multivaluelist => "multivaluelist",
        }
    }
}

/// One choice of a list question: the key a client sends, the name people read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Choice {
    pub key: String,
    pub name: String,
}

#[derive(Debug, Clone, Default)]
pub struct Taxonomy {
    categories: BTreeMap<CategoryCode, Category>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TaxonomyError {
    #[error("分类 {0} 重复")]
    Duplicate(CategoryCode),
    #[error("分类 {category} 的上级 {parent} 不存在")]
    MissingParent { category: CategoryCode, parent: CategoryCode },
    #[error("分类 {0} 的关键词须为 1–20 个字、不重复，且不超过 200 个")]
    Keywords(CategoryCode),
}

/// Most keywords one category may carry, and the longest keyword.
pub const KEYWORDS_MAX: usize = 200;
pub const KEYWORD_CHARS_MAX: usize = 20;

impl Taxonomy {
    pub fn new(list: Vec<Category>) -> Result<Self, TaxonomyError> {
        let mut categories = BTreeMap::new();
        for c in list {
            if categories.contains_key(&c.code) {
                return Err(TaxonomyError::Duplicate(c.code));
            }
            let mut seen = std::collections::BTreeSet::new();
            let bad_keyword = |k: &String| {
                let n = k.chars().count();
                n == 0 || n > KEYWORD_CHARS_MAX || k.trim() != k || !seen.insert(k.clone())
            };
            if c.keywords.len() > KEYWORDS_MAX || c.keywords.iter().any(bad_keyword) {
                return Err(TaxonomyError::Keywords(c.code));
            }
            categories.insert(c.code.clone(), c);
        }
        for c in categories.values() {
            if let Some(p) = &c.parent
                && !categories.contains_key(p)
            {
                return Err(TaxonomyError::MissingParent { category: c.code.clone(), parent: p.clone() });
            }
        }
        Ok(Self { categories })
    }
    pub fn get(&self, code: &CategoryCode) -> Option<&Category> {
        self.categories.get(code)
    }
    pub fn categories(&self) -> impl Iterator<Item = &Category> {
        self.categories.values()
    }
    /// Whether a category has no subcategories (the leaves are what cases are filed under).
    pub fn is_leaf(&self, code: &CategoryCode) -> bool {
        !self.categories.values().any(|c| c.parent.as_ref() == Some(code))
    }
    /// The first-level ancestor of a category (itself if it is first-level).
    pub fn top_level<'a>(&'a self, code: &CategoryCode) -> Option<&'a Category> {
        let mut cur = self.categories.get(code)?;
        while let Some(p) = &cur.parent {
            cur = self.categories.get(p)?;
        }
        Some(cur)
    }
    /// A category's full name, "城乡建设 / 水电气热".
    pub fn path_name(&self, code: &CategoryCode) -> Option<String> {
        let mut names = vec![];
        let mut cur = self.categories.get(code)?;
        names.push(cur.name.clone());
        while let Some(p) = &cur.parent {
            cur = self.categories.get(p)?;
            names.push(cur.name.clone());
        }
        names.reverse();
        Some(names.join(" / "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cat(keywords: &[&str]) -> Category {
        Category {
            code: CategoryCode::parse("c1").unwrap(),
            name: "市容".into(),
            parent: None,
            unit: UnitCode::parse("u1").unwrap(),
            utility: false,
            attributes: vec![],
            keywords: keywords.iter().map(|k| k.to_string()).collect(),
        }
    }

    #[test]
    fn keywords_are_short_distinct_words() {
        assert!(Taxonomy::new(vec![cat(&["路灯", "井盖"])]).is_ok());
        for bad in [&["路灯", "路灯"][..], &[""], &[" 路灯"], &["这是一个超过二十个字的关键词这是一个超过二十个字"]]
        {
            let e = Taxonomy::new(vec![cat(bad)]).unwrap_err();
            assert_eq!(e, TaxonomyError::Keywords(CategoryCode::parse("c1").unwrap()), "{bad:?}");
            assert!(e.to_string().contains("关键词"));
        }
        let many: Vec<String> = (0..=KEYWORDS_MAX).map(|i| format!("词{i}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        assert!(Taxonomy::new(vec![cat(&many)]).is_err());
    }
}
