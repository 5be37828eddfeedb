// What the performance card's tabs share: the problem message that turns a 412 (someone else
// changed it since it was read) into "reload", the staff names for people pickers and ticks, and
// a small form-error helper.
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../../api/client';
import { useCan } from '../../components/Gate';
import { Button, ProblemMessage } from '../../components/ui';
import { useI18n } from '../../i18n';
import { ApiProblem, fieldErrors, unwrap } from '../../lib/problem';
import { useSession } from '../../session/store';

/** A problem message; a stale `If-Match` (412) says so in words and offers to reload the card. */
export function CardProblem({ error, performanceId }: { error: unknown; performanceId: string }) {
  const { m } = useI18n();
  const client = useQueryClient();
  if (error instanceof ApiProblem && error.status === 412) {
    return (
      <div role="alert" data-testid="stale" className="my-2 flex flex-wrap items-center gap-2 rounded border border-amber-300 bg-amber-50 px-3 py-2 text-amber-900">
        <span>{m.perfCard.stale}</span>
        <Button kind="plain" onClick={() => client.invalidateQueries({ queryKey: ['performances', performanceId] })}>{m.perfCard.reload}</Button>
      </div>
    );
  }
  return <ProblemMessage error={error} />;
}

/** Field errors of a form's last failed save (the fields the API names), and the rest. */
export function formErrors(error: unknown, fields: readonly string[]) {
  const problem = error instanceof ApiProblem ? error : null;
  const { byField, other } = fieldErrors(problem?.problem, fields);
  // A problem without field errors is shown whole (a 409, a 412, a 403).
  const whole = error && !(problem?.problem.errors?.length) ? error : null;
  return { byField, other, whole };
}

export function OtherErrors({ other }: { other: string[] }) {
  if (other.length === 0) return null;
  return <ul role="alert" className="my-1 text-sm text-red-700">{other.map((o) => <li key={o}>{o}</li>)}</ul>;
}

/** The theatre's staff by id (only for users who may list users; others see the names the API gives). */
export function useStaff() {
  const can = useCan();
  const allowed = can('users:view');
  const me = useSession((s) => s.user);
  const users = useQuery({
    queryKey: ['users', 'staff'],
    enabled: allowed,
    staleTime: 60_000,
    queryFn: async () => unwrap(await api.GET('/api/v1/users', { params: { query: { limit: 200, is_active: true } } })).items,
  });
  const byId = new Map<string, string>((users.data ?? []).map((u) => [u.id, `${u.first_name} ${u.last_name}`.trim()]));
  if (me && !byId.has(me.id)) byId.set(me.id, `${me.first_name} ${me.last_name}`.trim());
  return { list: users.data ?? [], byId, canList: allowed, meId: me?.id ?? null };
}

/** Tabs that scroll sideways on a phone; arrow keys move between them. */
export function Tabs<T extends string>({ tabs, current, onChange, label }: { tabs: { key: T; title: string }[]; current: T; onChange: (t: T) => void; label: string }) {
  const move = (e: React.KeyboardEvent, i: number) => {
    const next = e.key === 'ArrowRight' ? i + 1 : e.key === 'ArrowLeft' ? i - 1 : null;
    if (next === null) return;
    const t = tabs[(next + tabs.length) % tabs.length];
    onChange(t.key);
    (e.currentTarget.parentElement?.querySelector(`[data-tab=${t.key}]`) as HTMLElement | null)?.focus();
  };
  return (
    <div role="tablist" aria-label={label} className="mb-3 flex gap-1 overflow-x-auto border-b border-stone-200">
      {tabs.map((t, i) => (
        <button
          key={t.key}
          type="button"
          role="tab"
          data-tab={t.key}
          aria-selected={t.key === current}
          tabIndex={t.key === current ? 0 : -1}
          onClick={() => onChange(t.key)}
          onKeyDown={(e) => move(e, i)}
          className={`whitespace-nowrap border-b-2 px-3 py-2 text-sm ${t.key === current ? 'border-amber-700 font-semibold text-amber-900' : 'border-transparent text-stone-600 hover:text-stone-900'}`}
        >
          {t.title}
        </button>
      ))}
    </div>
  );
}
