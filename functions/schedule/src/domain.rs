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
}
