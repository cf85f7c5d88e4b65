//! Calendar days. Manifests and packs write dates either as TOML dates (`2026-06-02`) or as
//! strings (`"2026-06-02"`); both become a [`Day`]. JSON output writes `YYYY-MM-DD`.

use std::fmt;

use chrono::NaiveDate;
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A calendar day (no time, no zone): deadlines and evidence ages are counted in whole days.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day(pub NaiveDate);

impl Day {
    /// Parses `YYYY-MM-DD`; also accepts an RFC 3339 timestamp and keeps its date part, which
    /// is how ledger `recorded_at` values become days.
    pub fn parse(text: &str) -> Option<Day> {
        let text = text.trim();
        let date_part = text.get(..10).unwrap_or(text);
        if text.len() > 10 && !matches!(text.as_bytes().get(10), Some(b'T' | b't' | b' ')) {
            return None;
        }
        NaiveDate::parse_from_str(date_part, "%Y-%m-%d")
            .ok()
            .map(Day)
    }

    pub fn from_ymd(year: i32, month: u32, day: u32) -> Option<Day> {
        NaiveDate::from_ymd_opt(year, month, day).map(Day)
    }

    /// Whole days from `self` to `later` (negative when `later` is earlier).
    pub fn days_until(self, later: Day) -> i64 {
        (later.0 - self.0).num_days()
    }

    pub fn plus_days(self, days: i64) -> Day {
        Day(self.0 + chrono::Duration::days(days))
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Hand-formatted: chrono's strftime parser is measurable in the scale benchmark.
        use chrono::Datelike as _;
        write!(
            f,
            "{:04}-{:02}-{:02}",
            self.0.year(),
            self.0.month(),
            self.0.day()
        )
    }
}

impl Serialize for Day {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Day {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct DayVisitor;
        impl<'de> Visitor<'de> for DayVisitor {
            type Value = Day;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a date YYYY-MM-DD")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Day, E> {
                Day::parse(v).ok_or_else(|| E::custom(format!("`{v}` is not a date YYYY-MM-DD")))
            }
            // TOML native dates arrive as a one-entry map {private key: "2026-06-02"}.
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Day, A::Error> {
                // An empty inline table (`planned_export = {}`) has no entry: an error, not a
                // call to next_value, which would panic inside the TOML deserializer.
                let Some(_key) = map.next_key::<String>()? else {
                    return Err(de::Error::custom(
                        "expected a date YYYY-MM-DD, found a table",
                    ));
                };
                let value: String = map.next_value()?;
                if value.len() != 10 {
                    return Err(de::Error::custom(format!(
                        "`{value}` is a date-time; write a plain date YYYY-MM-DD"
                    )));
                }
                self.visit_str(&value)
            }
        }
        d.deserialize_any(DayVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_dates_and_timestamps() {
        assert_eq!(Day::parse("2026-06-02"), Day::from_ymd(2026, 6, 2));
        assert_eq!(
            Day::parse("2026-06-02T10:00:00Z"),
            Day::from_ymd(2026, 6, 2)
        );
        assert_eq!(Day::parse("2026-13-02"), None);
        assert_eq!(Day::parse("2026-06-02x"), None);
        assert_eq!(Day::parse(""), None);
        let a = Day::parse("2026-06-02").unwrap();
        assert_eq!(a.days_until(Day::parse("2026-07-02").unwrap()), 30);
    }

    #[test]
    fn toml_native_and_string_dates() {
        #[derive(Deserialize)]
        struct T {
            a: Day,
            b: Day,
        }
        let t: T = toml::from_str("a = 2026-06-02\nb = \"2026-06-03\"").unwrap();
        assert_eq!(t.a.to_string(), "2026-06-02");
        assert_eq!(t.b.to_string(), "2026-06-03");
        assert!(toml::from_str::<T>("a = 2026-06-02T10:00:00Z\nb = \"x\"").is_err());
    }

    #[test]
    fn empty_table_is_an_error_not_a_panic() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct T {
            a: Day,
        }
        let err = toml::from_str::<T>("a = {}").unwrap_err().to_string();
        assert!(err.contains("expected a date"), "{err}");
        assert!(toml::from_str::<T>("a = { x = 1 }").is_err());
    }
}
