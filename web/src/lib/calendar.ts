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
