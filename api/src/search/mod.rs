//! Responsibility lookup (责任查询): which department must act on a citizen's complaint.
//!
//! `tokenize` segments Chinese with jieba (search mode, plus character bigrams of long words so
//! typos and partial words still meet); `index` holds the list's divisions, duties, work items
//! and services as BM25-ranked documents; `rank` turns matched rows into the departments that
//! own them (who acts, 承办), with the matter's lead as coordinator (牵头) and the evidence.
//! The lexicon (词库) is data in `lexicon_entry`: a query containing a term is expanded with
//! the list's wording it stands for. Nothing here knows any list's words.
//!
//! The index follows the data: a write to the published lists or the lexicon moves their
//! scopes of the data version, and the next lookup sees the index rebuilt for it. A rebuild runs as its own task. A county's index rebuilds in tens
//! of milliseconds and is waited for, so a write is seen by the next lookup; a province's takes
//! seconds, and after a short wait callers are answered from the index it replaces until the
//! new one is ready, so a publication never stalls the hotline.

pub mod index;
pub mod lexicon;
pub mod query;
pub mod rank;
pub mod tokenize;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::NaiveDate;
// Keyed by a set of list versions, hashed on every lookup: a province's is thousands of ids.
use foldhash::HashMap;
use sea_orm::{DatabaseConnection, DbErr};
use tokio::sync::watch;

use crate::data_version::{Scope, Watch};
use crate::domain::published::Published;
use crate::domain::versions::InForce;
pub use index::Index;
pub use rank::{Candidate, Evidence, EvidenceKind, Lookup, Outcome, Role, Thresholds};

/// How many indexes (sets of list versions) a process keeps: today's, and a few days asked
/// for with `asOf`.
const KEPT: usize = 4;

/// How long a lookup waits for a large index's rebuild before it answers from the index it
/// replaces (a province's rebuild takes seconds).
const STALL_BUDGET: Duration = Duration::from_millis(150);

/// An index of more rows than this is large: a county's few thousand rows rebuild in tens of
/// milliseconds and are always waited for.
const STALE_AFTER_ROWS: usize = 20_000;

type Built = Result<Arc<Index>, Arc<DbErr>>;

/// What an index is of besides its list versions: the counts of the published lists'
/// scope (rows and departments) and of the lexicon's. Both only grow, so a later build's is
/// never smaller.
type At = (i64, i64);

/// The in-memory indexes of one database, by the list versions they hold, rebuilt when the
/// data version moves.
pub struct Searcher {
    db: DatabaseConnection,
    data: Arc<Watch>,
    in_force: Arc<InForce>,
    /// The published lists in memory: an index is built from their view, without SQL.
    published: Arc<Published>,
    state: Arc<Mutex<State>>,
}

#[derive(Default)]
struct State {
    /// Finished indexes by the list versions they hold, with the data version of each.
    built: HashMap<Vec<i32>, (At, Arc<Index>)>,
    /// Builds under way, by list versions and data version.
    building: HashMap<(Vec<i32>, At), watch::Receiver<Option<Built>>>,
    /// The index last served for a day: what that day's callers get while its successor
    /// builds.
    served: HashMap<NaiveDate, Arc<Index>>,
}

impl Searcher {
    pub fn new(
        db: DatabaseConnection,
        data: Arc<Watch>,
        in_force: Arc<InForce>,
        published: Arc<Published>,
    ) -> Self {
        Self {
            db,
            data,
            in_force,
            published,
            state: Arc::default(),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The index of the list versions in force on `day`, at the current data version (or,
    /// while a slow rebuild runs, the one last served for `day`).
    pub async fn index(&self, day: NaiveDate) -> Result<Arc<Index>, DbErr> {
        let stamp = self.data.current(&self.db).await?;
        let data = (stamp.of(Scope::Lists), stamp.of(Scope::Lexicon));
        let versions = self.in_force.at(&self.db, &stamp, day).await?;
        let mut pending = {
            let mut state = self.state();
            if let Some((at, index)) = state.built.get(&versions[..])
                && *at == data
            {
                let index = index.clone();
                state.remember(day, &index);
                return Ok(index);
            }
            self.start_build(&mut state, versions.to_vec(), data, day)
        };
        // A large index's rebuild is waited for up to the budget, then this day's previous
        // index answers meanwhile; a small one's is always waited for (it is quick, even on
        // a loaded machine), so a write is seen by the next lookup.
        let fallback = self
            .state()
            .served
            .get(&day)
            .filter(|index| index.docs.len() > STALE_AFTER_ROWS)
            .cloned();
        let waited = match fallback {
            Some(index) => match tokio::time::timeout(STALL_BUDGET, finished(&mut pending)).await {
                Ok(built) => built,
                Err(_) => return Ok(index),
            },
            None => finished(&mut pending).await,
        };
        let index = waited.map_err(|e| DbErr::Custom(e.to_string()))?;
        self.state().remember(day, &index);
        Ok(index)
    }

    /// Starts building the index of `versions` at data version `data`, unless a build of it
    /// is under way; the receiver hears when it is done.
    fn start_build(
        &self,
        state: &mut State,
        versions: Vec<i32>,
        data: At,
        day: NaiveDate,
    ) -> watch::Receiver<Option<Built>> {
        let key = (versions, data);
        if let Some(pending) = state.building.get(&key) {
            return pending.clone();
        }
        let (done, pending) = watch::channel(None);
        state.building.insert(key.clone(), pending.clone());
        let db = self.db.clone();
        let shared = self.state.clone();
        let published = self.published.clone();
        // Spawned, so a caller that stops waiting (or goes away) never abandons the build.
        tokio::spawn(async move {
            // From the day's view when it holds these versions, else from SQL.
            let built = match published.view(&db, day).await {
                Ok(Some(view)) if *view.versions == key.0[..] => index::of_view(&db, &view).await,
                _ => index::load(&db, &key.0).await,
            };
            let built: Built = built.map(Arc::new).map_err(Arc::new);
            let mut state = shared.lock().unwrap_or_else(|e| e.into_inner());
            state.building.remove(&key);
            if let Ok(index) = &built {
                // Builds may finish out of order: an older data version never replaces a newer.
                let (versions, at) = key;
                state.built.retain(|_, (built_at, _)| *built_at >= at);
                if state.built.len() >= KEPT {
                    state.built.clear();
                }
                if state
                    .built
                    .get(&versions)
                    .is_none_or(|(newer, _)| *newer <= at)
                {
                    state.built.insert(versions, (at, index.clone()));
                }
            }
            drop(state);
            let _ = done.send(Some(built));
        });
        pending
    }

    /// Looks `text` up in the list versions in force on `day`, routing a department
    /// reorganised away by then to its successor.
    pub async fn lookup(&self, day: NaiveDate, text: &str, first: usize) -> Result<Lookup, DbErr> {
        let index = self.index(day).await?;
        Ok(rank::lookup(
            &index,
            text,
            first,
            day,
            &Thresholds::default(),
        ))
    }

    /// Ids of the rows of `kind` that match `text` as a lookup would, in id order: the
    /// list filters (`publicServices(filter: {matching})`) use the lookup's own matching.
    pub async fn matching_rows(
        &self,
        day: NaiveDate,
        text: &str,
        kind: index::DocKind,
    ) -> Result<Vec<i32>, DbErr> {
        let index = self.index(day).await?;
        Ok(rank::matching_rows(
            &index,
            text,
            kind,
            &Thresholds::default(),
        ))
    }
}

/// The outcome of a build, once it is done.
async fn finished(pending: &mut watch::Receiver<Option<Built>>) -> Built {
    match pending.wait_for(Option::is_some).await {
        Ok(done) => done.clone().expect("waited for a finished build"),
        Err(_) => Err(Arc::new(DbErr::Custom(
            "the index build was abandoned".into(),
        ))),
    }
}

impl State {
    fn remember(&mut self, day: NaiveDate, index: &Arc<Index>) {
        if self.served.len() >= KEPT && !self.served.contains_key(&day) {
            self.served.clear();
        }
        self.served.insert(day, index.clone());
    }
}
