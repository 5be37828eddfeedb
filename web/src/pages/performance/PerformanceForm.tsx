// Create a production or edit its card's fields; the API's validation errors appear on the fields
// they name, a stale edit (412) asks to reload.
import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { FormEvent } from 'react';
import { api, type Schemas } from '../../api/client';
import { Button, Field, Input, Select } from '../../components/ui';
import { useI18n } from '../../i18n';
import { ifMatch } from '../../lib/performance';
import { unwrap } from '../../lib/problem';
import { CardProblem, formErrors, OtherErrors } from './common';

const FIELDS = ['title', 'subtitle', 'author', 'director', 'genre', 'age_rating', 'duration_minutes', 'intermissions', 'premiere_date', 'description'] as const;
const AGE_RATINGS: Schemas['AgeRating'][] = ['0+', '6+', '12+', '16+', '18+'];

type Performance = Schemas['PerformanceView'];

export function PerformanceForm({ existing, onDone, onCancel }: { existing?: Performance; onDone: (p: Performance) => void; onCancel: () => void }) {
  const { m } = useI18n();
  const client = useQueryClient();
  const save = useMutation({
    mutationFn: async (f: FormData) => {
      const text = (k: string) => ((f.get(k) as string | null) ?? '').trim();
      const opt = (k: string) => text(k) || null;
      const int = (k: string) => (text(k) ? Number(text(k)) : null);
      const fields = {
        title: text('title'),
        subtitle: opt('subtitle'),
        author: opt('author'),
        director: opt('director'),
        genre: opt('genre'),
        age_rating: (opt('age_rating') as Schemas['AgeRating'] | null),
        duration_minutes: int('duration_minutes'),
        intermissions: int('intermissions'),
        premiere_date: opt('premiere_date'),
        description: opt('description'),
      };
      if (existing) {
        return unwrap(await api.PATCH('/api/v1/performances/{id}', {
          params: { path: { id: existing.id }, header: ifMatch(existing.version) },
          body: fields,
        }));
      }
      return unwrap(await api.POST('/api/v1/performances', { body: fields }));
    },
    onSuccess: async (p) => {
      await client.invalidateQueries({ queryKey: ['performances'] });
      onDone(p);
    },
  });
  const { byField, other, whole } = formErrors(save.error, FIELDS);
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    save.mutate(new FormData(e.currentTarget));
  };
  const input = (name: (typeof FIELDS)[number], label: string, props: React.InputHTMLAttributes<HTMLInputElement> = {}) => (
    <Field label={label} error={byField[name]}>
      <Input name={name} aria-invalid={!!byField[name]} defaultValue={(existing?.[name] as string | number | null | undefined) ?? ''} {...props} />
    </Field>
  );
  return (
    <form onSubmit={submit} noValidate data-testid="performance-form" className="grid grid-cols-1 gap-3 sm:grid-cols-2">
      <div className="sm:col-span-2">{input('title', m.perfCard.titleField, { required: true })}</div>
      {input('subtitle', m.perfCard.subtitle)}
      {input('author', m.perfCard.author)}
      {input('director', m.performances.director)}
      {input('genre', m.perfCard.genre)}
      <Field label={m.perfCard.ageRating} error={byField.age_rating}>
        <Select name="age_rating" defaultValue={existing?.age_rating ?? ''} aria-invalid={!!byField.age_rating}>
          <option value="">—</option>
          {AGE_RATINGS.map((a) => <option key={a} value={a}>{a}</option>)}
        </Select>
      </Field>
      {input('premiere_date', m.performances.premiere, { type: 'date' })}
      {input('duration_minutes', m.perfCard.duration, { type: 'number', min: 1, max: 1440 })}
      {input('intermissions', m.perfCard.intermissions, { type: 'number', min: 0, max: 10 })}
      <div className="sm:col-span-2">
        <Field label={m.perfCard.description} error={byField.description}>
          <textarea name="description" rows={3} defaultValue={existing?.description ?? ''} aria-invalid={!!byField.description} className="w-full rounded border border-stone-300 px-2 py-1.5" />
        </Field>
      </div>
      <div className="sm:col-span-2">
        <OtherErrors other={other} />
        <CardProblem error={whole} performanceId={existing?.id ?? ''} />
        <div className="flex gap-2">
          <Button type="submit" disabled={save.isPending}>{existing ? m.app.save : m.app.create}</Button>
          <Button kind="plain" onClick={onCancel}>{m.app.cancel}</Button>
        </div>
      </div>
    </form>
  );
}
