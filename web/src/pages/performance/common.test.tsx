import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { I18nProvider } from '../../i18n';
import { ApiProblem } from '../../lib/problem';
import { CardProblem, formErrors } from './common';

afterEach(cleanup);

const wrap = (client: QueryClient, node: React.ReactNode) => render(<I18nProvider><QueryClientProvider client={client}>{node}</QueryClientProvider></I18nProvider>);

describe('a stale edit on the performance card', () => {
  it('says someone else changed it and reloads the card on request', () => {
    const client = new QueryClient();
    const invalidate = vi.spyOn(client, 'invalidateQueries');
    wrap(client, <CardProblem error={new ApiProblem(412, { status: 412, title: 'Precondition Failed' })} performanceId="p1" />);
    expect(screen.getByTestId('stale').textContent).toContain('изменил кто-то другой');
    fireEvent.click(screen.getByRole('button', { name: 'Обновить' }));
    expect(invalidate).toHaveBeenCalledWith({ queryKey: ['performances', 'p1'] });
  });

  it('shows any other problem as the usual message', () => {
    wrap(new QueryClient(), <CardProblem error={new ApiProblem(409, { status: 409, title: 'Conflict', detail: 'the act already has a scene with this number' })} performanceId="p1" />);
    expect(screen.queryByTestId('stale')).toBeNull();
    expect(screen.getByTestId('problem').textContent).toContain('the act already has a scene');
  });
});

describe('form errors', () => {
  it('puts field errors on the fields and shows a problem without them whole', () => {
    const invalid = new ApiProblem(422, { status: 422, errors: [{ field: 'role_name', message: 'must not be empty' }, { field: 'note', message: 'too long' }] });
    expect(formErrors(invalid, ['role_name'])).toEqual({ byField: { role_name: 'must not be empty' }, other: ['note: too long'], whole: null });
    const stale = new ApiProblem(412, { status: 412 });
    expect(formErrors(stale, ['role_name']).whole).toBe(stale);
    expect(formErrors(null, ['role_name']).whole).toBeNull();
  });
});
