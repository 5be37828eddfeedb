// The schedule: month as a grid; week and day with the venues as lanes of each day (events placed
// by time in their venue's lane) where an event is dragged to another time or venue (a 409 clash
// lists the events holding the slot and the event stays); the event panel (details, RSVP, kit,
// edit, delete, series scope); "my events"; the iCal feed links. On a phone the days are lists.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type DragEvent } from 'react';
import { useSearchParams } from 'react-router';
import { api } from '../api/client';
import { ClashList } from '../components/ClashList';
import { Gate, useCan } from '../components/Gate';
import { Button, Card, Empty, Loading, ProblemMessage } from '../components/ui';
import { useI18n } from '../i18n';
import {
  addDays, clashesOf, dateParam, hourWindow, layoutDay, minuteAt, movePatch, parseDateParam, sameDay,
  scopeQuery, visibleDays, type MovePatch, type Scope, type View,
} from '../lib/calendar';
import { ApiProblem, unwrap } from '../lib/problem';
import { useVenues, type EventView } from './schedule/data';
import { EventPanel, ScopeChoice } from './schedule/EventPanel';
import { Feeds } from './schedule/Feeds';
import { MyEvents } from './schedule/MyEvents';
import { NewEvent } from './schedule/NewEvent';

const HOUR_PX = 40;
const VIEWS: View[] = ['month', 'week', 'day'];

function eventTone(e: EventView): string {
  if (e.status === 'cancelled') return 'bg-stone-100 text-stone-500 line-through border-stone-300';
  if (e.kind === 'performance') return 'bg-rose-100 border-rose-300 text-rose-950';
  if (e.kind.endsWith('rehearsal')) return 'bg-amber-100 border-amber-300 text-amber-950';
  return 'bg-sky-100 border-sky-300 text-sky-950';
}

/** A week or a day as time grids, one lane per venue in each day. */
function Lanes({ days, events, venues, canDrag, onOpen, onDrop }: {
  days: Date[]; events: EventView[]; venues: { id: string; name: string }[]; canDrag: boolean;
  onOpen: (id: string) => void; onDrop: (event: EventView, day: Date, minute: number, venueId: string) => void;
}) {
  const { m, time, tag } = useI18n();
  const [dragging, setDragging] = useState<string | null>(null);
  const [over, setOver] = useState<string | null>(null);
  const shown = hourWindow(events, days);
  const height = (shown.to - shown.from) * HOUR_PX;
  // Every lane of every day, so the header lines up (an event's venue missing from the list gets one too).
  const venueIds = [...new Set([...venues.map((v) => v.id), ...events.map((e) => e.venue_id)])];
  const venueName = new Map(venues.map((v) => [v.id, v.name]));
  const hours = Array.from({ length: shown.to - shown.from }, (_, i) => shown.from + i);
  const drop = (e: DragEvent<HTMLDivElement>, day: Date, venueId: string) => {
    e.preventDefault();
    setOver(null);
    const id = e.dataTransfer.getData('text/x-event') || dragging;
    const ev = events.find((x) => x.id === id);
    setDragging(null);
    if (!ev) return;
    const rect = e.currentTarget.getBoundingClientRect();
    // The event's top edge follows the pointer where it was grabbed.
    const grabbed = Number(e.dataTransfer.getData('text/x-offset') || 0);
    onDrop(ev, day, minuteAt(e.clientY - rect.top - grabbed, rect.height, shown), venueId);
  };
  const laneCount = Math.max(venueIds.length, 1);
  return (
    <div className="overflow-x-auto" data-testid="lanes">
      <div className="grid" style={{ gridTemplateColumns: `3rem repeat(${days.length}, minmax(${laneCount * (days.length > 1 ? 2.5 : 8)}rem, 1fr))` }}>
        <div />
        {days.map((d) => (
          <div key={d.toISOString()} className={`border-b px-1 text-center text-xs ${sameDay(d, new Date()) ? 'font-semibold text-amber-800' : ''}`}>
            <div>{new Intl.DateTimeFormat(tag, { weekday: 'short', day: 'numeric', month: 'short' }).format(d)}</div>
            <div className="flex">{venueIds.map((id) => <div key={id} className="flex-1 truncate border-l border-stone-100 px-0.5 text-[10px] text-stone-500" title={venueName.get(id)}>{venueName.get(id) ?? '—'}</div>)}</div>
          </div>
        ))}
        <div className="relative" style={{ height }}>
          {hours.map((h) => <div key={h} className="absolute right-1 text-[10px] text-stone-500" style={{ top: (h - shown.from) * HOUR_PX - 6 }}>{String(h).padStart(2, '0')}:00</div>)}
        </div>
        {days.map((d) => (
          <div key={d.toISOString()} className="flex border-l border-stone-300">
            {layoutDay(events, venueIds, d, shown).map(({ venueId, placed }) => {
              const key = `${dateParam(d)}/${venueId}`;
              return (
                <div key={venueId} data-testid="lane" data-day={dateParam(d)} data-venue={venueId} aria-label={`${venueName.get(venueId) ?? ''} ${dateParam(d)}`}
                  className={`relative flex-1 border-l border-stone-100 ${over === key ? 'bg-amber-50' : ''}`}
                  style={{ height, backgroundImage: `repeating-linear-gradient(to bottom, #e7e5e4 0 1px, transparent 1px ${HOUR_PX}px)` }}
                  onDragOver={(e) => { if (dragging) { e.preventDefault(); e.dataTransfer.dropEffect = 'move'; setOver(key); } }}
                  onDragLeave={() => setOver((o) => (o === key ? null : o))}
                  onDrop={(e) => drop(e, d, venueId)}>
                  {placed.map(({ event: ev, top, height: h, column, columns }) => (
                    <button key={ev.id} type="button" data-testid="event" data-event-id={ev.id} draggable={canDrag && ev.status !== 'cancelled'}
                      onDragStart={(e) => {
                        e.dataTransfer.setData('text/x-event', ev.id);
                        e.dataTransfer.setData('text/x-offset', String(e.clientY - e.currentTarget.getBoundingClientRect().top));
                        e.dataTransfer.effectAllowed = 'move';
                        setDragging(ev.id);
                      }}
                      onDragEnd={() => { setDragging(null); setOver(null); }}
                      onClick={() => onOpen(ev.id)}
                      title={`${ev.title} — ${venueName.get(ev.venue_id) ?? ''}, ${time(ev.starts_at)}–${time(ev.ends_at)}`}
                      className={`absolute flex flex-col items-start justify-start overflow-hidden rounded border px-0.5 text-left text-[11px] leading-tight ${eventTone(ev)} ${canDrag ? 'cursor-grab' : ''} ${dragging === ev.id ? 'opacity-50' : ''}`}
                      style={{ top: top * HOUR_PX / 60, height: h * HOUR_PX / 60 - 1, left: `${(column / columns) * 100}%`, width: `${100 / columns}%` }}>
                      <span className="font-mono">{time(ev.starts_at)}</span>
                      <span>{ev.title}</span>
                    </button>
                  ))}
                </div>
              );
            })}
          </div>
        ))}
      </div>
      {events.length === 0 && <p className="p-2 text-sm text-stone-500">{m.scheduleScreen.noEvents}</p>}
    </div>
  );
}

/** Days as lists (a phone's day and week view). */
function DayList({ days, events, venueName, onOpen }: { days: Date[]; events: EventView[]; venueName: Map<string, string>; onOpen: (id: string) => void }) {
  const { m, time, tag, label } = useI18n();
  return (
    <div className="space-y-2" data-testid="day-list">
      {days.map((d) => {
        const todays = events.filter((e) => sameDay(new Date(e.starts_at), d));
        return (
          <section key={d.toISOString()}>
            <h4 className="text-sm font-medium">{new Intl.DateTimeFormat(tag, { weekday: 'long', day: 'numeric', month: 'long' }).format(d)}</h4>
            {todays.length === 0 ? <p className="text-xs text-stone-500">{m.scheduleScreen.noEvents}</p> : (
              <ul>
                {todays.map((e) => (
                  <li key={e.id}>
                    <button type="button" onClick={() => onOpen(e.id)} className={`mb-1 block w-full rounded border px-2 py-1 text-left text-sm ${eventTone(e)}`}>
                      <span className="font-mono">{time(e.starts_at)}–{time(e.ends_at)}</span> {e.title}
                      <span className="block text-xs opacity-75">{venueName.get(e.venue_id)} · {label('eventKind', e.kind)}</span>
                    </button>
                  </li>
                ))}
              </ul>
            )}
          </section>
        );
      })}
    </div>
  );
}

export default function Schedule() {
  const { m, time, date, tag } = useI18n();
  const can = useCan();
  const client = useQueryClient();
  const [params, setParams] = useSearchParams();
  const view: View = VIEWS.includes(params.get('view') as View) ? (params.get('view') as View) : 'week';
  const anchor = parseDateParam(params.get('date'));
  const selected = params.get('event');
  const set = (changes: Record<string, string | null>) =>
    setParams((p) => {
      const next = new URLSearchParams(p);
      for (const [k, v] of Object.entries(changes)) {
        if (v === null) next.delete(k);
        else next.set(k, v);
      }
      return next;
    });
  const [creating, setCreating] = useState(false);
  const [saved, setSaved] = useState(false);
  const [pendingMove, setPendingMove] = useState<{ event: EventView; patch: MovePatch } | null>(null);
  const [scope, setScope] = useState<Scope>('this');
  const venuesQuery = useVenues();
  const days = visibleDays(view, anchor);
  const from = days[0];
  const to = addDays(days[days.length - 1], 1);
  const events = useQuery({
    queryKey: ['schedule', 'events', from.toISOString(), to.toISOString()],
    queryFn: async () => {
      // A busy month can pass one page: follow the cursor (bounded).
      const all: EventView[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < 10; page++) {
        const got = unwrap(await api.GET('/api/v1/schedule/events', { params: { query: { from: from.toISOString(), to: to.toISOString(), limit: 200, cursor } as never } }));
        all.push(...(got.items as EventView[]));
        cursor = got.next_cursor ?? undefined;
        if (!cursor) break;
      }
      return all;
    },
  });
  // Lanes: the active venues, and an inactive one only while it still hosts a shown event.
  const hosting = new Set((events.data ?? []).map((e) => e.venue_id));
  const venues = (venuesQuery.data ?? []).filter((v) => v.is_active || hosting.has(v.id));
  const move = useMutation({
    mutationFn: async ({ event, patch, scope }: { event: EventView; patch: MovePatch; scope: Scope }) =>
      unwrap(await api.PATCH('/api/v1/schedule/events/{id}', {
        params: { path: { id: event.id }, query: scopeQuery(event, scope), header: { 'If-Match': `"${event.version}"` } },
        body: patch,
      })),
    onSuccess: () => setPendingMove(null),
    // Success or refusal, the calendar shows what the server holds (a refused move stays put).
    onSettled: () => client.invalidateQueries({ queryKey: ['schedule'] }),
  });
  const onDrop = (event: EventView, day: Date, minute: number, venueId: string) => {
    const patch = movePatch(event, { day, minute, venueId });
    if (!patch) return;
    move.reset();
    if (event.series_id) {
      setScope('this');
      setPendingMove({ event, patch });
    } else {
      setPendingMove({ event, patch });
      move.mutate({ event, patch, scope: 'this' });
    }
  };
  const moveProblem = move.error instanceof ApiProblem ? move.error.problem : undefined;
  const moveClashes = clashesOf(moveProblem);
  const venueName = new Map((venuesQuery.data ?? []).map((v) => [v.id, v.name]));
  const step = (dir: number) => set({ date: dateParam(view === 'month' ? new Date(anchor.getFullYear(), anchor.getMonth() + dir, 1) : addDays(anchor, dir * (view === 'week' ? 7 : 1))) });
  const title = view === 'month' ? new Intl.DateTimeFormat(tag, { month: 'long', year: 'numeric' }).format(anchor) : `${date(from.toISOString())} – ${date(addDays(to, -1).toISOString())}`;
  const open = (id: string) => set({ event: id });
  const canDrag = can('schedule:edit');
  return (
    <>
      <Card
        title={m.schedule.title}
        actions={<Gate need="schedule:edit"><Button onClick={() => { setCreating(true); setSaved(false); }}>{m.schedule.newEvent}</Button></Gate>}
      >
        {creating && <NewEvent onClose={() => setCreating(false)} onSaved={() => { setCreating(false); setSaved(true); }} />}
        {saved && <p role="status" data-testid="event-saved" className="mb-2 text-sm text-green-700">✓ {m.scheduleScreen.savedEvent}</p>}
        <div className="mb-3 flex flex-wrap items-center gap-2">
          <div role="group" aria-label="view" className="flex gap-1">
            {VIEWS.map((v) => (
              <Button key={v} kind={v === view ? 'primary' : 'plain'} aria-pressed={v === view} onClick={() => set({ view: v })}>{m.schedule[v]}</Button>
            ))}
          </div>
          <Button kind="plain" onClick={() => step(-1)} aria-label="←">←</Button>
          <Button kind="plain" onClick={() => set({ date: null })}>{m.schedule.today}</Button>
          <Button kind="plain" onClick={() => step(1)} aria-label="→">→</Button>
          <span className="font-medium capitalize" data-testid="range-title">{title}</span>
        </div>
        {pendingMove && (
          <div className="mb-2 rounded border border-stone-300 bg-stone-50 p-2 text-sm" data-testid="move-status">
            {pendingMove.event.series_id && !move.isPending && !move.error && (
              <div className="space-y-2">
                <ScopeChoice event={pendingMove.event} value={scope} onChange={setScope} title={m.scheduleScreen.scopeTitle} />
                <div className="flex gap-2">
                  <Button onClick={() => move.mutate({ ...pendingMove, scope })} data-testid="move-confirm">{m.app.save}</Button>
                  <Button kind="plain" onClick={() => setPendingMove(null)}>{m.app.cancel}</Button>
                </div>
              </div>
            )}
            {move.isPending && <Loading />}
            {move.error && (
              <>
                <p className="font-medium" data-testid="move-failed">{pendingMove.event.title}: {m.scheduleScreen.moveFailed}</p>
                {moveClashes.length > 0 ? <ClashList clashes={moveClashes} /> : <ProblemMessage error={move.error} />}
                <Button kind="plain" onClick={() => { setPendingMove(null); move.reset(); }}>{m.scheduleScreen.close}</Button>
              </>
            )}
          </div>
        )}
        {move.isSuccess && !pendingMove && <p role="status" data-testid="event-moved" className="mb-2 text-sm text-green-700">✓ {m.scheduleScreen.moved}</p>}
        <ProblemMessage error={events.error ?? venuesQuery.error} />
        <div className={selected ? 'grid gap-3 lg:grid-cols-[1fr_22rem]' : ''}>
          <div className="min-w-0">
            {events.isPending || venuesQuery.isPending ? <Loading /> : view === 'month' ? (
              <div data-testid="calendar" className="grid grid-cols-1 gap-1 sm:grid-cols-7">
                {days.map((d) => {
                  const todays = (events.data ?? []).filter((e) => sameDay(new Date(e.starts_at), d));
                  return (
                    <div key={d.toISOString()} className={`min-h-20 rounded border p-1 text-xs ${d.getMonth() !== anchor.getMonth() ? 'bg-stone-50 text-stone-400' : 'bg-white'} ${sameDay(d, new Date()) ? 'border-amber-500' : 'border-stone-200'}`}>
                      <button type="button" className="mb-1 font-medium hover:underline" onClick={() => set({ view: 'day', date: dateParam(d) })}>
                        {new Intl.DateTimeFormat(tag, { weekday: 'short', day: 'numeric' }).format(d)}
                      </button>
                      {todays.map((e) => (
                        <button type="button" key={e.id} data-testid="event" data-event-id={e.id} onClick={() => open(e.id)}
                          className={`mb-1 block w-full truncate rounded border px-1 py-0.5 text-left ${eventTone(e)}`} title={`${e.title} — ${venueName.get(e.venue_id) ?? ''}`}>
                          <span className="font-mono">{time(e.starts_at)}</span> {e.title}
                        </button>
                      ))}
                    </div>
                  );
                })}
              </div>
            ) : (
              <div data-testid="calendar">
                {venues.length === 0 ? <Empty>{m.scheduleScreen.noVenues}</Empty> : (
                  <>
                    <div className="hidden sm:block">
                      <Lanes days={days} events={events.data ?? []} venues={venues} canDrag={canDrag} onOpen={open} onDrop={onDrop} />
                      {canDrag && <p className="mt-1 text-xs text-stone-500">{m.scheduleScreen.lanesHint}</p>}
                    </div>
                    <div className="sm:hidden">
                      <DayList days={days} events={events.data ?? []} venueName={venueName} onOpen={open} />
                    </div>
                  </>
                )}
              </div>
            )}
          </div>
          {selected && <div><EventPanel key={selected} eventId={selected} onClose={() => set({ event: null })} /></div>}
        </div>
      </Card>
      <Card><MyEvents onOpen={open} /></Card>
      <Card><Feeds /></Card>
    </>
  );
}
