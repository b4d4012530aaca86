//! What a boundary matter cites (引用): its legal bases (相关依据) and cases (案例). Each is
//! printed on one division's row; one without a division is cited nowhere, which the
//! consistency report lists. Numbered within the matter.

use crate::db::Write;
use entity::{boundary_case, division, legal_basis};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
};
use serde_json::{Value, json};

use super::division::{editable_matter, in_draft_matter};
use super::{Edit, commit, place, resequence};
use crate::auth::Viewer;
use crate::domain::rules::Checks;
use crate::domain::versions::start_lineage;
use crate::domain::{Failure, RuleCode, clock::Clock};

/// Which kind of citation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    LegalBasis,
    Case,
}

impl Kind {
    fn table(self) -> &'static str {
        match self {
            Self::LegalBasis => "legal_basis",
            Self::Case => "boundary_case",
        }
    }

    /// The audit log's name of an edit of this kind.
    fn operation(self, verb: Verb) -> &'static str {
        match (verb, self) {
            (Verb::Create, Self::LegalBasis) => "createLegalBasis",
            (Verb::Create, Self::Case) => "createCase",
            (Verb::Update, Self::LegalBasis) => "updateLegalBasis",
            (Verb::Update, Self::Case) => "updateCase",
            (Verb::Remove, Self::LegalBasis) => "removeLegalBasis",
            (Verb::Remove, Self::Case) => "removeCase",
        }
    }

    fn unknown(self) -> (RuleCode, &'static str) {
        match self {
            Self::LegalBasis => (RuleCode::LegalBasisUnknown, "legal basis"),
            Self::Case => (RuleCode::CaseUnknown, "case"),
        }
    }
}

#[derive(Clone, Copy)]
enum Verb {
    Create,
    Update,
    Remove,
}

/// A legal basis or a case as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Citation {
    LegalBasis(legal_basis::Model),
    Case(boundary_case::Model),
}

impl Citation {
    fn id(&self) -> i32 {
        match self {
            Self::LegalBasis(b) => b.id,
            Self::Case(c) => c.id,
        }
    }

    fn matter_id(&self) -> i32 {
        match self {
            Self::LegalBasis(b) => b.matter_id,
            Self::Case(c) => c.matter_id,
        }
    }

    fn snapshot(&self) -> Value {
        match self {
            Self::LegalBasis(b) => json!({ "matterId": b.matter_id, "divisionId": b.division_id,
                "seq": b.seq, "title": b.title, "text": b.text }),
            Self::Case(c) => json!({ "matterId": c.matter_id, "divisionId": c.division_id,
                "seq": c.seq, "text": c.text }),
        }
    }
}

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

fn check(checks: &mut Checks, kind: Kind, f: &CitationFields) {
    if let Some(text) = &f.text {
        checks.require_text("text", text, "the text");
    }
    if let (Kind::LegalBasis, Some(title)) = (kind, &f.title) {
        checks.require_text("title", title, "the instrument's name");
    }
}

/// The division, when it is one of the matter's (in the draft).
async fn cited_by(
    txn: &impl ConnectionTrait,
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

/// Adds a legal basis or case to matter `matter_id` at `position` (default: last).
pub async fn create(
    txn: Write,
    viewer: &Viewer,
    clock: &dyn Clock,
    kind: Kind,
    matter_id: i32,
    f: CitationFields,
) -> Result<Citation, Failure> {
    let actor = viewer.subject()?.to_owned();
    let matter = editable_matter(&txn, viewer, matter_id).await?;
    let mut checks = Checks::default();
    let text = f.text.clone().unwrap_or_default();
    checks.require_text("text", &text, "the text");
    if kind == Kind::LegalBasis {
        checks.require_text(
            "title",
            f.title.as_deref().unwrap_or(""),
            "the instrument's name",
        );
    }
    checks.finish()?;
    let matter = in_draft_matter(&txn, clock, "matterId", matter.id).await?;
    let division_id = cited_by(&txn, matter.id, f.division_id.flatten()).await?;
    let order = siblings(&txn, kind, matter.id).await?;
    let seq = order.len() as i32 + 1;
    let id = match kind {
        Kind::LegalBasis => {
            legal_basis::ActiveModel {
                matter_id: Set(matter.id),
                division_id: Set(division_id),
                version_id: Set(matter.version_id),
                seq: Set(seq),
                title: Set(f.title.unwrap_or_default()),
                text: Set(text),
                ..Default::default()
            }
            .insert(&txn)
            .await?
            .id
        }
        Kind::Case => {
            boundary_case::ActiveModel {
                matter_id: Set(matter.id),
                division_id: Set(division_id),
                version_id: Set(matter.version_id),
                seq: Set(seq),
                text: Set(text),
                ..Default::default()
            }
            .insert(&txn)
            .await?
            .id
        }
    };
    start_lineage(&txn, kind.table(), id).await?;
    place(&txn, kind.table(), order, id, f.position).await?;
    let saved = load(&txn, kind, id).await?;
    commit(
        txn,
        clock,
        Edit::created(
            &actor,
            kind.operation(Verb::Create),
            kind.table(),
            id,
            saved.snapshot(),
        ),
    )
    .await?;
    Ok(saved)
}

/// Changes the fields given; a new `position` moves it within its matter.
pub async fn update(
    txn: Write,
    viewer: &Viewer,
    clock: &dyn Clock,
    kind: Kind,
    id: i32,
    f: CitationFields,
) -> Result<Citation, Failure> {
    let actor = viewer.subject()?.to_owned();
    let before = find(&txn, kind, id).await?;
    editable_matter(&txn, viewer, before.matter_id()).await?;
    let mut checks = Checks::default();
    check(&mut checks, kind, &f);
    checks.finish()?;
    let before = in_draft(&txn, clock, kind, before.id()).await?;
    let id = before.id();
    let division_id = match f.division_id {
        Some(given) => Some(cited_by(&txn, before.matter_id(), given).await?),
        None => None,
    };
    match &before {
        Citation::LegalBasis(b) => {
            let mut row: legal_basis::ActiveModel = b.clone().into();
            if let Some(division) = division_id {
                row.division_id = Set(division);
            }
            if let Some(title) = f.title {
                row.title = Set(title);
            }
            if let Some(text) = f.text {
                row.text = Set(text);
            }
            row.update(&txn).await?;
        }
        Citation::Case(c) => {
            let mut row: boundary_case::ActiveModel = c.clone().into();
            if let Some(division) = division_id {
                row.division_id = Set(division);
            }
            if let Some(text) = f.text {
                row.text = Set(text);
            }
            row.update(&txn).await?;
        }
    }
    if f.position.is_some() {
        let order = siblings(&txn, kind, before.matter_id()).await?;
        place(&txn, kind.table(), order, id, f.position).await?;
    }
    let saved = load(&txn, kind, id).await?;
    commit(
        txn,
        clock,
        Edit::changed(
            &actor,
            kind.operation(Verb::Update),
            kind.table(),
            id,
            before.snapshot(),
            saved.snapshot(),
        ),
    )
    .await?;
    Ok(saved)
}

/// Removes it; those after it in the matter move up one.
pub async fn remove(
    txn: Write,
    viewer: &Viewer,
    clock: &dyn Clock,
    kind: Kind,
    id: i32,
) -> Result<Citation, Failure> {
    let actor = viewer.subject()?.to_owned();
    let before = find(&txn, kind, id).await?;
    editable_matter(&txn, viewer, before.matter_id()).await?;
    let before = in_draft(&txn, clock, kind, before.id()).await?;
    match kind {
        Kind::LegalBasis => {
            legal_basis::Entity::delete_by_id(before.id())
                .exec(&txn)
                .await?
        }
        Kind::Case => {
            boundary_case::Entity::delete_by_id(before.id())
                .exec(&txn)
                .await?
        }
    };
    let order = siblings(&txn, kind, before.matter_id()).await?;
    resequence(&txn, kind.table(), &order).await?;
    commit(
        txn,
        clock,
        Edit::removed(
            &actor,
            kind.operation(Verb::Remove),
            kind.table(),
            before.id(),
            before.snapshot(),
        ),
    )
    .await?;
    Ok(before)
}

async fn find(db: &impl ConnectionTrait, kind: Kind, id: i32) -> Result<Citation, Failure> {
    let (code, what) = kind.unknown();
    Ok(match kind {
        Kind::LegalBasis => {
            Citation::LegalBasis(super::find::<legal_basis::Entity>(db, id, code, what).await?)
        }
        Kind::Case => {
            Citation::Case(super::find::<boundary_case::Entity>(db, id, code, what).await?)
        }
    })
}

async fn in_draft(
    txn: &impl ConnectionTrait,
    clock: &dyn Clock,
    kind: Kind,
    id: i32,
) -> Result<Citation, Failure> {
    let (code, what) = kind.unknown();
    Ok(match kind {
        Kind::LegalBasis => Citation::LegalBasis(
            super::in_draft::<legal_basis::Entity>(txn, clock, "id", id, code, what).await?,
        ),
        Kind::Case => Citation::Case(
            super::in_draft::<boundary_case::Entity>(txn, clock, "id", id, code, what).await?,
        ),
    })
}

async fn load(txn: &impl ConnectionTrait, kind: Kind, id: i32) -> Result<Citation, Failure> {
    Ok(match kind {
        Kind::LegalBasis => {
            Citation::LegalBasis(super::reload::<legal_basis::Entity>(txn, id).await?)
        }
        Kind::Case => Citation::Case(super::reload::<boundary_case::Entity>(txn, id).await?),
    })
}

/// The matter's legal bases, or cases, in published order.
async fn siblings(
    txn: &impl ConnectionTrait,
    kind: Kind,
    matter_id: i32,
) -> Result<Vec<i32>, Failure> {
    Ok(match kind {
        Kind::LegalBasis => {
            use legal_basis::Column;
            super::ordered::<legal_basis::Entity>(
                txn,
                Column::Id,
                Column::MatterId,
                matter_id,
                Column::Seq,
            )
            .await?
        }
        Kind::Case => {
            use boundary_case::Column;
            super::ordered::<boundary_case::Entity>(
                txn,
                Column::Id,
                Column::MatterId,
                matter_id,
                Column::Seq,
            )
            .await?
        }
    })
}
