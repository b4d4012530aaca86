//! What a boundary matter cites (引用): its legal bases (相关依据) and cases (案例). Each is
//! printed on one division's row; one without a division is cited nowhere, which the
//! consistency report lists. Numbered within the matter. A case has no title.

use crate::db::Write;
use entity::{boundary_case, boundary_matter, division, legal_basis};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use super::matter::{editable_matter, in_draft_matter};
use super::versioned::{Operations, Versioned, versioned_names};
use crate::auth::Viewer;
use crate::domain::rules::Checks;
use crate::domain::{Failure, RuleCode, clock::Clock};

/// What an editor sets; `None` leaves a field as it is (on update).
#[derive(Clone, Debug, Default)]
pub struct CitationFields {
    /// The division whose row cites it; `Some(None)` cites it on no row.
    pub division_id: Option<Option<i32>>,
    /// The instrument's name, without numbering or 《》 (legal bases only).
    pub title: Option<String>,
    /// The line as it is to be published.
    pub text: Option<String>,
    /// 1-based place among the matter's legal bases, or cases.
    pub position: Option<i32>,
}

/// The rules of a change: a text, and a legal basis's title, may not be blank.
fn check(f: &CitationFields, titled: bool) -> Result<(), Failure> {
    let mut checks = Checks::default();
    if let Some(text) = &f.text {
        checks.require_text("text", text, "the text");
    }
    if let (true, Some(title)) = (titled, &f.title) {
        checks.require_text("title", title, "the instrument's name");
    }
    checks.finish()
}

/// A new one's matter (in the draft) and the division citing it, once the caller is known
/// to edit the matter and its text (and a legal basis's title) is given.
async fn new_in(
    txn: &Write,
    viewer: &Viewer,
    clock: &dyn Clock,
    matter_id: i32,
    f: &CitationFields,
    titled: bool,
) -> Result<(boundary_matter::Model, Option<i32>), Failure> {
    let matter = editable_matter(txn, viewer, matter_id).await?;
    let mut checks = Checks::default();
    checks.require_text("text", f.text.as_deref().unwrap_or(""), "the text");
    if titled {
        let title = f.title.as_deref().unwrap_or("");
        checks.require_text("title", title, "the instrument's name");
    }
    checks.finish()?;
    let matter = in_draft_matter(txn, clock, "matterId", matter.id).await?;
    let division_id = cited_by(txn, matter.id, f.division_id.flatten()).await?;
    Ok((matter, division_id))
}

/// The division, when it is one of the matter's (in the draft).
async fn cited_by(
    txn: &Write,
    matter_id: i32,
    division_id: Option<i32>,
) -> Result<Option<i32>, Failure> {
    let Some(id) = division_id else {
        return Ok(None);
    };
    // The division may be given by its published id: its lineage names the draft's copy.
    let given = division::Entity::find_by_id(id).one(txn).await?;
    let in_matter = match given {
        Some(d) => {
            division::Entity::find()
                .filter(division::Column::MatterId.eq(matter_id))
                .filter(division::Column::Lineage.eq(d.lineage))
                .one(txn)
                .await?
        }
        None => None,
    };
    in_matter.map(|d| Some(d.id)).ok_or_else(|| {
        Failure::rule(
            "divisionId",
            RuleCode::DivisionUnknown,
            "no such division in this matter",
        )
    })
}

/// The division a change cites it on: `None` when it does not say.
async fn recited(
    txn: &Write,
    matter_id: i32,
    f: &CitationFields,
) -> Result<Option<Option<i32>>, Failure> {
    match f.division_id {
        Some(given) => Ok(Some(cited_by(txn, matter_id, given).await?)),
        None => Ok(None),
    }
}

/// What sets a legal basis apart from a case: its title, and so its columns.
trait Cited: Versioned<Fields = CitationFields> {
    /// Whether it has a title, which may then not be blank.
    const TITLED: bool;
    const ID: Self::Column;
    const MATTER_ID: Self::Column;
    const SEQ: Self::Column;
    /// What the audit log records of it.
    fn record(row: &Self::Model) -> Value;
    /// A new one of `matter` (in the draft), numbered `seq`.
    fn new(
        matter: &boundary_matter::Model,
        division_id: Option<i32>,
        seq: i32,
        f: &CitationFields,
    ) -> Self::ActiveModel;
    /// `row` with the fields given set (the division already found in the matter).
    fn changed(
        row: &Self::Model,
        division_id: Option<Option<i32>>,
        f: CitationFields,
    ) -> Self::ActiveModel;
}

impl Cited for legal_basis::Entity {
    const TITLED: bool = true;
    const ID: legal_basis::Column = legal_basis::Column::Id;
    const MATTER_ID: legal_basis::Column = legal_basis::Column::MatterId;
    const SEQ: legal_basis::Column = legal_basis::Column::Seq;

    fn record(b: &legal_basis::Model) -> Value {
        json!({ "matterId": b.matter_id, "divisionId": b.division_id, "seq": b.seq,
                "title": b.title, "text": b.text })
    }

    fn new(
        matter: &boundary_matter::Model,
        division_id: Option<i32>,
        seq: i32,
        f: &CitationFields,
    ) -> legal_basis::ActiveModel {
        legal_basis::ActiveModel {
            matter_id: Set(matter.id),
            division_id: Set(division_id),
            version_id: Set(matter.version_id),
            seq: Set(seq),
            title: Set(f.title.clone().unwrap_or_default()),
            text: Set(f.text.clone().unwrap_or_default()),
            ..Default::default()
        }
    }

    fn changed(
        row: &legal_basis::Model,
        division_id: Option<Option<i32>>,
        f: CitationFields,
    ) -> legal_basis::ActiveModel {
        let mut row: legal_basis::ActiveModel = row.clone().into();
        if let Some(division) = division_id {
            row.division_id = Set(division);
        }
        if let Some(title) = f.title {
            row.title = Set(title);
        }
        if let Some(text) = f.text {
            row.text = Set(text);
        }
        row
    }
}

impl Cited for boundary_case::Entity {
    const TITLED: bool = false;
    const ID: boundary_case::Column = boundary_case::Column::Id;
    const MATTER_ID: boundary_case::Column = boundary_case::Column::MatterId;
    const SEQ: boundary_case::Column = boundary_case::Column::Seq;

    fn record(c: &boundary_case::Model) -> Value {
        json!({ "matterId": c.matter_id, "divisionId": c.division_id, "seq": c.seq,
                "text": c.text })
    }

    fn new(
        matter: &boundary_matter::Model,
        division_id: Option<i32>,
        seq: i32,
        f: &CitationFields,
    ) -> boundary_case::ActiveModel {
        boundary_case::ActiveModel {
            matter_id: Set(matter.id),
            division_id: Set(division_id),
            version_id: Set(matter.version_id),
            seq: Set(seq),
            text: Set(f.text.clone().unwrap_or_default()),
            ..Default::default()
        }
    }

    fn changed(
        row: &boundary_case::Model,
        division_id: Option<Option<i32>>,
        f: CitationFields,
    ) -> boundary_case::ActiveModel {
        let mut row: boundary_case::ActiveModel = row.clone().into();
        if let Some(division) = division_id {
            row.division_id = Set(division);
        }
        if let Some(text) = f.text {
            row.text = Set(text);
        }
        row
    }
}

/// The matter's legal bases, or cases, in published order.
async fn siblings<C: Cited>(txn: &Write, matter_id: i32) -> Result<Vec<i32>, Failure> {
    super::ordered::<C>(txn, C::ID, C::MATTER_ID, matter_id, C::SEQ).await
}

/// Writes the `Versioned` impl of a kind from its `Cited` one and its names.
macro_rules! versioned_citation {
    ($entity:ident, $unknown:ident, $what:literal, $create:literal, $update:literal,
     $remove:literal) => {
        impl Versioned for $entity::Entity {
            type Fields = CitationFields;
            /// The boundary matter that cites it.
            type Parent = i32;

            versioned_names!($unknown, $what, $create, $update, $remove);

            fn snapshot(row: &$entity::Model) -> Value {
                <Self as Cited>::record(row)
            }

            async fn require_editor(
                txn: &Write,
                viewer: &Viewer,
                row: &$entity::Model,
            ) -> Result<(), Failure> {
                editable_matter(txn, viewer, row.matter_id).await?;
                Ok(())
            }

            async fn check(
                _: &Write,
                _: &Viewer,
                _: &$entity::Model,
                f: &CitationFields,
            ) -> Result<(), Failure> {
                check(f, <Self as Cited>::TITLED)
            }

            async fn set(
                txn: &Write,
                before: &$entity::Model,
                f: CitationFields,
            ) -> Result<(), Failure> {
                let division_id = recited(txn, before.matter_id, &f).await?;
                <Self as Cited>::changed(before, division_id, f)
                    .update(txn)
                    .await?;
                Ok(())
            }

            async fn prepare(
                txn: &Write,
                viewer: &Viewer,
                clock: &dyn Clock,
                matter_id: i32,
                f: &CitationFields,
            ) -> Result<($entity::ActiveModel, Vec<i32>), Failure> {
                let titled = <Self as Cited>::TITLED;
                let (matter, division_id) =
                    new_in(txn, viewer, clock, matter_id, f, titled).await?;
                let order = siblings::<Self>(txn, matter.id).await?;
                let seq = order.len() as i32 + 1;
                Ok((<Self as Cited>::new(&matter, division_id, seq, f), order))
            }

            async fn siblings(txn: &Write, row: &$entity::Model) -> Result<Vec<i32>, Failure> {
                siblings::<Self>(txn, row.matter_id).await
            }
        }
    };
}

versioned_citation!(
    legal_basis,
    LegalBasisUnknown,
    "legal basis",
    "createLegalBasis",
    "updateLegalBasis",
    "removeLegalBasis"
);
versioned_citation!(
    boundary_case,
    CaseUnknown,
    "case",
    "createCase",
    "updateCase",
    "removeCase"
);
