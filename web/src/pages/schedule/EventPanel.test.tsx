import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import type { ReactNode } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { I18nProvider } from '../../i18n';
import type { EventView } from './data';
import { DeleteEvent, EditEvent } from './EventPanel';

const event = (series: string | null): EventView => ({
  id: 'e1', title: 'Прогон', kind: 'rehearsal', status: 'planned', venue_id: 'v1', series_id: series,
  starts_at: '2031-03-14T07:00:00Z', ends_at: '2031-03-14T10:00:00Z', blocked_from: '2031-03-14T07:00:00Z',
  blocked_until: '2031-03-14T10:00:00Z', all_day: false, setup_minutes: 0, strike_minutes: 0, version: 3,
  created_at: '2031-01-01T00:00:00Z', updated_at: '2031-01-01T00:00:00Z',
});

function harness(status: number, body: unknown = null) {
  const seen: Request[] = [];
  vi.stubGlobal('fetch', vi.fn(async (r: Request) => {
    seen.push(r);
    if (r.url.includes('/venues')) return Response.json({ items: [{ id: 'v1', name: 'Сцена' }], next_cursor: null });
    return body === null ? new Response(null, { status }) : Response.json(body, { status, headers: { 'Content-Type': status >= 400 ? 'application/problem+json' : 'application/json' } });
  }));
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  const wrap = (ui: ReactNode) => render(<I18nProvider><QueryClientProvider client={client}>{ui}</QueryClientProvider></I18nProvider>);
  return { seen, wrap, writes: () => seen.filter((r) => r.method !== 'GET') };
}

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe('series scope choice → request', () => {
  it('deletes this and the following occurrences when that is chosen', async () => {
    const h = harness(204);
    const deleted = vi.fn();
    h.wrap(<DeleteEvent event={event('s1')} onDeleted={deleted} />);
    fireEvent.click(screen.getByTestId('event-delete'));
    fireEvent.click(screen.getByLabelText('Это и следующие'));
    fireEvent.click(screen.getByTestId('event-delete-confirm'));
    await waitFor(() => expect(deleted).toHaveBeenCalled());
    const [r] = h.writes();
    expect(r.method).toBe('DELETE');
    expect(new URL(r.url).pathname).toBe('/api/v1/schedule/events/e1');
    expect(new URL(r.url).searchParams.get('scope')).toBe('following');
    expect(r.headers.get('If-Match')).toBe('"3"');
  });

  it('offers no scope for a single event and sends none', async () => {
    const h = harness(204);
    h.wrap(<DeleteEvent event={event(null)} onDeleted={() => {}} />);
    fireEvent.click(screen.getByTestId('event-delete'));
    expect(screen.queryByTestId('scope-choice')).toBeNull();
    fireEvent.click(screen.getByTestId('event-delete-confirm'));
    await waitFor(() => expect(h.writes()).toHaveLength(1));
    expect(new URL(h.writes()[0].url).searchParams.has('scope')).toBe(false);
  });

  it('edits only this occurrence by default and shows a 409 clash without closing the form', async () => {
    const h = harness(409, {
      status: 409, title: 'Conflict', reason: 'venue_booked',
      conflicts: [{ id: 'x', title: 'Монтаж декораций', starts_at: '2031-03-14T07:00:00Z', ends_at: '2031-03-14T09:00:00Z' }],
    });
    const done = vi.fn();
    h.wrap(<EditEvent event={event('s1')} onDone={done} />);
    await screen.findByRole('option', { name: 'Сцена' });
    fireEvent.click(screen.getByTestId('event-save'));
    const clash = await screen.findByTestId('clash');
    expect(clash.textContent).toContain('Монтаж декораций');
    expect(done).not.toHaveBeenCalled();
    const [r] = h.writes();
    expect(r.method).toBe('PATCH');
    expect(new URL(r.url).searchParams.get('scope')).toBe('this');
    const body = await r.json();
    expect(body).toMatchObject({ title: 'Прогон', venue_id: 'v1', kind: 'rehearsal', status: 'planned' });
    expect(new Date(body.starts_at).toISOString()).toBe('2031-03-14T07:00:00.000Z');
  });
});
