// Booking an event or a recurring series (the API's `recurrence: {rrule, exdates}`); a 409 shows
// the events that hold the venue (for a series, the occurrence that clashed).
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api } from '../../api/client';
import { ClashList } from '../../components/ClashList';
import { Button, Field, Input, ProblemMessage, Select } from '../../components/ui';
import { useI18n } from '../../i18n';
import { buildRrule, clashesOf, WEEKDAYS, weekdayOf, type Frequency, type Weekday } from '../../lib/calendar';
import { ApiProblem, fieldErrors, unwrap } from '../../lib/problem';
import { KINDS, useVenues } from './data';

export function NewEvent({ onClose, onSaved }: { onClose: () => void; onSaved: () => void }) {
  const { m, label } = useI18n();
  const venues = useVenues().data ?? [];
  const client = useQueryClient();
  const [freq, setFreq] = useState<Frequency>('none');
  const [days, setDays] = useState<Weekday[]>([]);
  const book = useMutation({
    mutationFn: async (f: FormData) => {
      const at = (k: string) => (f.get(k) ? new Date(String(f.get(k))).toISOString() : null);
      const starts = at('start');
      const rrule = buildRrule({
        freq,
        interval: Number(f.get('interval') || 1),
        byDay: days.length ? days : starts ? [weekdayOf(new Date(starts))] : [],
        count: Number(f.get('count') || 0),
        until: String(f.get('until') ?? ''),
      });
      return unwrap(await api.POST('/api/v1/schedule/events', {
        body: {
          title: String(f.get('title') ?? ''), kind: String(f.get('kind')), venue_id: String(f.get('venue_id') ?? '') || null,
          starts_at: starts, ends_at: at('end'), recurrence: rrule ? { rrule, exdates: [] } : null,
        } as never,
      }));
    },
    onSuccess: async () => {
      await client.invalidateQueries({ queryKey: ['schedule'] });
      onSaved();
    },
  });
  const problem = book.error instanceof ApiProblem ? book.error.problem : undefined;
  const clashes = clashesOf(problem);
  const { byField, other } = fieldErrors(problem, ['title', 'kind', 'venue_id', 'starts_at', 'ends_at', 'recurrence']);
  const toggle = (d: Weekday) => setDays((ds) => (ds.includes(d) ? ds.filter((x) => x !== d) : [...ds, d]));
  return (
    <form className="mb-4 grid gap-2 rounded border border-amber-200 bg-amber-50 p-3 sm:grid-cols-3" onSubmit={(e: FormEvent<HTMLFormElement>) => { e.preventDefault(); book.mutate(new FormData(e.currentTarget)); }}>
      <Field label={m.schedule.eventTitle} error={byField.title}><Input name="title" aria-invalid={!!byField.title} /></Field>
      <Field label={m.schedule.kind} error={byField.kind}><Select name="kind" defaultValue="rehearsal">{KINDS.map((k) => <option key={k} value={k}>{label('eventKind', k)}</option>)}</Select></Field>
      <Field label={m.schedule.venue} error={byField.venue_id}>
        <Select name="venue_id" defaultValue=""><option value="">—</option>{venues.map((v) => <option key={v.id} value={v.id}>{v.name}</option>)}</Select>
      </Field>
      <Field label={m.schedule.start} error={byField.starts_at}><Input type="datetime-local" name="start" aria-invalid={!!byField.starts_at} /></Field>
      <Field label={m.schedule.end} error={byField.ends_at}><Input type="datetime-local" name="end" aria-invalid={!!byField.ends_at} /></Field>
      <Field label={m.scheduleScreen.repeat} error={byField.recurrence}>
        <Select name="freq" value={freq} onChange={(e) => setFreq(e.target.value as Frequency)}>
          <option value="none">{m.scheduleScreen.repeatNone}</option>
          <option value="DAILY">{m.scheduleScreen.daily}</option>
          <option value="WEEKLY">{m.scheduleScreen.weekly}</option>
          <option value="MONTHLY">{m.scheduleScreen.monthly}</option>
        </Select>
      </Field>
      {freq !== 'none' && (
        <div className="grid gap-2 sm:col-span-3 sm:grid-cols-4" data-testid="repeat-options">
          <Field label={m.scheduleScreen.interval}><Input type="number" name="interval" min={1} max={52} defaultValue={1} /></Field>
          {freq === 'WEEKLY' && (
            <fieldset className="text-sm">
              <legend className="mb-1 font-medium text-stone-700">{m.scheduleScreen.weekdays}</legend>
              <div className="flex flex-wrap gap-1">
                {WEEKDAYS.map((d) => (
                  <label key={d} className="inline-flex items-center gap-0.5"><input type="checkbox" checked={days.includes(d)} onChange={() => toggle(d)} />{m.weekday[d]}</label>
                ))}
              </div>
            </fieldset>
          )}
          <Field label={m.scheduleScreen.count}><Input type="number" name="count" min={1} max={500} placeholder="10" /></Field>
          <Field label={m.scheduleScreen.until}><Input type="date" name="until" /></Field>
        </div>
      )}
      <div className="flex items-end gap-2">
        <Button type="submit" disabled={book.isPending}>{m.schedule.book}</Button>
        <Button kind="plain" onClick={onClose}>{m.app.cancel}</Button>
      </div>
      <div className="sm:col-span-3">
        {other.map((o) => <p key={o} role="alert" className="text-sm text-red-700">{o}</p>)}
        {clashes.length > 0 ? <ClashList clashes={clashes} /> : !Object.keys(byField).length && !other.length && <ProblemMessage error={book.error} />}
      </div>
    </form>
  );
}
