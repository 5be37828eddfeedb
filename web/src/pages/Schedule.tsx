// The schedule: month / week / day with venues as lanes of each day; booking an event shows a
// 409 clash as the events that hold the venue; the iCal feed link to copy.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api } from '../api/client';
import { ClashList } from '../components/ClashList';
import { Gate } from '../components/Gate';
import { Button, Card, Field, Input, Loading, ProblemMessage, Select } from '../components/ui';
import { useI18n } from '../i18n';
import { addDays, clashesOf, sameDay, visibleDays, type View } from '../lib/calendar';
import { ApiProblem, fieldErrors, unwrap } from '../lib/problem';

const KINDS = ['performance', 'rehearsal', 'tech_rehearsal', 'dress_rehearsal', 'meeting', 'maintenance', 'other'];

function useVenues() {
  return useQuery({
    queryKey: ['schedule', 'venues'],
    queryFn: async () => unwrap(await api.GET('/api/v1/schedule/venues', { params: { query: { limit: 200 } as never } })).items,
    staleTime: 300_000,
  }).data ?? [];
}

function NewEvent({ onClose, onSaved }: { onClose: () => void; onSaved: () => void }) {
  const { m, label } = useI18n();
  const venues = useVenues();
  const client = useQueryClient();
  const book = useMutation({
    mutationFn: async (f: FormData) => {
      const at = (k: string) => (f.get(k) ? new Date(String(f.get(k))).toISOString() : undefined);
      return unwrap(await api.POST('/api/v1/schedule/events', {
        body: { title: String(f.get('title') ?? ''), kind: String(f.get('kind')), venue_id: String(f.get('venue_id') ?? ''), starts_at: at('start'), ends_at: at('end') } as never,
      }));
    },
    onSuccess: async () => {
      await client.invalidateQueries({ queryKey: ['schedule', 'events'] });
      onSaved();
    },
  });
  const problem = book.error instanceof ApiProblem ? book.error.problem : undefined;
  const clashes = clashesOf(problem);
  const { byField } = fieldErrors(problem, ['title', 'kind', 'venue_id', 'starts_at', 'ends_at']);
  return (
    <form className="mb-4 grid gap-2 rounded border border-amber-200 bg-amber-50 p-3 sm:grid-cols-3" onSubmit={(e: FormEvent<HTMLFormElement>) => { e.preventDefault(); book.mutate(new FormData(e.currentTarget)); }}>
      <Field label={m.schedule.eventTitle} error={byField.title}><Input name="title" /></Field>
      <Field label={m.schedule.kind} error={byField.kind}><Select name="kind" defaultValue="rehearsal">{KINDS.map((k) => <option key={k} value={k}>{label('eventKind', k)}</option>)}</Select></Field>
      <Field label={m.schedule.venue} error={byField.venue_id}>
        <Select name="venue_id" defaultValue=""><option value="">—</option>{venues.map((v) => <option key={v.id} value={v.id}>{v.name}</option>)}</Select>
      </Field>
      <Field label={m.schedule.start} error={byField.starts_at}><Input type="datetime-local" name="start" /></Field>
      <Field label={m.schedule.end} error={byField.ends_at}><Input type="datetime-local" name="end" /></Field>
      <div className="flex items-end gap-2">
        <Button type="submit" disabled={book.isPending}>{m.schedule.book}</Button>
        <Button kind="plain" onClick={onClose}>{m.app.cancel}</Button>
      </div>
      <div className="sm:col-span-3">
        {clashes.length > 0 ? <ClashList clashes={clashes} /> : !Object.keys(byField).length && <ProblemMessage error={book.error} />}
      </div>
    </form>
  );
}

export default function Schedule() {
  const { m, label, time, date, tag } = useI18n();
  const [view, setView] = useState<View>('week');
  const [anchor, setAnchor] = useState(() => new Date());
  const [creating, setCreating] = useState(false);
  const [saved, setSaved] = useState(false);
  const venues = useVenues();
  const days = visibleDays(view, anchor);
  const from = days[0];
  const to = addDays(days[days.length - 1], 1);
  const events = useQuery({
    queryKey: ['schedule', 'events', from.toISOString(), to.toISOString()],
    queryFn: async () => unwrap(await api.GET('/api/v1/schedule/events', { params: { query: { from: from.toISOString(), to: to.toISOString(), limit: 200 } as never } })).items,
  });
  const venueName = new Map(venues.map((v) => [v.id, v.name]));
  const step = (dir: number) => setAnchor((a) => (view === 'month' ? new Date(a.getFullYear(), a.getMonth() + dir, 1) : addDays(a, dir * (view === 'week' ? 7 : 1))));
  const title = view === 'month' ? new Intl.DateTimeFormat(tag, { month: 'long', year: 'numeric' }).format(anchor) : `${date(from.toISOString())} – ${date(addDays(to, -1).toISOString())}`;
  return (
    <Card
      title={m.schedule.title}
      actions={<Gate need="schedule:edit"><Button onClick={() => { setCreating(true); setSaved(false); }}>{m.schedule.newEvent}</Button></Gate>}
    >
      {creating && <NewEvent onClose={() => setCreating(false)} onSaved={() => { setCreating(false); setSaved(true); }} />}
      {saved && <p role="status" data-testid="event-saved" className="mb-2 text-sm text-green-700">✓</p>}
      <div className="mb-3 flex flex-wrap items-center gap-2">
        <div role="group" aria-label="view" className="flex gap-1">
          {(['month', 'week', 'day'] as View[]).map((v) => (
            <Button key={v} kind={v === view ? 'primary' : 'plain'} aria-pressed={v === view} onClick={() => setView(v)}>{m.schedule[v]}</Button>
          ))}
        </div>
        <Button kind="plain" onClick={() => step(-1)} aria-label="←">←</Button>
        <Button kind="plain" onClick={() => setAnchor(new Date())}>{m.schedule.today}</Button>
        <Button kind="plain" onClick={() => step(1)} aria-label="→">→</Button>
        <span className="font-medium capitalize">{title}</span>
      </div>
      <ProblemMessage error={events.error} />
      {events.isPending ? <Loading /> : (
        <div data-testid="calendar" className={`grid gap-1 ${view === 'day' ? 'grid-cols-1' : 'grid-cols-1 sm:grid-cols-7'}`}>
          {days.map((d) => {
            const todays = (events.data ?? []).filter((e) => sameDay(new Date(e.starts_at), d));
            return (
              <div key={d.toISOString()} className={`min-h-20 rounded border p-1 text-xs ${view === 'month' && d.getMonth() !== anchor.getMonth() ? 'bg-stone-50 text-stone-400' : 'bg-white'} ${sameDay(d, new Date()) ? 'border-amber-500' : 'border-stone-200'}`}>
                <div className="mb-1 font-medium">{new Intl.DateTimeFormat(tag, { weekday: 'short', day: 'numeric', month: view === 'month' ? undefined : 'short' }).format(d)}</div>
                {todays.map((e) => (
                  <div key={e.id} className="mb-1 rounded bg-amber-100 px-1 py-0.5" title={`${e.title} — ${venueName.get(e.venue_id) ?? ''}`}>
                    <span className="font-mono">{time(e.starts_at)}</span> {e.title}
                    {view !== 'month' && <div className="text-stone-500">{venueName.get(e.venue_id)} · {label('eventKind', e.kind)}</div>}
                  </div>
                ))}
              </div>
            );
          })}
        </div>
      )}
    </Card>
  );
}
