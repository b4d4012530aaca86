//! Supervision results (事中事后监管): inspections, documents, rectification, review and
//! accountability, checked against the rules part 3 of the list states.

pub mod accountability;
pub mod along;
pub mod cases;
pub mod document;
pub mod followup;
pub mod inspection;
pub mod read;
pub mod status;
pub mod status_query;
pub mod submitted;

use entity::{regime_item, regime_section, supervision_regime};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};

use super::kinds::SectionKind;

/// The list states the two-inspector rule (应当委派两名以上工作人员进行); a regime whose data
/// names no minimum is held to it too.
pub const DEFAULT_MIN_INSPECTORS: i32 = 2;

/// The inspection `inspectionId` names: what documents and accountability records attach to.
async fn inspection_named(
    db: &impl ConnectionTrait,
    id: i32,
) -> Result<entity::inspection::Model, super::Failure> {
    let (code, what) = (super::RuleCode::InspectionUnknown, "inspection");
    super::named::<entity::inspection::Entity>(db, id, "inspectionId", code, what).await
}

/// A regime with its sections and items: what checks on a submission refer to.
pub struct RegimeContext {
    pub regime: supervision_regime::Model,
    sections: Vec<regime_section::Model>,
    items: Vec<regime_item::Model>,
}

impl RegimeContext {
    pub async fn by_code(db: &impl ConnectionTrait, code: &str) -> Result<Option<Self>, DbErr> {
        let regime = supervision_regime::Entity::find()
            .filter(supervision_regime::Column::Code.eq(code))
            .order_by_asc(supervision_regime::Column::ListId)
            .one(db)
            .await?;
        match regime {
            Some(regime) => Ok(Some(Self::load(db, regime).await?)),
            None => Ok(None),
        }
    }

    pub async fn by_id(db: &impl ConnectionTrait, id: i32) -> Result<Option<Self>, DbErr> {
        match supervision_regime::Entity::find_by_id(id).one(db).await? {
            Some(regime) => Ok(Some(Self::load(db, regime).await?)),
            None => Ok(None),
        }
    }

    /// The regime's sections with their items, in one statement (a submission's checks read
    /// them on every write).
    async fn load(
        db: &impl ConnectionTrait,
        regime: supervision_regime::Model,
    ) -> Result<Self, DbErr> {
        let rows = regime_section::Entity::find()
            .filter(regime_section::Column::RegimeId.eq(regime.id))
            .find_with_related(regime_item::Entity)
            .order_by_asc(regime_item::Column::Id)
            .all(db)
            .await?;
        let mut sections = Vec::with_capacity(rows.len());
        let mut items = Vec::new();
        for (section, section_items) in rows {
            sections.push(section);
            items.extend(section_items);
        }
        Ok(Self {
            regime,
            sections,
            items,
        })
    }

    /// Ids of the items in sections of the given kinds (nested items included).
    pub fn items_of(&self, kinds: &[SectionKind]) -> Vec<i32> {
        let sections: Vec<i32> = self
            .sections
            .iter()
            .filter(|s| SectionKind::parse(&s.kind).is_some_and(|k| kinds.contains(&k)))
            .map(|s| s.id)
            .collect();
        self.items
            .iter()
            .filter(|i| sections.contains(&i.section_id))
            .map(|i| i.id)
            .collect()
    }

    /// The checklist (监督检查内容): items of the content section.
    pub fn checklist(&self) -> Vec<i32> {
        self.items_of(&[SectionKind::Content])
    }

    /// The methods (监督检查方式): items of the method sections.
    pub fn methods(&self) -> Vec<i32> {
        self.items_of(&[SectionKind::Method, SectionKind::MethodAndProcedure])
    }

    /// Sub-items of the handling-section item at `path`, e.g. the 21 fault situations.
    pub fn handling_children(&self, path: Option<&str>) -> Option<Vec<i32>> {
        let path = path?;
        let handling = self.items_of(&[SectionKind::Handling]);
        let parent = self
            .items
            .iter()
            .find(|i| handling.contains(&i.id) && i.path == path)?;
        Some(
            self.items
                .iter()
                .filter(|i| i.parent_id == Some(parent.id))
                .map(|i| i.id)
                .collect(),
        )
    }

    pub fn min_inspectors(&self) -> i32 {
        self.regime.min_inspectors.unwrap_or(DEFAULT_MIN_INSPECTORS)
    }

    /// The clause a message about the minimum quotes: the regime's own, when one of its
    /// items states it; else the sentence of the regime of the list that does, named as
    /// such, so an inspection under one regime never reads as if its own text said it.
    pub async fn min_inspectors_clause(&self, db: &impl ConnectionTrait) -> Result<String, DbErr> {
        if let Some(clause) = self.own_clause(&self.items) {
            return Ok(format!("「{clause}」"));
        }
        let others = supervision_regime::Entity::find()
            .filter(supervision_regime::Column::ListId.eq(self.regime.list_id))
            .filter(supervision_regime::Column::Id.ne(self.regime.id))
            .order_by_asc(supervision_regime::Column::Seq)
            .all(db)
            .await?;
        for other in others {
            let other = Self::load(db, other).await?;
            if let Some(clause) = other.own_clause(&other.items) {
                return Ok(format!(
                    "「{clause}」 (stated in {}{}; {}{} states no minimum of its own — 本制度未另行规定)",
                    other.regime.label, other.regime.title, self.regime.label, self.regime.title
                ));
            }
        }
        Ok(format!(
            "the list's minimum of {DEFAULT_MIN_INSPECTORS} (应当委派两名以上工作人员进行)"
        ))
    }

    /// The regime's clause on the minimum, when its own items state it.
    fn own_clause(&self, items: &[regime_item::Model]) -> Option<&str> {
        let clause = self.regime.min_inspectors_clause.as_deref()?.trim();
        (!clause.is_empty() && items.iter().any(|item| item.text.contains(clause)))
            .then_some(clause)
    }
}
