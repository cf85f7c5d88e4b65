//! Day arithmetic on offsets from the plan start (day 0). Calendar days are plain addition;
//! working days skip Saturdays and Sundays (no holiday calendar: we know of none that every
//! lab and authority shares, so we do not pretend to).
//!
//! Convention: a step starting on day `s` with duration `d` finishes on day `f`, the first day
//! its result is available (its last day of work is `f - 1`). Successors may start on `f`.

/// Weekday of offset `o` (0 = Monday .. 6 = Sunday), given the weekday of day 0.
fn weekday(start_weekday: i64, o: i64) -> i64 {
    (start_weekday + o).rem_euclid(7)
}

/// The first working day on or after `o`.
pub(crate) fn next_working(start_weekday: i64, o: i64) -> i64 {
    match weekday(start_weekday, o) {
        5 => o + 2,
        6 => o + 1,
        _ => o,
    }
}

/// The last working day on or before `o`.
fn previous_working(start_weekday: i64, o: i64) -> i64 {
    match weekday(start_weekday, o) {
        5 => o - 1,
        6 => o - 2,
        _ => o,
    }
}

/// Finish of `days` working days of work beginning on working day `start` (already moved off
/// a weekend by the caller when `days > 0`).
pub(crate) fn add_working(start_weekday: i64, start: i64, days: i64) -> i64 {
    if days == 0 {
        return start;
    }
    let steps = days - 1;
    let mut last = start + (steps / 5) * 7;
    for _ in 0..steps % 5 {
        last = next_working(start_weekday, last + 1);
    }
    last + 1
}

/// The latest working day to begin `days` working days of work so that it finishes by `finish`.
pub(crate) fn sub_working(start_weekday: i64, finish: i64, days: i64) -> i64 {
    if days == 0 {
        return finish;
    }
    let steps = days - 1;
    let mut first = previous_working(start_weekday, finish - 1) - (steps / 5) * 7;
    for _ in 0..steps % 5 {
        first = previous_working(start_weekday, first - 1);
    }
    first
}

#[cfg(test)]
mod tests {
    use super::*;

    // 2026-11-23 is a Monday (weekday 0).
    const MON: i64 = 0;

    #[test]
    fn five_working_days_from_monday_finish_on_saturday() {
        assert_eq!(add_working(MON, 0, 5), 5);
        assert_eq!(sub_working(MON, 5, 5), 0);
    }

    #[test]
    fn six_working_days_span_a_weekend() {
        // Mon..Fri, then Mon: last work day is offset 7, available offset 8.
        assert_eq!(add_working(MON, 0, 6), 8);
        assert_eq!(sub_working(MON, 8, 6), 0);
        // Finishing by Monday (offset 7) means the last work day is Friday (4).
        assert_eq!(sub_working(MON, 7, 5), 0);
        assert_eq!(sub_working(MON, 7, 1), 4);
    }

    #[test]
    fn round_trips_for_every_start_weekday_and_length() {
        for start_weekday in 0..7 {
            for start in 0..14 {
                for days in 0..40 {
                    let s = if days > 0 {
                        next_working(start_weekday, start)
                    } else {
                        start
                    };
                    let f = add_working(start_weekday, s, days);
                    assert_eq!(sub_working(start_weekday, f, days), s);
                    // Any later finish allows the same or a later start that still fits.
                    for slack in 0..5 {
                        let ls = sub_working(start_weekday, f + slack, days);
                        assert!(ls >= s);
                        assert!(add_working(start_weekday, ls, days) <= f + slack);
                    }
                    // Exactly `days` working days lie in [s, f).
                    let worked = (s..f).filter(|&o| weekday(start_weekday, o) < 5).count() as i64;
                    assert_eq!(worked, days);
                }
            }
        }
    }
}
