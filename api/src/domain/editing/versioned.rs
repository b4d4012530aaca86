//! One shape for every edit of a row the list versions (duty, work item, public service,
//! boundary matter, division, legal basis, case): find the row, check the caller edits it,
//! take the draft's copy, set what changes, renumber its siblings, audit and commit, all on
//! the one transaction a `Write` holds. Each row states only its fields and rules
//! (`Versioned`); the order of the steps, and so which refusal wins when several apply, is
//! the same for all.

use std::future::Future;

use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, EntityTrait, IntoActiveModel, PrimaryKeyTrait,
};
use serde_json::Value;

use super::{Edit, commit, place, reload, resequence};
use crate::auth::Viewer;
use crate::db::Write;
use crate::domain::versions::start_lineage;
use crate::domain::{Failure, RuleCode, clock::Clock};

/// The audit log's names of a row's creation, change and removal.
pub struct Operations {
    pub create: &'static str,
    pub update: &'static str,
    pub remove: &'static str,
}

/// A versioned row of the list: what it is called, who edits it, what it is numbered among,
/// and the rules its fields keep. The hooks with a body hold for rows without such a rule.
pub trait Versioned:
    EntityTrait<
        PrimaryKey: PrimaryKeyTrait<ValueType = i32>,
        Model: IntoActiveModel<Self::ActiveModel> + Clone + Send + Sync,
        ActiveModel: ActiveModelTrait<Entity = Self> + ActiveModelBehavior + Send,
    >
{
    /// What an editor sets on it; `None` leaves a field as it is (on update).
    type Fields: Send;
    /// What a new row is created under (its department, duty, matter or list).
    type Parent: Send;

    /// The rule an unknown id breaks, and the row's name in that refusal.
    const UNKNOWN: (RuleCode, &'static str);
    const OPERATIONS: Operations;

    fn id(row: &Self::Model) -> i32;
    /// What the audit log records of it.
    fn snapshot(row: &Self::Model) -> Value;
    /// The 1-based place `fields` moves it to, if any.
    fn position(fields: &Self::Fields) -> Option<i32>;

    /// Row `id` as given (perhaps a published row); an unknown id is refused on `id`.
    fn locate(txn: &Write, id: i32) -> impl Future<Output = Result<Self::Model, Failure>> + Send {
        let (code, what) = Self::UNKNOWN;
        crate::domain::named::<Self>(txn, id, "id", code, what)
    }

    /// Refuses the caller unless they edit `row`'s department (or the list it belongs to).
    fn require_editor(
        txn: &Write,
        viewer: &Viewer,
        row: &Self::Model,
    ) -> impl Future<Output = Result<(), Failure>> + Send;

    /// The rules `fields` break as a change of `row`, before the draft is touched.
    fn check(
        txn: &Write,
        viewer: &Viewer,
        row: &Self::Model,
        fields: &Self::Fields,
    ) -> impl Future<Output = Result<(), Failure>> + Send;

    /// Sets `fields` on the draft's copy `row` (its place aside).
    fn set(
        txn: &Write,
        row: &Self::Model,
        fields: Self::Fields,
    ) -> impl Future<Output = Result<(), Failure>> + Send;

    /// Checks a new row under `parent` and makes it, numbered last among the ids it comes
    /// with (its siblings in the draft, in order).
    fn prepare(
        txn: &Write,
        viewer: &Viewer,
        clock: &dyn Clock,
        parent: Self::Parent,
        fields: &Self::Fields,
    ) -> impl Future<Output = Result<(Self::ActiveModel, Vec<i32>), Failure>> + Send;

    /// What a new row brings with it, once it is stored (a matter's lead division).
    fn created(
        txn: &Write,
        row: &Self::Model,
        fields: Self::Fields,
    ) -> impl Future<Output = Result<(), Failure>> + Send {
        let _ = (txn, row, fields);
        async { Ok(()) }
    }

    /// The ids of the rows it is numbered among, itself included while it is stored, in
    /// published order.
    fn siblings(
        txn: &Write,
        row: &Self::Model,
    ) -> impl Future<Output = Result<Vec<i32>, Failure>> + Send;

    /// Lets go of what refers to `row` before it is removed.
    fn release(txn: &Write, row: &Self::Model) -> impl Future<Output = Result<(), Failure>> + Send {
        let _ = (txn, row);
        async { Ok(()) }
    }

    /// The rules over its siblings that must hold after every edit; the edit is refused
    /// (its transaction dropped) otherwise.
    fn settled(
        txn: &Write,
        clock: &dyn Clock,
        row: &Self::Model,
    ) -> impl Future<Output = Result<(), Failure>> + Send {
        let _ = (txn, clock, row);
        async { Ok(()) }
    }
}

/// The head of a `Versioned` impl: the row's names, its id, and the place its fields give.
macro_rules! versioned_names {
    ($unknown:ident, $what:literal, $create:literal, $update:literal, $remove:literal) => {
        const UNKNOWN: (RuleCode, &'static str) = (RuleCode::$unknown, $what);
        const OPERATIONS: Operations = Operations {
            create: $create,
            update: $update,
            remove: $remove,
        };

        fn id(row: &Self::Model) -> i32 {
            row.id
        }

        fn position(fields: &Self::Fields) -> Option<i32> {
            fields.position
        }
    };
}
pub(super) use versioned_names;

fn table<R: Versioned>() -> &'static str {
    R::default().table_name()
}

/// The draft's copy of row `id` (the row itself when already in a draft), opening the
/// draft if need be.
pub async fn in_draft<R: Versioned>(
    txn: &Write,
    clock: &dyn Clock,
    id: i32,
) -> Result<R::Model, Failure> {
    let (code, what) = R::UNKNOWN;
    super::in_draft::<R>(txn, clock, "id", id, code, what).await
}

/// Adds a row under `parent` at the place `fields` gives (default: last).
pub async fn create<R: Versioned>(
    txn: Write,
    viewer: &Viewer,
    clock: &dyn Clock,
    parent: R::Parent,
    fields: R::Fields,
) -> Result<R::Model, Failure> {
    let actor = viewer.subject()?.to_owned();
    let (row, order) = R::prepare(&txn, viewer, clock, parent, &fields).await?;
    let position = R::position(&fields);
    // Inserted last, then placed: the unique index on (parent, seq) holds at every step.
    let saved = row.insert(&txn).await?;
    let id = R::id(&saved);
    start_lineage(&txn, table::<R>(), id).await?;
    R::created(&txn, &saved, fields).await?;
    place(&txn, table::<R>(), order, id, position).await?;
    R::settled(&txn, clock, &saved).await?;
    let saved = reload::<R>(&txn, id).await?;
    let edit = Edit::created(
        &actor,
        R::OPERATIONS.create,
        table::<R>(),
        id,
        R::snapshot(&saved),
    );
    commit(txn, clock, edit).await?;
    Ok(saved)
}

/// Changes the fields given; a new position moves the row among its siblings.
pub async fn update<R: Versioned>(
    txn: Write,
    viewer: &Viewer,
    clock: &dyn Clock,
    id: i32,
    fields: R::Fields,
) -> Result<R::Model, Failure> {
    let actor = viewer.subject()?.to_owned();
    let found = R::locate(&txn, id).await?;
    R::require_editor(&txn, viewer, &found).await?;
    R::check(&txn, viewer, &found, &fields).await?;
    let before = in_draft::<R>(&txn, clock, R::id(&found)).await?;
    let id = R::id(&before);
    let position = R::position(&fields);
    R::set(&txn, &before, fields).await?;
    if position.is_some() {
        let order = R::siblings(&txn, &before).await?;
        place(&txn, table::<R>(), order, id, position).await?;
    }
    R::settled(&txn, clock, &before).await?;
    let saved = reload::<R>(&txn, id).await?;
    let edit = Edit::changed(
        &actor,
        R::OPERATIONS.update,
        table::<R>(),
        id,
        R::snapshot(&before),
        R::snapshot(&saved),
    );
    commit(txn, clock, edit).await?;
    Ok(saved)
}

/// Removes a row (and what the database removes with it); its later siblings move up one.
pub async fn remove<R: Versioned>(
    txn: Write,
    viewer: &Viewer,
    clock: &dyn Clock,
    id: i32,
) -> Result<R::Model, Failure> {
    let actor = viewer.subject()?.to_owned();
    let found = R::locate(&txn, id).await?;
    R::require_editor(&txn, viewer, &found).await?;
    let before = in_draft::<R>(&txn, clock, R::id(&found)).await?;
    let id = R::id(&before);
    R::release(&txn, &before).await?;
    R::delete_by_id(id).exec(&txn).await?;
    let order = R::siblings(&txn, &before).await?;
    resequence(&txn, table::<R>(), &order).await?;
    R::settled(&txn, clock, &before).await?;
    let edit = Edit::removed(
        &actor,
        R::OPERATIONS.remove,
        table::<R>(),
        id,
        R::snapshot(&before),
    );
    commit(txn, clock, edit).await?;
    Ok(before)
}
