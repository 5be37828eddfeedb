import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { api } from '../api/client';
import { Gate } from '../components/Gate';
import { Badge, Button, Card, Empty, Loading, ProblemMessage } from '../components/ui';
import { useI18n } from '../i18n';
import { unwrap } from '../lib/problem';
import { statusTone } from '../lib/tones';
import { PerformanceForm } from './performance/PerformanceForm';

export default function Performances() {
  const { m, label, date } = useI18n();
  const navigate = useNavigate();
  const [creating, setCreating] = useState(false);
  const list = useQuery({
    queryKey: ['performances', 'list'],
    queryFn: async () => unwrap(await api.GET('/api/v1/performances', { params: { query: { limit: 200 } } })).items,
  });
  return (
    <>
      {creating && (
        <Card title={m.perfCard.newPerformance}>
          <PerformanceForm onDone={(p) => navigate(`/performances/${p.id}`)} onCancel={() => setCreating(false)} />
        </Card>
      )}
      <Card title={m.performances.title} actions={!creating && <Gate need="performance:create"><Button onClick={() => setCreating(true)}>{m.perfCard.newPerformance}</Button></Gate>}>
        <ProblemMessage error={list.error} />
        {list.isPending ? <Loading /> : (list.data ?? []).length === 0 ? <Empty /> : (
          <ul className="divide-y divide-stone-100">
            {list.data!.map((p) => (
              <li key={p.id} data-testid="performance-row" className="flex flex-wrap items-baseline gap-2 py-2">
                <Link to={`/performances/${p.id}`} className="font-medium text-amber-900 hover:underline">{p.title}</Link>
                <Badge tone={statusTone(p.status)}>{label('perfStatus', p.status)}</Badge>
                {p.director && <span className="text-sm text-stone-600">{m.performances.director}: {p.director}</span>}
                {p.premiere_date && <span className="text-sm text-stone-500">{m.performances.premiere}: {date(p.premiere_date)}</span>}
              </li>
            ))}
          </ul>
        )}
      </Card>
    </>
  );
}
