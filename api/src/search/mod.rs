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
//! An index holds the list versions in force on one day; the few last asked for are kept.

pub mod eval;
pub mod index;
pub mod lexicon;
pub mod rank;
pub mod tokenize;

use std::collections::HashMap;
use std::sync::Arc;

use sea_orm::{ConnectionTrait, DbErr};
use tokio::sync::RwLock;

pub use index::Index;
pub use rank::{Candidate, Evidence, EvidenceKind, Lookup, Outcome, Role, Thresholds};

/// How many indexes (sets of list versions) a process keeps: today's, and a few days asked
/// for with `asOf`.
const KEPT: usize = 4;

/// The in-memory indexes of one database, by the list versions they hold, rebuilt when the
/// data version moves.
pub struct Searcher {
    built: RwLock<Built>,
    versions: Arc<crate::data_version::Watch>,
}

/// Indexes by the list versions they hold, each with the data version it was built at.
type Built = HashMap<Vec<i32>, (i64, Arc<Index>)>;

impl Searcher {
    pub fn new(versions: Arc<crate::data_version::Watch>) -> Self {
        Self {
            built: RwLock::default(),
            versions,
        }
    }

    /// The index of list versions `versions` at the database's current data version.
    pub async fn index(
        &self,
        db: &impl ConnectionTrait,
        versions: &[i32],
    ) -> Result<Arc<Index>, DbErr> {
        let data = self.versions.current(db).await?;
        let fresh = |built: &Built| {
            built
                .get(versions)
                .filter(|(at, _)| *at == data)
                .map(|(_, index)| index.clone())
        };
        if let Some(index) = fresh(&*self.built.read().await) {
            return Ok(index);
        }
        let mut built = self.built.write().await;
        if let Some(index) = fresh(&built) {
            return Ok(index);
        }
        let index = Arc::new(index::load(db, versions).await?);
        built.retain(|_, (at, _)| *at == data);
        if built.len() >= KEPT {
            built.clear();
        }
        built.insert(versions.to_vec(), (data, index.clone()));
        Ok(index)
    }

    /// Looks `text` up in list versions `versions` at the current data version.
    pub async fn lookup(
        &self,
        db: &impl ConnectionTrait,
        versions: &[i32],
        text: &str,
        first: usize,
    ) -> Result<Lookup, DbErr> {
        let index = self.index(db, versions).await?;
        Ok(rank::lookup(&index, text, first, &Thresholds::default()))
    }

    /// Ids of the rows of `kind` that match `text` as a lookup would, in id order: the
    /// list filters (`publicServices(filter: {matching})`) use the lookup's own matching.
    pub async fn matching_rows(
        &self,
        db: &impl ConnectionTrait,
        versions: &[i32],
        text: &str,
        kind: index::DocKind,
    ) -> Result<Vec<i32>, DbErr> {
        let index = self.index(db, versions).await?;
        Ok(rank::matching_rows(
            &index,
            text,
            kind,
            &Thresholds::default(),
        ))
    }
}
