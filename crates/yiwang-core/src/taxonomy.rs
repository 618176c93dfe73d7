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
}

#[derive(Debug, Clone, Default)]
pub struct Taxonomy {
    categories: BTreeMap<CategoryCode, Category>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TaxonomyError {
    #[error("category {0} appears twice")]
    Duplicate(CategoryCode),
    #[error("category {category} names parent {parent}, which does not exist")]
    MissingParent { category: CategoryCode, parent: CategoryCode },
}

impl Taxonomy {
    pub fn new(list: Vec<Category>) -> Result<Self, TaxonomyError> {
        let mut categories = BTreeMap::new();
        for c in list {
            if categories.contains_key(&c.code) {
                return Err(TaxonomyError::Duplicate(c.code));
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
