//! The time the rules are judged against. Deadlines are calendar dates in China Standard Time
//! (UTC+8), whatever the server's own time zone.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;

    /// Today's date in the county (UTC+8).
    fn today(&self) -> NaiveDate {
        let china = FixedOffset::east_opt(8 * 3600).expect("valid offset");
        self.now().with_timezone(&china).date_naive()
    }
}

pub type SharedClock = Arc<dyn Clock>;

/// The real time.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that stands still until moved: lets a test step through deadlines.
#[derive(Default)]
pub struct ManualClock(Mutex<Option<DateTime<Utc>>>);

impl ManualClock {
    pub fn set(&self, at: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(at);
    }

    /// Sets the clock to noon of `date` in the county.
    pub fn set_date(&self, date: NaiveDate) {
        let noon = date.and_hms_opt(4, 0, 0).expect("valid time").and_utc();
        self.set(noon);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .unwrap_or_else(Utc::now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn today__is_the_county_date() {
        let clock = ManualClock::default();
        // 17:00 UTC on 10 July is already 11 July in Anhua
        clock.set("2016-07-10T17:00:00Z".parse().unwrap());
        assert_eq!(clock.today(), NaiveDate::from_ymd_opt(2016, 7, 11).unwrap());
        clock.set_date(NaiveDate::from_ymd_opt(2016, 7, 11).unwrap());
        assert_eq!(clock.today(), NaiveDate::from_ymd_opt(2016, 7, 11).unwrap());
    }
}
