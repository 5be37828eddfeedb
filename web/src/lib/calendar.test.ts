import { describe, expect, it } from 'vitest';
import {
  buildRrule, dateParam, feedUrl, hourWindow, layoutDay, minuteAt, movePatch, ownInvitation, parseDateParam,
  scopeQuery, weekdayOf,
} from './calendar';

// Local wall-clock instants, so the tests read the same in any time zone.
const at = (d: number, h: number, min = 0) => new Date(2031, 2, d, h, min).toISOString();
const ev = (id: string, venue: string, from: string, to: string) => ({ id, venue_id: venue, starts_at: from, ends_at: to });
const day = new Date(2031, 2, 14);
const hours = { from: 8, to: 24 };

describe('venue lanes', () => {
  it('gives every venue a lane, in order, and places events by time in their own lane', () => {
    const lanes = layoutDay([ev('b', 'hall', at(14, 10), at(14, 13)), ev('a', 'stage', at(14, 19), at(14, 22))], ['stage', 'hall', 'workshop'], day, hours);
    expect(lanes.map((l) => l.venueId)).toEqual(['stage', 'hall', 'workshop']);
    expect(lanes[0].placed).toMatchObject([{ event: { id: 'a' }, top: 11 * 60, height: 3 * 60, column: 0, columns: 1 }]);
    expect(lanes[1].placed).toMatchObject([{ event: { id: 'b' }, top: 2 * 60, height: 3 * 60 }]);
    expect(lanes[2].placed).toEqual([]);
  });

  it('leaves out events of other days and clips those running over the window', () => {
    const lanes = layoutDay([
      ev('yesterday', 'stage', at(13, 10), at(13, 12)),
      ev('overnight', 'stage', at(14, 22), at(15, 2)),
      ev('early', 'stage', at(14, 6), at(14, 9)),
    ], ['stage'], day, hours);
    const placed = lanes[0].placed;
    expect(placed.map((p) => p.event.id)).toEqual(['early', 'overnight']);
    expect(placed[0]).toMatchObject({ top: 0, height: 60 });
    expect(placed[1]).toMatchObject({ top: 14 * 60, height: 2 * 60 });
  });

  it('puts overlapping events of one lane side by side and frees the column after them', () => {
    const lanes = layoutDay([
      ev('cancelled', 'stage', at(14, 10), at(14, 12)),
      ev('replacement', 'stage', at(14, 11), at(14, 13)),
      ev('later', 'stage', at(14, 15), at(14, 16)),
    ], ['stage'], day, hours);
    const byId = Object.fromEntries(lanes[0].placed.map((p) => [p.event.id, p]));
    expect(byId.cancelled).toMatchObject({ column: 0, columns: 2 });
    expect(byId.replacement).toMatchObject({ column: 1, columns: 2 });
    expect(byId.later).toMatchObject({ column: 0, columns: 1 });
  });

  it('adds a lane for a venue the list does not know and gives short events a minimum height', () => {
    const lanes = layoutDay([ev('x', 'gone', at(14, 10), at(14, 10, 5))], ['stage'], day, hours);
    expect(lanes.map((l) => l.venueId)).toEqual(['stage', 'gone']);
    expect(lanes[1].placed[0].height).toBe(15);
  });

  it('starts the grid earlier only when an event of the shown days does', () => {
    expect(hourWindow([ev('a', 's', at(14, 10), at(14, 11))], [day])).toEqual({ from: 8, to: 24 });
    expect(hourWindow([ev('a', 's', at(14, 6, 30), at(14, 11))], [day])).toEqual({ from: 6, to: 24 });
    expect(hourWindow([ev('a', 's', at(13, 23), at(14, 1))], [day])).toEqual({ from: 0, to: 24 });
    expect(hourWindow([ev('a', 's', at(20, 5), at(20, 6))], [day])).toEqual({ from: 8, to: 24 });
  });
});

describe('drag target → new times', () => {
  it('turns a pointer position in a lane into a snapped minute of the day', () => {
    const height = 16 * 40;
    expect(minuteAt(0, height, hours)).toBe(8 * 60);
    expect(minuteAt(80, height, hours)).toBe(10 * 60);
    expect(minuteAt(87, height, hours)).toBe(10 * 60 + 15); // 10:10:30 snaps to 10:15
    expect(minuteAt(-20, height, hours)).toBe(8 * 60);
    expect(minuteAt(height + 50, height, hours)).toBe(24 * 60 - 15);
  });

  it('keeps the length and names the venue only when it changes', () => {
    const e = ev('a', 'hall', at(14, 15), at(14, 16, 30));
    expect(movePatch(e, { day, minute: 10 * 60, venueId: 'hall' })).toEqual({ starts_at: at(14, 10), ends_at: at(14, 11, 30) });
    expect(movePatch(e, { day: new Date(2031, 2, 16), minute: 19 * 60, venueId: 'stage' }))
      .toEqual({ starts_at: at(16, 19), ends_at: at(16, 20, 30), venue_id: 'stage' });
  });

  it('asks for nothing when the event is dropped where it is', () => {
    expect(movePatch(ev('a', 'hall', at(14, 15), at(14, 16)), { day, minute: 15 * 60, venueId: 'hall' })).toBeNull();
  });
});

describe('series scope → request', () => {
  it('sends the chosen scope for a series occurrence and none for a single event', () => {
    expect(scopeQuery({ series_id: 's1' }, 'following')).toEqual({ scope: 'following' });
    expect(scopeQuery({ series_id: 's1' }, 'this')).toEqual({ scope: 'this' });
    expect(scopeQuery({ series_id: null }, 'following')).toEqual({});
    expect(scopeQuery({}, 'this')).toEqual({});
  });
});

describe('recurrence rules', () => {
  it('builds the RRULE the API expands', () => {
    expect(buildRrule({ freq: 'none' })).toBeNull();
    expect(buildRrule({ freq: 'WEEKLY', byDay: ['TH', 'TU'], count: 20 })).toBe('FREQ=WEEKLY;BYDAY=TU,TH;COUNT=20');
    expect(buildRrule({ freq: 'DAILY', interval: 2, count: 5 })).toBe('FREQ=DAILY;INTERVAL=2;COUNT=5');
    expect(buildRrule({ freq: 'MONTHLY', byDay: ['MO'] })).toBe('FREQ=MONTHLY');
  });

  it('ends an UNTIL rule after the last local day, in UTC', () => {
    const rule = buildRrule({ freq: 'WEEKLY', until: '2031-12-31' })!;
    const until = /UNTIL=(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z/.exec(rule)!;
    const instant = Date.UTC(+until[1], +until[2] - 1, +until[3], +until[4], +until[5], +until[6]);
    expect(instant).toBe(new Date(2031, 11, 31, 23, 59, 59).getTime());
    expect(rule.startsWith('FREQ=WEEKLY;UNTIL=')).toBe(true);
  });

  it('names the weekday of a date, weeks starting on Monday', () => {
    expect(weekdayOf(new Date(2031, 2, 14))).toBe('FR');
    expect(weekdayOf(new Date(2031, 2, 16))).toBe('SU');
  });
});

describe('feeds, invitations, URL dates', () => {
  it('builds absolute feed URLs with the token escaped', () => {
    expect(feedUrl('https://t.example', 'a+b', { kind: 'me' })).toBe('https://t.example/api/v1/schedule/calendar/me.ics?token=a%2Bb');
    expect(feedUrl('https://t.example', 'k', { kind: 'venue', id: 'v1' })).toBe('https://t.example/api/v1/schedule/calendar/venues/v1.ics?token=k');
    expect(feedUrl('https://t.example', 'k', { kind: 'performance', id: 'p1' })).toBe('https://t.example/api/v1/schedule/calendar/performances/p1.ics?token=k');
  });

  it("finds the signed-in user's own invitation", () => {
    const people = [{ id: 'p1', user_id: 'u1' }, { id: 'p2', user_id: 'u2' }];
    expect(ownInvitation(people, 'u2')?.id).toBe('p2');
    expect(ownInvitation(people, 'u3')).toBeUndefined();
    expect(ownInvitation(people, undefined)).toBeUndefined();
  });

  it('round-trips the date parameter and falls back to today', () => {
    expect(dateParam(parseDateParam('2031-03-14'))).toBe('2031-03-14');
    const today = new Date(2030, 0, 5, 13);
    expect(dateParam(parseDateParam('garbage', today))).toBe('2030-01-05');
    expect(dateParam(parseDateParam(null, today))).toBe('2030-01-05');
  });
});
