//! Loading list files into the database: parse, validate every row, then write the whole
//! list in one transaction, so a bad file leaves the database exactly as it was.

pub mod draft;
mod export;
pub mod format;
pub mod generate;
mod load;
pub mod tables;

/// The database tables a list is loaded into, for callers that check what an import wrote.
pub mod stored {
    pub use entity::{
        boundary_case, boundary_matter, department, department_alias, division, duty, legal_basis,
        list_version, public_service, regime_item, regime_section, responsibility_list,
        supervision_regime, work_item,
    };
}
mod validate;

use entity::responsibility_list;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};

pub use export::{export_list, export_version};
pub use load::load;

use format::ListFile;

/// The Anhua County Population and Family Planning Bureau's list, loaded into an empty database.
pub const ANHUA: &str = include_str!("../../../data/anhua.json");

/// Why a list file was refused. `code` is stable; `at` names the line/column or the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{at}: {message} [{code}]")]
pub struct ImportError {
    pub code: &'static str,
    pub at: String,
    pub message: String,
}

impl ImportError {
    pub(crate) fn new(
        code: &'static str,
        at: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            code,
            at: at.into(),
            message: message.into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    Invalid(#[from] ImportError),
    #[error("database error: {0}")]
    Db(#[from] sea_orm::DbErr),
}

/// What a load wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoadSummary {
    pub list_id: i32,
    pub duties: usize,
    pub work_items: usize,
    pub matters: usize,
    pub divisions: usize,
    pub regime_items: usize,
    pub services: usize,
}

/// What `qingdan import` tells the person who ran it.
impl std::fmt::Display for LoadSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} main duties (主要职责) with {} work items, {} boundary matters (管理事项) with {} divisions, {} supervision regime items, {} public services",
            self.duties,
            self.work_items,
            self.matters,
            self.divisions,
            self.regime_items,
            self.services
        )
    }
}

/// Parses a list file; syntax and type errors name their line and column.
pub fn parse(text: &str) -> Result<ListFile, ImportError> {
    serde_json::from_str(text).map_err(|err| {
        ImportError::new(
            "MALFORMED_FILE",
            format!("line {}, column {}", err.line(), err.column()),
            err.to_string(),
        )
    })
}

/// Parses, validates and loads `text` in one transaction.
pub async fn import(db: &DatabaseConnection, text: &str) -> Result<LoadSummary, LoadError> {
    let file = parse(text)?;
    load(db, &file).await
}

/// What importing a list file did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Imported {
    /// A list new to the database, loaded as its version 1.
    Loaded(LoadSummary),
    /// A revision of a list already loaded (the same title), loaded into its draft to be
    /// compared (`listVersionDiff`) and published (`publishListVersion`) with the day it takes
    /// effect and the reason, which a file does not carry.
    Revised(draft::DraftChanges),
}

/// What `qingdan import` tells the person who ran it.
impl std::fmt::Display for Imported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Loaded(summary) => write!(f, "version 1: {summary}"),
            Self::Revised(changes) => write!(f, "a revision of a loaded list: {changes}"),
        }
    }
}

/// Loads `file` as a new list, or, when a list of its title is loaded already, into that
/// list's draft (as the command line's administrator).
pub async fn load_or_revise(
    db: &DatabaseConnection,
    file: &ListFile,
    clock: &dyn crate::domain::clock::Clock,
) -> Result<Imported, LoadError> {
    let existing = responsibility_list::Entity::find()
        .filter(responsibility_list::Column::Title.eq(&file.title))
        .one(db)
        .await?;
    match existing {
        Some(list) => draft::into_draft(db, &draft::command_line(), clock, list.id, file)
            .await
            .map(Imported::Revised),
        None => load(db, file).await.map(Imported::Loaded),
    }
}

/// Loads the bundled Anhua list when the database holds no list yet. Safe to call on every
/// start and from several processes at once: a list already loaded is never loaded twice.
pub async fn seed_if_empty(db: &DatabaseConnection) -> Result<Option<LoadSummary>, LoadError> {
    if responsibility_list::Entity::find().count(db).await? > 0 {
        return Ok(None);
    }
    crate::domain::lexicon::seed(db, crate::search::lexicon::STARTING).await?;
    match import(db, ANHUA).await {
        Ok(summary) => Ok(Some(summary)),
        // Another process seeded between our check and our write.
        Err(LoadError::Invalid(err)) if err.code == "LIST_ALREADY_LOADED" => Ok(None),
        Err(err) => Err(err),
    }
}
