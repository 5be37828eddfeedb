// The production's kit list: inventory items with the quantity needed, shortages highlighted;
// editors search the inventory to add lines, change quantities, remove lines.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, type Schemas } from '../../api/client';
import { Gate, useCan } from '../../components/Gate';
import { Badge, Button, Card, Empty, Field, Input, Loading, ProblemMessage } from '../../components/ui';
import { useI18n } from '../../i18n';
import { ifMatch } from '../../lib/performance';
import { unwrap } from '../../lib/problem';
import { statusTone } from '../../lib/tones';
import { CardProblem, formErrors, OtherErrors } from './common';

type KitLine = Schemas['KitLineView'];

export function KitTab({ id }: { id: string }) {
  const { m, label, number } = useI18n();
  const client = useQueryClient();
  const kit = useQuery({
    queryKey: ['performances', id, 'kit'],
    queryFn: async () => unwrap(await api.GET('/api/v1/performances/{id}/kit', { params: { path: { id }, query: { limit: 200 } } })).items,
  });
  // Section codes shown by their titles (the passport tab's query, usually cached).
  const sections = useQuery({
    queryKey: ['performances', id, 'sections'],
    queryFn: async () => unwrap(await api.GET('/api/v1/performances/{id}/sections', { params: { path: { id }, query: { limit: 200 } } })).items,
  });
  const sectionTitle = new Map((sections.data ?? []).map((s) => [s.code, s.title]));
  const invalidate = () => client.invalidateQueries({ queryKey: ['performances', id] });
  const remove = useMutation({
    mutationFn: async (kitId: string) => unwrap(await api.DELETE('/api/v1/performances/{id}/kit/{kit_id}', { params: { path: { id, kit_id: kitId } } })),
    onSettled: invalidate,
  });
  const setQuantity = useMutation({
    mutationFn: async ({ line, quantity }: { line: KitLine; quantity: number }) =>
      unwrap(await api.PATCH('/api/v1/performances/{id}/kit/{kit_id}', { params: { path: { id, kit_id: line.id }, header: ifMatch(line.version) }, body: { quantity } })),
    onSettled: invalidate,
  });
  const mayEdit = useCan()('performance:edit');
  const lines = kit.data ?? [];
  const short = lines.filter((k) => !k.available).length;
  return (
    <Card title={m.performances.kit} actions={short > 0 ? <Badge tone="red">{m.performances.shortage}: {short}</Badge> : undefined}>
      <Gate need="performance:edit"><Gate need="inventory:view"><AddKitLine performanceId={id} /></Gate></Gate>
      <CardProblem error={remove.error ?? setQuantity.error} performanceId={id} />
      {kit.isPending ? <Loading /> : kit.error ? <ProblemMessage error={kit.error} /> : lines.length === 0 ? <Empty /> : (
        <ul className="divide-y divide-stone-100 text-sm">
          {lines.map((k) => (
            <li key={k.id} data-testid="kit-row" data-short={!k.available || undefined} className={`flex flex-wrap items-center gap-2 px-1 py-1 ${k.available ? '' : 'bg-red-50'}`}>
              <span className="font-mono text-xs">{k.item.inventory_number}</span>
              <span>{k.item.name}</span>
              <Badge tone={statusTone(k.item.status)}>{label('status', k.item.status)}</Badge>
              {k.section && <span className="text-xs text-stone-500">{sectionTitle.get(k.section) ?? k.section}</span>}
              {!k.available && <Badge tone="red">{m.perfCard.shortBy} {number(k.shortage)}</Badge>}
              <span className="ml-auto flex items-center gap-1">
                {mayEdit ? (
                  <>
                    <QuantityInput key={k.version} line={k} disabled={setQuantity.isPending} onSave={(quantity) => setQuantity.mutate({ line: k, quantity })} />
                    <Button kind="plain" className="text-xs" disabled={remove.isPending} onClick={() => remove.mutate(k.id)} aria-label={`${m.perfCard.remove}: ${k.item.name}`}>{m.perfCard.remove}</Button>
                  </>
                ) : <span className="text-xs text-stone-600">{m.perfCard.quantity}: × {number(k.quantity)}</span>}
              </span>
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}

function QuantityInput({ line, disabled, onSave }: { line: KitLine; disabled: boolean; onSave: (q: number) => void }) {
  const { m } = useI18n();
  const [value, setValue] = useState(String(line.quantity));
  const n = Number(value);
  const changed = Number.isInteger(n) && n >= 1 && n !== line.quantity;
  return (
    <form className="flex items-center gap-1" onSubmit={(e) => { e.preventDefault(); if (changed) onSave(n); }}>
      <Input aria-label={`${m.perfCard.quantity}: ${line.item.name}`} type="number" min={1} className="!w-20" value={value} onChange={(e) => setValue(e.target.value)} />
      {changed && <Button type="submit" kind="plain" className="text-xs" disabled={disabled}>{m.app.save}</Button>}
    </form>
  );
}

function AddKitLine({ performanceId }: { performanceId: string }) {
  const { m, label } = useI18n();
  const client = useQueryClient();
  const [q, setQ] = useState('');
  const [search, setSearch] = useState('');
  const [item, setItem] = useState<{ id: string; name: string; inventory_number: string } | null>(null);
  const [quantity, setQuantity] = useState('1');
  const found = useQuery({
    queryKey: ['inventory', 'pick', search],
    enabled: search.length > 0,
    queryFn: async () => unwrap(await api.GET('/api/v1/inventory/items', { params: { query: { q: search, limit: 10 } } })).items,
  });
  const add = useMutation({
    mutationFn: async () => unwrap(await api.POST('/api/v1/performances/{id}/kit', {
      params: { path: { id: performanceId } },
      body: { item_id: item?.id ?? null, quantity: Number(quantity) || 1, section: null, scene_id: null, cast_member_id: null, note: null },
    })),
    onSuccess: async () => {
      setItem(null);
      setQ('');
      setSearch('');
      setQuantity('1');
      await client.invalidateQueries({ queryKey: ['performances', performanceId] });
    },
  });
  const { byField, other, whole } = formErrors(add.error, ['item_id', 'quantity']);
  return (
    <details className="mb-3 rounded border border-stone-200 p-2">
      <summary className="cursor-pointer text-sm font-medium">{m.perfCard.addKit}</summary>
      <form className="mt-2 flex flex-wrap items-end gap-2" onSubmit={(e) => { e.preventDefault(); setItem(null); setSearch(q.trim()); }}>
        <div className="min-w-0 flex-1"><Field label={m.perfCard.searchItem} error={byField.item_id}><Input name="item_q" placeholder={m.perfCard.searchItemPlaceholder} value={q} onChange={(e) => setQ(e.target.value)} /></Field></div>
        <Button type="submit" kind="plain">{m.app.search}</Button>
      </form>
      <ProblemMessage error={found.error} />
      {search && !item && (found.isPending ? <Loading /> : (found.data ?? []).length === 0 ? <Empty /> : (
        <ul className="mt-2 divide-y divide-stone-100 text-sm">
          {found.data!.map((it) => (
            <li key={it.id}>
              <button type="button" data-testid="item-pick" className="flex w-full flex-wrap gap-2 py-1 text-left hover:bg-stone-50" onClick={() => setItem(it)}>
                <span className="font-mono text-xs">{it.inventory_number}</span><span>{it.name}</span><span className="text-xs text-stone-500">{label('status', it.status)}</span>
              </button>
            </li>
          ))}
        </ul>
      ))}
      {item && (
        <form className="mt-2 flex flex-wrap items-end gap-2" onSubmit={(e) => { e.preventDefault(); add.mutate(); }}>
          <p className="w-full text-sm"><span className="font-mono text-xs">{item.inventory_number}</span> {item.name}</p>
          <Field label={m.perfCard.quantity} error={byField.quantity}><Input name="quantity" type="number" min={1} className="!w-24" value={quantity} onChange={(e) => setQuantity(e.target.value)} aria-invalid={!!byField.quantity} /></Field>
          <Button type="submit" disabled={add.isPending}>{m.perfCard.addKit}</Button>
          <Button kind="plain" onClick={() => setItem(null)}>{m.app.cancel}</Button>
        </form>
      )}
      <OtherErrors other={other} />
      <CardProblem error={whole} performanceId={performanceId} />
    </details>
  );
}
