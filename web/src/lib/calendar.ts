// Calendar arithmetic (weeks start on Monday, as in Russia) and the venue clash a 409 carries.
import type { Problem } from './problem';

export type View = 'month' | 'week' | 'day';

export function startOfDay(d: Date): Date {
  return new Date(d.getFullYear(), d.getMonth(), d.getDate());
}

export function addDays(d: Date, n: number): Date {
  return new Date(d.getFullYear(), d.getMonth(), d.getDate() + n);
}

/** Monday of the week of `d`. */
export function startOfWeek(d: Date): Date {
  return addDays(startOfDay(d), -((d.getDay() + 6) % 7));
}

/** The days a view shows around `anchor`: a month as whole weeks, a week, or one day. */
export function visibleDays(view: View, anchor: Date): Date[] {
  if (view === 'day') return [startOfDay(anchor)];
  if (view === 'week') return Array.from({ length: 7 }, (_, i) => addDays(startOfWeek(anchor), i));
  const first = startOfWeek(new Date(anchor.getFullYear(), anchor.getMonth(), 1));
  const last = new Date(anchor.getFullYear(), anchor.getMonth() + 1, 0);
  const days: Date[] = [];
  for (let d = first; d <= last || days.length % 7 !== 0; d = addDays(d, 1)) days.push(d);
  return days;
}

export function sameDay(a: Date, b: Date): boolean {
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
}

export interface Clash { id: string; title: string; starts_at: string; ends_at: string }

/** The conflicting events of a 409 venue (or person) clash; empty for any other problem. */
export function clashesOf(problem: Problem | undefined): Clash[] {
  if (!problem || problem.status !== 409 || !Array.isArray(problem.conflicts)) return [];
  return problem.conflicts.filter(
    (c): c is Clash => !!c && typeof c === 'object' && 'title' in c && 'starts_at' in c && 'ends_at' in c,
  );
}

// ---- Venue lanes, drag targets, series scope, recurrence rules, feed links (issue 15) ----

/** What the lane layout needs of an event. */
export interface Timed { id: string; venue_id: string; starts_at: string; ends_at: string }

/** An event placed in its venue's lane: minutes from the top of the visible window. */
export interface Placed<T extends Timed> {
  event: T;
  /** Minutes from the window's start to the event's (clipped) start. */
  top: number;
  /** Minutes the event covers inside the window (at least `minHeight`). */
  height: number;
  /** Side-by-side column of overlapping events (0-based) and how many share the cluster. */
  column: number;
  columns: number;
}

/** Hours of the day a time grid shows: from 08:00 (earlier when an event starts earlier) to midnight. */
export function hourWindow(events: readonly Timed[], days: readonly Date[], defaultFrom = 8): { from: number; to: number } {
  let from = defaultFrom;
  for (const e of events) {
    const s = new Date(e.starts_at);
    const ends = new Date(e.ends_at);
    for (const d of days) {
      if (sameDay(s, d)) from = Math.min(from, s.getHours());
      // Runs over midnight into `d`: the grid starts at 00:00.
      else if (s < d && ends > d) from = 0;
    }
  }
  return { from, to: 24 };
}

/**
 * The events of `day` in lanes, one per venue (venues in `venueIds` order, then any other venue an
 * event names), each placed by time inside `[from, to)` hours; overlapping events in one lane (a
 * cancelled one and its replacement) share it side by side.
 */
export function layoutDay<T extends Timed>(
  events: readonly T[],
  venueIds: readonly string[],
  day: Date,
  window: { from: number; to: number },
  minHeight = 15,
): { venueId: string; placed: Placed<T>[] }[] {
  const start = new Date(day.getFullYear(), day.getMonth(), day.getDate(), window.from).getTime();
  const end = new Date(day.getFullYear(), day.getMonth(), day.getDate(), window.to).getTime();
  const lanes = new Map<string, T[]>(venueIds.map((id) => [id, []]));
  for (const e of events) {
    const s = new Date(e.starts_at).getTime();
    const f = new Date(e.ends_at).getTime();
    if (f <= start || s >= end) continue;
    if (!lanes.has(e.venue_id)) lanes.set(e.venue_id, []);
    lanes.get(e.venue_id)!.push(e);
  }
  return [...lanes].map(([venueId, list]) => ({ venueId, placed: placeInLane(list, start, end, minHeight) }));
}

function placeInLane<T extends Timed>(list: T[], start: number, end: number, minHeight: number): Placed<T>[] {
  const sorted = [...list].sort((a, b) => a.starts_at.localeCompare(b.starts_at) || a.ends_at.localeCompare(b.ends_at));
  const out: Placed<T>[] = [];
  let cluster: Placed<T>[] = [];
  let clusterEnd = -Infinity;
  const columnEnds: number[] = [];
  const close = () => {
    for (const p of cluster) p.columns = columnEnds.length;
    cluster = [];
    columnEnds.length = 0;
  };
  for (const e of sorted) {
    const s = Math.max(new Date(e.starts_at).getTime(), start);
    const f = Math.min(new Date(e.ends_at).getTime(), end);
    if (s >= clusterEnd) close();
    let column = columnEnds.findIndex((c) => c <= s);
    if (column < 0) column = columnEnds.push(f) - 1;
    else columnEnds[column] = f;
    const p: Placed<T> = { event: e, top: (s - start) / 60_000, height: Math.max(minHeight, (f - s) / 60_000), column, columns: 1 };
    cluster.push(p);
    out.push(p);
    clusterEnd = Math.max(clusterEnd, f);
  }
  close();
  return out;
}

/** The minute of the day under a pointer `y` pixels down a lane `height` pixels tall, snapped. */
export function minuteAt(y: number, height: number, window: { from: number; to: number }, snap = 15): number {
  const span = (window.to - window.from) * 60;
  const raw = window.from * 60 + (Math.min(Math.max(y, 0), height) / height) * span;
  return Math.min(Math.round(raw / snap) * snap, window.to * 60 - snap);
}

/** Where a dragged event would go: its new start at `minute` of `day` in `venueId`, the same length. */
export interface MoveTarget { day: Date; minute: number; venueId: string }
export interface MovePatch { starts_at: string; ends_at: string; venue_id?: string }

/** The PATCH body for dropping `event` on `target`; null when it lands where it already is. */
export function movePatch(event: Timed, target: MoveTarget): MovePatch | null {
  const s = new Date(event.starts_at);
  const length = new Date(event.ends_at).getTime() - s.getTime();
  const start = new Date(target.day.getFullYear(), target.day.getMonth(), target.day.getDate(), 0, target.minute);
  const sameVenue = target.venueId === event.venue_id;
  if (start.getTime() === s.getTime() && sameVenue) return null;
  const patch: MovePatch = { starts_at: start.toISOString(), ends_at: new Date(start.getTime() + length).toISOString() };
  if (!sameVenue) patch.venue_id = target.venueId;
  return patch;
}

/** Which occurrences of a series an edit or a deletion touches (the API's `scope`). */
export type Scope = 'this' | 'following';

/** The query of a PATCH/DELETE: a series occurrence carries the chosen scope, a single event none. */
export function scopeQuery(event: { series_id?: string | null }, scope: Scope): { scope?: Scope } {
  return event.series_id ? { scope } : {};
}

export type Frequency = 'none' | 'DAILY' | 'WEEKLY' | 'MONTHLY';
export const WEEKDAYS = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** A repeat chosen in the form. `until` is a local date (yyyy-mm-dd), inclusive. */
export interface Repeat { freq: Frequency; interval?: number; byDay?: Weekday[]; count?: number; until?: string }

/**
 * The API's `recurrence.rrule` for a repeat (RFC 5545), null for a single event. `until` becomes
 * the end of that local day in UTC, so the last day's occurrence is included.
 */
export function buildRrule(r: Repeat): string | null {
  if (r.freq === 'none') return null;
  const parts = [`FREQ=${r.freq}`];
  if (r.interval && r.interval > 1) parts.push(`INTERVAL=${r.interval}`);
  if (r.freq === 'WEEKLY' && r.byDay?.length) parts.push(`BYDAY=${WEEKDAYS.filter((d) => r.byDay!.includes(d)).join(',')}`);
  if (r.count && r.count > 0) parts.push(`COUNT=${r.count}`);
  else if (r.until) {
    const [y, mo, d] = r.until.split('-').map(Number);
    const last = new Date(y, mo - 1, d, 23, 59, 59);
    parts.push(`UNTIL=${last.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '')}`);
  }
  return parts.join(';');
}

/** The weekday code of a date (for a weekly repeat's default day). */
export function weekdayOf(d: Date): Weekday {
  return WEEKDAYS[(d.getDay() + 6) % 7];
}

/** An absolute iCalendar feed URL with its token: the caller's own, a venue's or a production's. */
export function feedUrl(origin: string, token: string, feed: { kind: 'me' } | { kind: 'venue' | 'performance'; id: string }): string {
  const path = feed.kind === 'me' ? 'me.ics' : `${feed.kind === 'venue' ? 'venues' : 'performances'}/${feed.id}.ics`;
  return `${origin}/api/v1/schedule/calendar/${path}?token=${encodeURIComponent(token)}`;
}

/** The answers an invited person may give (DOMAIN.md: set by the participant). */
export const RSVP_ANSWERS = ['confirmed', 'tentative', 'declined'] as const;
export type RsvpAnswer = (typeof RSVP_ANSWERS)[number];

/** The signed-in user's own invitation among an event's participants. */
export function ownInvitation<P extends { user_id: string }>(participants: readonly P[], userId: string | undefined): P | undefined {
  return userId ? participants.find((p) => p.user_id === userId) : undefined;
}

/** `datetime-local` input value (local wall clock) of an instant. */
export function localInput(iso: string): string {
  const d = new Date(iso);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** `yyyy-mm-dd` of a local date (the URL's `date=`). */
export function dateParam(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

/** The local date a `date=` parameter names; today when it is missing or malformed. */
export function parseDateParam(raw: string | null, today = new Date()): Date {
  const m = raw ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(raw) : null;
  if (!m) return startOfDay(today);
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return Number.isNaN(d.getTime()) ? startOfDay(today) : d;
}
