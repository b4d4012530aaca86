//! Counting days for the list's time limits. The list says "10 日" and "15 日" without saying
//! natural or working days; each regime's `day_count` decides, natural by default. Working
//! days are Monday to Friday, corrected by the calendar exceptions administrators load
//! (public holidays off, make-up working days on).

use std::collections::HashMap;

use crate::db::Write;
use chrono::{Datelike, Days, NaiveDate, Weekday};
use entity::calendar_day;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use serde_json::json;

use super::kinds::DayCount;
use super::{Failure, RuleCode, audit, clock::Clock};
use crate::auth::{Role, Viewer};

/// How one regime counts days.
#[derive(Clone)]
pub struct DayRule {
    count: DayCount,
    exceptions: HashMap<NaiveDate, bool>,
}

impl DayRule {
    pub fn natural() -> Self {
        Self {
            count: DayCount::Natural,
            exceptions: HashMap::new(),
        }
    }

    pub fn working(exceptions: HashMap<NaiveDate, bool>) -> Self {
        Self {
            count: DayCount::Working,
            exceptions,
        }
    }

    /// Loads the rule for `count`, reading calendar exceptions from `from` on when needed.
    pub async fn load(
        db: &impl ConnectionTrait,
        count: DayCount,
        from: NaiveDate,
    ) -> Result<Self, DbErr> {
        Ok(match count {
            DayCount::Natural => Self::natural(),
            DayCount::Working => {
                let rows = calendar_day::Entity::find()
                    .filter(calendar_day::Column::Day.gte(from))
                    .all(db)
                    .await?;
                Self::working(rows.into_iter().map(|row| (row.day, row.working)).collect())
            }
        })
    }

    fn is_working(&self, day: NaiveDate) -> bool {
        self.exceptions
            .get(&day)
            .copied()
            .unwrap_or(!matches!(day.weekday(), Weekday::Sat | Weekday::Sun))
    }

    /// The last day of a limit of `days` counted from the day after `start`:
    /// "within 10 days of receipt" on 1 July ends on 11 July (natural days).
    pub fn deadline(&self, start: NaiveDate, days: u32) -> NaiveDate {
        match self.count {
            DayCount::Natural => start + Days::new(u64::from(days)),
            DayCount::Working => {
                let (mut day, mut left) = (start, days);
                while left > 0 {
                    day = day + Days::new(1);
                    if self.is_working(day) {
                        left -= 1;
                    }
                }
                day
            }
        }
    }
}

/// One calendar exception to load.
#[derive(Clone, Debug)]
pub struct CalendarDay {
    pub day: NaiveDate,
    pub working: bool,
    pub note: Option<String>,
}

/// Loads calendar exceptions (ADMIN), replacing any already set for the same days; all in
/// one transaction.
pub async fn load_days(
    txn: Write,
    viewer: &Viewer,
    clock: &dyn Clock,
    days: Vec<CalendarDay>,
) -> Result<usize, Failure> {
    viewer.require_any(&[Role::Admin])?;
    let actor = viewer.subject()?.to_owned();
    let mut seen = std::collections::HashSet::new();
    for (i, day) in days.iter().enumerate() {
        if !seen.insert(day.day) {
            return Err(Failure::rule(
                format!("days[{i}].day"),
                RuleCode::DayDuplicate,
                "the same day is listed twice",
            ));
        }
    }
    let now = clock.now();
    calendar_day::Entity::delete_many()
        .filter(calendar_day::Column::Day.is_in(days.iter().map(|d| d.day)))
        .exec(&txn)
        .await?;
    if !days.is_empty() {
        calendar_day::Entity::insert_many(days.iter().map(|d| calendar_day::ActiveModel {
            day: Set(d.day),
            working: Set(d.working),
            note: Set(d.note.clone()),
            ..Default::default()
        }))
        .exec(&txn)
        .await?;
    }
    let after = json!(
        days.iter()
            .map(|d| json!({ "day": d.day, "working": d.working, "note": d.note }))
            .collect::<Vec<_>>()
    );
    let entry = audit::Entry {
        actor: &actor,
        operation: "loadCalendar",
        entity: "CalendarDay",
        entity_id: None,
        before: None,
        after: Some(after),
    };
    audit::record(&txn, now, entry).await?;
    txn.commit().await?;
    Ok(days.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn natural__ten_days_after_receipt() {
        assert_eq!(
            DayRule::natural().deadline(d("2016-07-01"), 10),
            d("2016-07-11")
        );
        assert_eq!(
            DayRule::natural().deadline(d("2016-12-25"), 15),
            d("2017-01-09")
        );
    }

    #[test]
    fn working__skips_weekends_and_holidays_and_counts_make_up_days() {
        // Friday 30 September 2016, before the National Day holiday (1–7 October), with
        // Saturday 8 and Sunday 9 October as make-up working days.
        let mut exceptions = HashMap::new();
        for day in 1..=7 {
            exceptions.insert(NaiveDate::from_ymd_opt(2016, 10, day).unwrap(), false);
        }
        exceptions.insert(d("2016-10-08"), true);
        exceptions.insert(d("2016-10-09"), true);
        let rule = DayRule::working(exceptions);
        assert_eq!(rule.deadline(d("2016-09-30"), 1), d("2016-10-08"));
        assert_eq!(rule.deadline(d("2016-09-30"), 3), d("2016-10-10"));
        assert_eq!(
            DayRule::working(HashMap::new()).deadline(d("2016-07-01"), 10),
            d("2016-07-15")
        );
    }
}
