import { useI18n } from '../i18n';
import type { Clash } from '../lib/calendar';

/** A refused booking: the events that already hold the venue at that time. */
export function ClashList({ clashes }: { clashes: Clash[] }) {
  const { m, dateTime, time } = useI18n();
  if (clashes.length === 0) return null;
  return (
    <div role="alert" data-testid="clash" className="my-2 rounded border border-red-300 bg-red-50 p-3 text-sm text-red-900">
      <p className="font-medium">{m.schedule.clash}:</p>
      <ul className="mt-1 list-disc pl-5">
        {clashes.map((c) => (
          <li key={c.id} data-testid="clash-event"><span className="font-medium">{c.title}</span> — {dateTime(c.starts_at)}–{time(c.ends_at)}</li>
        ))}
      </ul>
    </div>
  );
}
