// Acts and scenes: listed by act and number, added, edited, moved up or down within the act.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api, type Schemas } from '../../api/client';
import { Gate } from '../../components/Gate';
import { Button, Card, Empty, Field, Input, Loading, ProblemMessage } from '../../components/ui';
import { useI18n } from '../../i18n';
import { ifMatch, sceneSwapPlan } from '../../lib/performance';
import { unwrap } from '../../lib/problem';
import { CardProblem, formErrors, OtherErrors } from './common';

type Scene = Schemas['SceneView'];
const FIELDS = ['act_number', 'scene_number', 'title', 'duration_minutes', 'description'] as const;

export function ScenesTab({ id }: { id: string }) {
  const { m } = useI18n();
  const client = useQueryClient();
  const scenes = useQuery({
    queryKey: ['performances', id, 'scenes'],
    queryFn: async () => unwrap(await api.GET('/api/v1/performances/{id}/scenes', { params: { path: { id }, query: { limit: 200 } } })).items,
  });
  const [editing, setEditing] = useState<string | null>(null);
  const invalidate = () => client.invalidateQueries({ queryKey: ['performances', id] });
  const remove = useMutation({
    mutationFn: async (sceneId: string) => unwrap(await api.DELETE('/api/v1/performances/{id}/scenes/{scene_id}', { params: { path: { id, scene_id: sceneId } } })),
    onSettled: invalidate,
  });
  // Two scenes of an act swap places through a free number: their numbers are unique per act.
  const swap = useMutation({
    mutationFn: async ({ a, b }: { a: Scene; b: Scene }) => {
      const taken = (scenes.data ?? []).filter((s) => s.act_number === a.act_number).map((s) => s.scene_number);
      const versions = new Map([[a.id, a.version], [b.id, b.version]]);
      for (const step of sceneSwapPlan(a, b, taken)) {
        const updated = unwrap(await api.PATCH('/api/v1/performances/{id}/scenes/{scene_id}', {
          params: { path: { id, scene_id: step.id }, header: ifMatch(versions.get(step.id)!) },
          body: { scene_number: step.scene_number },
        }));
        versions.set(step.id, updated.version);
      }
    },
    onSettled: invalidate,
  });
  const list = scenes.data ?? [];
  return (
    <Card title={m.perfCard.tabScenes}>
      <Gate need="performance:edit"><SceneForm performanceId={id} onDone={() => undefined} /></Gate>
      <CardProblem error={remove.error ?? swap.error} performanceId={id} />
      {scenes.isPending ? <Loading /> : scenes.error ? <ProblemMessage error={scenes.error} /> : list.length === 0 ? <Empty /> : (
        <ol className="divide-y divide-stone-100 text-sm">
          {list.map((s, i) => {
            const prev = list[i - 1]?.act_number === s.act_number ? list[i - 1] : null;
            const next = list[i + 1]?.act_number === s.act_number ? list[i + 1] : null;
            return (
              <li key={s.id} data-testid="scene-row" className="py-2">
                {editing === s.id ? (
                  <SceneForm key={s.version} performanceId={id} scene={s} onDone={() => setEditing(null)} />
                ) : (
                  <div className="flex flex-wrap items-center gap-2">
                    <span className="font-mono text-xs">{s.act_number}.{s.scene_number}</span>
                    <span className="font-medium">{s.title}</span>
                    {s.duration_minutes != null && <span className="text-stone-500">{s.duration_minutes} {m.perfCard.minutes}</span>}
                    {s.description && <span className="w-full whitespace-pre-wrap text-stone-600">{s.description}</span>}
                    <Gate need="performance:edit">
                      <span className="ml-auto flex gap-1">
                        <Button kind="plain" className="text-xs" disabled={!prev || swap.isPending} onClick={() => prev && swap.mutate({ a: s, b: prev })} aria-label={`${m.perfCard.moveUp}: ${s.title}`}>↑</Button>
                        <Button kind="plain" className="text-xs" disabled={!next || swap.isPending} onClick={() => next && swap.mutate({ a: s, b: next })} aria-label={`${m.perfCard.moveDown}: ${s.title}`}>↓</Button>
                        <Button kind="plain" className="text-xs" onClick={() => setEditing(s.id)}>{m.app.edit}</Button>
                        <Button kind="plain" className="text-xs" disabled={remove.isPending} onClick={() => remove.mutate(s.id)}>{m.perfCard.remove}</Button>
                      </span>
                    </Gate>
                  </div>
                )}
              </li>
            );
          })}
        </ol>
      )}
    </Card>
  );
}

function SceneForm({ performanceId, scene, onDone }: { performanceId: string; scene?: Scene; onDone: () => void }) {
  const { m } = useI18n();
  const client = useQueryClient();
  const [formKey, setFormKey] = useState(0);
  const save = useMutation({
    mutationFn: async (f: FormData) => {
      const text = (k: string) => ((f.get(k) as string | null) ?? '').trim();
      const int = (k: string) => (text(k) ? Number(text(k)) : null);
      const fields = { act_number: int('act_number') ?? 1, scene_number: int('scene_number'), title: text('title'), duration_minutes: int('duration_minutes'), description: text('description') || null };
      if (scene) {
        return unwrap(await api.PATCH('/api/v1/performances/{id}/scenes/{scene_id}', {
          params: { path: { id: performanceId, scene_id: scene.id }, header: ifMatch(scene.version) },
          body: fields,
        }));
      }
      return unwrap(await api.POST('/api/v1/performances/{id}/scenes', { params: { path: { id: performanceId } }, body: fields }));
    },
    onSuccess: async () => {
      setFormKey((k) => k + 1);
      await client.invalidateQueries({ queryKey: ['performances', performanceId] });
      onDone();
    },
  });
  const { byField, other, whole } = formErrors(save.error, FIELDS);
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    save.mutate(new FormData(e.currentTarget));
  };
  const form = (
    <form key={formKey} onSubmit={submit} noValidate className="mt-2 grid grid-cols-2 gap-2 sm:grid-cols-4">
      <Field label={m.perfCard.act} error={byField.act_number}><Input name="act_number" type="number" min={1} max={20} defaultValue={scene?.act_number ?? 1} aria-invalid={!!byField.act_number} /></Field>
      <Field label={m.perfCard.scene} error={byField.scene_number}><Input name="scene_number" type="number" min={1} max={200} defaultValue={scene?.scene_number ?? ''} aria-invalid={!!byField.scene_number} /></Field>
      <div className="col-span-2"><Field label={m.perfCard.sceneTitle} error={byField.title}><Input name="title" defaultValue={scene?.title ?? ''} aria-invalid={!!byField.title} /></Field></div>
      <Field label={m.perfCard.minutes} error={byField.duration_minutes}><Input name="duration_minutes" type="number" min={1} defaultValue={scene?.duration_minutes ?? ''} /></Field>
      <div className="col-span-2 sm:col-span-3"><Field label={m.perfCard.description} error={byField.description}><Input name="description" defaultValue={scene?.description ?? ''} /></Field></div>
      <div className="col-span-2 sm:col-span-4">
        <OtherErrors other={other} />
        <CardProblem error={whole} performanceId={performanceId} />
        <div className="flex gap-2">
          <Button type="submit" disabled={save.isPending}>{scene ? m.app.save : m.perfCard.addScene}</Button>
          {scene && <Button kind="plain" onClick={onDone}>{m.app.cancel}</Button>}
        </div>
      </div>
    </form>
  );
  if (scene) return form;
  return (
    <details className="mb-3 rounded border border-stone-200 p-2">
      <summary className="cursor-pointer text-sm font-medium">{m.perfCard.addScene}</summary>
      {form}
    </details>
  );
}
