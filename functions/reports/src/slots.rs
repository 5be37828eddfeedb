//! When a scheduled report runs: slots are a local time of the theatre's zone on every day,
//! one weekday, or one day of the month; each slot reports on the period just before it.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

shared::vocabulary! {
    /// How often a scheduled report runs.
    ReportCadence {
        Daily => "daily",
        Weekly => "weekly",
        Monthly => "monthly",
    }
}

/// A schedule's timing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timing {
    pub cadence: ReportCadence,
    /// Weekly: ISO weekday 1 (Monday) … 7; monthly: 1 … 28.
    pub day: Option<i16>,
    pub time: NaiveTime,
    pub tz: Tz,
}

impl Timing {
    fn runs_on(&self, date: NaiveDate) -> bool {
        match self.cadence {
            ReportCadence::Daily => true,
            ReportCadence::Weekly => Some(date.weekday().number_from_monday() as i16) == self.day,
            ReportCadence::Monthly => Some(date.day() as i16) == self.day,
        }
    }

    /// The instant of the slot on local `date` (a time skipped by a DST change moves on by the
    /// gap; a repeated one takes its first occurrence).
    pub fn instant(&self, date: NaiveDate) -> DateTime<Utc> {
        let local = date.and_time(self.time);
        let mut probe = local;
        for _ in 0..4 {
            if let Some(at) = self.tz.from_local_datetime(&probe).earliest() {
                return at.with_timezone(&Utc);
            }
            probe += Duration::minutes(30);
        }
        Utc.from_utc_datetime(&local)
    }

    /// The latest slot at or before `now`.
    pub fn latest(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let today = now.with_timezone(&self.tz).date_naive();
        (0..=62)
            .map(|back| today - Duration::days(back))
            .filter(|d| self.runs_on(*d))
            .map(|d| self.instant(d))
            .find(|at| *at <= now)
            .unwrap_or(now)
    }

    /// The first slot after `now`.
    pub fn next(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let today = now.with_timezone(&self.tz).date_naive();
        (0..=62)
            .map(|ahead| today + Duration::days(ahead))
            .filter(|d| self.runs_on(*d))
            .map(|d| self.instant(d))
            .find(|at| *at > now)
            .unwrap_or(now)
    }

    /// The period a slot reports on: the day before (daily), the seven days before (weekly),
    /// the previous calendar month (monthly), in local dates, both inclusive.
    pub fn period(&self, slot: DateTime<Utc>) -> (NaiveDate, NaiveDate) {
        let day = slot.with_timezone(&self.tz).date_naive();
        let last = day - Duration::days(1);
        match self.cadence {
            ReportCadence::Daily => (last, last),
            ReportCadence::Weekly => (day - Duration::days(7), last),
            ReportCadence::Monthly => {
                let first_this = day.with_day(1).unwrap_or(day);
                let last_prev = first_this - Duration::days(1);
                (last_prev.with_day(1).unwrap_or(last_prev), last_prev)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn timing(cadence: ReportCadence, day: Option<i16>) -> Timing {
        Timing {
            cadence,
            day,
            time: NaiveTime::from_hms_opt(7, 30, 0).unwrap(),
            tz: chrono_tz::Europe::Moscow,
        }
    }

    #[test]
    fn a_daily_slot_is_the_local_time_of_today_or_yesterday() {
        let t = timing(ReportCadence::Daily, None);
        // 07:30 in Moscow (UTC+3) is 04:30 UTC.
        assert_eq!(
            t.latest(at("2026-12-07T04:30:00Z")),
            at("2026-12-07T04:30:00Z")
        );
        assert_eq!(
            t.latest(at("2026-12-07T04:29:59Z")),
            at("2026-12-06T04:30:00Z")
        );
        assert_eq!(
            t.next(at("2026-12-07T04:30:00Z")),
            at("2026-12-08T04:30:00Z")
        );
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        assert_eq!(
            t.period(at("2026-12-07T04:30:00Z")),
            (d("2026-12-06"), d("2026-12-06"))
        );
    }

    #[test]
    fn weekly_and_monthly_slots_fall_on_their_day() {
        // 2026-12-07 is a Monday.
        let weekly = timing(ReportCadence::Weekly, Some(3));
        assert_eq!(
            weekly.latest(at("2026-12-07T12:00:00Z")),
            at("2026-12-02T04:30:00Z")
        );
        assert_eq!(
            weekly.next(at("2026-12-07T12:00:00Z")),
            at("2026-12-09T04:30:00Z")
        );
        let monthly = timing(ReportCadence::Monthly, Some(1));
        let slot = monthly.latest(at("2026-12-07T12:00:00Z"));
        assert_eq!(slot, at("2026-12-01T04:30:00Z"));
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        assert_eq!(monthly.period(slot), (d("2026-11-01"), d("2026-11-30")));
        assert_eq!(
            weekly.period(at("2026-12-09T04:30:00Z")),
            (d("2026-12-02"), d("2026-12-08"))
        );
    }
}
