//! VTIMEZONE components (RFC 5545 §3.6.5) for the zones a feed's local times refer to.
//!
//! No maintained crate writes VTIMEZONE from the tz database, and icalendar 0.17 has no type
//! for it: the transitions of the covered years are read from chrono-tz (one observance per
//! transition, no rules to get wrong) and written through icalendar's generic components, so
//! escaping and line folding stay the crate's.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Offset, TimeZone, Utc};
use chrono_tz::{OffsetComponents, OffsetName, Tz};
use icalendar::{CalendarComponent, Component};

/// One change of a zone's offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    /// The instant of the change.
    pub at: DateTime<Utc>,
    /// Offsets in seconds east of UTC before and after.
    pub from: i32,
    pub to: i32,
    /// Whether daylight-saving time applies after the change.
    pub daylight: bool,
    /// The abbreviation after the change (`CET`), when the database has one.
    pub name: Option<String>,
}

fn total(tz: Tz, at: DateTime<Utc>) -> i32 {
    tz.offset_from_utc_datetime(&at.naive_utc())
        .fix()
        .local_minus_utc()
}

/// The offset changes of `tz` between `from` and `to` (found day by day, then to the second).
pub fn transitions(tz: Tz, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Transition> {
    let mut found = Vec::new();
    let mut day = from;
    while day < to {
        let next = day + Duration::days(1);
        if total(tz, day) != total(tz, next) {
            // The change lies in (lo, hi]: halve down to the second.
            let (mut lo, mut hi) = (day.timestamp(), next.timestamp());
            let at = |secs: i64| DateTime::from_timestamp(secs, 0).unwrap_or(day);
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                if total(tz, at(mid)) == total(tz, at(lo)) {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            let (lo, hi) = (at(lo), at(hi));
            let after = tz.offset_from_utc_datetime(&hi.naive_utc());
            found.push(Transition {
                at: hi,
                from: total(tz, lo),
                to: total(tz, hi),
                daylight: !after.dst_offset().is_zero(),
                name: after.abbreviation().map(str::to_owned),
            });
        }
        day = next;
    }
    found
}

/// `+0100`, `-0330`, `+053028` (RFC 5545 UTC-OFFSET).
fn utc_offset(seconds: i32) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let s = seconds.unsigned_abs();
    let (h, m, sec) = (s / 3600, s / 60 % 60, s % 60);
    if sec == 0 {
        format!("{sign}{h:02}{m:02}")
    } else {
        format!("{sign}{h:02}{m:02}{sec:02}")
    }
}

/// A component named `name` with these properties and children. icalendar 0.17 neither
/// exports its generic component type nor makes one by name except through its parser: an
/// empty skeleton is parsed, the rest is added through the crate's builder.
fn component(
    name: &str,
    properties: &[(&str, String)],
    children: Vec<CalendarComponent>,
) -> CalendarComponent {
    let skeleton = format!("BEGIN:{name}\r\nEND:{name}\r\n");
    let mut c: CalendarComponent = match skeleton.parse() {
        Ok(c) => c,
        // Unreachable for the fixed names used here; a feed without VTIMEZONE still parses.
        Err(_) => return icalendar::Event::new().done().into(),
    };
    if let CalendarComponent::Other(o) = &mut c {
        for (key, value) in properties {
            o.add_property(*key, value.as_str());
        }
        for child in children {
            if let CalendarComponent::Other(child) = child {
                o.append_component(child);
            }
        }
    }
    c
}

fn observance(
    daylight: bool,
    onset_local: chrono::NaiveDateTime,
    from: i32,
    to: i32,
    name: Option<&str>,
    tzid: &str,
) -> CalendarComponent {
    let onset = onset_local.format("%Y%m%dT%H%M%S").to_string();
    // icalendar writes a DTSTAMP and a UID into every component it prints; fixed values keep
    // the feed byte-stable between polls.
    let mut properties = vec![
        ("DTSTAMP", "19700101T000000Z".to_string()),
        ("UID", format!("{tzid}-{onset}")),
        ("DTSTART", onset),
        ("TZOFFSETFROM", utc_offset(from)),
        ("TZOFFSETTO", utc_offset(to)),
    ];
    if let Some(n) = name {
        properties.push(("TZNAME", n.to_string()));
    }
    component(
        if daylight { "DAYLIGHT" } else { "STANDARD" },
        &properties,
        vec![],
    )
}

/// The VTIMEZONE of `tz` valid for every local time from `from` to `to` (widened to whole
/// years): the observance in force at the start, then one per transition.
pub fn vtimezone(tz: Tz, from: DateTime<Utc>, to: DateTime<Utc>) -> CalendarComponent {
    let year_start = |y: i32| {
        NaiveDate::from_ymd_opt(y, 1, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|d| Utc.from_utc_datetime(&d))
    };
    let start = year_start(from.year() - 1).unwrap_or(from);
    let end = year_start(to.year() + 2).unwrap_or(to);
    let tzid = tz.name();
    let initial = tz.offset_from_utc_datetime(&start.naive_utc());
    let initial_total = initial.fix().local_minus_utc();
    let mut observances = vec![observance(
        !initial.dst_offset().is_zero(),
        start.naive_utc() + Duration::seconds(i64::from(initial_total)),
        initial_total,
        initial_total,
        initial.abbreviation(),
        tzid,
    )];
    for t in transitions(tz, start, end) {
        // DTSTART of an observance is the local time of the onset in the offset before it.
        let onset = t.at.naive_utc() + Duration::seconds(i64::from(t.from));
        observances.push(observance(
            t.daylight,
            onset,
            t.from,
            t.to,
            t.name.as_deref(),
            tzid,
        ));
    }
    component(
        "VTIMEZONE",
        &[
            ("DTSTAMP", "19700101T000000Z".to_string()),
            ("UID", tzid.to_string()),
            ("TZID", tzid.to_string()),
            ("X-LIC-LOCATION", tzid.to_string()),
        ],
        observances,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn berlin_changes_twice_a_year_at_the_known_instants() {
        let from = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let to = Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap();
        let ts = transitions(chrono_tz::Europe::Berlin, from, to);
        assert_eq!(ts.len(), 2);
        assert_eq!(
            ts[0].at,
            Utc.with_ymd_and_hms(2026, 3, 29, 1, 0, 0).unwrap()
        );
        assert_eq!((ts[0].from, ts[0].to, ts[0].daylight), (3600, 7200, true));
        assert_eq!(ts[0].name.as_deref(), Some("CEST"));
        assert_eq!(
            ts[1].at,
            Utc.with_ymd_and_hms(2026, 10, 25, 1, 0, 0).unwrap()
        );
        assert_eq!((ts[1].from, ts[1].to, ts[1].daylight), (7200, 3600, false));
    }

    #[test]
    fn a_zone_without_dst_has_one_observance() {
        let from = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let mut calendar = icalendar::Calendar::empty();
        calendar.push(vtimezone(chrono_tz::Europe::Moscow, from, from));
        let text = calendar.to_string();
        assert_eq!(text.matches("BEGIN:STANDARD").count(), 1, "{text}");
        assert!(text.contains("TZOFFSETTO:+0300"), "{text}");
        assert!(!text.contains("DAYLIGHT"));
    }

    #[test]
    fn offsets_are_written_as_rfc_5545_utc_offsets() {
        assert_eq!(utc_offset(3600), "+0100");
        assert_eq!(utc_offset(-12600), "-0330");
        assert_eq!(utc_offset(0), "+0000");
        assert_eq!(utc_offset(7262), "+020102");
    }
}
