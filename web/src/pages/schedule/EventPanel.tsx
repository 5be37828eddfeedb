// One event's panel: what, where, when, its status; participants and their answers (one's own
// answered here; people invited and removed by editors); the kit reserved for it (with the API's clash and availability refusals);
// editing (times, venue, status; a series occurrence asks "only this one / this and following")
// and deletion. Edits need `schedule:edit`; the API checks again.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { api } from '../../api/client';
import { ClashList } from '../../components/ClashList';
import { Gate, useCan } from '../../components/Gate';
import { Badge, Button, Field, Input, Loading, ProblemMessage, Select } from '../../components/ui';
import { useI18n } from '../../i18n';
import { clashesOf, localInput, ownInvitation, scopeQuery, type Scope } from '../../lib/calendar';
import { ApiProblem, fieldErrors, unwrap, type Problem } from '../../lib/problem';
import { useSession } from '../../session/store';
import { KINDS, STATUSES, useParticipants, useVenues, type EventView } from './data';
import { RsvpButtons } from './Rsvp';

/** "Only this one / this and following" for a series occurrence; nothing for a single event. */
export function ScopeChoice({ event, value, onChange, title }: { event: EventView; value: Scope; onChange: (s: Scope) => void; title: string }) {
  const { m } = useI18n();
  if (!event.series_id) return null;
  return (
    <fieldset className="rounded border border-stone-200 p-2 text-sm" data-testid="scope-choice">
      <legend className="px-1 font-medium">{title}</legend>
      {(['this', 'following'] as Scope[]).map((s) => (
        <label key={s} className="mr-4 inline-flex items-center gap-1">
          <input type="radio" name="scope" value={s} checked={value === s} onChange={() => onChange(s)} />
          {s === 'this' ? m.scheduleScreen.scopeThis : m.scheduleScreen.scopeFollowing}
        </label>
      ))}
    </fieldset>
  );
}

export function EditEvent({ event, onDone }: { event: EventView; onDone: () => void }) {
  const { m, label } = useI18n();
  const venues = useVenues().data ?? [];
  const client = useQueryClient();
  const [scope, setScope] = useState<Scope>('this');
  const save = useMutation({
    mutationFn: async (f: FormData) => {
      const at = (k: string) => (f.get(k) ? new Date(String(f.get(k))).toISOString() : null);
      return unwrap(await api.PATCH('/api/v1/schedule/events/{id}', {
        params: { path: { id: event.id }, query: scopeQuery(event, scope), header: { 'If-Match': `"${event.version}"` } },
        body: {
          title: String(f.get('title') ?? ''), kind: String(f.get('kind')) as EventView['kind'],
          status: String(f.get('status')) as EventView['status'], venue_id: String(f.get('venue_id')),
          starts_at: at('start'), ends_at: at('end'),
        },
      }));
    },
    onSuccess: async () => {
      await client.invalidateQueries({ queryKey: ['schedule'] });
      onDone();
    },
  });
  const problem = save.error instanceof ApiProblem ? save.error.problem : undefined;
  const clashes = clashesOf(problem);
  const { byField, other } = fieldErrors(problem, ['title', 'kind', 'status', 'venue_id', 'starts_at', 'ends_at']);
  return (
    <form data-testid="event-edit" className="grid gap-2 sm:grid-cols-2" onSubmit={(e: FormEvent<HTMLFormElement>) => { e.preventDefault(); save.mutate(new FormData(e.currentTarget)); }}>
      <Field label={m.schedule.eventTitle} error={byField.title}><Input name="title" defaultValue={event.title} aria-invalid={!!byField.title} /></Field>
      <Field label={m.schedule.kind} error={byField.kind}><Select name="kind" defaultValue={event.kind}>{KINDS.map((k) => <option key={k} value={k}>{label('eventKind', k)}</option>)}</Select></Field>
      <Field label={m.scheduleScreen.status} error={byField.status}><Select name="status" defaultValue={event.status}>{STATUSES.map((s) => <option key={s} value={s}>{m.eventStatus[s]}</option>)}</Select></Field>
      <Field label={m.schedule.venue} error={byField.venue_id}><Select name="venue_id" defaultValue={event.venue_id}>{venues.map((v) => <option key={v.id} value={v.id}>{v.name}</option>)}</Select></Field>
      <Field label={m.schedule.start} error={byField.starts_at}><Input type="datetime-local" name="start" defaultValue={localInput(event.starts_at)} aria-invalid={!!byField.starts_at} /></Field>
      <Field label={m.schedule.end} error={byField.ends_at}><Input type="datetime-local" name="end" defaultValue={localInput(event.ends_at)} aria-invalid={!!byField.ends_at} /></Field>
      <div className="sm:col-span-2"><ScopeChoice event={event} value={scope} onChange={setScope} title={m.scheduleScreen.scopeTitle} /></div>
      <div className="flex gap-2 sm:col-span-2">
        <Button type="submit" disabled={save.isPending} data-testid="event-save">{m.app.save}</Button>
        <Button kind="plain" onClick={onDone}>{m.app.cancel}</Button>
      </div>
      <div className="sm:col-span-2">
        <ClashList clashes={clashes} />
        {other.map((o) => <p key={o} role="alert" className="text-sm text-red-700">{o}</p>)}
        {clashes.length === 0 && !Object.keys(byField).length && !other.length && <ProblemMessage error={save.error} />}
      </div>
    </form>
  );
}

export function DeleteEvent({ event, onDeleted }: { event: EventView; onDeleted: () => void }) {
  const { m } = useI18n();
  const client = useQueryClient();
  const [asking, setAsking] = useState(false);
  const [scope, setScope] = useState<Scope>('this');
  const remove = useMutation({
    mutationFn: async () =>
      unwrap(await api.DELETE('/api/v1/schedule/events/{id}', {
        params: { path: { id: event.id }, query: scopeQuery(event, scope), header: { 'If-Match': `"${event.version}"` } },
      })),
    onSuccess: async () => {
      onDeleted();
      await client.invalidateQueries({ queryKey: ['schedule'] });
    },
  });
  if (!asking) return <Button kind="danger" onClick={() => setAsking(true)} data-testid="event-delete">{m.scheduleScreen.delete}</Button>;
  return (
    <div className="rounded border border-red-200 bg-red-50 p-2 text-sm" role="group" aria-label={m.scheduleScreen.deleteConfirm}>
      <p className="mb-1 font-medium">{m.scheduleScreen.deleteConfirm}</p>
      <ScopeChoice event={event} value={scope} onChange={setScope} title={m.scheduleScreen.scopeDeleteTitle} />
      <div className="mt-2 flex gap-2">
        <Button kind="danger" disabled={remove.isPending} onClick={() => remove.mutate()} data-testid="event-delete-confirm">{m.scheduleScreen.delete}</Button>
        <Button kind="plain" onClick={() => setAsking(false)}>{m.app.cancel}</Button>
      </div>
      <ProblemMessage error={remove.error} />
    </div>
  );
}

/** A refused reservation: the events holding the item, or the status that keeps it unavailable. */
function ItemRefusal({ problem }: { problem: Problem }) {
  const { m, dateTime, time, label } = useI18n();
  const holders = clashesOf(problem);
  if (holders.length > 0) {
    return (
      <div role="alert" data-testid="item-clash" className="my-2 rounded border border-red-300 bg-red-50 p-2 text-sm text-red-900">
        <p className="font-medium">{m.scheduleScreen.itemTaken}{problem.detail ? ` (${problem.detail})` : ''}:</p>
        <ul className="list-disc pl-5">
          {holders.map((c, i) => <li key={`${c.id}-${i}`}>{c.title} — {dateTime(c.starts_at)}–{time(c.ends_at)}</li>)}
        </ul>
      </div>
    );
  }
  if (typeof problem.current_status === 'string') {
    return <p role="alert" data-testid="item-clash" className="my-2 text-sm text-red-800">{m.scheduleScreen.itemUnavailable}: {label('status', problem.current_status)}</p>;
  }
  return null;
}

function Reservations({ event }: { event: EventView }) {
  const { m, number } = useI18n();
  const can = useCan();
  const client = useQueryClient();
  const edit = can('schedule:edit');
  const list = useQuery({
    queryKey: ['schedule', 'reservations', event.id],
    queryFn: async () => unwrap(await api.GET('/api/v1/schedule/events/{id}/reservations', { params: { path: { id: event.id } } })).items,
  });
  const [q, setQ] = useState('');
  const items = useQuery({
    queryKey: ['inventory', 'items', 'pick', q],
    queryFn: async () => unwrap(await api.GET('/api/v1/inventory/items', { params: { query: { q, limit: 20 } as never } })).items,
    enabled: edit && can('inventory:view') && q.trim().length >= 2,
  });
  const done = () => client.invalidateQueries({ queryKey: ['schedule', 'reservations', event.id] });
  const reserve = useMutation({
    mutationFn: async (f: FormData) =>
      unwrap(await api.POST('/api/v1/schedule/events/{id}/reservations', {
        params: { path: { id: event.id } },
        body: { item_id: String(f.get('item_id') ?? ''), quantity: Number(f.get('quantity') || 1) },
      })),
    onSuccess: done,
  });
  const kit = useMutation({
    mutationFn: async () => unwrap(await api.POST('/api/v1/schedule/events/{id}/reservations/kit', { params: { path: { id: event.id } } })),
    onSuccess: done,
  });
  const release = useMutation({
    mutationFn: async (reservation: string) =>
      unwrap(await api.DELETE('/api/v1/schedule/events/{id}/reservations/{reservation_id}', { params: { path: { id: event.id, reservation_id: reservation } } })),
    onSuccess: done,
  });
  const failure = [reserve.error, kit.error].find((e) => e instanceof ApiProblem) as ApiProblem | undefined;
  const { byField } = fieldErrors(reserve.error instanceof ApiProblem ? reserve.error.problem : undefined, ['item_id', 'quantity']);
  return (
    <section aria-labelledby="reservations-h" className="mt-3">
      <h4 id="reservations-h" className="mb-1 font-medium">{m.scheduleScreen.reservations}</h4>
      <ProblemMessage error={list.error} />
      {list.isPending ? <Loading /> : (list.data ?? []).length === 0 ? <p className="text-sm text-stone-500">{m.scheduleScreen.noReservations}</p> : (
        <ul className="divide-y divide-stone-100 text-sm">
          {(list.data ?? []).map((r) => (
            <li key={r.id} data-testid="reservation" className="flex flex-wrap items-center gap-2 py-1">
              <span className="font-mono text-xs">{r.inventory_number}</span>
              <span>{r.item_name}</span>
              <span className="text-stone-500">× {number(r.quantity)}</span>
              {r.from_kit && <Badge tone="blue">{m.scheduleScreen.fromKit}</Badge>}
              {edit && <Button kind="plain" className="ml-auto" disabled={release.isPending} onClick={() => release.mutate(r.id)}>{m.scheduleScreen.release}</Button>}
            </li>
          ))}
        </ul>
      )}
      <ProblemMessage error={release.error} />
      {edit && (
        <div className="mt-2 space-y-2">
          {event.performance_id && (
            <Button kind="plain" disabled={kit.isPending} onClick={() => { reserve.reset(); kit.mutate(); }} data-testid="reserve-kit">{m.scheduleScreen.reserveKit}</Button>
          )}
          {can('inventory:view') && (
            <form className="grid gap-2" data-testid="reserve-item" onSubmit={(e: FormEvent<HTMLFormElement>) => { e.preventDefault(); kit.reset(); reserve.mutate(new FormData(e.currentTarget)); }}>
              <Field label={m.scheduleScreen.itemSearch}><Input value={q} onChange={(e) => setQ(e.target.value)} placeholder="…" /></Field>
              <Field label={m.scheduleScreen.item} error={byField.item_id}>
                <Select name="item_id" required>
                  <option value="">—</option>
                  {(items.data ?? []).map((it) => <option key={it.id} value={it.id}>{it.inventory_number} {it.name}</option>)}
                </Select>
              </Field>
              <Field label={m.scheduleScreen.quantity} error={byField.quantity}><Input name="quantity" type="number" min={1} defaultValue={1} className="w-20" /></Field>
              <div><Button type="submit" disabled={reserve.isPending}>{m.scheduleScreen.reserveItem}</Button></div>
            </form>
          )}
          {failure && failure.status === 409 ? <ItemRefusal problem={failure.problem} /> : !Object.keys(byField).length && <ProblemMessage error={reserve.error ?? kit.error} />}
        </div>
      )}
    </section>
  );
}

function Participants({ event }: { event: EventView }) {
  const { m } = useI18n();
  const me = useSession((s) => s.user?.id);
  const list = useParticipants(event.id);
  const people = list.data?.items ?? [];
  const mine = ownInvitation(people, me);
  const tone = { confirmed: 'green', declined: 'red', tentative: 'amber', invited: 'stone' } as const;
  const client = useQueryClient();
  const uninvite = useMutation({
    mutationFn: async (participantId: string) =>
      unwrap(await api.DELETE('/api/v1/schedule/events/{id}/participants/{participant_id}', { params: { path: { id: event.id, participant_id: participantId } } })),
    onSuccess: () => client.invalidateQueries({ queryKey: ['schedule', 'participants', event.id] }),
  });
  return (
    <section aria-labelledby="participants-h" className="mt-3">
      <h4 id="participants-h" className="mb-1 font-medium">{m.scheduleScreen.participants}</h4>
      <ProblemMessage error={list.error} />
      {mine && <div className="mb-2"><RsvpButtons eventId={event.id} mine={mine} /></div>}
      {list.isPending ? <Loading /> : people.length === 0 ? <p className="text-sm text-stone-500">{m.scheduleScreen.noParticipants}</p> : (
        <ul className="text-sm">
          {people.map((p) => (
            <li key={p.id} data-testid="participant" data-user={p.user_id} className="flex items-center gap-2 py-0.5">
              <span>{p.first_name} {p.last_name}</span>
              <span className="text-stone-500">{m.participantRole[p.role]}</span>
              <span className="ml-auto" data-testid="participant-answer"><Badge tone={tone[p.answer]}>{m.answer[p.answer]}</Badge></span>
              <Gate need="schedule:edit">
                <Button kind="plain" className="text-xs" aria-label={`${m.scheduleScreen.uninvite}: ${p.first_name} ${p.last_name}`} disabled={uninvite.isPending} onClick={() => uninvite.mutate(p.id)}>×</Button>
              </Gate>
            </li>
          ))}
        </ul>
      )}
      <Gate need="schedule:edit"><Invite eventId={event.id} invited={people.map((p) => p.user_id)} /></Gate>
      {(list.data?.warnings ?? []).length > 0 && (
        <div className="mt-1 text-xs text-amber-800">
          {m.scheduleScreen.warnings}: {(list.data?.warnings ?? []).map((w) => w.title).join(', ')}
        </div>
      )}
    </section>
  );
}

const ROLES = ['performer', 'technician', 'manager', 'guest', 'other'] as const;

/** Invites one of the theatre's people (listing them needs `users:view`); their clashes come back as warnings. */
function Invite({ eventId, invited }: { eventId: string; invited: string[] }) {
  const { m } = useI18n();
  const can = useCan();
  const client = useQueryClient();
  const users = useQuery({
    queryKey: ['users', 'staff'],
    enabled: can('users:view'),
    staleTime: 300_000,
    queryFn: async () => unwrap(await api.GET('/api/v1/users', { params: { query: { limit: 200, is_active: true } } })).items,
  });
  const [warned, setWarned] = useState<string[]>([]);
  const invite = useMutation({
    mutationFn: async (f: FormData) =>
      unwrap(await api.POST('/api/v1/schedule/events/{id}/participants', {
        params: { path: { id: eventId } },
        body: { user_id: String(f.get('user_id') ?? ''), role: String(f.get('role')) as (typeof ROLES)[number] },
      })),
    onSuccess: async (r) => {
      setWarned(r.warnings.map((w) => w.title));
      await client.invalidateQueries({ queryKey: ['schedule', 'participants', eventId] });
    },
  });
  if (!can('users:view')) return null;
  const candidates = (users.data ?? []).filter((u) => !invited.includes(u.id));
  const { byField } = fieldErrors(invite.error instanceof ApiProblem ? invite.error.problem : undefined, ['user_id', 'role']);
  return (
    <form data-testid="invite-form" className="mt-2 flex flex-wrap items-end gap-2" onSubmit={(e: FormEvent<HTMLFormElement>) => { e.preventDefault(); invite.mutate(new FormData(e.currentTarget)); }}>
      <Field label={m.scheduleScreen.invitePerson} error={byField.user_id}>
        <Select name="user_id" defaultValue="" required>
          <option value="">—</option>
          {candidates.map((u) => <option key={u.id} value={u.id}>{u.first_name} {u.last_name}</option>)}
        </Select>
      </Field>
      <Field label={m.scheduleScreen.inviteRole} error={byField.role}>
        <Select name="role" defaultValue="other">{ROLES.map((r) => <option key={r} value={r}>{m.participantRole[r]}</option>)}</Select>
      </Field>
      <Button type="submit" disabled={invite.isPending}>{m.scheduleScreen.invite}</Button>
      {warned.length > 0 && <p role="status" className="w-full text-xs text-amber-800">{m.scheduleScreen.busyElsewhere}: {warned.join(', ')}</p>}
      {!Object.keys(byField).length && <div className="w-full"><ProblemMessage error={invite.error} /></div>}
    </form>
  );
}

export function EventPanel({ eventId, onClose }: { eventId: string; onClose: () => void }) {
  const { m, label, dateTime, time } = useI18n();
  const venues = useVenues().data ?? [];
  const [editing, setEditing] = useState(false);
  const panel = useRef<HTMLElement>(null);
  // On a phone the panel comes below the day's list: bring it into view.
  useEffect(() => {
    // (A block body: Chromium's scrollIntoView returns a promise, which React would take for a cleanup.)
    panel.current?.scrollIntoView?.({ block: 'nearest' });
  }, []);
  const event = useQuery({
    queryKey: ['schedule', 'events', 'one', eventId],
    queryFn: async () => unwrap(await api.GET('/api/v1/schedule/events/{id}', { params: { path: { id: eventId } } })),
  });
  const e = event.data;
  return (
    <aside ref={panel} aria-label={e?.title ?? m.scheduleScreen.open} data-testid="event-panel" className="rounded-lg border border-stone-300 bg-white p-3 shadow-md">
      <div className="mb-2 flex items-start gap-2">
        <h3 className="text-base font-semibold" data-testid="event-panel-title">{e?.title ?? '…'}</h3>
        <Button kind="plain" className="ml-auto" onClick={onClose} aria-label={m.scheduleScreen.close}>×</Button>
      </div>
      <ProblemMessage error={event.error} />
      {event.isPending ? <Loading /> : e && (
        <>
          <dl className="grid grid-cols-[auto_1fr] gap-x-3 gap-y-1 text-sm">
            <dt className="text-stone-500">{m.schedule.kind}</dt><dd>{label('eventKind', e.kind)}</dd>
            <dt className="text-stone-500">{m.schedule.venue}</dt><dd data-testid="event-panel-venue">{venues.find((v) => v.id === e.venue_id)?.name ?? '—'}</dd>
            <dt className="text-stone-500">{m.scheduleScreen.time}</dt>
            <dd data-testid="event-panel-time">{dateTime(e.starts_at)}–{time(e.ends_at)}{e.series_id && <> <Badge tone="blue">{m.scheduleScreen.series}</Badge></>}</dd>
            <dt className="text-stone-500">{m.scheduleScreen.status}</dt><dd>{m.eventStatus[e.status]}</dd>
            {e.performance_id && (
              <Gate need="performance:view">
                <dt className="text-stone-500">{m.scheduleScreen.performance}</dt>
                <dd><Link className="text-amber-800 underline" to={`/performances/${e.performance_id}`}>{m.scheduleScreen.open} →</Link></dd>
              </Gate>
            )}
            {e.description && <><dt className="text-stone-500">…</dt><dd className="whitespace-pre-wrap">{e.description}</dd></>}
          </dl>
          <Gate need="schedule:edit">
            <div className="mt-3 flex flex-wrap gap-2">
              {!editing && <Button kind="plain" onClick={() => setEditing(true)} data-testid="event-edit-open">{m.app.edit}</Button>}
              {!editing && <DeleteEvent event={e} onDeleted={onClose} />}
            </div>
            {editing && <div className="mt-2"><EditEvent event={e} onDone={() => setEditing(false)} /></div>}
          </Gate>
          <Participants event={e} />
          <Reservations event={e} />
        </>
      )}
    </aside>
  );
}
