import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { I18nProvider } from '../i18n';
import { clashesOf, visibleDays } from '../lib/calendar';
import { ClashList } from './ClashList';

const problem = {
  status: 409,
  title: 'Conflict',
  reason: 'venue_booked',
  conflicts: [
    { id: 'a', title: 'Прогон первого акта', starts_at: '2031-03-14T07:00:00Z', ends_at: '2031-03-14T10:00:00Z' },
    { id: 'b', title: 'Монтаж декораций', starts_at: '2031-03-14T10:00:00Z', ends_at: '2031-03-14T12:00:00Z' },
  ],
};

describe('calendar clash rendering', () => {
  it('lists every conflicting event with its time', () => {
    render(<I18nProvider><ClashList clashes={clashesOf(problem)} /></I18nProvider>);
    const items = screen.getAllByTestId('clash-event');
    expect(items).toHaveLength(2);
    expect(items[0].textContent).toContain('Прогон первого акта');
    expect(items[1].textContent).toContain('Монтаж декораций');
    expect(screen.getByRole('alert').textContent).toContain('Площадка занята');
    // Russian date format: dd.mm.yyyy
    expect(items[0].textContent).toMatch(/14\.03\.2031/);
  });

  it('renders nothing for a problem that is not a clash', () => {
    const { container } = render(<I18nProvider><ClashList clashes={clashesOf({ status: 422, errors: [] })} /></I18nProvider>);
    expect(container.textContent).toBe('');
    expect(clashesOf({ status: 409, detail: 'item in use' })).toEqual([]);
  });

  it('shows a month as whole weeks starting on Monday', () => {
    const days = visibleDays('month', new Date(2031, 2, 14));
    expect(days.length % 7).toBe(0);
    expect(days[0].getDay()).toBe(1);
    expect(days.some((d) => d.getMonth() === 2 && d.getDate() === 31)).toBe(true);
    expect(visibleDays('week', new Date(2031, 2, 14))[0].getDate()).toBe(10);
  });
});
