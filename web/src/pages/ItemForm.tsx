// Create or edit an item; the API's validation errors appear on the fields they name.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useNavigate, useParams } from 'react-router';
import { api } from '../api/client';
import { Button, Card, Field, Input, Loading, ProblemMessage, Select } from '../components/ui';
import { useI18n } from '../i18n';
import { ApiProblem, fieldErrors, unwrap } from '../lib/problem';
import { useTrees } from './InventoryList';

const FIELDS = ['name', 'inventory_number', 'category_id', 'location_id', 'condition', 'quantity', 'description', 'purchase_price', 'tags'] as const;

export default function ItemForm() {
  const { id } = useParams();
  const { m, label } = useI18n();
  const navigate = useNavigate();
  const client = useQueryClient();
  const { categories, locations } = useTrees();
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const existing = useQuery({
    queryKey: ['inventory', 'item', id],
    enabled: !!id,
    queryFn: async () => unwrap(await api.GET('/api/v1/inventory/items/{id}', { params: { path: { id: id! } } })),
  });
  const save = useMutation({
    mutationFn: async (f: FormData) => {
      const text = (k: string) => ((f.get(k) as string) ?? '').trim();
      const opt = (k: string) => text(k) || null;
      const tags = text('tags').split(',').map((t) => t.trim()).filter(Boolean);
      const quantity = text('quantity') ? Number(text('quantity')) : null;
      if (id && existing.data) {
        return unwrap(await api.PATCH('/api/v1/inventory/items/{id}', {
          params: { path: { id }, header: { 'If-Match': `"${existing.data.version}"` } as never },
          body: { name: text('name'), description: opt('description'), category_id: text('category_id'), condition: opt('condition'), purchase_price: opt('purchase_price'), tags } as never,
        }));
      }
      return unwrap(await api.POST('/api/v1/inventory/items', {
        body: {
          name: text('name'), inventory_number: opt('inventory_number'), category_id: opt('category_id'), location_id: opt('location_id'),
          condition: opt('condition'), quantity, description: opt('description'), purchase_price: opt('purchase_price'), tags, performance_ids: [],
          comment: null, current_value: null, depth_cm: null, height_cm: null, width_cm: null, weight_kg: null, purchase_date: null, warranty_until: null, supplier: null,
        },
      }));
    },
    onSuccess: async (item) => {
      await client.invalidateQueries({ queryKey: ['inventory'] });
      navigate(`/inventory/${item.id}`);
    },
    onError: (e) => setProblem(e instanceof ApiProblem ? e : null),
  });
  if (id && existing.isPending) return <Loading />;
  const it = existing.data;
  const { byField, other } = fieldErrors(problem?.problem, FIELDS);
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    setProblem(null);
    save.mutate(new FormData(e.currentTarget));
  };
  const err = (k: (typeof FIELDS)[number]) => ({ error: byField[k] });
  return (
    <Card title={id ? `${m.app.edit}: ${it?.name ?? ''}` : m.inventory.new}>
      <form onSubmit={submit} className="grid max-w-2xl grid-cols-1 gap-3 sm:grid-cols-2" noValidate>
        <Field label={m.inventory.name} {...err('name')}><Input name="name" defaultValue={it?.name} aria-invalid={!!byField.name} /></Field>
        {!id && <Field label={m.inventory.number} {...err('inventory_number')}><Input name="inventory_number" placeholder="PROPS-2026-00001" aria-invalid={!!byField.inventory_number} /></Field>}
        <Field label={m.inventory.category} {...err('category_id')}>
          <Select name="category_id" defaultValue={it?.category_id ?? ''} aria-invalid={!!byField.category_id}>
            <option value="">—</option>
            {categories.map((c) => <option key={c.id} value={c.id}>{c.name}</option>)}
          </Select>
        </Field>
        {!id && (
          <Field label={m.inventory.location} {...err('location_id')}>
            <Select name="location_id" defaultValue="">
              <option value="">—</option>
              {locations.map((l) => <option key={l.id} value={l.id}>{l.name}</option>)}
            </Select>
          </Field>
        )}
        <Field label={m.inventory.condition} {...err('condition')}>
          <Select name="condition" defaultValue={it?.condition ?? 'good'}>
            {['new', 'good', 'fair', 'poor', 'broken'].map((c) => <option key={c} value={c}>{label('condition', c)}</option>)}
          </Select>
        </Field>
        {!id && <Field label={m.inventory.quantity} {...err('quantity')}><Input name="quantity" type="number" min={1} defaultValue={1} aria-invalid={!!byField.quantity} /></Field>}
        <Field label={m.inventory.purchasePrice} {...err('purchase_price')}><Input name="purchase_price" inputMode="decimal" defaultValue={it?.purchase_price ?? ''} aria-invalid={!!byField.purchase_price} /></Field>
        <Field label={m.inventory.tags} {...err('tags')}><Input name="tags" defaultValue={it?.tags.join(', ')} /></Field>
        <div className="sm:col-span-2"><Field label={m.inventory.description} {...err('description')}><Input name="description" defaultValue={it?.description ?? ''} /></Field></div>
        <div className="sm:col-span-2">
          {other.length > 0 && <ul role="alert" className="mb-2 text-sm text-red-700">{other.map((o) => <li key={o}>{o}</li>)}</ul>}
          {save.error && !(problem?.problem.errors?.length) && <ProblemMessage error={save.error} />}
          <div className="flex gap-2">
            <Button type="submit" disabled={save.isPending}>{m.app.save}</Button>
            <Button kind="plain" onClick={() => navigate(-1)}>{m.app.cancel}</Button>
          </div>
        </div>
      </form>
    </Card>
  );
}
