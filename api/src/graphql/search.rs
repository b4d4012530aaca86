//! Responsibility lookup (责任查询) and lexicon maintenance (词库维护).

use std::sync::Arc;

use async_graphql::{
    ComplexObject, Context, Enum, InputObject, InputType, Object, SimpleObject, Value,
};

use sea_orm::{EntityTrait, QueryOrder};

use super::department::Department;
use super::kinds::DivisionRole;
use super::plain::{PlainFields, PlainList, plain_relation};
use super::scalars::Date;
use super::text::{Name, Text, Texts};
use super::user_error::{UserError, settle};
use super::{db, writer};
use crate::domain::lexicon;
use crate::error::{ApiError, ApiResult};
use crate::search::{self, Searcher};

/// Lookup outcome — 查询结论.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LookupOutcome {
    /// 匹配: one department must act; it is the first candidate.
    Matched,
    /// 难以区分: two acting departments score within 8 % of each other (units of one
    /// department never tie with it); both are returned and the dispatcher decides.
    Ambiguous,
    /// 无匹配: nothing in the list is relevant; `candidates` is empty.
    NoMatch,
}

/// Kind of row that matched — 匹配依据类别.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum EvidenceKind {
    /// 职责分工: a department's division of a boundary matter.
    Division,
    /// 具体工作事项.
    WorkItem,
    /// 主要职责.
    Duty,
    /// 公共服务事项.
    Service,
}

/// A matched span — 匹配片段: characters `[start, end)` of the evidence text (Unicode scalar values, not bytes).
#[derive(SimpleObject, Clone)]
pub struct TextSpan {
    /// First character — 起始位置 (0-based).
    start: i32,
    /// One past the last character — 结束位置.
    end: i32,
}

/// Legal basis of a matched division — 相关依据.
#[derive(SimpleObject, Clone)]
pub struct EvidenceLegalBasis {
    /// Title — 依据名称.
    title: String,
    /// Text — 条文.
    text: String,
}

/// Evidence — 匹配依据: the row of the list that made a candidate.
#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub struct LookupEvidence {
    /// Kind of row — 类别.
    kind: EvidenceKind,
    /// The department whose row it is, as the list names it (a service: its unit) — 所属部门.
    department: Department,
    /// Matter title or service name, where the row has one — 事项名称.
    title: Option<String>,
    /// The row's text exactly as published — 原文.
    text: String,
    /// Legal bases of the matched division — 相关依据.
    legal_bases: Vec<EvidenceLegalBasis>,
    /// This row's relevance (BM25) — 相关度.
    score: f64,
    /// The complaint's words that `highlights` marks.
    #[graphql(skip)]
    words: Arc<[String]>,
}

#[ComplexObject]
impl LookupEvidence {
    /// Matched spans of `text`, in characters — 匹配片段.
    async fn highlights(&self) -> Vec<TextSpan> {
        search::tokenize::highlights(&self.text, &self.words)
            .into_iter()
            .map(|(start, end)| TextSpan {
                start: start as i32,
                end: end as i32,
            })
            .collect()
    }
}

/// Lookup candidate — 候选承办部门: a department (or unit) that must act, because the
/// complaint falls under its own row of the list.
#[derive(SimpleObject)]
pub struct LookupCandidate {
    /// Who acts (承办), on the day asked about: the owner of the matched division, duty, work
    /// item or service; a unit (股/站) when the row is the unit's, its department being
    /// `department.parent` — 承办部门.
    department: Department,
    /// The department the list names, when it was dissolved or merged by that day and its
    /// duties passed to `department` — 原责任部门 (机构改革).
    routed_from: Option<Department>,
    /// The matched matter's lead, who coordinates (牵头), when that is not `department`
    /// itself; null when the evidence is no matter's division — 牵头协调部门.
    coordinator: Option<Department>,
    /// `department`'s published role on the matched matter (牵头/配合); null when the
    /// evidence is a duty, work item or service — 分工角色.
    role: Option<DivisionRole>,
    /// Relevance; comparable within one lookup only — 相关度.
    score: f64,
    /// Rows that made it, best first — 匹配依据.
    evidence: Vec<LookupEvidence>,
}

/// A candidate's role, score and departments are at hand: a hotline's lookup, which selects
/// only those, is answered without the executor's per-object work. Its evidence is left to
/// the executor.
impl PlainFields for LookupCandidate {
    fn plain(&self, field: &str) -> Option<Value> {
        Some(match field {
            "role" => self.role.to_value(),
            "score" => self.score.to_value(),
            _ => return None,
        })
    }

    fn plain_relation(&self, ctx: &Context<'_>) -> Option<Value> {
        match ctx.item.node.name.node.as_str() {
            "department" => plain_relation(Some(&self.department), ctx),
            "routedFrom" => plain_relation(self.routed_from.as_ref(), ctx),
            "coordinator" => plain_relation(self.coordinator.as_ref(), ctx),
            _ => None,
        }
    }
}

/// Lookup result — 查询结果.
#[derive(SimpleObject)]
pub struct LookupResult {
    /// Outcome — 查询结论.
    outcome: LookupOutcome,
    /// Ranked departments — 候选部门 (empty when NO_MATCH).
    candidates: PlainList<LookupCandidate>,
}

/// The most candidates one lookup returns.
pub(crate) const MAX_CANDIDATES: usize = 20;

pub(crate) fn searcher<'a>(ctx: &Context<'a>) -> ApiResult<&'a Arc<Searcher>> {
    ctx.data::<Arc<Searcher>>()
        .map_err(|_| ApiError::from(anyhow::anyhow!("searcher missing from schema data")))
}

/// A complaint text as an argument, checked before it is looked up.
pub(crate) fn complaint<'a>(text: &'a str, argument: &str) -> ApiResult<&'a str> {
    search::query::check(text).map_err(|problem| ApiError::BadUserInput {
        field: argument.into(),
        message: format!("{argument}: {problem}"),
    })
}

#[derive(Default)]
pub struct SearchQuery;

#[Object]
impl SearchQuery {
    /// Who must act on this? — 责任查询 (派单): ranks the departments and units whose own
    /// division, duty, work item or public service a complaint written in plain Chinese
    /// falls under; on a shared matter each names the matter's lead as its coordinator.
    async fn responsibility_lookup(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The complaint as received, 1–2,000 characters, no control characters — 诉求原文"
        )]
        text: String,
        #[graphql(default = 5, desc = "At most this many candidates (1–20) — 候选数")] first: i32,
        #[graphql(
            desc = "Answer as of this day (default today), from the list versions in force \
                          then; a department dissolved by then is routed to its successor — 查询日期"
        )]
        as_of: Option<Date>,
    ) -> ApiResult<LookupResult> {
        let first = candidates_wanted(first)?;
        let text = complaint(&text, "text")?;
        let day = super::day(ctx, as_of)?;
        let found = searcher(ctx)?.lookup(day, text, first).await?;
        Ok(lookup_result(found))
    }

    /// Lexicon entries in force, by term — 词库.
    async fn lexicon_entries(&self, ctx: &Context<'_>) -> ApiResult<Vec<LexiconEntry>> {
        Ok(entity::lexicon_entry::Entity::find()
            .order_by_asc(entity::lexicon_entry::Column::Term)
            .all(db(ctx)?)
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }
}

/// `first` candidates, checked against the bound.
pub(crate) fn candidates_wanted(first: i32) -> ApiResult<usize> {
    if !(1..=MAX_CANDIDATES as i32).contains(&first) {
        return Err(ApiError::BadUserInput {
            field: "first".into(),
            message: format!("first must be between 1 and {MAX_CANDIDATES}"),
        });
    }
    Ok(first as usize)
}

pub(crate) fn lookup_result(found: search::Lookup) -> LookupResult {
    let words = found.words;
    LookupResult {
        outcome: match found.outcome {
            search::Outcome::Matched => LookupOutcome::Matched,
            search::Outcome::Ambiguous => LookupOutcome::Ambiguous,
            search::Outcome::NoMatch => LookupOutcome::NoMatch,
        },
        candidates: found
            .candidates
            .into_iter()
            .map(|c| candidate(c, &words))
            .collect(),
    }
}

fn candidate(c: search::Candidate, words: &Arc<[String]>) -> LookupCandidate {
    LookupCandidate {
        department: Department(c.department),
        routed_from: c.routed_from.map(Department),
        coordinator: c.coordinator.map(Department),
        role: c.role.map(Into::into),
        score: c.score,
        evidence: c
            .evidence
            .into_iter()
            .map(|e| evidence(e, words.clone()))
            .collect(),
    }
}

fn evidence(e: search::Evidence, words: Arc<[String]>) -> LookupEvidence {
    LookupEvidence {
        department: Department(e.department),
        kind: match e.kind {
            search::EvidenceKind::Division => EvidenceKind::Division,
            search::EvidenceKind::WorkItem => EvidenceKind::WorkItem,
            search::EvidenceKind::Duty => EvidenceKind::Duty,
            search::EvidenceKind::Service => EvidenceKind::Service,
        },
        title: e.title,
        text: e.text,
        legal_bases: e
            .legal_bases
            .into_iter()
            .map(|(title, text)| EvidenceLegalBasis { title, text })
            .collect(),
        score: e.score,
        words,
    }
}

/// Lexicon entry kind — 词条类别.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::domain::kinds::LexiconKind")]
pub enum LexiconKind {
    /// 简称/别称: an abbreviation or alias (两非, 计生).
    Alias,
    /// 俗称: a citizen's word for an official one (堕胎药 → 终止妊娠药物).
    Colloquial,
}

/// Lexicon entry — 词条.
#[derive(SimpleObject)]
pub struct LexiconEntry {
    /// The word as typed or spoken — 词语.
    term: String,
    /// The list's wording it stands for — 对应规范用语.
    expansion: String,
    /// Kind — 类别.
    kind: LexiconKind,
}

impl From<entity::lexicon_entry::Model> for LexiconEntry {
    fn from(m: entity::lexicon_entry::Model) -> Self {
        Self {
            term: m.term,
            expansion: m.expansion,
            // Every row is written through the vocabulary; one that is not reads as 俗称.
            kind: crate::domain::kinds::LexiconKind::parse(&m.kind)
                .unwrap_or(crate::domain::kinds::LexiconKind::Colloquial)
                .into(),
        }
    }
}

/// Input of setLexiconEntry — 设置词条.
#[derive(InputObject)]
pub struct SetLexiconEntryInput {
    /// The word — 词语.
    term: Text<Name>,
    /// What it stands for — 对应规范用语.
    expansion: Text<Name>,
    /// Kind — 类别.
    kind: LexiconKind,
}

/// Result of setLexiconEntry — 设置结果.
#[derive(SimpleObject)]
pub struct SetLexiconEntryPayload {
    /// The entry as stored — 词条.
    entry: Option<LexiconEntry>,
    /// Rules the input broke — 规则错误.
    user_errors: Vec<UserError>,
}

/// Input of removeLexiconEntry — 删除词条.
#[derive(InputObject)]
pub struct RemoveLexiconEntryInput {
    /// The word — 词语.
    term: Text<Name>,
}

/// Result of removeLexiconEntry — 删除结果.
#[derive(SimpleObject)]
pub struct RemoveLexiconEntryPayload {
    /// Whether the term was in the lexicon — 是否已删除.
    removed: Option<bool>,
    /// Rules the input broke — 规则错误.
    user_errors: Vec<UserError>,
}

#[derive(Default)]
pub struct LexiconMutation;

#[Object]
impl LexiconMutation {
    /// Add a lexicon entry or change what it stands for (ADMIN) — 设置词条.
    async fn set_lexicon_entry(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fields of the change — 输入")] input: SetLexiconEntryInput,
    ) -> ApiResult<SetLexiconEntryPayload> {
        let kind = input.kind.into();
        let mut texts = Texts::default();
        let term = texts.take("term", input.term);
        let expansion = texts.take("expansion", input.expansion);
        let (db, viewer, clock) = writer(ctx)?;
        let result = texts
            .write(db, |write| {
                lexicon::set_entry(write, viewer, clock, term.trim(), expansion.trim(), kind)
            })
            .await;
        let (entry, user_errors) = settle(result)?;
        Ok(SetLexiconEntryPayload {
            entry: entry.map(Into::into),
            user_errors,
        })
    }

    /// Remove a lexicon entry (ADMIN) — 删除词条.
    async fn remove_lexicon_entry(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fields of the change — 输入")] input: RemoveLexiconEntryInput,
    ) -> ApiResult<RemoveLexiconEntryPayload> {
        let mut texts = Texts::default();
        let term = texts.take("term", input.term);
        let (db, viewer, clock) = writer(ctx)?;
        let result = texts
            .write(db, |write| {
                lexicon::remove_entry(write, viewer, clock, term.trim())
            })
            .await;
        let (removed, user_errors) = settle(result)?;
        Ok(RemoveLexiconEntryPayload {
            removed,
            user_errors,
        })
    }
}
