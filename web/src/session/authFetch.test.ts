import { describe, expect, it, vi } from 'vitest';
import { makeAuthFetch } from './authFetch';

const ok = () => new Response('{}', { status: 200 });
const unauthorized = () => new Response('{}', { status: 401 });

function harness(answers: ((r: Request) => Response)[], refreshed: string | null = 'fresh') {
  let token: string | null = 'stale';
  const seen: { auth: string | null; body: string }[] = [];
  const refresh = vi.fn(async () => {
    if (refreshed) token = refreshed;
    return refreshed;
  });
  const signOut = vi.fn();
  let i = 0;
  const fetchImpl = vi.fn(async (input: RequestInfo | URL) => {
    const r = input as Request;
    seen.push({ auth: r.headers.get('Authorization'), body: await r.clone().text() });
    return answers[Math.min(i++, answers.length - 1)](r);
  }) as unknown as typeof fetch;
  const authFetch = makeAuthFetch({ getAccessToken: () => token, refresh, signOut, fetchImpl });
  return { authFetch, refresh, signOut, seen };
}

const post = (path = '/api/v1/inventory/items') =>
  new Request(`http://t${path}`, { method: 'POST', body: '{"name":"Кубок"}' });

describe('token refresh', () => {
  it('sends the access token and does not refresh on success', async () => {
    const h = harness([ok]);
    const res = await h.authFetch(post());
    expect(res.status).toBe(200);
    expect(h.seen[0].auth).toBe('Bearer stale');
    expect(h.refresh).not.toHaveBeenCalled();
  });

  it('refreshes once on a 401 and retries the same request with the new token', async () => {
    const h = harness([unauthorized, ok]);
    const res = await h.authFetch(post());
    expect(res.status).toBe(200);
    expect(h.refresh).toHaveBeenCalledTimes(1);
    expect(h.seen[1]).toEqual({ auth: 'Bearer fresh', body: '{"name":"Кубок"}' });
    expect(h.signOut).not.toHaveBeenCalled();
  });

  it('signs out when the refresh fails', async () => {
    const h = harness([unauthorized], null);
    const res = await h.authFetch(post());
    expect(res.status).toBe(401);
    expect(h.signOut).toHaveBeenCalledTimes(1);
    expect(h.seen).toHaveLength(1);
  });

  it('signs out when the retried request is refused again, without refreshing twice', async () => {
    const h = harness([unauthorized, unauthorized]);
    const res = await h.authFetch(post());
    expect(res.status).toBe(401);
    expect(h.refresh).toHaveBeenCalledTimes(1);
    expect(h.signOut).toHaveBeenCalledTimes(1);
  });

  it('shares one refresh between concurrent 401s (a rotated token must not be reused)', async () => {
    let calls = 0;
    const h = harness([(r) => (r.headers.get('Authorization') === 'Bearer fresh' ? ok() : unauthorized())]);
    h.refresh.mockImplementation(async () => {
      calls += 1;
      await new Promise((r) => setTimeout(r, 10));
      return 'fresh';
    });
    const results = await Promise.all([h.authFetch(post()), h.authFetch(post()), h.authFetch(post())]);
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(calls).toBe(1);
  });

  it('never refreshes for a failed sign-in', async () => {
    const h = harness([unauthorized]);
    const res = await h.authFetch(post('/api/v1/auth/login'));
    expect(res.status).toBe(401);
    expect(h.refresh).not.toHaveBeenCalled();
    expect(h.signOut).not.toHaveBeenCalled();
  });

  it('passes a 403 through untouched: the session is fine, the permission is missing', async () => {
    const h = harness([() => new Response('{}', { status: 403 })]);
    const res = await h.authFetch(post());
    expect(res.status).toBe(403);
    expect(h.refresh).not.toHaveBeenCalled();
    expect(h.signOut).not.toHaveBeenCalled();
  });
});
