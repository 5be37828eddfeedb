// "My events": what the signed-in user is invited to (and did not decline), with their answer.
import { useQuery } from '@tanstack/react-query';
import { api } from '../../api/client';
import { Button, Empty, Loading, ProblemMessage } from '../../components/ui';
import { useI18n } from '../../i18n';
import { unwrap } from '../../lib/problem';
import { useVenues } from './data';
import { MyRsvp } from './Rsvp';

export function MyEvents({ onOpen }: { onOpen: (id: string) => void }) {
  const { m, dateTime, time } = useI18n();
  const venues = useVenues().data ?? [];
  const mine = useQuery({
    queryKey: ['schedule', 'events', 'me'],
    queryFn: async () => unwrap(await api.GET('/api/v1/schedule/events/me', { params: { query: { limit: 10 } as never } })),
  });
  return (
    <section aria-labelledby="my-events-h" data-testid="my-events" className="mt-4">
      <h3 id="my-events-h" className="mb-2 font-semibold">{m.scheduleScreen.myEvents}</h3>
      <ProblemMessage error={mine.error} />
      {mine.isPending ? <Loading /> : (mine.data?.items ?? []).length === 0 ? <Empty>{m.scheduleScreen.noMyEvents}</Empty> : (
        <ul className="divide-y divide-stone-100">
          {(mine.data?.items ?? []).map((e) => (
            <li key={e.id} data-testid="my-event" className="flex flex-wrap items-center gap-2 py-2 text-sm">
              <span className="font-mono">{dateTime(e.starts_at)}–{time(e.ends_at)}</span>
              <span className="font-medium">{e.title}</span>
              <span className="text-stone-500">{venues.find((v) => v.id === e.venue_id)?.name}</span>
              <Button kind="plain" onClick={() => onOpen(e.id)}>{m.scheduleScreen.open}</Button>
              <div className="w-full sm:ml-auto sm:w-auto"><MyRsvp eventId={e.id} /></div>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
