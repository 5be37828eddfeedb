// Cast and crew: who plays or does what, double casts and understudies; editors add and remove.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api, type Schemas } from '../../api/client';
import { Gate } from '../../components/Gate';
import { Badge, Button, Card, Empty, Field, Input, Loading, ProblemMessage, Select } from '../../components/ui';
import { useI18n } from '../../i18n';
import { unwrap } from '../../lib/problem';
import { CardProblem, formErrors, OtherErrors, useStaff } from './common';

const FIELDS = ['role_name', 'user_id', 'person_name', 'kind', 'cast_order', 'is_understudy'] as const;

export function CastTab({ id }: { id: string }) {
  const { m } = useI18n();
  const client = useQueryClient();
  const cast = useQuery({
    queryKey: ['performances', id, 'cast'],
    queryFn: async () => unwrap(await api.GET('/api/v1/performances/{id}/cast', { params: { path: { id }, query: { limit: 200 } } })).items,
  });
  const remove = useMutation({
    mutationFn: async (castId: string) => unwrap(await api.DELETE('/api/v1/performances/{id}/cast/{cast_id}', { params: { path: { id, cast_id: castId } } })),
    onSettled: () => client.invalidateQueries({ queryKey: ['performances', id] }),
  });
  const groups: Schemas['CastKind'][] = ['cast', 'crew'];
  return (
    <Card title={m.perfCard.tabCast}>
      <Gate need="performance:edit"><AddCastMember performanceId={id} /></Gate>
      <CardProblem error={remove.error} performanceId={id} />
      {cast.isPending ? <Loading /> : cast.error ? <ProblemMessage error={cast.error} /> : cast.data.length === 0 ? <Empty /> : groups.map((kind) => {
        const rows = cast.data.filter((c) => c.kind === kind);
        if (rows.length === 0) return null;
        return (
          <section key={kind} className="mt-2">
            <h3 className="text-sm font-semibold text-stone-700">{m.perfCard.castKind[kind]}</h3>
            <ul className="divide-y divide-stone-100 text-sm">
              {rows.map((c) => (
                <li key={c.id} data-testid="cast-row" className="flex flex-wrap items-center gap-2 py-1">
                  <span className="font-medium">{c.role_name}</span>
                  <span>— {c.display_name}</span>
                  {c.cast_order > 1 && <Badge>{m.perfCard.castOrder} {c.cast_order}</Badge>}
                  {c.is_understudy && <Badge tone="blue">{m.perfCard.understudy}</Badge>}
                  <Gate need="performance:edit">
                    <Button kind="plain" className="ml-auto text-xs" disabled={remove.isPending} onClick={() => remove.mutate(c.id)} aria-label={`${m.perfCard.remove}: ${c.role_name}`}>{m.perfCard.remove}</Button>
                  </Gate>
                </li>
              ))}
            </ul>
          </section>
        );
      })}
    </Card>
  );
}

function AddCastMember({ performanceId }: { performanceId: string }) {
  const { m } = useI18n();
  const client = useQueryClient();
  const staff = useStaff();
  const [formKey, setFormKey] = useState(0);
  const add = useMutation({
    mutationFn: async (f: FormData) => {
      const text = (k: string) => ((f.get(k) as string | null) ?? '').trim();
      return unwrap(await api.POST('/api/v1/performances/{id}/cast', {
        params: { path: { id: performanceId } },
        body: {
          role_name: text('role_name'),
          kind: (text('kind') || 'cast') as Schemas['CastKind'],
          user_id: text('user_id') || null,
          person_name: text('person_name') || null,
          cast_order: text('cast_order') ? Number(text('cast_order')) : null,
          is_understudy: f.get('is_understudy') === 'on',
          note: null,
          sort_order: null,
        },
      }));
    },
    onSuccess: async () => {
      setFormKey((k) => k + 1);
      await client.invalidateQueries({ queryKey: ['performances', performanceId] });
    },
  });
  const { byField, other, whole } = formErrors(add.error, FIELDS);
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    add.mutate(new FormData(e.currentTarget));
  };
  return (
    <details className="mb-3 rounded border border-stone-200 p-2">
      <summary className="cursor-pointer text-sm font-medium">{m.perfCard.addPerson}</summary>
      <form key={formKey} onSubmit={submit} noValidate data-testid="cast-form" className="mt-2 grid grid-cols-1 gap-2 sm:grid-cols-2">
        <Field label={m.perfCard.role} error={byField.role_name}><Input name="role_name" aria-invalid={!!byField.role_name} /></Field>
        <Field label={m.perfCard.kind} error={byField.kind}>
          <Select name="kind" defaultValue="cast">
            <option value="cast">{m.perfCard.castKind.cast}</option>
            <option value="crew">{m.perfCard.castKind.crew}</option>
          </Select>
        </Field>
        {staff.canList && (
          <Field label={m.perfCard.person} error={byField.user_id}>
            <Select name="user_id" defaultValue="">
              <option value="">—</option>
              {staff.list.map((u) => <option key={u.id} value={u.id}>{u.first_name} {u.last_name}</option>)}
            </Select>
          </Field>
        )}
        <Field label={m.perfCard.outsider} error={byField.person_name}><Input name="person_name" aria-invalid={!!byField.person_name} /></Field>
        <Field label={m.perfCard.castOrder} error={byField.cast_order}><Input name="cast_order" type="number" min={1} defaultValue={1} /></Field>
        <label className="flex items-center gap-2 self-end text-sm"><input type="checkbox" name="is_understudy" /> {m.perfCard.understudy}</label>
        <div className="sm:col-span-2">
          <OtherErrors other={other} />
          <CardProblem error={whole} performanceId={performanceId} />
          <Button type="submit" disabled={add.isPending}>{m.perfCard.addPerson}</Button>
        </div>
      </form>
    </details>
  );
}
