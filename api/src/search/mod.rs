//! Responsibility lookup (责任查询): who leads on a citizen's complaint, and who assists.
//!
//! `tokenize` segments Chinese with jieba (search mode, plus character bigrams of long words so
//! typos and partial words still meet); `index` holds the list's divisions, duties, work items
//! and services as BM25-ranked documents; `rank` turns matched documents into departments with
//! their role and evidence. The lexicon (词库) is data in `lexicon_entry`: a query containing a
//! term is expanded with the list's wording it stands for. Nothing here knows any list's words.
//!
//! The index follows the data: every write bumps the data version (`audit::record`) in its
//! own transaction; each lookup reads that version (one indexed read) and rebuilds the
//! in-memory index when it changed, so every process sees a change on its next request.

pub mod eval;
pub mod index;
pub mod lexicon;
pub mod rank;
pub mod tokenize;

use std::sync::Arc;

use sea_orm::{ConnectionTrait, DbErr};
use tokio::sync::RwLock;

pub use index::Index;
pub use rank::{Candidate, Evidence, EvidenceKind, Lookup, Outcome, Role, Thresholds};

/// The in-memory index of one database, rebuilt when the data version moves.
#[derive(Default)]
pub struct Searcher {
    current: RwLock<Option<(i64, Arc<Index>)>>,
}

impl Searcher {
    /// The index at the database's current data version.
    pub async fn index(&self, db: &impl ConnectionTrait) -> Result<Arc<Index>, DbErr> {
        let version = crate::cache::data_version(db).await?;
        if let Some((v, index)) = self.current.read().await.as_ref()
            && *v == version
        {
            return Ok(index.clone());
        }
        let mut slot = self.current.write().await;
        if let Some((v, index)) = slot.as_ref()
            && *v == version
        {
            return Ok(index.clone());
        }
        let index = Arc::new(index::load(db).await?);
        *slot = Some((version, index.clone()));
        Ok(index)
    }

    /// Looks `text` up at the current data version.
    pub async fn lookup(
        &self,
        db: &impl ConnectionTrait,
        text: &str,
        first: usize,
    ) -> Result<Lookup, DbErr> {
        let index = self.index(db).await?;
        Ok(rank::lookup(&index, text, first, &Thresholds::default()))
    }

    /// Ids of the rows of `kind` that match `text` as a lookup would, in id order: the
    /// list filters (`publicServices(filter: {matching})`) use the lookup's own matching.
    pub async fn matching_rows(
        &self,
        db: &impl ConnectionTrait,
        text: &str,
        kind: index::DocKind,
    ) -> Result<Vec<i32>, DbErr> {
        let index = self.index(db).await?;
        Ok(rank::matching_rows(
            &index,
            text,
            kind,
            &Thresholds::default(),
        ))
    }
}
