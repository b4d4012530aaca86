//! The custom scalars, each with the specification its values follow (`@specifiedBy`), so
//! code generators type them instead of falling back to `unknown`.

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::{Datelike, NaiveDate, Utc};

/// A calendar day, as the list's deadlines are days.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Date(pub NaiveDate);

/// Parses exactly `YYYY-MM-DD` (RFC 3339 `full-date`): chrono alone would take `2016-7-1`
/// too, which no other system writes and a typo more often than not.
fn full_date(text: &str) -> Option<NaiveDate> {
    let bytes = text.as_bytes();
    let shaped = bytes.len() == 10
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes
            .iter()
            .enumerate()
            .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
    shaped
        .then(|| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok())
        .flatten()
}

/// Date — 日期: a calendar day as RFC 3339 `full-date` (ISO 8601 extended format), exactly
/// `YYYY-MM-DD`, e.g. 2016-07-11. Days are county days (UTC+8).
#[Scalar(
    name = "Date",
    specified_by_url = "https://datatracker.ietf.org/doc/html/rfc3339#section-5.6"
)]
impl ScalarType for Date {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(text) => full_date(text).map(Date).ok_or_else(|| {
                InputValueError::custom(format!(
                    "{text:?} is not a date written YYYY-MM-DD, like 2016-07-11"
                ))
            }),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    /// Checked in validation too, so a refused variable is reported with the path of the
    /// argument or input field that holds it (`filter.from`), as a literal is.
    fn is_valid(value: &Value) -> bool {
        matches!(value, Value::String(text) if full_date(text).is_some())
    }

    /// chrono's `Display` of a day is `%Y-%m-%d`, written without parsing a format string.
    fn to_value(&self) -> Value {
        Value::String(full_date_text(self.0))
    }
}

/// `date` written as chrono's `Display` writes it, `YYYY-MM-DD` for years 0 to 9999, by hand:
/// chrono's formatting costs a thousand instructions a date, 4 % of a page of inspections.
fn full_date_text(date: NaiveDate) -> String {
    let Ok(year) = u32::try_from(date.year()) else {
        return date.to_string();
    };
    if year > 9999 {
        return date.to_string();
    }
    let digit = |n: u32| char::from(b'0' + (n % 10) as u8);
    let (month, day) = (date.month(), date.day());
    [
        digit(year / 1000),
        digit(year / 100),
        digit(year / 10),
        digit(year),
        '-',
        digit(month / 10),
        digit(month),
        '-',
        digit(day / 10),
        digit(day),
    ]
    .into_iter()
    .collect()
}

impl From<NaiveDate> for Date {
    fn from(date: NaiveDate) -> Self {
        Self(date)
    }
}

/// An instant, always answered in UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DateTime(pub chrono::DateTime<Utc>);

/// DateTime — 时间: an instant as an RFC 3339 `date-time` with its offset; answered in UTC,
/// e.g. 2016-07-11T02:30:00+00:00 (10:30 in the county).
#[Scalar(
    name = "DateTime",
    specified_by_url = "https://datatracker.ietf.org/doc/html/rfc3339#section-5.6"
)]
impl ScalarType for DateTime {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(text) => chrono::DateTime::parse_from_rfc3339(text)
                .map(|at| DateTime(at.with_timezone(&Utc)))
                .map_err(|_| {
                    InputValueError::custom(format!(
                        "{text:?} is not an RFC 3339 date-time, like 2016-07-11T02:30:00Z"
                    ))
                }),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn is_valid(value: &Value) -> bool {
        matches!(value, Value::String(text) if chrono::DateTime::parse_from_rfc3339(text).is_ok())
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_rfc3339())
    }
}

impl From<chrono::DateTime<Utc>> for DateTime {
    fn from(at: chrono::DateTime<Utc>) -> Self {
        Self(at)
    }
}

/// A JSON document, passed through as it is.
#[derive(Clone, Debug, PartialEq)]
pub struct Json(pub serde_json::Value);

/// JSON — JSON 数据: any JSON value (ECMA-404, RFC 8259), e.g. the data of an audit record.
#[Scalar(
    name = "JSON",
    specified_by_url = "https://www.rfc-editor.org/rfc/rfc8259"
)]
impl ScalarType for Json {
    fn parse(value: Value) -> InputValueResult<Self> {
        value
            .into_json()
            .map(Json)
            .map_err(|err| InputValueError::custom(err.to_string()))
    }

    fn to_value(&self) -> Value {
        Value::from_json(self.0.clone()).unwrap_or(Value::Null)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date__written_as_chrono_writes_it() {
        let mut day = NaiveDate::from_ymd_opt(-2, 12, 25).unwrap();
        let last = NaiveDate::from_ymd_opt(10_001, 1, 5).unwrap();
        let mut checked = 0;
        while day <= last {
            assert_eq!(full_date_text(day), day.to_string());
            day += chrono::Duration::days(7);
            checked += 1;
        }
        assert!(checked > 500_000, "{checked}");
        let written = Date(NaiveDate::from_ymd_opt(2016, 7, 1).unwrap()).to_value();
        assert_eq!(written, Value::String("2016-07-01".into()));
    }

    #[test]
    fn date__takes_only_full_dates() {
        let day = |text: &str| Date::parse(Value::String(text.into())).ok().map(|d| d.0);
        assert_eq!(day("2016-07-01"), NaiveDate::from_ymd_opt(2016, 7, 1));
        for refused in [
            "2016-7-1",
            "2016-07-1",
            "16-07-01",
            "2016-02-30",
            "2016/07/01",
            "+2016-07-01",
            " 2016-07-01",
            "2016-07-01T00:00:00Z",
            "２０１６-07-01",
        ] {
            assert_eq!(day(refused), None, "{refused}");
        }
    }

    #[test]
    fn date__is_written_as_it_is_read() {
        for text in ["2016-07-01", "0999-12-31", "9999-01-09"] {
            let date = Date::parse(Value::String(text.into())).unwrap();
            assert_eq!(date.to_value(), Value::String(text.into()));
        }
    }

    #[test]
    fn date_time__answers_utc_and_takes_offsets() {
        let at = DateTime::parse(Value::String("2016-07-11T10:30:00+08:00".into())).unwrap();
        assert_eq!(
            at.to_value(),
            Value::String("2016-07-11T02:30:00+00:00".into())
        );
        assert!(DateTime::parse(Value::String("2016-07-11 10:30".into())).is_err());
    }
}
