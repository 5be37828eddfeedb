// An item's card: its data, photos, movement history, and the movements its status and the
// user's permissions allow (lib/permissions.ts); a refused movement shows the API's problem.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link, useParams } from 'react-router';
import { api, authFetch } from '../api/client';
import { Gate } from '../components/Gate';
import { Badge, Button, Card, Empty, Field, Input, Loading, ProblemMessage, Select } from '../components/ui';
import { useI18n } from '../i18n';
import { offeredMovements, type ItemStatus, type MovementKind } from '../lib/permissions';
import { unwrap } from '../lib/problem';
import { statusTone } from '../lib/tones';
import { useSession } from '../session/store';
import { useTrees } from './InventoryList';

const inAWeek = () => {
  const d = new Date(Date.now() + 7 * 86400_000);
  return d.toISOString().slice(0, 10);
};

function MovementForm({ itemId, kind, onDone }: { itemId: string; kind: MovementKind; onDone: () => void }) {
  const { m, label } = useI18n();
  const me = useSession((s) => s.user);
  const { locations } = useTrees();
  const client = useQueryClient();
  const move = useMutation({
    mutationFn: async (form: FormData) => {
      const due = form.get('due_at') as string | null;
      const condition = ['return', 'repair_end'].includes(kind) ? (form.get('condition') as string) || null : null;
      const body = {
        kind,
        comment: (form.get('comment') as string) || null,
        holder_user_id: kind === 'issue' ? me?.id ?? null : null,
        holder_performance_id: null,
        holder_event_id: null,
        due_at: kind === 'issue' && due ? new Date(`${due}T18:00:00`).toISOString() : null,
        to_location_id: kind === 'transfer' ? (form.get('to_location_id') as string) : null,
        condition,
        quantity: null,
      };
      return unwrap(await api.POST('/api/v1/inventory/items/{id}/movements', { params: { path: { id: itemId } }, body }));
    },
    onSuccess: async () => {
      await client.invalidateQueries({ queryKey: ['inventory'] });
      onDone();
    },
  });
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    move.mutate(new FormData(e.currentTarget));
  };
  return (
    <form onSubmit={submit} className="mt-3 space-y-2 rounded border border-amber-200 bg-amber-50 p-3" aria-label={label('movement', kind)}>
      <h3 className="font-medium">{label('movement', kind)}</h3>
      {kind === 'issue' && <Field label={m.inventory.due}><Input type="date" name="due_at" defaultValue={inAWeek()} /></Field>}
      {kind === 'transfer' && (
        <Field label={m.inventory.toLocation}>
          <Select name="to_location_id" required>{locations.map((l) => <option key={l.id} value={l.id}>{l.name}</option>)}</Select>
        </Field>
      )}
      {(kind === 'return' || kind === 'repair_end') && (
        <Field label={m.inventory.condition}>
          <Select name="condition" defaultValue="">
            <option value="">—</option>
            {['new', 'good', 'fair', 'poor', 'broken'].map((c) => <option key={c} value={c}>{label('condition', c)}</option>)}
          </Select>
        </Field>
      )}
      <Field label={m.inventory.comment}><Input name="comment" /></Field>
      <ProblemMessage error={move.error} />
      <div className="flex gap-2">
        <Button type="submit" data-testid="movement-submit" disabled={move.isPending}>{label('movement', kind)}</Button>
        <Button kind="plain" onClick={onDone}>{m.app.cancel}</Button>
      </div>
    </form>
  );
}

export default function ItemCard() {
  const { id = '' } = useParams();
  const { m, label, dateTime, date, number } = useI18n();
  const permissions = useSession((s) => s.permissions);
  const [kind, setKind] = useState<MovementKind | null>(null);
  const { categories, locations } = useTrees();
  const item = useQuery({
    queryKey: ['inventory', 'item', id],
    queryFn: async () => unwrap(await api.GET('/api/v1/inventory/items/{id}', { params: { path: { id } } })),
  });
  const history = useQuery({
    queryKey: ['inventory', 'item', id, 'movements'],
    queryFn: async () => unwrap(await api.GET('/api/v1/inventory/items/{id}/movements', { params: { path: { id }, query: { limit: 100 } } })).items,
  });
  const photos = useQuery({
    queryKey: ['inventory', 'item', id, 'photos'],
    queryFn: async () => unwrap(await api.GET('/api/v1/inventory/items/{id}/photos', { params: { path: { id } } })),
  });
  // The label's QR code (an authenticated image: fetched, then shown from a blob URL).
  const qr = useQuery({
    queryKey: ['inventory', 'item', id, 'qr'],
    staleTime: Infinity,
    queryFn: async () => {
      const res = await authFetch(new Request(new URL(`/api/v1/inventory/items/${id}/qr.svg`, window.location.origin)));
      return res.ok ? URL.createObjectURL(await res.blob()) : null;
    },
  });
  if (item.isPending) return <Loading />;
  if (item.error) return <ProblemMessage error={item.error} />;
  const it = item.data;
  const names = new Map([...categories, ...locations].map((n) => [n.id, n.name]));
  const offered = offeredMovements(it.status as ItemStatus, permissions);
  const photoList = (Array.isArray(photos.data) ? photos.data : (photos.data as { items?: unknown[] } | undefined)?.items ?? []) as { id: string; url?: string | null; filename: string }[];
  return (
    <div className="grid gap-4 lg:grid-cols-3">
      <div className="lg:col-span-2">
        <Card
          title={<span>{it.name} <span className="font-mono text-sm text-stone-500">{it.inventory_number}</span></span>}
          actions={<Gate need="inventory:edit"><Link className="text-sm text-amber-800 underline" to={`/inventory/${id}/edit`}>{m.app.edit}</Link></Gate>}
        >
          <dl className="grid grid-cols-2 gap-x-4 gap-y-1 text-sm sm:grid-cols-3">
            <dt className="text-stone-500">{m.inventory.status}</dt>
            <dd className="sm:col-span-2"><Badge tone={statusTone(it.status)}><span data-testid="item-status">{label('status', it.status)}</span></Badge>{it.due_at && <span className="ml-2 text-stone-600">{m.inventory.due}: {date(it.due_at)}</span>}</dd>
            <dt className="text-stone-500">{m.inventory.category}</dt><dd className="sm:col-span-2">{names.get(it.category_id) ?? it.category_code}</dd>
            <dt className="text-stone-500">{m.inventory.location}</dt><dd className="sm:col-span-2">{it.location_id ? names.get(it.location_id) ?? it.location_code : '—'}</dd>
            <dt className="text-stone-500">{m.inventory.condition}</dt><dd className="sm:col-span-2">{label('condition', it.condition)}</dd>
            <dt className="text-stone-500">{m.inventory.quantity}</dt><dd className="sm:col-span-2">{number(it.quantity)}</dd>
            {it.purchase_price && <><dt className="text-stone-500">{m.inventory.purchasePrice}</dt><dd className="sm:col-span-2">{number(Number(it.purchase_price), 2)} ₽</dd></>}
            {it.tags.length > 0 && <><dt className="text-stone-500">{m.inventory.tags}</dt><dd className="sm:col-span-2">{it.tags.map((t) => <Badge key={t}>{t}</Badge>)}</dd></>}
          </dl>
          {it.description && <p className="mt-2 text-sm text-stone-700">{it.description}</p>}
          {offered.length > 0 && (
            <div className="mt-4 flex flex-wrap gap-2" aria-label={m.inventory.actions}>
              {offered.map((k) => (
                <Button key={k} kind={k === 'write_off' ? 'danger' : 'plain'} data-action={k} onClick={() => setKind(k)}>{label('movement', k)}</Button>
              ))}
            </div>
          )}
          {kind && <MovementForm key={kind} itemId={id} kind={kind} onDone={() => setKind(null)} />}
        </Card>
        <Card title={m.inventory.history}>
          {history.isPending ? <Loading /> : (history.data ?? []).length === 0 ? <Empty /> : (
            <ol className="space-y-1 text-sm">
              {history.data!.map((mv) => (
                <li key={mv.id} data-testid="movement-row" className="flex flex-wrap gap-x-2 border-b border-stone-100 py-1">
                  <span className="text-stone-500">{dateTime(mv.created_at)}</span>
                  <span className="font-medium">{label('movementLog', mv.kind)}</span>
                  <span>→ {label('status', mv.to_status)}</span>
                  {mv.to_location_id && <span className="text-stone-600">{names.get(mv.to_location_id)}</span>}
                  {mv.comment && <span className="text-stone-600">«{mv.comment}»</span>}
                </li>
              ))}
            </ol>
          )}
        </Card>
      </div>
      <div>
        <Card title={m.inventory.photos}>
          {photoList.length === 0 ? <Empty /> : (
            <div className="grid grid-cols-2 gap-2">
              {photoList.map((p) => p.url && <img key={p.id} src={p.url} alt={p.filename} className="rounded border" loading="lazy" />)}
            </div>
          )}
        </Card>
        <Card title={m.inventory.label}>
          {qr.data ? <img src={qr.data} alt={`QR ${it.inventory_number}`} className="mx-auto w-40" /> : <Empty />}
          <p className="text-center font-mono text-xs">{it.inventory_number}</p>
        </Card>
      </div>
    </div>
  );
}
