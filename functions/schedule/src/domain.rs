//! The schedule vocabulary (DOMAIN.md), the event status machine, local time in the theatre's
//! zone, and the bounded expansion of recurrence rules. No I/O.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};

use shared::vocabulary;

vocabulary! {
    /// What a venue is.
    VenueKind {
        MainStage => "main_stage",
        SmallStage => "small_stage",
        Rehearsal => "rehearsal",
        Warehouse => "warehouse",
        Workshop => "workshop",
        Other => "other",
    }
}

vocabulary! {
    /// What an event is.
    EventKind {
        Performance => "performance",
        Rehearsal => "rehearsal",
        TechRehearsal => "tech_rehearsal",
        DressRehearsal => "dress_rehearsal",
        Meeting => "meeting",
        Maintenance => "maintenance",
        Other => "other",
    }
}

vocabulary! {
    /// Where an event is in its life.
    EventStatus {
        Planned => "planned",
        Confirmed => "confirmed",
        InProgress => "in_progress",
        Completed => "completed",
        Cancelled => "cancelled",
    }
}

vocabulary! {
    /// What a participant does at an event.
    ParticipantRole {
        Performer => "performer",
        Technician => "technician",
        Manager => "manager",
        Guest => "guest",
        Other => "other",
    }
}

vocabulary! {
    /// A participant's answer to an invitation.
    Answer {
        Invited => "invited",
        Confirmed => "confirmed",
        Declined => "declined",
        Tentative => "tentative",
    }
}

impl EventStatus {
    /// DOMAIN.md: planned → confirmed → in_progress → completed; cancel from any but completed;
    /// a cancelled event may be planned again (un-cancel; its slot is checked again).
    pub fn can_move_to(self, to: EventStatus) -> bool {
        use EventStatus::*;
        matches!(
            (self, to),
            (Planned, Confirmed)
                | (Confirmed, InProgress)
                | (InProgress, Completed)
                | (Planned | Confirmed | InProgress, Cancelled)
                | (Cancelled, Planned)
        )
    }

    /// Whether the event holds its venue, people and kit.
    pub fn blocks(self) -> bool {
        self != EventStatus::Cancelled
    }
}

/// Whether an answer may be given by an invited person (`invited` is the state before any).
pub fn answer_given(answer: Answer) -> Result<Answer, String> {
    if answer == Answer::Invited {
        Err("answer confirmed, declined or tentative".into())
    } else {
        Ok(answer)
    }
}

/// `#rrggbb`, lower-cased.
pub fn colour(raw: &str) -> Result<String, String> {
    let c = raw.trim().to_ascii_lowercase();
    let ok = c.len() == 7 && c.starts_with('#') && c[1..].chars().all(|ch| ch.is_ascii_hexdigit());
    if ok {
        Ok(c)
    } else {
        Err("must be a colour like #1a2b3c".into())
    }
}

/// A venue code: `main-stage`.
pub fn code(raw: &str) -> Result<String, String> {
    let c = raw.trim();
    let ok = (2..=50).contains(&c.len())
        && c.starts_with(|ch: char| ch.is_ascii_lowercase())
        && c.chars()
            .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-' || ch == '_');
    if ok {
        Ok(c.to_string())
    } else {
        Err(
            "2-50 characters: lower-case latin letters, digits, - and _, starting with a letter"
                .into(),
        )
    }
}

/// Buffer minutes (0..=1440).
pub fn buffer(minutes: i32) -> Result<i32, String> {
    if (0..=1440).contains(&minutes) {
        Ok(minutes)
    } else {
        Err("must be between 0 and 1440 minutes".into())
    }
}

/// The theatre's zone; an unknown name (set outside the API) falls back to UTC.
pub fn zone(name: &str) -> chrono_tz::Tz {
    name.parse().unwrap_or(chrono_tz::Tz::UTC)
}

/// The instant of local midnight starting `date` in `tz` (the first instant of the day where a
/// time-zone change skips midnight).
pub fn local_midnight(tz: chrono_tz::Tz, date: NaiveDate) -> DateTime<Utc> {
    let mut time = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    for _ in 0..4 {
        if let Some(t) = tz.from_local_datetime(&time).earliest() {
            return t.with_timezone(&Utc);
        }
        time += Duration::minutes(30);
    }
    Utc.from_utc_datetime(&time)
}

/// The range of an all-day event from `first` to `last` (inclusive local dates).
pub fn all_day_range(
    tz: chrono_tz::Tz,
    first: NaiveDate,
    last: NaiveDate,
) -> Result<(DateTime<Utc>, DateTime<Utc>), String> {
    if last < first {
        return Err("end_date must not be before start_date".into());
    }
    let after = last
        .succ_opt()
        .ok_or_else(|| "end_date is out of range".to_string())?;
    Ok((local_midnight(tz, first), local_midnight(tz, after)))
}

/// A validated time range: ends after it starts, at most 366 days long.
pub fn time_range(
    starts: DateTime<Utc>,
    ends: DateTime<Utc>,
) -> Result<(DateTime<Utc>, DateTime<Utc>), String> {
    if ends <= starts {
        return Err("must be after starts_at".into());
    }
    if ends - starts > Duration::days(366) {
        return Err("an event lasts at most 366 days".into());
    }
    Ok((starts, ends))
}

/// The most occurrences one series may have.
pub const MAX_OCCURRENCES: usize = 500;
/// How far after its first start a series may reach.
pub const MAX_SERIES_DAYS: i64 = 731;

/// One exception of a series: an exact occurrence start, or every occurrence on a local date.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exdate {
    At(DateTime<Utc>),
    On(NaiveDate),
}

impl Exdate {
    /// `2026-11-03` or an RFC 3339 instant.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        if let Ok(d) = NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
            return Ok(Exdate::On(d));
        }
        DateTime::parse_from_rfc3339(raw)
            .map(|t| Exdate::At(t.with_timezone(&Utc)))
            .map_err(|_| "must be a date (2026-11-03) or an RFC 3339 time".to_string())
    }
}

/// The starts of a series whose first occurrence starts at `first` in zone `tz`: the rule is
/// expanded in local time (a 19:00 rehearsal stays at 19:00 across a DST change), bounded to
/// [`MAX_OCCURRENCES`] and [`MAX_SERIES_DAYS`]. `rule` is an RRULE value (`FREQ=WEEKLY;...`,
/// an `RRULE:` prefix is allowed).
pub fn expand(
    rule: &str,
    exdates: &[Exdate],
    first: DateTime<Utc>,
    tz: chrono_tz::Tz,
) -> Result<Vec<DateTime<Utc>>, String> {
    let rule = rule.trim();
    let rule = rule.strip_prefix("RRULE:").unwrap_or(rule);
    if rule.is_empty() || rule.contains('\n') || rule.contains(':') {
        return Err("must be one RRULE value such as FREQ=WEEKLY;BYDAY=TU;COUNT=10".into());
    }
    let parsed: rrule::RRule<rrule::Unvalidated> = rule
        .parse()
        .map_err(|e| format!("not a valid RRULE: {e}"))?;
    let rtz = rrule::Tz::Tz(tz);
    let start = first.with_timezone(&rtz);
    let horizon = (first + Duration::days(MAX_SERIES_DAYS)).with_timezone(&rtz);
    let mut set = parsed
        .build(start)
        .map_err(|e| format!("not a valid RRULE: {e}"))?
        .before(horizon);
    for ex in exdates {
        if let Exdate::At(t) = ex {
            set = set.exdate(t.with_timezone(&rtz));
        }
    }
    let result = set.all((MAX_OCCURRENCES + 1) as u16);
    if result.dates.len() > MAX_OCCURRENCES {
        return Err(format!(
            "a series has at most {MAX_OCCURRENCES} occurrences within {MAX_SERIES_DAYS} days"
        ));
    }
    let starts: Vec<DateTime<Utc>> = result
        .dates
        .iter()
        .filter(|d| {
            !exdates
                .iter()
                .any(|ex| matches!(ex, Exdate::On(day) if d.date_naive() == *day))
        })
        .map(|d| d.with_timezone(&Utc))
        .collect();
    if starts.is_empty() {
        return Err("the rule and its exceptions leave no occurrence".into());
    }
    Ok(starts)
}

fn parse_rule(rule: &str) -> Result<rrule::RRule<rrule::Unvalidated>, String> {
    let rule = rule.trim();
    rule.strip_prefix("RRULE:")
        .unwrap_or(rule)
        .parse()
        .map_err(|e| format!("not a valid RRULE: {e}"))
}

fn utc(t: DateTime<Utc>) -> DateTime<rrule::Tz> {
    t.with_timezone(&rrule::Tz::UTC)
}

/// The rule as a feed must write it: a rule without COUNT or UNTIL was cut at the expansion
/// bound when stored, so calendar apps get that bound as UNTIL (the `last` occurrence).
pub fn bounded_rule(rule: &str, last: DateTime<Utc>) -> Result<String, String> {
    let parsed = parse_rule(rule)?;
    if parsed.get_count().is_some() || parsed.get_until().is_some() {
        return Ok(parsed.to_string());
    }
    Ok(parsed.until(utc(last)).to_string())
}

/// The rule of an all-day series as a feed writes it: RFC 5545 wants UNTIL of the same value
/// type as a DATE DTSTART, so a UTC date-time UNTIL becomes its local date in `tz`.
pub fn date_until(rule: &str, tz: chrono_tz::Tz) -> String {
    rule.split(';')
        .map(|part| {
            part.strip_prefix("UNTIL=")
                .and_then(|v| chrono::NaiveDateTime::parse_from_str(v, "%Y%m%dT%H%M%SZ").ok())
                .map(|t| {
                    let day = Utc.from_utc_datetime(&t).with_timezone(&tz).date_naive();
                    format!("UNTIL={}", day.format("%Y%m%d"))
                })
                .unwrap_or_else(|| part.to_string())
        })
        .collect::<Vec<_>>()
        .join(";")
}

/// A series cut in two by a "this and following" edit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitRule {
    /// The original rule ended before the cut (`None`: nothing of it is left).
    pub before: Option<String>,
    /// The rule of the new series that starts at the cut.
    pub after: String,
}

/// Cuts `rule` before its occurrence number `kept` (0-based; `kept` occurrences stay with the
/// original): the original keeps COUNT=`kept` when it counted (RFC 5545 forbids COUNT with
/// UNTIL), else ends with UNTIL one second before `cut`. The new series continues with the
/// remaining count or until `last_after`; `days_moved` shifts its BYDAY weekdays with the edit.
pub fn split_rule(
    rule: &str,
    kept: usize,
    cut: DateTime<Utc>,
    days_moved: i64,
    last_after: DateTime<Utc>,
) -> Result<SplitRule, String> {
    let parsed = parse_rule(rule)?;
    let kept_u32 = u32::try_from(kept).map_err(|_| "too many occurrences".to_string())?;
    let before = (kept > 0).then(|| match parsed.get_count() {
        Some(_) => parsed.clone().count(kept_u32).to_string(),
        None => parsed
            .clone()
            .until(utc(cut - Duration::seconds(1)))
            .to_string(),
    });
    let mut after = match parsed.get_count() {
        Some(n) => parsed.clone().count(n.saturating_sub(kept_u32).max(1)),
        None => parsed.clone().until(utc(last_after)),
    };
    let shift = days_moved.rem_euclid(7);
    if shift != 0 && !parsed.get_by_weekday().is_empty() {
        let moved = |mut w: chrono::Weekday| {
            for _ in 0..shift {
                w = w.succ();
            }
            w
        };
        let days = parsed
            .get_by_weekday()
            .iter()
            .map(|d| match *d {
                rrule::NWeekday::Every(w) => rrule::NWeekday::Every(moved(w)),
                rrule::NWeekday::Nth(n, w) => rrule::NWeekday::Nth(n, moved(w)),
            })
            .collect();
        after = after.by_weekday(days);
    }
    Ok(SplitRule {
        before,
        after: after.to_string(),
    })
}

/// `t` moved by `shift` on the local clock of `tz` (a 19:00 occurrence moved by an hour is at
/// 20:00 on either side of a DST change).
pub fn shift_local(t: DateTime<Utc>, shift: Duration, tz: chrono_tz::Tz) -> DateTime<Utc> {
    let local = t.with_timezone(&tz).naive_local() + shift;
    tz.from_local_datetime(&local)
        .earliest()
        .map(|l| l.with_timezone(&Utc))
        .unwrap_or(t + shift)
}

/// How far `to` is from `from` on the local clock of `tz`.
pub fn local_difference(from: DateTime<Utc>, to: DateTime<Utc>, tz: chrono_tz::Tz) -> Duration {
    to.with_timezone(&tz).naive_local() - from.with_timezone(&tz).naive_local()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Timelike;

    #[test]
    fn every_status_pair_follows_the_machine() {
        use EventStatus::*;
        let allowed = [
            (Planned, Confirmed),
            (Confirmed, InProgress),
            (InProgress, Completed),
            (Planned, Cancelled),
            (Confirmed, Cancelled),
            (InProgress, Cancelled),
            (Cancelled, Planned),
        ];
        for from in EventStatus::ALL {
            for to in EventStatus::ALL {
                assert_eq!(
                    from.can_move_to(*to),
                    allowed.contains(&(*from, *to)),
                    "{from} → {to}"
                );
            }
        }
    }

    #[test]
    fn vocabularies_round_trip() {
        for k in EventKind::ALL {
            assert_eq!(EventKind::parse(k.as_str()).unwrap(), *k);
        }
        for k in VenueKind::ALL {
            assert_eq!(VenueKind::parse(k.as_str()).unwrap(), *k);
        }
        assert!(EventKind::parse("party").is_err());
    }

    #[test]
    fn colours_and_codes_are_parsed() {
        assert_eq!(colour("#A0b0C0").unwrap(), "#a0b0c0");
        assert!(colour("red").is_err());
        assert!(code("main-stage").is_ok());
        assert!(code("Main").is_err());
    }

    #[test]
    fn a_weekly_rehearsal_keeps_its_local_time_across_the_dst_change() {
        let berlin = chrono_tz::Europe::Berlin;
        // Tuesday 2026-10-20 19:00 CEST (UTC+2); DST ends on 2026-10-25.
        let first = berlin
            .with_ymd_and_hms(2026, 10, 20, 19, 0, 0)
            .unwrap()
            .with_timezone(&Utc);
        let starts = expand("FREQ=WEEKLY;COUNT=3", &[], first, berlin).unwrap();
        assert_eq!(starts.len(), 3);
        assert_eq!(starts[0].hour(), 17);
        assert_eq!(starts[1].hour(), 18, "CET: 19:00 local is 18:00 UTC");
        for s in &starts {
            assert_eq!(s.with_timezone(&berlin).hour(), 19);
        }
    }

    #[test]
    fn exceptions_and_bounds_apply() {
        let tz = chrono_tz::Europe::Moscow;
        let first = tz
            .with_ymd_and_hms(2026, 1, 5, 11, 0, 0)
            .unwrap()
            .with_timezone(&Utc);
        let starts = expand(
            "FREQ=DAILY;COUNT=5",
            &[Exdate::On(NaiveDate::from_ymd_opt(2026, 1, 6).unwrap())],
            first,
            tz,
        )
        .unwrap();
        assert_eq!(starts.len(), 4);
        let second = tz
            .with_ymd_and_hms(2026, 1, 7, 11, 0, 0)
            .unwrap()
            .with_timezone(&Utc);
        let starts = expand("FREQ=DAILY;COUNT=5", &[Exdate::At(second)], first, tz).unwrap();
        assert!(!starts.contains(&second));
        assert_eq!(starts.len(), 4);
        assert!(expand("FREQ=DAILY", &[], first, tz).is_err(), "730 > 500");
        let weekly = expand("FREQ=WEEKLY", &[], first, tz).unwrap();
        assert!(
            weekly.len() <= 105,
            "bounded to two years: {}",
            weekly.len()
        );
        assert!(expand("DTSTART:20260101T000000Z", &[], first, tz).is_err());
        assert!(expand("FREQ=SOMETIMES", &[], first, tz).is_err());
    }

    #[test]
    fn all_day_events_run_from_local_midnight_to_local_midnight() {
        let tz = chrono_tz::Europe::Moscow;
        let d = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        let (s, e) = all_day_range(tz, d, d).unwrap();
        assert_eq!(s.to_rfc3339(), "2026-02-28T21:00:00+00:00");
        assert_eq!(e - s, Duration::hours(24));
        assert!(all_day_range(tz, d, d.pred_opt().unwrap()).is_err());
    }

    #[test]
    fn a_rule_without_an_end_gets_its_bound_as_until() {
        let last = Utc.with_ymd_and_hms(2027, 3, 2, 18, 0, 0).unwrap();
        assert_eq!(
            bounded_rule("FREQ=WEEKLY;BYDAY=TU", last).unwrap(),
            "FREQ=WEEKLY;UNTIL=20270302T180000Z;BYDAY=TU"
        );
        assert_eq!(
            bounded_rule("RRULE:FREQ=DAILY;COUNT=3", last).unwrap(),
            "FREQ=DAILY;COUNT=3"
        );
    }

    #[test]
    fn a_split_ends_the_original_before_the_cut_and_continues_the_rest() {
        let cut = Utc.with_ymd_and_hms(2026, 11, 3, 18, 0, 0).unwrap();
        let last = Utc.with_ymd_and_hms(2026, 12, 30, 18, 0, 0).unwrap();
        let s = split_rule("FREQ=WEEKLY;BYDAY=TU;COUNT=10", 2, cut, 1, last).unwrap();
        assert_eq!(s.before.as_deref(), Some("FREQ=WEEKLY;COUNT=2;BYDAY=TU"));
        assert_eq!(s.after, "FREQ=WEEKLY;COUNT=8;BYDAY=WE");
        let s = split_rule("FREQ=WEEKLY", 2, cut, 0, last).unwrap();
        assert_eq!(
            s.before.as_deref(),
            Some("FREQ=WEEKLY;UNTIL=20261103T175959Z")
        );
        assert_eq!(s.after, "FREQ=WEEKLY;UNTIL=20261230T180000Z");
        assert_eq!(
            split_rule("FREQ=DAILY", 0, cut, 0, last).unwrap().before,
            None
        );
    }

    #[test]
    fn a_local_shift_keeps_the_wall_clock_across_dst() {
        let berlin = chrono_tz::Europe::Berlin;
        let summer = berlin
            .with_ymd_and_hms(2026, 10, 20, 19, 0, 0)
            .unwrap()
            .with_timezone(&Utc);
        let winter = berlin
            .with_ymd_and_hms(2026, 10, 27, 19, 0, 0)
            .unwrap()
            .with_timezone(&Utc);
        let one = summer + Duration::hours(1);
        let shift = local_difference(summer, one, berlin);
        assert_eq!(shift, Duration::hours(1));
        let moved = shift_local(winter, shift, berlin);
        assert_eq!(moved.with_timezone(&berlin).hour(), 20);
    }

    #[test]
    fn an_all_day_rule_ends_on_a_local_date() {
        let moscow = chrono_tz::Europe::Moscow;
        assert_eq!(
            date_until("FREQ=WEEKLY;UNTIL=20270302T210000Z;BYDAY=TU", moscow),
            "FREQ=WEEKLY;UNTIL=20270303;BYDAY=TU"
        );
        assert_eq!(
            date_until("FREQ=DAILY;COUNT=3", moscow),
            "FREQ=DAILY;COUNT=3"
        );
    }
}
